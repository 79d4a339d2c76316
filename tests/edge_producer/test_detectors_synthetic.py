"""Detector decoding on tiny ONNX graphs with known outputs, and the shared box operations.

The graphs take a real image tensor and return constant tensors chosen here, so every box that
must come out (after thresholding, NMS, class selection and un-letterboxing) is computed by hand.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from edge_producer.config import RuntimeConfig
from edge_producer.detectors.yolov5 import Yolov5Detector
from edge_producer.models import ModelRef
from edge_producer.ops import box_iou, letterbox, nms
from edge_producer.runtime import ModelError, load_runtime

OPSET = 17
IR_VERSION = 8


def constant_model(
    path: Path,
    outputs: dict[str, np.ndarray],
    *,
    input_name: str = "images",
    input_shape: tuple[int | str, ...] = (1, 3, 64, 64),
) -> Path:
    """Write an ONNX graph that reads ``input_name`` and returns the given float32 constants.

    Each output is ``constant + 0 * ReduceSum(input)``, so the input really flows through.
    """
    nodes = [
        helper.make_node("ReduceSum", [input_name], ["total"], keepdims=0),
        helper.make_node("Mul", ["total", "zero"], ["nothing"]),
    ]
    inits = [numpy_helper.from_array(np.zeros((), np.float32), "zero")]
    values = []
    for name, value in outputs.items():
        value = np.asarray(value, dtype=np.float32)
        inits.append(numpy_helper.from_array(value, f"{name}_value"))
        nodes.append(helper.make_node("Add", [f"{name}_value", "nothing"], [name]))
        values.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, list(value.shape)))
    image = helper.make_tensor_value_info(input_name, TensorProto.FLOAT, list(input_shape))
    graph = helper.make_graph(nodes, "constant", [image], values, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def model_ref(path: Path, decoder: str) -> ModelRef:
    return ModelRef(path.stem, "test", path, decoder, "0" * 64)


# --- YOLOv5 -------------------------------------------------------------------------------------

# Model input 64x64; the image is 100 high and 200 wide, so scale = min(64/100, 64/200) = 0.32,
# the image fills 64x32 and is centred with 16 rows of padding above: image = (x, y - 16) / 0.32.
IMAGE_HW = (100, 200)
# cx, cy, w, h, objectness, class 0 (person), class 1, class 2
ROWS = np.array(
    [
        [32, 32, 32, 16, 0.9, 0.9, 0.1, 0.1],  # A: person 0.81
        [34, 32, 32, 16, 0.8, 0.8, 0.1, 0.1],  # B: 0.64, IoU with A 480/544 = 0.88: suppressed
        [52, 32, 24, 16, 0.7, 0.9, 0.2, 0.0],  # C: 0.63, IoU with A 128/768 = 0.17: kept
        [16, 44, 16, 8, 0.9, 0.5, 0.95, 0.0],  # D: best class 1, person 0.45: kept by the rule
        [48, 12, 8, 8, 0.9, 0.4, 0.0, 0.0],  # E: person 0.36 < 0.4: dropped
        [8, 20, 16, 12, 0.5, 1.0, 0.0, 0.0],  # F: 0.5, reaches into the top padding: clipped
    ],
    dtype=np.float32,
)


@pytest.fixture(scope="module")
def yolov5_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("yolov5") / "yolov5_synthetic.onnx"
    return constant_model(path, {"output0": ROWS[None]})


def yolov5(
    path: Path, threshold: float = 0.4, person_class: int = 0, **kw: object
) -> Yolov5Detector:
    runtime = load_runtime(path, RuntimeConfig(device="cpu"))
    return Yolov5Detector(
        runtime,
        model_ref(path, "yolov5"),
        score_threshold=threshold,
        nms_iou=0.45,
        person_class=person_class,
        **kw,  # type: ignore[arg-type]
    )


def test_yolov5_threshold_nms_class_rule_and_unletterbox(yolov5_path: Path) -> None:
    image = np.zeros((*IMAGE_HW, 3), np.uint8)
    dets = yolov5(yolov5_path).detect(image)
    # by hand: x1 = (cx - w/2) / 0.32, y1 = (cy - h/2 - 16) / 0.32, ...; F's y1 -6.25 clips to 0
    expected = np.array(
        [
            [50, 25, 150, 75],  # A
            [125, 25, 200, 75],  # C
            [0, 0, 50, 31.25],  # F
            [25, 75, 75, 100],  # D
        ],
        dtype=np.float32,
    )
    np.testing.assert_allclose(dets.xyxy, expected, atol=1e-3)
    np.testing.assert_allclose(dets.score, [0.81, 0.63, 0.5, 0.45], atol=1e-6)
    assert dets.class_id.tolist() == [0, 0, 0, 0]


def test_yolov5_threshold_and_person_class(yolov5_path: Path) -> None:
    image = np.zeros((*IMAGE_HW, 3), np.uint8)
    strict = yolov5(yolov5_path, threshold=0.5).detect(image)
    np.testing.assert_allclose(strict.score, [0.81, 0.63, 0.5], atol=1e-6)
    # class 1 as "person": only D (0.9 * 0.95 = 0.855) reaches 0.4
    other = yolov5(yolov5_path, person_class=1).detect(image)
    np.testing.assert_allclose(other.score, [0.855], atol=1e-6)
    np.testing.assert_allclose(other.xyxy, [[25, 75, 75, 100]], atol=1e-3)
    assert other.class_id.tolist() == [1]
    with pytest.raises(ModelError, match="person_class 3"):
        yolov5(yolov5_path, person_class=3).detect(image)


def test_yolov5_dynamic_input_uses_input_size(tmp_path: Path) -> None:
    path = constant_model(
        tmp_path / "dynamic.onnx", {"output0": ROWS[None]}, input_shape=(1, 3, "height", "width")
    )
    detector = yolov5(path, input_size=(64, 64))
    assert detector.size == (64, 64)
    dets = detector.detect(np.zeros((*IMAGE_HW, 3), np.uint8))
    np.testing.assert_allclose(dets.xyxy[0], [50, 25, 150, 75], atol=1e-3)


def test_yolov5_nothing_above_threshold(yolov5_path: Path) -> None:
    dets = yolov5(yolov5_path, threshold=0.9).detect(np.zeros((*IMAGE_HW, 3), np.uint8))
    assert len(dets) == 0 and dets.xyxy.shape == (0, 4)


def test_yolov5_rejects_wrong_output(tmp_path: Path) -> None:
    path = constant_model(tmp_path / "bad.onnx", {"output0": np.zeros((1, 10, 5))})
    with pytest.raises(ModelError, match="5 \\+ classes"):
        yolov5(path).detect(np.zeros((64, 64, 3), np.uint8))


def test_yolov5_preprocess_is_rgb_unit_range_centred_114(yolov5_path: Path) -> None:
    image = np.empty((*IMAGE_HW, 3), np.uint8)
    image[:] = (10, 20, 30)  # BGR
    tensor, box = yolov5(yolov5_path).preprocess(image)
    assert tensor.shape == (1, 3, 64, 64) and tensor.dtype == np.float32
    assert (box.scale, box.pad_x, box.pad_y) == (0.32, 0.0, 16.0)
    for channel, value in enumerate((30, 20, 10)):  # R, G, B
        np.testing.assert_allclose(tensor[0, channel, 16:48], value / 255, atol=1e-6)
    np.testing.assert_allclose(tensor[0, :, :16], 114 / 255, atol=1e-6)
    np.testing.assert_allclose(tensor[0, :, 48:], 114 / 255, atol=1e-6)


# --- ops against plain-Python references --------------------------------------------------------


def iou_reference(a: list[float], b: list[float]) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def nms_reference(boxes: list[list[float]], scores: list[float], threshold: float) -> list[int]:
    order = sorted(range(len(boxes)), key=lambda i: -scores[i])
    keep: list[int] = []
    for i in order:
        if all(iou_reference(boxes[i], boxes[k]) <= threshold for k in keep):
            keep.append(i)
    return keep


def random_boxes(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` boxes in clusters of four jittered copies, so IoUs span the whole 0..1 range."""
    centres = np.repeat(rng.uniform(20, 120, (-(-n // 4), 2)), 4, axis=0)[:n]
    sizes = np.repeat(rng.uniform(8, 40, (-(-n // 4), 2)), 4, axis=0)[:n]
    centres = centres + rng.normal(0, 3, (n, 2))
    sizes = sizes * rng.uniform(0.8, 1.25, (n, 2))
    return np.concatenate([centres - sizes / 2, centres + sizes / 2], axis=1).astype(np.float32)


@pytest.mark.parametrize("seed", range(5))
def test_box_iou_matches_loops(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a, b = random_boxes(rng, 13), random_boxes(rng, 7)
    expected = [[iou_reference(x.tolist(), y.tolist()) for y in b] for x in a]
    np.testing.assert_allclose(box_iou(a, b), expected, atol=1e-5)


@pytest.mark.parametrize(("seed", "threshold"), list(itertools.product(range(5), (0.2, 0.45, 0.7))))
def test_nms_matches_loops(seed: int, threshold: float) -> None:
    rng = np.random.default_rng(seed)
    boxes, scores = random_boxes(rng, 60), rng.uniform(0, 1, 60).astype(np.float32)
    expected = nms_reference(boxes.tolist(), scores.tolist(), threshold)
    assert nms(boxes, scores, threshold).tolist() == expected
    assert 0 < len(expected) < 60  # the random boxes really overlap


def test_nms_empty() -> None:
    assert nms(np.zeros((0, 4)), np.zeros(0), 0.5).tolist() == []


# --- letterbox round trips ------------------------------------------------------------------------


@pytest.mark.parametrize("centre", [True, False])
@pytest.mark.parametrize(
    ("image_hw", "size"),
    [((270, 480), (416, 416)), ((480, 270), (320, 320)), ((100, 200), (64, 96))],
)
def test_letterbox_round_trip(
    image_hw: tuple[int, int], size: tuple[int, int], centre: bool
) -> None:
    """A white rectangle drawn in the image is found in the padded input and maps back."""
    h, w = image_hw
    rect = np.array([w * 0.25, h * 0.3, w * 0.7, h * 0.8]).round()
    image = np.zeros((h, w, 3), np.uint8)
    x1, y1, x2, y2 = rect.astype(int)
    image[y1:y2, x1:x2] = 255
    padded, box = letterbox(image, size, pad_value=114, centre=centre)
    assert padded.shape == (*size, 3)
    ys, xs = np.nonzero(padded[:, :, 0] > 200)
    found = np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], dtype=np.float32)
    back = box.to_image(found[None])[0]
    np.testing.assert_allclose(back, rect, atol=1.5 / box.scale + 1)
    # the padding is where the transform says: content starts at (pad_x, pad_y)
    scale = min(size[0] / h, size[1] / w)
    assert box.scale == pytest.approx(scale)
    content = np.nonzero((padded != 114).any(axis=2))
    assert content[0].min() == int(box.pad_y) and content[1].min() == int(box.pad_x)
    if centre:
        assert abs(box.pad_y - (size[0] - round(h * scale)) / 2) <= 0.5
        assert abs(box.pad_x - (size[1] - round(w * scale)) / 2) <= 0.5
    else:
        assert box.pad_x == box.pad_y == 0
