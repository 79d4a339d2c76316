"""What the sink tests share: a people_counter backfill, and reading what landed."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import psycopg

from infra.config import REPO_ROOT
from tests.jobs.launch import JobTopics, job_args
from tests.kafka_io import KafkaIO

PEOPLE_SQL = """
SELECT site_id, camera_id,
       to_char(window_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS window_start,
       to_char(window_end AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS window_end,
       avg_people, max_people, min_people, frames, unique_people
FROM ivica.people_counter WHERE camera_id LIKE %s ORDER BY camera_id, window_start
"""


def rows(dsn: str, query: str, *params) -> list[dict]:
    with psycopg.connect(dsn) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute(query, params).fetchall()


def wait_for(dsn: str, query: str, params: tuple, n: int, timeout_s: float = 90) -> list[dict]:
    """The rows once there are `n` (or at the timeout, however many there are)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            got = rows(dsn, query, *params)
        except psycopg.OperationalError:  # the database is still starting
            got = []
        if len(got) >= n or time.monotonic() > deadline:
            return got
        time.sleep(1)


def backfill(kafka: KafkaIO, topics: JobTopics, checkpoints: Path) -> None:
    """people_counter over the whole input topic, to its output topic."""
    done = subprocess.run(
        [sys.executable, "-m", "jobs.people_counter", "--backfill",
         *job_args(kafka, topics, checkpoints)],
        capture_output=True, text=True, timeout=300, check=False, cwd=REPO_ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
