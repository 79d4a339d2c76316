"""Training augmentation: re-alignment from jittered landmarks (a face detector's noise: shift,
scale, turn), then photometric changes on the chips (flip, colour, grayscale, blur, low
resolution), all from one seeded numpy generator."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mlops.gender.chips import FaceSet


@dataclass(frozen=True)
class Augment:
    shift: float = 0.06  # of the eye distance... of the landmarks' spread, each axis
    scale: float = 0.10  # +- relative
    rotate_deg: float = 10.0
    point_noise: float = 0.02  # per landmark, of the spread
    flip: float = 0.5
    brightness: float = 0.25  # +- relative
    contrast: float = 0.25
    saturation: float = 0.3
    grayscale: float = 0.1
    blur: float = 0.15
    low_res: float = 0.15  # down- and up-sample by up to 2x (a small, far face)


def jitter_landmarks(marks: np.ndarray, aug: Augment, rng: np.random.Generator) -> np.ndarray:
    """(N, 5, 2) landmarks moved by a random similarity about their centre plus point noise."""
    n = len(marks)
    centre = marks.mean(axis=1, keepdims=True)
    spread = np.linalg.norm(marks - centre, axis=2).mean(axis=1)[:, None, None]
    angle = np.deg2rad(rng.uniform(-aug.rotate_deg, aug.rotate_deg, n))
    scale = rng.uniform(1 - aug.scale, 1 + aug.scale, n)
    c, s = np.cos(angle) * scale, np.sin(angle) * scale
    rot = np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)  # (N, 2, 2)
    moved = np.einsum("nij,nkj->nki", rot, marks - centre) + centre
    moved += rng.uniform(-aug.shift, aug.shift, (n, 1, 2)) * spread
    moved += rng.normal(0, aug.point_noise, moved.shape) * spread
    return moved.astype(np.float32)


def augmented_chips(
    faces: FaceSet, size: int, aug: Augment, rng: np.random.Generator
) -> np.ndarray:
    """(N, size, size, 3) uint8 BGR chips: the edge's alignment from jittered landmarks, then
    photometric augmentation."""
    chips = faces.chips(size, jitter_landmarks(faces.landmarks, aug, rng))
    return photometric(chips, aug, rng)


def photometric(chips: np.ndarray, aug: Augment, rng: np.random.Generator) -> np.ndarray:
    n = len(chips)
    x = chips.astype(np.float32)
    flip = rng.random(n) < aug.flip
    x[flip] = x[flip, :, ::-1]
    gray = x.mean(axis=3, keepdims=True)
    sat = rng.uniform(1 - aug.saturation, 1 + aug.saturation, (n, 1, 1, 1))
    sat[rng.random(n) < aug.grayscale] = 0.0
    x = gray + (x - gray) * sat
    mean = x.mean(axis=(1, 2, 3), keepdims=True)
    x = mean + (x - mean) * rng.uniform(1 - aug.contrast, 1 + aug.contrast, (n, 1, 1, 1))
    x *= rng.uniform(1 - aug.brightness, 1 + aug.brightness, (n, 1, 1, 1))
    x = np.clip(x, 0, 255).astype(np.uint8)
    size = chips.shape[1]
    for i in np.flatnonzero(rng.random(n) < aug.blur):
        x[i] = cv2.GaussianBlur(x[i], (3, 3), rng.uniform(0.5, 1.2))
    for i in np.flatnonzero(rng.random(n) < aug.low_res):
        small = max(4, int(size / rng.uniform(1.3, 2.0)))
        x[i] = cv2.resize(
            cv2.resize(x[i], (small, small), interpolation=cv2.INTER_AREA),
            (size, size), interpolation=cv2.INTER_LINEAR,
        )  # fmt: skip
    return x
