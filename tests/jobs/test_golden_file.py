"""Golden tests in file mode: every job against the plain-Python reference, exactly."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.jobs import contract_reference
from tests.jobs.geometry import crossings, visits, with_zones
from tests.jobs.golden import DELAY_S, JOB_NAMES, expected, golden_streams, stream_for
from tests.jobs.reference import (
    assert_rows_match,
    dwell_windows,
    footfall_windows,
    gender_windows,
    people_windows,
    replay,
    zone_occupancy_windows,
)

STREAMS = golden_streams(late_rate=0.01)
# The geometry jobs: (their stream's name, a stream, the reference, the fields rows are grouped
# by besides the window, the event time's key)
GEOMETRY = {
    "footfall": ("line_crossings", crossings(), footfall_windows, ("camera_id", "line_id"),
                 "captured_at"),
    "dwell": ("zone_visits", visits(), dwell_windows, ("camera_id", "zone_id"), "exited_at"),
}  # fmt: skip


def run_file_job(
    job: str, lines: list[str], tmp_path, *extra: str, output: str | None = None
) -> dict[str, list[dict]]:
    """The job in file mode; `output`: name the result file OUTPUT=PATH (the stream jobs)."""
    src = tmp_path / "in.jsonl"
    src.write_text("".join(line + "\n" for line in lines))
    out, dlq, late = (tmp_path / n for n in ("out.jsonl", "dlq.jsonl", "late.jsonl"))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            f"jobs.{job}",
            "--input-file",
            str(src),
            "--output-file",
            f"{output}={out}" if output else str(out),
            "--dlq-file",
            str(dlq),
            "--late-file",
            str(late),
            "--watermark-delay",
            str(DELAY_S),
            "--checkpoint-interval",
            "1",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    read = lambda p: [json.loads(x) for x in p.read_text().splitlines()]  # noqa: E731
    return {"result": read(out), "dlq": read(dlq), "late": read(late), "stderr": done.stderr}


@pytest.mark.parametrize("job", JOB_NAMES)
def test_job_matches_reference_in_file_mode(job, tmp_path):
    stream = stream_for(job, STREAMS)
    assert stream.malformed and stream.late, "the golden stream must exercise DLQ and late"
    got = run_file_job(job, [line for _, line in stream.lines], tmp_path)

    exp = expected(job, stream, closed_only=False)
    assert len(exp) >= 15
    assert_rows_match(got["result"], exp)

    # Every malformed line, and nothing else, is in the DLQ with a reason.
    assert sorted(r["payload"] for r in got["dlq"]) == sorted(b for _, b in stream.malformed)
    assert all(r["reason"] and r["job"] == job for r in got["dlq"])
    # Late events are exactly the reference's, with their camera and the watermark.
    _, late, _ = replay(stream, DELAY_S)
    assert sorted(r["payload"] for r in got["late"]) == sorted(json.dumps(e) for e in late)
    assert all(r["watermark_at"] >= r["event_time"] for r in got["late"])
    assert f"{len(late)} late events" in got["stderr"]


@pytest.mark.parametrize("job", sorted(GEOMETRY))
def test_geometry_job_matches_reference_in_file_mode(job, tmp_path):
    """footfall and dwell through the fixed file interface (--output-file JOB=PATH): the
    windows of the valid on-time events, each dead letter with the reference's reason, and the
    reference's late events (late by their event time: captured_at, or a visit's exited_at)."""
    stream_name, stream, windows, by, time_key = GEOMETRY[job]
    assert stream.malformed and stream.late
    got = run_file_job(job, [line for _, line in stream.lines], tmp_path, output=job)

    on_time, late, _ = replay(stream, DELAY_S, time_key=time_key)
    exp = windows(on_time)
    assert len(exp) >= 20
    assert_rows_match(got["result"], exp, by)
    assert [(r["window_start"], *(r[f] for f in by)) for r in got["result"]] == sorted(
        (k[-1].replace("+00:00", "Z"), *k[:-1]) for k in exp
    ), "rows sorted by window_start, then the key"
    reasons = {r["payload"]: r["reason"] for r in got["dlq"]}
    assert len(got["dlq"]) == len(reasons) == len(stream.malformed)
    for _, line in stream.malformed:
        want = contract_reference.reason(stream_name, line)
        assert want is not None and reasons[line].startswith(want.split(":")[0]), line
        if not want.startswith("invalid JSON"):
            assert reasons[line] == want, line
    assert {r["job"] for r in got["dlq"]} == {job}
    assert sorted(r["payload"] for r in got["late"]) == sorted(json.dumps(e) for e in late)
    assert all(r["watermark_at"] >= r["event_time"] for r in got["late"])


@pytest.mark.parametrize("job", ["people", "gender"])
def test_one_read_for_all_outputs_matches_reference(job, tmp_path):
    """The stream job: every output of the stream from one read, the coarser windows rolled up
    from the 1-minute parts, each output equal to the reference computed on its own. People's
    detections carry zones (zone_occupancy), which change none of the other outputs."""
    stream = with_zones(STREAMS.person) if job == "people" else STREAMS.gender
    windows = people_windows if job == "people" else gender_windows
    sizes = {f"{job}_counter": (60, None), f"{job}_counter_sliding": (300, 60)}
    if job == "people":
        sizes["people_counter_hourly"] = (3600, None)
    src = tmp_path / "in.jsonl"
    src.write_text("".join(line + "\n" for _, line in stream.lines))
    names = [*sizes, "zone_occupancy"] if job == "people" else list(sizes)
    files = [f"--output-file={name}={tmp_path / name}.jsonl" for name in names]
    done = subprocess.run(
        [sys.executable, "-m", f"jobs.{job}", "--input-file", str(src), *files,
         "--dlq-file", str(tmp_path / "dlq.jsonl"), "--watermark-delay", str(DELAY_S),
         "--checkpoint-interval", "1"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]

    on_time, late, _ = replay(stream, DELAY_S)
    read = lambda name: [json.loads(x) for x in (tmp_path / f"{name}.jsonl").open()]  # noqa: E731
    for name, (size, slide) in sizes.items():
        assert_rows_match(read(name), windows(on_time, size=size, slide=slide))
    if job == "people":
        zones = zone_occupancy_windows(on_time)
        assert len(zones) >= 30 and any(r["avg_people"] < r["max_people"] for r in zones.values())
        assert_rows_match(read("zone_occupancy"), zones, ("camera_id", "zone_id"))
    # One dead-letter and one late output for the stream, named after the job.
    dlq = [json.loads(x) for x in (tmp_path / "dlq.jsonl").read_text().splitlines()]
    assert sorted(r["payload"] for r in dlq) == sorted(b for _, b in stream.malformed)
    assert {r["job"] for r in dlq} == {job}
    late_rows = [json.loads(x) for x in (tmp_path / "dlq.jsonl.late").read_text().splitlines()]
    assert sorted(r["payload"] for r in late_rows) == sorted(json.dumps(e) for e in late)
