"""Shared pieces of the golden tests: the stream, and the reference per job."""

from __future__ import annotations

from edge_producer.simulate import Stream, Streams, simulate
from tests.jobs.reference import gender_windows, people_windows, replay

DELAY_S = 5.0
JOB_NAMES = ("people_counter", "people_counter_sliding", "gender_counter", "gender_counter_sliding")


def golden_streams(**over) -> Streams:
    """Realistic: 4 cameras (one idle), jitter below the delay, ~1% malformed lines."""
    params = dict(
        seed=23,
        cameras=4,
        minutes=6,
        fps=2,
        jitter_s=3.0,
        idle_after_s=70,
        malformed_rate=0.01,
        late_rate=0.0,
    )
    return simulate(**(params | over))


def stream_for(job: str, streams: Streams) -> Stream:
    return streams.person if job.startswith("people") else streams.gender


def expected(job: str, stream: Stream, *, closed_only: bool) -> dict:
    """Reference rows. `closed_only`: a live job has emitted only windows the final watermark
    closed; a bounded run (file, backfill) flushes every window at the end of its input."""
    on_time, _, watermark = replay(stream, DELAY_S)
    size, slide = (300, 60) if job.endswith("sliding") else (60, None)
    windows = people_windows if job.startswith("people") else gender_windows
    return windows(on_time, size=size, slide=slide, watermark=watermark if closed_only else None)
