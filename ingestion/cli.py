"""motcua ingest: migrate the project's tables, create the topics, load events, reconcile.

Two topics, one loader process each: the case events (--contract case, the default) and the
staff events (--contract staff: positions, assessments, exemptions). `motcua migrate` and
`motcua reconcile` are the same commands at the top level; `motcua-ingest` and
`python -m ingestion.cli` are older names of this one, kept as aliases.

Examples:
  motcua ingest migrate                      # pending migrations only (--reapply: all, to repair)
  motcua ingest topic --partitions 12        # both topics (--contract: only one)
  motcua ingest consume --bounded            # catch up to the end offsets seen at start, exit
  motcua ingest consume --contract staff     # the staff topic; continuous; stops on SIGTERM / Ctrl-C
  motcua ingest consume --all --bounded      # one loader process per topic, in parallel
  motcua ingest consume --processes 2        # two loaders of the case topic in one group (two cores)
  motcua ingest reconcile --all              # exit 1 unless produced = loaded + redeliveries + quarantined

Exit status: 0 done; 1 reconcile found a mismatch; 2 bad usage or configuration, Kafka or
PostgreSQL unreachable, --max-seconds reached, or a bounded load stopped by SIGINT/SIGTERM.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import timedelta

from ingestion.kafka_client import quiet_kafka_logs
from ingestion.topics import CASE, CONTRACTS, TopicContract
from motcua import args as types
from motcua import db
from motcua.errors import PermanentError, TransientError, report, run_command
from motcua.migrations import MigrationError
from motcua.settings import KafkaSettings

PROG = "motcua-ingest"


def _contract(args) -> TopicContract:
    return CONTRACTS[getattr(args, "contract", None) or "case"]


def _settings(args, contract: TopicContract | None = None) -> KafkaSettings:
    """Options win over the environment; both are checked (an empty KAFKA_TOPIC is an error, not a default).

    The contract picks the topic's and the group's variables (KAFKA_TOPIC / KAFKA_CONSUMER_GROUP
    for the case topic, KAFKA_STAFF_TOPIC / KAFKA_STAFF_CONSUMER_GROUP for the staff topic);
    --topic and --group name the selected contract's topic and group.
    """
    contract = contract or _contract(args)
    base = KafkaSettings.from_env()
    return KafkaSettings(
        bootstrap_servers=args.bootstrap_servers
        or types.env_value("KAFKA_BOOTSTRAP_SERVERS", base.bootstrap_servers, types.bootstrap_servers),
        topic=args.topic or types.env_value(contract.topic_var, contract.default_topic, types.kafka_name),
        consumer_group=getattr(args, "group", None)
        or types.env_value(contract.group_var, contract.default_group, types.kafka_name),
    )


def _selected(args) -> list[TopicContract]:
    """--all: every contract (--topic/--group then apply to the case topic only); else the one chosen."""
    if getattr(args, "all", False):
        return list(CONTRACTS.values())
    return [_contract(args)]


def _settings_for(args, contract: TopicContract) -> KafkaSettings:
    if getattr(args, "all", False) and contract is not CASE:
        # --topic / --group name the case topic's; the others come from their own variables
        return _settings(argparse.Namespace(bootstrap_servers=args.bootstrap_servers, topic=None, group=None),
                         contract)
    return _settings(args, contract)


def cmd_migrate(args) -> int:
    try:
        applied = db.migrate(reapply=args.reapply)
    except MigrationError as exc:
        raise PermanentError(f"migrate: {exc}", hint="fix the migration named above and run migrate again") from exc
    for name in applied:
        print(f"applied {name}")
    if not applied:
        print("migrations: up to date")
    return 0


def cmd_topic(args) -> int:
    """Both topics unless --contract names one; with SASL, each one's ACLs (its loader group's)."""
    from ingestion.kafka_client import ensure_topic

    contracts = [CONTRACTS[args.contract]] if args.contract else list(CONTRACTS.values())
    both = argparse.Namespace(**{**vars(args), "all": not args.contract})  # --topic: the case topic's
    for contract in contracts:
        s = _settings_for(both, contract)
        created = ensure_topic(s.bootstrap_servers, s.topic, args.partitions, s.consumer_group)
        print(f"topic {s.topic}: {'created with %d partitions' % args.partitions if created else 'exists'}")
    return 0


def _foreign_group(exc: Exception, topic: str) -> PermanentError:
    return PermanentError(str(exc), hint=(
        f"a topic is loaded by one consumer group (its positions are in raw.consumer_positions): use that "
        f"group (--group or KAFKA_CONSUMER_GROUP), or load {topic!r} into another database"))


def cmd_consume(args) -> int:
    if args.all or args.processes > 1:
        from ingestion.parallel import consume_all

        return consume_all(args, list(CONTRACTS) if args.all else [_contract(args).name])
    from ingestion.checkpoint import ForeignGroupError
    from ingestion.consumer import (BoundedLoadTimeout, LoadStopped, RawLoader, install_signal_handlers,
                                    tune_garbage_collector)
    from ingestion.sink import RawSink

    s = _settings(args)
    sink = RawSink(db.conninfo("ingest"), s.consumer_group, _contract(args))
    loader = RawLoader(
        s, sink, max_poll_records=args.batch_size, future_tolerance=timedelta(minutes=args.future_tolerance_minutes)
    )
    install_signal_handlers(loader)
    tune_garbage_collector()
    try:
        stats = loader.run(bounded=args.bounded, max_seconds=args.max_seconds)
    except BoundedLoadTimeout as exc:
        raise TransientError(str(exc), hint="run it again (loading resumes from the stored positions), or raise "
                                            "--max-seconds") from None
    except LoadStopped as exc:
        print(loader.stats.summary())
        if not args.bounded:
            return 0
        raise TransientError(str(exc), hint="run it again: loading resumes from the stored positions") from None
    except ForeignGroupError as exc:
        raise _foreign_group(exc, s.topic) from None
    print(stats.summary())
    if loader.stop_signal and args.bounded:
        return report(PROG, TransientError(f"stopped by {loader.stop_signal} before reaching the end offsets",
                                           hint="run it again: loading resumes from the stored positions"))
    return 0


def cmd_reconcile(args) -> int:
    from ingestion.checkpoint import ForeignGroupError, check_group_loads_topic
    from ingestion.kafka_client import make_consumer
    from ingestion.reconcile import format_reports, reconcile

    ok = True
    with db.connect("ingest") as conn:  # PostgreSQL first: it answers (or not) at once
        for contract in _selected(args):
            s = _settings_for(args, contract)
            try:
                check_group_loads_topic(conn, s.consumer_group, s.topic)
            except ForeignGroupError as exc:
                raise _foreign_group(exc, s.topic) from None
            consumer = make_consumer(s, group_id=None)
            try:
                reports = reconcile(conn, consumer, s.topic, s.consumer_group, contract)
            finally:
                consumer.close(timeout_ms=3000)
            if args.all:
                print(f"{s.topic} ({contract.table}, group {s.consumer_group}):")
            print(format_reports(reports))
            ok = ok and all(r.ok for r in reports)
    return 0 if ok else 1


def build_parser() -> argparse.ArgumentParser:
    parser = types.Parser(prog=PROG, description=__doc__)
    parser.add_argument("--bootstrap-servers", type=types.bootstrap_servers,
                        help="Kafka HOST:PORT[,…] (default: $KAFKA_BOOTSTRAP_SERVERS or 127.0.0.1:19092)")
    parser.add_argument("--topic", type=types.kafka_name,
                        help="the selected contract's topic (default: $KAFKA_TOPIC or motcua.case-events; "
                             "staff: $KAFKA_STAFF_TOPIC or motcua.staff-events)")
    parser.add_argument("--connect-timeout", type=types.positive_float, metavar="SECONDS",
                        help="how long to wait for a first answer from the broker "
                             "(default: $KAFKA_CONNECT_TIMEOUT_SECONDS or 5)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging, kafka-python's included")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{migrate,topic,consume,reconcile}")
    mig = sub.add_parser("migrate", help="apply the pending migrations (migrations/) of the project's tables",
                         description="apply the pending migrations (migrations/) of the project's tables")
    mig.add_argument("--reapply", action="store_true",
                     help="re-run every (idempotent) migration: restores grants and indexes, e.g. on a copied database")
    mig.set_defaults(func=cmd_migrate)
    contract_help = ("which topic: case (raw.case_events, the default) or staff (raw.staff_events: "
                     "positions, assessments, exemptions)")
    p = sub.add_parser("topic", help="create the topics if missing", description="create the topics if missing")
    p.add_argument("--partitions", type=types.positive_int, default=12,
                   help="partitions of a new topic (an existing topic is left as it is)")
    p.add_argument("--contract", choices=sorted(CONTRACTS), help="only this topic (default: both)")
    p.set_defaults(func=cmd_topic)
    p = sub.add_parser("consume", help="load events into raw.case_events / raw.staff_events",
                       description="load one topic's events into its raw table; SIGINT/SIGTERM stop it after the "
                                   "batch in hand")
    p.add_argument("--contract", choices=sorted(CONTRACTS), help=contract_help)
    p.add_argument("--all", action="store_true",
                   help="every topic, one loader process each, in parallel; exit status the worst of them")
    p.add_argument("--processes", type=types.positive_int, default=1, metavar="N",
                   help="N loader processes per topic in its consumer group, splitting the partitions (uses "
                        "more cores; at most one per partition does work)")
    p.add_argument("--bounded", action="store_true", help="stop at the end offsets seen at start")
    p.add_argument("--max-seconds", type=types.positive_float,
                   help="bounded mode: give up (exit 2) when not done by then, whatever it is waiting for")
    p.add_argument("--batch-size", type=types.positive_int, default=5000, help="max records per transaction")
    p.add_argument("--group", type=types.kafka_name,
                   help="consumer group (default: $KAFKA_CONSUMER_GROUP or motcua-raw-loader; "
                        "staff: $KAFKA_STAFF_CONSUMER_GROUP or motcua-staff-loader)")
    p.add_argument("--future-tolerance-minutes", type=types.non_negative_int, default=60,
                   help="occurred_at further in the future than this is quarantined")
    p.set_defaults(func=cmd_consume)
    p = sub.add_parser("reconcile", help="check produced = loaded + redeliveries + quarantined",
                       description="check produced = loaded + redeliveries + quarantined, per partition")
    p.add_argument("--group", type=types.kafka_name,
                   help="consumer group whose positions to check (default: $KAFKA_CONSUMER_GROUP or motcua-raw-loader; "
                        "staff: $KAFKA_STAFF_CONSUMER_GROUP or motcua-staff-loader)")
    p.add_argument("--contract", choices=sorted(CONTRACTS), help=contract_help)
    p.add_argument("--all", action="store_true", help="both topics, each with its own group")
    p.set_defaults(func=cmd_reconcile)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "consume" and args.max_seconds and not args.bounded:
        parser.error("--max-seconds applies to --bounded only")
    if getattr(args, "all", False) and args.contract:
        parser.error("--all and --contract are exclusive")
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        quiet_kafka_logs()
    if args.connect_timeout:
        os.environ["KAFKA_CONNECT_TIMEOUT_SECONDS"] = str(args.connect_timeout)
    return run_command(PROG, lambda: args.func(args))


# Options of the whole command, which argparse takes only before the subcommand's name (and how
# many values each takes): `motcua reconcile --topic T` puts them there.
_GLOBAL_OPTIONS = {"--bootstrap-servers": 1, "--topic": 1, "--connect-timeout": 1, "-v": 0, "--verbose": 0}


def _as_subcommand(command: str, argv: list[str]) -> list[str]:
    front: list[str] = []
    back: list[str] = []
    i = 0
    while i < len(argv):
        option, inline = argv[i].partition("=")[0], "=" in argv[i]
        if option in _GLOBAL_OPTIONS:
            n = 1 + (0 if inline else _GLOBAL_OPTIONS[option])
            front += argv[i:i + n]
            i += n
        else:
            back.append(argv[i])
            i += 1
    return [*front, command, *back]


def migrate_main(argv: list[str] | None = None) -> int:
    """`motcua migrate`: `motcua ingest migrate` at the top level."""
    return main(_as_subcommand("migrate", list(sys.argv[1:] if argv is None else argv)))


def reconcile_main(argv: list[str] | None = None) -> int:
    """`motcua reconcile`: `motcua ingest reconcile` at the top level."""
    return main(_as_subcommand("reconcile", list(sys.argv[1:] if argv is None else argv)))


if __name__ == "__main__":
    sys.exit(main())
