"""Shared job runtime: build the tables for the mode, run the job's SQL, route DLQ and late rows.

A job is a `JobSpec`: which raw stream it reads, which SQL it runs, what it writes.
The same query text runs in every mode; only the source and sink tables change.
"""

from __future__ import annotations

import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from string import Template

from pyflink.table import EnvironmentSettings, TableEnvironment

from jobs import tables
from jobs.config import JobConfig, parse_args
from jobs.files import FileOutputs, summary

JOBS_DIR = Path(__file__).resolve().parent
WINDOW_KEY = ("camera_id", "window_start", "window_end")


@dataclass(frozen=True)
class JobSpec:
    name: str
    query: str  # jobs/<query>.sql
    stream: str  # person_detections | gender_classifications: jobs/sql/<stream>_parse.sql
    input_topic: str
    output_topic: str
    sink_columns: tables.Columns
    sliding: bool = False
    default_window_s: int | None = None  # else 60, or 300 when sliding

    def window(self, cfg: JobConfig) -> tuple[int, int]:
        size = cfg.window_s or self.default_window_s or (300 if self.sliding else 60)
        if not self.sliding:
            if cfg.slide_s is not None:
                raise ValueError(f"{self.name} is a tumbling-window job: --slide does not apply")
            return size, size
        slide = cfg.slide_s or 60
        if size % slide:
            raise ValueError(f"--window ({size}) must be a multiple of --slide ({slide})")
        return size, slide


def split_statements(sql: str) -> list[str]:
    """Drop full-line `--` comments, then split on semicolons that end a line."""
    code = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in re.split(r";\s*$", code, flags=re.MULTILINE) if s.strip()]


def render_sql(path: Path, params: dict[str, str]) -> list[str]:
    sql = Template(path.read_text()).safe_substitute(params)
    if "${" in sql:
        raise ValueError(f"{path}: unknown parameter in {re.findall(r'[$][{][^}]*[}]', sql)}")
    return split_statements(sql)


def sql_params(spec: JobSpec, cfg: JobConfig) -> dict[str, str]:
    size, slide = spec.window(cfg)
    if spec.sliding:
        window = {
            "window_fn": "HOP",
            "window_intervals": f"{tables.interval(slide)}, {tables.interval(size)}",
        }
    else:
        window = {"window_fn": "TUMBLE", "window_intervals": tables.interval(size)}
    return {"job": spec.name, **window}


def side_output_views(spec: JobSpec) -> list[str]:
    fmt = tables.TS_FORMAT
    return [
        f"CREATE TEMPORARY VIEW dlq_rows AS SELECT '{spec.name}' AS job, reason, payload "
        f"FROM {spec.stream}_dlq",
        f"CREATE TEMPORARY VIEW late_rows AS SELECT '{spec.name}' AS job, camera_id, "
        f"DATE_FORMAT(event_time, '{fmt}') AS event_time, "
        f"DATE_FORMAT(watermark_at, '{fmt}') AS watermark_at, payload FROM {spec.stream}_late",
    ]


@dataclass(frozen=True)
class Output:
    name: str  # result | dlq | late
    view: str
    columns: tables.Columns
    topic: str
    schema_name: str  # the Connect schema's name
    key: tuple[str, ...] = ()

    @property
    def table(self) -> str:
        return f"{self.name}_out"


def outputs(spec: JobSpec, cfg: JobConfig) -> list[Output]:
    out = cfg.topics.output or spec.output_topic
    return [
        Output(
            "result",
            f"{spec.name}_results",
            spec.sink_columns,
            out,
            f"ivica.{spec.name}",
            WINDOW_KEY,
        ),
        Output(
            "dlq",
            "dlq_rows",
            tables.DLQ_COLUMNS,
            cfg.topics.dlq or f"{out}.dlq",
            "ivica.dead_letter",
        ),
        Output(
            "late",
            "late_rows",
            tables.LATE_COLUMNS,
            cfg.topics.late or f"{out}.late",
            "ivica.late_event",
        ),
    ]


