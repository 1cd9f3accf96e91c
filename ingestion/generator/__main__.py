"""CLI: generate a deterministic event stream and produce it to Kafka (or a file).

  python -m ingestion.generator --seed 42 --start 2026-01-05 --days 30 --cases-per-day 200 \
      [--duplicates 0.02 --out-of-order 0.01 --late 0.02 --malformed 0.01 --huge 0.0001] \
      [--fault wrong_type=0.005 ...] [--agencies SKHDT,STP] \
      [--night 2026-01-07 | --through 2026-01-20] [--limit N] \
      [--topic T] [--staff-topic T | --no-staff] [--staff-malformed 0.05] \
      [--bootstrap-servers HOST:PORT] [--partitions 12] [--dry-run [--out file.jsonl]]

By default the staff topic's events come too (positions of every officer, transfers,
assessments, exemptions: see staff.py), produced to the staff topic; --no-staff leaves them out.
Prints a JSON summary (counts by label, distinct valid events, rate; the staff topic's under
"staff") on stdout; progress on stderr. Topics and bootstrap default to KAFKA_TOPIC,
KAFKA_STAFF_TOPIC and KAFKA_BOOTSTRAP_SERVERS.

SIGINT/SIGTERM stop it cleanly: what was sent is flushed, the summary says "stopped", exit 2.
Exit status: 0 done; 2 bad usage, Kafka unreachable, delivery failed or stopped early.
"""
from __future__ import annotations

import argparse
import itertools
import json
import signal
import sys
import threading
import time
from datetime import date

from ingestion.generator.background import BackgroundGeneratorError, generate_in_background
from ingestion.generator.dump import write_jsonl
from ingestion.generator.faults import FaultConfigError, FaultRates
from ingestion.generator.message import Manifest
from ingestion.generator.produce import ProduceError
from ingestion.generator.stream import GeneratorConfig, GeneratorConfigError, generate, select_nights
from ingestion.generator.world import UnknownAgencyError, select_agencies
from ingestion.topics import STAFF
from motcua.settings import KafkaSettings
from motcua import args as types
from motcua.errors import PermanentError, Stopped, TransientError, report, run_command

PROG = "python -m ingestion.generator"


def _parse_fault(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=RATE, got {text!r}")
    return name.strip(), types.rate(value)


def build_parser() -> argparse.ArgumentParser:
    settings = KafkaSettings.from_env()
    p = types.Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=types.non_negative_int, default=42,
                   help="random seed: the same seed and options give the same messages")
    p.add_argument("--start", type=types.iso_date, default=date(2026, 1, 5), help="first day (YYYY-MM-DD)")
    p.add_argument("--days", type=types.positive_int, default=30, help="calendar days simulated")
    p.add_argument("--cases-per-day", type=types.non_negative_int, default=200,
                   help="new cases per working day, all agencies together")
    p.add_argument("--agencies", default="", help="comma-separated agency codes (default: all)")
    p.add_argument("--duplicates", type=types.rate, default=0.0, help="redelivery rate per event")
    p.add_argument("--out-of-order", type=types.rate, default=0.0, help="share of cases whose receipt arrives last")
    p.add_argument("--late", type=types.rate, default=0.0, help="share of events delivered 1-14 nights late")
    p.add_argument("--conflicts", type=types.rate, default=None,
                   help="event_id reused with other content (default: the fault class's own rate)")
    p.add_argument("--malformed", type=types.rate, default=0.0,
                   help="total rate of producer bugs, spread evenly over the classes in faults.MALFORMED_SPREAD")
    p.add_argument("--huge", type=types.rate, default=0.0, help="rate of > 1 MB copies (too_large)")
    p.add_argument("--fault", type=_parse_fault, action="append", default=[], metavar="NAME=RATE",
                   help="set one fault class rate (wins over --malformed); repeatable (default: none)")
    p.add_argument("--night", type=types.iso_date, help="only messages arriving on this night, YYYY-MM-DD (default: every night)")
    p.add_argument("--through", type=types.iso_date, help="only messages arriving up to this night, YYYY-MM-DD (default: every night)")
    p.add_argument("--limit", type=types.positive_int, help="stop after N messages (default: all)")
    p.add_argument("--topic", type=types.kafka_name, default=settings.topic or None,
                   help="Kafka topic (default: $KAFKA_TOPIC, now %(default)s)")
    p.add_argument("--staff-topic", type=types.kafka_name, default=STAFF.topic(),
                   help="Kafka topic of the staff events (default: $KAFKA_STAFF_TOPIC or motcua.staff-events)")
    p.add_argument("--no-staff", action="store_true",
                   help="case events only (default: the staff topic's events too)")
    p.add_argument("--staff-malformed", type=types.rate, default=0.0,
                   help="per staff event, the chance of one broken copy; the staff contract's 15 malformed "
                        "classes are used in turn, each at least once when RATE > 0 (default: 0)")
    p.add_argument("--bootstrap-servers", type=types.bootstrap_servers, default=settings.bootstrap_servers or None,
                   help="Kafka HOST:PORT[,…] (default: $KAFKA_BOOTSTRAP_SERVERS, now %(default)s)")
    p.add_argument("--partitions", type=types.positive_int, default=12, help="partitions when the topic must be created")
    p.add_argument("--connect-timeout", type=types.positive_float, metavar="SECONDS", default=None,
                   help="wait this long for a first broker answer (default: $KAFKA_CONNECT_TIMEOUT_SECONDS or 5)")
    p.add_argument("--dry-run", action="store_true", help="do not touch Kafka")
    p.add_argument("--out", type=types.non_empty, help="also write the messages as JSON Lines to this file (see dump.py; default: none)")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("--no-background", action="store_true",
                   help="generate in the producing process (default: a second process generates)")
    return p


