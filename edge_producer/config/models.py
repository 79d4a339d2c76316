"""Config of where the edge's models come from: the bundle, or a model registry (MLflow)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from edge_producer.config.base import Section

Role = Literal["people", "faces", "gender"]


class RegistryConfig(Section):
    """The MLflow Model Registry the edge pulls its models from at start (off by default)."""

    uri: str | None = Field(
        default=None,
        description="MLflow tracking URI, e.g. http://mlflow:5000 (None: the bundled or "
        "configured models only).",
    )
    alias: str = Field(default="production", description="The alias of the version to run.")
    names: dict[Role, str] = Field(
        default_factory=lambda: {
            "people": "ivica-people",
            "faces": "ivica-faces",
            "gender": "ivica-gender",
        },
        description="Registered model name of each role; a role left out keeps its configured "
        "model.",
    )
    cache_dir: Path = Field(
        default=Path("~/.cache/ivica/models"),
        description="Pulled models, <name>/<version>/<file>, checked by sha256; the last one "
        "pulled of each name serves when the registry cannot be reached.",
    )
    timeout_s: float = Field(default=10.0, gt=0, description="Seconds per registry request.")
