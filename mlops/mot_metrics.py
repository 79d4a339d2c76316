"""CLEAR (MOTA, MOTP), Identity (IDF1) and HOTA of a tracker against MOTChallenge ground truth.

The figures come from TrackEval's own metric classes (`trackeval.metrics`); what they are fed is
prepared here the way TrackEval's MotChallenge2DBox dataset prepares a sequence
(`get_preprocessed_seq_data`), frame by frame:

1. IoU of every ground-truth box with every tracker box.
2. MOT16/17/20 rules only: tracker boxes matched (Hungarian, IoU >= 0.5) to a ground-truth box
   of a distractor class (person on vehicle, static person, distractor, reflection; MOT20 also
   non-MOT vehicle) are removed: they are neither right nor wrong.
3. Ground-truth boxes marked to ignore (``conf`` 0) are dropped, and under MOT16/17/20 rules
   every class but pedestrian (1) too. A tracker box on a dropped box that was not removed in
   step 2 stays, and counts as a false positive (TrackEval does the same).
4. Ids are renumbered 0..n-1 in order of their value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from mlops.datasets import DatasetError
from mlops.metrics import iou_xyxy, xywh_to_xyxy
from mlops.mot import CLASSES, MotBoxes

PEDESTRIAN = 1
_MOT17_DISTRACTORS = (2, 7, 8, 12)  # person on vehicle, static person, distractor, reflection
DISTRACTORS = {
    "MOT15": (),
    "MOT16": _MOT17_DISTRACTORS,
    "MOT17": _MOT17_DISTRACTORS,
    "MOT20": (*_MOT17_DISTRACTORS, 6),  # and non-MOT vehicle
}
MATCH_IOU = 0.5
EPS = np.finfo(float).eps


@dataclass(frozen=True)
class Prepared:
    """One sequence as TrackEval's metrics take it, and what preprocessing left out."""

    data: dict[str, Any]
    gt_counts: np.ndarray
    """Per evaluated frame: the ground-truth boxes that count (after step 3)."""
    gt_ignored: np.ndarray
    """Per evaluated frame: the pedestrian boxes marked to ignore (conf 0) and the distractor
    boxes: people a counter may count or not."""
    tracker_counts: np.ndarray
    """Per evaluated frame: the tracker's boxes as given (before step 2)."""
    gt_dropped: int
    tracker_removed: int


def prepare(gt: MotBoxes, tracks: MotBoxes, frames: list[int], rules: str) -> Prepared:
    """The sequence made of `frames` (MOT frame numbers, in order) under `rules` (MOT15, MOT16,
    MOT17 or MOT20; see `mlops.mot.gt_rules`)."""
    if rules != "MOT15":
        _check_classes(gt, rules)
    gt_at, tr_at = gt.by_frame(), tracks.by_frame()
    none = np.zeros(0, int)
    gt_ids, tr_ids, sims, gt_counts, gt_ignored, tr_counts = [], [], [], [], [], []
    removed = 0
    for t in frames:
        g, r = gt.rows(gt_at.get(t, none)), tracks.rows(tr_at.get(t, none))
        sim = iou_xyxy(xywh_to_xyxy(g.xywh), xywh_to_xyxy(r.xywh))
        keep_r = np.ones(len(r), bool)
        if rules != "MOT15" and len(g) and len(r):
            scores = np.where(sim < MATCH_IOU - EPS, 0.0, sim)
            rows, cols = linear_sum_assignment(-scores)
            matched = scores[rows, cols] > EPS
            distractor = np.isin(g.cls[rows[matched]].astype(int), DISTRACTORS[rules])
            keep_r[cols[matched][distractor]] = False
        keep_g = np.trunc(g.conf) != 0
        if rules != "MOT15":
            keep_g &= g.cls.astype(int) == PEDESTRIAN
        removed += int((~keep_r).sum())
        gt_ids.append(g.track_id[keep_g])
        tr_ids.append(r.track_id[keep_r])
        sims.append(sim[keep_g][:, keep_r])
        gt_counts.append(int(keep_g.sum()))
        gt_ignored.append(_maybe_people(g, keep_g, rules))
        tr_counts.append(len(r))
    gt_unique, tr_unique = _renumber(gt_ids), _renumber(tr_ids)
    data = {
        "num_timesteps": len(frames),
        "num_gt_ids": len(gt_unique),
        "num_tracker_ids": len(tr_unique),
        "num_gt_dets": int(sum(map(len, gt_ids))),
        "num_tracker_dets": int(sum(map(len, tr_ids))),
        "gt_ids": gt_ids,
        "tracker_ids": tr_ids,
        "similarity_scores": sims,
    }
    in_frames = np.isin(gt.frame, frames)
    return Prepared(
        data,
        np.array(gt_counts, int),
        np.array(gt_ignored, int),
        np.array(tr_counts, int),
        gt_dropped=int(in_frames.sum()) - data["num_gt_dets"],
        tracker_removed=removed,
    )


def score(prepared: Prepared) -> dict[str, dict[str, Any]]:
    """TrackEval's CLEAR, Identity and HOTA results of the sequence: every field, as plain
    numbers (HOTA's per-alpha fields as lists of 19, alpha 0.05 to 0.95)."""
    try:
        from trackeval.metrics import CLEAR, HOTA, Identity
    except ImportError as exc:
        raise ImportError(
            "TrackEval is missing: `make setup`, or pip install --no-deps trackeval==1.3.0 "
            "(docs/mlops.md)"
        ) from exc

    quiet = {"THRESHOLD": MATCH_IOU, "PRINT_CONFIG": False}
    metrics = {"CLEAR": CLEAR(quiet), "Identity": Identity(quiet), "HOTA": HOTA()}
    return {
        name: {k: _plain(v) for k, v in metric.eval_sequence(prepared.data).items()}
        for name, metric in metrics.items()
    }


def _maybe_people(g: MotBoxes, kept: np.ndarray, rules: str) -> int:
    """The dropped boxes of one frame that are people a counter may count or not: all of them
    under MOT15; pedestrians marked to ignore and distractors under MOT16/17/20 (not cars)."""
    dropped = ~kept
    if rules != "MOT15":
        cls = g.cls.astype(int)
        dropped &= (cls == PEDESTRIAN) | np.isin(cls, _MOT17_DISTRACTORS)
    return int(dropped.sum())


def _renumber(ids: list[np.ndarray]) -> np.ndarray:
    """Map every frame's ids in place to 0..n-1 in order of value; the original ids."""
    unique = np.unique(np.concatenate(ids)) if ids else np.zeros(0, int)
    for i, frame_ids in enumerate(ids):
        ids[i] = np.searchsorted(unique, frame_ids).astype(int)
    return unique


def _check_classes(gt: MotBoxes, rules: str) -> None:
    if gt.cls is None:
        if len(gt):
            raise DatasetError(f"{rules} rules need a class column (the 8th) in the ground truth")
        return
    bad = sorted(set(gt.cls.astype(int).tolist()) - set(CLASSES))
    if bad:
        raise DatasetError(
            f"ground truth classes {bad} are not MOT16/17/20 classes 1..13 under {rules} rules "
            "(a MOT15 file? use --benchmark MOT15)"
        )


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value
