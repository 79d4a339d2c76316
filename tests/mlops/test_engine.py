"""`ivica model build-engine`: the calibration inputs are recorded from the edge's own
components on ONNX Runtime (runs anywhere); the clear errors without TensorRT or calibration
data; and a real build where TensorRT exists (skipped here with the reason)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from edge_producer.classifiers import OnnxGenderClassifier
from edge_producer.models import resolve_model
from edge_producer.runtime import load_runtime
from edge_producer.runtime.base import ModelError
from edge_producer.runtime.tensorrt.builder import trt
from mlops.engine import build_engine, calibration_inputs

MEDIA = Path(__file__).resolve().parents[3] / "shared" / "media"


def test_calibration_inputs_are_what_the_edge_feeds():
    gender = resolve_model("gender_v1", "gender")
    folder = MEDIA / "faces_london" / "img_512"
    batches = calibration_inputs(gender.path, "gender", folder, limit=12)
    assert len(batches) == 12
    (name,) = batches[0]
    classifier = OnnxGenderClassifier(load_runtime(gender.path), gender)
    assert name == classifier.input_name
    assert all(b[name].shape == (1, 3, 32, 32) and b[name].dtype == np.float32 for b in batches)
    assert len({b[name].tobytes() for b in batches}) == 12  # twelve faces, twelve tensors

    people = resolve_model("yolox_nano", "people")
    stills = MEDIA / "stills"
    frames = calibration_inputs(people.path, "people", stills, decoder="yolox")
    assert frames and all(next(iter(f.values())).shape == (1, 3, 416, 416) for f in frames)


def test_clear_errors(tmp_path):
    onnx = resolve_model("gender_v1", "gender").path
    with pytest.raises(ModelError, match="INT8 needs --calibration"):
        build_engine(onnx, tmp_path / "g.plan", "int8")
    with pytest.raises(ModelError, match="needs --role and --calibration-cache"):
        build_engine(onnx, tmp_path / "g.plan", "int8", calibration=tmp_path)
    if trt is None and shutil.which("trtexec") is None:
        with pytest.raises(ModelError, match="TensorRT is not installed"):
            build_engine(onnx, tmp_path / "g.plan", "fp16")


@pytest.mark.skipif(trt is None, reason="TensorRT is not installed (JetPack or NVIDIA's index)")
def test_fp16_and_int8_engines_build(tmp_path):  # pragma: no cover - needs a GPU
    onnx = resolve_model("gender_v1", "gender").path
    fp16 = build_engine(onnx, tmp_path / "g16.plan", "fp16")
    assert fp16.stat().st_size > 0
    cache = tmp_path / "gender.calib"
    int8 = build_engine(
        onnx, tmp_path / "g8.plan", "int8", calibration=MEDIA / "faces_london" / "img_512",
        calibration_cache=cache, role="gender",
    )  # fmt: skip
    assert int8.stat().st_size > 0 and cache.stat().st_size > 0
    again = build_engine(onnx, tmp_path / "g8b.plan", "int8", calibration_cache=cache)
    assert again.stat().st_size > 0
