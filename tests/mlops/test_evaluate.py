"""`ivica eval gender` on the FairFace validation crops, through the real CLI and the edge's
face detector, alignment and default model. The report is checked against counts made here
from labels.csv and the predictions file; the floors are what the bundled model measured."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from edge_producer.config import RuntimeConfig
from edge_producer.runtime import on_cpu
from mlops.datasets import DatasetError, load_faces

MEDIA = Path(__file__).resolve().parents[3] / "shared" / "media"
IVICA = Path(sys.executable).with_name("ivica")


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_eval_gender_on_fairface_val(tmp_path):
    report_path = tmp_path / "report.json"
    folder = MEDIA / "faces_fairface_val"
    done = subprocess.run(
        [str(IVICA), "eval", "gender", str(folder), "--report-json", str(report_path)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(report_path.read_text())

    truth = {r["file"]: r for r in rows(folder / "labels.csv")}
    predicted = {r["file"]: r["predicted"] for r in rows(tmp_path / "predictions.csv")}
    assert set(predicted) == set(truth) and report["n"] == len(truth) == 300
    right = sum(predicted[f] == truth[f]["gender"] for f in truth)
    assert report["accuracy"] == pytest.approx(right / 300)
    for c in ("female", "male"):
        tp = sum(predicted[f] == c == truth[f]["gender"] for f in truth)
        precision = tp / sum(p == c for p in predicted.values())
        recall = tp / sum(r["gender"] == c for r in truth.values())
        got = report["per_class"][c]
        assert (got["precision"], got["recall"]) == pytest.approx((precision, recall))
        assert got["f1"] == pytest.approx(2 * precision * recall / (precision + recall))
    assert sum(map(sum, report["confusion"]["matrix"])) == 300
    races = {r["race"] for r in truth.values()}
    assert set(report["by_race"]) == races
    assert sum(g["n"] for g in report["by_race"].values()) == 300
    assert sum(g["n"] for g in report["by_age"].values()) == 300
    assert (tmp_path / "confusion.png").stat().st_size > 0
    assert (tmp_path / "pr_curve.png").stat().st_size > 0
    # Measured with the default on a CPU, gender_v3_int8 (2026-12-04): accuracy 0.913, F1 0.912
    # / 0.914, 1 face the detector missed (gender_v3 on a GPU: 0.923; gender_v2: 0.890,
    # gender_v1: 0.873). The floors hold the goal, F1 0.90 for both classes.
    assert report["model"]["name"] == ("gender_v3_int8" if on_cpu(RuntimeConfig()) else "gender_v3")
    assert report["accuracy"] >= 0.90
    assert min(report["per_class"][c]["f1"] for c in ("female", "male")) >= 0.90
    assert report["detector_missed"] <= 5


def test_utkface_names_and_bad_folders(tmp_path):
    names = ["25_0_0_20170116174525125.jpg", "3_1_2_20161219140342589.jpg", "71_1_4_2017.jpg"]
    source = sorted((MEDIA / "faces_fairface_val" / "images").glob("*.jpg"))[:3]
    for name, image in zip(names, source, strict=True):
        shutil.copy(image, tmp_path / name)
    faces = load_faces(tmp_path)
    assert [(f.gender, f.age, f.race) for f in faces] == [
        ("male", "20-29", "White"),
        ("female", "3-9", "Asian"),
        ("female", "70+", "Others"),
    ]
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="UTKFace"):
        load_faces(tmp_path / "empty")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "labels.csv").write_text("file,gender\nx.jpg,other\n")
    with pytest.raises(DatasetError, match="not female or male"):
        load_faces(tmp_path / "bad")
    done = subprocess.run(
        [str(IVICA), "eval", "gender", str(tmp_path / "nowhere"), "--report-json", "r.json"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1 and "not a folder" in done.stderr
