"""The durable spool: every event is written here first and removed only when a broker confirms.

One SQLite file in WAL mode. An append is committed before `append` returns, so a crash or a
`kill -9` of the producer loses nothing that was appended: the next process opens the same
file and sends the unconfirmed events again (at-least-once; consumers drop repeats by
`event_id`). Events leave in the order they came (one sequence for all cameras, so each
camera's order holds too).

The spool is bounded by bytes and by age. Past the age, events expire; past the bytes, the
`when_full` policy drops the oldest events or the new one. Every drop is counted and logged
loudly, never silent.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from edge_producer.closing import Closing

log = logging.getLogger(__name__)

WhenFull = Literal["drop_oldest", "drop_newest"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  topic TEXT NOT NULL,
  key TEXT NOT NULL,
  payload BLOB NOT NULL,
  size INTEGER NOT NULL,
  spooled_at REAL NOT NULL
);
DROP INDEX IF EXISTS events_spooled_at;
"""
INSERT = "INSERT INTO events (topic, key, payload, size, spooled_at) VALUES (?, ?, ?, ?, ?)"
EXPIRE_EVERY_S = 1.0
"""Expired events are looked for at most this often (by the append that comes next)."""


@dataclass(frozen=True)
class Entry:
    seq: int
    topic: str  # where it goes: the Kafka topic, or the RabbitMQ routing key's event type
    key: str  # the Kafka key / routing key: the camera id
    payload: bytes


@dataclass
class Dropped:
    oldest: int = 0  # dropped to make room (drop_oldest)
    newest: int = 0  # refused because the spool was full (drop_newest)
    expired: int = 0  # older than max_age_s

    @property
    def total(self) -> int:
        return self.oldest + self.newest + self.expired


