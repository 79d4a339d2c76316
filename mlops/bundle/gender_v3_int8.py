"""Make ``gender_v3_int8``, the CPU form of ``gender_v3``: no flip average, INT8 weights.

``gender_v3`` averages each chip with its mirror image in the graph (two passes of its
MobileNet). On a CPU that is most of the edge's classification time, so the CPU form drops the
mirror pass (the graph's flip and batch concat are cut out, its final mean becomes an identity)
and then quantizes the MobileNet to INT8 with ONNX Runtime's own tools: static, QDQ,
per-channel weights, activations calibrated (min-max) on 160 aligned chips of the training
pool (``faces_fairface_train``, which shares no face with ``faces_fairface_val``). The small
``gender_v2`` member of the ensemble stays in float: it is a few percent of the work.
docs/mlops.md has the figures. The bundled
``edge_producer/models/gender_v3_int8/gender-v3-int8.onnx`` was made with:

    .venv/bin/python -m mlops.bundle.gender_v3_int8 \
        edge_producer/models/gender_v3/gender-v3.onnx \
        edge_producer/models/gender_v3_int8/gender-v3-int8.onnx

It needs ``onnx`` and ``ml_dtypes`` (ONNX Runtime's quantization tools import it).
"""

from __future__ import annotations

import argparse
import random
import tempfile
from pathlib import Path

import cv2
import numpy as np
import onnx
from onnx import helper

from edge_producer.build import face_detector, gender_classifier
from edge_producer.config import EdgeConfig
from edge_producer.face_crops import crop_chip
from infra.config import REPO_ROOT
from mlops.datasets import load_faces

POOL = REPO_ROOT.parent / "shared" / "media" / "faces_fairface_train"
CALIBRATION_FACES = 160
FLIPPED_BATCH = "/Concat_output_0"  # [chips, mirrored chips]: the MobileNet's input
ENSEMBLE_SUM = "/model/Add_output_0"  # the members' weighted probabilities, before the mean
MEAN = "/ReduceMean"  # over the chip and its mirror


def drop_flip(model: onnx.ModelProto) -> onnx.ModelProto:
    """The graph with one pass per chip: the networks read ``images`` itself and the output
    is the ensemble's probabilities of that pass. Refuses a graph of another shape."""
    graph = model.graph
    names = {n.name for n in graph.node}
    outputs = {o for n in graph.node for o in n.output}
    if MEAN not in names or FLIPPED_BATCH not in outputs or ENSEMBLE_SUM not in outputs:
        raise ValueError("not gender_v3's graph (mlops.gender.export --tta --ensemble-v1)")
    nodes = []
    for node in graph.node:
        if node.name == MEAN:
            node = helper.make_node("Identity", [ENSEMBLE_SUM], list(node.output), name=MEAN)
        else:
            node.input[:] = ["images" if i == FLIPPED_BATCH else i for i in node.input]
        nodes.append(node)
    del graph.node[:]
    graph.node.extend(nodes)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "noflip.onnx"
        onnx.save(model, path)
        onnx.utils.extract_model(str(path), str(path), ["images"], ["probabilities"])
        return onnx.load(path)


def calibration_chips(pool: Path, n: int) -> np.ndarray:
    """Model input of ``n`` faces of the pool (a fixed random draw), aligned as the edge does."""
    faces = load_faces(pool)
    random.Random(0).shuffle(faces)
    config = EdgeConfig.model_validate({"source": {"uri": str(pool)}, "runtime": {"device": "cpu"},
                                        "gender": {"model": "gender_v3"}})  # fmt: skip
    detector, classifier = face_detector(config), gender_classifier(config)
    chips = [crop_chip(detector, classifier, cv2.imread(str(f.path)))[0] for f in faces[:n]]
    return classifier.preprocess(np.stack(chips))


def quantize(src: Path, dst: Path, pool: Path = POOL) -> None:
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    inputs = calibration_chips(pool, CALIBRATION_FACES)

    class Chips(CalibrationDataReader):
        def __init__(self) -> None:
            self.batches = iter([{"images": inputs[i : i + 8]} for i in range(0, len(inputs), 8)])

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self.batches, None)

    with tempfile.TemporaryDirectory() as tmp:
        noflip, pre = Path(tmp) / "noflip.onnx", Path(tmp) / "pre.onnx"
        onnx.save(drop_flip(onnx.load(src)), noflip)
        quant_pre_process(str(noflip), str(pre), skip_symbolic_shape=True)
        small_member = [
            n.name
            for n in onnx.load(pre).graph.node
            if "nets.1" in n.name or n.name.startswith(("/model/Mul", "/model/Add"))
        ]
        dst.parent.mkdir(parents=True, exist_ok=True)
        quantize_static(
            str(pre), str(dst), Chips(), quant_format=QuantFormat.QDQ, per_channel=True,
            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax, nodes_to_exclude=small_member,
        )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", type=Path, help="gender-v3.onnx")
    parser.add_argument("dst", type=Path)
    parser.add_argument("--pool", type=Path, default=POOL, help="calibration faces")
    args = parser.parse_args()
    quantize(args.src, args.dst, args.pool)
    print(f"wrote {args.dst}")


if __name__ == "__main__":
    main()
