"""Builds the parts a config asks for (runtime, detectors, classifier, tracker) and the pipeline.

The one place that maps config names to plugin classes.
"""

from __future__ import annotations

from edge_producer.config import EdgeConfig
from edge_producer.detectors.base import FaceDetector, PersonDetector
from edge_producer.events import EventBuilder
from edge_producer.gender import GenderClassifier
from edge_producer.geometry import Geometry
from edge_producer.models import resolve_model
from edge_producer.pipelines import (
    AllPipeline,
    ClassifySchedule,
    GenderClassificationPipeline,
    PeopleCounterPipeline,
    Pipeline,
)
from edge_producer.registry import pull
from edge_producer.runtime import load_runtime, on_cpu
from edge_producer.runtime.base import ModelError
from edge_producer.tracking import make_tracker


def person_detector(config: EdgeConfig) -> PersonDetector:
    """The configured person detector on the configured runtime."""
    cfg = config.people
    model = pull(config.registry, "people") or resolve_model(cfg.model, "people", cfg.decoder)
    runtime = load_runtime(model.path, config.runtime)
    kwargs = {
        "score_threshold": cfg.score_threshold,
        "nms_iou": cfg.nms_iou,
        "person_class": cfg.person_class,
    }
    if model.decoder == "yolox":
        from edge_producer.detectors.yolox import YoloxDetector

        return YoloxDetector(runtime, model, **kwargs)
    if model.decoder == "yolov5":
        from edge_producer.detectors.yolov5 import Yolov5Detector

        return Yolov5Detector(runtime, model, **kwargs)
    if model.decoder == "nanodet":
        from edge_producer.detectors.nanodet import NanoDetDetector

        return NanoDetDetector(runtime, model, **kwargs)
    raise ModelError(
        f"person model {cfg.model!r} needs people.decoder: one of yolox, yolov5, nanodet"
    )


def face_detector(config: EdgeConfig) -> FaceDetector:
    """The configured face detector on the configured runtime."""
    cfg = config.faces
    model = pull(config.registry, "faces") or resolve_model(cfg.model, "faces", cfg.decoder)
    kwargs = {
        "score_threshold": cfg.score_threshold,
        "nms_iou": cfg.nms_iou,
        "min_size": cfg.min_size,
    }
    if model.decoder == "yunet":
        from edge_producer.detectors.yunet import YuNetDetector

        return YuNetDetector(load_runtime(model.path, config.runtime), model, **kwargs)
    if model.decoder == "mtcnn":
        from edge_producer.detectors.mtcnn import MtcnnDetector

        return MtcnnDetector.load(model, config.runtime, **kwargs)
    raise ModelError(f"face model {cfg.model!r} needs faces.decoder: one of yunet, mtcnn")


def gender_classifier(config: EdgeConfig) -> GenderClassifier:
    """The configured gender classifier on the configured runtime."""
    from edge_producer.classifiers import OnnxGenderClassifier

    name = config.gender.model
    if name == "auto":
        name = "gender_v3_int8" if on_cpu(config.runtime) else "gender_v3"
    model = pull(config.registry, "gender") or resolve_model(name, "gender")
    runtime = load_runtime(model.path, config.runtime)
    return OnnxGenderClassifier(runtime, model, batch_size=config.gender.batch_size)


def classify_schedule(config: EdgeConfig) -> ClassifySchedule:
    """When each track is classified, and when its gender is settled (config.gender)."""
    g = config.gender
    return ClassifySchedule(g.classify_interval_s, g.settle_votes, g.settle_confidence)


def build_pipeline(config: EdgeConfig) -> Pipeline:
    """The pipeline ``config.pipeline`` names, with every part it needs."""
    count_confirmed = config.events.people_count == "confirmed_tracks"
    if config.pipeline == "gender":
        classifier = gender_classifier(config)
        events = EventBuilder(config.site_id, config.camera_id, gender_model=classifier.model)
        return GenderClassificationPipeline(
            face_detector(config),
            make_tracker(config.tracker),
            classifier,
            events,
            classify_schedule(config),
        )
    people = person_detector(config)
    geometry = Geometry(config.geometry) if config.geometry else None
    if config.pipeline == "people":
        events = EventBuilder(
            config.site_id,
            config.camera_id,
            count_confirmed_only=count_confirmed,
            person_model=people.model,
        )
        return PeopleCounterPipeline(people, make_tracker(config.tracker), events, geometry)
    classifier = gender_classifier(config)
    events = EventBuilder(
        config.site_id,
        config.camera_id,
        count_confirmed_only=count_confirmed,
        person_model=people.model,
        gender_model=classifier.model,
    )
    return AllPipeline(
        people,
        make_tracker(config.tracker),
        face_detector(config),
        classifier,
        events,
        schedule=classify_schedule(config),
        search=config.faces.search,
        upper_fraction=config.faces.upper_fraction,
        geometry=geometry,
    )
