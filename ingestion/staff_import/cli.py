"""motcua staff: managers' assessments from a spreadsheet to the staff topic.

  motcua staff import FILE.xlsx|FILE.csv [--skip-invalid] [--dry-run] [--recorded-at INSTANT]
  motcua staff template [--format xlsx|csv] [--date YYYY-MM-DD] OUT

import checks every row (contract, criteria catalogue, duplicates) and prints each bad row as
`row N: reason; reason` on stderr. Nothing is sent when a row is bad, unless --skip-invalid (the
valid rows are sent, the bad ones still reported, exit 1). The valid rows become officer.assessed
events on the staff topic, with ids derived from their content: importing the same file again
redelivers the same events. --dry-run prints the events as JSON lines and sends nothing.

Exit status: 0 every row sent (or printed); 1 bad rows (or no rows); 2 bad usage, unreadable file
or catalogue, Kafka unreachable.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ingestion.kafka_client import quiet_kafka_logs
from motcua.settings import KafkaSettings
from ingestion.staff_import import catalogue as cat
from ingestion.staff_import.columns import read_header
from ingestion.staff_import.events import DEFAULT_SOURCE, LOCAL, build_event, encode, occurred_at
from ingestion.staff_import.rows import Assessment, Rejected, RowChecker, reject_duplicates, text_of
from ingestion.staff_import.sheet import FORMATS, read_sheet
from ingestion.staff_import.template import write_csv, write_xlsx
from motcua import args as types
from motcua.errors import EXIT_OK, EXIT_PROBLEM, PermanentError, run_command

PROG = "motcua staff"
DEFAULT_TOPIC = "motcua.staff-events"
# a saved time this far ahead of the clock is a wrong clock, not a time zone rounding
FUTURE_TOLERANCE = timedelta(minutes=5)


def source_name(text: str) -> str:
    """The events' source: the contract allows at most 128 characters."""
    text = types.non_empty(text)
    if len(text) > 128:
        raise argparse.ArgumentTypeError(f"at most 128 characters, got {len(text)}")
    return text


def staff_topic() -> str:
    return types.env_value("KAFKA_STAFF_TOPIC", DEFAULT_TOPIC, types.kafka_name)


def build_parser() -> argparse.ArgumentParser:
    p = types.Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True, metavar="{import,template}")

    imp = sub.add_parser("import", help="check a sheet of assessments and send its rows to the staff topic",
                         description=__doc__.split("\n\n")[2], formatter_class=types.HelpFormatter)
    imp.add_argument("file", type=Path, help="the sheet: .xlsx (its worksheet 'Đánh giá', else the first) or .csv (UTF-8)")
    imp.add_argument("--skip-invalid", action="store_true",
                     help="send the valid rows even when some are bad (the bad ones are reported; exit 1)")
    imp.add_argument("--dry-run", action="store_true", help="check and print the events as JSON lines; send nothing")
    imp.add_argument("--recorded-at", type=types.aware_instant, metavar="INSTANT",
                     help="when the assessments were recorded, e.g. 2026-04-03T10:00+07:00 (default: when the file "
                          "was last saved: the workbook's own time for .xlsx, the file's modification time for .csv)")
    imp.add_argument("--source", type=source_name, default=DEFAULT_SOURCE, help="the events' source field")
    imp.add_argument("--topic", type=types.kafka_name,
                     help=f"the staff topic (default: $KAFKA_STAFF_TOPIC or {DEFAULT_TOPIC})")
    imp.add_argument("--bootstrap-servers", type=types.bootstrap_servers,
                     help="Kafka HOST:PORT[,…] (default: $KAFKA_BOOTSTRAP_SERVERS)")
    imp.add_argument("--connect-timeout", type=types.positive_float, metavar="SECONDS",
                     help="wait this long for a first broker answer (default: $KAFKA_CONNECT_TIMEOUT_SECONDS or 5)")
    imp.add_argument("--kpi-models", type=Path, default=cat.KPI_MODELS,
                     help="folder of eval_criteria.csv and agencies.csv")
    imp.set_defaults(func=cmd_import)

    tpl = sub.add_parser("template", help="write the blank assessment sheet for the criteria catalogue",
                         description="write the blank assessment sheet (Vietnamese headers) generated from the "
                                     "criteria catalogue in force on a date", formatter_class=types.HelpFormatter)
    tpl.add_argument("out", type=Path, help="the file written (created or replaced)")
    tpl.add_argument("--format", choices=FORMATS,
                     help="xlsx or csv (default: from OUT's extension, else xlsx)")
    tpl.add_argument("--date", type=types.iso_date, help="the catalogue in force on this date (default: today)")
    tpl.add_argument("--kpi-models", type=Path, default=cat.KPI_MODELS, help="folder of eval_criteria.csv")
    tpl.set_defaults(func=cmd_template)
    return p


