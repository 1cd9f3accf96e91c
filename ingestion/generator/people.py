"""Synthetic applicants (personal data on case.received): citizen ID, Vietnamese name, phone.

All values are random: any resemblance to a real person is chance. ID numbers follow the
12-digit citizen ID layout (3-digit province of birth, 1 digit century+sex, 2 digits year of
birth, 6 random digits) so downstream pseudonymisation sees realistic input.
"""
from __future__ import annotations

import itertools
import random

SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
            "Hồ", "Ngô", "Dương", "Lý")
SURNAME_WEIGHTS = (38, 11, 9.5, 7, 5, 4, 4.5, 3.9, 2, 2.1, 2, 1.4, 1.3, 1.3, 1, 0.5)
_SURNAME_CUM = tuple(itertools.accumulate(SURNAME_WEIGHTS))
MALE_MIDDLE = ("Văn", "Đức", "Minh", "Quang", "Hữu", "Thành", "Xuân", "Công", "Anh", "Trọng")
FEMALE_MIDDLE = ("Thị", "Ngọc", "Thu", "Thanh", "Minh", "Phương", "Hồng", "Bích", "Kim", "Mai")
MALE_GIVEN = ("An", "Bình", "Cường", "Dũng", "Đức", "Hải", "Hiếu", "Hùng", "Huy", "Khánh", "Long",
              "Nam", "Phong", "Quân", "Sơn", "Thắng", "Trung", "Tuấn", "Việt", "Vinh")
FEMALE_GIVEN = ("Anh", "Chi", "Dung", "Giang", "Hà", "Hằng", "Hoa", "Hương", "Lan", "Linh", "Mai",
                "Ngân", "Nhung", "Phương", "Quỳnh", "Thảo", "Trang", "Tuyết", "Vân", "Yến")
# Province codes of the citizen ID (001 Hà Nội dominates in Hà Nội's offices).
PROVINCES = ("001", "001", "001", "001", "001", "022", "024", "026", "030", "031", "033", "034",
             "035", "036", "037", "038", "040", "042", "079")
PHONE_PREFIXES = ("090", "091", "093", "094", "096", "097", "098", "086", "088", "032", "033",
                  "034", "035", "036", "037", "038", "039", "070", "077", "079", "081", "083", "084")


def applicant(rng: random.Random, year: int) -> dict[str, str]:
    female = rng.random() < 0.5
    birth_year = rng.randint(year - 75, year - 18)
    century_sex = (0 if birth_year < 2000 else 2) + (1 if female else 0)
    id_number = f"{rng.choice(PROVINCES)}{century_sex}{birth_year % 100:02d}{rng.randrange(1_000_000):06d}"
    surname = rng.choices(SURNAMES, cum_weights=_SURNAME_CUM)[0]
    middle = rng.choice(FEMALE_MIDDLE if female else MALE_MIDDLE)
    given = rng.choice(FEMALE_GIVEN if female else MALE_GIVEN)
    person = {"id_number": id_number, "full_name": f"{surname} {middle} {given}"}
    if rng.random() < 0.9:  # a phone number is optional on the form
        person["phone"] = f"{rng.choice(PHONE_PREFIXES)}{rng.randrange(10_000_000):07d}"
    return person
