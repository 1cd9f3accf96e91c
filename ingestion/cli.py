"""motcua-ingest: migrate the raw layer, create the topic, load events, reconcile.

Examples:
  motcua-ingest migrate                      # pending migrations only (--reapply: all, to repair)
  motcua-ingest topic --partitions 12
  motcua-ingest consume --bounded            # catch up to the end offsets seen at start, exit
  motcua-ingest consume                      # continuous; stops cleanly on SIGTERM / Ctrl-C
  motcua-ingest reconcile                    # exit 1 unless produced = loaded + redeliveries + quarantined
"""
from __future__ import annotations

import argparse
import logging
import sys
from datetime import timedelta

from ingestion import db
from ingestion.migrations import MigrationError
from ingestion.settings import KafkaSettings


def _settings(args) -> KafkaSettings:
    base = KafkaSettings.from_env()
    return KafkaSettings(
        bootstrap_servers=args.bootstrap_servers or base.bootstrap_servers,
        topic=args.topic or base.topic,
        consumer_group=getattr(args, "group", None) or base.consumer_group,
    )


def cmd_migrate(args) -> int:
    try:
        applied = db.migrate(reapply=args.reapply)
    except MigrationError as exc:
        print(f"migrate: {exc}", file=sys.stderr)
        return 2
    for name in applied:
        print(f"applied {name}")
    if not applied:
        print("migrations: up to date")
    return 0


def cmd_topic(args) -> int:
    from ingestion.kafka_client import ensure_topic

    s = _settings(args)
    created = ensure_topic(s.bootstrap_servers, s.topic, args.partitions)
    print(f"topic {s.topic}: {'created with %d partitions' % args.partitions if created else 'exists'}")
    return 0


def cmd_consume(args) -> int:
    from ingestion.consumer import BoundedLoadTimeout, RawLoader, install_signal_handlers
    from ingestion.sink import RawSink

    s = _settings(args)
    sink = RawSink(db.conninfo("ingest"), s.consumer_group)
    loader = RawLoader(
        s, sink, max_poll_records=args.batch_size, future_tolerance=timedelta(minutes=args.future_tolerance_minutes)
    )
    install_signal_handlers(loader)
    try:
        stats = loader.run(bounded=args.bounded, max_seconds=args.max_seconds)
    except BoundedLoadTimeout as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    print(stats.summary())
    return 0


def cmd_reconcile(args) -> int:
    from ingestion.kafka_client import make_consumer
    from ingestion.reconcile import format_reports, reconcile

    s = _settings(args)
    consumer = make_consumer(s, group_id=None)
    try:
        with db.connect("ingest") as conn:
            reports = reconcile(conn, consumer, s.topic, s.consumer_group)
    finally:
        consumer.close()
    print(format_reports(reports))
    return 0 if all(r.ok for r in reports) else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="motcua-ingest", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap-servers", help="default: $KAFKA_BOOTSTRAP_SERVERS or 127.0.0.1:19092")
    parser.add_argument("--topic", help="default: $KAFKA_TOPIC or motcua.case-events")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    mig = sub.add_parser("migrate", help="apply the pending migrations of the raw, quality and audit tables")
    mig.add_argument("--reapply", action="store_true",
                     help="re-run every (idempotent) migration: restores grants and indexes, e.g. on a copied database")
    mig.set_defaults(func=cmd_migrate)
    p = sub.add_parser("topic", help="create the topic if missing")
    p.add_argument("--partitions", type=int, default=12)
    p.set_defaults(func=cmd_topic)
    p = sub.add_parser("consume", help="load events into raw.case_events")
    p.add_argument("--bounded", action="store_true", help="stop at the end offsets seen at start")
    p.add_argument("--max-seconds", type=float, help="bounded mode: fail if not done by then")
    p.add_argument("--batch-size", type=int, default=5000, help="max records per transaction")
    p.add_argument("--group", help="consumer group (default: $KAFKA_CONSUMER_GROUP or motcua-raw-loader)")
    p.add_argument("--future-tolerance-minutes", type=int, default=60,
                   help="occurred_at further in the future than this is quarantined")
    p.set_defaults(func=cmd_consume)
    p = sub.add_parser("reconcile", help="check produced = loaded + redeliveries + quarantined")
    p.add_argument("--group", help="consumer group whose positions to check")
    p.set_defaults(func=cmd_reconcile)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("kafka").setLevel(logging.WARNING)
    from ingestion.kafka_client import KafkaConfigError

    try:
        return args.func(args)
    except (db.DatabaseConfigError, KafkaConfigError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
