"""The annotated sequences: which clip, which stretch of it, and the pre-annotation settings.

Shared by ``preannotate.py``, ``build_gt.py`` and ``render_sheets.py`` (run them from the
repository root with ``.venv/bin/python tests/data/mot/<script>.py``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
MEDIA = Path(os.environ.get("IVICA_MEDIA", HERE.parents[3] / "shared" / "media"))
"""The shared media folder: ``../shared/media`` from the repository root, or ``$IVICA_MEDIA``."""


@dataclass(frozen=True)
class Sequence:
    name: str
    clip: str
    """File name in the shared media folder."""
    offset: int
    """0-based index, in the clip, of the sequence's frame 1."""
    length: int
    fps: int
    width: int
    height: int

    @property
    def clip_path(self) -> Path:
        return MEDIA / self.clip

    @property
    def folder(self) -> Path:
        return HERE / self.name


SEQUENCES = {
    s.name: s
    for s in (
        Sequence(
            "one_by_one_0160",
            "intel_one_by_one_person_768x432.mp4",
            offset=160,
            length=300,
            fps=10,
            width=768,
            height=432,
        ),
        Sequence(
            "store_aisle",
            "intel_store_aisle_detection_480x270.mp4",
            offset=0,
            length=67,
            fps=15,
            width=480,
            height=270,
        ),
    )
}


def read_frames(seq: Sequence):
    """Yield ``(frame_number, bgr_image)`` for the sequence, frame numbers from 1."""
    import cv2

    cap = cv2.VideoCapture(str(seq.clip_path))
    if not cap.isOpened():
        raise SystemExit(f"cannot open {seq.clip_path}")
    # Decode from the start and skip: seeking in H.264 is not frame exact everywhere.
    index = 0
    try:
        while index < seq.offset + seq.length:
            ok, image = cap.read()
            if not ok:
                raise SystemExit(f"{seq.clip} ended at frame index {index}")
            if index >= seq.offset:
                yield index - seq.offset + 1, image
            index += 1
    finally:
        cap.release()
