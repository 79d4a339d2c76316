"""Start jobs for tests: on the local mini-cluster (a subprocess) or on the standalone cluster."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from infra.config import REPO_ROOT, StackConfig
from infra.services.flink import flink_cli
from tests.jobs.golden import DELAY_S
from tests.kafka_io import KafkaIO


@dataclass
class JobTopics:
    input: str
    output: str
    dlq: str
    late: str

    @classmethod
    def create(cls, kafka: KafkaIO, input_topic: str, job: str) -> JobTopics:
        return cls(input_topic, *(kafka.topic(f"{job}.{k}") for k in ("out", "dlq", "late")))


def job_args(kafka: KafkaIO, t: JobTopics, checkpoints: Path, *extra: str) -> list[str]:
    return [
        "--bootstrap", kafka.bootstrap, "--input-topic", t.input, "--output-topic", t.output,
        "--dlq-topic", t.dlq, "--late-topic", t.late, "--group-id", f"g-{t.output}",
        "--watermark-delay", str(DELAY_S), "--checkpoint-interval", "2",
        "--checkpoint-dir", str(checkpoints), *extra,
    ]  # fmt: skip


def start_local(job: str, args: list[str], log: Path) -> subprocess.Popen:
    """`python -m jobs.<job>` in its own process group (the mini-cluster JVM is in it too)."""
    return subprocess.Popen(
        [sys.executable, "-m", f"jobs.{job}", *args], stdout=log.open("w"),
        stderr=subprocess.STDOUT, cwd=REPO_ROOT, start_new_session=True,
    )  # fmt: skip


def kill_local(proc: subprocess.Popen) -> None:
    """SIGKILL the whole job, as a crash would."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def submit(stack: StackConfig, job: str, args: list[str]) -> str:
    """`flink run -d -py jobs/<job>.py` against the stack's cluster; returns the job id."""
    cmd, env = flink_cli(stack)
    done = subprocess.run(
        [*cmd, "run", "-d", "-m", stack.flink_jobmanager, "-py", f"jobs/{job}.py", *args],
        capture_output=True, text=True, env=env, timeout=300, check=False, cwd=REPO_ROOT,
    )  # fmt: skip
    out = done.stdout + done.stderr
    found = re.search(r"JobID ([0-9a-f]{32})", out)
    assert done.returncode == 0 and found, out[-3000:]
    return found.group(1)


def job_state(stack: StackConfig, job_id: str) -> str:
    with urllib.request.urlopen(f"{stack.flink_rest_url}/jobs/{job_id}") as resp:
        return json.loads(resp.read())["state"]


def cancel(stack: StackConfig, job_id: str) -> None:
    req = urllib.request.Request(
        f"{stack.flink_rest_url}/jobs/{job_id}?mode=cancel", method="PATCH"
    )
    urllib.request.urlopen(req).close()
