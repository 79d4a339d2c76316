"""Shared job runtime: arguments, table environment, source/sink DDL per mode, DLQ and late routing.

A job is a `JobSpec` (which raw stream it reads, which SQL file it runs, what it writes).
The same query text runs in every mode; only the source and sink tables change.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from string import Template

from pyflink.table import EnvironmentSettings, TableEnvironment

from jobs.config import JobConfig, load_job_config

JOBS_DIR = Path(__file__).resolve().parent
TS_FORMAT = "yyyy-MM-dd''T''HH:mm:ss.SSS''Z''"

DLQ_COLUMNS = [("job", "STRING"), ("reason", "STRING"), ("payload", "STRING")]
LATE_COLUMNS = [
    ("job", "STRING"),
    ("camera_id", "STRING"),
    ("event_time", "STRING"),
    ("watermark_at", "STRING"),
    ("payload", "STRING"),
]


@dataclass(frozen=True)
class JobSpec:
    name: str
    input_topic: str
    output_topic: str
    parse_sql: str  # file under jobs/sql/, defines <stream>_dlq, <stream>_late and the typed view
    stream: str  # e.g. person_detections: the raw table is <stream>_raw
    sink_columns: list[tuple[str, str]]
    sink_key: tuple[str, ...] = ("camera_id", "window_start", "window_end")

    @property
    def sql_file(self) -> Path:
        return JOBS_DIR / f"{self.name}.sql"


def split_statements(sql: str) -> list[str]:
    """Drop full-line `--` comments, then split on semicolons that end a line."""
    code = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in re.split(r";\s*$", code, flags=re.MULTILINE) if s.strip()]


def render_sql(path: Path, cfg: JobConfig) -> list[str]:
    params = {
        "window_s": cfg.window_s,
        "slide_s": cfg.slide_s,
        "watermark_delay_s": cfg.watermark_delay_s,
    }
    sql = Template(path.read_text()).safe_substitute(params)
    if "${" in sql:
        raise ValueError(f"{path}: unknown parameter in {re.findall(r'[$][{][^}]*[}]', sql)}")
    return split_statements(sql)


def _with(options: dict[str, str]) -> str:
    body = ",\n  ".join(f"'{k}' = '{v}'" for k, v in options.items())
    return f"WITH (\n  {body}\n)"


def _columns(cols: list[tuple[str, str]]) -> str:
    return ",\n  ".join(f"`{n}` {t}" for n, t in cols)


def kafka_base(cfg: JobConfig, topic: str) -> dict[str, str]:
    opts = {
        "connector": "kafka",
        "topic": topic,
        "properties.bootstrap.servers": cfg.kafka.bootstrap,
    }
    opts.update({f"properties.{k}": v for k, v in cfg.kafka.resolved_properties().items()})
    return opts


def raw_source_ddl(spec: JobSpec, cfg: JobConfig, topic: str) -> str:
    """The raw event table: one STRING per record, event time parsed from captured_at.

    Records whose captured_at cannot be parsed get the epoch as event time: they never move
    the watermark and the parse view sends them to the DLQ before any window sees them.
    """
    opts = kafka_base(cfg, topic) | {
        "format": "raw",
        "properties.group.id": cfg.kafka.group_id or f"ivica-{spec.name}",
        "scan.startup.mode": cfg.kafka.startup_mode,
        "scan.watermark.idle-timeout": f"{int(cfg.idle_timeout_s * 1000)} ms",
    }
    return f"""CREATE TABLE {spec.stream}_raw (
  payload STRING,
  event_time AS COALESCE(
    TO_TIMESTAMP(JSON_VALUE(payload, '$.captured_at'), '{TS_FORMAT}'),
    TIMESTAMP '1970-01-01 00:00:00.000'),
  WATERMARK FOR event_time AS event_time - INTERVAL '{cfg.watermark_delay_s:.3f}' SECOND
) {_with(opts)}"""


def kafka_sink_ddl(
    table: str, cols: list[tuple[str, str]], cfg: JobConfig, topic: str, key: tuple[str, ...] = ()
) -> str:
    opts = kafka_base(cfg, topic) | {
        "value.format": "json",
        "sink.delivery-guarantee": "exactly-once",
        "sink.transactional-id-prefix": f"ivica-{topic}",
        "properties.transaction.timeout.ms": "900000",
    }
    if key:
        opts |= {"key.format": "json", "key.fields": ";".join(key), "value.fields-include": "ALL"}
    return f"CREATE TABLE {table} (\n  {_columns(cols)}\n) {_with(opts)}"


def side_output_inserts(spec: JobSpec) -> list[str]:
    return [
        f"INSERT INTO dlq_out SELECT '{spec.name}', reason, payload FROM {spec.stream}_dlq",
        f"INSERT INTO late_out SELECT '{spec.name}', camera_id, "
        f"DATE_FORMAT(event_time, '{TS_FORMAT}'), DATE_FORMAT(watermark_at, '{TS_FORMAT}'), "
        f"payload FROM {spec.stream}_late",
    ]


def default_jars(cfg: JobConfig) -> list[str]:
    if cfg.jars:
        return cfg.jars
    if os.environ.get("IVICA_FLINK_JARS"):
        return os.environ["IVICA_FLINK_JARS"].split(os.pathsep)
    return [str(p) for p in (JOBS_DIR.parent / "infra" / "lib" / "flink").glob("*.jar")]


def table_env(spec: JobSpec, cfg: JobConfig) -> TableEnvironment:
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    conf = t_env.get_config()
    conf.set("pipeline.name", f"ivica-{spec.name}")
    conf.set("table.local-time-zone", "UTC")
    conf.set("parallelism.default", str(cfg.parallelism))
    conf.set("execution.checkpointing.interval", f"{int(cfg.checkpoint_interval_s * 1000)} ms")
    conf.set("execution.checkpointing.mode", "EXACTLY_ONCE")
    if cfg.checkpoint_dir:
        conf.set("execution.checkpointing.dir", cfg.checkpoint_dir)
    jars = [Path(j).resolve().as_uri() for j in default_jars(cfg)]
    if jars:
        conf.set("pipeline.jars", ";".join(jars))
    return t_env


def parse_args(spec: JobSpec, argv: list[str] | None) -> JobConfig:
    p = argparse.ArgumentParser(prog=f"jobs.{spec.name}", description=f"Ivica job {spec.name}")
    p.add_argument("--config", help="job YAML (jobs/config.py JobConfig)")
    p.add_argument("--bootstrap", help="Kafka bootstrap servers")
    p.add_argument("--input-topic")
    p.add_argument("--output-topic")
    p.add_argument("--dlq-topic")
    p.add_argument("--late-topic")
    p.add_argument("--group-id")
    p.add_argument("--window", type=int, help="window size, seconds")
    p.add_argument("--slide", type=int, help="slide of sliding windows, seconds")
    p.add_argument("--watermark-delay", type=float, help="seconds")
    p.add_argument("--idle-timeout", type=float, help="seconds")
    p.add_argument("--checkpoint-interval", type=float, help="seconds")
    p.add_argument("--checkpoint-dir")
    p.add_argument("--parallelism", type=int)
    p.add_argument("--jar", action="append", help="connector JAR (repeatable)")
    a = p.parse_args(argv)
    data = load_job_config(a.config).model_dump()
    overrides = {
        ("kafka", "bootstrap"): a.bootstrap,
        ("kafka", "group_id"): a.group_id,
        ("topics", "input"): a.input_topic,
        ("topics", "output"): a.output_topic,
        ("topics", "dlq"): a.dlq_topic,
        ("topics", "late"): a.late_topic,
        ("window_s",): a.window,
        ("slide_s",): a.slide,
        ("watermark_delay_s",): a.watermark_delay,
        ("idle_timeout_s",): a.idle_timeout,
        ("checkpoint_interval_s",): a.checkpoint_interval,
        ("checkpoint_dir",): a.checkpoint_dir,
        ("parallelism",): a.parallelism,
        ("jars",): a.jar,
    }
    for path, value in overrides.items():
        if value is not None:
            node = data
            for part in path[:-1]:
                node = node[part]
            node[path[-1]] = value
    return JobConfig.model_validate(data)


def run(spec: JobSpec, argv: list[str] | None = None) -> int:
    cfg = parse_args(spec, argv)
    out_topic = cfg.topics.output or spec.output_topic
    t_env = table_env(spec, cfg)
    t_env.execute_sql(raw_source_ddl(spec, cfg, cfg.topics.input or spec.input_topic))
    t_env.execute_sql(
        kafka_sink_ddl(f"{spec.name}_out", spec.sink_columns, cfg, out_topic, spec.sink_key)
    )
    t_env.execute_sql(
        kafka_sink_ddl("dlq_out", DLQ_COLUMNS, cfg, cfg.topics.dlq or f"{out_topic}.dlq")
    )
    t_env.execute_sql(
        kafka_sink_ddl("late_out", LATE_COLUMNS, cfg, cfg.topics.late or f"{out_topic}.late")
    )
    statements = render_sql(JOBS_DIR / "sql" / spec.parse_sql, cfg) + render_sql(spec.sql_file, cfg)
    inserts = [s for s in statements if s.upper().startswith("INSERT")]
    for s in statements:
        if s not in inserts:
            t_env.execute_sql(s)
    job = t_env.create_statement_set()
    for s in inserts + side_output_inserts(spec):
        job.add_insert_sql(s)
    result = job.execute()
    print(f"submitted {spec.name}: job id {result.get_job_client().get_job_id()}", flush=True)
    if t_env.get_config().get("execution.attached", "true") == "true":
        result.wait()  # local mini-cluster or `flink run` without -d: block like a service
    return 0


if __name__ == "__main__":
    sys.exit("run a job module, e.g. python -m jobs.people_counter --help")
