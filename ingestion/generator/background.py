"""Run generate() in a child process so generation and producing use two cores.

kafka-python's send() and the generator are both CPU-bound pure Python; in one process they
add up, in two they overlap (roughly halving the wall time of a million-message run). Messages
cross in chunks (one pickle per few thousand messages) through a bounded queue, so memory
stays small and the order is exactly generate()'s.
"""
from __future__ import annotations

import multiprocessing as mp
import queue
import signal
from collections.abc import Iterator
from datetime import date

from ingestion.generator.message import Message
from ingestion.generator.stream import GeneratorConfig, generate, select_nights
from motcua.errors import PermanentError

_DONE = "done"
_FAILED = "failed"


class BackgroundGeneratorError(PermanentError, RuntimeError):
    """The generator process failed; carries its error text."""


def _work(config: GeneratorConfig, night: date | None, through: date | None, chunk: int, out: mp.Queue) -> None:
    # Ctrl-C reaches the whole process group: the parent decides when to stop (and terminates us).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        batch: list[Message] = []
        for message in select_nights(generate(config), night=night, through=through):
            batch.append(message)
            if len(batch) >= chunk:
                out.put(batch)
                batch = []
        if batch:
            out.put(batch)
        out.put(_DONE)
    except BaseException as exc:  # report anything, including KeyboardInterrupt, to the parent
        out.put((_FAILED, f"{type(exc).__name__}: {exc}"))
        raise


def generate_in_background(config: GeneratorConfig, *, night: date | None = None, through: date | None = None,
                           chunk: int = 5000, depth: int = 16) -> Iterator[Message]:
    """Same messages as select_nights(generate(config), ...), produced by a child process."""
    ctx = mp.get_context("spawn")  # no fork of a process that may already run Kafka threads
    out: mp.Queue = ctx.Queue(maxsize=depth)
    worker = ctx.Process(target=_work, args=(config, night, through, chunk, out), daemon=True,
                         name="motcua-generator")
    worker.start()
    try:
        while True:
            try:
                item = out.get(timeout=5)
            except queue.Empty:
                if not worker.is_alive():
                    raise BackgroundGeneratorError(f"generator process died (exit code {worker.exitcode})") from None
                continue
            if item == _DONE:
                break
            if isinstance(item, tuple) and item and item[0] == _FAILED:
                raise BackgroundGeneratorError(item[1])
            yield from item
    finally:
        if worker.is_alive():
            worker.terminate()  # the consumer stopped early (--limit) or failed
        worker.join(timeout=10)
