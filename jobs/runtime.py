"""Shared job runtime: build the tables for the mode, run the job's SQL, route DLQ and late rows.

A job is a `StreamJob`: one raw stream, read and parsed once, and the window queries
(`ResultSpec`) that share that read, run together as one statement set. The same query text
runs in every mode; only the source and sink tables change.
"""

from __future__ import annotations

import os
import re
import sys
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from string import Template

from pyflink.table import EnvironmentSettings, TableEnvironment

from jobs import tables
from jobs.config import JobConfig, parse_args
from jobs.files import FileOutputs, summary

JOBS_DIR = Path(__file__).resolve().parent
LIB_FLINK = JOBS_DIR.parent / "infra" / "lib" / "flink"
UDF_JAR = "ivica-jobs-udf.jar"  # built from jobs/udf by `ivica stack fetch`
WINDOW_KEY = ("camera_id", "window_start", "window_end")


@dataclass(frozen=True)
class ResultSpec:
    """One output of a stream job: a window query and where its rows go."""

    name: str  # the output's name: people_counter, ...
    query: str  # jobs/<query>.sql
    output_topic: str
    sink_columns: tables.Columns
    sliding: bool = False
    default_window_s: int | None = None  # else 60, or 300 when sliding
    key: tuple[str, ...] = WINDOW_KEY  # the natural key: the Kafka record key, the upsert key
    landed: bool = True  # a sink lands it in PostgreSQL (connectors/sinks)

    def window(self, cfg: JobConfig, alone: bool = True) -> tuple[int, int]:
        if not alone and (cfg.window_s or cfg.slide_s):
            raise ValueError("--window and --slide apply to one output: choose it with --outputs")
        size = cfg.window_s or self.default_window_s or (300 if self.sliding else 60)
        if not self.sliding:
            if cfg.slide_s is not None:
                raise ValueError(f"{self.name} is a tumbling-window job: --slide does not apply")
            return size, size
        slide = cfg.slide_s or 60
        if size % slide:
            raise ValueError(f"--window ({size}) must be a multiple of --slide ({slide})")
        return size, slide


@dataclass(frozen=True)
class StreamJob:
    """One raw stream, read and parsed once, and the window queries that share that read."""

    name: str  # people | gender
    stream: str  # person_detections | gender_classifications: jobs/sql/<stream>_parse.sql
    input_topic: str
    results: tuple[ResultSpec, ...]
    # the event time alone, without the parse (the bench's pass-through: jobs.tables)
    time_function: str = "IVICA_CAPTURE_TIME"

    def select(self, names: list[str] | None) -> StreamJob:
        """The job restricted to the named outputs (all when None), named after its output
        when it has one: a job with one output is today's per-output job."""
        if not names:
            return self
        known = {r.name: r for r in self.results}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ValueError(f"unknown outputs {unknown}: {self.name} has {sorted(known)}")
        chosen = tuple(known[n] for n in dict.fromkeys(names))
        name = chosen[0].name if len(chosen) == 1 else self.name
        return replace(self, name=name, results=chosen)


def split_statements(sql: str) -> list[str]:
    """Drop full-line `--` comments, then split on semicolons that end a line."""
    code = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in re.split(r";\s*$", code, flags=re.MULTILINE) if s.strip()]


def render_sql(path: Path, params: dict[str, str]) -> list[str]:
    sql = Template(path.read_text()).safe_substitute(params)
    if "${" in sql:
        raise ValueError(f"{path}: unknown parameter in {re.findall(r'[$][{][^}]*[}]', sql)}")
    return split_statements(sql)


def sql_params(job: StreamJob, result: ResultSpec, cfg: JobConfig) -> dict[str, str]:
    size, slide = result.window(cfg, alone=len(job.results) == 1)
    if result.sliding:
        window = {
            "window_fn": "HOP",
            "window_intervals": f"{tables.interval(slide)}, {tables.interval(size)}",
        }
    else:
        window = {"window_fn": "TUMBLE", "window_intervals": tables.interval(size)}
    return {"job": result.name, **window}


def source_sql(job: StreamJob, cfg: JobConfig, time_alone: bool = False) -> list[str]:
    """The functions, then the raw stream's table (its parse gives the event time;
    `time_alone`: the job's time_function reads it, and nothing is parsed unless asked)."""
    statements = render_sql(JOBS_DIR / "sql" / "functions.sql", {})
    topic = input_topic(job, cfg)
    time_function = job.time_function if time_alone else None
    ddl = tables.raw_source_ddl(job.stream, cfg, job.name, topic, time_function)
    return [*statements, ddl]


def rollup_base(job: StreamJob, result: ResultSpec, cfg: JobConfig) -> ResultSpec | None:
    """An earlier tumbling output of the same query whose windows tile this one's: its parts
    roll up exactly into this output's, so the stream's rows are aggregated once."""
    size, slide = result.window(cfg, alone=len(job.results) == 1)
    for base in job.results[: job.results.index(result)]:
        base_size, base_slide = base.window(cfg, alone=False)
        tumbling = base_size == base_slide
        if base.query == result.query and tumbling and size % base_size == slide % base_size == 0:
            return base
    return None


