"""`ivica edge run|probe` as a user runs it: a real process, real clip, real models."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import cv2
import pytest

from contracts import parse_ts, validate_event
from contracts.timefmt import UTC
from edge_producer.config import EdgeConfig, config_reference, load_config
from infra.config import REPO_ROOT
from tests.edge_producer.conftest import FACES_WALKING, STORE_AISLE


def ivica(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ivica.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=300,
    )


def test_edge_run_writes_contract_events(media, tmp_path: Path) -> None:
    out = tmp_path / "events.jsonl"
    done = ivica(
        "edge",
        "run",
        "--source",
        str(FACES_WALKING),
        "--pipeline",
        "all",
        "--output-file",
        str(out),
        "--site-id",
        "site-x",
        "--camera-id",
        "cam-7",
        "--start-time",
        "2026-11-25T08:00:00Z",
        "--max-frames",
        "20",
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    people = [e for e in lines if e["schema"] == "person_detections/v1"]
    genders = [e for e in lines if e["schema"] == "gender_classifications/v1"]
    assert len(people) == 20 and len(people) + len(genders) == len(lines)
    for event in lines:
        validate_event(event["schema"], event)
        assert (event["site_id"], event["camera_id"]) == ("site-x", "cam-7")
    start = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    assert [e["frame_id"] for e in people] == list(range(20))
    assert parse_ts(people[12]["captured_at"]) == start + timedelta(seconds=1)  # 12 fps clip
    assert "20 frames" in done.stderr


def test_edge_run_people_pipeline_only(media, tmp_path: Path) -> None:
    out = tmp_path / "people.jsonl"
    done = ivica(
        "edge",
        "run",
        "--source",
        str(STORE_AISLE),
        "--pipeline",
        "people",
        "--output-file",
        str(out),
        "--max-frames",
        "5",
    )
    assert done.returncode == 0, done.stderr
    schemas = {json.loads(line)["schema"] for line in out.read_text().splitlines()}
    assert schemas == {"person_detections/v1"}


def test_edge_probe(media) -> None:
    done = ivica("edge", "probe", "--source", str(STORE_AISLE))
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ("camera", "people model", "face model", "gender model"):
        assert any(line.startswith("ok") and name in line for line in done.stdout.splitlines())
    assert "yolox_nano" in done.stdout and "480x270" in done.stdout


def test_edge_probe_reports_a_missing_model(media, tmp_path: Path) -> None:
    cfg = tmp_path / "edge.yaml"
    cfg.write_text(f"source: {{uri: {STORE_AISLE}}}\npeople: {{model: /nonexistent/m.onnx}}\n")
    done = ivica("edge", "probe", "--config", str(cfg))
    assert done.returncode == 3
    assert any(
        line.startswith("FAIL") and "people model" in line and "/nonexistent/m.onnx" in line
        for line in done.stdout.splitlines()
    )


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--source", "/nonexistent/clip.mp4"], 1, "not found"),
        (["--source", str(FACES_WALKING), "--start-time", "2026-11-25T08:00:00"], 2, "timezone"),
        ([], 1, "no source"),
    ],
)
def test_edge_run_errors_are_clear(media, args: list[str], code: int, message: str) -> None:
    done = ivica("edge", "run", *args)
    assert done.returncode == code
    assert message in done.stderr and "Traceback" not in done.stderr


def test_config_rejects_unknown_keys_and_runtimes() -> None:
    with pytest.raises(ValueError, match="extra"):
        EdgeConfig.model_validate({"source": {"uri": "x"}, "camera": "oops"})
    with pytest.raises(ValueError, match="onnxruntime"):
        EdgeConfig.model_validate({"source": {"uri": "x"}, "runtime": {"kind": "openvino"}})


def test_example_config_loads() -> None:
    cfg = load_config(REPO_ROOT / "edge_producer" / "edge.example.yaml")
    assert cfg.pipeline == "all" and cfg.source.start_time is not None


def test_docs_carry_the_current_config_reference() -> None:
    docs = (REPO_ROOT / "docs" / "edge.md").read_text()
    begin, end = "<!-- config-reference:begin -->\n", "<!-- config-reference:end -->"
    section = docs[docs.index(begin) + len(begin) : docs.index(end)]
    assert section == config_reference(), "regenerate: python -m edge_producer.config"


@pytest.mark.parametrize("target", ["preview.mp4", "frames"])
def test_edge_run_preview(media, tmp_path: Path, target: str) -> None:
    preview = tmp_path / target
    done = ivica(
        "edge",
        "run",
        "--source",
        str(STORE_AISLE),
        "--pipeline",
        "people",
        "--max-frames",
        "6",
        "--preview",
        str(preview),
    )
    assert done.returncode == 0, done.stderr
    if preview.suffix == ".mp4":
        video = cv2.VideoCapture(str(preview))
        assert int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == 6
        assert (video.get(cv2.CAP_PROP_FRAME_WIDTH), video.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (
            480,
            270,
        )
    else:
        pngs = sorted(p.name for p in preview.iterdir())
        assert pngs == [f"frame_{i:08d}.png" for i in range(6)]
        # boxes were drawn: the annotated frame differs from the source frame
        source = cv2.VideoCapture(str(STORE_AISLE))
        _, first = source.read()
        assert (cv2.imread(str(preview / pngs[0])) != first).any()
