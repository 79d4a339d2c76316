"""`ivica eval detector` on two stills boxed by hand (tests/mlops/data/stills_people.coco.json):
its mAP against pycocotools on the same detections, and its counts at the edge's threshold
against a matching written here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.mlops.test_metrics import reference

MEDIA = Path(__file__).resolve().parents[3] / "shared" / "media"
ANNOTATIONS = Path(__file__).parent / "data" / "stills_people.coco.json"


def iou(a: list[float], b: list[float]) -> float:
    """IoU of two [x, y, w, h] boxes."""
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    inter = max(0.0, w) * max(0.0, h)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def test_eval_detector_on_hand_boxed_stills(tmp_path):
    report_json = tmp_path / "report.json"
    done = subprocess.run(
        [str(Path(sys.executable).with_name("ivica")), "eval", "detector", str(ANNOTATIONS),
         "--images", str(MEDIA / "stills"), "--report-json", str(report_json)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(report_json.read_text())
    detections = json.loads((tmp_path / "detections.json").read_text())
    coco = json.loads(ANNOTATIONS.read_text())
    truth = coco["annotations"]
    ids = [i["id"] for i in coco["images"]]
    ref_map, ref_map50 = reference(truth, detections, ids, [1])
    assert report["map"] == pytest.approx(ref_map, abs=1e-6)
    assert report["map50"] == pytest.approx(ref_map50, abs=1e-6)

    at = report["at_threshold"]
    tp = 0
    for image in ids:
        kept = sorted(
            (
                d
                for d in detections
                if d["image_id"] == image and d["score"] >= at["score_threshold"]
            ),
            key=lambda d: -d["score"],
        )
        free = [a["bbox"] for a in truth if a["image_id"] == image]
        for d in kept:
            best = max(free, key=lambda g: iou(d["bbox"], g), default=None)
            if best is not None and iou(d["bbox"], best) >= 0.5:
                free.remove(best)
                tp += 1
    kept_total = sum(d["score"] >= at["score_threshold"] for d in detections)
    assert (at["tp"], at["fp"], at["fn"]) == (tp, kept_total - tp, len(truth) - tp)
    # Measured: 5 of the 6 people at IoU >= 0.5; the sixth, an arm raised to a shelf, is boxed
    # with the arm by hand and without it by YOLOX-nano (IoU 0.48). mAP@0.5 0.83, mAP 0.73.
    assert tp >= 5 and report["map50"] >= 0.75
