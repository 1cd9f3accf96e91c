"""The hand-computed evaluation scenario shared by tests/dbt/test_evaluation.py (the arithmetic is
written there, beside the assertions). Case events and staff events for January-April 2026."""
from __future__ import annotations

from tests.dbt.events import Event, vn
from tests.dbt.staff_events import StaffEvent, assessed, case, exemption, left, positioned, split

AS_OF = "2026-04-30T12:00:00+07:00"
START = "2026-01-01"
MARCH_DAYS = ("2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06")


def case_events() -> list[Event]:
    ev: list[Event] = []
    # --- SKHDT, unit MOTCUA, March. R1 receives C01-C10; P1 completes C01-C05 and C11-C15; R1 completes C06-C10
    for i in range(1, 11):
        day = MARCH_DAYS[(i - 1) // 2]
        if i <= 5:
            ev += case(f"C{i:02d}", day, "R1", "P1", late=(i == 1), returned_once=(i == 1),
                       rating=(5, 5, 5, 4)[i - 1] if i <= 4 else None, complaint=(i == 2))
        else:
            ev += case(f"C{i:02d}", day, "R1", "R1", rating=(5, 5, 4, 4, 4)[i - 6])
    for i, day in enumerate(("2026-03-09", "2026-03-10", "2026-03-11", "2026-03-12", "2026-03-13")):
        ev += case(f"C{11 + i}", day, "P1", "P1", late=(i == 0))
    for i, day in enumerate(("2026-03-16", "2026-03-17", "2026-03-18", "2026-03-19", "2026-03-23")):
        ev += case(f"C{21 + i}", day, "P2", "P2", late=True)
    # --- SNV, unit PHONG2. P3: 5 on-time cases in each of January-April; P4: 5 in March
    for month, days in (("01", (5, 6, 7, 8, 9)), ("02", (2, 3, 4, 5, 6)), ("03", (2, 3, 4, 5, 6)), ("04", (6, 7, 8, 9, 10))):
        for d in days:
            ev += case(f"P3-{month}-{d:02d}", f"2026-{month}-{d:02d}", "P3", "P3", agency="SNV")
    for d in (9, 10, 11, 12, 13):
        ev += case(f"P4-03-{d:02d}", f"2026-03-{d:02d}", "P4", "P4", agency="SNV")
    # T1: receives 5 cases in January (left open); in February completes 5 cases X1 received
    for d in (12, 13, 14, 15, 16):
        ev += case(f"TJ{d}", f"2026-01-{d}", "T1", None, agency="SNV")
    for d in (9, 10, 11, 12, 13):
        ev += case(f"TF{d:02d}", f"2026-02-{d:02d}", "X1", "T1", agency="SNV")
    # --- the quota groups: 12 processing officers each in SQUOTA and STIE, 5 on-time cases each in March
    for agency, prefix in (("SQUOTA", "A"), ("STIE", "B")):
        for n in range(1, 13):
            for k, day in enumerate(MARCH_DAYS):
                ev += case(f"{prefix}{n:02d}-{k}", day, f"{prefix}{n:02d}", f"{prefix}{n:02d}", agency=agency)
    return ev


# general points of the quota officers (manager, March): 7 at >= 20 (total >= 90), 5 below
QUOTA_GENERAL = {"A": (30, 29, 28, 27, 26, 25, 24, 19, 18, 17, 16, 15),
                 "B": (30, 29, 29, 27, 26, 25, 24, 19, 18, 17, 16, 15)}


def staff_events() -> list[StaffEvent]:
    april = vn("2026-04-03 10:00")
    ev = [
        positioned("R1", "SKHDT", "MOTCUA", "reception", START),
        positioned("P1", "SKHDT", "MOTCUA", "processing", START),
        positioned("P2", "SKHDT", "MOTCUA", "processing", START),
        positioned("L1", "SKHDT", "MOTCUA", "leadership", START),
        positioned("P3", "SNV", "PHONG2", "processing", START),
        positioned("P4", "SNV", "PHONG2", "processing", START),
        left("P4", "SNV", "2026-04-15"),                                    # closes P4's position
        positioned("T1", "SNV", "PHONG2", "reception", START),
        positioned("T1", "SNV", "PHONG2", "processing", "2026-02-16"),     # transferred mid-quarter
        # R1: a first March assessment (9, 9, 9) corrected the next day (6, 6, 6): the latest stands
        assessed("R1", "SKHDT", "2026-03", (9, 9, 9), vn("2026-04-02 10:00")),
        assessed("R1", "SKHDT", "2026-03", (6, 6, 6), vn("2026-04-03 10:00")),
        assessed("R1", "SKHDT", "2026-03", (8, 8, 8), april, role="peer", assessor="P1"),
        assessed("R1", "SKHDT", "2026-03", (10, 10, 10), april, role="self", assessor="R1"),
        assessed("P1", "SKHDT", "2026-03", (10, 10, 10), april),
        assessed("P2", "SKHDT", "2026-03", (8, 8, 8), april),
        assessed("L1", "SKHDT", "2026-03", (10, 10, 10), april, assessor="GD1"),
        # P3: a quarterly assessment for Q1 (5, 5, 5) and a monthly one for March (6, 6, 6); none for April
        assessed("P3", "SNV", "2026-Q1", (5, 5, 5), april),
        assessed("P3", "SNV", "2026-03", (6, 6, 6), april),
        # P4: compliance 12 above its maximum 10: not used, reported
        assessed("P4", "SNV", "2026-03", (12, 8, 8), april),
        assessed("T1", "SNV", "2026-Q1", (5, 5, 5), april),
        # exemptions: C11's lateness (active); C01's lateness granted then revoked; C01's return (active)
        exemption("C11", "lateness", "QD-11/2026", vn("2026-03-20 09:00")),
        exemption("C01", "lateness", "QD-01/2026", vn("2026-03-20 09:00")),
        exemption("C01", "lateness", "QD-01/2026", vn("2026-03-25 09:00"), revoke=True),
        exemption("C01", "return", "QD-02/2026", vn("2026-03-20 09:00")),
    ]
    # values the loader should have rejected never fail the build: a date that does not exist is
    # left out of the positions, a period that does not exist makes an unusable assessment
    bad_date = positioned("Z9", "SNV", "PHONG2", "processing", START)
    bad_date.data["valid_from"] = "2026-02-30"
    ev += [bad_date, assessed("Z9", "SNV", "2026-13", (5, 5, 5), april)]
    for agency, prefix in (("SQUOTA", "A"), ("STIE", "B")):
        for n, general in enumerate(QUOTA_GENERAL[prefix], start=1):
            officer = f"{prefix}{n:02d}"
            ev.append(positioned(officer, agency, "MOTCUA", "processing", START))
            ev.append(assessed(officer, agency, "2026-03", split(general), april))
    return ev
