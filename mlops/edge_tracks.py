"""The edge's people tracks as a MOTChallenge tracker output: from its ``person_detections``
events, read from an events file (``ivica edge run --output-file``) or made by running the
edge's ``people`` pipeline over a clip (built by `edge_producer.build`, as ``ivica edge run``).

For a file source the edge numbers frames from 0 by their index in the file, skipped frames
included (`edge_producer.sources.file.FileSource`), so the MOT frame is ``frame_id + 1``, or
``frame_id + 1 - first_frame`` when the ground truth's frame 1 is the clip's frame ``first_frame``
(earlier frames go through the pipeline unscored, so tracks arrive as on a live camera). Only
tracked detections (``track_id`` not null) are tracker output; ``people_count`` is kept per
frame for the count errors.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from pydantic import ValidationError

from contracts.events import PersonDetections
from mlops.datasets import DatasetError
from mlops.mot import MotBoxes


@dataclass(frozen=True)
class EdgeTracks:
    """The tracks of the frames the edge processed."""

    boxes: MotBoxes
    """Tracked detections; ``conf`` is the detector's score."""
    frames: list[int]
    """MOT frame numbers of the processed frames, ascending."""
    counts: np.ndarray
    """``people_count`` of each of `frames`."""
    untracked: int
    """Detections without a track id (not tracker output)."""
    model: dict[str, str] | None
    """The person model the events name."""


def from_events(
    events: Iterable[PersonDetections],
    scale: tuple[float, float] = (1.0, 1.0),
    first_frame: int = 0,
) -> EdgeTracks:
    """The tracks of `events` (one per frame, one camera) from frame_id `first_frame` on (MOT
    frame 1); boxes multiplied by `scale` (x, y)."""
    by_frame: dict[int, PersonDetections] = {}
    cameras: set[tuple[str, str]] = set()
    for event in events:
        if event.frame_id < first_frame:
            continue
        if event.frame_id in by_frame:
            raise DatasetError(f"two person_detections events of frame_id {event.frame_id}")
        by_frame[event.frame_id] = event
        cameras.add((event.site_id, event.camera_id))
    if len(cameras) > 1:
        raise DatasetError(f"events of {len(cameras)} cameras: evaluate one camera at a time")
    rows: list[tuple[int, int, float, float, float, float, float]] = []
    untracked = 0
    for frame_id, event in sorted(by_frame.items()):
        for d in event.detections:
            if d.track_id is None:
                untracked += 1
                continue
            x1, y1, x2, y2 = d.bbox
            sx, sy = scale
            rows.append((frame_id + 1 - first_frame, d.track_id, x1 * sx, y1 * sy, (x2 - x1) * sx,
                         (y2 - y1) * sy, d.score))  # fmt: skip
    table = np.array(rows, float).reshape(-1, 7)
    boxes = MotBoxes(table[:, 0].astype(int), table[:, 1].astype(int), table[:, 2:6], table[:, 6])
    first = next(iter(by_frame.values()), None)
    model = first.model.model_dump() if first is not None and first.model else None
    return EdgeTracks(
        boxes,
        [f + 1 - first_frame for f in sorted(by_frame)],
        np.array([by_frame[f].people_count for f in sorted(by_frame)], int),
        untracked,
        model,
    )


def read_events(
    path: Path, max_frames: int | None = None, first_frame: int = 0
) -> list[PersonDetections]:
    """The ``person_detections`` events of a JSONL events file, up to the `max_frames`-th from
    frame_id `first_frame` on; other events are skipped. DatasetError naming the line on bad
    input."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: no such file (an events file, one JSON event a line)")
    events: list[PersonDetections] = []
    scored = 0
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if max_frames is not None and scored >= max_frames:
                break
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{path}:{number}: not JSON ({exc})") from None
            if not isinstance(obj, dict):
                raise DatasetError(f"{path}:{number}: not a JSON object")
            untagged = PersonDetections.SCHEMA if "people_count" in obj else None
            if obj.get("schema", untagged) != PersonDetections.SCHEMA:
                continue  # a gender_classifications event
            try:
                events.append(PersonDetections.model_validate(obj))
            except ValidationError as exc:
                raise DatasetError(
                    f"{path}:{number}: not a person_detections event: {exc}"
                ) from None
            scored += events[-1].frame_id >= first_frame
    return events


def run_people(
    clip: str,
    config_path: Path | None = None,
    max_frames: int | None = None,
    progress: bool = True,
    first_frame: int = 0,
) -> EdgeTracks:
    """Run the edge's ``people`` pipeline (the default edge config, or `config_path` with its
    source replaced by `clip`) over `clip`, frame by frame, until `max_frames` frames from
    frame_id `first_frame` on are processed, and return their tracks. The config's
    ``source.resize`` is applied here and the boxes scaled back to the clip's pixels; the
    source neither loops nor paces itself."""
    from tqdm import tqdm

    from edge_producer.app import edge_config
    from edge_producer.build import build_pipeline
    from edge_producer.sources import open_source
    from edge_producer.sources.processing import resize

    config = edge_config(config_path, source=clip)
    size = config.source.resize
    source = config.source.model_copy(update={"resize": None, "loop": False, "realtime": False})
    config = config.model_copy(update={"pipeline": "people", "source": source})
    pipeline = build_pipeline(config)
    events: list[PersonDetections] = []
    scale = (1.0, 1.0)
    scored = 0
    with (
        open_source(config.source) as frames,
        tqdm(total=max_frames, unit="frame", desc="eval tracking", disable=not progress) as bar,
    ):
        for frame in frames:
            if max_frames is not None and scored >= max_frames:
                break
            if frame.restart:
                pipeline.reset()
            if size is not None:
                scale = (frame.width / size[0], frame.height / size[1])
                frame = replace(frame, image=resize(frame.image, size))
            events += [e for e in pipeline.process(frame) if isinstance(e, PersonDetections)]
            if frame.frame_id >= first_frame:
                scored += 1
                bar.update()
    return from_events(events, scale, first_frame)
