"""`ivica eval tracking`: the edge's people tracking against MOTChallenge ground truth.

The tracker output is the edge's (its ``people`` pipeline run over a clip, or its events file)
or a MOTChallenge tracker file. The figures are TrackEval's (`mlops.mot_metrics`): CLEAR
(MOTA, MOTP, IDSW, Frag, FP, FN, precision, recall), Identity (IDF1) and HOTA (with DetA and
AssA, averaged over the IoU thresholds 0.05..0.95 as TrackEval reports them), plus the error of
the per-frame people count against the ground-truth boxes that count. docs/mlops.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from mlops.datasets import DatasetError
from mlops.edge_tracks import EdgeTracks, from_events, read_events, run_people
from mlops.mot import check_unique_ids, gt_rules, read_mot
from mlops.mot_metrics import prepare, score
from mlops.runs import log_run

EXPERIMENT = "ivica-eval-tracking"
HEADLINE = {
    "MOTA": ("CLEAR", "MOTA"), "MOTP": ("CLEAR", "MOTP"), "IDF1": ("Identity", "IDF1"),
    "HOTA": ("HOTA", "HOTA"), "DetA": ("HOTA", "DetA"), "AssA": ("HOTA", "AssA"),
    "LocA": ("HOTA", "LocA"), "IDSW": ("CLEAR", "IDSW"), "Frag": ("CLEAR", "Frag"),
    "FP": ("CLEAR", "CLR_FP"), "FN": ("CLEAR", "CLR_FN"), "TP": ("CLEAR", "CLR_TP"),
    "CLR_Pr": ("CLEAR", "CLR_Pr"), "CLR_Re": ("CLEAR", "CLR_Re"), "IDP": ("Identity", "IDP"),
    "IDR": ("Identity", "IDR"), "MT": ("CLEAR", "MT"), "PT": ("CLEAR", "PT"),
    "ML": ("CLEAR", "ML"),
}  # fmt: skip
"""Report key: (TrackEval metric, field); HOTA's per-threshold fields are averaged."""


