"""ByteTrack: Kalman-predicted boxes, Hungarian matching on 1 - IoU, and a second round for
low-score detections.

Per processed frame:

1. Every track's box is predicted one frame ahead (constant velocity, :mod:`.kalman`).
2. High-score detections (``score >= high_score``) are matched to the confirmed tracks, those
   seen last frame and lost ones alike, so a lost track that is seen again keeps its id.
3. Low-score detections are matched to the confirmed tracks still unmatched that were seen last
   frame (ByteTrack's second association: an occluded person's weak box extends their track).
4. The high-score detections left are matched to the unconfirmed tracks.
5. The high-score detections still left start unconfirmed tracks; low-score ones never do.

Each round is one ``scipy.optimize.linear_sum_assignment`` on ``1 - IoU``; a pair below
``iou_threshold`` (or of different classes) never matches. When no track and no detection has
two candidate pairs (people apart, the usual frame), each round's assignment is exactly its
candidate pairs, so they are matched at once without the rounds. A track's IoU with a detection
is the larger of its predicted box's and its last matched box's (as OC-SORT's
observation-centric recovery): a person who stops, or whose box jumped while half hidden and so
gave the filter a wrong velocity, is still found where they were last seen. A new track is
confirmed, and only then takes an id from a counter that only increases, after ``min_hits``
matches in a row, or at once on a match scored at least ``confirm_score`` (a person seen
clearly needs no proof of persistence; a weak, flickering box still does); an unconfirmed track
that misses a frame is dropped. A confirmed track
survives ``max_age`` processed frames without a match and is dropped at the next miss. Track
state is kept in arrays, one row per track, so each step is a few vectorised numpy operations.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from edge_producer.detections import UNTRACKED, Detections
from edge_producer.ops import box_iou
from edge_producer.tracking import kalman
from edge_producer.tracking.base import Tracker

_NO_MATCH_COST = 1e6


def associate(iou: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Hungarian assignment on ``1 - iou`` (rows: tracks, columns: detections).

    Returns the matched row and column indices; pairs with IoU below ``threshold`` are left out.
    """
    if iou.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    cost = np.where(iou >= threshold, 1.0 - iou, _NO_MATCH_COST)
    rows, cols = linear_sum_assignment(cost)
    keep = iou[rows, cols] >= threshold
    return rows[keep].astype(np.int64), cols[keep].astype(np.int64)


def _one_to_one(rows: np.ndarray, cols: np.ndarray) -> bool:
    """Whether the pairs ``(rows[i], cols[i])`` share no row and no column."""
    return len(set(rows.tolist())) == len(rows) and len(set(cols.tolist())) == len(cols)


