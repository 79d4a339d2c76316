"""SORT/ByteTrack's constant-velocity Kalman filter on boxes, batched over tracks.

The state of one track is ``[x, y, a, h, vx, vy, va, vh]``: box centre, aspect ratio (width over
height), height and their velocities per processed frame. Noise scales with the box height, with
ByteTrack's weights, so the filter behaves the same for near and far people. Every method works
on all tracks at once: ``mean`` is (N, 8) and ``covariance`` (N, 8, 8).

The tracker calls these every frame on a handful of tracks, where numpy's per-call overhead is
the cost, so the diagonal noise matrices are never built: their variances are added in place to
a strided view of the covariances' diagonals (same arithmetic, same results).
"""

from __future__ import annotations

import numpy as np

STD_POSITION = 1.0 / 20
"""Position noise as a fraction of the box height."""
STD_VELOCITY = 1.0 / 160
"""Velocity noise as a fraction of the box height."""
MIN_HEIGHT = 1e-3
"""Heights are clipped to this (pixels) so the aspect ratio stays finite."""

_NDIM = 4
_MOTION = np.eye(2 * _NDIM)
_MOTION[:_NDIM, _NDIM:] = np.eye(_NDIM)
_ASPECT = 2
"""Column of the aspect ratio (and, plus ``_NDIM``, of its velocity), whose noise is fixed."""

# Standard deviations per state (or measurement) column, as multiples of the box height, and the
# fixed ones of the aspect-ratio columns: new tracks, process noise, measurement noise.
_INIT_STD = np.array([2 * STD_POSITION] * 4 + [10 * STD_VELOCITY] * 4)
_INIT_ASPECT_STD = np.array([1e-2, 1e-5])
_PROCESS_STD = np.array([STD_POSITION] * 4 + [STD_VELOCITY] * 4)
_PROCESS_ASPECT_STD = np.array([1e-2, 1e-5])
_MEASUREMENT_STD = np.full(_NDIM, STD_POSITION)
_MEASUREMENT_ASPECT_STD = np.array([1e-1])


def xyxy_to_xyah(xyxy: np.ndarray) -> np.ndarray:
    """(N, 4) ``[x1, y1, x2, y2]`` to ``[centre x, centre y, width / height, height]``."""
    xyxy = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
    centre = (xyxy[:, :2] + xyxy[:, 2:]) / 2
    wh = xyxy[:, 2:] - xyxy[:, :2]
    h = np.maximum(wh[:, 1], MIN_HEIGHT)
    return np.concatenate([centre, (np.maximum(wh[:, 0], 0) / h)[:, None], h[:, None]], axis=1)


def xyah_to_xyxy(xyah: np.ndarray) -> np.ndarray:
    """(N, 4) ``[centre x, centre y, width / height, height]`` to ``[x1, y1, x2, y2]``."""
    xyah = np.asarray(xyah, dtype=np.float64).reshape(-1, 4)
    half = np.maximum(xyah[:, 2:], 0)  # [a, h]
    half[:, 0] *= half[:, 1]  # [w, h]
    half /= 2
    return np.concatenate([xyah[:, :2] - half, xyah[:, :2] + half], axis=1)


def _variance(h: np.ndarray, weights: np.ndarray, aspect_std: np.ndarray) -> np.ndarray:
    """(N, K) variances: ``(weights * h) ** 2`` except fixed stds in the aspect-ratio columns."""
    std = h[:, None] * weights
    std[:, _ASPECT::_NDIM] = aspect_std
    return np.square(std, out=std)


def _add_to_diagonal(matrices: np.ndarray, values: np.ndarray) -> None:
    """In place: ``matrices[n, i, i] += values[n, i]`` for C-contiguous (N, K, K) ``matrices``."""
    if not matrices.flags.c_contiguous:  # reshape would copy, and the sum would be lost
        raise ValueError("matrices must be C-contiguous")
    n, k, _ = matrices.shape
    diagonal = matrices.reshape(n, k * k)[:, :: k + 1]
    diagonal += values


def initiate(xyah: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """New tracks from (N, 4) measurements: zero velocity, wide velocity uncertainty."""
    xyah = np.asarray(xyah, dtype=np.float64).reshape(-1, _NDIM)
    n = len(xyah)
    mean = np.zeros((n, 2 * _NDIM))
    mean[:, :_NDIM] = xyah
    covariance = np.zeros((n, 2 * _NDIM, 2 * _NDIM))
    _add_to_diagonal(covariance, _variance(xyah[:, 3], _INIT_STD, _INIT_ASPECT_STD))
    return mean, covariance


def predict(mean: np.ndarray, covariance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One step ahead for every track: ``x' = F x``, ``P' = F P F^T + Q``."""
    noise = _variance(mean[:, 3], _PROCESS_STD, _PROCESS_ASPECT_STD)
    mean = mean @ _MOTION.T
    covariance = _MOTION @ covariance @ _MOTION.T
    _add_to_diagonal(covariance, noise)
    return mean, covariance


def update(
    mean: np.ndarray, covariance: np.ndarray, xyah: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Correct every track with its (N, 4) measurement (row i belongs to track i)."""
    innovation_cov = covariance[:, :_NDIM, :_NDIM].copy()
    _add_to_diagonal(
        innovation_cov, _variance(mean[:, 3], _MEASUREMENT_STD, _MEASUREMENT_ASPECT_STD)
    )
    # K = P H^T S^-1 with S symmetric: solve S K^T = H P.
    gain = np.linalg.solve(innovation_cov, covariance[:, :_NDIM, :]).transpose(0, 2, 1)
    innovation = np.asarray(xyah, dtype=np.float64).reshape(-1, _NDIM) - mean[:, :_NDIM]
    mean = mean + np.einsum("nij,nj->ni", gain, innovation)
    covariance = covariance - gain @ innovation_cov @ gain.transpose(0, 2, 1)
    return mean, covariance
