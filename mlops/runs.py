"""One MLflow run for an evaluation: what was evaluated as params, the figures as metrics, the
report and its files as artifacts. Shared by `ivica eval gender` and `ivica eval tracking`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any


def log_run(
    uri: str,
    experiment: str,
    run_name: str,
    params: Mapping[str, Any],
    metrics: Mapping[str, float],
    artifacts: Iterable[Path] = (),
) -> str:
    """Log one run in `experiment` (created when missing) at tracking `uri`; its run id."""
    import mlflow

    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment(experiment)
    with mlflow.start_run(run_name=run_name) as run:
        mlflow.log_params(dict(params))
        mlflow.log_metrics({k: float(v) for k, v in metrics.items()})
        for path in artifacts:
            mlflow.log_artifact(str(path))
    return run.info.run_id
