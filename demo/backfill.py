"""`ivica jobs backfill`: the raw topics replayed from a point in time into freshly truncated
result tables (docs/backfill.md).

The result tables are truncated, then each job runs as a bounded backfill
(`python -m jobs.<job> --backfill`, a local Flink, progress bar on the terminal) and writes the
contract's result topics; the JDBC sinks land the rows by upsert as they do the live ones. The
replay's dead letters and late events go to `<topic>.replay` side topics, which no sink reads:
the live run already recorded them once in PostgreSQL.
"""

from __future__ import annotations

import subprocess
import sys

import psycopg
from psycopg import sql

from connectors import connect
from contracts import topics
from infra.config import REPO_ROOT, StackConfig
from infra.proc import StackError
from infra.services.postgres import Postgres

INPUTS = {"people": topics.PERSON_DETECTIONS, "gender": topics.GENDER_CLASSIFICATIONS}
REPLAY_SUFFIX = ".replay"


def result_tables(cfg: StackConfig) -> list[str]:
    """The tables the result sinks write (schema.table), as their connector configs name them."""
    configs = connect.render(connect.stack_settings(cfg))
    return [c["config"]["collection.name.format"] for c in configs if "topics" in c["config"]]


def backfill(
    cfg: StackConfig,
    start: str = "earliest",
    end: str | None = None,
    echo=print,
) -> None:
    """Truncate the result tables, then replay each job's raw topic from `start` to `end`
    (default: the offsets at launch), the jobs' progress on the terminal."""
    tables = result_tables(cfg)
    with psycopg.connect(Postgres(cfg).dsn()) as conn:
        conn.execute(
            sql.SQL("TRUNCATE {}").format(
                sql.SQL(", ").join(sql.Identifier(*t.split(".")) for t in tables)
            )
        )
    echo(f"truncated {', '.join(tables)}")
    for job, raw in INPUTS.items():
        cmd = [sys.executable, "-m", f"jobs.{job}", "--backfill", "--from", start,
               "--bootstrap", cfg.kafka_bootstrap,
               "--dlq-topic", topics.dlq_topic(raw) + REPLAY_SUFFIX,
               "--late-topic", topics.late_topic(raw) + REPLAY_SUFFIX]  # fmt: skip
        if end:
            cmd += ["--to", end]
        echo(f"job {job}: replaying {raw} from {start} to {end or 'the latest offsets'}")
        done = subprocess.run(cmd, cwd=REPO_ROOT, check=False)
        if done.returncode != 0:
            raise StackError(f"backfill of {job} failed ({done.returncode}): see its output above")
    echo("replayed; the JDBC sinks land the rows within seconds (`ivica connect status`)")
