"""TensorRT runtime: the engine cache key and profiles anywhere; engines where TensorRT 10 and a
GPU are present (``tensorrt`` marker, skipped with the reason elsewhere)."""

from __future__ import annotations

import dataclasses
import shutil
import time
from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from edge_producer.config import RuntimeConfig, TensorRTConfig
from edge_producer.detectors.yolox import YoloxDetector
from edge_producer.models import resolve_model
from edge_producer.models import sha256_file as file_sha256
from edge_producer.ops import box_iou
from edge_producer.runtime import ModelError, load_runtime
from edge_producer.runtime.tensorrt import (
    EngineSettings,
    engine_cache_key,
    engine_cache_path,
    resolve_profiles,
)
from tests.edge_producer.conftest import STILL_COUNTS, STILLS

SETTINGS = EngineSettings(
    precision="fp16",
    workspace_mb=1024,
    int8_cache_sha256=None,
    trt_version="10.3.0",
    device="Orin sm_87",
)


def yolox_path() -> Path:
    return resolve_model("yolox_nano", "people").path


# --- cache key and profiles (no TensorRT needed) --------------------------------------------------


def test_same_onnx_and_settings_give_the_same_key(tmp_path: Path) -> None:
    copy = tmp_path / "yolox_nano.onnx"
    shutil.copyfile(yolox_path(), copy)
    assert engine_cache_path(yolox_path(), SETTINGS, tmp_path) == engine_cache_path(
        copy, dataclasses.replace(SETTINGS), tmp_path
    )
    key = engine_cache_key(file_sha256(copy), SETTINGS)
    assert len(key) == 64 and int(key, 16) >= 0


@pytest.mark.parametrize(
    "change",
    [
        {"precision": "fp32"},
        {"precision": "int8", "int8_cache_sha256": "a" * 64},
        {"workspace_mb": 2048},
        {"trt_version": "10.7.0"},
        {"device": "Orin sm_72"},
        {"profiles": (("images", ((1, 3, 32, 32), (1, 3, 64, 64), (1, 3, 96, 96))),)},
    ],
)
def test_any_setting_changes_the_key(change: dict) -> None:
    onnx_hash = file_sha256(yolox_path())
    base = engine_cache_key(onnx_hash, SETTINGS)
    assert engine_cache_key(onnx_hash, dataclasses.replace(SETTINGS, **change)) != base


def test_int8_cache_content_changes_the_key() -> None:
    onnx_hash = file_sha256(yolox_path())
    a = dataclasses.replace(SETTINGS, precision="int8", int8_cache_sha256="a" * 64)
    b = dataclasses.replace(a, int8_cache_sha256="b" * 64)
    assert engine_cache_key(onnx_hash, a) != engine_cache_key(onnx_hash, b)


def test_onnx_content_changes_the_path(tmp_path: Path) -> None:
    model = tmp_path / "model.onnx"
    shutil.copyfile(yolox_path(), model)
    before = engine_cache_path(model, SETTINGS, tmp_path)
    with open(model, "ab") as fh:  # same name, one byte more
        fh.write(b"\0")
    after = engine_cache_path(model, SETTINGS, tmp_path)
    assert before != after
    assert before.parent == after.parent == tmp_path
    assert after.name.startswith("model.fp16.") and after.suffix == ".plan"


def test_cache_dir_expands_the_home_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    path = engine_cache_path(yolox_path(), SETTINGS, TensorRTConfig().engine_cache_dir)
    assert path.parent == tmp_path / ".cache" / "ivica" / "engines"


def test_default_profiles() -> None:
    profiles = resolve_profiles(
        [
            ("image", (1, 3, -1, -1)),  # YuNet: dynamic height and width
            ("pyramid", (-1, 3, -1, -1)),  # MTCNN's P-Net: batch too, fed one level at a time
            ("chips", (None, 3, 32, 32)),  # gender chips, R-Net and O-Net crops: a batch
            ("fixed", (1, 3, 416, 416)),  # needs no profile
        ]
    )
    assert profiles["image"] == ((1, 3, 12, 12), (1, 3, 640, 640), (1, 3, 1280, 1280))
    assert profiles["pyramid"] == profiles["image"]
    assert profiles["chips"] == ((1, 3, 32, 32), (16, 3, 32, 32), (256, 3, 32, 32))
    assert "fixed" not in profiles


def test_explicit_profiles_win_and_are_checked() -> None:
    inputs = [("image", (1, 3, -1, -1))]
    explicit = {"image": [(1, 3, 64, 64), (1, 3, 288, 480), (1, 3, 640, 640)]}
    assert resolve_profiles(inputs, explicit)["image"] == (
        (1, 3, 64, 64),
        (1, 3, 288, 480),
        (1, 3, 640, 640),
    )
    bad = [
        {"image": [(1, 4, 64, 64), (1, 4, 64, 64), (1, 4, 64, 64)]},  # contradicts channels 3
        {"image": [(1, 3, 64, 64), (1, 3, 32, 32), (1, 3, 640, 640)]},  # opt < min
        {"image": [(1, 3, 64), (1, 3, 64), (1, 3, 64)]},  # wrong rank
        {"image": [(1, 3, 64, 64), (1, 3, 64, 64)]},  # no max
        {"other": [(1,), (1,), (1,)]},  # no such input
    ]
    for profiles in bad:
        with pytest.raises(ModelError):
            resolve_profiles(inputs, profiles)


def test_dynamic_axis_without_a_default_needs_a_profile() -> None:
    with pytest.raises(ModelError, match="profiles="):
        resolve_profiles([("tokens", (1, -1))])


def tensorrt_importable() -> bool:
    try:
        import tensorrt  # noqa: F401
    except Exception:
        return False
    return True


