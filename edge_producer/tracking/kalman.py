"""SORT/ByteTrack's constant-velocity Kalman filter on boxes, batched over tracks.

The state of one track is ``[x, y, a, h, vx, vy, va, vh]``: box centre, aspect ratio (width over
height), height and their velocities per processed frame. Noise scales with the box height, with
ByteTrack's weights, so the filter behaves the same for near and far people. Every method works
on all tracks at once: ``mean`` is (N, 8) and ``covariance`` (N, 8, 8).
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


def xyxy_to_xyah(xyxy: np.ndarray) -> np.ndarray:
    """(N, 4) ``[x1, y1, x2, y2]`` to ``[centre x, centre y, width / height, height]``."""
    xyxy = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
    wh = xyxy[:, 2:] - xyxy[:, :2]
    h = np.maximum(wh[:, 1], MIN_HEIGHT)
    centre = (xyxy[:, :2] + xyxy[:, 2:]) / 2
    return np.column_stack([centre, np.maximum(wh[:, 0], 0) / h, h])


def xyah_to_xyxy(xyah: np.ndarray) -> np.ndarray:
    """(N, 4) ``[centre x, centre y, width / height, height]`` to ``[x1, y1, x2, y2]``."""
    xyah = np.asarray(xyah, dtype=np.float64).reshape(-1, 4)
    h = np.maximum(xyah[:, 3], 0)
    half = np.column_stack([np.maximum(xyah[:, 2], 0) * h, h]) / 2
    return np.concatenate([xyah[:, :2] - half, xyah[:, :2] + half], axis=1)


def _diag(std: np.ndarray) -> np.ndarray:
    """(N, K) standard deviations to (N, K, K) diagonal covariances."""
    n, k = std.shape
    out = np.zeros((n, k, k))
    idx = np.arange(k)
    out[:, idx, idx] = std**2
    return out


def initiate(xyah: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """New tracks from (N, 4) measurements: zero velocity, wide velocity uncertainty."""
    xyah = np.asarray(xyah, dtype=np.float64).reshape(-1, _NDIM)
    mean = np.concatenate([xyah, np.zeros_like(xyah)], axis=1)
    h = xyah[:, 3]
    pos, vel = 2 * STD_POSITION * h, 10 * STD_VELOCITY * h
    std = np.column_stack(
        [pos, pos, np.full_like(h, 1e-2), pos, vel, vel, np.full_like(h, 1e-5), vel]
    )
    return mean, _diag(std)


def predict(mean: np.ndarray, covariance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One step ahead for every track: ``x' = F x``, ``P' = F P F^T + Q``."""
    h = mean[:, 3]
    pos, vel = STD_POSITION * h, STD_VELOCITY * h
    std = np.column_stack(
        [pos, pos, np.full_like(h, 1e-2), pos, vel, vel, np.full_like(h, 1e-5), vel]
    )
    mean = mean @ _MOTION.T
    covariance = _MOTION @ covariance @ _MOTION.T + _diag(std)
    return mean, covariance


def update(
    mean: np.ndarray, covariance: np.ndarray, xyah: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Correct every track with its (N, 4) measurement (row i belongs to track i)."""
    h = mean[:, 3]
    pos = STD_POSITION * h
    innovation_cov = covariance[:, :_NDIM, :_NDIM] + _diag(
        np.column_stack([pos, pos, np.full_like(h, 1e-1), pos])
    )
    # K = P H^T S^-1 with S symmetric: solve S K^T = H P.
    gain = np.linalg.solve(innovation_cov, covariance[:, :_NDIM, :]).transpose(0, 2, 1)
    innovation = np.asarray(xyah, dtype=np.float64).reshape(-1, _NDIM) - mean[:, :_NDIM]
    mean = mean + np.einsum("nij,nj->ni", gain, innovation)
    covariance = covariance - gain @ innovation_cov @ gain.transpose(0, 2, 1)
    return mean, covariance
