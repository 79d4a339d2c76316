"""ONNX export with a pinned opset, the ONNX checker, and a parity check against PyTorch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch

from mlops.gender.model import Ensemble, FlipTTA, GenderV1Net, Probabilities

OPSET = 17
INPUT, OUTPUT = "images", "probabilities"


def wrap(
    net: torch.nn.Module | list[torch.nn.Module],
    ensemble_v1: float = 0.0,
    v1: torch.nn.Module | None = None,
    tta: bool = False,
) -> torch.nn.Module:
    """The exported model: ``net``'s probabilities (several nets: their mean, e.g. seeds), or
    their weighted mean with gender_v1's (the bundled weights, or ``v1``: a fine-tuned copy);
    with ``tta``, averaged over each chip and its mirror image in the same graph."""
    nets = list(net) if isinstance(net, list | tuple) else [net]
    weights = [1.0] * len(nets)
    if ensemble_v1 > 0:
        if v1 is None:
            from mlops.gender.train import GENDER_V1

            v1 = GenderV1Net.from_onnx(GENDER_V1)
        weights = [(1.0 - ensemble_v1) / len(nets)] * len(nets) + [ensemble_v1]
        nets.append(v1)
    model = Probabilities(nets[0]) if len(nets) == 1 else Ensemble(nets, weights)
    return (FlipTTA(model) if tta else model).eval()


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


def load_trained(path: Path) -> torch.nn.Module:
    """A network saved by `mlops.gender.train`: its .pt, or its plain exported .onnx (the
    weights read back from the graph's initializers), with the .json summary beside it."""
    import json

    from mlops.gender.train import TrainConfig, build

    path = Path(path)
    cfg = json.loads(path.with_suffix(".json").read_text())["config"]
    cfg.pop("aug", None)
    net = build(TrainConfig(**cfg))
    if path.suffix == ".onnx":
        from onnx import numpy_helper

        graph = onnx.load(str(path)).graph
        arrays = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
        for node in graph.node:  # the exporter shares equal tensors through Identity nodes
            if node.op_type == "Identity" and node.input[0] in arrays:
                arrays[node.output[0]] = arrays[node.input[0]]
        weights = {k.removeprefix("net."): torch.from_numpy(a.copy()) for k, a in arrays.items()}
        net.load_state_dict(weights)  # strict: a graph that is not the plain network fails
    else:
        net.load_state_dict(torch.load(path, map_location="cpu"))
    return net.eval()


def main(argv: list[str] | None = None) -> int:
    """Re-export trained networks (one, or the mean of several: e.g. seeds), alone or averaged
    with gender_v1, optionally with flip TTA; print their holdout figures (the first network's
    split of the training pool) and ORT CPU latency per chip, and write them to the .json
    beside --out."""
    import argparse
    import hashlib
    import json
    import sys
    import time

    from mlops.gender.chips import load_face_set
    from mlops.gender.model import count_macs
    from mlops.gender.train import REPO, TrainConfig, metrics, split_of, to_input

    p = argparse.ArgumentParser(description=main.__doc__)
    p.add_argument("--pt", type=Path, nargs="+", required=True,
                   help="trained networks: .pt or plain .onnx, each with its .json")  # fmt: skip
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--tta", action="store_true", help="average each chip with its mirror")
    p.add_argument("--ensemble-v1", type=float, default=0.0)
    p.add_argument("--v1-pt", type=Path, help="a fine-tuned gender_v1 (.pt) for the ensemble")
    p.add_argument("--data", type=Path, default=REPO.parent / "shared/media/faces_fairface_train")
    p.add_argument("--cache", type=Path, default=REPO / "state" / "gender-cache")
    args = p.parse_args(argv)
    if args.out.with_suffix(".json") in {q.with_suffix(".json") for q in args.pt}:
        p.error("--out would overwrite the summary of a network it reads")
    torch.set_num_threads(2)
    configs = [json.loads(q.with_suffix(".json").read_text())["config"] for q in args.pt]
    v1 = load_trained(args.v1_pt) if args.v1_pt else None
    model = wrap([load_trained(q) for q in args.pt], args.ensemble_v1, v1, args.tta)
    export_onnx(model, args.out)
    faces = load_face_set(args.data, args.cache, progress=False)
    cfg = TrainConfig(**{k: v for k, v in configs[0].items() if k != "aug"})
    _, hold = split_of(cfg, faces)
    x = to_input(faces.subset(hold).chips(model.chip_size)).numpy()
    err = parity(model, args.out, x[:256]) if len(x) else None
    session = ort.InferenceSession(str(args.out), providers=["CPUExecutionProvider"])
    one = x[:1] if len(x) else to_input(faces.subset([0]).chips(model.chip_size)).numpy()
    for _ in range(20):
        session.run(None, {INPUT: one})
    t = time.perf_counter()
    for _ in range(200):
        session.run(None, {INPUT: one})
    latency = (time.perf_counter() - t) / 200 * 1000
    scores = metrics(session.run(None, {INPUT: x})[0], faces.labels[hold]) if len(x) else {}
    out = {"out": str(args.out), "bytes": args.out.stat().st_size,
           "sha256": hashlib.sha256(args.out.read_bytes()).hexdigest(),
           "members": [str(q) for q in args.pt], "tta": args.tta,
           "ensemble_v1": args.ensemble_v1, "parity": err,
           "macs": count_macs(model, model.chip_size), "ort_ms_per_chip_batch1": latency,
           "holdout_faces": len(hold),
           **{f"holdout_{k}": v for k, v in scores.items()}}  # fmt: skip
    print(json.dumps(out))
    command = " ".join(["python -m mlops.gender.export", *(argv or sys.argv[1:])])
    summary = out | {"configs": configs, "command": command}
    args.out.with_suffix(".json").write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
