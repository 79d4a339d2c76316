"""Face alignment: five landmarks per face to a small square chip, the way dlib cuts its chips.

dlib's ``get_face_chip_details`` fits a similarity transform (least squares) from a template of
five points in a unit square, padded by ``padding`` on each side and scaled to ``size``, to the
five landmarks its shape predictor found; ``extract_image_chip`` then samples the chip with
bilinear interpolation from an image pyramid level, so that a small chip from a big face is not
aliased. :func:`align_faces` does the same with OpenCV, for the five landmarks YuNet gives (eye
centres, nose tip, mouth corners), whose positions in dlib's unit square are
:data:`YUNET_TEMPLATE`.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

DLIB_TEMPLATE = np.array(
    [
        [0.8595674595992, 0.2134981538014],  # image-right eye (subject's left), outer corner
        [0.6460604764104, 0.2289674387677],  # image-right eye, inner corner
        [0.1205750620789, 0.2137274526848],  # image-left eye (subject's right), outer corner
        [0.3340850613712, 0.2290642403242],  # image-left eye, inner corner
        [0.4901123135679, 0.6277975316475],  # bottom of the nose
    ],
    dtype=np.float64,
)
"""dlib's 5-point template in the unit square before padding, in the order of dlib's 5-point
shape predictor (``get_face_chip_details`` in dlib/image_transforms/interpolation.h)."""

YUNET_TEMPLATE = np.array(
    [
        [0.2267, 0.1943],  # right eye (subject's), on the image's left
        [0.7600, 0.1951],  # left eye
        [0.4869, 0.5184],  # nose tip
        [0.2670, 0.7546],  # right mouth corner
        [0.7270, 0.7551],  # left mouth corner
    ],
    dtype=np.float64,
)
"""Where YuNet's five landmarks (right eye, left eye, nose tip, right and left mouth corner, as
:class:`~edge_producer.detections.Detections` orders them) sit in dlib's unit square.