def job_sql(job: StreamJob, cfg: JobConfig) -> list[str]:
    """The source, the stream's parse (once), each output's parts and result, the side
    outputs. An output's parts come from the stream's events (each event_id counted once), or
    roll up from an earlier output's parts."""
    statements = source_sql(job, cfg)
    statements += render_sql(JOBS_DIR / "sql" / f"{job.stream}_parse.sql", {})
    side = {"stream": job.stream, "job": job.name, "ts_format": tables.TS_FORMAT}
    statements += render_sql(JOBS_DIR / "sql" / "side_outputs.sql", side)
    events, scope = range_scope(job, cfg)
    statements += scope
    for result in job.results:
        params = sql_params(job, result, cfg)
        base = rollup_base(job, result, cfg)
        if base is None:  # from the stream's events, each counted once unless told otherwise
            event_id = "event_id" if cfg.deduplicate else "CAST(NULL AS STRING)"
            parts = JOBS_DIR / "sql" / f"{result.query}_parts.sql"
            statements += render_sql(parts, params | {"events": events, "event_id": event_id})
        else:
            rollup = JOBS_DIR / "sql" / f"{result.query}_parts_rollup.sql"
            statements += render_sql(rollup, params | {"base": base.name})
        statements += render_sql(JOBS_DIR / f"{result.query}.sql", params)
        statements += result_view(result, cfg)[1]
    return statements


def sql_timestamp(t: datetime) -> str:
    return f"TIMESTAMP '{t.astimezone(UTC).strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]}'"


def range_scope(job: StreamJob, cfg: JobConfig) -> tuple[str, list[str]]:
    """The view the windows read, and the statements that make it: the stream's valid events,
    or in a range replay those captured in the range (and of its cameras and site)."""
    bf = cfg.backfill
    if bf is None or not bf.ranged:
        return job.stream, []
    where = []
    if isinstance(bf.start, datetime):
        where.append(f"event_time >= {sql_timestamp(bf.start)}")
    if isinstance(bf.end, datetime):
        where.append(f"event_time < {sql_timestamp(bf.end)}")
    if bf.cameras:
        where.append("camera_id IN (" + ", ".join(map(tables.sql_string, bf.cameras)) + ")")
    if bf.site:
        where.append(f"site_id = {tables.sql_string(bf.site)}")
    view = f"{job.stream}_in_range"
    where_sql = " AND ".join(where) or "TRUE"
    return view, [f"CREATE TEMPORARY VIEW {view} AS SELECT * FROM {job.stream} WHERE {where_sql}"]


def window_bound(t: datetime, up: bool) -> str:
    """A result's window_start/window_end text for `t`, rounded to the whole second (up or
    down): windows begin and end on whole seconds, and the text compares in time order."""
    whole = t.replace(microsecond=0)
    if up and whole < t:
        whole += timedelta(seconds=1)
    return whole.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def result_view(result: ResultSpec, cfg: JobConfig) -> tuple[str, list[str]]:
    """The view an output writes, and the statements that make it: every window, or in a range
    replay only the windows that lie wholly inside the range."""
    view = f"{result.name}_results"
    bf = cfg.backfill
    if bf is None or not bf.ranged:
        return view, []
    where = []
    if isinstance(bf.start, datetime):
        where.append(f"window_start >= '{window_bound(bf.start, up=True)}'")
    if isinstance(bf.end, datetime):
        where.append(f"window_end <= '{window_bound(bf.end, up=False)}'")
    inside = f"{result.name}_inside_range"
    where_sql = " AND ".join(where) or "TRUE"
    return inside, [f"CREATE TEMPORARY VIEW {inside} AS SELECT * FROM {view} WHERE {where_sql}"]


@dataclass(frozen=True)
class Output:
    name: str  # a result's name | dlq | late
    view: str
    columns: tables.Columns
    topic: str
    schema_name: str  # the Connect schema's name
    key: tuple[str, ...] = ()

    @property
    def table(self) -> str:
        return f"{self.name}_out"


def input_topic(job: StreamJob, cfg: JobConfig) -> str:
    return cfg.topics.input or job.input_topic


def result_topic(job: StreamJob, result: ResultSpec, cfg: JobConfig) -> str:
    chosen = cfg.topics.output
    if isinstance(chosen, str):
        if len(job.results) > 1:
            raise ValueError("with several outputs, name each topic: --output-topic OUTPUT=TOPIC")
        return chosen
    unknown = set(chosen or {}) - {r.name for r in job.results}
    if unknown:
        raise ValueError(f"--output-topic names outputs the job does not write: {sorted(unknown)}")
    return (chosen or {}).get(result.name, result.output_topic)


