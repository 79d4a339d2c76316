"""The durable spool: every event is written here first and removed only when a broker confirms.

A folder holding a segmented append-only log (`segments.py`): an append is one `write` of a
checksummed record to the newest segment, done before `append` returns, so a crash or a
`kill -9` of the producer loses nothing that was appended (the data is in the OS; with
`fsync` also on the disk before `append` returns, which survives a power cut). The next process
opens the same folder and sends the unconfirmed events again (at-least-once; consumers drop
repeats by `event_id`). Events leave in the order they came (one sequence for all cameras, so
each camera's order holds too).

Confirming, dropping and expiring all remove the oldest events, so the spool's state is the
log plus one number, the first unconfirmed sequence (file `head`, replaced atomically).
Segments wholly behind it are deleted. The spool writes each event's bytes once: no page
rewrites, little wear on an SD card.

The spool is bounded by bytes (of payload) and by age. Past the age, events expire; past the
bytes, the `when_full` policy drops the oldest events or the new one. Every drop is counted and
logged loudly, never silent.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from edge_producer.closing import Closing
from edge_producer.spool.segments import (
    SEGMENT_GLOB,
    Record,
    Segment,
    encode,
    read_header,
    read_records,
    scan,
    segment_path,
)

log = logging.getLogger(__name__)

WhenFull = Literal["drop_oldest", "drop_newest"]
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
        """`path`: the spool's folder (created). `fsync`: also survive a power cut (each append
        waits for the disk); without it an append survives a crash of the process, not of the
        machine."""
        if max_bytes <= 0 or max_age_s <= 0:
            raise ValueError("the spool needs max_bytes > 0 and max_age_s > 0")
        path.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.max_bytes = max_bytes
        self.max_age_s = max_age_s
        self.when_full = when_full
        self.fsync = fsync
        self.segment_bytes = min(8 << 20, max(64 << 10, max_bytes // 8))
        self.dropped = Dropped()
        self._clock = clock
        # The pipeline appends, the drainer thread reads and confirms: the lock keeps them apart.
        self._lock = threading.RLock()
        self._expired_at = -float("inf")
        self._open()

    # --- opening -----------------------------------------------------------------------------

    def _open(self) -> None:
        head_file = self.path / "head"
        self._head_seq = int(head_file.read_text()) if head_file.exists() else 1
        self._segments: list[Segment] = []
        self._bytes = 0
        for file in sorted(self.path.glob(SEGMENT_GLOB)):
            first = int(file.stem.removeprefix("seg-"))
            segment = Segment(file, first, first - 1)
            for offset, record in scan(file):
                segment.last_seq, segment.end = record.seq, offset + record.length
                if record.seq >= self._head_seq:
                    self._bytes += record.size
            if segment.end < file.stat().st_size:
                log.warning("spool %s: cut a torn record off the end of %s", self.path, file.name)
                os.truncate(file, segment.end)
            if segment.last_seq < self._head_seq:
                file.unlink()  # all confirmed or dropped
            else:
                self._segments.append(segment)
        last = self._segments[-1].last_seq if self._segments else self._head_seq - 1
        self._tail_seq = max(last + 1, self._head_seq)  # never reuse a sequence number
        if not self._segments:
            self._head_seq = self._tail_seq
        self._head_offset = 0
        self._fds: dict[Path, int] = {}
        while (record := self._peek()) is not None and record.seq < self._head_seq:
            self._head_offset += record.length  # confirmed, its segment not yet gone
        self._write_fd: int | None = None
        self._read: list[tuple[int, Segment, int, int]] = []  # (seq, segment, end, size)

    # --- state -------------------------------------------------------------------------------

    @property
    def depth(self) -> int:
        return self._tail_seq - self._head_seq

    @property
    def bytes(self) -> int:
        return self._bytes

    def oldest_age_s(self) -> float:
        """Seconds since the oldest unconfirmed event was spooled (0 when empty)."""
        with self._lock:
            oldest = self._peek()
        return 0.0 if oldest is None else max(0.0, self._clock() - oldest.spooled_at)

    # --- in and out --------------------------------------------------------------------------

    def append(self, topic: str, key: str, payload: bytes) -> int | None:
        """Spool one event; its sequence number, or None when `drop_newest` refused it."""
        size = len(payload)
        if size > self.max_bytes:
            self._drop_newest(f"an event of {size} bytes is larger than the whole spool")
            return None
        with self._lock:
            now = self._clock()
            if now - self._expired_at >= EXPIRE_EVERY_S:
                self._expire(now)
            excess = self._bytes + size - self.max_bytes
            if excess > 0 and self.when_full == "drop_newest":
                self._drop_newest(f"the spool holds {self.max_bytes} bytes")
                return None
            if excess > 0:
                self._drop_oldest(excess)
            seq = self._tail_seq
            record = encode(seq, now, topic.encode(), key.encode(), payload)
            fd = self._writer()
            os.write(fd, record)
            if self.fsync:
                os.fsync(fd)
            segment = self._segments[-1]
            segment.last_seq, segment.end = seq, segment.end + len(record)
            self._tail_seq += 1
            self._bytes += size
            return seq

    def pending(self, limit: int = 500) -> list[Entry]:
        """The oldest unconfirmed events, in the order they were spooled."""
        out: list[Entry] = []
        with self._lock:
            self._read = []  # where each event ends, so that ack needs no read
            offset = self._head_offset
            for segment in self._segments:
                if len(out) >= limit:
                    break
                for r in read_records(self._fd(segment), offset, segment.end, limit - len(out)):
                    out.append(Entry(r.seq, r.topic, r.key, r.payload))
                    offset += r.length
                    self._read.append((r.seq, segment, offset, r.size))
                offset = 0
        return out

    def ack(self, seqs: Iterable[int]) -> None:
        """The broker confirmed these events, the oldest ones (a prefix of :meth:`pending`):
        remove every event up to the last of them."""
        last = max(seqs, default=None)
        if last is None:
            return
        with self._lock:
            if self._read and self._read[0][0] == self._head_seq:
                self._ack_read(last)
            else:
                self._advance(lambda record: record.seq <= last)

    def _ack_read(self, last: int) -> None:
        """Move the head past the events :meth:`pending` just read, up to `last`."""
        for seq, segment, end, size in self._read:
            if seq > last:
                break
            while self._segments[0] is not segment:
                self._retire(self._segments[0])
            self._head_offset, self._head_seq = end, seq + 1
            self._bytes -= size
        self._read = []
        self._save_head()

    def close(self) -> None:
        with self._lock:
            for fd in {*self._fds.values(), self._write_fd} - {None}:
                os.close(fd)
            self._fds.clear()
            self._write_fd = None

    # --- the log -----------------------------------------------------------------------------

    def _writer(self) -> int:
        """The fd of the newest segment, a new segment when there is none or it is full."""
        if self._write_fd is not None and self._segments[-1].end < self.segment_bytes:
            return self._write_fd
        if self._write_fd is not None:
            os.close(self._write_fd)
        segment = Segment(
            segment_path(self.path, self._tail_seq), self._tail_seq, self._tail_seq - 1
        )
        if not self._segments or self._segments[-1].end > 0:
            self._segments.append(segment)
        else:
            segment = self._segments[-1]  # reopened empty: write on
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
        self._write_fd = os.open(segment.path, flags, 0o600)
        if self.fsync:  # the new file's name, too
            folder = os.open(self.path, os.O_RDONLY)
            os.fsync(folder)
            os.close(folder)
        return self._write_fd

    def _fd(self, segment: Segment) -> int:
        fd = self._fds.get(segment.path)
        if fd is None:
            fd = self._fds[segment.path] = os.open(segment.path, os.O_RDONLY)
        return fd

    def _peek(self) -> Record | None:
        """The oldest unconfirmed record (header only), None when empty."""
        while self._segments:
            segment = self._segments[0]
            if self._head_offset < segment.end:
                return read_header(self._fd(segment), self._head_offset)
            if len(self._segments) == 1:
                return None
            self._retire(segment)
        return None

    def _advance(self, remove: Callable[[Record], bool]) -> int:
        """Remove the oldest events while `remove(record)` holds; the number removed."""
        n = 0
        while (record := self._peek()) is not None and remove(record):
            self._head_offset += record.length
            self._head_seq = record.seq + 1
            self._bytes -= record.size
            n += 1
        if n:
            self._read = []
            self._save_head()
        return n

    def _save_head(self) -> None:
        tmp = self.path / "head.tmp"
        tmp.write_text(str(self._head_seq))
        os.replace(tmp, self.path / "head")

    def _retire(self, segment: Segment) -> None:
        """Delete a segment whose events are all confirmed or dropped."""
        self._segments.pop(0)
        fd = self._fds.pop(segment.path, None)
        if fd is not None:
            os.close(fd)
        segment.path.unlink(missing_ok=True)
        self._head_offset = 0

    # --- bounds ------------------------------------------------------------------------------

    def _expire(self, now: float) -> None:
        self._expired_at = now
        n = self._advance(lambda record: record.spooled_at < now - self.max_age_s)
        if n:
            self.dropped.expired += n
            log.warning(
                "spool %s: %d events older than %.0f s expired unsent (%d dropped in all)",
                self.path, n, self.max_age_s, self.dropped.total,
            )  # fmt: skip

    def _drop_oldest(self, excess: int) -> None:
        """Remove the shortest run of oldest events whose sizes add up to `excess`."""
        freed = 0

        def more(record: Record) -> bool:
            nonlocal freed
            if freed >= excess:
                return False
            freed += record.size
            return True

        n = self._advance(more)
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
