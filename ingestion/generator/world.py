"""The simulated world: agencies of Hà Nội, their officers and the procedures they handle.

The world is fixed (built from its own constant seed, not the generator's), so officer ids and
their traits are the same in every run: downstream tests can name "CB0003" and know it is a
desk officer of SKHDT. Procedure codes follow the national database's format (x.xxxxxx) and
names are real procedure names, but the pairing of codes, limits and agencies is illustrative,
not an extract of the national database.

Agency names are those used before the 2025 reorganisation (sở merged, district level removed
on 1 July 2025); the generator does not model that reform.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import time

from motcua.errors import PermanentError

WORLD_SEED = "motcua-world-v1"


@dataclass(frozen=True)
class Procedure:
    code: str
    name: str
    agency_code: str
    sector_code: str
    processing_days: float
    complexity: str  # simple (<= 1 day) | medium (3-5) | complex (>= 10)
    volume: float  # relative share of the agency's cases
    online_share: float
    postal_share: float = 0.02
    refusal_rate: float = 0.03
    cutoff: time | None = None  # receipts at/after this hour count from the next working day


@dataclass(frozen=True)
class Officer:
    officer_id: str
    agency_code: str
    role: str  # desk (tiếp nhận, trả kết quả) | handler (chuyên viên xử lý)
    department_code: str
    late_propensity: float  # handlers: chance a case finishes after its effective deadline
    miss_propensity: float  # desks: chance a dossier they accepted is later returned
    games_returns: bool = False  # handlers: issues supplementation requests just before deadline


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    number: str  # the numeric part of case ids: 000.00.<number>.H26-...
    weight: float  # share of the city's daily receipts
    officer_count: int
    officers: tuple[Officer, ...] = field(default=())
    desks: tuple[Officer, ...] = field(default=(), init=False, repr=False, compare=False)
    handlers: tuple[Officer, ...] = field(default=(), init=False, repr=False, compare=False)

    @property
    def source(self) -> str:
        return f"motcua.{self.code.lower()}.hanoi"

    def __post_init__(self) -> None:
        # Cached role lists: read for every simulated case.
        object.__setattr__(self, "desks", tuple(o for o in self.officers if o.role == "desk"))
        object.__setattr__(self, "handlers", tuple(o for o in self.officers if o.role == "handler"))


_AGENCIES = (
    Agency("SKHDT", "Sở Kế hoạch và Đầu tư", "12", 0.25, 12),
    Agency("STP", "Sở Tư pháp", "15", 0.20, 10),
    Agency("STNMT", "Sở Tài nguyên và Môi trường", "17", 0.15, 14),
    Agency("SXD", "Sở Xây dựng", "13", 0.10, 9),
    Agency("UBND-BD", "UBND quận Ba Đình", "30", 0.30, 15),
)

PROCEDURES: tuple[Procedure, ...] = (
    Procedure("1.001612", "Đăng ký thành lập doanh nghiệp tư nhân", "SKHDT", "DKKD", 3, "medium", 3, 0.85),
    Procedure("2.001610", "Đăng ký thành lập công ty TNHH một thành viên", "SKHDT", "DKKD", 3, "medium", 4, 0.85),
    Procedure("1.005386", "Đăng ký thay đổi nội dung đăng ký doanh nghiệp", "SKHDT", "DKKD", 3, "medium", 5, 0.9),
    Procedure("1.009645", "Cấp Giấy chứng nhận đăng ký đầu tư", "SKHDT", "DTNN", 15, "complex", 1, 0.4, 0.05, 0.08),
    Procedure("2.001417", "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam", "STP", "LLTP", 10, "complex", 6, 0.5, 0.1),
    Procedure("1.008725", "Đăng ký khai sinh có yếu tố nước ngoài", "STP", "HTQT", 15, "complex", 1, 0.2, 0.0, 0.05),
    Procedure("2.000815", "Cấp bản sao trích lục hộ tịch", "STP", "HT", 0.5, "simple", 3, 0.3, 0.02, 0.01, time(15)),
    Procedure("1.004227", "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất",
              "STNMT", "DD", 10, "complex", 5, 0.15, 0.0, 0.05),
    Procedure("1.003003", "Cấp Giấy chứng nhận quyền sử dụng đất lần đầu", "STNMT", "DD", 20, "complex", 2, 0.1, 0.0, 0.08),
    Procedure("1.010733", "Cấp giấy phép môi trường", "STNMT", "MT", 20, "complex", 1, 0.3, 0.02, 0.1),
    Procedure("1.009972", "Cấp giấy phép xây dựng mới đối với công trình cấp I, cấp II", "SXD", "XD", 20, "complex", 2, 0.3, 0.0, 0.1),
    Procedure("1.009994", "Cấp chứng chỉ hành nghề hoạt động xây dựng", "SXD", "HNXD", 10, "complex", 3, 0.6, 0.05, 0.06),
    Procedure("2.000908", "Chứng thực bản sao từ bản chính giấy tờ, văn bản", "UBND-BD", "CT", 0.5, "simple", 8, 0.0, 0.0, 0.005, time(15)),
    Procedure("1.001193", "Đăng ký kết hôn", "UBND-BD", "HT", 1, "simple", 2, 0.2, 0.0, 0.02),
    Procedure("2.001199", "Đăng ký thành lập hộ kinh doanh", "UBND-BD", "DKKD", 3, "medium", 3, 0.6, 0.02, 0.03),
    Procedure("1.010005", "Cấp giấy phép xây dựng nhà ở riêng lẻ", "UBND-BD", "XD", 15, "complex", 2, 0.3, 0.0, 0.06),
)


class UnknownAgencyError(PermanentError, ValueError):
    """An agency code that is not part of the simulated world."""


def _build_officers(rng: random.Random) -> tuple[Agency, ...]:
    agencies = []
    next_id = 1
    for agency in _AGENCIES:
        sectors = sorted({p.sector_code for p in PROCEDURES if p.agency_code == agency.code})
        desk_count = max(3, round(agency.officer_count * 0.3))
        officers = []
        for i in range(agency.officer_count):
            desk = i < desk_count
            # Most officers are rarely late; about one in five is a chronic late finisher, so
            # officer-level on-time rates spread around the 98% target.
            late = rng.uniform(0.08, 0.25) if rng.random() < 0.2 else rng.uniform(0.0, 0.04)
            officers.append(Officer(
                officer_id=f"CB{next_id:04d}",
                agency_code=agency.code,
                role="desk" if desk else "handler",
                department_code="BPMC" if desk else f"P.{sectors[(i - desk_count) % len(sectors)]}",
                late_propensity=0.0 if desk else round(late, 4),
                miss_propensity=round(rng.uniform(0.02, 0.12), 4) if desk else 0.0,
                games_returns=(not desk and i == agency.officer_count - 1),
            ))
            next_id += 1
        agencies.append(Agency(agency.code, agency.name, agency.number, agency.weight,
                               agency.officer_count, tuple(officers)))
    return tuple(agencies)


AGENCIES: tuple[Agency, ...] = _build_officers(random.Random(WORLD_SEED))
AGENCY_BY_CODE: dict[str, Agency] = {a.code: a for a in AGENCIES}


def select_agencies(codes: list[str] | tuple[str, ...] | None) -> tuple[Agency, ...]:
    """The agencies to simulate (all when `codes` is empty), in world order."""
    if not codes:
        return AGENCIES
    unknown = sorted(set(codes) - set(AGENCY_BY_CODE))
    if unknown:
        raise UnknownAgencyError(f"unknown agency codes {unknown}; known: {sorted(AGENCY_BY_CODE)}")
    return tuple(a for a in AGENCIES if a.code in set(codes))


def procedures_of(agency_code: str) -> tuple[Procedure, ...]:
    return tuple(p for p in PROCEDURES if p.agency_code == agency_code)


_HANDLERS: dict[tuple[str, str], tuple[Officer, ...]] = {}


def handlers_for(agency: Agency, procedure: Procedure) -> tuple[Officer, ...]:
    """Handlers of the procedure's department (every sector has at least one)."""
    key = (agency.code, procedure.code)
    if key not in _HANDLERS:
        own = tuple(o for o in agency.handlers if o.department_code == f"P.{procedure.sector_code}")
        _HANDLERS[key] = own or agency.handlers
    return _HANDLERS[key]
