"""Make YuNet's ONNX input size dynamic (the upstream file fixes it at 640x640).

YuNet is fully convolutional and OpenCV runs it at any size that is a multiple of 32; ONNX
Runtime, however, refuses sizes that contradict the declared input. This rewrites only the
declared shapes (input H and W, the outputs' anchor axes); the graph and the weights are
untouched. The bundled ``edge_producer/models/yunet/face_detection_yunet_2023mar.onnx`` was
made with it:

    .venv/bin/python -m mlops.bundle.yunet_dynamic \
        ../shared/models/yunet/face_detection_yunet_2023mar.onnx \
        edge_producer/models/yunet/face_detection_yunet_2023mar.onnx
"""

from __future__ import annotations

import argparse

import onnx


def make_dynamic(src: str, dst: str) -> None:
    model = onnx.load(src)
    dims = model.graph.input[0].type.tensor_type.shape.dim
    for dim, name in ((dims[2], "height"), (dims[3], "width")):
        dim.ClearField("dim_value")
        dim.dim_param = name
    for output in model.graph.output:
        anchors = output.type.tensor_type.shape.dim[1]
        anchors.ClearField("dim_value")
        anchors.dim_param = "anchors_" + output.name.rsplit("_", 1)[-1]
    del model.graph.value_info[:]  # stale inferred shapes of the fixed size
    onnx.checker.check_model(model)
    onnx.save(model, dst)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src")
    parser.add_argument("dst")
    args = parser.parse_args()
    make_dynamic(args.src, args.dst)


if __name__ == "__main__":
    main()
