"""ONNX export with a pinned opset, the ONNX checker, and a parity check against PyTorch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch

from mlops.gender.model import Ensemble, GenderV1Net, Probabilities

OPSET = 17
INPUT, OUTPUT = "images", "probabilities"


def wrap(net: torch.nn.Module, ensemble_v1: float = 0.0) -> torch.nn.Module:
    """The exported model: ``net``'s probabilities, or their weighted mean with gender_v1's."""
    if ensemble_v1 <= 0:
        return Probabilities(net).eval()
    from mlops.gender.train import GENDER_V1

    v1 = GenderV1Net.from_onnx(GENDER_V1)
    return Ensemble([net, v1], [1.0 - ensemble_v1, ensemble_v1]).eval()


def export_onnx(model: torch.nn.Module, path: Path) -> Path:
    """Write ``model`` (Nx3xSxS in, Nx2 probabilities out, dynamic N) and check it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    size = model.chip_size
    model.eval()
    torch.onnx.export(
        model, (torch.zeros(1, 3, size, size),), str(path),
        input_names=[INPUT], output_names=[OUTPUT], opset_version=OPSET,
        dynamic_axes={INPUT: {0: "N"}, OUTPUT: {0: "N"}}, dynamo=False,
    )  # fmt: skip
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    return path


def parity(model: torch.nn.Module, path: Path, inputs: np.ndarray) -> float:
    """Largest absolute difference between ONNX Runtime (CPU) and PyTorch on ``inputs``."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {INPUT: inputs.astype(np.float32)})[0]
    with torch.no_grad():
        want = model.eval()(torch.from_numpy(inputs.astype(np.float32))).numpy()
    return float(np.abs(got - want).max())