class Spool(Closing):
    def __init__(
        self,
        path: Path,
        *,
        max_bytes: int = 256 * 1024 * 1024,
        max_age_s: float = 7 * 24 * 3600,
        when_full: WhenFull = "drop_oldest",
        fsync: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`fsync`: also survive a power cut (each commit waits for the disk); without it a
        commit survives a crash of the process, not of the machine."""
        if max_bytes <= 0 or max_age_s <= 0:
            raise ValueError("the spool needs max_bytes > 0 and max_age_s > 0")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.max_bytes = max_bytes
        self.max_age_s = max_age_s
        self.when_full = when_full
        self.dropped = Dropped()
        self._clock = clock
        # One connection, shared by the pipeline (append) and the drainer thread (pending, ack):
        # the lock keeps their transactions apart.
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        # One process owns a spool: exclusive locking spares every commit the WAL's shared-
        # memory locks (a second process opening the file waits for this one to close it).
        self._db.execute("PRAGMA locking_mode=EXCLUSIVE")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={'FULL' if fsync else 'NORMAL'}")
        self._db.executescript(SCHEMA)
        self._bytes = self._stored_bytes()
        self._expired_at = -float("inf")

    # --- state -------------------------------------------------------------------------------

    @property
    def depth(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM events").fetchone()[0]

    @property
    def bytes(self) -> int:
        return self._bytes

    def oldest_age_s(self) -> float:
        """Seconds since the oldest unconfirmed event was spooled (0 when empty)."""
        with self._lock:
            row = self._db.execute("SELECT spooled_at FROM events ORDER BY seq LIMIT 1").fetchone()
        return 0.0 if row is None else max(0.0, self._clock() - row[0])

    # --- in and out --------------------------------------------------------------------------

    def append(self, topic: str, key: str, payload: bytes) -> int | None:
        """Spool one event; its sequence number, or None when `drop_newest` refused it."""
        now = self._clock()
        size = len(payload)
        if size > self.max_bytes:
            self._drop_newest(f"an event of {size} bytes is larger than the whole spool")
            return None
        with self._lock:
            return self._insert(topic, key, payload, now)

    def _insert(self, topic: str, key: str, payload: bytes, now: float) -> int | None:
        size = len(payload)
        if now - self._expired_at < EXPIRE_EVERY_S and self.bytes + size <= self.max_bytes:
            # the common case, one statement in its own transaction: nothing to drop
            cur = self._db.execute(INSERT, (topic, key, payload, size, now))
            self._bytes += size
            return cur.lastrowid
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._expire(now)
            excess = self.bytes + size - self.max_bytes
            if excess > 0 and self.when_full == "drop_newest":
                self._db.execute("COMMIT")
                self._drop_newest(f"the spool holds {self.max_bytes} bytes")
                return None
            if excess > 0:
                self._drop_oldest(excess)
            cur = self._db.execute(INSERT, (topic, key, payload, size, now))
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            self._bytes = self._stored_bytes()
            raise
        self._bytes += size
        return cur.lastrowid

    def pending(self, limit: int = 500) -> list[Entry]:
        """The oldest unconfirmed events, in the order they were spooled."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, topic, key, payload FROM events ORDER BY seq LIMIT ?", (limit,)
            ).fetchall()
        return [Entry(seq, topic, key, bytes(payload)) for seq, topic, key, payload in rows]

    def ack(self, seqs: Iterable[int]) -> None:
        """The broker confirmed these events: remove them."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            for first, last in _runs(sorted(seqs)):
                self._delete(
                    "DELETE FROM events WHERE seq BETWEEN ? AND ? RETURNING size", (first, last)
                )
            self._db.execute("COMMIT")

    def _stored_bytes(self) -> int:
        return self._db.execute("SELECT COALESCE(SUM(size), 0) FROM events").fetchone()[0]

    def _delete(self, sql: str, params: tuple) -> int:
        """Run a DELETE ... RETURNING size; keep the byte count; the rows deleted."""
        sizes = self._db.execute(sql, params).fetchall()
        self._bytes -= sum(size for (size,) in sizes)
        return len(sizes)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- bounds ------------------------------------------------------------------------------

    def _expire(self, now: float) -> None:
        """Delete the events older than max_age_s, oldest first, in sequence order (the order
        they were spooled in; no index on the time, which would cost every append)."""
        self._expired_at = now
        n = 0
        while True:
            chunk = self._delete(
                "DELETE FROM events WHERE seq IN (SELECT seq FROM events ORDER BY seq LIMIT 1000)"
                " AND spooled_at < ? RETURNING size",
                (now - self.max_age_s,),
            )
            n += chunk
            if chunk < 1000:
                break
        if n:
            self.dropped.expired += n
            log.warning(
                "spool %s: %d events older than %.0f s expired unsent (%d dropped in all)",
                self.path, n, self.max_age_s, self.dropped.total,
            )  # fmt: skip

    def _drop_oldest(self, excess: int) -> None:
        """Delete the shortest run of oldest events whose sizes add up to `excess`."""
        last = self._db.execute(
            "SELECT seq FROM (SELECT seq, SUM(size) OVER (ORDER BY seq) AS freed FROM events)"
            " WHERE freed >= ? ORDER BY seq LIMIT 1",
            (excess,),
        ).fetchone()
        n = self._delete("DELETE FROM events WHERE seq <= ? RETURNING size", (last[0],))
        self.dropped.oldest += n
        log.warning(
            "spool %s is full (%d bytes): dropped the %d oldest unsent events (%d in all)",
            self.path, self.max_bytes, n, self.dropped.total,
        )  # fmt: skip

    def _drop_newest(self, why: str) -> None:
        self.dropped.newest += 1
        log.warning(
            "spool %s: dropped a new event, %s (%d dropped in all)",
            self.path, why, self.dropped.total,
        )  # fmt: skip


def _runs(seqs: list[int]) -> Iterator[tuple[int, int]]:
    """Sorted sequence numbers as (first, last) runs of consecutive numbers."""
    start = prev = None
    for seq in seqs:
        if prev is not None and seq == prev + 1:
            prev = seq
            continue
        if start is not None:
            yield start, prev
        start = prev = seq
    if start is not None:
        yield start, prev
