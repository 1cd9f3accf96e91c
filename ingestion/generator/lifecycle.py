"""One case's life, from receipt to rating, timed with the working-time calendar.

Shares (per case, before the generator's horizon cuts events that have not happened yet):
- channel: per procedure (online share, postal share, rest in person);
- receipt always in working time; the appointment (due_at) is the legal deadline, except for
  0.5% of receipts that promise 1-3 working days more than the law allows;
- returned for supplementation: the receiving desk officer's miss propensity (2-12%, ~7% on
  average), +5 points for the one "gaming" handler per agency, who also returns dossiers just
  before the deadline; 5% of returned cases are returned a second time; 12% of returned
  applicants withdraw instead of resubmitting; resubmission 1-9 working days later;
- withdrawn: ~1.3% of cases while being handled (~2% in all with the returned ones);
- completion: the handler's late propensity (x0.5 simple, x1.6 complex procedures) decides
  lateness against the effective deadline (due_at moved by the working time spent waiting for
  the applicant, policy `pause`); 60% of late cases get an apology + new appointment before
  the deadline; refusals per procedure (0.5-10%);
- delivery for 95% of completed cases; a rating (1-5, mostly 4-5, lower when late or refused)
  for 70% of delivered cases; a complaint for 0.4% (3% when late, 2% when refused).
"""
from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from ingestion.generator.people import applicant
from ingestion.generator.world import Agency, Procedure, handlers_for
from workcal import VN_TZ, WorkCalendar

COMPLEXITY_LATE_FACTOR = {"simple": 0.5, "medium": 1.0, "complex": 1.6}
RETURN_REASONS = {
    "missing_document": ("Thiếu bản sao giấy tờ tùy thân của người đại diện theo pháp luật",
                         "Thiếu giấy tờ chứng minh quyền sử dụng đất", "Thiếu văn bản ủy quyền hợp lệ"),
    "incorrect_information": ("Thông tin trong tờ khai không khớp với giấy tờ kèm theo",
                              "Sai thông tin ngày sinh của người yêu cầu"),
    "wrong_form": ("Sử dụng mẫu tờ khai cũ, không đúng mẫu quy định hiện hành", "Tờ khai chưa ký, ghi rõ họ tên"),
    "other": ("Cần bổ sung ý kiến của cơ quan có liên quan", "Chưa nộp phí, lệ phí theo quy định"),
}
RETURN_WEIGHTS = (0.5, 0.25, 0.15, 0.1)
EXTENSION_TEXTS = ("Hồ sơ cần xác minh thêm với cơ quan có liên quan", "Chờ kết quả thẩm định thực địa",
                   "Sự cố phần mềm chuyên ngành, xin lỗi ông/bà vì sự chậm trễ")
REFUSAL_TEXTS = ("Hồ sơ không đủ điều kiện theo quy định", "Tên doanh nghiệp trùng với tên đã đăng ký",
                 "Thửa đất đang có tranh chấp, chưa đủ điều kiện giải quyết")
COMMENTS_GOOD = ("Cán bộ hướng dẫn nhiệt tình", "Giải quyết nhanh, đúng hẹn", "Thủ tục rõ ràng, dễ hiểu")
COMMENTS_BAD = ("Phải chờ đợi lâu", "Trễ hẹn so với giấy hẹn", "Hướng dẫn chưa rõ, phải đi lại nhiều lần")
COMPLAINT_TEXTS = {
    "attitude": "Cán bộ tiếp nhận thiếu niềm nở", "process": "Yêu cầu nộp giấy tờ không có trong quy định",
    "guidance": "Không được hướng dẫn đầy đủ ngay từ đầu", "delay": "Quá hạn trên giấy hẹn mà chưa có kết quả",
    "other": "Đề nghị bố trí thêm chỗ ngồi chờ",
}
SCORES = (5, 4, 3, 2, 1)
SCORE_WEIGHTS_GOOD = tuple(itertools.accumulate((0.64, 0.24, 0.07, 0.03, 0.02)))  # cumulative
SCORE_WEIGHTS_BAD = tuple(itertools.accumulate((0.25, 0.30, 0.20, 0.13, 0.12)))
_MINUTE = 60_000_000  # one minute on the calendar's working-time axis (microseconds)


