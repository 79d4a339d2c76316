"""Job configuration: one YAML file validated here, overridable by CLI flags.

The mode follows from the flags: `--input-file` selects file mode, `--backfill` a bounded run
over a replayed topic, and otherwise the job runs live on Kafka.
"""

from __future__ import annotations

import argparse
import os
from datetime import datetime
from pathlib import Path
from typing import Literal

import yaml
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

Mode = Literal["kafka", "backfill", "file"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KafkaSettings(_Strict):
    bootstrap: str = Field("127.0.0.1:9092", description="Kafka bootstrap servers.")
    properties: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Extra Kafka client properties for every source and sink, e.g. security.protocol="
            "SASL_SSL, sasl.mechanism=SCRAM-SHA-512, sasl.jaas.config. A value written "
            "`env:NAME` is read from the environment variable NAME (keep secrets out of files)."
        ),
    )
    group_id: str | None = Field(None, description="Consumer group id (default: ivica-<job>).")
    startup_mode: Literal["earliest-offset", "latest-offset", "group-offsets"] = Field(
        "earliest-offset", description="Where a live job without a checkpoint starts reading."
    )

    def resolved_properties(self) -> dict[str, str]:
        out = {}
        for key, value in self.properties.items():
            if value.startswith("env:"):
                name = value[4:]
                if name not in os.environ:
                    raise ValueError(f"kafka property {key}: environment variable {name} unset")
                value = os.environ[name]
            out[key] = value
        return out


class Topics(_Strict):
    input: str | None = Field(None, description="Raw event topic (default: the contract's).")
    output: str | dict[str, str] | None = Field(
        None,
        description="Result topic (default: the contract's): a name when the job writes one"
        " output, else a mapping output -> topic (outputs not named keep their default).",
    )
    dlq: str | None = Field(
        None,
        description="Dead-letter topic (default: <output>.dlq with one output, else <input>.dlq).",
    )
    late: str | None = Field(
        None,
        description="Late-event topic (default: <output>.late with one output, else <input>.late).",
    )


class Backfill(_Strict):
    """A bounded replay, of the whole topic or of a range of capture time (docs/backfill.md).

    Whole topic (`start` 'earliest', `end` 'latest' or `end_offsets`): the events in the
    order the live job read them, with its watermark, so late events stay late; every window.

    A range (`start` or `end` an instant): only the windows that lie wholly inside
    [start, end), made of every valid event captured inside it, whenever it arrived. The job
    reads from the offsets at `start` minus the watermark delay (records are stamped when
    they are sent, never before their capture) to the offsets when it starts (an edge's
    backlog can sit far behind `end`), keeps the events captured in the range (and of
    `cameras`, `site`), and treats none as late: every window fires at the input's end.
    """

    start: Literal["earliest"] | AwareDatetime = Field(
        "earliest",
        description="'earliest': from the first offset; an aware ISO-8601 instant: the range's"
        " start (inclusive).",
    )
    end: Literal["latest"] | AwareDatetime = Field(
        "latest",
        description="'latest': to the offsets when the run starts (a range then ends at that"
        " moment); an instant: the range's end (exclusive).",
    )
    end_offsets: dict[int, int] | None = Field(
        None, description="Stop at these offsets per partition instead of the latest."
    )
    cameras: list[str] = Field(
        default_factory=list, description="A range's cameras (default: every camera)."
    )
    site: str | None = Field(None, description="A range's site (default: every site).")

    @property
    def ranged(self) -> bool:
        return self.start != "earliest" or self.end != "latest"

    @model_validator(mode="after")
    def _consistent(self) -> Backfill:
        if not self.ranged and (self.cameras or self.site):
            raise ValueError("cameras and site limit a range: give --from or --to")
        dated = isinstance(self.start, datetime) and isinstance(self.end, datetime)
        if dated and self.end <= self.start:  # type: ignore[operator]
            raise ValueError(f"the range ends ({self.end}) before it starts ({self.start})")
        return self


class Files(_Strict):
    input: Path = Field(description="JSONL input, one edge event per line.")
    output: Path | dict[str, Path] = Field(
        description="JSONL results, one record per line: a path when the job writes one output,"
        " else a mapping output -> path for every output."
    )
    dlq: Path = Field(description="JSONL dead letters: job, reason, payload.")
    late: Path | None = Field(
        None, description="JSONL late events (default: <output>.late, or <dlq>.late)."
    )


