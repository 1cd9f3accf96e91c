"""The staff topic's events, simulated beside the cases: positions, transfers, assessments, exemptions.

Who is who (fixed, like the world: the same ids and names in every run):
- every officer of the world holds a position from the first day of the window's first quarter
  (recorded that day, 07:30):
  desk officers in reception (unit BPMC, the one-stop-shop desk), handlers in processing (their
  department P.<sector>);
- invented around them, numbered after the world's officers (CB0061 onwards, in world order, so
  --agencies never renumbers them): one leader per unit of each agency (leadership), the head
  of the agency (unit BGD, leadership) and one support officer (unit VP, the office);
- managers: a unit's officers are assessed by its leader, leaders by the head of the agency; the
  head has no manager in the agency (self assessments only).

What happens in the window (shares per officer-month unless said otherwise):
- transfers: with two agencies or more and a window of 14 days or more, the support officers of
  every other agency move to the next agency's office in the middle of the window (officer.left
  with reason transfer, then officer.positioned in the new agency, same day): support officers
  have no case activity, so the case events stay consistent with the positions;
- manager assessments (criteria compliance, coordination, service_attitude, 0-10) a few days
  after each month ends, for ~90% of officer-months; ~10% of officers are assessed per quarter
  instead (after the quarter ends); ~6% of manager assessments are corrected 1-6 days later
  (same officer, period and assessor, new event, later occurred_at);
- self assessments for ~60%, peer assessments (another officer of the unit) for ~30%;
- exemptions: ~5% of the cases completed late (after due_at, with no return and no extension)
  get case.exemption_granted (scope lateness, decided by the head of the agency) 1-4 days after
  completion; the first one that can be revoked inside the window is revoked, once per stream.

Events on or after the end of the window have not happened and are not emitted. Each fact
draws from a random stream of its own, named after the seed and the fact (the officer and the
position's start, the officer and the period, the case): two runs with the same seed and
overlapping windows send the same facts as the same bytes (a redelivery, never an event_id
conflict), as the case stream does day by day.
Faults (staff_faults.py): duplicates at the case stream's rate, and with staff_malformed > 0
every malformed class of the staff contract at least once. Randomness:
random.Random(f"{seed}:staff:...") streams of their own, so the case events never change.
"""
from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from ingestion.generator.lifecycle import iso, new_event_id
from ingestion.generator.people import FEMALE_GIVEN, FEMALE_MIDDLE, MALE_GIVEN, MALE_MIDDLE, SURNAMES
from ingestion.generator.world import AGENCIES, Agency
from workcal import VN_TZ

CRITERIA = ("compliance", "coordination", "service_attitude")
MAX_POINTS = 10
SOURCE = "kpi.hanoi"
EXEMPTION_REASONS = {
    "system_outage": "Sự cố hệ thống một cửa điện tử, không thể cập nhật hồ sơ",
    "inter_agency_delay": "Chờ ý kiến của cơ quan phối hợp quá thời hạn",
    "force_majeure": "Mưa bão, ngập úng kéo dài, cơ quan tạm dừng tiếp nhận",
    "legal_change": "Văn bản quy phạm pháp luật thay đổi trong thời gian giải quyết",
    "applicant_caused": "Người nộp hồ sơ đề nghị lùi thời hạn trả kết quả",
}
EXEMPTION_REASON_WEIGHTS = (0.35, 0.35, 0.1, 0.1, 0.1)
COMMENTS = ("Hoàn thành tốt nhiệm vụ được giao", "Cần chủ động phối hợp hơn với các phòng chuyên môn",
            "Thái độ phục vụ người dân tốt", "Chấp hành nghiêm kỷ luật, kỷ cương hành chính")


@dataclass(frozen=True)
class Post:
    """One officer's position (what officer.positioned says)."""

    officer_id: str
    agency_code: str
    unit_code: str
    position_code: str
    position_name: str
    position_group: str  # reception | processing | leadership | support
    manager_id: str | None
    display_name: str


