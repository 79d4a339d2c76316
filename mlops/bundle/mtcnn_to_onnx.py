"""Export facenet-pytorch's MTCNN (P-Net, R-Net, O-Net) to three ONNX files.

facenet-pytorch 2.6.0 (MIT, Tim Esler) ships the weights of Zhang et al.'s MTCNN (2016) as
PyTorch state dicts (``facenet_pytorch/data/{p,r,o}net.pt``). This loads them into
facenet-pytorch's own ``PNet``, ``RNet`` and ``ONet`` modules and exports each with opset 17
(ONNX Runtime and TensorRT 10 both take it), then checks that ONNX Runtime gives the same outputs
as torch on random input. Input of every net: ``input`` [N, 3, H, W] float32 RGB,
``(x - 127.5) * 0.0078125``, the image in its ordinary orientation.

- ``pnet.onnx``: N, H and W dynamic; outputs ``reg`` [N, 4, h, w], ``prob`` [N, 2, h, w]
  (softmax; channel 1 is "face"), one cell per 12x12 window at stride 2.
- ``rnet.onnx``: [N, 3, 24, 24]; outputs ``reg`` [N, 4], ``prob`` [N, 2].
- ``onet.onnx``: [N, 3, 48, 48]; outputs ``reg`` [N, 4], ``landmarks`` [N, 10] (x1..x5, y1..y5
  relative to the box), ``prob`` [N, 2].

torch is needed only here, never on the edge. The bundled ``edge_producer/models/mtcnn/*.onnx``
were made with it, in a throwaway venv (PyPI has the CUDA build of torch only; it runs on CPU):

    python3.11 -m venv /tmp/torchenv
    /tmp/torchenv/bin/pip install torch==2.13.0 torchvision==0.28.0 onnxruntime==1.32.0 \
        "onnx<1.19" "protobuf<6" requests tqdm
    /tmp/torchenv/bin/pip install facenet-pytorch==2.6.0 --no-deps
    /tmp/torchenv/bin/python mlops/bundle/mtcnn_to_onnx.py edge_producer/models/mtcnn
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from facenet_pytorch import ONet, PNet, RNet

OPSET = 17

NETS: dict[str, tuple[type[torch.nn.Module], tuple[int, int], list[str]]] = {
    # name: (module, (H, W) of the export's example input, output names in forward's order)
    "pnet": (PNet, (67, 91), ["reg", "prob"]),
    "rnet": (RNet, (24, 24), ["reg", "prob"]),
    "onet": (ONet, (48, 48), ["reg", "landmarks", "prob"]),
}


def export(name: str, out_dir: Path) -> Path:
    """Export one net (pretrained weights from the facenet-pytorch package) to ``name.onnx``."""
    module_type, (h, w), outputs = NETS[name]
    net = module_type(pretrained=True).eval()
    axes = {0: "batch"} | ({2: "height", 3: "width"} if name == "pnet" else {})
    out_axes = {0: "batch"} | ({2: "rows", 3: "cols"} if name == "pnet" else {})
    path = out_dir / f"{name}.onnx"
    with torch.no_grad():
        torch.onnx.export(
            net,
            (torch.zeros(2, 3, h, w),),
            str(path),
            input_names=["input"],
            output_names=outputs,
            dynamic_axes={"input": axes} | {o: out_axes for o in outputs},
            opset_version=OPSET,
            dynamo=False,
            do_constant_folding=True,
        )
    model = onnx.load(str(path))
    model.doc_string = (
        f"MTCNN {name} (Zhang et al. 2016), weights from facenet-pytorch 2.6.0 (MIT), "
        "exported by ivica mlops/bundle/mtcnn_to_onnx.py"
    )
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def max_abs_diff(name: str, path: Path, shapes: list[tuple[int, int, int, int]]) -> float:
    """Largest |torch - ONNX Runtime| over every output, on random inputs of ``shapes``."""
    net = NETS[name][0](pretrained=True).eval()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    worst = 0.0
    for shape in shapes:
        x = rng.uniform(-1, 1, shape).astype(np.float32)
        with torch.no_grad():
            expected = [t.numpy() for t in net(torch.from_numpy(x))]
        got = session.run(None, {"input": x})
        for e, g in zip(expected, got, strict=True):
            if e.shape != g.shape:
                raise AssertionError(f"{name}: shape {g.shape}, torch gives {e.shape}")
            worst = max(worst, float(np.abs(e - g).max()))
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    checks = {
        "pnet": [(1, 3, 12, 12), (1, 3, 271, 481), (3, 3, 100, 57)],
        "rnet": [(1, 3, 24, 24), (37, 3, 24, 24)],
        "onet": [(1, 3, 48, 48), (9, 3, 48, 48)],
    }
    for name, shapes in checks.items():
        path = export(name, args.out_dir)
        diff = max_abs_diff(name, path, shapes)
        print(f"{path}: opset {OPSET}, max |torch - onnxruntime| = {diff:.2e} on {shapes}")
        if diff > 1e-4:
            raise SystemExit(f"{name}: ONNX output differs from torch by {diff}")


if __name__ == "__main__":
    main()