class JobConfig(_Strict):
    outputs: list[str] | None = Field(
        None,
        description="The outputs to compute, from the stream's (default: all of them). Each"
        " one is a window query over the same single read and parse of the stream.",
    )
    kafka: KafkaSettings = Field(default_factory=KafkaSettings, description="Kafka access.")
    topics: Topics = Field(default_factory=Topics, description="Topic names.")
    window_s: int | None = Field(
        None,
        gt=0,
        description="Window size in seconds, for a job with one output (default: 60, sliding"
        " 300, hourly 3600).",
    )
    slide_s: int | None = Field(
        None, gt=0, description="Slide of sliding (HOP) windows in seconds (default: 60)."
    )
    watermark_delay_s: float = Field(
        5.0, ge=0, description="Watermark = max event time seen minus this delay."
    )
    watermark_emit: Literal["on-event", "on-periodic"] | None = Field(
        None,
        description="Emit the watermark after every event (exact, reproducible late routing;"
        " the default in file and backfill modes) or every 200 ms (the default live).",
    )
    idle_timeout_s: float = Field(
        30.0, gt=0, description="A partition without events this long stops holding back time."
    )
    deduplicate: bool = Field(
        True,
        description="Count each event once: repeats of an event (the same event_id, which"
        " at-least-once delivery can bring) are dropped in its windows before they are"
        " aggregated. Off counts every copy; only for a stream known to hold no repeats, and to"
        " measure what dropping them costs (bench/jobs_throughput.py).",
    )
    checkpoint_interval_s: float = Field(10.0, gt=0, description="Checkpoint interval.")
    checkpoint_dir: str | None = Field(
        None, description="Checkpoint directory URI (default: the cluster's)."
    )
    restore: str | None = Field(
        None,
        description="Checkpoint to resume from: a chk-N directory, or 'latest' in checkpoint_dir.",
    )
    parallelism: int = Field(1, ge=1, description="Default operator parallelism.")
    jars: list[str] = Field(
        default_factory=list,
        description="Connector JAR paths (default: the Kafka connector in infra/lib/flink).",
    )
    backfill: Backfill | None = Field(None, description="Set for a bounded replay.")
    files: Files | None = Field(None, description="Set for file mode.")

    @field_validator("checkpoint_dir")
    @classmethod
    def _uri(cls, v: str | None) -> str | None:
        if v and "://" not in v:
            return Path(v).resolve().as_uri()
        return v

    @property
    def mode(self) -> Mode:
        return "file" if self.files else "backfill" if self.backfill else "kafka"


def load_job_config(path: str | Path | None) -> JobConfig:
    if path is None:
        return JobConfig()
    data = yaml.safe_load(Path(path).read_text()) or {}
    return JobConfig.model_validate(data)


def _parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=f"Ivica job {prog}")
    p.add_argument("--config", help="job YAML (jobs/config.py JobConfig)")
    p.add_argument(
        "--outputs", help="comma-separated outputs to compute (default: all of the job's)"
    )
    k = p.add_argument_group("kafka (live and backfill)")
    k.add_argument("--bootstrap", help="Kafka bootstrap servers")
    k.add_argument("--input-topic")
    k.add_argument(
        "--output-topic",
        action="append",
        help="result topic; with several outputs OUTPUT=TOPIC (repeatable)",
    )
    k.add_argument("--dlq-topic")
    k.add_argument("--late-topic")
    k.add_argument("--group-id")
    b = p.add_argument_group("backfill (bounded replay of a topic)")
    b.add_argument("--backfill", action="store_true", help="bounded run, then exit")
    b.add_argument(
        "--from",
        dest="start",
        help="'earliest' (default: the whole topic) or ISO-8601 with zone: a range's start",
    )
    b.add_argument(
        "--to", dest="end", help="'latest' (default) or ISO-8601 with zone: a range's end"
    )
    b.add_argument("--to-offsets", help="stop offsets, e.g. 0:1200,1:1187 (partition:offset)")
    b.add_argument("--camera", action="append", help="a range's camera (repeatable; default: all)")
    b.add_argument("--site", help="a range's site (default: all)")
    f = p.add_argument_group("file mode (bounded, JSONL in and out)")
    f.add_argument("--input-file")
    f.add_argument(
        "--output-file",
        action="append",
        help="results JSONL; with several outputs OUTPUT=PATH (repeatable)",
    )
    f.add_argument("--dlq-file")
    f.add_argument("--late-file")
    w = p.add_argument_group("time and state")
    w.add_argument("--window", type=int, help="window size, seconds")
    w.add_argument("--slide", type=int, help="slide of sliding windows, seconds")
    w.add_argument("--watermark-delay", type=float, help="seconds")
    w.add_argument("--watermark-emit", choices=["on-event", "on-periodic"])
    w.add_argument("--idle-timeout", type=float, help="seconds")
    w.add_argument(
        "--keep-repeats",
        action="store_true",
        help="count every copy of a repeated event (default: each event_id once)",
    )
    w.add_argument("--checkpoint-interval", type=float, help="seconds")
    w.add_argument("--checkpoint-dir")
    w.add_argument("--restore", help="chk-N directory, or 'latest' under --checkpoint-dir")
    p.add_argument("--parallelism", type=int)
    p.add_argument("--jar", action="append", help="connector JAR (repeatable)")
    return p


