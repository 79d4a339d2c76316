"""Pre-annotate a sequence with the edge's own person detector and tracker.

    .venv/bin/python tests/data/mot/preannotate.py one_by_one_0160 store_aisle

Writes ``<sequence>/preannotation.txt``, the machine's proposal that ``corrections.yaml`` then
fixes by hand (``build_gt.py`` applies it). Settings, chosen for recall rather than speed:

* YOLOX-nano (the bundled ``yolox_nano``, decoded by ``edge_producer.detectors.yolox``) with its
  input enlarged from 416x416 to the clip's own size rounded up to a multiple of 32 (768x448,
  480x288), so the frame is not shrunk. The ONNX graph only fixes the input size in its input
  declaration (its reshapes use -1 and its upsampling uses scales), so the copy with the new
  size runs unchanged. Upscaling the store aisle 2x (960x544) was tried and found fewer of the
  partly hidden people, so the native size is used.
* Score threshold 0.1, NMS IoU 0.45.
* The edge's ByteTrack (``edge_producer.tracking.ByteTracker``): high score 0.5, IoU 0.3,
  min hits 1 (a track shows from its first box; false tracks are deleted by hand), max age 30
  frames.
* Within each track, gaps of up to ``MAX_GAP`` frames are filled by linear interpolation.

Columns of ``preannotation.txt``: ``frame, id, left, top, width, height, score, source, -1``;
``source`` is 1 for a detector box and 2 for an interpolated one (score 0).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from itertools import pairwise
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # the repository root

from edge_producer.config import RuntimeConfig
from edge_producer.detectors.yolox import YoloxDetector
from edge_producer.models import resolve_model
from edge_producer.runtime.onnxruntime import OnnxRuntime
from edge_producer.tracking import ByteTracker

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sequences import SEQUENCES, Sequence, read_frames

SCORE_THRESHOLD = 0.1
NMS_IOU = 0.45
TRACKER = {"high_score": 0.5, "iou_threshold": 0.3, "min_hits": 1, "max_age": 30}
MAX_GAP = 10
"""Longest run of missing frames inside a track that is filled by interpolation."""


def input_size(seq: Sequence) -> tuple[int, int]:
    """(height, width): the clip's size rounded up to multiples of 32."""
    return -(-seq.height // 32) * 32, -(-seq.width // 32) * 32


def detector(seq: Sequence, workdir: Path) -> YoloxDetector:
    """The bundled YOLOX-nano with its input declared as ``input_size(seq)``."""
    import onnx

    model = resolve_model("yolox_nano", "people")
    graph = onnx.load(model.path)
    dims = graph.graph.input[0].type.tensor_type.shape.dim
    dims[2].dim_value, dims[3].dim_value = input_size(seq)
    graph.graph.output[0].type.tensor_type.shape.dim[1].dim_param = "boxes"
    del graph.graph.value_info[:]  # the stale intermediate shapes of the 416 export
    path = workdir / "yolox_nano_resized.onnx"
    onnx.save(graph, path)
    runtime = OnnxRuntime(path, RuntimeConfig(device="cpu", threads=1))
    return YoloxDetector(runtime, model, score_threshold=SCORE_THRESHOLD, nms_iou=NMS_IOU)


def track(seq: Sequence) -> dict[int, dict[int, tuple[np.ndarray, float]]]:
    """Per track id, per frame: the ``xyxy`` box and its score."""
    tracks: dict[int, dict[int, tuple[np.ndarray, float]]] = {}
    tracker = ByteTracker(**TRACKER)
    with tempfile.TemporaryDirectory() as tmp:
        det = detector(seq, Path(tmp))
        for frame, image in read_frames(seq):
            result = tracker.update(det.detect(image))
            for box, score, tid in zip(result.xyxy, result.score, result.track_id, strict=True):
                if tid >= 0:
                    tracks.setdefault(int(tid), {})[frame] = (box.copy(), float(score))
    return tracks


def rows(tracks: dict[int, dict[int, tuple[np.ndarray, float]]]) -> list[tuple]:
    """MOT rows, with gaps of up to MAX_GAP frames interpolated; ids renumbered from 1."""
    out = []
    for new_id, tid in enumerate(sorted(tracks, key=lambda t: (min(tracks[t]), t)), start=1):
        boxes = tracks[tid]
        frames = sorted(boxes)
        for a, b in pairwise(frames):
            if 1 < b - a <= MAX_GAP + 1:
                for f in range(a + 1, b):
                    w = (f - a) / (b - a)
                    out.append((f, new_id, (1 - w) * boxes[a][0] + w * boxes[b][0], 0.0, 2))
        out.extend((f, new_id, boxes[f][0], boxes[f][1], 1) for f in frames)
    return sorted(out, key=lambda r: (r[0], r[1]))


def write(seq: Sequence, table: list[tuple]) -> Path:
    path = seq.folder / "preannotation.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as fh:
        for frame, tid, (x1, y1, x2, y2), score, source in table:
            fh.write(
                f"{frame},{tid},{x1:.1f},{y1:.1f},{x2 - x1:.1f},{y2 - y1:.1f},"
                f"{score:.3f},{source},-1\n"
            )
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sequences", nargs="*", default=sorted(SEQUENCES))
    args = parser.parse_args()
    for name in args.sequences:
        seq = SEQUENCES[name]
        table = rows(track(seq))
        path = write(seq, table)
        ids = {r[1] for r in table}
        interpolated = sum(r[4] == 2 for r in table)
        print(f"{name}: {len(table)} boxes ({interpolated} interpolated), {len(ids)} tracks")
        print(f"  -> {path}")


if __name__ == "__main__":
    main()
