"""The spool's files: segments of length-prefixed, checksummed records, each appended by one
write.

A record is a header (payload length, CRC-32 of the rest, sequence number, spool time, topic
and key lengths) followed by the topic, the key and the payload. A crash can leave at most the
last record of the last segment torn; :func:`scan` finds the valid records and where they end,
and the spool cuts the file there.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HEADER = struct.Struct("<IIQdHH")  # payload length, crc32, seq, spooled_at, topic len, key len
REST = struct.Struct("<QdHH")  # the part of the header the CRC covers, with the rest
SEGMENT_GLOB = "seg-*.log"
READ_AHEAD = 1 << 20


@dataclass(frozen=True)
class Record:
    """A record's header fields and, when read, its body (topic + key + payload)."""

    seq: int
    spooled_at: float
    size: int  # payload bytes
    tlen: int
    klen: int
    body: bytes = b""

    @property
    def length(self) -> int:
        """Bytes on disk."""
        return HEADER.size + self.tlen + self.klen + self.size

    @property
    def topic(self) -> str:
        return self.body[: self.tlen].decode()

    @property
    def key(self) -> str:
        return self.body[self.tlen : self.tlen + self.klen].decode()

    @property
    def payload(self) -> bytes:
        return self.body[self.tlen + self.klen :]


@dataclass
class Segment:
    """One file of consecutive records; `end` is the length of its valid records."""

    path: Path
    first_seq: int
    last_seq: int  # first_seq - 1 while empty
    end: int = 0


def segment_path(folder: Path, first_seq: int) -> Path:
    return folder / f"seg-{first_seq:020d}.log"


def encode(seq: int, spooled_at: float, topic: bytes, key: bytes, payload: bytes) -> bytes:
    rest = REST.pack(seq, spooled_at, len(topic), len(key)) + topic + key + payload
    return struct.pack("<II", len(payload), zlib.crc32(rest)) + rest


def _header(data: bytes, at: int) -> tuple[Record, int]:
    size, crc, seq, spooled_at, tlen, klen = HEADER.unpack_from(data, at)
    return Record(seq, spooled_at, size, tlen, klen), crc


def read_header(fd: int, offset: int) -> Record:
    """The record at `offset`, without its body."""
    return _header(os.pread(fd, HEADER.size, offset), 0)[0]


def read_records(fd: int, offset: int, end: int, limit: int) -> list[Record]:
    """Up to `limit` records from `offset` (before `end`), with their bodies. One read serves
    many small records."""
    chunk, base, out = b"", offset, []
    while offset < end and len(out) < limit:
        if offset - base + HEADER.size > len(chunk):
            chunk, base = os.pread(fd, min(end - offset, READ_AHEAD), offset), offset
        record, _crc = _header(chunk, offset - base)
        if offset - base + record.length > len(chunk):  # larger than what was read ahead
            chunk, base = os.pread(fd, max(record.length, READ_AHEAD), offset), offset
        at = offset - base + HEADER.size
        body = chunk[at : at + record.length - HEADER.size]
        offset += record.length
        out.append(
            Record(record.seq, record.spooled_at, record.size, record.tlen, record.klen, body)
        )
    return out


def scan(path: Path) -> Iterator[tuple[int, Record]]:
    """(offset, record without body) of each valid record in order, up to the first torn or
    corrupt one."""
    data = path.read_bytes()
    offset = 0
    while offset + HEADER.size <= len(data):
        record, crc = _header(data, offset)
        end = offset + record.length
        if end > len(data) or zlib.crc32(data[offset + 8 : end]) != crc:
            return
        yield offset, record
        offset = end
