"""Edge configuration: one YAML file, validated by these pydantic models.

Every model forbids unknown keys and documents each field; ``docs/edge.md`` is checked against
these descriptions by ``tests/edge_producer/test_cli.py``. Secrets never live here: a
secret field holds ``env:NAME``, read from the environment when the sender starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args, get_origin

import yaml
from pydantic import BaseModel, Field, model_validator

from edge_producer.config.base import Section, resolve_secret
from edge_producer.config.capture import (
    CaptureConfig,
    LocalStoreConfig,
    PrivacyConfig,
    S3StoreConfig,
)
from edge_producer.config.delivery import (
    HealthConfig,
    JsonlSenderConfig,
    KafkaSenderConfig,
    RabbitMQSenderConfig,
    SenderConfig,
    SpoolConfig,
)
from edge_producer.config.geometry import GeometryConfig, LineConfig, ZoneConfig, load_geometry
from edge_producer.config.models import RegistryConfig
from edge_producer.config.vision import (
    EventsConfig,
    FacesConfig,
    GenderConfig,
    PeopleConfig,
    RuntimeConfig,
    SourceConfig,
    TensorRTConfig,
    TrackerConfig,
)

__all__ = [
    "CaptureConfig",
    "EdgeConfig",
    "EventsConfig",
    "FacesConfig",
    "GenderConfig",
    "GeometryConfig",
    "HealthConfig",
    "JsonlSenderConfig",
    "KafkaSenderConfig",
    "LineConfig",
    "LocalStoreConfig",
    "PeopleConfig",
    "PrivacyConfig",
    "RabbitMQSenderConfig",
    "RegistryConfig",
    "RuntimeConfig",
    "S3StoreConfig",
    "Section",
    "SenderConfig",
    "SourceConfig",
    "SpoolConfig",
    "TensorRTConfig",
    "TrackerConfig",
    "ZoneConfig",
    "config_reference",
    "load_config",
    "load_geometry",
    "resolve_secret",
]


class EdgeConfig(Section):
    """One edge process: one camera, one pipeline."""

    site_id: str = Field(
        default="site-1",
        min_length=1,
        max_length=128,
        description="Site id written into every event.",
    )
    camera_id: str = Field(
        default="cam-1",
        min_length=1,
        max_length=128,
        description="Camera id written into every event; the Kafka key.",
    )
    pipeline: Literal["people", "gender", "all"] = Field(
        default="all",
        description="people: PeopleCounterPipeline; gender: GenderClassificationPipeline; "
        "all: AllPipeline (both event types, gender attached to person tracks).",
    )
    source: SourceConfig = Field(description="The video source.")
    runtime: RuntimeConfig = Field(default_factory=RuntimeConfig, description="Inference runtime.")
    people: PeopleConfig = Field(default_factory=PeopleConfig, description="Person detector.")
    faces: FacesConfig = Field(default_factory=FacesConfig, description="Face detector.")
    gender: GenderConfig = Field(default_factory=GenderConfig, description="Gender classifier.")
    tracker: TrackerConfig = Field(default_factory=TrackerConfig, description="Tracker.")
    registry: RegistryConfig = Field(
        default_factory=RegistryConfig, description="Models from the MLflow registry (off)."
    )
    events: EventsConfig = Field(default_factory=EventsConfig, description="Event building.")
    geometry: GeometryConfig | None = Field(
        default=None,
        description="Counting lines and zones (people and all pipelines; docs/zones.md), "
        "coordinates as fractions of the frame's width and height. None: none.",
    )
    output_file: Path | None = Field(
        default=None, description="Write every event as one JSON line to this file."
    )
    preview: Path | None = Field(
        default=None,
        description="Debugging: write annotated frames to this folder, or a video to this "
        "file (.mp4/.avi). Stays on the device.",
    )
    senders: list[SenderConfig] = Field(
        default_factory=list,
        description="Where events go, all at once: a list of {kind: kafka, rabbitmq or "
        "jsonl, ...}. Kafka and RabbitMQ senders spool every event to disk first.",
    )
    spool: SpoolConfig = Field(default_factory=SpoolConfig, description="The durable spool.")
    health: HealthConfig = Field(default_factory=HealthConfig, description="Health counters.")
    capture: CaptureConfig = Field(
        default_factory=CaptureConfig, description="Video capture for retraining (off)."
    )
    privacy: PrivacyConfig = Field(
        default_factory=PrivacyConfig, description="What stored frames hide."
    )

    @model_validator(mode="after")
    def _names_unique(self) -> EdgeConfig:
        names = [s.name for s in self.senders if not isinstance(s, JsonlSenderConfig)]
        if len(names) != len(set(names)):
            raise ValueError(f"two senders share a name (their spool file): {names}")
        if self.capture.enabled and self.capture.store == "s3" and self.capture.s3 is None:
            raise ValueError("capture.store: s3 needs a capture.s3 section (bucket, ...)")
        if self.geometry is not None and self.pipeline == "gender":
            raise ValueError("geometry needs person tracks: pipeline people or all, not gender")
        return self


def load_config(path: str | Path) -> EdgeConfig:
    """Read and validate an edge YAML file (unknown keys and bad values are errors)."""
    text = Path(path).read_text(encoding="utf-8")
    return EdgeConfig.model_validate(yaml.safe_load(text) or {})


def _sections(annotation: object) -> list[type[Section]]:
    """The config sections inside a field's type (through Optional, list, Union, Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, Section):
        return [annotation]
    return [s for arg in get_args(annotation) for s in _sections(arg)]


def config_reference() -> str:
    """The Markdown table of every config key, its default and description.

    ``docs/edge.md`` holds this text between its ``config-reference`` markers; a test checks
    that it is current (regenerate with ``python -m edge_producer.config``).
    """
    rows = ["| key | default | description |", "|---|---|---|"]

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, field in model.model_fields.items():
            key = f"{prefix}{name}"
            default = (
                "required"
                if field.is_required()
                else f"`{field.get_default(call_default_factory=True)!s}`"
            )
            sections = _sections(field.annotation)
            if not sections:
                rows.append(f"| `{key}` | {default} | {field.description} |")
            elif len(sections) == 1 and get_origin(field.annotation) is not list:
                rows.append(
                    f"| `{key}` | {'' if default != '`None`' else default} | {field.description} |"
                )
                walk(sections[0], f"{key}.")
            elif len(sections) == 1:  # a list of one kind of section
                rows.append(f"| `{key}` | {default} | {field.description} |")
                walk(sections[0], f"{key}[].")
            else:  # a list of sections told apart by their kind
                rows.append(f"| `{key}` | {default} | {field.description} |")
                for section in sections:
                    kind = section.model_fields["kind"].annotation.__args__[0]
                    rows.append(f"| `{key}[kind={kind}]` | | {section.__doc__} |")
                    walk(section, f"{key}[kind={kind}].")

    walk(EdgeConfig, "")
    return "\n".join(rows) + "\n"