def evaluate_tracking(
    gt: Path,
    report_json: Path,
    *,
    source: str | None = None,
    events: Path | None = None,
    tracks: Path | None = None,
    config: Path | None = None,
    max_frames: int | None = None,
    first_frame: int = 0,
    benchmark: str = "auto",
    tracking_uri: str | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Score one tracker output (exactly one of `source`, a clip the edge's people pipeline
    runs over with the default edge config or `config`; `events`, an edge events file; or
    `tracks`, a MOTChallenge tracker file) against the ground truth `gt`, over at most
    `max_frames` frames. Ground-truth frame 1 is the clip's frame `first_frame` (0-based; the
    frames before it go through the pipeline unscored). Write the report to `report_json`, log
    it to MLflow when `tracking_uri` is set, and return it."""
    given = [v for v in (source, events, tracks) if v is not None]
    if len(given) != 1:
        raise DatasetError("eval tracking needs one of --source CLIP, --events FILE, --tracks FILE")
    if config is not None and source is None:
        raise DatasetError("--config applies to --source only")
    if first_frame < 0 or (first_frame and tracks is not None):
        raise DatasetError("--first-frame is a clip frame index >= 0, for --source or --events")
    truth = read_mot(gt)
    check_unique_ids(truth, gt)
    rules = gt_rules(truth, benchmark)
    edge: EdgeTracks | None = None
    if tracks is not None:
        tracker = read_mot(tracks, min_columns=6)
        check_unique_ids(tracker, tracks)
        last = int(max(truth.frame.max(initial=0), tracker.frame.max(initial=0)))
        frames = list(range(1, min(last, max_frames or last) + 1))
    else:
        edge = (
            run_people(source, config, max_frames, progress, first_frame)
            if source is not None
            else from_events(
                read_events(Path(str(events)), max_frames, first_frame), first_frame=first_frame
            )
        )
        tracker, frames = edge.boxes, edge.frames
        check_unique_ids(tracker, "the edge's events")
    if not frames:
        raise DatasetError("no frames to evaluate (an empty clip, events file or ground truth)")
    prepared = prepare(truth, tracker, frames, rules)
    results = score(prepared)
    counted = edge.counts if edge is not None else prepared.tracker_counts
    low = prepared.gt_counts
    errors = counted - np.clip(counted, low, low + prepared.gt_ignored)
    data = prepared.data
    report = {
        "inputs": {
            "gt": str(gt), "source": source, "events": _str(events), "tracks": _str(tracks),
            "config": _str(config), "model": edge.model if edge else None, "gt_rules": rules,
            "first_frame": first_frame,
        },
        "frames": len(frames), "first_frame": frames[0], "last_frame": frames[-1],
        "gt_frames_not_evaluated": len(set(truth.frame.tolist()) - set(frames)),
        "gt_boxes": data["num_gt_dets"], "gt_ids": data["num_gt_ids"],
        "gt_dropped": prepared.gt_dropped,
        "tracker_boxes": data["num_tracker_dets"], "tracker_ids": data["num_tracker_ids"],
        "tracker_removed": prepared.tracker_removed,
        "untracked_detections": edge.untracked if edge else None,
        **{key: _headline(results, metric, field) for key, (metric, field) in HEADLINE.items()},
        "count": {
            "counted": "people_count" if edge is not None else "tracker_boxes",
            "frames": len(frames),
            "mae": float(np.abs(errors).mean()),
            "mean_signed_error": float(errors.mean()),
        },
        "trackeval": results,
    }  # fmt: skip
    report_json = Path(report_json)
    report_json.parent.mkdir(parents=True, exist_ok=True)
    report_json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if tracking_uri:
        log_to_mlflow(tracking_uri, report, report_json)
    return report


def summary(report: dict[str, Any]) -> str:
    """One line: the headline figures and the count error."""
    r, c = report, report["count"]
    return (
        f"{r['frames']} frames: MOTA {r['MOTA']:.3f}, MOTP {r['MOTP']:.3f}, IDF1 {r['IDF1']:.3f}, "
        f"HOTA {r['HOTA']:.3f} (DetA {r['DetA']:.3f}, AssA {r['AssA']:.3f}), IDSW {r['IDSW']}, "
        f"Frag {r['Frag']:.0f}, FP {r['FP']}, FN {r['FN']}, precision {r['CLR_Pr']:.3f}, "
        f"recall {r['CLR_Re']:.3f}; count MAE {c['mae']:.2f} "
        f"(mean error {c['mean_signed_error']:+.2f})"
    )


def log_to_mlflow(uri: str, report: dict[str, Any], report_json: Path) -> str:
    """One run in experiment ivica-eval-tracking: the inputs as params, the figures as metrics,
    the report as an artifact; the run id."""
    inputs = report["inputs"]
    model = inputs["model"] or {}
    tracker = inputs["source"] or inputs["events"] or inputs["tracks"]
    params = {
        **{k: v for k, v in inputs.items() if v is not None and k != "model"},
        **({"model": model["name"], "model_version": model["version"]} if model else {}),
        "frames": report["frames"],
    }
    figures = {key: report[key] for key in HEADLINE}
    figures |= {"count_mae": report["count"]["mae"],
                "count_mean_signed_error": report["count"]["mean_signed_error"]}  # fmt: skip
    gt = Path(inputs["gt"])
    name = f"{model.get('name', Path(tracker).stem)} on {gt.parent.name}/{gt.name}"
    return log_run(uri, EXPERIMENT, name, params, figures, [report_json])


def _headline(results: dict[str, dict[str, Any]], metric: str, field: str) -> Any:
    value = results[metric][field]
    return float(np.mean(value)) if isinstance(value, list) else value


def _str(path: Path | None) -> str | None:
    return None if path is None else str(path)
