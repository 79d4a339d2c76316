"""`ivica eval detector` and `ivica eval faces` on stills boxed by hand (tests/mlops/data):
their mAP against pycocotools on the same detections, and their counts at the edge's threshold
against a matching written here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.mlops.test_metrics import reference

MEDIA = Path(__file__).resolve().parents[3] / "shared" / "media"
DATA = Path(__file__).parent / "data"


def iou(a: list[float], b: list[float]) -> float:
    """IoU of two [x, y, w, h] boxes."""
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    inter = max(0.0, w) * max(0.0, h)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def run_eval(kind: str, annotations: Path, images: Path, out: Path) -> tuple[dict, list, dict]:
    """The CLI's report, its detections, and the annotations."""
    done = subprocess.run(
        [str(Path(sys.executable).with_name("ivica")), "eval", kind, str(annotations),
         "--images", str(images), "--report-json", str(out / "report.json")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads((out / "report.json").read_text())
    detections = json.loads((out / "detections.json").read_text())
    return report, detections, json.loads(annotations.read_text())


def check_against_references(report: dict, detections: list, coco: dict) -> int:
    """mAP equal to pycocotools, tp/fp/fn equal to a greedy matching written here; the tp."""
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
    return tp


def test_eval_detector_on_hand_boxed_stills(tmp_path):
    annotations = DATA / "stills_people.coco.json"
    report, detections, coco = run_eval("detector", annotations, MEDIA / "stills", tmp_path)
    tp = check_against_references(report, detections, coco)
    # Measured: 5 of the 6 people at IoU >= 0.5; the sixth, an arm raised to a shelf, is boxed
    # with the arm by hand and without it by YOLOX-nano (IoU 0.48). mAP@0.5 0.83, mAP 0.73.
    assert tp >= 5 and report["map50"] >= 0.75


def test_eval_faces_on_hand_boxed_stills(tmp_path):
    """Ten faces in five images (three stills, three public-domain portraits), from 70 px
    portraits to 14 px faces across a classroom; the default face detector (YuNet)."""
    annotations = DATA / "stills_faces.coco.json"
    report, detections, coco = run_eval("faces", annotations, MEDIA, tmp_path)
    assert report["model"]["name"] == "yunet" and report["role"] == "faces"
    tp = check_against_references(report, detections, coco)
    # Measured: 9 of 10 at YuNet's 0.6, no false alarm (the miss: a 14x18 px face), mAP@0.5 0.90,
    # mAP 0.50 (hand boxes are looser than IoU 0.75 on 15 px faces).
    assert tp >= 8 and report["at_threshold"]["fp"] <= 1 and report["map50"] >= 0.8
