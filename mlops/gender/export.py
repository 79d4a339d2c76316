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


def wrap(
    net: torch.nn.Module, ensemble_v1: float = 0.0, v1: torch.nn.Module | None = None
) -> torch.nn.Module:
    """The exported model: ``net``'s probabilities, or their weighted mean with gender_v1's
    (the bundled weights, or ``v1``: a fine-tuned copy)."""
    if ensemble_v1 <= 0:
        return Probabilities(net).eval()
    if v1 is None:
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


def load_trained(pt: Path) -> torch.nn.Module:
    """A network saved by `mlops.gender.train` (its .pt, with the .json summary beside it)."""
    import json

    from mlops.gender.train import TrainConfig, build

    cfg = json.loads(Path(pt).with_suffix(".json").read_text())["config"]
    cfg.pop("aug", None)
    net = build(TrainConfig(**cfg))
    net.load_state_dict(torch.load(pt, map_location="cpu"))
    return net.eval()


def main(argv: list[str] | None = None) -> int:
    """Re-export a trained network, alone or averaged with gender_v1; print its holdout
    figures (the training pool's fixed split) and its ORT CPU latency per chip."""
    import argparse
    import json
    import time

    from mlops.gender.chips import load_face_set
    from mlops.gender.model import count_macs
    from mlops.gender.train import REPO, metrics, split, to_input

    p = argparse.ArgumentParser(description=main.__doc__)
    p.add_argument("--pt", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--ensemble-v1", type=float, default=0.0)
    p.add_argument("--v1-pt", type=Path, help="a fine-tuned gender_v1 (.pt) for the ensemble")
    p.add_argument("--data", type=Path, default=REPO.parent / "shared/media/faces_fairface_train")
    p.add_argument("--cache", type=Path, default=REPO / "state" / "gender-cache")
    args = p.parse_args(argv)
    torch.set_num_threads(2)
    cfg = json.loads(args.pt.with_suffix(".json").read_text())["config"]
    v1 = load_trained(args.v1_pt) if args.v1_pt else None
    model = wrap(load_trained(args.pt), args.ensemble_v1, v1)
    export_onnx(model, args.out)
    faces = load_face_set(args.data, args.cache, progress=False)
    _, hold = split(faces, cfg["holdout"], cfg["seed"])
    x = to_input(faces.subset(hold).chips(model.chip_size)).numpy()
    err = parity(model, args.out, x[:256])
    session = ort.InferenceSession(str(args.out), providers=["CPUExecutionProvider"])
    probs = session.run(None, {INPUT: x})[0]
    one = x[:1]
    for _ in range(20):
        session.run(None, {INPUT: one})
    t = time.perf_counter()
    for _ in range(200):
        session.run(None, {INPUT: one})
    latency = (time.perf_counter() - t) / 200 * 1000
    scores = metrics(probs, faces.labels[hold])
    out = {"out": str(args.out), "bytes": args.out.stat().st_size, "parity": err,
           "macs": count_macs(model, model.chip_size), "ort_ms_per_chip_batch1": latency,
           **{f"holdout_{k}": v for k, v in scores.items()}}  # fmt: skip
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
