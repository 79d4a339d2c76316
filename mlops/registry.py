"""Models in the MLflow Model Registry: register an ONNX file, promote a version with an
alias, list them. The edge reads what this writes with its thin client
(edge_producer/registry.py): each version's tags name its file, sha256, role and decoder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from edge_producer.models import sha256_file

EXPERIMENT = "ivica-models"
ROLES = ("people", "faces", "gender")


@dataclass(frozen=True)
class VersionRow:
    name: str
    version: str
    role: str
    sha256: str
    aliases: tuple[str, ...]
    run_id: str


def register(
    tracking_uri: str,
    onnx: Path,
    name: str,
    role: str,
    decoder: str | None = None,
    run_id: str | None = None,
) -> str:
    """Log `onnx` as an artifact (of `run_id`, else of a new run in experiment ivica-models)
    and register it as a new version of `name`; the version number."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, not {role!r}")
    # mlflow-artifacts: URIs (the server's proxied artifacts) resolve against the global
    # tracking URI, not the client's: without this a fresh process logs to ./mlruns and fails
    mlflow.set_tracking_uri(tracking_uri)
    client = MlflowClient(tracking_uri)
    if run_id is None:
        experiment = client.get_experiment_by_name(EXPERIMENT)
        experiment_id = (
            experiment.experiment_id if experiment else client.create_experiment(EXPERIMENT)
        )
        run = client.create_run(experiment_id, run_name=f"register {name}")
        run_id = run.info.run_id
        client.set_terminated(run_id)
    client.log_artifact(run_id, str(onnx), artifact_path="model")
    try:
        client.create_registered_model(name)
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
    tags = {"file": onnx.name, "sha256": sha256_file(onnx), "role": role}
    if decoder:
        tags["decoder"] = decoder
    artifact_uri = client.get_run(run_id).info.artifact_uri
    version = client.create_model_version(
        name, source=f"{artifact_uri}/model", run_id=run_id, tags=tags
    )
    return str(version.version)


def promote(tracking_uri: str, name: str, version: str, alias: str = "production") -> None:
    """Point `alias` at `version` of `name` (the edge runs it from its next start)."""
    MlflowClient(tracking_uri).set_registered_model_alias(name, alias, version)


def versions(tracking_uri: str) -> list[VersionRow]:
    """Every version of every registered model, newest first per model."""
    client = MlflowClient(tracking_uri)
    rows = []
    for model in client.search_registered_models():
        aliases: dict[str, list[str]] = {}
        for alias, version in (model.aliases or {}).items():
            aliases.setdefault(str(version), []).append(alias)
        found = client.search_model_versions(f"name = '{model.name}'")
        for v in sorted(found, key=lambda v: -int(v.version)):
            rows.append(
                VersionRow(
                    v.name, str(v.version), v.tags.get("role", "?"), v.tags.get("sha256", "?"),
                    tuple(sorted(aliases.get(str(v.version), []))), v.run_id,
                )
            )  # fmt: skip
    return rows
