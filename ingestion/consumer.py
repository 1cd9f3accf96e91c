"""The raw loader: a kafka-python consumer-group member that lands events in PostgreSQL.

One loader loads one topic: the case topic or the staff topic, as its sink's contract says
(ingestion.topics); `motcua ingest consume --all` runs one loader process per topic.

Two modes:
- bounded: snapshot the topic's end offsets at start, load until the positions stored in
  PostgreSQL reach them (whoever in the group consumed them), then exit. Airflow runs this.
- continuous: run until SIGTERM/SIGINT, then finish the batch in hand and leave the group.

Positions come from PostgreSQL (see checkpoint.py); on every partition assignment, and after
any failed write, the consumer seeks to them, so Kafka-side state can never skip or repeat.

Pipelining: while one batch is written by a writer thread (the wait is PostgreSQL's work, with
the GIL released), the main thread polls and validates the next one. At most one write is in
flight; when it fails, the batch prepared meanwhile is dropped and the consumer re-seeks.
"""
from __future__ import annotations

import gc
import logging
import signal
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import psycopg
from kafka import ConsumerRebalanceListener, TopicPartition
from kafka.errors import KafkaError

from ingestion.batch import encode_batch
from ingestion.checkpoint import PartitionCounts, PositionGapError, check_group_loads_topic, stored_positions
from ingestion.kafka_client import make_consumer, topic_partitions
from motcua.settings import KafkaSettings
from ingestion.sink import RawSink, WriteResult
from motcua.errors import Stopped, TransientError

log = logging.getLogger(__name__)


class BoundedLoadTimeout(TransientError, RuntimeError):
    """A bounded load did not reach the end offsets it snapshotted within its time limit."""


class LoadStopped(Stopped, RuntimeError):
    """SIGINT/SIGTERM arrived while the loader was waiting (for PostgreSQL, for a write)."""


# Seconds kafka-python may spend leaving the group when the loader stops: the positions are in
# PostgreSQL, so nothing is lost when the broker cannot be told in time.
CLOSE_TIMEOUT_MS = 3000
# After a stop request, how long the write in hand may still take before it is cancelled.
STOP_WAIT_SECONDS = 10.0


@dataclass
class LoadStats:
    messages: int = 0
    batches: int = 0
    counts: PartitionCounts = field(default_factory=PartitionCounts)
    skipped_already_committed: int = 0
    database_outages: int = 0
    reseeks: int = 0
    started: float = field(default_factory=time.monotonic)
    # where the main thread's time goes: fetching, validating/encoding, waiting for PostgreSQL
    poll_seconds: float = 0.0
    encode_seconds: float = 0.0
    wait_seconds: float = 0.0

    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.messages / elapsed if elapsed > 0 else 0.0

    def summary(self) -> str:
        c = self.counts
        return (
            f"{self.messages} messages in {time.monotonic() - self.started:.1f}s ({self.rate():,.0f}/s): "
            f"loaded {c.loaded}, redeliveries {c.redelivered}, quarantined {c.quarantined}, "
            f"skipped offsets {c.skipped}; database outages {self.database_outages}, re-seeks {self.reseeks}; "
            f"time in fetch {self.poll_seconds:.1f}s, validate {self.encode_seconds:.1f}s, "
            f"waiting for PostgreSQL {self.wait_seconds:.1f}s"
        )


class _SeekToStoredPositions(ConsumerRebalanceListener):
    def __init__(self, loader: "RawLoader"):
        self.loader = loader

    def on_partitions_revoked(self, revoked):
        # Let the write in flight finish first, so the positions read at the next assignment are
        # current (a failed write needs nothing more: the assignment seeks to stored positions).
        log.info("partitions revoked: %s", sorted(tp.partition for tp in revoked))
        try:
            self.loader._settle()
        except Exception as exc:  # kafka-python swallows listener errors: hand it to the loop
            self.loader._fatal = exc

    def on_partitions_assigned(self, assigned):
        # Runs on kafka-python's IO thread: an error (PostgreSQL down past the deadline, a stop
        # request) must reach the main loop, which raises it after its next poll.
        log.info("partitions assigned: %s", sorted(tp.partition for tp in assigned))
        try:
            self.loader.seek_to_stored(assigned)
        except Exception as exc:
            self.loader._fatal = exc