def create_sinks(
    t_env: TableEnvironment, cfg: JobConfig, outs: list[Output], files: FileOutputs | None
) -> list[str]:
    """Create each output's sink table; return the INSERT statements that fill them.

    Files get the plain rows; Kafka gets Connect envelopes ({schema, payload}), keyed by the
    natural key for results."""
    inserts = []
    for o in outs:
        if files:
            t_env.execute_sql(tables.file_sink_ddl(o.table, o.columns, files.folder(o.name)))
            inserts.append(f"INSERT INTO {o.table} SELECT * FROM {o.view}")
            continue
        cols = tables.envelope_columns(o.columns, o.key)
        t_env.execute_sql(tables.kafka_sink_ddl(o.table, cols, cfg, o.topic, o.key))
        select = tables.envelope_select(o.view, o.columns, o.schema_name, o.key)
        inserts.append(f"INSERT INTO {o.table} {select}")
    return inserts


def default_jars(cfg: JobConfig) -> list[str]:
    if cfg.jars:
        return cfg.jars
    if os.environ.get("IVICA_FLINK_JARS"):
        return os.environ["IVICA_FLINK_JARS"].split(os.pathsep)
    return [str(p) for p in (JOBS_DIR.parent / "infra" / "lib" / "flink").glob("*.jar")]


def latest_checkpoint(checkpoint_dir: str) -> str:
    root = Path(checkpoint_dir.removeprefix("file://"))
    found = sorted(root.glob("*/chk-*/_metadata"), key=lambda p: p.stat().st_mtime)
    if not found:
        raise FileNotFoundError(f"no completed checkpoint under {root}")
    return found[-1].parent.as_uri()


def table_env(spec: JobSpec, cfg: JobConfig) -> TableEnvironment:
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    conf = t_env.get_config()
    conf.set("pipeline.name", f"ivica-{spec.name}")
    conf.set("table.local-time-zone", "UTC")
    conf.set("parallelism.default", str(cfg.parallelism))
    conf.set("execution.checkpointing.interval", f"{round(cfg.checkpoint_interval_s * 1000)} ms")
    conf.set("execution.checkpointing.mode", "EXACTLY_ONCE")
    conf.set("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION")
    if cfg.checkpoint_dir:
        conf.set("execution.checkpointing.dir", cfg.checkpoint_dir)
    if cfg.restore:
        path = (
            latest_checkpoint(cfg.checkpoint_dir or "") if cfg.restore == "latest" else cfg.restore
        )
        conf.set("execution.state-recovery.path", path)
        print(f"{spec.name}: restoring from {path}", file=sys.stderr, flush=True)
    jars = [Path(j).resolve().as_uri() for j in default_jars(cfg)]
    if jars and not cfg.files:
        conf.set("pipeline.jars", ";".join(jars))
    return t_env


def run(spec: JobSpec, argv: list[str] | None = None) -> int:
    cfg = parse_args(f"jobs.{spec.name}", argv)
    if cfg.backfill and not cfg.kafka.group_id:
        group = f"ivica-{spec.name}-backfill-{int(time.time())}"
        cfg = cfg.model_copy(update={"kafka": cfg.kafka.model_copy(update={"group_id": group})})
    files = FileOutputs(cfg.files) if cfg.files else None
    if files:
        files.prepare()
    t_env = table_env(spec, cfg)
    in_topic = cfg.topics.input or spec.input_topic
    t_env.execute_sql(tables.raw_source_ddl(spec.stream, cfg, spec.name, in_topic))
    params = sql_params(spec, cfg)
    views = render_sql(JOBS_DIR / "sql" / f"{spec.stream}_parse.sql", params)
    views += render_sql(JOBS_DIR / f"{spec.query}.sql", params) + side_output_views(spec)
    for statement in views:
        t_env.execute_sql(statement)
    job = t_env.create_statement_set()
    for insert in create_sinks(t_env, cfg, outputs(spec, cfg), files):
        job.add_insert_sql(insert)
    progress = None
    if cfg.backfill:
        from jobs.progress import BackfillProgress

        progress = BackfillProgress(cfg, in_topic, cfg.kafka.group_id or "")
    result = job.execute()
    print(
        f"{spec.name}: job {result.get_job_client().get_job_id()} ({cfg.mode} mode)",
        file=sys.stderr,
        flush=True,
    )
    if t_env.get_config().get("execution.attached", "true") != "true":
        return 0  # `flink run -d`: the cluster runs it
    try:
        result.wait()  # live: runs until cancelled; file and backfill: until the input ends
    finally:
        if progress:
            progress.close(finished=True)
    if files:
        rows = files.assemble(sort_keys=("window_start", "camera_id", "window_end"))
        print(summary(spec.name, rows, files.targets), file=sys.stderr)
    return 0
