"""`ivica eval detector` and `ivica eval faces`: the edge's person or face detector on
COCO-annotated images (one category, named `person` or `face`).

The detector runs as the edge builds it, with its score threshold lowered to 0.05 so that the
precision-recall curve is whole; the report has COCO mAP@[.5:.95] and mAP@0.5
(`mlops.metrics.coco_map`, equal to pycocotools), and precision, recall and F1 at the score
threshold the edge keeps (`people.score_threshold`; for faces the detector's own default unless
`faces.score_threshold` is set), boxes matched greedily by score at IoU 0.5. Faces are searched in
the whole image (the edge's `faces.search: frame`), with the edge's `faces.min_size`. Beside the
JSON: the detections in COCO result form (detections.json).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from edge_producer.build import face_detector, person_detector
from edge_producer.config import EdgeConfig, PeopleConfig
from edge_producer.detectors.base import FaceDetector, PersonDetector
from mlops.datasets import DatasetError
from mlops.metrics import coco_map, iou_xyxy, precision_recall_f1, xywh_to_xyxy

CURVE_THRESHOLD = 0.05
CATEGORY = {"people": "person", "faces": "face"}


def evaluate_detector(
    annotations: Path,
    images: Path,
    report_json: Path,
    model: str | None = None,
    decoder: str | None = None,
    role: str = "people",
) -> dict[str, Any]:
    """Evaluate the edge's detector of `role` (people or faces; `model`: an ONNX path or bundled
    name, default the edge's) on the images of a COCO annotation file; write and return the
    report."""
    coco = json.loads(Path(annotations).read_text(encoding="utf-8"))
    name = CATEGORY[role]
    ids_named = [c["id"] for c in coco.get("categories", []) if c.get("name") == name]
    if len(ids_named) != 1:
        raise DatasetError(f"{annotations}: needs exactly one category named {name!r}")
    category = ids_named[0]
    section: dict[str, Any] = {"score_threshold": CURVE_THRESHOLD}
    if model:
        section["model"] = model
    if decoder:
        section["decoder"] = decoder
    config = EdgeConfig.model_validate(
        {"source": {"uri": str(images)}, "runtime": {"device": "cpu"}, role: section}
    )
    detector: PersonDetector | FaceDetector
    if role == "people":
        detector = person_detector(config)
        threshold = PeopleConfig().score_threshold  # what the edge counts with
    else:
        detector = face_detector(config)
        threshold = detector.DEFAULT_SCORE  # the edge keeps this unless faces.score_threshold
    truth = [a for a in coco["annotations"] if a["category_id"] == category]
    found: list[dict[str, Any]] = []
    tp = fp = fn = 0
    for image in coco["images"]:
        pixels = cv2.imread(str(Path(images) / image["file_name"]))
        if pixels is None:
            raise DatasetError(f"cannot read {Path(images) / image['file_name']}")
        dets = detector.detect(pixels)
        for box, score in zip(dets.xyxy, dets.score, strict=True):
            x1, y1, x2, y2 = (float(v) for v in box)
            found.append({"image_id": image["id"], "category_id": category,
                          "bbox": [x1, y1, x2 - x1, y2 - y1], "score": float(score)})  # fmt: skip
        kept = dets.xyxy[dets.score >= threshold]
        gt = xywh_to_xyxy([a["bbox"] for a in truth if a["image_id"] == image["id"]])
        hits = _matches(iou_xyxy(kept, gt)) if len(kept) and len(gt) else 0
        tp, fp, fn = tp + hits, fp + len(kept) - hits, fn + len(gt) - hits
    ids = [i["id"] for i in coco["images"]]
    prf = precision_recall_f1(tp, fp, fn)
    report = {
        "model": {"name": detector.model.name, "version": detector.model.version},
        "role": role,
        "annotations": str(annotations),
        "images": len(ids),
        "objects": len(truth),
        "map": coco_map(truth, found, image_ids=ids),
        "map50": coco_map(truth, found, (0.5,), image_ids=ids),
        "at_threshold": {"score_threshold": threshold, "iou": 0.5, "tp": tp, "fp": fp, "fn": fn,
                         "precision": prf.precision, "recall": prf.recall, "f1": prf.f1},
    }  # fmt: skip
    out = Path(report_json)
    out.parent.mkdir(parents=True, exist_ok=True)
    (out.parent / "detections.json").write_text(json.dumps(found) + "\n", encoding="utf-8")
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def _matches(ious: np.ndarray) -> int:
    """Detections (rows, by falling score) matched one-to-one to ground truth at IoU >= 0.5."""
    taken = np.zeros(ious.shape[1], bool)
    hits = 0
    for row in ious:
        candidates = np.where(~taken & (row >= 0.5), row, -1.0)
        if candidates.max() >= 0.5:
            taken[int(candidates.argmax())] = True
            hits += 1
    return hits
