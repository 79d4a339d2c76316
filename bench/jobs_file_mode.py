"""File mode on the local mini-cluster: what a backfill from files sees, start-up cancelled out.

Each job runs as `python -m jobs.<job> --input-file ...` (a fresh mini-cluster, as a user runs
it) on the first third of a file and on the whole file. Start-up, planning and shut-down are
the same in both runs, so the rate is (whole - third) records / (whole - third) seconds. The
ceiling is the pass-through (bench/passthrough_job.py) in file mode, run the same way,
interleaved with the jobs.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from edge_producer.simulate import Streams
from infra.config import REPO_ROOT
from jobs.specs import STREAM_JOBS

RUNS = (  # (label, module, stream job)
    ("pass-through person", "bench.passthrough_job", "people"),
    ("people", "jobs.people", "people"),
    ("pass-through gender", "bench.passthrough_job", "gender"),
    ("gender", "jobs.gender", "gender"),
)


def _args(module: str, stream_job: str, src: Path, out: Path) -> list[str]:
    files = ["--input-file", str(src), "--dlq-file", str(out / "dlq.jsonl")]
    if module == "bench.passthrough_job":
        return [*files, "--output-file", str(out / "raw.jsonl"), "--stream", stream_job]
    for r in STREAM_JOBS[stream_job].results:
        files += ["--output-file", f"{r.name}={out / r.name}.jsonl"]
    return files


def _timed(module: str, args: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", module, *args, "--checkpoint-interval", "5"],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=1800, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"{module} failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - started


def file_mode(streams: Streams) -> list[str]:
    """Rates and ratios, as summary lines."""
    lines = {"people": streams.person.lines, "gender": streams.gender.lines}
    rates: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="ivica-bench-files-") as tmp:
        inputs = {}
        for stream_job, rows in lines.items():
            for part, rows_ in (("third", rows[: len(rows) // 3]), ("whole", rows)):
                path = Path(tmp) / f"{stream_job}.{part}.jsonl"
                path.write_text("".join(line + "\n" for _, line in rows_))
                inputs[stream_job, part] = (path, len(rows_))
        for label, module, stream_job in RUNS:
            walls, counts = [], []
            for part in ("third", "whole"):
                src, n = inputs[stream_job, part]
                out = Path(tmp) / f"out.{label.replace(' ', '_')}.{part}"
                out.mkdir()
                print(f"file mode: {label}, {n:,} records ...", flush=True)
                walls.append(_timed(module, _args(module, stream_job, src, out)))
                counts.append(n)
                print(f"        {walls[-1]:.1f}s", flush=True)
            rates[label] = (counts[1] - counts[0]) / max(walls[1] - walls[0], 1e-9)
    out = ["file mode (local mini-cluster, parallelism 1, start-up cancelled out):"]
    for label, _, stream_job in RUNS:
        line = f"  {label:<22} {rates[label]:>9,.0f} ev/s"
        if not label.startswith("pass-through"):
            short = "person" if stream_job == "people" else "gender"
            line += f" = {rates[label] / rates[f'pass-through {short}']:.2f}x of its pass-through"
        out.append(line)
    return out
