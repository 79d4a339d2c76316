"""Golden tests in file mode: all four jobs against the plain-Python reference, exactly."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.jobs.golden import DELAY_S, JOB_NAMES, expected, golden_streams, stream_for
from tests.jobs.reference import assert_rows_match, replay

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
