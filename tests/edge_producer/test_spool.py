"""The durable spool: order, confirmation, a kill -9 in the middle, and its two bounds."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import textwrap

import pytest

from edge_producer.spool import Spool


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_events_leave_in_order_and_only_when_confirmed(tmp_path):
    spool = Spool(tmp_path / "spool")
    sent = [
        ("cam-a", b"a1"),
        ("cam-b", b"b1"),
        ("cam-a", b"a2"),
        ("cam-b", b"b2"),
        ("cam-a", b"a3"),
    ]
    seqs = [spool.append("t", k, p) for k, p in sent]
    assert seqs == sorted(seqs)
    assert [(e.key, e.payload) for e in spool.pending()] == sent
    assert (spool.depth, spool.bytes) == (5, 10)

    first_two = spool.pending(limit=2)
    spool.ack(e.seq for e in first_two)
    assert [(e.key, e.payload) for e in spool.pending()] == sent[2:]
    assert (spool.depth, spool.bytes) == (3, 6)
    spool.close()
    # Reopened, the spool still holds what was not confirmed, and knows its size.
    again = Spool(tmp_path / "spool")
    assert [(e.key, e.payload) for e in again.pending()] == sent[2:]
    assert again.bytes == 6
    again.close()


def test_a_kill_9_loses_nothing_that_was_appended(tmp_path):
    path = tmp_path / "spool"
    script = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        from edge_producer.spool import Spool
        spool = Spool(Path({str(path)!r}))
        for i in range(300):
            spool.append("t", f"cam-{{i % 3}}", f"event-{{i}}".encode())
        spool.ack([1, 2, 3])
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]

    spool = Spool(path)
    payloads = [e.payload.decode() for e in spool.pending(limit=1000)]
    assert payloads == [f"event-{i}" for i in range(3, 300)]
    spool.close()


@pytest.mark.parametrize("when_full", ["drop_oldest", "drop_newest"])
def test_full_spool_drops_by_policy_and_says_so(when_full, tmp_path, caplog):
    spool = Spool(tmp_path / "spool", max_bytes=100, when_full=when_full)
    with caplog.at_level(logging.WARNING, logger="edge_producer.spool"):
        results = [
            spool.append("t", "cam", f"event-{i:03d}".encode()) for i in range(15)
        ]  # 9 bytes
    kept = [e.payload.decode() for e in spool.pending()]
    assert spool.bytes <= 100 and spool.depth == 11  # 11 x 9 bytes fit in 100
    if when_full == "drop_oldest":
        assert kept == [f"event-{i:03d}" for i in range(4, 15)]
        assert (spool.dropped.oldest, spool.dropped.newest) == (4, 0)
        assert all(r is not None for r in results)
    else:
        assert kept == [f"event-{i:03d}" for i in range(11)]
        assert (spool.dropped.oldest, spool.dropped.newest) == (0, 4)
        assert results[11:] == [None] * 4
    assert "full" in caplog.text and "dropped" in caplog.text
    spool.close()


def test_events_past_the_age_expire_loudly(tmp_path, caplog):
    clock = Clock()
    spool = Spool(tmp_path / "spool", max_age_s=60, clock=clock)
    for i in range(3):
        spool.append("t", "cam", f"old-{i}".encode())
    clock.now += 30
    assert spool.oldest_age_s() == 30
    clock.now += 31
    with caplog.at_level(logging.WARNING, logger="edge_producer.spool"):
        spool.append("t", "cam", b"new")
    assert [e.payload for e in spool.pending()] == [b"new"]
    assert spool.dropped.expired == 3 and spool.bytes == 3
    assert "expired unsent" in caplog.text
    spool.close()


def test_an_event_larger_than_the_spool_is_refused(tmp_path):
    spool = Spool(tmp_path / "spool", max_bytes=10)
    assert spool.append("t", "cam", b"x" * 11) is None
    assert spool.dropped.newest == 1 and spool.depth == 0
    with pytest.raises(ValueError, match="max_bytes"):
        Spool(tmp_path / "other", max_bytes=0)
    spool.close()


def test_a_torn_last_record_is_cut_off_and_the_rest_kept(tmp_path, caplog):
    spool = Spool(tmp_path / "spool")
    for i in range(5):
        spool.append("t", "cam", f"event-{i}".encode())
    spool.close()
    (segment,) = (tmp_path / "spool").glob("seg-*.log")
    whole = segment.read_bytes()
    segment.write_bytes(whole + whole[-20:-3])  # a crash in the middle of the sixth write
    with caplog.at_level(logging.WARNING, logger="edge_producer.spool"):
        again = Spool(tmp_path / "spool")
    assert "torn record" in caplog.text
    assert segment.stat().st_size == len(whole)
    assert again.append("t", "cam", b"event-5") == 6
    assert [e.payload for e in again.pending()] == [f"event-{i}".encode() for i in range(6)]
    again.close()


def test_segments_roll_over_and_go_once_confirmed(tmp_path):
    folder = tmp_path / "spool"
    spool = Spool(folder, max_bytes=1 << 20)  # 128 KiB segments
    payload = b"x" * 1000
    seqs = [spool.append("t", "cam", payload) for _ in range(400)]  # about 3 segments
    assert len(list(folder.glob("seg-*.log"))) >= 3
    while entries := spool.pending(limit=150):
        spool.ack(e.seq for e in entries)
    assert spool.depth == 0 and spool.bytes == 0
    assert len(list(folder.glob("seg-*.log"))) == 1  # only the one being written
    spool.close()
    again = Spool(folder)  # the head survives: nothing comes back, numbers go on
    assert again.pending() == [] and again.append("t", "cam", b"next") == seqs[-1] + 1
    again.close()