def _display_name(officer_id: str) -> str:
    """The name shown on receipts (a public role); fixed per officer, random, any likeness is chance."""
    rng = random.Random(f"motcua-staff-name:{officer_id}")
    female = rng.random() < 0.5
    middle = rng.choice(FEMALE_MIDDLE if female else MALE_MIDDLE)
    return f"{rng.choice(SURNAMES)} {middle} {rng.choice(FEMALE_GIVEN if female else MALE_GIVEN)}"


def _units(agency: Agency) -> list[str]:
    return sorted({o.department_code for o in agency.officers} | {"VP"})


def _build_roster() -> dict[str, list[Post]]:
    """Posts per agency code, in world order; invented officers numbered after the world's."""
    next_id = itertools.count(1 + sum(len(a.officers) for a in AGENCIES))
    roster: dict[str, list[Post]] = {}
    for agency in AGENCIES:
        code = agency.code
        head = f"CB{next(next_id):04d}"
        leaders = {unit: f"CB{next(next_id):04d}" for unit in _units(agency)}
        support = f"CB{next(next_id):04d}"
        posts = [Post(head, code, "BGD", "LD-TT", "Thủ trưởng cơ quan", "leadership", None, _display_name(head))]
        for unit, leader in leaders.items():
            name = "Trưởng Bộ phận Một cửa" if unit == "BPMC" else "Chánh Văn phòng" if unit == "VP" else "Trưởng phòng"
            posts.append(Post(leader, code, unit, "LD-TP", name, "leadership", head, _display_name(leader)))
        for officer in agency.officers:
            desk = officer.role == "desk"
            posts.append(Post(officer.officer_id, code, officer.department_code, "TN-TKQ" if desk else "CV-XL",
                              "Công chức tiếp nhận và trả kết quả" if desk else "Chuyên viên xử lý hồ sơ",
                              "reception" if desk else "processing", leaders[officer.department_code],
                              _display_name(officer.officer_id)))
        posts.append(Post(support, code, "VP", "HC-VT", "Văn thư - hành chính", "support", leaders["VP"],
                          _display_name(support)))
        roster[code] = posts
    return roster


ROSTER: dict[str, list[Post]] = _build_roster()


def posts_of(agencies: tuple[Agency, ...]) -> list[Post]:
    return [post for agency in agencies for post in ROSTER[agency.code]]


# -- calendar helpers ---------------------------------------------------------------------------
def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _office_instant(rng: random.Random, day: date) -> datetime:
    return datetime.combine(day, time(rng.randint(8, 16), rng.randint(0, 59), rng.randint(0, 59)), tzinfo=VN_TZ)