def outputs(job: StreamJob, cfg: JobConfig) -> list[Output]:
    """Each result, then one dead-letter and one late output for the whole stream, named after
    the output topic when there is one output (as the per-output jobs always were), else after
    the input topic."""
    results = []
    for r in job.results:
        view, topic = result_view(r, cfg)[0], result_topic(job, r, cfg)
        results.append(Output(r.name, view, r.sink_columns, topic, f"ivica.{r.name}", r.key))
    base = results[0].topic if len(results) == 1 else input_topic(job, cfg)
    return [
        *results,
        Output("dlq", "dlq_rows", tables.DLQ_COLUMNS, cfg.topics.dlq or f"{base}.dlq",
               "ivica.dead_letter"),
        Output("late", "late_rows", tables.LATE_COLUMNS, cfg.topics.late or f"{base}.late",
               "ivica.late_event"),
    ]  # fmt: skip


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


def sort_keys(result: ResultSpec) -> tuple[str, ...]:
    """A file's row order: by window_start, then the rest of the natural key."""
    return ("window_start", *(k for k in result.key if k != "window_start"))


def default_jars(cfg: JobConfig) -> list[str]:
    """The Kafka connector and the jobs' functions (ivica-jobs-udf.jar), from infra/lib/flink
    unless named. A cluster that has them in its lib/ (the Kubernetes image) needs none."""
    if cfg.jars:
        return cfg.jars
    if os.environ.get("IVICA_FLINK_JARS"):
        return os.environ["IVICA_FLINK_JARS"].split(os.pathsep)
    return [str(p) for p in LIB_FLINK.glob("*.jar")]


def latest_checkpoint(checkpoint_dir: str) -> str:
    root = Path(checkpoint_dir.removeprefix("file://"))
    found = sorted(root.glob("*/chk-*/_metadata"), key=lambda p: p.stat().st_mtime)
    if not found:
        raise FileNotFoundError(f"no completed checkpoint under {root}")
    return found[-1].parent.as_uri()


def table_env(job: StreamJob, cfg: JobConfig) -> TableEnvironment:
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    conf = t_env.get_config()
    conf.set("pipeline.name", f"ivica-{job.name}")
    conf.set("table.local-time-zone", "UTC")
    conf.set("parallelism.default", str(cfg.parallelism))
    # The parse is computed once and shared by every output's branch (the planner would
    # otherwise copy a view into each INSERT of the statement set).
    conf.set("table.optimizer.reuse-optimize-block-with-digest-enabled", "true")
    conf.set("pipeline.object-reuse", "true")
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
        print(f"{job.name}: restoring from {path}", file=sys.stderr, flush=True)
    jars = default_jars(cfg)
    if cfg.files and not any(Path(j).name == UDF_JAR for j in jars):
        raise FileNotFoundError(
            f"{UDF_JAR} is not in {LIB_FLINK}: build it with `ivica stack fetch` (make setup)"
        )
    if jars:
        conf.set("pipeline.jars", ";".join(Path(j).resolve().as_uri() for j in jars))
    return t_env


def file_outputs(job: StreamJob, cfg: JobConfig) -> list[str] | None:
    """In file mode with OUTPUT=PATH files and no --outputs: the outputs given a file (so a
    command written before an output was added still runs)."""
    if cfg.files is None or not isinstance(cfg.files.output, dict):
        return None
    return [r.name for r in job.results if r.name in cfg.files.output] or None


def fix_range_end(cfg: JobConfig) -> JobConfig:
    """A range replay without an end ends now: its windows are those closed at launch."""
    bf = cfg.backfill
    if bf is None or not bf.ranged or bf.end != "latest":
        return cfg
    now = datetime.now(UTC).replace(microsecond=0)
    return cfg.model_copy(update={"backfill": bf.model_copy(update={"end": now})})


def run(job: StreamJob, argv: list[str] | None = None) -> int:
    """Parse the flags, then run the job's outputs (`--outputs`, default all) as one Flink job."""
    cfg = fix_range_end(parse_args(f"jobs.{job.name}", argv))
    job = job.select(cfg.outputs or file_outputs(job, cfg))
    if cfg.backfill and not cfg.kafka.group_id:
        group = f"ivica-{job.name}-backfill-{int(time.time())}"
        cfg = cfg.model_copy(update={"kafka": cfg.kafka.model_copy(update={"group_id": group})})
    outs = outputs(job, cfg)
    files = FileOutputs(cfg.files, [r.name for r in job.results]) if cfg.files else None
    if files:
        files.prepare()
    t_env = table_env(job, cfg)
    for statement in job_sql(job, cfg):
        t_env.execute_sql(statement)
    statement_set = t_env.create_statement_set()
    for insert in create_sinks(t_env, cfg, outs, files):
        statement_set.add_insert_sql(insert)
    result = statement_set.execute()
    progress = None
    if cfg.backfill:  # after planning: the planner must stay on the one py4j thread it began on
        from jobs.progress import BackfillProgress

        progress = BackfillProgress(cfg, input_topic(job, cfg), cfg.kafka.group_id or "")
    print(
        f"{job.name}: job {result.get_job_client().get_job_id()} ({cfg.mode} mode),"
        f" outputs {', '.join(r.name for r in job.results)}",
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
        rows = files.assemble({r.name: sort_keys(r) for r in job.results})
        print(summary(job.name, rows, files.targets), file=sys.stderr)
    return 0