@dataclass(slots=True)
class SimEvent:
    occurred_at: datetime  # aware, Asia/Ho_Chi_Minh
    event_type: str
    officer_id: str | None
    data: dict | None
    event_id: str


_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID4_SET = (4 << 76) | (0x8000 << 48)


def new_event_id(rng: random.Random) -> str:
    """A version-4 UUID from the seeded RNG (same bits as uuid.UUID(int=..., version=4))."""
    h = f"{(rng.getrandbits(128) & _UUID4_CLEAR) | _UUID4_SET:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def iso(instant: datetime) -> str:
    return instant.isoformat(timespec="seconds")


def receipt_instant(rng: random.Random, cal: WorkCalendar, day: date) -> datetime:
    """A uniformly random second of the office hours of `day` (assumed a working day)."""
    offset = rng.randrange(int(cal.daily_minutes * 60))
    for start, end in cal.office_hours:
        length = (end.hour - start.hour) * 3600 + (end.minute - start.minute) * 60
        if offset < length:
            return datetime.combine(day, start, tzinfo=VN_TZ) + timedelta(seconds=offset)
        offset -= length
    raise AssertionError("offset beyond office hours")  # unreachable: offset < daily seconds


def _leisure_time(rng: random.Random, after: datetime, max_days: int) -> datetime:
    """When an applicant acts from home (rating, complaint): 07:00-22:00, any day."""
    day = after.date() + timedelta(days=rng.randint(0, max_days))
    candidate = datetime.combine(day, time(rng.randint(7, 21), rng.randint(0, 59), rng.randint(0, 59)), tzinfo=VN_TZ)
    return candidate if candidate > after else after + timedelta(minutes=rng.randint(2, 180))


