"""The jobs on the stack's Flink cluster: submitted once, found by name afterwards."""

from __future__ import annotations

import subprocess

from infra.config import REPO_ROOT, StackConfig
from infra.proc import StackError
from infra.services.base import http_json
from infra.services.flink import flink_cli

# One job per stream: each reads its topic once for all of the stream's outputs (docs/jobs.md).
JOBS = ("people", "gender", "footfall", "dwell")


def submit(cfg: StackConfig, job: str, echo=print) -> None:
    """Submit a job to the stack's cluster unless it is already running there."""
    overview = http_json(f"{cfg.flink_rest_url}/jobs/overview") or {"jobs": []}
    if any(j["name"] == f"ivica-{job}" and j["state"] == "RUNNING" for j in overview["jobs"]):
        echo(f"job {job}: already running on {cfg.flink_rest_url}")
        return
    cmd, env = flink_cli(cfg)
    args = ["run", "-d", "-m", cfg.flink_jobmanager, "-py", f"jobs/{job}.py",
            "--bootstrap", cfg.kafka_bootstrap, "--checkpoint-interval", "5"]  # fmt: skip
    done = subprocess.run(
        [*cmd, *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise StackError(f"submitting {job} failed:\n{(done.stdout + done.stderr)[-2000:]}")
    echo(f"job {job}: submitted to {cfg.flink_rest_url}")
