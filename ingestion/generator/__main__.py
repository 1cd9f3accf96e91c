"""CLI: generate a deterministic event stream and produce it to Kafka (or a file).

  python -m ingestion.generator --seed 42 --start 2026-01-05 --days 30 --cases-per-day 200 \
      [--duplicates 0.02 --out-of-order 0.01 --late 0.02 --malformed 0.01 --huge 0.0001] \
      [--fault wrong_type=0.005 ...] [--agencies SKHDT,STP] \
      [--night 2026-01-07 | --through 2026-01-20] [--limit N] \
      [--topic T] [--bootstrap-servers HOST:PORT] [--partitions 12] \
      [--dry-run [--out file.jsonl]]

Prints a JSON summary (counts by label, distinct valid events, rate) on stdout; progress on
stderr. Topic and bootstrap default to KAFKA_TOPIC / KAFKA_BOOTSTRAP_SERVERS.
"""
from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from datetime import date

from ingestion.generator.background import generate_in_background
from ingestion.generator.dump import write_jsonl
from ingestion.generator.faults import FaultConfigError, FaultRates
from ingestion.generator.message import Manifest
from ingestion.generator.stream import GeneratorConfig, GeneratorConfigError, generate, select_nights
from ingestion.generator.world import UnknownAgencyError, select_agencies
from ingestion.settings import KafkaSettings


def _parse_fault(text: str) -> tuple[str, float]:
    name, sep, rate = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected NAME=RATE, got {text!r}")
    return name.strip(), float(rate)


def build_parser() -> argparse.ArgumentParser:
    settings = KafkaSettings.from_env()
    p = argparse.ArgumentParser(prog="python -m ingestion.generator", description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--start", type=date.fromisoformat, default=date(2026, 1, 5), help="first day (YYYY-MM-DD)")
    p.add_argument("--days", type=int, default=30, help="calendar days simulated")
    p.add_argument("--cases-per-day", type=int, default=200, help="new cases per working day, all agencies together")
    p.add_argument("--agencies", default="", help="comma-separated agency codes (default: all)")
    p.add_argument("--duplicates", type=float, default=0.0, help="redelivery rate per event")
    p.add_argument("--out-of-order", type=float, default=0.0, help="share of cases whose receipt arrives last")
    p.add_argument("--late", type=float, default=0.0, help="share of events delivered 1-14 nights late")
    p.add_argument("--conflicts", type=float, default=None, help="event_id reused with other content")
    p.add_argument("--malformed", type=float, default=0.0,
                   help="total rate of producer bugs, spread evenly over the classes in faults.MALFORMED_SPREAD")
    p.add_argument("--huge", type=float, default=0.0, help="rate of > 1 MB copies (too_large)")
    p.add_argument("--fault", type=_parse_fault, action="append", default=[], metavar="NAME=RATE",
                   help="set one fault class rate (wins over --malformed)")
    p.add_argument("--night", type=date.fromisoformat, help="only messages arriving on this night")
    p.add_argument("--through", type=date.fromisoformat, help="only messages arriving up to this night")
    p.add_argument("--limit", type=int, help="stop after N messages")
    p.add_argument("--topic", default=settings.topic)
    p.add_argument("--bootstrap-servers", default=settings.bootstrap_servers)
    p.add_argument("--partitions", type=int, default=12, help="partitions when the topic must be created")
    p.add_argument("--dry-run", action="store_true", help="do not touch Kafka")
    p.add_argument("--out", help="also write the messages as JSON Lines (see dump.py)")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("--no-background", action="store_true", help="generate in the producing process")
    return p


def config_from_args(args: argparse.Namespace) -> GeneratorConfig:
    rates = dict(duplicate=args.duplicates, out_of_order=args.out_of_order, late=args.late, too_large=args.huge)
    if args.conflicts is not None:
        rates["conflict"] = args.conflicts
    rates.update(dict(args.fault))
    agencies = tuple(code.strip() for code in args.agencies.split(",") if code.strip())
    select_agencies(agencies)  # fail now, not inside the background process
    return GeneratorConfig(seed=args.seed, start_date=args.start, days=args.days, cases_per_day=args.cases_per_day,
                           faults=FaultRates.build(args.malformed, **rates), agencies=agencies)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.night and args.through:
        parser.error("--night and --through are exclusive")
    try:
        config = config_from_args(args)
    except (FaultConfigError, GeneratorConfigError, UnknownAgencyError, ValueError) as exc:
        parser.error(str(exc))
    log = (lambda line: None) if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    if config.end_date > date.today():
        log(f"warning: the window ends {config.end_date}, after today: a loader rejects future timestamps")
    messages = None
    try:
        if args.dry_run or args.no_background:
            messages = select_nights(generate(config), night=args.night, through=args.through)
        else:  # generation in a second process, overlapping with kafka-python's send()
            messages = generate_in_background(config, night=args.night, through=args.through)
        manifest = Manifest()
        stream = manifest.track(itertools.islice(messages, args.limit))
        if args.out:
            stream = write_jsonl(stream, args.out)
        started = time.perf_counter()
        if args.dry_run:
            for _ in stream:
                pass
            seconds = time.perf_counter() - started
        else:
            from ingestion.generator.produce import make_producer, produce
            from ingestion.generator.topic import ensure_topic

            if ensure_topic(args.bootstrap_servers, args.topic, args.partitions):
                log(f"created topic {args.topic} with {args.partitions} partitions")
            producer = make_producer(args.bootstrap_servers)
            try:
                seconds = produce(stream, producer, args.topic, log=log).seconds
            finally:
                producer.close()
    finally:
        if messages is not None:
            messages.close()  # stops the background process when --limit cut the stream short
    summary = {"topic": None if args.dry_run else args.topic, "messages": manifest.total,
               "distinct_valid": manifest.distinct_valid, "by_label": manifest.as_dict(),
               "expected_quarantine": manifest.rejected, "seconds": round(seconds, 2),
               "messages_per_second": round(manifest.total / seconds) if seconds else None}
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
