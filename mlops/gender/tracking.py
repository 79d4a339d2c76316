"""A training run in MLflow (experiment ivica-train-gender): params at the start, metrics per
epoch, the holdout's confusion matrix and PR curves, and the model files at the end. Without a
tracking URI every call does nothing, so training runs the same either way."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Self

import numpy as np

from mlops.plots import confusion_png, pr_curve_png

EXPERIMENT = "ivica-train-gender"
CLASSES = ("female", "male")


class TrainingRun:
    def __init__(self, tracking_uri: str | None, params: dict[str, Any]) -> None:
        self.uri = tracking_uri
        self.params = params
        self._mlflow: Any = None

    def __enter__(self) -> Self:
        if self.uri:
            import mlflow

            mlflow.set_tracking_uri(self.uri)
            mlflow.set_experiment(EXPERIMENT)
            mlflow.start_run()
            mlflow.log_params({k: str(v)[:500] for k, v in self.params.items()})
            self._mlflow = mlflow
        return self

    def __exit__(self, *exc: object) -> None:
        if self._mlflow is not None:
            self._mlflow.end_run("FAILED" if exc[0] else "FINISHED")

    def epoch(self, epoch: int, metrics: dict[str, float]) -> None:
        if self._mlflow is not None:
            values = {k: float(v) for k, v in metrics.items() if k != "epoch"}
            self._mlflow.log_metrics(values, step=epoch)

    def holdout(self, probs: np.ndarray, labels: np.ndarray) -> None:
        """The final model on the holdout: confusion matrix (rows true) and PR curves."""
        if self._mlflow is None:
            return
        predicted = probs.argmax(1)
        matrix = [[int(((labels == a) & (predicted == b)).sum()) for b in (0, 1)] for a in (0, 1)]
        truth = [CLASSES[i] for i in labels]
        with tempfile.TemporaryDirectory() as tmp:
            confusion_png(matrix, list(CLASSES), Path(tmp) / "holdout_confusion.png")
            pr_curve_png(probs, truth, Path(tmp) / "holdout_pr_curve.png")
            self._mlflow.log_artifacts(tmp)
        self._mlflow.log_dict({"rows_true_columns_predicted": CLASSES, "matrix": matrix},
                              "holdout_confusion.json")  # fmt: skip

    def files(self, *paths: Path) -> None:
        if self._mlflow is not None:
            for path in paths:
                self._mlflow.log_artifact(str(path), artifact_path="model")
