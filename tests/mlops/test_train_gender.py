"""Gender training on a small FairFace subset: the loss falls, the ONNX export passes the checker,
ONNX Runtime equals PyTorch on real chips, and the edge's classifier loads the file. Chips come
through the edge's detector and alignment, as `ivica eval gender` makes them."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

MEDIA = Path(__file__).resolve().parents[3] / "shared" / "media"

try:
    import torch
except ImportError:  # the edge does not need torch; training does
    torch = None

pytestmark = pytest.mark.skipif(
    torch is None,
    reason="PyTorch is not installed (pip install -e '.[train]', about 4 GB with its CUDA "
    "wheels; not part of make setup): gender training skipped",
)
if torch is None:
    print("test_train_gender: PyTorch is not installed, the training tests are skipped")


def test_train_export_parity_and_edge_load(tmp_path):
    from edge_producer.classifiers import OnnxGenderClassifier
    from edge_producer.face_crops import crop_chip
    from edge_producer.models import resolve_model
    from edge_producer.runtime import load_runtime
    from mlops.gender.augment import Augment, augmented_chips
    from mlops.gender.chips import edge_face_detector, load_face_set
    from mlops.gender.export import export_onnx, parity, wrap
    from mlops.gender.train import TrainConfig, to_input, train

    torch.set_num_threads(2)
    faces = load_face_set(
        MEDIA / "faces_fairface_train", tmp_path / "cache", limit=200, progress=False
    )
    assert len(faces) == 200 and set(faces.labels.tolist()) == {0, 1}
    assert faces.fell_back.sum() <= 10
    # the cache is reused, and augmentation keeps chips' shape and type
    again = load_face_set(MEDIA / "faces_fairface_train", tmp_path / "cache", limit=200)
    assert np.array_equal(again.landmarks, faces.landmarks)
    aug = augmented_chips(faces.subset(np.arange(8)), 32, Augment(), np.random.default_rng(0))
    assert aug.shape == (8, 32, 32, 3) and aug.dtype == np.uint8

    cfg = TrainConfig(arch="compact", chip_size=32, width=8, epochs=6, batch_size=32, lr=3e-3,
                      holdout=0.1, augment=False, seed=0)  # fmt: skip
    net, history = train(cfg, faces, progress=False)
    assert len(history) == 6
    assert history[-1]["train_loss"] < 0.8 * history[0]["train_loss"]
    assert 0.0 <= history[-1]["holdout_accuracy"] <= 1.0

    model = wrap(net)
    path = export_onnx(model, tmp_path / "gender.onnx")
    chips = faces.chips(32)[:64]
    assert parity(model, path, to_input(chips).numpy()) <= 1e-4
    # flip TTA in the graph: the mean of the plain model on each chip and its mirror image;
    # and a mean of networks (seeds) with TTA, the plain ONNX file read back as a network
    import onnxruntime as ort

    from mlops.gender.export import load_trained
    from mlops.gender.model import GenderV1Net
    from mlops.gender.train import GENDER_V1

    def run(onnx_path, batch):
        session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
        return session.run(None, {"images": to_input(batch).numpy()})[0]

    mirrored = np.ascontiguousarray(chips[:, :, ::-1])
    plain = (run(path, chips) + run(path, mirrored)) / 2
    tta = export_onnx(wrap(net, tta=True), tmp_path / "gender-tta.onnx")
    assert np.abs(run(tta, chips) - plain).max() <= 1e-5
    assert np.abs(plain - run(path, chips)).max() > 1e-3  # the mirror does change the output
    two = export_onnx(wrap([net, net], tta=True), tmp_path / "gender-seeds.onnx")
    assert np.abs(run(two, chips) - plain).max() <= 1e-5
    v1 = GenderV1Net.from_onnx(GENDER_V1)
    v1_path = export_onnx(wrap(v1), tmp_path / "v1.onnx")
    (tmp_path / "v1.json").write_text(json.dumps({"config": asdict(TrainConfig(arch="v1"))}))
    again = load_trained(v1_path)
    want, got = v1.state_dict(), again.state_dict()
    assert want.keys() == got.keys() and all(torch.equal(want[k], got[k]) for k in want)

    ref = resolve_model(str(path), "gender")
    classifier = OnnxGenderClassifier(load_runtime(ref.path), ref)
    assert classifier.chip_size == 32
    probs = classifier.probabilities(chips)
    assert probs.shape == (64, 2) and np.allclose(probs.sum(1), 1, atol=1e-5)
    # the training chips are the edge's: crop_chip with this classifier gives the same chip
    import cv2

    image = cv2.imread(str(MEDIA / "faces_fairface_train" / "images" / faces.files[0]))
    chip, fell_back = crop_chip(edge_face_detector(), classifier, image)
    assert np.array_equal(chip, chips[0]) and fell_back == faces.fell_back[0]


@pytest.mark.integration
def test_a_training_run_is_logged(mlflow_server, tmp_path):
    """Params, the loss of each epoch, the holdout's confusion matrix and PR curves, and the
    model land in the test stack's MLflow: checked in its PostgreSQL and S3 directly."""
    import psycopg

    from infra.services.postgres import Postgres
    from infra.services.s3 import S3
    from mlops.gender.train import TrainConfig, train_to_onnx

    torch.set_num_threads(2)
    cfg = TrainConfig(arch="compact", width=8, epochs=3, batch_size=32, holdout=0.2,
                      augment=False, limit=120)  # fmt: skip
    out = tmp_path / "tiny.onnx"
    summary = train_to_onnx(
        cfg, MEDIA / "faces_fairface_train", tmp_path / "cache", out,
        tracking_uri=mlflow_server.mlflow_url, progress=False,
    )  # fmt: skip
    with psycopg.connect(Postgres(mlflow_server).dsn("mlflow")) as conn:
        run_uuid = conn.execute(
            "SELECT r.run_uuid FROM runs r JOIN experiments e USING (experiment_id) "
            "WHERE e.name = 'ivica-train-gender' ORDER BY r.start_time DESC LIMIT 1"
        ).fetchone()[0]
        losses = conn.execute(
            "SELECT step, value FROM metrics WHERE run_uuid = %s AND key = 'train_loss' "
            "ORDER BY step", (run_uuid,),
        ).fetchall()  # fmt: skip
        arch = conn.execute(
            "SELECT value FROM params WHERE run_uuid = %s AND key = 'arch'", (run_uuid,)
        ).fetchone()
    assert [step for step, _ in losses] == [1, 2, 3]
    assert [v for _, v in losses] == pytest.approx([h["train_loss"] for h in summary["history"]])
    assert arch == ("compact",)
    keys = [o["Key"] for o in S3(mlflow_server).client().list_objects_v2(Bucket="mlflow")
            .get("Contents", []) if run_uuid in o["Key"]]  # fmt: skip
    names = {k.rsplit("/", 1)[-1] for k in keys}
    assert {"holdout_confusion.png", "holdout_pr_curve.png", "holdout_confusion.json",
            "tiny.onnx", "tiny.json"} <= names  # fmt: skip
