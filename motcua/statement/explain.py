"""Words for the statement: labels (vi / en), numbers in the reader's notation, and the sentences
that explain a band, the quota and a pending evaluation (method v1, docs/domain/evaluation-method.md).

Every sentence is built from the published figures and eval_settings.csv; none restates a
number the marts do not hold.
"""
from __future__ import annotations

import csv
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from motcua.settings import PROJECT_ROOT
from motcua import kpi_registry

LANGS = ("vi", "en")

BANDS = {
    "vi": {"excellent": "Hoàn thành xuất sắc nhiệm vụ", "good": "Hoàn thành tốt nhiệm vụ",
           "pass": "Hoàn thành nhiệm vụ", "fail": "Không hoàn thành nhiệm vụ", "pending": "Chưa đủ dữ liệu"},
    "en": {"excellent": "Excellent (Hoàn thành xuất sắc nhiệm vụ)", "good": "Good (Hoàn thành tốt nhiệm vụ)",
           "pass": "Completed (Hoàn thành nhiệm vụ)", "fail": "Not completed (Không hoàn thành nhiệm vụ)",
           "pending": "Pending: not enough data (Chưa đủ dữ liệu)"},
}
GROUPS = {
    "vi": {"reception": "tiếp nhận", "processing": "xử lý hồ sơ", "leadership": "lãnh đạo",
           "support": "hỗ trợ", "unknown": "chưa rõ vị trí"},
    "en": {"reception": "reception", "processing": "processing", "leadership": "leadership",
           "support": "support", "unknown": "unknown position"},
}
ROLES = {
    "vi": {"manager": "Thủ trưởng trực tiếp", "peer": "Đồng nghiệp", "self": "Tự đánh giá"},
    "en": {"manager": "Manager", "peer": "Peers", "self": "Self"},
}
CRITERIA_FILE = PROJECT_ROOT / "kpi_models" / "eval_criteria.csv"


def _criteria_names(path: Path = CRITERIA_FILE) -> dict[str, dict[str, str]]:
    """Criterion names per language from the criteria catalogue (the latest version of each code)."""
    names: dict[str, dict[str, str]] = {"vi": {}, "en": {}}
    if not path.is_file():
        return names
    with path.open(encoding="utf-8", newline="") as fh:
        for rec in sorted(csv.DictReader(fh), key=lambda r: r.get("valid_from") or ""):
            for lang in LANGS:
                if rec.get(f"name_{lang}"):
                    names[lang][rec["criterion_code"]] = rec[f"name_{lang}"]
    return names


CRITERIA = _criteria_names()
TIMELINESS = {
    "vi": {"early": "trước hạn", "on_time": "đúng hạn", "late": "trễ hạn", None: "chưa có kết quả"},
    "en": {"early": "early", "on_time": "on time", "late": "late", None: "no result yet"},
}
SCOPES = {"vi": {"lateness": "miễn trễ hạn", "return": "miễn tính trả lại"},
          "en": {"lateness": "lateness waived", "return": "return not counted"}}
NOT_SCORED = {
    "vi": {"below_min_cases": "không chấm: ít hơn {min_cases} hồ sơ", "no_target": "không chấm: chưa có chỉ tiêu",
           "no_cases": "không chấm: không có hồ sơ"},
    "en": {"below_min_cases": "not scored: fewer than {min_cases} cases", "no_target": "not scored: no target",
           "no_cases": "not scored: no cases"},
}
PENDING = {
    "vi": {"no_manager_assessment": "chưa có phiếu đánh giá hợp lệ của thủ trưởng trực tiếp cho kỳ này, nên chưa có điểm tiêu chí chung",
           "no_scorable_kpi": "không có KPI nào đủ điều kiện chấm (ít hơn {min_cases} hồ sơ hoặc chưa có chỉ tiêu), nên chưa có điểm kết quả nhiệm vụ",
           "no_position": "chưa có thông tin vị trí việc làm của ông/bà trong kỳ này",
           "too_few_scored_months": "số tháng có điểm trong kỳ chưa đủ (quý cần ít nhất {quarter_min} tháng, năm cần ít nhất {year_min} tháng)"},
    "en": {"no_manager_assessment": "no usable assessment by your manager for the period, so the general points are unknown",
           "no_scorable_kpi": "no KPI could be scored (fewer than {min_cases} cases, or no target), so the task points are unknown",
           "no_position": "no job position is known for you in the period",
           "too_few_scored_months": "too few months of the period were scored (a quarter needs {quarter_min}, a year {year_min})"},
}
DIRECTION = {"vi": {"higher_is_better": "càng cao càng tốt", "lower_is_better": "càng thấp càng tốt"},
             "en": {"higher_is_better": "higher is better", "lower_is_better": "lower is better"}}

_KPIS = {k["code"]: k for k in kpi_registry.load()["kpis"]}
# KPIs of method v1 the registry may not name yet (their label falls back to the code otherwise)
_EXTRA_KPIS = {
    "received_per_working_day": {"name_vi": "Số hồ sơ tiếp nhận bình quân/ngày làm việc",
                                 "name_en": "Cases received per working day", "type": "per_working_day"},
}


def kpi_name(code: str, lang: str) -> str:
    kpi = _KPIS.get(code) or _EXTRA_KPIS.get(code) or {}
    return str(kpi.get(f"name_{lang}") or code)


def kpi_type(code: str) -> str:
    kpi = _KPIS.get(code) or _EXTRA_KPIS.get(code)
    if kpi:
        return str(kpi["type"])
    return "rate" if code.endswith("_rate") else "number"