def simulate_case(
    rng: random.Random, cal: WorkCalendar, agency: Agency, proc: Procedure, received_at: datetime
) -> list[SimEvent]:
    """All events of one case in time order (may extend beyond any horizon).

    Office-time arithmetic runs on the calendar's working-time axis (integer microseconds,
    whole minutes here): a position plus N minutes is N working minutes later.
    """
    events: list[SimEvent] = []
    at = cal.instant_at_position
    day_minutes = int(cal.daily_minutes)

    def emit(when: datetime, event_type: str, officer_id: str | None, data: dict | None = None) -> None:
        events.append(SimEvent(when, event_type, officer_id, data, new_event_id(rng)))

    def minutes(amount: float) -> int:
        """A working duration in whole minutes (at least one), as axis microseconds."""
        return max(_MINUTE, int(amount) // _MINUTE * _MINUTE)

    desk = rng.choice(agency.desks)
    roll = rng.random()
    channel = "online" if roll < proc.online_share else "postal" if roll < proc.online_share + proc.postal_share else "in_person"
    applicant_officer = None if channel == "online" else desk.officer_id
    due_at = cal.add_working_days(received_at, proc.processing_days, cutoff=proc.cutoff)
    if rng.random() < 0.005:  # a receipt promising more than the law allows
        due_at = cal.add_working_days(due_at, rng.choice((1, 2, 3)))
    days = proc.processing_days
    emit(received_at, "case.received", desk.officer_id, {
        "procedure_code": proc.code, "procedure_name": proc.name, "sector_code": proc.sector_code,
        "channel": channel, "processing_days": int(days) if days == int(days) else days,
        "due_at": iso(due_at), "applicant": applicant(rng, received_at.year),
    })
    limit = proc.processing_days * day_minutes * _MINUTE
    due = cal.working_position(due_at)
    handler = rng.choice(handlers_for(agency, proc))
    start = cal.working_position(received_at) + minutes(rng.randint(5, max(10, min(90, int(limit * 0.1 / _MINUTE)))) * _MINUTE)
    emit(at(start), "case.assigned", desk.officer_id,
         {"to_officer_id": handler.officer_id, "department_code": handler.department_code})

    waited = 0  # working time spent waiting for the applicant: the clock is paused
    p_return = desk.miss_propensity + (0.05 if handler.games_returns else 0.0)
    for attempt in range(2):
        if rng.random() >= (p_return if attempt == 0 else 0.05):
            break
        window = due + waited - start
        share = rng.uniform(0.85, 0.98) if handler.games_returns else rng.uniform(0.05, 0.6)
        returned = start + minutes(share * window)
        code = rng.choices(tuple(RETURN_REASONS), RETURN_WEIGHTS)[0]
        emit(at(returned), "case.returned", handler.officer_id,
             {"reason_code": code, "reason_text": rng.choice(RETURN_REASONS[code])})
        if rng.random() < 0.12:  # the applicant gives up
            gave_up = returned + (rng.randint(2, 15) * day_minutes + rng.randrange(day_minutes)) * _MINUTE
            emit(at(gave_up), "case.withdrawn", applicant_officer)
            return events
        resubmitted = returned + (rng.randint(1, 9) * day_minutes + rng.randrange(day_minutes) + 1) * _MINUTE
        emit(at(resubmitted), "case.resubmitted", applicant_officer)
        waited += resubmitted - returned
        start = resubmitted

    effective_due = due + waited
    window = max(_MINUTE, effective_due - start)
    if rng.random() < 0.013:
        emit(at(start + minutes(window * rng.uniform(0.1, 0.9))), "case.withdrawn", applicant_officer)
        return events

    late = rng.random() < handler.late_propensity * COMPLEXITY_LATE_FACTOR[proc.complexity]
    if late:
        lateness = min(3 * limit + 480 * _MINUTE, rng.expovariate(1 / (0.3 * limit + 120 * _MINUTE)))
        completed = effective_due + _MINUTE + minutes(lateness)
        if rng.random() < 0.6:  # apology letter and new appointment, before the deadline
            extended = start + minutes(window * rng.uniform(0.6, 0.95))
            if extended < completed:
                new_due = cal.add_working_days(at(effective_due), rng.choice((1, 2, 3, 5)))
                emit(at(extended), "case.extended", handler.officer_id,
                     {"new_due_at": iso(new_due), "reason_text": rng.choice(EXTENSION_TEXTS)})
    else:
        completed = min(start + minutes(window * rng.triangular(0.15, 1.0, 0.85)), max(effective_due, start + _MINUTE))
    completed_at = at(completed)
    refused = rng.random() < proc.refusal_rate
    completion = {"outcome": "refused", "reason_text": rng.choice(REFUSAL_TEXTS)} if refused else {"outcome": "approved"}
    emit(completed_at, "case.completed", handler.officer_id, completion)

    if rng.random() < (0.03 if late else 0.02 if refused else 0.004):
        category = "delay" if late and rng.random() < 0.7 else rng.choice(tuple(COMPLAINT_TEXTS))
        emit(_leisure_time(rng, completed_at, 10), "case.complained", None,
             {"category": category, "text": COMPLAINT_TEXTS[category]})
    if rng.random() < 0.95:
        wait = rng.randint(1, 30) if channel == "online" else rng.randint(10, 3 * day_minutes)
        delivered_at = at(completed + wait * _MINUTE)
        deliverer = desk if rng.random() < 0.6 else rng.choice(agency.desks)
        emit(delivered_at, "case.delivered", deliverer.officer_id)
        if rng.random() < 0.7:
            unhappy = late or refused
            score = rng.choices(SCORES, cum_weights=SCORE_WEIGHTS_BAD if unhappy else SCORE_WEIGHTS_GOOD)[0]
            rating: dict = {"score": score}
            if rng.random() < 0.2:
                rating["comment"] = rng.choice(COMMENTS_GOOD if score >= 4 else COMMENTS_BAD)
            emit(_leisure_time(rng, delivered_at, 3), "case.rated", None, rating)
    events.sort(key=lambda e: e.occurred_at)
    return events
