"""`ivica eval gender`: a gender model on a labelled face folder, as the edge would run it.

Each face goes through the edge's face detector and alignment (`edge_producer.face_crops`),
then the model. The report has accuracy, n, precision/recall/F1 per class, the confusion
matrix, AP per class (area under the PR curve), the faces the detector missed (aligned by the
fallback layout), and the same figures per age group and per race group where the labels
have them: a model that fails one group shows it. Beside the JSON: predictions.csv,
confusion.png and pr_curve.png.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from edge_producer.build import face_detector, gender_classifier
from edge_producer.classifiers import LABELS
from edge_producer.config import EdgeConfig, GenderConfig
from edge_producer.face_crops import crop_chip
from mlops.datasets import GENDERS, LabelledFace, load_faces
from mlops.metrics import average_precision, precision_recall_f1
from mlops.plots import confusion_png, pr_curve_png
from mlops.runs import log_run

DEFAULT_MODEL = GenderConfig().model


def scores(truth: Sequence[str], predicted: Sequence[str]) -> dict[str, Any]:
    """n, accuracy and per-class precision, recall, F1 and support."""
    pairs = list(zip(truth, predicted, strict=True))
    per_class = {}
    for c in GENDERS:
        tp = sum(t == c == p for t, p in pairs)
        fp = sum(p == c != t for t, p in pairs)
        fn = sum(t == c != p for t, p in pairs)
        prf = precision_recall_f1(tp, fp, fn)
        per_class[c] = {
            "precision": prf.precision, "recall": prf.recall, "f1": prf.f1, "support": tp + fn,
        }  # fmt: skip
    accuracy = sum(t == p for t, p in pairs) / len(pairs) if pairs else 0.0
    return {"n": len(pairs), "accuracy": accuracy, "per_class": per_class}


def _groups(
    faces: Sequence[LabelledFace],
    predicted: Sequence[str],
    key: Callable[[LabelledFace], str | None],
) -> dict[str, Any]:
    groups: dict[str, list[int]] = {}
    for i, face in enumerate(faces):
        if (value := key(face)) is not None:
            groups.setdefault(value, []).append(i)
    return {
        name: scores([faces[i].gender for i in idx], [predicted[i] for i in idx])
        for name, idx in sorted(groups.items())
    }


def evaluate_gender(
    folder: Path,
    report_json: Path,
    model: str | None = None,
    tracking_uri: str | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Evaluate `model` (an ONNX path or a bundled name; default: the edge's default model) on
    `folder`; write the report to `report_json` and the files beside it; log everything to
    MLflow when `tracking_uri` is set; return the report."""
    faces = load_faces(folder)
    config = EdgeConfig.model_validate(
        {"source": {"uri": str(folder)}, "runtime": {"device": "cpu"},
         "gender": {"model": model or DEFAULT_MODEL}}
    )  # fmt: skip
    detector, classifier = face_detector(config), gender_classifier(config)
    chips, fallbacks = [], 0
    for face in _progress(faces, progress):
        image = cv2.imread(str(face.path))
        if image is None:
            raise ValueError(f"cannot read image {face.path}")
        chip, fell_back = crop_chip(detector, classifier, image)
        chips.append(chip)
        fallbacks += fell_back
    probs = classifier.probabilities(np.stack(chips))
    predicted = [LABELS[i] for i in probs.argmax(axis=1)]
    truth = [f.gender for f in faces]
    report = {
        "model": {"name": classifier.model.name, "version": classifier.model.version,
                  "path": str(classifier.model.path)},
        "dataset": str(folder),
        **scores(truth, predicted),
        "confusion": {"rows_true_columns_predicted": list(GENDERS),
                      "matrix": [[sum(t == a and p == b for t, p in zip(truth, predicted,
                                                                          strict=True))
                                  for b in GENDERS] for a in GENDERS]},
        "average_precision": {
            c: average_precision(probs[:, LABELS.index(c)], [t == c for t in truth],
                                 max(1, truth.count(c)))
            for c in GENDERS
        },
        "detector_missed": fallbacks,
        "by_age": _groups(faces, predicted, lambda f: f.age),
        "by_race": _groups(faces, predicted, lambda f: f.race),
    }  # fmt: skip
    out = Path(report_json).parent
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "predictions.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", "gender", "predicted", "p_female", "p_male"])
        for face, p, row in zip(faces, predicted, probs, strict=True):
            writer.writerow([face.path.name, face.gender, p, f"{row[0]:.6f}", f"{row[1]:.6f}"])
    confusion_png(report["confusion"]["matrix"], list(GENDERS), out / "confusion.png")
    pr_curve_png(probs, truth, out / "pr_curve.png")
    Path(report_json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if tracking_uri:
        log_to_mlflow(tracking_uri, report, out, [Path(report_json)])
    return report


def log_to_mlflow(uri: str, report: dict[str, Any], out: Path, files: list[Path]) -> str:
    """One run in experiment ivica-eval-gender: the model and data as params, every figure as
    a metric, the report and pictures as artifacts; the run id."""
    model = report["model"]
    figures = {"accuracy": report["accuracy"], "detector_missed": report["detector_missed"]}
    for c, per in report["per_class"].items():
        figures |= {f"{k}_{c}": per[k] for k in ("precision", "recall", "f1")}
        figures[f"ap_{c}"] = report["average_precision"][c]
    return log_run(
        uri,
        "ivica-eval-gender",
        f"{model['name']} {model['version']}",
        {"model": model["name"], "model_version": model["version"],
         "dataset": report["dataset"], "n": report["n"]},
        figures,
        [*files, out / "predictions.csv", out / "confusion.png", out / "pr_curve.png"],
    )  # fmt: skip


def _progress(items: Sequence[LabelledFace], on: bool) -> Sequence[LabelledFace]:
    if not on:
        return items
    from tqdm import tqdm

    return tqdm(items, unit="face", desc="eval gender")
