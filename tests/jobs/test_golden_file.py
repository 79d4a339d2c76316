"""Golden tests in file mode: all four jobs against the plain-Python reference, exactly."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.jobs.golden import DELAY_S, JOB_NAMES, expected, golden_streams, stream_for
from tests.jobs.reference import assert_rows_match, gender_windows, people_windows, replay

STREAMS = golden_streams(late_rate=0.01)


def run_file_job(job: str, lines: list[str], tmp_path, *extra: str) -> dict[str, list[dict]]:
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
            str(out),
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


@pytest.mark.parametrize("job", ["people", "gender"])
def test_one_read_for_all_outputs_matches_reference(job, tmp_path):
    """The stream job: every output of the stream from one read, the coarser windows rolled up
    from the 1-minute parts, each output equal to the reference computed on its own."""
    stream = stream_for(job, STREAMS)
    windows = people_windows if job == "people" else gender_windows
    sizes = {f"{job}_counter": (60, None), f"{job}_counter_sliding": (300, 60)}
    if job == "people":
        sizes["people_counter_hourly"] = (3600, None)
    src = tmp_path / "in.jsonl"
    src.write_text("".join(line + "\n" for _, line in stream.lines))
    files = [f"--output-file={name}={tmp_path / name}.jsonl" for name in sizes]
    done = subprocess.run(
        [sys.executable, "-m", f"jobs.{job}", "--input-file", str(src), *files,
         "--dlq-file", str(tmp_path / "dlq.jsonl"), "--watermark-delay", str(DELAY_S),
         "--checkpoint-interval", "1"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]

    on_time, late, _ = replay(stream, DELAY_S)
    for name, (size, slide) in sizes.items():
        rows = [json.loads(x) for x in (tmp_path / f"{name}.jsonl").read_text().splitlines()]
        assert_rows_match(rows, windows(on_time, size=size, slide=slide))
    # One dead-letter and one late output for the stream, named after the job.
    dlq = [json.loads(x) for x in (tmp_path / "dlq.jsonl").read_text().splitlines()]
    assert sorted(r["payload"] for r in dlq) == sorted(b for _, b in stream.malformed)
    assert {r["job"] for r in dlq} == {job}
    late_rows = [json.loads(x) for x in (tmp_path / "dlq.jsonl.late").read_text().splitlines()]
    assert sorted(r["payload"] for r in late_rows) == sorted(json.dumps(e) for e in late)