class RawLoader:
    def __init__(
        self,
        settings: KafkaSettings,
        sink: RawSink,
        *,
        max_poll_records: int = 5000,
        future_tolerance: timedelta = timedelta(hours=1),
        progress_every: float = 10.0,
        consumer_overrides: dict | None = None,
    ):
        self.settings = settings
        self.sink = sink
        self.future_tolerance = future_tolerance
        self.progress_every = progress_every
        self.consumer = make_consumer(settings, max_poll_records=max_poll_records, **(consumer_overrides or {}))
        self.stats = LoadStats()
        self._stop = False
        self._accept_gaps: dict[int, int] = {}
        self._reader: psycopg.Connection | None = None
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="raw-writer")
        self._in_flight: tuple[Future, int] | None = None
        self._gap_seen = False
        self._fatal: Exception | None = None  # a write error that is not an outage: stop loudly
        self._deadline: float | None = None  # bounded mode's time limit, held in every state
        self._max_seconds: float | None = None
        self._wakeup = threading.Event()  # set on a stop request: ends a retry wait at once
        self.stop_signal: str | None = None  # the signal that stopped the loader, if any
        self._stop_at: float | None = None
        self._last_write: Future | None = None  # cancelled on the way out if still running

    # -- positions -----------------------------------------------------------------------
    def seek_to_stored(self, partitions) -> None:
        stored = self._stored_positions_with_retry()
        for tp in partitions:
            if tp.partition in stored:
                self.consumer.seek(tp, stored[tp.partition])
            else:
                self.consumer.seek_to_beginning(tp)

    def _stored_positions_with_retry(self) -> dict[int, int]:
        # Its own connection: the writer thread may be inside a transaction on the sink's.
        while True:
            try:
                if self._reader is None or self._reader.closed:
                    self._reader = psycopg.connect(self.sink.conninfo, autocommit=True)
                return stored_positions(self._reader, self.settings.consumer_group, self.settings.topic)
            except psycopg.OperationalError as exc:
                self._database_down(exc)

    def _database_down(self, exc: Exception) -> None:
        self.stats.database_outages += 1
        if self._reader is not None:
            self._reader.close()
        self._reader = None
        self._check_time(f"PostgreSQL unavailable ({str(exc).strip().splitlines()[0]})")
        delay = 2.0 if self._deadline is None else max(0.0, min(2.0, self._deadline - time.monotonic()))
        log.warning("PostgreSQL unavailable (%s); retrying in %.0fs", str(exc).strip().splitlines()[0], delay)
        self._wakeup.wait(delay)
        self._check_time(f"PostgreSQL unavailable ({str(exc).strip().splitlines()[0]})")

    def _check_time(self, state: str = "") -> None:
        """Raise when a stop was requested or the bounded load's time limit has passed."""
        if self._stop:
            raise LoadStopped(f"stopped by {self.stop_signal or 'request'}" + (f" while {state}" if state else ""))
        if self._deadline is not None and time.monotonic() >= self._deadline:
            raise BoundedLoadTimeout(
                f"did not reach the end offsets within {self._max_seconds:g}s"
                + (f" ({state})" if state else "") + f": {self.stats.summary()}")

    # -- main loop -----------------------------------------------------------------------
    def request_stop(self, signum: int | None = None, _frame=None) -> None:
        if signum is not None:
            name = signal.Signals(signum).name
            if self._stop:  # a second signal: the operator will not wait for the write in hand
                raise LoadStopped(f"stopped by a second {name}; the batch in hand is rolled back")
            self.stop_signal = name
        log.info("stop requested%s: finishing the current batch", f" ({self.stop_signal})" if self.stop_signal else "")
        self._stop = True
        self._stop_at = self._stop_at or time.monotonic()
        self._wakeup.set()

    def run(self, *, bounded: bool, max_seconds: float | None = None) -> LoadStats:
        topic = self.settings.topic
        if max_seconds:
            self._deadline, self._max_seconds = time.monotonic() + max_seconds, max_seconds
        try:
            # Fail fast, in one line, when PostgreSQL is down at start or another group owns the topic.
            self._reader = psycopg.connect(self.sink.conninfo, autocommit=True)
            check_group_loads_topic(self._reader, self.settings.consumer_group, topic)
            targets = self._end_offsets(topic) if bounded else {}
            if bounded:
                log.info("bounded load of %s up to end offsets %s", topic, targets)
            self.consumer.subscribe([topic], listener=_SeekToStoredPositions(self))
        except BaseException:
            self._close()
            raise
        last_progress = last_check = time.monotonic()
        try:
            while not self._stop:
                t0 = time.monotonic()
                records = self._poll()
                if self._fatal is not None:
                    raise self._fatal
                t1 = time.monotonic()
                self.stats.poll_seconds += t1 - t0
                if records:
                    batch = encode_batch(topic, records, now=datetime.now(timezone.utc),
                                         future_tolerance=self.future_tolerance,
                                         validator=self.sink.contract.validate)
                    self.stats.encode_seconds += time.monotonic() - t1
                    if self._settle():  # the previous write failed: positions moved back
                        self._reseek()
                    else:
                        self._last_write = self._writer.submit(self.sink.write, batch, dict(self._accept_gaps))
                        self._in_flight = (self._last_write, len(records))
                elif self._in_flight is not None and self._in_flight[0].done() and self._settle():
                    # An idle topic: a failed last write is redone now, not when the next message comes.
                    self._reseek()
                now = time.monotonic()
                if bounded and (not records or now - last_check > 2.0):
                    last_check = now
                    if self._settle():
                        self._reseek()
                    elif self._reached(targets):
                        break
                if self._deadline is not None and now > self._deadline:
                    self._check_time()
                if now - last_progress >= self.progress_every:
                    last_progress = now
                    log.info("progress: %s", self.stats.summary())
            if self._settle():
                log.warning("the last write failed; it will be redone from the stored positions next time")
        finally:
            self._close()
        log.info("done: %s", self.stats.summary())
        return self.stats

    def _close(self) -> None:
        if self._last_write is not None and not self._last_write.done():
            self._cancel_write()
        self._writer.shutdown(wait=True)
        # kafka-python's network thread can still be reading a socket that close() shuts: it logs
        # that read's error with a traceback, which says nothing about the data; the group is left
        # and positions are in PostgreSQL either way.
        kafka_log = logging.getLogger("kafka")
        level = kafka_log.level
        kafka_log.setLevel(logging.CRITICAL)
        try:
            self.consumer.close(timeout_ms=CLOSE_TIMEOUT_MS)
        finally:
            kafka_log.setLevel(level)
        self.sink.close()
        if self._reader is not None:
            self._reader.close()

    def _cancel_write(self) -> None:
        # The write's transaction rolls back, positions included: those messages are loaded next time.
        conn = self.sink.conn
        if conn is not None and not conn.closed:
            try:
                conn.cancel_safe(timeout=3)
            except psycopg.Error as exc:
                log.warning("could not cancel the write in flight: %s", exc)

    def _poll(self) -> list:
        try:
            polled = self.consumer.poll(timeout_ms=500)
        except KafkaError as exc:
            log.warning("Kafka error while polling (%s); retrying in 1s", exc)
            time.sleep(1)
            return []
        records = []
        for _tp, part in polled.items():
            records.extend(part)
        return records

    def _settle(self) -> bool:
        """Wait for the write in flight; True when it failed and the consumer must re-seek."""
        if self._in_flight is None:
            return False
        future, size = self._in_flight
        t0 = time.monotonic()
        try:
            result: WriteResult = self._wait_for(future)
        except PositionGapError as exc:
            log.warning("%s; re-seeking to the stored positions", exc)
            self._gap_seen = True
            return True
        except psycopg.OperationalError as exc:
            self.sink.close()
            self._database_down(exc)
            return True
        finally:
            self._in_flight = None
            self.stats.wait_seconds += time.monotonic() - t0
        self.stats.messages += size
        self.stats.batches += 1
        self.stats.counts = self.stats.counts + result.total()
        self.stats.skipped_already_committed += result.skipped_already_committed
        for partition in result.counts:
            self._accept_gaps.pop(partition, None)
        return False

    def _wait_for(self, future: Future) -> WriteResult:
        """The write's result, waiting no longer than the time limit or a stop request allow.

        Past either, the write is cancelled: its transaction rolls back with its positions.
        """
        while True:
            try:
                return future.result(timeout=0.5)
            except FutureTimeout:
                pass
            now = time.monotonic()
            expired = self._deadline is not None and now >= self._deadline
            given_up = self._stop_at is not None and now - self._stop_at >= STOP_WAIT_SECONDS
            if expired or given_up:
                self._cancel_write()
                try:
                    return future.result(timeout=10)  # it may have committed meanwhile
                except Exception:  # noqa: BLE001 - the cancelled write's own error is expected
                    pass
                self._check_time("writing a batch")

    def _reseek(self) -> None:
        self.stats.reseeks += 1
        assigned = self.consumer.assignment()
        stored = self._stored_positions_with_retry()
        if self._gap_seen:
            self._gap_seen = False
            # A second gap at the same stored position means those offsets hold no record.
            self._accept_gaps = {tp.partition: stored[tp.partition] for tp in assigned if tp.partition in stored}
        self.seek_to_stored(assigned)

    def _end_offsets(self, topic: str) -> dict[int, int]:
        partitions = topic_partitions(self.consumer, topic)
        return {tp.partition: off for tp, off in self.consumer.end_offsets(partitions, self._kafka_timeout_ms()).items()}

    def _kafka_timeout_ms(self) -> int | None:
        """A Kafka request's budget: what is left of the time limit (None: the client's default)."""
        if self._deadline is None:
            return None
        return max(1, int((self._deadline - time.monotonic()) * 1000))

    def _reached(self, targets: dict[int, int]) -> bool:
        stored = self._stored_positions_with_retry()
        if not targets:
            return True
        beginnings = {tp.partition: off for tp, off in self.consumer.beginning_offsets(
            [TopicPartition(self.settings.topic, p) for p in targets], self._kafka_timeout_ms()).items()}
        return all(stored.get(p, beginnings[p]) >= end for p, end in targets.items())


def tune_garbage_collector() -> None:
    """Collect cyclic garbage less often in a loader process (its CLI calls this, not the library).

    Every batch allocates some hundred thousand short-lived objects (Kafka records, rows) and the
    default thresholds run the collector every 700 allocations, re-examining the batch in hand each
    time: about a sixth of the validation time per message (docs/raw-layer.md). What start-up
    allocated is frozen out of the collector's sight; cycles are still collected, every 100,000
    allocations.
    """
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)


def install_signal_handlers(loader: RawLoader) -> None:
    signal.signal(signal.SIGTERM, loader.request_stop)
    signal.signal(signal.SIGINT, loader.request_stop)
