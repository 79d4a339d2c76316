"""Aligned face chips of a labelled face folder, through the edge's detector and alignment.

Each crop goes through :func:`edge_producer.face_crops.crop_landmarks` (YuNet on the crop in a
black border, the FACE_CROP_LAYOUT fallback when it finds no face) and the classifier's
alignment (:func:`edge_producer.align.align_faces` with CHIP_PADDING): exactly what
:func:`edge_producer.face_crops.crop_chip` does. The landmarks and the raw crops are cached, so
that augmentation can re-align each crop with jittered landmarks (a detector's noise) at no
detector cost.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from edge_producer.align import align_faces
from edge_producer.classifiers import CHIP_PADDING
from edge_producer.face_crops import crop_landmarks
from mlops.datasets import GENDERS, load_faces

CACHE_VERSION = 1


@dataclass
class FaceSet:
    """Raw crops of one folder with their edge landmarks and labels."""

    images: np.ndarray  # (N, H, W, 3) uint8 BGR, all crops resized to one size if they differ
    landmarks: np.ndarray  # (N, 5, 2) float32, in the crop's pixels
    fell_back: np.ndarray  # (N,) bool: the detector missed, landmarks from FACE_CROP_LAYOUT
    labels: np.ndarray  # (N,) int64: 0 female, 1 male (the model's output order)
    files: np.ndarray  # (N,) str
    ages: np.ndarray  # (N,) str ("" unknown)
    races: np.ndarray  # (N,) str

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, idx: np.ndarray) -> FaceSet:
        return FaceSet(*(getattr(self, f)[idx] for f in self.__dataclass_fields__))

    def chips(self, size: int, landmarks: np.ndarray | None = None) -> np.ndarray:
        """(N, size, size, 3) uint8 BGR chips as the edge aligns them (optionally from other
        landmarks, e.g. jittered ones)."""
        marks = self.landmarks if landmarks is None else landmarks
        out = np.empty((len(self), size, size, 3), np.uint8)
        for i in range(len(self)):
            out[i] = align_faces(self.images[i], marks[i][None], size, CHIP_PADDING)[0]
        return out


def edge_face_detector():
    """The edge's default face detector, on the CPU (as `ivica eval gender` builds it)."""
    from edge_producer.build import face_detector
    from edge_producer.config import EdgeConfig

    config = EdgeConfig.model_validate({"source": {"uri": "."}, "runtime": {"device": "cpu"}})
    return face_detector(config)


def load_face_set(
    folder: Path, cache_dir: Path | None = None, limit: int | None = None, progress: bool = True
) -> FaceSet:
    """The faces of ``folder`` (mlops.datasets layouts) with their edge landmarks; cached as an
    .npz in ``cache_dir`` keyed by the folder, the limit and the labels file."""
    folder = Path(folder)
    faces = load_faces(folder)[:limit]
    labels = [(str(f.path), f.gender) for f in faces]
    key = f"{CACHE_VERSION}|{folder.resolve()}|{limit}|{labels}"
    key = hashlib.sha256(key.encode()).hexdigest()[:16]
    cache = Path(cache_dir) / f"faceset-{folder.name}-{key}.npz" if cache_dir else None
    if cache is not None and cache.is_file():
        with np.load(cache, allow_pickle=False) as z:
            return FaceSet(**{k: z[k] for k in FaceSet.__dataclass_fields__})
    detector = edge_face_detector()
    images, marks, missed = [], [], []
    items = faces
    if progress:
        from tqdm import tqdm

        items = tqdm(faces, unit="face", desc=f"landmarks {folder.name}")
    shape = None
    for face in items:
        image = cv2.imread(str(face.path))
        if image is None:
            raise ValueError(f"cannot read image {face.path}")
        landmarks, fell_back = crop_landmarks(detector, image)
        if shape is None:
            shape = image.shape
        if image.shape != shape:  # one array: scale the crop and its landmarks alike
            sy, sx = shape[0] / image.shape[0], shape[1] / image.shape[1]
            image = cv2.resize(image, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
            landmarks = landmarks * np.array([sx, sy], np.float32)
        images.append(image)
        marks.append(landmarks)
        missed.append(fell_back)
    fs = FaceSet(
        images=np.stack(images),
        landmarks=np.stack(marks).astype(np.float32),
        fell_back=np.array(missed, bool),
        labels=np.array([GENDERS.index(f.gender) for f in faces], np.int64),
        files=np.array([f.path.name for f in faces]),
        ages=np.array([f.age or "" for f in faces]),
        races=np.array([f.race or "" for f in faces]),
    )
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp.npz")
        np.savez(tmp, **{k: getattr(fs, k) for k in FaceSet.__dataclass_fields__})
        tmp.replace(cache)
    return fs
