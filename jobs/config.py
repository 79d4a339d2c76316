"""Job configuration: one YAML file validated here, overridable by CLI flags."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator


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
        "earliest-offset", description="Where a job without a checkpoint starts reading."
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
    output: str | None = Field(None, description="Result topic (default: the contract's).")
    dlq: str | None = Field(None, description="Dead-letter topic (default: <output>.dlq).")
    late: str | None = Field(None, description="Late-event topic (default: <output>.late).")


class JobConfig(_Strict):
    kafka: KafkaSettings = Field(default_factory=KafkaSettings, description="Kafka access.")
    topics: Topics = Field(default_factory=Topics, description="Topic names.")
    window_s: int = Field(60, gt=0, description="Window size in seconds.")
    slide_s: int = Field(60, gt=0, description="Slide of sliding (HOP) windows in seconds.")
    watermark_delay_s: float = Field(
        5.0, ge=0, description="Watermark = max event time seen minus this delay."
    )
    idle_timeout_s: float = Field(
        30.0, gt=0, description="A partition without events this long stops holding back time."
    )
    checkpoint_interval_s: float = Field(10.0, gt=0, description="Checkpoint interval.")
    checkpoint_dir: str | None = Field(
        None, description="Checkpoint directory URI (default: the cluster's, or state/checkpoints)."
    )
    parallelism: int = Field(1, ge=1, description="Default operator parallelism.")
    jars: list[str] = Field(
        default_factory=list,
        description="Connector JAR paths (default: the Kafka connector in infra/lib/flink).",
    )

    @field_validator("checkpoint_dir")
    @classmethod
    def _uri(cls, v: str | None) -> str | None:
        if v and "://" not in v:
            return Path(v).resolve().as_uri()
        return v


def load_job_config(path: str | Path | None) -> JobConfig:
    if path is None:
        return JobConfig()
    data = yaml.safe_load(Path(path).read_text()) or {}
    return JobConfig.model_validate(data)