def num(value: Any, lang: str, digits: int = 2) -> str:
    """A number rounded half up to `digits` places, trailing zeros dropped, in the reader's notation
    (vi: 1.234,5; en: 1,234.5). None -> an em dash."""
    if value is None:
        return "—"
    d = Decimal(str(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    text = f"{d:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    if lang == "vi":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def kpi_value(code: str, value: Any, lang: str) -> str:
    if value is None:
        return "—"
    if kpi_type(code) == "rate":
        return f"{num(Decimal(str(value)) * 100, lang, 1)} %"
    return num(value, lang, 2)


def band(code: str | None, lang: str) -> str:
    return BANDS[lang].get(code or "pending", code or "")


def group(code: str | None, lang: str) -> str:
    return GROUPS[lang].get(code or "unknown", code or "")


def pending_reasons(codes: str | None, lang: str, settings: dict[str, Decimal]) -> list[str]:
    """Each comma-separated reason code in words (an unknown code is shown as it is)."""
    values = {"min_cases": num(settings.get("min_cases"), lang, 0),
              "quarter_min": num(settings.get("quarter_min_scored_months"), lang, 0),
              "year_min": num(settings.get("year_min_scored_months"), lang, 0)}
    out = []
    for code in (c.strip() for c in (codes or "").split(",")):
        if code:
            out.append(PENDING[lang].get(code, code).format(**values))
    return out


def not_scored(reason: str | None, lang: str, settings: dict[str, Decimal]) -> str:
    if not reason:
        return ""
    return NOT_SCORED[lang].get(reason, reason).format(min_cases=num(settings.get("min_cases"), lang, 0))


def band_rule(officer: dict[str, Any], grp: dict[str, Any] | None, settings: dict[str, Decimal], lang: str) -> str:
    """One sentence: why the officer has this band after the quota."""
    before, after = officer.get("band_before_quota") or "pending", officer.get("band") or "pending"
    total, rank = officer.get("total_points"), officer.get("rank_in_group")
    n = lambda v, d=2: num(v, lang, d)  # noqa: E731 - a local shorthand
    if before == "pending":
        reasons = pending_reasons(officer.get("pending_reasons"), lang, settings)
        if lang == "vi":
            return "Chưa xếp loại vì chưa đủ dữ liệu: " + ("; ".join(reasons) or "thiếu số liệu") + "."
        return "Not banded yet, for lack of data: " + ("; ".join(reasons) or "figures missing") + "."
    if before != "excellent":
        lo, hi = {"good": (settings["band_good_min"], settings["band_excellent_min"]),
                  "pass": (settings["band_pass_min"], settings["band_good_min"]),
                  "fail": (None, settings["band_pass_min"])}[before]
        if lang == "vi":
            span = f"từ {n(lo)} đến dưới {n(hi)}" if lo is not None else f"dưới {n(hi)}"
            return (f"Tổng điểm {n(total)} nằm trong khoảng {span} nên được xếp loại {band(after, lang)}; "
                    "hạn mức chỉ giới hạn số người giữ mức xuất sắc nên không làm thay đổi xếp loại này.")
        span = f"from {n(lo)} to below {n(hi)}" if lo is not None else f"below {n(hi)}"
        return (f"A total of {n(total)} lies {span}, hence {band(after, lang)}; the quota only limits how many "
                "keep the excellent band, so it does not change this one.")
    ratio = settings["quota_ratio"]
    if grp is not None:
        eg = int(grp.get("excellent_before") or 0) + int(grp.get("good_before") or 0)
        k = grp.get("quota_k")
        if lang == "vi":
            head = (f"Ở nhóm này có {eg} công chức được xếp loại xuất sắc hoặc tốt; tối đa {k} người giữ mức xuất sắc "
                    f"(số xuất sắc không vượt quá {n(ratio * 100, 1)} % số xếp loại tốt: "
                    f"⌊{n(ratio)} × {eg} ÷ {n(1 + ratio)}⌋ = {k})")
        else:
            head = (f"In this group {eg} civil servants are rated excellent or good; at most {k} keep the excellent band "
                    f"(the excellent may not exceed {n(ratio * 100, 1)} % of the good: "
                    f"⌊{n(ratio)} × {eg} ÷ {n(1 + ratio)}⌋ = {k})")
    else:
        head = ("Hạn mức xuất sắc được áp dụng trong nhóm" if lang == "vi"
                else "The excellence quota applies within the group")
    where = (f"xếp thứ {rank}" if rank is not None else "có thứ hạng chưa công bố") if lang == "vi" else \
        (f"rank {rank}" if rank is not None else "an unpublished rank")
    if officer.get("quota_tie"):
        if lang == "vi":
            return (f"{head}; ông/bà {where}, bằng điểm với người khác ở ranh giới và những người bằng điểm không thể "
                    f"cùng giữ mức nên đều được xếp {band(after, lang)}.")
        return (f"{head}; you are at {where}, tied at the cut with others who cannot all stay, so all of you are "
                f"rated {band(after, lang)}.")
    if officer.get("quota_demoted"):
        if lang == "vi":
            return f"{head}; ông/bà {where} nên được xếp {band(after, lang)}."
        return f"{head}; you are at {where}, hence {band(after, lang)}."
    if lang == "vi":
        return f"{head}; ông/bà {where} nên giữ mức {band(after, lang)}."
    return f"{head}; you are at {where}, so you keep {band(after, lang)}."