Measured, not guessed: on 1,500 FairFace training crops (``faces_fairface_train``, the first
1,500 rows; none of them in ``faces_fairface_val``) dlib's own 5-point shape predictor gave the
similarity that puts each face on :data:`DLIB_TEMPLATE`; YuNet's landmarks for the same crop
(found with a 25% black border around it) mapped through it, and the median of each point over
the 1,500 faces is this template. YuNet's eye points sit about 0.025 above the midpoint of dlib's
two eye corners, and its nose tip (0.52) well above dlib's nose base (0.63).
"""

YUNET_WEIGHTS = np.ones(5)
"""Least-squares weight of each of YuNet's landmarks in the fit: all five alike. On 1,500 other
FairFace training crops, eyes only and eyes with the nose tip (which moves with the head's
turn) aligned worse than all five or eyes with mouth corners (accuracy 0.82 against 0.84, dlib's
own alignment 0.82)."""

FACE_CROP_LAYOUT = np.array(
    [
        [0.3126, 0.2942],
        [0.6756, 0.2943],
        [0.4914, 0.5130],
        [0.3438, 0.6731],
        [0.6527, 0.6729],
    ],
    dtype=np.float64,
)
"""YuNet's five landmarks as fractions of a FairFace-style face crop (the face centred, about a
quarter of margin around it): the medians over the 1,500 crops above. With
:func:`box_landmarks` it aligns an already-cropped face on which no landmarks were found."""


def similarity_transforms(
    src: np.ndarray, dst: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """(N, 2, 3) least-squares similarity transforms (rotation, uniform scale, shift, no
    reflection) taking the points ``src`` (N, K, 2) or (K, 2) onto ``dst`` (N, K, 2) or (K, 2).

    ``weights`` (K,) weighs each point pair; two points with non-zero weight fit exactly.
    """
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    n = max(src.shape[0] if src.ndim == 3 else 1, dst.shape[0] if dst.ndim == 3 else 1)
    k = src.shape[-2]
    src = np.broadcast_to(src, (n, k, 2))
    dst = np.broadcast_to(dst, (n, k, 2))
    w = np.ones(k) if weights is None else np.asarray(weights, dtype=np.float64)
    w = w / w.sum()
    src_mean = np.einsum("k,nkd->nd", w, src)
    dst_mean = np.einsum("k,nkd->nd", w, dst)
    x = src - src_mean[:, None]
    y = dst - dst_mean[:, None]
    norm = np.einsum("k,nk->n", w, (x**2).sum(-1))
    a = np.einsum("k,nk->n", w, x[..., 0] * y[..., 0] + x[..., 1] * y[..., 1]) / norm
    b = np.einsum("k,nk->n", w, x[..., 0] * y[..., 1] - x[..., 1] * y[..., 0]) / norm
    linear = np.stack([np.stack([a, -b], -1), np.stack([b, a], -1)], -2)
    shift = dst_mean - np.einsum("nij,nj->ni", linear, src_mean)
    return np.concatenate([linear, shift[..., None]], axis=-1)


def chip_transforms(
    landmarks: np.ndarray,
    size: int,
    padding: float,
    template: np.ndarray = YUNET_TEMPLATE,
    weights: np.ndarray | None = YUNET_WEIGHTS,
) -> np.ndarray:
    """(N, 2, 3) affine maps from chip pixel (x, y) to image pixel, one per face.

    The geometry is dlib's: the similarity fit from the padded template to the landmarks gives
    an angle, a scale ``s`` and the image point of the chip's centre; the chip's pixels
    0..size-1 then span a square of side ``size * s - 1`` image pixels around that centre.
    """
    chip_points = (padding + np.asarray(template, dtype=np.float64)) / (2 * padding + 1) * size
    fit = similarity_transforms(chip_points, landmarks, weights)
    linear = fit[:, :, :2]
    scale = np.hypot(linear[:, 0, 0], linear[:, 1, 0])
    centre = fit @ np.array([size / 2, size / 2, 1.0])
    step = (size * scale - 1) / (size - 1) if size > 1 else scale
    rotation = linear / scale[:, None, None]
    grid = rotation * step[:, None, None]
    shift = centre - grid @ np.full(2, (size - 1) / 2)
    return np.concatenate([grid, shift[..., None]], axis=-1)


DLIB_PYRAMID_SHIFT = np.array([-0.25, 0.25])
"""dlib maps a point p to p/2 - (1.25, 0.75) one pyramid level down, where its 5-tap filter
puts it at p/2 - 1: its chips show the image shifted by (2^(L+1) - 2) times this many pixels
after L levels. The model learnt on such chips, so :func:`align_faces` shifts alike."""


def _pyramid_levels(transform: np.ndarray, size: int) -> int:
    """How many 2:1 pyramid steps dlib takes before sampling: halve while the chip's square
    stays bigger than ``size`` pixels a side."""
    side = size * math.hypot(transform[0, 0], transform[1, 0])
    if side <= size:
        return 0
    return max(0, math.ceil(math.log2(side / size)) - 1)


def _extract(image: np.ndarray, transform: np.ndarray, size: int) -> np.ndarray:
    """One chip: crop the region the chip covers, take pyramid steps, then sample bilinearly."""
    height, width = image.shape[:2]
    levels = _pyramid_levels(transform, size)
    last = size - 1
    corners = transform @ np.array([[0, last, 0, last], [0, 0, last, last], [1, 1, 1, 1]])
    margin = 2 ** (levels + 2) + 2  # the pyramid filters' and the bilinear sampling's reach
    x0 = max(math.floor(corners[0].min()) - margin, 0)
    y0 = max(math.floor(corners[1].min()) - margin, 0)
    x1 = min(math.ceil(corners[0].max()) + margin + 1, width)
    y1 = min(math.ceil(corners[1].max()) + margin + 1, height)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return np.zeros((size, size, 3), dtype=np.uint8)
    source = image[y0:y1, x0:x1]
    done = 0
    while done < levels and min(source.shape[:2]) >= 2:
        source = cv2.pyrDown(source)
        done += 1
    matrix = transform.copy()
    matrix[:, 2] += DLIB_PYRAMID_SHIFT * (2 ** (done + 1) - 2) - (x0, y0)
    matrix /= 2**done
    return cv2.warpAffine(
        source,
        matrix,
        (size, size),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0,
    )


def align_faces(
    image: np.ndarray,
    landmarks: np.ndarray,
    size: int,
    padding: float = 0.2,
    template: np.ndarray = YUNET_TEMPLATE,
    weights: np.ndarray | None = YUNET_WEIGHTS,
) -> np.ndarray:
    """(N, size, size, 3) uint8 chips, one per face of ``landmarks`` (N, K, 2), cut from the
    HxWx3 uint8 ``image`` (channel order kept) so that the landmarks land on ``template``
    (K, 2, dlib's unit square) padded by ``padding``. Parts of a chip outside the image are
    black."""
    landmarks = np.asarray(landmarks, dtype=np.float64).reshape(len(landmarks), -1, 2)
    chips = np.zeros((len(landmarks), size, size, 3), dtype=np.uint8)
    if len(landmarks) == 0:
        return chips
    transforms = chip_transforms(landmarks, size, padding, template, weights)
    for i, transform in enumerate(transforms):
        chips[i] = _extract(image, transform, size)
    return chips


def box_landmarks(xyxy: np.ndarray, layout: np.ndarray) -> np.ndarray:
    """(N, K, 2) landmarks placed in each box of ``xyxy`` (N, 4) at ``layout`` (K, 2), given
    as fractions of the box's width and height: an alignment for faces without landmarks."""
    xyxy = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
    origin, extent = xyxy[:, None, :2], (xyxy[:, 2:] - xyxy[:, :2])[:, None, :]
    return (origin + np.asarray(layout, dtype=np.float64) * extent).astype(np.float32)
