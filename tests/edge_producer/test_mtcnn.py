"""MTCNN (the bundled P-, R-, O-Net ONNX files) on real faces, checked against ground truth.

The counts come from the media's own description (3 frontal faces in the face still, one face
per public-domain portrait); the boxes are checked against YuNet, an independent detector; the
landmarks against face geometry.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge_producer.detections import Detections
from edge_producer.detectors.mtcnn import AreaSampler, MtcnnDetector
from edge_producer.detectors.yunet import YuNetDetector
from edge_producer.models import BUNDLE_DIR, ModelRef, resolve_model, sha256_file
from edge_producer.ops import box_iou
from edge_producer.runtime import load_runtime
from edge_producer.runtime.base import ModelError
from tests.edge_producer.conftest import FACE_STILL, MEDIA

PNET = BUNDLE_DIR / "mtcnn" / "pnet.onnx"
PORTRAITS = ["skimage_astronaut.png", "skimage_camera.png", "mpl_grace_hopper.jpg"]


def _ref(path: Path) -> ModelRef:
    return ModelRef("mtcnn", "test", path, "mtcnn", sha256_file(path))


@pytest.fixture(scope="module")
def mtcnn() -> MtcnnDetector:
    return MtcnnDetector.load(resolve_model("mtcnn", "faces"))


@pytest.fixture(scope="module")
def yunet() -> YuNetDetector:
    model = resolve_model("yunet", "faces")
    return YuNetDetector(load_runtime(model.path), model, nms_iou=0.3)


def _check_landmarks(faces: Detections) -> None:
    """Each face's 5 points lie in its box, in our order: right eye (subject's, on the image's
    left), left eye, nose, right mouth corner, left mouth corner."""
    assert faces.landmarks.shape == (len(faces), 5, 2)
    for box, pts in zip(faces.xyxy, faces.landmarks, strict=True):
        assert np.all(pts >= box[:2]) and np.all(pts <= box[2:]), (box, pts)
        (rex, rey), (lex, ley), (_, nosey), (rmx, rmy), (lmx, lmy) = pts
        assert rex < lex and rmx < lmx  # the subject's right side is on the image's left
        assert max(rey, ley) < nosey < min(rmy, lmy)  # eyes above the nose above the mouth


def _match_yunet(faces: Detections, reference: Detections) -> None:
    """One-to-one: every face overlaps its own YuNet face with IoU > 0.5."""
    assert len(faces) == len(reference)
    iou = box_iou(faces.xyxy, reference.xyxy)
    assert sorted(iou.argmax(axis=1).tolist()) == list(range(len(reference)))
    assert np.all(iou.max(axis=1) > 0.5), iou


def test_three_faces_on_the_face_still(media, mtcnn, yunet) -> None:
    image = cv2.imread(str(FACE_STILL))
    faces = mtcnn.detect(image)
    assert len(faces) == 3
    assert np.all(faces.score > 0.9)
    _match_yunet(faces, yunet.detect(image))
    _check_landmarks(faces)


@pytest.mark.parametrize("name", PORTRAITS)
def test_one_face_per_portrait(media, mtcnn, yunet, name: str) -> None:
    image = cv2.imread(str(MEDIA / "faces_pd" / name))
    faces = mtcnn.detect(image)
    assert len(faces) == 1
    _match_yunet(faces, yunet.detect(image))
    _check_landmarks(faces)


def test_no_face_on_blank_or_noise(mtcnn) -> None:
    blank = np.full((270, 480, 3), 127, np.uint8)
    noise = np.random.default_rng(0).integers(0, 256, (270, 480, 3), dtype=np.uint8)
    for image in (blank, noise):
        faces = mtcnn.detect(image)
        assert len(faces) == 0
        assert faces.landmarks.shape[0] == 0


def test_area_sampler_averages_blocks() -> None:
    """Integer factors: each output pixel is its block's mean; the same size is the identity."""
    image = np.random.default_rng(1).integers(0, 256, (6, 9, 3), dtype=np.uint8)
    sampler = AreaSampler(image)
    blocks = image.reshape(2, 3, 3, 3, 3).mean(axis=(1, 3))
    np.testing.assert_allclose(sampler.sample(np.array([[0, 0, 9, 6]]), 3, 2)[0], blocks)
    np.testing.assert_array_equal(sampler.sample(np.array([[3, 0, 6, 3]]), 3, 3)[0], image[:3, 3:6])


def test_load_needs_all_three_nets(tmp_path) -> None:
    shutil.copy(PNET, tmp_path / "pnet.onnx")
    with pytest.raises(ModelError, match="rnet"):
        MtcnnDetector.load(_ref(tmp_path / "pnet.onnx"))