def _weekday_on_or_after(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


StaffEvent = tuple[datetime, bytes, dict]  # (occurred_at, Kafka key, event)


def _event(rng: random.Random, at: datetime, event_type: str, agency_code: str, officer_id: str | None,
           data: dict) -> dict:
    return {"event_id": new_event_id(rng), "event_type": event_type, "schema_version": 1,
            "occurred_at": iso(at), "source": SOURCE, "agency_code": agency_code, "officer_id": officer_id,
            "data": data}


def _positioned(rng: random.Random, at: datetime, post: Post, valid_from: date) -> StaffEvent:
    data = {"unit_code": post.unit_code, "position_code": post.position_code, "position_name": post.position_name,
            "position_group": post.position_group, "manager_id": post.manager_id, "valid_from": valid_from.isoformat(),
            "display_name": post.display_name}
    return at, post.officer_id.encode(), _event(rng, at, "officer.positioned", post.agency_code, post.officer_id, data)


def officer_events(seed: int, agencies: tuple[Agency, ...], start: date, end: date) -> list[StaffEvent]:
    """Positions, transfers and assessments of the window [start, end), in time order."""
    events: list[StaffEvent] = []
    posts = posts_of(agencies)
    first = _quarter_start(start)
    opened = datetime.combine(first, time(7, 30), tzinfo=VN_TZ)
    for post in posts:
        rng = random.Random(f"{seed}:staff:position:{post.officer_id}:{first}")
        events.append(_positioned(rng, opened, post, first))

    # Transfers: support officers of every other agency move to the next agency's office.
    timeline: dict[str, list[tuple[date, Post]]] = {p.officer_id: [(start, p)] for p in posts}
    if len(agencies) >= 2 and (end - start).days >= 14:
        day = _weekday_on_or_after(start + timedelta(days=(end - start).days // 2))
        if day < end:
            for i in range(0, len(agencies), 2):
                source, target = agencies[i], agencies[(i + 1) % len(agencies)]
                if source is target:
                    continue
                mover = next(p for p in ROSTER[source.code] if p.position_group == "support")
                office_head = next(p for p in ROSTER[target.code] if p.unit_code == "VP" and p.position_group == "leadership")
                new_post = replace(mover, agency_code=target.code, manager_id=office_head.officer_id)
                rng = random.Random(f"{seed}:staff:transfer:{mover.officer_id}:{day}")
                left_at = datetime.combine(day, time(8, 0), tzinfo=VN_TZ)
                events.append((left_at, mover.officer_id.encode(), _event(
                    rng, left_at, "officer.left", source.code, mover.officer_id,
                    {"valid_from": day.isoformat(), "reason": "transfer"})))
                events.append(_positioned(rng, left_at + timedelta(minutes=30), new_post, day))
                timeline[mover.officer_id].append((day, new_post))

    events.extend(_assessments(seed, posts, timeline, start, end))
    events.sort(key=lambda e: e[0])
    return events


def _post_on(timeline: list[tuple[date, Post]], day: date) -> Post:
    current = timeline[0][1]
    for since, post in timeline:
        if since <= day:
            current = post
    return current


def _criteria(rng: random.Random, quality: float) -> list[dict]:
    out = []
    for code in CRITERIA:
        points = min(MAX_POINTS, max(0.0, round(rng.gauss(quality, 0.9) * 2) / 2))
        out.append({"code": code, "points": int(points) if points == int(points) else points})
    return out


def _assessments(seed: int, posts: list[Post], timeline: dict[str, list[tuple[date, Post]]],
                 start: date, end: date) -> list[StaffEvent]:
    quality = {p.officer_id: random.Random(f"{seed}:staff:quality:{p.officer_id}").uniform(6.5, 9.6) for p in posts}
    quarterly = {p.officer_id for p in posts if random.Random(f"{seed}:staff:cadence:{p.officer_id}").random() < 0.1}
    events: list[StaffEvent] = []
    periods: list[tuple[str, date, date, bool]] = []  # (period, first day, last day, is_quarter)
    month = date(start.year, start.month, 1)
    while month < end:
        following = _next_month(month)
        periods.append((f"{month:%Y-%m}", month, following - timedelta(days=1), False))
        if following.month in (1, 4, 7, 10):
            first = _quarter_start(month)
            periods.append((f"{first.year}-Q{(first.month - 1) // 3 + 1}", first, following - timedelta(days=1), True))
        month = following

    for period, _first, last, is_quarter in periods:
        for officer_id in sorted(timeline):
            post = _post_on(timeline[officer_id], last)
            if post.agency_code not in {p.agency_code for p in posts}:
                continue
            unit_mates = [p for p in posts if p.agency_code == post.agency_code and p.unit_code == post.unit_code
                          and p.officer_id != officer_id and p.position_group != "leadership"]
            if is_quarter != (officer_id in quarterly):
                continue  # monthly officers are assessed per month, quarterly ones per quarter
            rng = random.Random(f"{seed}:staff:assessment:{officer_id}:{period}:{post.agency_code}:{post.manager_id}")
            assessed_on = _weekday_on_or_after(last + timedelta(days=rng.randint(2, 8 if is_quarter else 6)))
            at = _office_instant(rng, assessed_on)
            if post.manager_id is not None and rng.random() < 0.9:
                manager = _assessment(rng, at, post, period, post.manager_id, "manager", quality[officer_id])
                events.append(manager)
                if rng.random() < 0.06:  # a correction: same officer, period and assessor, later
                    corrected = _assessment(rng, at + timedelta(days=rng.randint(1, 6)), post, period, post.manager_id,
                                            "manager", quality[officer_id])
                    corrected[2]["data"]["comment"] = "Điều chỉnh sau khi rà soát lại kết quả"
                    events.append(corrected)
            if rng.random() < 0.6:
                events.append(_assessment(rng, at - timedelta(days=1), post, period, officer_id, "self",
                                          min(MAX_POINTS, quality[officer_id] + 0.5)))
            if unit_mates and rng.random() < 0.3:
                peer = rng.choice(unit_mates).officer_id
                events.append(_assessment(rng, at + timedelta(hours=1), post, period, peer, "peer", quality[officer_id]))
    return [e for e in events if e[0].date() < end]


def _assessment(rng: random.Random, at: datetime, post: Post, period: str, assessor_id: str, role: str,
                quality: float) -> StaffEvent:
    data: dict = {"period": period, "assessor_id": assessor_id, "assessor_role": role,
                  "criteria": _criteria(rng, quality)}
    if role == "manager" and rng.random() < 0.3:
        data["comment"] = rng.choice(COMMENTS)
    return at, post.officer_id.encode(), _event(rng, at, "officer.assessed", post.agency_code, post.officer_id, data)


class Exemptions:
    """Exemptions for a few late cases; exactly one revoked per stream (the first that fits).

    Each case's exemption draws from its own stream (seed, case id), the revocation from another:
    whether this window revokes it never changes the grant's bytes.
    """

    def __init__(self, seed: int, end: date) -> None:
        self.seed = seed
        self.end = end
        self.revoked = False

    def for_case(self, agency: Agency, case_id: str, sim_events) -> list[StaffEvent]:
        """Events for one simulated case (its visible events, in time order); [] for most cases."""
        due_at = completed_at = None
        for e in sim_events:
            if e.event_type in ("case.returned", "case.extended"):
                return []  # a paused clock or a new appointment: not a plain late case
            if e.event_type == "case.received":
                due_at = datetime.fromisoformat(e.data["due_at"])
            elif e.event_type == "case.completed":
                completed_at = e.occurred_at
        if due_at is None or completed_at is None or completed_at <= due_at:
            return []
        rng = random.Random(f"{self.seed}:staff:exemption:{case_id}")
        if rng.random() >= 0.05:
            return []
        head = ROSTER[agency.code][0].officer_id  # the head of the agency decides
        granted_at = _office_instant(rng, _weekday_on_or_after(completed_at.date() + timedelta(days=rng.randint(1, 4))))
        if granted_at.date() >= self.end:
            return []
        reason = rng.choices(tuple(EXEMPTION_REASONS), EXEMPTION_REASON_WEIGHTS)[0]
        decision = f"{rng.randint(100, 9999)}/QĐ-{agency.code}"
        key = case_id.encode()
        out = [(granted_at, key, _event(rng, granted_at, "case.exemption_granted", agency.code, head, {
            "case_id": case_id, "scope": "lateness", "decision_ref": decision, "reason_code": reason,
            "reason_text": EXEMPTION_REASONS[reason]}))]
        rng = random.Random(f"{self.seed}:staff:revocation:{case_id}")
        revoked_at = granted_at + timedelta(days=rng.randint(3, 10))
        if not self.revoked and revoked_at.date() < self.end:
            self.revoked = True
            out.append((revoked_at, key, _event(rng, revoked_at, "case.exemption_revoked", agency.code, head, {
                "case_id": case_id, "scope": "lateness", "decision_ref": decision})))
        return out
