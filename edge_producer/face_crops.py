"""Aligned chips from tight face crops (labelled face datasets), the way the edge aligns faces.

Datasets such as FairFace or UTKFace hold tight crops, on which a face detector often does not
fire. The face detector searches each crop inside a black border of ``CROP_BORDER``; where it
finds the face, the chip is aligned from its five landmarks exactly as on the edge. Where it
finds none, the landmarks are placed by ``FACE_CROP_LAYOUT`` in the whole crop (a fallback the
caller counts). Evaluation and training both use this, so what a model learns and is scored on
matches what it sees at the edge.
"""

from __future__ import annotations

import cv2
import numpy as np

from edge_producer.align import FACE_CROP_LAYOUT, box_landmarks
from edge_producer.classifiers import OnnxGenderClassifier
from edge_producer.detections import Detections
from edge_producer.detectors.base import FaceDetector

CROP_BORDER = 0.25
"""Tight crops: the detector looks for the face with this much black border around it."""


def main_face(faces: Detections) -> Detections:
    """The biggest, surest face: the crop's subject."""
    return faces[int(np.argmax(faces.area * faces.score))]


def crop_landmarks(detector: FaceDetector, image: np.ndarray) -> tuple[np.ndarray, bool]:
    """The five landmarks (5 x 2) of the face in a tight crop, and whether the detector missed
    it (then they come from FACE_CROP_LAYOUT)."""
    h, w = image.shape[:2]
    border = round(CROP_BORDER * max(h, w))
    framed = cv2.copyMakeBorder(image, *[border] * 4, cv2.BORDER_CONSTANT, value=0)
    faces = detector.detect(framed)
    if len(faces) == 0:
        return box_landmarks(np.array([[0, 0, w, h]]), FACE_CROP_LAYOUT)[0], True
    return main_face(faces).landmarks[0] - border, False


def crop_chip(
    detector: FaceDetector, classifier: OnnxGenderClassifier, image: np.ndarray
) -> tuple[np.ndarray, bool]:
    """The classifier's aligned chip of the face in a tight crop, and whether it fell back."""
    landmarks, fell_back = crop_landmarks(detector, image)
    h, w = image.shape[:2]
    face = Detections(np.array([[0, 0, w, h]]), np.ones(1), landmarks=landmarks[None])
    return classifier.align(image, face)[0], fell_back
