"""The model registry for real: versions registered and promoted in the MLflow server of the
test stack (PostgreSQL backend, artifacts in S3), pulled by the edge's thin client at start,
checked by a hash computed here; and the fallback when the registry is down."""

from __future__ import annotations

import hashlib
import logging
import uuid
from pathlib import Path

import onnx
import pytest

from edge_producer.build import build_pipeline, face_detector
from edge_producer.config import EdgeConfig
from edge_producer.models import resolve_model
from edge_producer.registry import pull
from edge_producer.sources import open_source
from infra.services.mlflow import MLflow
from ivica.cli import main
from tests.edge_producer.conftest import FACES_WALKING

pytestmark = pytest.mark.integration


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def edge(uri: str, names: dict[str, str], cache: Path, pipeline: str = "all") -> EdgeConfig:
    return EdgeConfig.model_validate(
        {
            "source": {"uri": str(FACES_WALKING), "max_frames": 12},
            "pipeline": pipeline,
            "runtime": {"device": "cpu"},
            "registry": {"uri": uri, "names": names, "cache_dir": str(cache)},
        }
    )


def test_the_edge_runs_the_promoted_version_and_falls_back(mlflow_server, tmp_path, caplog):
    uri = mlflow_server.mlflow_url
    name = f"test-faces-{uuid.uuid4().hex[:8]}"
    first = resolve_model("yunet", "faces").path
    second = tmp_path / "yunet-retrained.onnx"  # the same graph with other bytes: a new version
    model = onnx.load(first)
    model.doc_string = "retrained, for the test"
    onnx.save(model, second)
    assert sha256(first) != sha256(second)
    for path in (first, second):
        assert main(["model", "register", str(path), "--name", name, "--role", "faces",
                     "--decoder", "yunet", "--tracking-uri", uri]) == 0  # fmt: skip
    assert main(["model", "promote", name, "2", "--tracking-uri", uri]) == 0

    cache = tmp_path / "cache"
    detector = face_detector(edge(uri, {"faces": name}, cache))
    assert (detector.model.name, detector.model.version) == (name, "2")
    assert sha256(detector.model.path) == sha256(second) and cache in detector.model.path.parents
    assert main(["model", "promote", name, "1", "--tracking-uri", uri]) == 0
    again = pull(edge(uri, {"faces": name}, cache).registry, "faces")
    assert again is not None and again.version == "1" and sha256(again.path) == sha256(first)

    service = MLflow(mlflow_server)
    service.stop()
    try:
        with caplog.at_level(logging.WARNING, logger="edge_producer.registry"):
            cached = pull(edge(uri, {"faces": name}, cache).registry, "faces")
            bundled = face_detector(edge(uri, {"faces": name}, tmp_path / "empty"))
    finally:
        service.start()
    assert cached is not None and cached.version == "1"  # the last one pulled, checked again
    assert "pulled before" in caplog.text
    assert bundled.model.name == "yunet"  # nothing cached: the configured (bundled) model
    assert "running the configured faces model" in caplog.text


def test_events_name_the_registered_gender_model(mlflow_server, tmp_path):
    uri = mlflow_server.mlflow_url
    name = f"test-gender-{uuid.uuid4().hex[:8]}"
    path = resolve_model("gender_v1", "gender").path
    assert main(["model", "register", str(path), "--name", name, "--role", "gender",
                 "--tracking-uri", uri]) == 0  # fmt: skip
    assert main(["model", "promote", name, "1", "--tracking-uri", uri]) == 0
    config = edge(uri, {"gender": name}, tmp_path / "cache")
    pipeline = build_pipeline(config)
    events = []
    with open_source(config.source) as source:
        for frame in source:
            events += pipeline.process(frame)
    genders = [e for e in events if e.TOPIC.endswith("gender_classifications.v1")]
    assert genders, "the walking clip has two faces to classify"
    assert {(e.model.name, e.model.version) for e in genders} == {(name, "1")}
    people = [e for e in events if e.TOPIC.endswith("person_detections.v1")]
    assert {e.model.name for e in people} == {"yolox_nano"}  # no registered name: bundled