def test_missing_tensorrt_is_a_clear_model_error() -> None:
    if tensorrt_importable():
        pytest.skip("TensorRT is installed here")
    with pytest.raises(ModelError, match=r"TensorRT is not installed.*JetPack.*onnxruntime"):
        load_runtime(yolox_path(), RuntimeConfig(kind="tensorrt"))


# --- engines (TensorRT 10, cuda-python and a GPU) -------------------------------------------------


@pytest.fixture(scope="module")
def gpu() -> None:
    """Skip unless TensorRT 10, cuda-python and a CUDA device are all here."""
    trt = pytest.importorskip(
        "tensorrt", reason="TensorRT is not installed (JetPack or NVIDIA's index)"
    )
    if not trt.__version__.startswith("10."):
        pytest.skip(f"TensorRT 10 needed, found {trt.__version__}")
    from edge_producer.runtime import tensorrt as module

    if module.cudart is None:
        pytest.skip("cuda-python is not installed")
    err, count = module.cudart.cudaGetDeviceCount()
    if err != module.cudart.cudaError_t.cudaSuccess or not count:
        pytest.skip(f"no CUDA device ({err})")


def trt_config(cache_dir: Path, **tensorrt: object) -> RuntimeConfig:
    return RuntimeConfig(
        kind="tensorrt", tensorrt=TensorRTConfig(engine_cache_dir=cache_dir, **tensorrt)
    )


@pytest.fixture(scope="module")
def engine_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("engines")


def image_affine_model(path: Path) -> Path:
    """Y = X * 2 + 1 with X [1, 3, height, width] dynamic."""
    graph = helper.make_graph(
        [
            helper.make_node("Mul", ["X", "two"], ["twice"]),
            helper.make_node("Add", ["twice", "one"], ["Y"]),
        ],
        "affine",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 3, "height", "width"])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 3, "height", "width"])],
        initializer=[
            numpy_helper.from_array(np.array(2, np.float32), "two"),
            numpy_helper.from_array(np.array(1, np.float32), "one"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


@pytest.mark.tensorrt
def test_yolox_engine_matches_onnxruntime(gpu: None, engine_dir: Path, media: Path) -> None:
    ref = resolve_model("yolox_nano", "people")
    runtime = load_runtime(ref.path, trt_config(engine_dir))
    assert runtime.provider.startswith("TensorRT 10.") and runtime.provider.endswith(" fp16")
    assert runtime.inputs[0].shape == (1, 3, 416, 416)
    assert runtime.outputs[0].shape == (1, 3549, 85)
    trt_det = YoloxDetector(runtime, ref, score_threshold=0.3, nms_iou=0.45)
    ort = load_runtime(ref.path, RuntimeConfig(device="cpu"))
    ort_det = YoloxDetector(ort, ref, score_threshold=0.3, nms_iou=0.45)
    for name in sorted(STILL_COUNTS):
        image = cv2.imread(str(STILLS / name))
        a, b = ort_det.detect(image), trt_det.detect(image)
        assert len(a) == len(b), name
        ious = box_iou(a.xyxy, b.xyxy)
        pair = ious.argmax(axis=1)
        assert len(set(pair.tolist())) == len(a)
        np.testing.assert_allclose(a.xyxy, b.xyxy[pair], atol=2.0)
        np.testing.assert_allclose(a.score, b.score[pair], atol=0.02)


@pytest.mark.tensorrt
def test_second_load_hits_the_cache(gpu: None, engine_dir: Path) -> None:
    first = load_runtime(yolox_path(), trt_config(engine_dir))
    plan = first.engine_path  # type: ignore[attr-defined]
    assert plan.is_file() and plan.parent == engine_dir
    mtime = plan.stat().st_mtime_ns
    started = time.perf_counter()
    second = load_runtime(yolox_path(), trt_config(engine_dir))
    assert second.engine_path == plan and second.built is False  # type: ignore[attr-defined]
    assert plan.stat().st_mtime_ns == mtime
    assert time.perf_counter() - started < 10
    other = load_runtime(yolox_path(), trt_config(engine_dir, precision="fp32"))
    assert other.engine_path != plan and other.built is True  # type: ignore[attr-defined]


@pytest.mark.tensorrt
def test_int8_needs_a_calibration_cache(gpu: None, engine_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="int8_calibration_cache"):
        load_runtime(yolox_path(), trt_config(engine_dir, precision="int8"))
    missing = tmp_path / "absent.cache"
    with pytest.raises(ModelError, match="calibration cache not found"):
        load_runtime(
            yolox_path(),
            trt_config(engine_dir, precision="int8", int8_calibration_cache=missing),
        )


@pytest.mark.tensorrt
def test_dynamic_shapes_within_the_profile(gpu: None, engine_dir: Path, tmp_path: Path) -> None:
    from edge_producer.runtime.tensorrt import TensorRTRuntime

    path = image_affine_model(tmp_path / "affine.onnx")
    profile = {"X": [(1, 3, 8, 8), (1, 3, 32, 32), (1, 3, 64, 64)]}
    runtime = TensorRTRuntime(path, trt_config(engine_dir, precision="fp32"), profiles=profile)
    assert runtime.inputs[0].shape == (1, 3, None, None)
    rng = np.random.default_rng(0)
    for hw in [(16, 24), (64, 64), (8, 40)]:
        x = rng.normal(size=(1, 3, *hw)).astype(np.float32)
        (y,) = runtime.run({"X": x})
        assert y.shape == x.shape
        np.testing.assert_allclose(y, x * 2 + 1, rtol=1e-6, atol=1e-6)
    with pytest.raises(ModelError, match="outside the engine's profile"):
        runtime.run({"X": np.zeros((1, 3, 128, 8), np.float32)})
