"""MOTChallenge text files: ground truth and tracker output, one box a line.

``frame,id,left,top,width,height,conf[,...]``, comma separated (spaces around the commas are
allowed, blank lines skipped). Frame 1 is the clip's first frame (the edge's frame 0). Boxes are
in pixels. In ground truth, ``conf`` 0 marks a box to ignore (as TrackEval: the value truncated
to an integer is 0). Extra columns may follow: MOT16/17/20 have ``class,visibility``, MOT15
(e.g. TUD) has world ``x,y,z`` (-1 when unknown). Which of the two a ground truth is decides the
rules it is scored by (:func:`gt_rules`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mlops.datasets import DatasetError

BENCHMARKS = ("auto", "MOT15", "MOT16", "MOT17", "MOT20")
"""Ground-truth rules, named as TrackEval's MotChallenge2DBox BENCHMARK; auto: guess."""
CLASSES = range(1, 14)
"""MOT16/17/20 class ids: 1 pedestrian ... 13 crowd."""
_SPLIT = re.compile(r"\s*,\s*|\s+")


@dataclass(frozen=True)
class MotBoxes:
    """Boxes of one sequence, one row a box (parallel arrays)."""

    frame: np.ndarray
    """(N,) int MOT frame numbers, from 1."""
    track_id: np.ndarray
    """(N,) int identities."""
    xywh: np.ndarray
    """(N, 4) float left, top, width, height in pixels."""
    conf: np.ndarray
    """(N,) float: ground truth's ignore flag (0: ignore), a tracker's confidence."""
    cls: np.ndarray | None = None
    """(N,) float 8th column (MOT16/17/20 class) when every line has one."""

    def __len__(self) -> int:
        return len(self.frame)

    def rows(self, keep: np.ndarray) -> MotBoxes:
        """The rows where ``keep`` (a mask or indices) says."""
        cls = None if self.cls is None else self.cls[keep]
        return MotBoxes(
            self.frame[keep], self.track_id[keep], self.xywh[keep], self.conf[keep], cls
        )

    def by_frame(self) -> dict[int, np.ndarray]:
        """Row indices of each frame that has boxes."""
        order = np.argsort(self.frame, kind="stable")
        frames, starts = np.unique(self.frame[order], return_index=True)
        return dict(zip(frames.tolist(), np.split(order, starts[1:]), strict=True))


def empty_boxes() -> MotBoxes:
    return MotBoxes(np.zeros(0, int), np.zeros(0, int), np.zeros((0, 4)), np.zeros(0))


def read_mot(path: Path, min_columns: int = 7) -> MotBoxes:
    """The boxes of a MOTChallenge file; DatasetError naming the file and line on bad input."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: no such file (a MOTChallenge text file was expected)")
    rows: list[list[float]] = []
    widths: list[int] = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            rows.append(_parse(line, min_columns, f"{path}:{number}"))
            widths.append(len(rows[-1]))
    if not rows:
        return empty_boxes()
    table = np.array([r[:7] + [np.nan] * (7 - len(r)) for r in rows])
    cls = np.array([r[7] for r in rows]) if min(widths) >= 8 else None
    return MotBoxes(
        table[:, 0].astype(int), table[:, 1].astype(int), table[:, 2:6], table[:, 6], cls
    )


def _parse(line: str, min_columns: int, where: str) -> list[float]:
    fields = _SPLIT.split(line.strip())
    if fields[-1] == "":
        fields = fields[:-1]  # a trailing comma
    if len(fields) < min_columns:
        raise DatasetError(
            f"{where}: {len(fields)} columns, expected at least {min_columns} "
            f"(frame,id,left,top,width,height,conf,...): {line.strip()!r}"
        )
    try:
        values = [float(f) for f in fields]
    except ValueError:
        values = [np.nan]
    if not np.isfinite(values).all():
        raise DatasetError(f"{where}: not a (finite) number in {line.strip()!r}")
    frame, track_id, _, _, width, height = values[:6]
    if not (frame >= 1 and frame == int(frame)):
        raise DatasetError(f"{where}: frame must be a whole number from 1, got {fields[0]!r}")
    if not (track_id >= 0 and track_id == int(track_id)):
        raise DatasetError(f"{where}: id must be a whole number >= 0, got {fields[1]!r}")
    if width < 0 or height < 0:
        raise DatasetError(f"{where}: negative width or height in {line.strip()!r}")
    return values


def gt_rules(gt: MotBoxes, benchmark: str = "auto") -> str:
    """The TrackEval rules ground truth is scored by: MOT15 (no classes: drop ignored boxes),
    or MOT16/17/20 (classes: also drop non-pedestrians, and remove tracker boxes matched to
    distractors). auto: MOT17 when every line has an 8th column holding a class id 1..13, else
    MOT15 (TUD and other MOT15 files carry world coordinates or -1 there)."""
    if benchmark not in BENCHMARKS:
        raise DatasetError(f"unknown benchmark {benchmark!r}: one of {', '.join(BENCHMARKS)}")
    if benchmark != "auto":
        return benchmark
    cls = gt.cls
    if cls is None or not len(cls):
        return "MOT15"
    whole = np.all(cls == np.trunc(cls)) and np.all((cls >= CLASSES[0]) & (cls <= CLASSES[-1]))
    return "MOT17" if whole else "MOT15"


def check_unique_ids(boxes: MotBoxes, what: Path | str) -> None:
    """DatasetError when an id appears twice in one frame (as TrackEval refuses it)."""
    if not len(boxes):
        return
    pairs = np.stack([boxes.frame, boxes.track_id], axis=1)
    unique, counts = np.unique(pairs, axis=0, return_counts=True)
    if len(counts) and counts.max() > 1:
        frame, track_id = unique[int(np.argmax(counts))]
        raise DatasetError(f"{what}: id {track_id} appears more than once in frame {frame}")