def config_from_args(args: argparse.Namespace) -> GeneratorConfig:
    rates = dict(duplicate=args.duplicates, out_of_order=args.out_of_order, late=args.late, too_large=args.huge)
    if args.conflicts is not None:
        rates["conflict"] = args.conflicts
    rates.update(dict(args.fault))
    agencies = tuple(code.strip() for code in args.agencies.split(",") if code.strip())
    select_agencies(agencies)  # fail now, not inside the background process
    return GeneratorConfig(seed=args.seed, start_date=args.start, days=args.days, cases_per_day=args.cases_per_day,
                           faults=FaultRates.build(args.malformed, **rates), agencies=agencies,
                           staff=not args.no_staff, staff_malformed=args.staff_malformed)


class _StopFlag:
    """Set by SIGINT/SIGTERM; the message stream ends at the next message and what was sent is flushed."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signal: str | None = None

    def __call__(self, signum: int, _frame) -> None:
        if self.event.is_set():  # a second signal: do not wait for the flush
            raise KeyboardInterrupt
        self.signal = signal.Signals(signum).name
        self.event.set()

    def install(self) -> None:
        signal.signal(signal.SIGINT, self)
        signal.signal(signal.SIGTERM, self)

    def until_stopped(self, stream):
        for message in stream:
            if self.event.is_set():
                return
            yield message


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.night and args.through:
        parser.error("--night and --through are exclusive")
    if not args.dry_run and (args.topic is None or args.bootstrap_servers is None):
        parser.error("--topic and --bootstrap-servers must not be empty (or set KAFKA_TOPIC / KAFKA_BOOTSTRAP_SERVERS)")
    try:
        config = config_from_args(args)
    except (FaultConfigError, GeneratorConfigError, UnknownAgencyError, ValueError) as exc:
        parser.error(str(exc))
    if args.connect_timeout:
        import os

        os.environ["KAFKA_CONNECT_TIMEOUT_SECONDS"] = str(args.connect_timeout)
    return run_command(PROG, lambda: _run(args, config))


def _run(args: argparse.Namespace, config: GeneratorConfig) -> int:
    log = (lambda line: None) if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    if config.end_date > date.today():
        log(f"warning: the window ends {config.end_date}, after today: a loader rejects future timestamps")
    stop = _StopFlag()
    stop.install()
    messages = None
    producer = None
    manifest = Manifest()
    started = time.perf_counter()
    try:
        if not args.dry_run:
            # Connect before generating anything: an unreachable broker is one line within seconds.
            from ingestion.generator.produce import make_producer, produce
            from ingestion.kafka_client import connect, connect_timeout_seconds, ensure_topic

            if ensure_topic(args.bootstrap_servers, args.topic, args.partitions):
                log(f"created topic {args.topic} with {args.partitions} partitions")
            if config.staff and ensure_topic(args.bootstrap_servers, args.staff_topic, args.partitions, STAFF.group()):
                log(f"created topic {args.staff_topic} with {args.partitions} partitions")
            producer = connect(args.bootstrap_servers, lambda: make_producer(
                args.bootstrap_servers, bootstrap_timeout_ms=int(connect_timeout_seconds() * 1000)))
        if args.dry_run or args.no_background:
            messages = select_nights(generate(config), night=args.night, through=args.through)
        else:  # generation in a second process, overlapping with kafka-python's send()
            messages = generate_in_background(config, night=args.night, through=args.through)
        stream = manifest.track(stop.until_stopped(itertools.islice(messages, args.limit)))
        if args.out:
            stream = write_jsonl(stream, args.out)
        started = time.perf_counter()
        if args.dry_run:
            for _ in stream:
                pass
            seconds = time.perf_counter() - started
        else:
            try:
                seconds = produce(stream, producer, args.topic, log=log,
                                  staff_topic=args.staff_topic if config.staff else None).seconds
            except ProduceError as exc:
                raise TransientError(str(exc), hint="check the broker ('make status') and run it again") from None
    except BackgroundGeneratorError as exc:
        raise PermanentError(f"the generator process failed: {exc}", hint="a bug: rerun with --no-background "
                                                                         "and MOTCUA_DEBUG=1 for the traceback") from None
    finally:
        if messages is not None:
            messages.close()  # stops the background process when --limit (or a signal) cut the stream short
        if producer is not None:
            producer.close(timeout=10)
    summary = {"topic": None if args.dry_run else args.topic, "messages": manifest.total,
               "distinct_valid": manifest.distinct_valid, "by_label": manifest.as_dict(),
               "expected_quarantine": manifest.rejected, "seconds": round(seconds, 2),
               "messages_per_second": round(manifest.total / seconds) if seconds else None,
               "stopped": stop.signal}
    if config.staff:
        summary["staff"] = {"topic": None if args.dry_run else args.staff_topic, "messages": manifest.staff_total,
                            "distinct_valid": manifest.staff_distinct_valid,
                            "by_label": dict(sorted(manifest.staff_counts.items())),
                            "expected_quarantine": manifest.staff_rejected}
    print(json.dumps(summary, ensure_ascii=False), flush=True)
    if stop.signal:
        return report(PROG, Stopped(f"stopped by {stop.signal} after {manifest.total} messages (all delivered)",
                                    hint="the summary above counts what was sent (a rerun sends the whole stream again; the loader stores repeats as redeliveries)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