def _recorded_at(args: argparse.Namespace, saved_at: datetime | None) -> datetime:
    when = args.recorded_at or saved_at
    assert when is not None   # read_sheet falls back to the file's modification time
    if when > datetime.now(timezone.utc) + FUTURE_TOLERANCE:
        origin = "--recorded-at" if args.recorded_at else "the file's saved time"
        raise PermanentError(f"{origin} {when.isoformat()} is in the future",
                             hint="check the computer's clock, or pass --recorded-at")
    return when


@dataclass
class Checked:
    valid: list[Assessment]
    rejected: list[Rejected]   # the header's problems, or the bad rows
    recorded: datetime
    rows: int = 0              # data rows (blank rows left out)
    header_ok: bool = True


def check_file(args: argparse.Namespace) -> Checked:
    catalogue = cat.load_catalogue(args.kpi_models / cat.CRITERIA_FILE)
    agencies = cat.load_agencies(args.kpi_models / cat.AGENCIES_FILE)
    sheet = read_sheet(args.file)
    recorded = _recorded_at(args, sheet.saved_at)
    if not sheet.rows:
        return Checked([], [Rejected(1, ("the sheet is empty (no header row)",))], recorded, header_ok=False)
    (header_row, header), data = sheet.rows[0], sheet.rows[1:]
    layout = read_header([text_of(c) for c in header], catalogue)
    if layout.problems:
        return Checked([], [Rejected(header_row, tuple(layout.problems))], recorded, len(data), header_ok=False)
    checker = RowChecker(layout, catalogue, agencies, recorded.astimezone(LOCAL).date())
    results = reject_duplicates([checker.check(number, cells) for number, cells in data])
    return Checked([r for r in results if isinstance(r, Assessment)],
                   [r for r in results if isinstance(r, Rejected)], recorded, len(data))


def _outcome(checked: Checked, sent: int, dry_run: bool) -> str:
    verb = "printed" if dry_run else "sent"
    if not checked.header_ok:
        return f"the header row is invalid (listed above); nothing was {verb}; correct it and import the file again"
    bad = f"{len(checked.rejected)} of {checked.rows} rows are invalid (listed above)"
    if sent:
        return f"{bad}; the {sent} valid row{'s were' if sent > 1 else ' was'} {verb}"
    retry = " (or --skip-invalid to send the valid rows)" if checked.valid else ""
    return f"{bad}; nothing was {verb}; correct them and import the file again{retry}"


def cmd_import(args: argparse.Namespace) -> int:
    checked = check_file(args)
    for r in checked.rejected:
        print(r.line(), file=sys.stderr)
    if checked.header_ok and checked.rows == 0:
        print(f"{PROG}: {args.file} has a header but no assessment rows; fill the sheet and import it again",
              file=sys.stderr)
        return EXIT_PROBLEM
    send = checked.valid if (not checked.rejected or args.skip_invalid) else []
    when = occurred_at(checked.recorded)
    events = [build_event(a, when, args.source) for a in send]
    if args.dry_run:
        for event in events:
            sys.stdout.buffer.write(encode(event) + b"\n")
        sys.stdout.flush()
    else:
        topic = args.topic or staff_topic()
        bootstrap = args.bootstrap_servers or types.env_value(
            "KAFKA_BOOTSTRAP_SERVERS", KafkaSettings.from_env().bootstrap_servers, types.bootstrap_servers)
        sent = 0
        if events:
            from ingestion.staff_import.send import send_events

            sent = send_events(bootstrap, topic, events)
        print(json.dumps({"file": str(args.file), "rows": checked.rows, "valid": len(checked.valid),
                          "invalid": checked.rows - len(checked.valid), "sent": sent, "topic": topic,
                          "occurred_at": when}, ensure_ascii=False), flush=True)
    if checked.rejected:
        print(f"{PROG}: {_outcome(checked, len(events), args.dry_run)}", file=sys.stderr)
        return EXIT_PROBLEM
    return EXIT_OK


def cmd_template(args: argparse.Namespace) -> int:
    fmt = args.format or (args.out.suffix.lower().lstrip(".") if args.out.suffix.lower() in (".csv", ".xlsx") else "xlsx")
    catalogue = cat.load_catalogue(args.kpi_models / cat.CRITERIA_FILE)
    day = args.date or datetime.now(LOCAL).date()
    version = catalogue.in_force(day)
    if version is None:
        raise PermanentError(f"no criteria catalogue in force on {day} (the first is valid from "
                             f"{catalogue.first_valid_from})", hint="pass --date")
    (write_xlsx if fmt == "xlsx" else write_csv)(version, args.out)
    print(f"{args.out}: {fmt} template, criteria catalogue version {version.version} "
          f"({', '.join(c.code for c in version.criteria)})")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "connect_timeout", None):
        os.environ["KAFKA_CONNECT_TIMEOUT_SECONDS"] = str(args.connect_timeout)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    quiet_kafka_logs()
    return run_command(PROG, lambda: args.func(args))


if __name__ == "__main__":
    sys.exit(main())