def parse_args(prog: str, argv: list[str] | None) -> JobConfig:
    parser = _parser(prog)
    a = parser.parse_args(argv)
    data = load_job_config(a.config).model_dump(exclude_none=True)
    overrides = {
        ("kafka", "bootstrap"): a.bootstrap,
        ("kafka", "group_id"): a.group_id,
        ("topics", "input"): a.input_topic,
        ("outputs",): a.outputs.split(",") if a.outputs else None,
        ("topics", "output"): _named(parser, "--output-topic", a.output_topic),
        ("topics", "dlq"): a.dlq_topic,
        ("topics", "late"): a.late_topic,
        ("window_s",): a.window,
        ("slide_s",): a.slide,
        ("watermark_delay_s",): a.watermark_delay,
        ("watermark_emit",): a.watermark_emit,
        ("idle_timeout_s",): a.idle_timeout,
        ("deduplicate",): False if a.keep_repeats else None,
        ("checkpoint_interval_s",): a.checkpoint_interval,
        ("checkpoint_dir",): a.checkpoint_dir,
        ("restore",): a.restore,
        ("parallelism",): a.parallelism,
        ("jars",): a.jar,
    }
    if a.backfill or a.start or a.end or a.to_offsets or a.camera or a.site:
        overrides[("backfill",)] = {
            **data.get("backfill", {}),
            **({"start": a.start} if a.start else {}),
            **({"end": a.end} if a.end else {}),
            **({"end_offsets": _offsets(parser, a.to_offsets)} if a.to_offsets else {}),
            **({"cameras": a.camera} if a.camera else {}),
            **({"site": a.site} if a.site else {}),
        }
    file_flags = (a.input_file, a.output_file, a.dlq_file)
    if any(file_flags) or a.late_file:
        if not all(file_flags):
            parser.error("file mode needs --input-file, --output-file and --dlq-file")
        overrides[("files",)] = {
            "input": a.input_file,
            "output": _named(parser, "--output-file", a.output_file),
            "dlq": a.dlq_file,
            "late": a.late_file,
        }
    for path, value in overrides.items():
        if value is not None:
            node = data
            for part in path[:-1]:
                node = node.setdefault(part, {})
            node[path[-1]] = value
    cfg = JobConfig.model_validate(data)
    if cfg.files and cfg.backfill:
        parser.error("choose file mode or backfill, not both")
    return cfg


def _named(parser: argparse.ArgumentParser, flag: str, values: list[str] | None):
    """One plain value (a job with one output), or OUTPUT=VALUE pairs (several outputs)."""
    if not values:
        return None
    if len(values) == 1 and "=" not in values[0]:
        return values[0]
    pairs = dict(v.split("=", 1) for v in values if "=" in v)
    if len(pairs) != len(values):
        parser.error(f"{flag}: with several values, write each as OUTPUT=VALUE")
    return pairs


def _offsets(parser: argparse.ArgumentParser, text: str) -> dict[int, int]:
    try:
        return {int(p): int(o) for p, o in (item.split(":") for item in text.split(","))}
    except ValueError:
        parser.error(f"--to-offsets: expected partition:offset,..., got {text!r}")
        raise


def utc_millis(t: datetime) -> int:
    return int(t.timestamp() * 1000)
