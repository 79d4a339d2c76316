"""Backfill: a bounded run over a replayed topic, whole (as the live job read it) or a range of
capture time (only the windows wholly inside it, from every event captured in it).

It ends by itself, shows a progress bar, flushes every window at the end of its input, and
writes the same keys as before, so a downstream upsert overwrites instead of duplicating.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from edge_producer.simulate import T0, Stream
from infra.config import REPO_ROOT
from tests.jobs.golden import DELAY_S, expected, golden_streams
from tests.jobs.launch import JobTopics, job_args
from tests.jobs.reference import assert_rows_match, capture_time, gender_windows, replay
from tests.jobs.test_golden_file import GEOMETRY

pytestmark = pytest.mark.integration


def _send_times(stream: Stream, time_key: str = "captured_at") -> list[int]:
    """Record timestamps as an edge would stamp them: the send time, here the newest event
    time sent so far (monotone, like a clock)."""
    newest, out = 0, []
    for _, line in stream.lines:
        t = capture_time(line, time_key)
        if t is not None:
            newest = max(newest, round(t * 1000))
        out.append(newest)
    return out


def _backfill(job: str, args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", f"jobs.{job}", "--backfill", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=REPO_ROOT,
    )


def test_backfill_whole_topic_then_a_time_range(kafka, tmp_path):
    job = "gender_counter"
    stream = golden_streams(seed=41).gender
    stamps = _send_times(stream)
    topics = JobTopics.create(kafka, kafka.topic("replay"), job)
    kafka.produce(topics.input, stream.lines, timestamps=stamps)

    whole = _backfill(job, job_args(kafka, topics, tmp_path / "c1"))
    assert whole.returncode == 0, whole.stderr[-3000:]
    assert "backfill" in whole.stderr and "100%" in whole.stderr, "no progress bar"
    exp_whole = expected(job, stream, closed_only=False)
    first = kafka.read(topics.output, expect=len(exp_whole), timeout_s=60, settle_s=3)
    assert_rows_match(first, exp_whole)

    # A range of capture time, 1:30 to 4:00: the windows wholly inside it (2-3 and 3-4), each
    # made of every valid event captured in it, whenever it arrived; none other.
    lo, hi = T0 + timedelta(minutes=1, seconds=30), T0 + timedelta(minutes=4)
    iso = lambda t: t.astimezone(UTC).isoformat()  # noqa: E731
    ranged = _backfill(
        job, [*job_args(kafka, topics, tmp_path / "c2"), "--from", iso(lo), "--to", iso(hi)]
    )
    assert ranged.returncode == 0, ranged.stderr[-3000:]
    captured = [e for e in stream.valid if lo <= datetime.fromisoformat(e["captured_at"]) < hi]
    exp_part = {
        k: row
        for k, row in gender_windows(captured).items()
        if lo <= datetime.fromisoformat(row["window_start"])
        and datetime.fromisoformat(row["window_end"]) <= hi
    }
    assert {k[1] for k in exp_part} == {iso(T0 + timedelta(minutes=m)).replace("+00:00", "Z")
                                        for m in (2, 3)}  # fmt: skip
    rows = kafka.read(
        topics.output, expect=len(exp_whole) + len(exp_part), timeout_s=60, settle_s=3
    )
    assert_rows_match(rows[len(first) :], exp_part)
    # Same natural keys as the first run: an upsert on them overwrites.
    keys = lambda rs: {(r["camera_id"], r["window_start"], r["window_end"]) for r in rs}  # noqa: E731
    assert keys(rows[len(first) :]) <= keys(first)


def test_backfill_of_the_geometry_jobs(kafka, tmp_path):
    """footfall and dwell replay their whole topic as the live job read it: the same late
    events, every window flushed at the end (the reference of file mode, which
    test_exactly_once's live run matches for the windows it closed)."""
    for job, (_, stream, windows, by, time_key) in GEOMETRY.items():
        topics = JobTopics.create(kafka, kafka.topic(f"replay-{job}"), job)
        kafka.produce(topics.input, stream.lines, timestamps=_send_times(stream, time_key))
        done = _backfill(job, job_args(kafka, topics, tmp_path / job))
        assert done.returncode == 0, done.stderr[-3000:]
        on_time, late, _ = replay(stream, DELAY_S, time_key=time_key)
        exp = windows(on_time)
        assert_rows_match(kafka.read(topics.output, expect=len(exp), timeout_s=60, settle_s=3),
                          exp, by)  # fmt: skip
        dlq = kafka.read(topics.dlq, expect=len(stream.malformed), timeout_s=30, settle_s=2)
        assert sorted(r["payload"] for r in dlq) == sorted(b for _, b in stream.malformed)
        got_late = kafka.read(topics.late, expect=len(late), timeout_s=30, settle_s=2)
        assert len(got_late) == len(late) > 0