class ByteTracker(Tracker):
    """ByteTrack multi-object tracker (see the module docstring for the algorithm)."""

    def __init__(
        self,
        *,
        high_score: float = 0.5,
        iou_threshold: float = 0.3,
        min_hits: int = 3,
        max_age: int = 30,
        confirm_score: float | None = None,
    ) -> None:
        if not 0 < iou_threshold <= 1:
            raise ValueError(f"iou_threshold must be in (0, 1], got {iou_threshold}")
        if min_hits < 1 or max_age < 1:
            raise ValueError(f"min_hits and max_age must be >= 1, got {min_hits}, {max_age}")
        self.high_score = high_score
        self.iou_threshold = iou_threshold
        self.min_hits = min_hits
        self.max_age = max_age
        self.confirm_score = 2.0 if confirm_score is None else confirm_score
        self._next_id = 1
        self.reset()

    def reset(self) -> None:
        """Forget every track; the id counter keeps going."""
        self._mean = np.zeros((0, 8))
        self._cov = np.zeros((0, 8, 8))
        self._last = np.zeros((0, 4), dtype=np.float32)
        """The box of each track's last matched detection."""
        self._class = np.zeros(0, dtype=np.int64)
        self._hits = np.zeros(0, dtype=np.int64)
        """Matches since the track started (all in a row while it is unconfirmed)."""
        self._misses = np.zeros(0, dtype=np.int64)
        """Processed frames since the last match."""
        self._id = np.zeros(0, dtype=np.int64)
        """Track id, ``UNTRACKED`` while unconfirmed."""

    @property
    def active_ids(self) -> np.ndarray:
        """Ids of the confirmed tracks alive now, seen this frame or lost, ascending."""
        return np.sort(self._id[self._id != UNTRACKED])

    def update(self, detections: Detections) -> Detections:
        """Match one frame's detections to the tracks; see :meth:`Tracker.update`."""
        n = len(detections)
        if not n and not len(self._id):
            return detections
        self._predict()
        high = detections.score >= self.high_score
        if n and len(self._id):
            det_track = self._match(detections, high)
        else:
            det_track = np.full(n, -1, dtype=np.int64)
        dets = np.flatnonzero(det_track >= 0)
        tracks = det_track[dets]
        matched = np.zeros(len(self._id), dtype=bool)
        matched[tracks] = True
        if len(dets):
            self._correct(tracks, detections.xyxy[dets])
        sure = np.zeros(len(self._id), dtype=bool)
        sure[tracks] = detections.score[dets] >= self.confirm_score
        self._age(matched, sure)

        ids = np.full(n, UNTRACKED, dtype=np.int64)
        ids[dets] = self._id[tracks]
        self._drop(matched)
        new = np.flatnonzero(high & (det_track < 0))
        if len(new):
            ids[new] = self._start(
                detections.xyxy[new], detections.class_id[new], detections.score[new]
            )
        return detections.with_track_ids(ids) if n else detections

    def _predict(self) -> None:
        if not len(self._id):
            return
        # As ByteTrack: a track not seen last frame stops growing or shrinking.
        self._mean[self._misses > 0, 7] = 0.0
        self._mean, self._cov = kalman.predict(self._mean, self._cov)

    def _iou(self, detections: Detections) -> np.ndarray:
        """(tracks, detections) IoU: the larger of the predicted and the last matched box's.

        Both sets of track boxes go through one :func:`box_iou` call.
        """
        boxes = np.concatenate(
            [kalman.xyah_to_xyxy(self._mean[:, :4]), self._last], dtype=np.float32
        )
        iou = box_iou(boxes, detections.xyxy)
        return np.maximum(iou[: len(self._id)], iou[len(self._id) :])

    def _match(self, detections: Detections, high: np.ndarray) -> np.ndarray:
        """Track row for each detection (-1: none) after the three association rounds."""
        iou = self._iou(detections)
        same_class = self._class[:, None] == detections.class_id[None, :]
        confirmed = self._id != UNTRACKED
        det_track = np.full(len(detections), -1, dtype=np.int64)
        # The pairs some round may match: a high-score detection may go to any track, a low-score
        # one only to a confirmed track seen last frame (each pair belongs to one round).
        allowed = high[None, :] | (confirmed & (self._misses == 0))[:, None]
        rows, cols = np.nonzero(same_class & allowed & (iou >= self.iou_threshold))
        if _one_to_one(rows, cols):
            # No track or detection has two candidates, so no round takes another's, and each
            # round's assignment is exactly its candidate pairs: skip the rounds.
            det_track[cols] = rows
            return det_track
        iou[~same_class] = 0.0
        free_tracks = np.ones(len(self._id), dtype=bool)
        rounds = (
            (confirmed, high),
            (confirmed & (self._misses == 0), ~high),
            (~confirmed, high),
        )
        for track_ok, det_ok in rounds:
            t_idx = np.flatnonzero(track_ok & free_tracks)
            d_idx = np.flatnonzero(det_ok & (det_track < 0))
            rows, cols = associate(iou[np.ix_(t_idx, d_idx)], self.iou_threshold)
            det_track[d_idx[cols]] = t_idx[rows]
            free_tracks[t_idx[rows]] = False
        return det_track

    def _correct(self, tracks: np.ndarray, xyxy: np.ndarray) -> None:
        """Kalman update of track rows ``tracks`` with their matched boxes ``xyxy``."""
        mean, cov = kalman.update(self._mean[tracks], self._cov[tracks], kalman.xyxy_to_xyah(xyxy))
        self._mean[tracks], self._cov[tracks] = mean, cov
        self._last[tracks] = xyxy

    def _age(self, matched: np.ndarray, sure: np.ndarray) -> None:
        """Count hits and misses; confirm tracks that reached ``min_hits`` or were matched to
        a detection scored ``confirm_score`` (`sure`), and give them ids."""
        self._hits += matched
        self._misses = np.where(matched, 0, self._misses + 1)
        ready = (self._hits >= self.min_hits) | sure
        self._confirm(np.flatnonzero((self._id == UNTRACKED) & ready))

    def _confirm(self, rows: np.ndarray) -> None:
        if not len(rows):
            return
        self._id[rows] = np.arange(self._next_id, self._next_id + len(rows))
        self._next_id += len(rows)

    def _drop(self, matched: np.ndarray) -> None:
        """Remove unconfirmed tracks that missed and confirmed ones past ``max_age``."""
        keep = matched | ((self._id != UNTRACKED) & (self._misses <= self.max_age))
        if keep.all():
            return
        self._mean, self._cov, self._last = self._mean[keep], self._cov[keep], self._last[keep]
        self._class, self._hits = self._class[keep], self._hits[keep]
        self._misses, self._id = self._misses[keep], self._id[keep]

    def _start(self, xyxy: np.ndarray, class_id: np.ndarray, score: np.ndarray) -> np.ndarray:
        """New tracks from unmatched high-score boxes; returns their ids (or UNTRACKED)."""
        mean, cov = kalman.initiate(kalman.xyxy_to_xyah(xyxy))
        first = len(self._id)
        k = len(xyxy)
        self._mean = np.concatenate([self._mean, mean])
        self._cov = np.concatenate([self._cov, cov])
        self._last = np.concatenate([self._last, xyxy])
        self._class = np.concatenate([self._class, class_id])
        self._hits = np.concatenate([self._hits, np.ones(k, dtype=np.int64)])
        self._misses = np.concatenate([self._misses, np.zeros(k, dtype=np.int64)])
        self._id = np.concatenate([self._id, np.full(k, UNTRACKED, dtype=np.int64)])
        new = np.arange(first, first + k)
        self._confirm(new if self.min_hits <= 1 else new[score >= self.confirm_score])
        return self._id[new]
