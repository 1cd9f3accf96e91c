"""`consume --all` and `consume --processes N`: several loader processes, run side by side.

--all: one loader per topic. --processes N: N loaders per topic, members of that topic's one
consumer group, so Kafka splits the partitions between them; each partition is loaded by one of
them at a time, exactly once, by the same fencing as any rebalance (positions locked in the
write's transaction, see checkpoint.py).

Why processes and not threads: the loader's fetch and validation are CPU-bound Python, so two
loaders in one process share one core (the GIL); in two processes they overlap, and a problem on
one topic (a refused batch, a rebalance of its group) never pauses the other. The measured
difference is in README.md ("Capture"), bench/capture_topics.py and bench/throughput.py.
Scale-out rule (docs/raw-layer.md): at most one process per partition (others idle),
at most about one per core left after PostgreSQL's, and each holds two database connections.
"""
from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time

from ingestion.topics import CASE


def child_argv(args: argparse.Namespace, contract: str) -> list[str]:
    """The `consume` command line of one topic's loader.

    With --all, --topic and --group name the case topic's; without it, the one topic's.
    """
    named = contract == CASE.name or not getattr(args, "all", False)
    argv = [sys.executable, "-m", "ingestion.cli"]
    if args.bootstrap_servers:
        argv += ["--bootstrap-servers", args.bootstrap_servers]
    if args.connect_timeout:
        argv += ["--connect-timeout", str(args.connect_timeout)]
    if args.verbose:
        argv.append("--verbose")
    if args.topic and named:
        argv += ["--topic", args.topic]
    argv += ["consume", "--contract", contract, "--batch-size", str(args.batch_size),
             "--future-tolerance-minutes", str(args.future_tolerance_minutes)]
    if args.bounded:
        argv.append("--bounded")
    if args.max_seconds:
        argv += ["--max-seconds", str(args.max_seconds)]
    if args.group and named:
        argv += ["--group", args.group]
    return argv


def _stop_with_parent() -> None:
    """In the child: SIGTERM when the parent dies (kill -9 included), so no loader is orphaned."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):  # elsewhere: the service manager stops the process group
        pass


def consume_all(args: argparse.Namespace, contracts: list[str]) -> int:
    """Start every topic's loaders, pass SIGINT/SIGTERM on, return the worst exit status.

    The loaders run in their own sessions, so a Ctrl-C reaches each of them once (forwarded
    here): a second signal would make a loader abandon the batch in hand.
    """
    per_topic = getattr(args, "processes", 1) or 1
    children = [subprocess.Popen(child_argv(args, name), start_new_session=True, preexec_fn=_stop_with_parent)
                for name in contracts for _ in range(per_topic)]

    def forward(signum: int, _frame) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    while any(child.poll() is None for child in children):
        time.sleep(0.2)
    return max(child.returncode for child in children)
