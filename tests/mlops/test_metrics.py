"""The metrics against the seed's worked example, hand counts, and pycocotools (the reference
implementation of COCO mAP, a test dependency only) on generated detection sets."""

from __future__ import annotations

import contextlib
import io
import random

import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from mlops.metrics import average_precision, coco_map, iou_xyxy, precision_recall_f1


def test_the_seeds_worked_example():
    hits = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0]
    scores = [0.95 - 0.05 * i for i in range(12)]
    expected = 3 / 9 * 1 + 1 / 9 * 4 / 5 + 1 / 9 * 5 / 7 + 1 / 9 * 6 / 10
    assert average_precision(scores, hits, 9) == pytest.approx(expected, abs=1e-12)
    assert round(average_precision(scores, hits, 9), 3) == 0.568  # the seed printed 0.569
    shuffled = list(zip(scores, hits, strict=True))
    random.Random(1).shuffle(shuffled)  # the order given does not matter, the scores do
    assert average_precision(*zip(*shuffled, strict=True), 9) == pytest.approx(expected)


def test_ap_edges():
    assert average_precision([], [], 3) == 0.0
    assert average_precision([0.9, 0.8], [1, 1], 2) == 1.0
    assert average_precision([0.9, 0.8], [0, 1], 1) == 0.5
    with pytest.raises(ValueError):
        average_precision([0.9], [1], 0)


def test_precision_recall_f1_and_iou():
    prf = precision_recall_f1(tp=6, fp=2, fn=4)
    assert (prf.precision, prf.recall) == (0.75, 0.6)
    assert prf.f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert precision_recall_f1(0, 0, 0).f1 == 0.0
    iou = iou_xyxy([[0, 0, 10, 10]], [[5, 5, 15, 15], [20, 20, 30, 30], [0, 0, 10, 10]])
    assert iou.tolist() == [[25 / 175, 0.0, 1.0]]


def reference(gt: list[dict], dt: list[dict], images: list[int], cats: list[int], iou=None):
    """pycocotools' COCOeval stats[0] (mAP@[.5:.95]) and stats[1] (mAP@0.5)."""
    anns = [
        {**g, "id": i + 1, "area": g["bbox"][2] * g["bbox"][3], "iscrowd": 0}
        for i, g in enumerate(gt)
    ]
    dataset = {
        "images": [{"id": i} for i in images],
        "categories": [{"id": c} for c in cats],
        "annotations": anns,
    }
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = dataset
        coco.createIndex()
        result = coco.loadRes(dt)
        e = COCOeval(coco, result, "bbox")
        e.evaluate()
        e.accumulate()
        e.summarize()
    return e.stats[0], e.stats[1]


def generated(seed: int, n_images: int = 12, ties: bool = False) -> tuple[list, list]:
    """Ground truth and noisy detections: shifted boxes, misses, false alarms, duplicates."""
    rng = np.random.default_rng(seed)
    gt, dt = [], []
    for image in range(1, n_images + 1):
        for _ in range(rng.integers(0, 6)):
            x, y, w, h = (float(v) for v in rng.uniform([0, 0, 5, 5], [200, 200, 80, 80]))
            cat = int(rng.integers(1, 4))
            gt.append({"image_id": image, "category_id": cat, "bbox": [x, y, w, h]})
            for _ in range(rng.integers(0, 3)):  # 0 = a miss, 2 = a duplicate
                jitter = rng.normal(0, 0.15 * min(w, h), 4)
                box = [
                    x + jitter[0],
                    y + jitter[1],
                    max(1.0, w + jitter[2]),
                    max(1.0, h + jitter[3]),
                ]
                score = round(float(rng.uniform()), 1) if ties else float(rng.uniform())
                dt.append({"image_id": image, "category_id": cat, "bbox": box, "score": score})
        for _ in range(rng.integers(0, 3)):  # false alarms
            box = [float(v) for v in rng.uniform([0, 0, 5, 5], [200, 200, 80, 80])]
            score = round(float(rng.uniform()), 1) if ties else float(rng.uniform())
            cat = int(rng.integers(1, 4))
            dt.append({"image_id": image, "category_id": cat, "bbox": box, "score": score})
    return gt, dt


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("seed", range(6))
def test_map_equals_pycocotools(seed, ties):
    gt, dt = generated(seed, ties=ties)
    images = list(range(1, 13))
    ref_map, ref_ap50 = reference(gt, dt, images, [1, 2, 3])
    assert coco_map(gt, dt, image_ids=images) == pytest.approx(ref_map, abs=1e-6)
    assert coco_map(gt, dt, (0.5,), image_ids=images) == pytest.approx(ref_ap50, abs=1e-6)


def test_map_edges_against_pycocotools():
    gt, dt = generated(11)
    images = list(range(1, 13))
    # a detector that sees everything exactly
    perfect = [{**g, "score": 0.5} for g in gt]
    assert coco_map(gt, perfect, image_ids=images) == pytest.approx(1.0)
    assert reference(gt, perfect, images, [1, 2, 3])[0] == pytest.approx(1.0)
    # detections only on images without ground truth: every one a false alarm
    empty = [{"image_id": 99, "category_id": 1, "bbox": [1, 1, 5, 5], "score": 0.9}]
    ref = reference(gt, empty, [*images, 99], [1, 2, 3])
    assert coco_map(gt, empty, image_ids=[*images, 99]) == pytest.approx(ref[0]) == 0.0
    # no predictions at all (pycocotools cannot load an empty result list): AP 0
    assert coco_map(gt, [], image_ids=images) == 0.0
    # no ground truth at all: nothing to measure, as pycocotools says (-1)
    assert coco_map([], dt) == -1.0
    assert reference([], dt, images, [1, 2, 3])[0] == -1.0
