"""The runtime interface on tiny ONNX graphs whose outputs are known, and its errors."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnx
import onnxruntime as ort
import pydantic
import pytest
from onnx import TensorProto, helper, numpy_helper

from edge_producer.config import RuntimeConfig
from edge_producer.detectors.yolox import YoloxDetector
from edge_producer.models import resolve_model
from edge_producer.runtime import ModelError, TensorSpec, load_runtime
from tests.edge_producer.conftest import STILL_COUNTS, STILLS

CPU = RuntimeConfig(device="cpu")


def affine_model(path: Path) -> Path:
    """Y = X * 2 + 1 (X float [batch, 3]) and J = I + 1 (I int64 [4])."""
    nodes = [
        helper.make_node("Mul", ["X", "two"], ["twice"]),
        helper.make_node("Add", ["twice", "one"], ["Y"]),
        helper.make_node("Add", ["I", "one_int"], ["J"]),
    ]
    inits = [
        numpy_helper.from_array(np.array(2, np.float32), "two"),
        numpy_helper.from_array(np.array(1, np.float32), "one"),
        numpy_helper.from_array(np.array(1, np.int64), "one_int"),
    ]
    graph = helper.make_graph(
        nodes,
        "affine",
        [
            helper.make_tensor_value_info("X", TensorProto.FLOAT, ["batch", 3]),
            helper.make_tensor_value_info("I", TensorProto.INT64, [4]),
        ],
        [
            helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["batch", 3]),
            helper.make_tensor_value_info("J", TensorProto.INT64, [4]),
        ],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


@pytest.fixture(scope="module")
def affine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return affine_model(tmp_path_factory.mktemp("runtime") / "affine.onnx")


def test_runs_a_known_graph(affine: Path) -> None:
    runtime = load_runtime(affine, CPU)
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    y, j = runtime.run({"X": x, "I": np.array([1, 2, 3, 40], np.int64)})
    np.testing.assert_array_equal(y, [[1, 3, 5], [7, 9, 11]])
    np.testing.assert_array_equal(j, [2, 3, 4, 41])
    assert y.dtype == np.float32 and j.dtype == np.int64
    assert runtime.provider == "CPUExecutionProvider"
    # the dynamic batch axis takes any size
    assert runtime.run({"X": np.zeros((5, 3), np.float32), "I": np.zeros(4, np.int64)})[
        0
    ].shape == (5, 3)


def test_tensor_specs(affine: Path) -> None:
    runtime = load_runtime(affine, CPU)
    assert runtime.inputs == [
        TensorSpec("X", ("batch", 3), np.dtype(np.float32)),
        TensorSpec("I", (4,), np.dtype(np.int64)),
    ]
    assert runtime.outputs == [
        TensorSpec("Y", ("batch", 3), np.dtype(np.float32)),
        TensorSpec("J", (4,), np.dtype(np.int64)),
    ]
    assert runtime.inputs[0].fixed_hw() is None


def test_fixed_hw_of_an_image_model() -> None:
    ref = resolve_model("yolox_nano", "people")
    spec = load_runtime(ref.path, CPU).inputs[0]
    assert spec.shape == (1, 3, 416, 416) and spec.fixed_hw() == (416, 416)


def test_wrong_shape_names_the_expected_shape(affine: Path) -> None:
    runtime = load_runtime(affine, CPU)
    with pytest.raises(ModelError, match=r"\(2, 4\).*\('batch', 3\)"):
        runtime.run({"X": np.zeros((2, 4), np.float32), "I": np.zeros(4, np.int64)})
    with pytest.raises(ModelError, match=r"expects \(4,\)"):
        runtime.run({"X": np.zeros((2, 3), np.float32), "I": np.zeros((1, 4), np.int64)})


def test_missing_input(affine: Path) -> None:
    with pytest.raises(ModelError, match="input 'I' missing"):
        load_runtime(affine, CPU).run({"X": np.zeros((1, 3), np.float32)})


def test_missing_and_corrupt_model_files(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="model file not found"):
        load_runtime(tmp_path / "absent.onnx", CPU)
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a protobuf")
    with pytest.raises(ModelError, match="cannot load"):
        load_runtime(broken, CPU)


def test_cuda_without_the_cuda_provider(affine: Path) -> None:
    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("ONNX Runtime has the CUDA execution provider here")
    with pytest.raises(ModelError, match=r"CUDA execution provider|onnxruntime-gpu"):
        load_runtime(affine, RuntimeConfig(device="cuda"))
    # 'auto' falls back to the CPU quietly
    assert load_runtime(affine, RuntimeConfig(device="auto")).provider == "CPUExecutionProvider"


def test_unknown_runtime_kind(affine: Path) -> None:
    with pytest.raises(pydantic.ValidationError):
        RuntimeConfig(kind="foo")  # type: ignore[arg-type]
    with pytest.raises(ModelError, match="unknown runtime 'foo'"):
        load_runtime(affine, RuntimeConfig.model_construct(kind="foo"))


@pytest.mark.cuda
def test_yolox_on_cuda_matches_cpu(media: Path) -> None:
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        pytest.skip(
            "ONNX Runtime's CUDAExecutionProvider is not available "
            f"(providers: {ort.get_available_providers()})"
        )
    ref = resolve_model("yolox_nano", "people")
    gpu_runtime = load_runtime(ref.path, RuntimeConfig(device="cuda"))
    assert gpu_runtime.provider == "CUDAExecutionProvider"
    cpu = YoloxDetector(load_runtime(ref.path, CPU), ref, score_threshold=0.3, nms_iou=0.45)
    gpu = YoloxDetector(gpu_runtime, ref, score_threshold=0.3, nms_iou=0.45)
    for name in sorted(STILL_COUNTS):
        image = cv2.imread(str(STILLS / name))
        a, b = cpu.detect(image), gpu.detect(image)
        assert len(a) == len(b), name
        np.testing.assert_allclose(a.xyxy, b.xyxy, atol=1.0)
        np.testing.assert_allclose(a.score, b.score, atol=0.01)
