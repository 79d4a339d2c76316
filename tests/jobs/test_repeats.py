"""Each event once: the golden streams with repeats (byte-identical copies, as at-least-once
delivery brings them) give the results of the streams without them, in file mode.

The streams mix events with an event_id and, as older producers send them, without one (never
taken for repeats). The copies cover every case (tests/jobs/repeats.py): dropped in their
window, dropped after later windows have begun, and late (each late copy in the late output).
Expected values come from the plain-Python reference on the stream without repeats.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from edge_producer.simulate import Stream
from tests.jobs.geometry import with_zones
from tests.jobs.golden import DELAY_S, golden_streams
from tests.jobs.reference import (
    assert_rows_match,
    gender_windows,
    people_windows,
    replay,
    zone_occupancy_windows,
)
from tests.jobs.repeats import KINDS, copy_kinds, with_repeats, without_ids
from tests.jobs.test_golden_file import GEOMETRY, run_file_job

STREAMS = golden_streams(late_rate=0.01)
SIZES = {  # every output of the stream job: (size, slide)
    "people": {
        "people_counter": (60, None),
        "people_counter_sliding": (300, 60),
        "people_counter_hourly": (3600, None),
    },
    "gender": {"gender_counter": (60, None), "gender_counter_sliding": (300, 60)},
}


def repeated(stream: Stream) -> tuple[Stream, Stream]:
    """(the stream without repeats, a tenth of its events without an event_id; the same with
    repeats), and a check that the copies cover every case."""
    once = without_ids(stream, rate=0.1, seed=3)
    again = with_repeats(once, delay_s=DELAY_S)
    kinds = copy_kinds(again, DELAY_S)
    assert all(kinds[k] >= 10 for k in KINDS), kinds
    assert sum(kinds.values()) == len(again.lines) - len(once.lines)
    assert any("event_id" not in e for e in once.valid)
    return once, again


@pytest.mark.parametrize("job", ["people", "gender"])
def test_stream_job_counts_each_event_once(job, tmp_path):
    """Every output, zone_occupancy too (the people's detections carry zones)."""
    once, again = repeated(with_zones(STREAMS.person) if job == "people" else STREAMS.gender)
    src, dlq, late_file = (tmp_path / n for n in ("in.jsonl", "dlq.jsonl", "late.jsonl"))
    src.write_text("".join(line + "\n" for _, line in again.lines))
    names = [*SIZES[job], "zone_occupancy"] if job == "people" else list(SIZES[job])
    files = [f"--output-file={name}={tmp_path / name}.jsonl" for name in names]
    done = subprocess.run(
        [sys.executable, "-m", f"jobs.{job}", "--input-file", str(src), *files,
         "--dlq-file", str(dlq), "--late-file", str(late_file),
         "--watermark-delay", str(DELAY_S), "--checkpoint-interval", "1"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    read = lambda p: [json.loads(x) for x in p.read_text().splitlines()]  # noqa: E731

    # Every output as if each event had arrived once.
    on_time, late_once, _ = replay(once, DELAY_S)
    windows = people_windows if job == "people" else gender_windows
    for name, (size, slide) in SIZES[job].items():
        exp = windows(on_time, size=size, slide=slide)
        assert_rows_match(read(tmp_path / f"{name}.jsonl"), exp)
    if job == "people":
        zones = read(tmp_path / "zone_occupancy.jsonl")
        assert_rows_match(zones, zone_occupancy_windows(on_time), ("camera_id", "zone_id"))
    # The dead letters are the malformed lines, once each: repeats change nothing there.
    assert sorted(r["payload"] for r in read(dlq)) == sorted(b for _, b in once.malformed)
    # Late: the late events, and every late copy (of on-time and of late events alike).
    _, late, _ = replay(again, DELAY_S)
    assert len(late) == len(late_once) + copy_kinds(again, DELAY_S)["late"]
    assert sorted(r["payload"] for r in read(late_file)) == sorted(json.dumps(e) for e in late)
    assert f"{len(late)} late events" in done.stderr


def test_keep_repeats_counts_every_copy(tmp_path):
    """--keep-repeats: every on-time copy counts, so the results differ from the stream's
    without repeats (what the test above would catch) and match the reference that keeps them."""
    once, again = repeated(STREAMS.person)
    got = run_file_job("people_counter", [line for _, line in again.lines], tmp_path,
                       "--keep-repeats")  # fmt: skip
    with pytest.raises(AssertionError):
        assert_rows_match(got["result"], people_windows(replay(once, DELAY_S)[0]))
    every, late, _ = replay(again, DELAY_S, keep_repeats=True)
    assert_rows_match(got["result"], people_windows(every))
    assert sorted(r["payload"] for r in got["late"]) == sorted(json.dumps(e) for e in late)


@pytest.mark.parametrize("job", sorted(GEOMETRY))
def test_geometry_job_counts_each_event_once(job, tmp_path):
    """footfall and dwell on their streams with repeats (every event has its required
    event_id): the windows of the stream without them; every late copy in the late output."""
    _, once, windows, by, time_key = GEOMETRY[job]
    again = with_repeats(once, delay_s=DELAY_S, time_key=time_key)
    kinds = copy_kinds(again, DELAY_S, time_key)
    assert all(kinds[k] >= 5 for k in KINDS), kinds
    got = run_file_job(job, [line for _, line in again.lines], tmp_path, output=job)

    assert_rows_match(got["result"], windows(replay(once, DELAY_S, time_key=time_key)[0]), by)
    assert sorted(r["payload"] for r in got["dlq"]) == sorted(b for _, b in once.malformed)
    _, late, _ = replay(again, DELAY_S, time_key=time_key)
    assert sorted(r["payload"] for r in got["late"]) == sorted(json.dumps(e) for e in late)
    with pytest.raises(AssertionError):  # the copies would change the windows if counted
        assert_rows_match(got["result"], windows(replay(again, DELAY_S, keep_repeats=True,
                                                        time_key=time_key)[0]), by)  # fmt: skip
