"""Source and sink DDL per mode. The queries never change; only these tables do.

kafka     live: the raw topic from the group's offsets (or earliest), transactional sinks
backfill  the raw topic between two bounds, same sinks, then the job ends
file      a JSONL file in, JSONL files out (assembled by jobs.files)
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from jobs.config import JobConfig, utc_millis

TS_FORMAT = "yyyy-MM-dd''T''HH:mm:ss.SSS''Z''"
Columns = list[tuple[str, str]]

DLQ_COLUMNS: Columns = [("job", "STRING"), ("reason", "STRING"), ("payload", "STRING")]
LATE_COLUMNS: Columns = [
    ("job", "STRING"),
    ("camera_id", "STRING"),
    ("event_time", "STRING"),
    ("watermark_at", "STRING"),
    ("payload", "STRING"),
]


def _with(options: dict[str, str]) -> str:
    body = ",\n  ".join(f"{sql_string(k)} = {sql_string(v)}" for k, v in options.items())
    return f"WITH (\n  {body}\n)"


def sql_string(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _columns(cols: Columns) -> str:
    return ",\n  ".join(f"`{n}` {t}" for n, t in cols)


def interval(seconds: float) -> str:
    """A SQL interval literal; `INTERVAL 'n' SECOND` overflows above 99 s in Flink SQL."""
    ms = round(seconds * 1000)
    days, ms = divmod(ms, 86_400_000)
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"INTERVAL '{days} {h:02d}:{m:02d}:{s:02d}.{ms:03d}' DAY TO SECOND"


def kafka_options(cfg: JobConfig, topic: str) -> dict[str, str]:
    opts = {
        "connector": "kafka",
        "topic": topic,
        "properties.bootstrap.servers": cfg.kafka.bootstrap,
    }
    opts.update({f"properties.{k}": v for k, v in cfg.kafka.resolved_properties().items()})
    return opts


def source_options(cfg: JobConfig, job: str, topic: str | None) -> dict[str, str]:
    emit = cfg.watermark_emit or ("on-periodic" if cfg.mode == "kafka" else "on-event")
    common = {"format": "raw", "scan.watermark.emit.strategy": emit}
    if cfg.files:
        return {"connector": "filesystem", "path": cfg.files.input.resolve().as_uri(), **common}
    assert topic is not None
    opts = kafka_options(cfg, topic) | common
    opts["scan.watermark.idle-timeout"] = f"{round(cfg.idle_timeout_s * 1000)} ms"
    bf = cfg.backfill
    if bf is None:
        opts["properties.group.id"] = cfg.kafka.group_id or f"ivica-{job}"
        opts["scan.startup.mode"] = cfg.kafka.startup_mode
        return opts
    opts["properties.group.id"] = cfg.kafka.group_id or f"ivica-{job}-backfill"
    first = replay_first_record(cfg)
    if first is None:
        opts["scan.startup.mode"] = "earliest-offset"
    else:
        opts["scan.startup.mode"] = "timestamp"
        opts["scan.startup.timestamp-millis"] = str(utc_millis(first))
    if bf.end_offsets:
        opts["scan.bounded.mode"] = "specific-offsets"
        opts["scan.bounded.specific-offsets"] = ";".join(
            f"partition:{p},offset:{o}" for p, o in sorted(bf.end_offsets.items())
        )
    else:  # a range reads on to the end: a backlog can arrive long after its capture time
        opts["scan.bounded.mode"] = "latest-offset"
    return opts


def replay_first_record(cfg: JobConfig) -> datetime | None:
    """The record time a backfill starts reading at (None: the earliest offset). A range
    starts the watermark delay before its start: a record is stamped when it is sent, never
    before its capture, so no event captured in the range sits before it."""
    bf = cfg.backfill
    if bf is None or bf.start == "earliest":
        return None
    return bf.start - timedelta(seconds=cfg.watermark_delay_s)


def watermark(cfg: JobConfig) -> str:
    """The raw table's watermark. A range replay has a constant one: no event is late, and
    every window fires when the bounded input ends (docs/backfill.md)."""
    if cfg.backfill and cfg.backfill.ranged:
        return "TIMESTAMP '1970-01-01 00:00:00.000'"
    return f"event_time - {interval(cfg.watermark_delay_s)}"


def raw_source_ddl(
    stream: str, cfg: JobConfig, job: str, topic: str | None, time_function: str | None = None
) -> str:
    """The raw event table: one STRING per record, the record parsed once (`parsed`, a ROW:
    jobs/sql/functions.sql, which runs first) and its event time, taken from the parse (the
    record's captured_at, or a visit's exited_at), with the watermark.

    Records whose time breaks the contract get the epoch as event time: they never
    move the watermark, and the parse view sends them to the DLQ before any window sees them.
    Computed here, in the source, the parse is shared by every output of the job.
    `time_function` (IVICA_CAPTURE_TIME, IVICA_EXIT_TIME) reads the event time alone instead:
    the bench's pass-through, which never reads `parsed`, so never computes it.
    """
    parse = f"IVICA_PARSE_{stream.upper()}(payload)"
    time = f"{time_function}(payload)" if time_function else f"({parse}).event_time"
    return f"""CREATE TABLE {stream}_raw (
  payload STRING,
  event_time AS COALESCE({time}, TIMESTAMP '1970-01-01 00:00:00.000'),
  parsed AS {parse},
  WATERMARK FOR event_time AS {watermark(cfg)}
) {_with(source_options(cfg, job, topic))}"""


def kafka_sink_ddl(
    table: str, cols: Columns, cfg: JobConfig, topic: str, key: tuple[str, ...] = ()
) -> str:
    """Exactly-once: records become visible to read_committed consumers at each checkpoint."""
    opts = kafka_options(cfg, topic) | {
        "value.format": "json",
        "sink.delivery-guarantee": "exactly-once",
        "sink.transactional-id-prefix": f"ivica-{topic}",
        "properties.transaction.timeout.ms": "900000",
    }
    if key:
        opts |= {"key.format": "json", "key.fields": ";".join(key)}
        opts |= {"value.fields-include": "EXCEPT_KEY"}
    return f"CREATE TABLE {table} (\n  {_columns(cols)}\n) {_with(opts)}"


# Kafka Connect's JsonConverter (schemas.enable=true) envelope, which the JDBC sink needs:
# {"schema": {...}, "payload": {...}}. Times are ISO-8601 strings with a zone, typed as
# Debezium's ZonedTimestamp so that the sink writes them into timestamptz columns.
CONNECT_TYPES = {"STRING": "string", "DOUBLE": "double", "INT": "int32", "BIGINT": "int64"}
ZONED_TIMESTAMP = "io.debezium.time.ZonedTimestamp"
TIME_FIELDS = {"window_start", "window_end", "event_time", "watermark_at"}
SCHEMA_ROW = (
    "ROW<`type` STRING, `name` STRING, `optional` BOOLEAN, "
    "`fields` ARRAY<ROW<`field` STRING, `type` STRING, `name` STRING, `optional` BOOLEAN>>>"
)


def envelope_columns(cols: Columns, key: tuple[str, ...]) -> Columns:
    """Sink columns: the record key's fields (not in the value), then schema and payload."""
    types = dict(cols)
    return [(k, types[k]) for k in key] + [
        ("schema", SCHEMA_ROW),
        ("payload", "ROW<" + ", ".join(f"`{n}` {t}" for n, t in cols) + ">"),
    ]


def envelope_select(view: str, cols: Columns, name: str, key: tuple[str, ...]) -> str:
    """SELECT from `view` into an envelope sink (see envelope_columns)."""

    def field(col: str, sql_type: str) -> str:
        logical = f"'{ZONED_TIMESTAMP}'" if col in TIME_FIELDS else "CAST(NULL AS STRING)"
        optional = "TRUE" if col == "payload" else "FALSE"
        return f"ROW('{col}', '{CONNECT_TYPES[sql_type]}', {logical}, {optional})"

    fields = ", ".join(field(c, t) for c, t in cols)
    schema = f"ROW('struct', '{name}', FALSE, ARRAY[{fields}])"
    payload = "ROW(" + ", ".join(f"`{c}`" for c, _ in cols) + ")"
    keys = "".join(f"`{k}`, " for k in key)
    return f"SELECT {keys}{schema}, {payload} FROM {view}"


def file_sink_ddl(table: str, cols: Columns, directory: Path) -> str:
    opts = {"connector": "filesystem", "path": directory.resolve().as_uri(), "format": "json"}
    return f"CREATE TABLE {table} (\n  {_columns(cols)}\n) {_with(opts)}"
