"""People tracking and counting against the hand-checked ground truth (not a test).

    .venv/bin/python -m bench.tracking [--variants default score-0.3 ...] [--sequences ...]

Runs the edge's ``people`` pipeline over each annotated sequence of ``tests/data/mot`` once per
variant (the default edge config with one lever changed) and scores it with ``ivica eval
tracking`` (`mlops.eval_tracking`, TrackEval's metrics): MOTA, IDF1, HOTA, identity switches,
fragmentations, false positives, misses and the people_count error per frame. The levers are
tuned on ``one_by_one_0160`` and reported on ``store_aisle``, which was held out.
Milliseconds a frame are the whole evaluation's wall time (decoding, pipeline, scoring) divided
by the frames, for comparing variants in one run only. See bench/README.md.
"""

from __future__ import annotations

import argparse
import configparser
import tempfile
import time
from pathlib import Path

import yaml

from bench.machine import machine
from infra.config import REPO_ROOT
from mlops.eval_tracking import evaluate_tracking

DATA = REPO_ROOT / "tests" / "data" / "mot"
MEDIA = REPO_ROOT.parent / "shared" / "media"
NANODET = REPO_ROOT.parent / "shared" / "models" / "nanodet_m" / "nanodet_m_416.onnx"
TUNING, HELD_OUT = "one_by_one_0160", "store_aisle"
VARIANTS: dict[str, dict] = {
    "default": {},
    "confirm-off": {"tracker": {"confirm_score": None}},  # the default before 2026-12-05
    "score-0.3": {"people": {"score_threshold": 0.3}},
    "score-0.5": {"people": {"score_threshold": 0.5}},
    "nms-0.6": {"people": {"nms_iou": 0.6}},
    "high-0.6": {"tracker": {"high_score": 0.6}},
    "high-0.4": {"tracker": {"high_score": 0.4}},
    "min-hits-1": {"tracker": {"min_hits": 1}},
    "min-hits-5": {"tracker": {"min_hits": 5, "confirm_score": None}},
    "max-age-10": {"tracker": {"max_age": 10}},
    "max-age-60": {"tracker": {"max_age": 60}},
    "iou-0.2": {"tracker": {"iou_threshold": 0.2}},
    "confirm-0.6": {"tracker": {"confirm_score": 0.6}},
    "confirm-0.8": {"tracker": {"confirm_score": 0.8}},
    "count-tracks": {"events": {"people_count": "confirmed_tracks"}},
    "nanodet-m": {"people": {"model": str(NANODET), "decoder": "nanodet"}},
}
COLUMNS = ("MOTA", "IDF1", "HOTA", "IDSW", "Frag", "FP", "FN", "CLR_Pr", "CLR_Re")
RATIOS = {"MOTA", "IDF1", "HOTA", "CLR_Pr", "CLR_Re"}


def sequences(names: list[str] | None) -> dict[str, dict]:
    """name -> gt, clip, first_frame, frames, from each sequence's seqinfo.ini."""
    found = {}
    for ini in sorted(DATA.glob("*/seqinfo.ini")):
        info = configparser.ConfigParser()
        info.read(ini)
        seq = info["Sequence"]
        found[seq["name"]] = {
            "gt": ini.parent / "gt" / "gt.txt",
            "clip": MEDIA / seq["clip"],
            "first_frame": int(seq["clipFrameOffset"]),
            "frames": int(seq["seqLength"]),
        }
    unknown = set(names or ()) - set(found)
    if unknown:
        raise SystemExit(f"unknown sequences {sorted(unknown)}: {sorted(found)}")
    return {n: s for n, s in found.items() if not names or n in names}


def evaluate(variant: str, seq: dict, workdir: Path) -> tuple[dict, float]:
    """The report of one variant on one sequence, and its milliseconds a frame."""
    config = workdir / f"{variant}.yaml"
    config.write_text(yaml.safe_dump({"source": {"uri": str(seq["clip"])}, **VARIANTS[variant]}))
    start = time.perf_counter()
    report = evaluate_tracking(
        seq["gt"], workdir / f"{variant}.json", source=str(seq["clip"]), config=config,
        first_frame=seq["first_frame"], max_frames=seq["frames"], progress=False,
    )  # fmt: skip
    ms = 1000 * (time.perf_counter() - start) / (seq["first_frame"] + seq["frames"])
    return report, ms


def row(variant: str, report: dict, ms: float) -> str:
    figures = [f"{report[c]:.3f}" if c in RATIOS else str(round(report[c])) for c in COLUMNS]
    count = report["count"]
    return (f"  {variant:<13}" + "".join(f"{v:>8}" for v in figures)
            + f"{count['mae']:>8.3f}{count['mean_signed_error']:>+8.3f}{ms:>7.1f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--sequences", nargs="+", help=f"default: all ({TUNING}, {HELD_OUT})")
    args = parser.parse_args()
    variants = [v for v in args.variants if v != "nanodet-m" or NANODET.is_file()]
    head = "".join(f"{c:>8}" for c in (*COLUMNS, "cnt MAE", "cnt err")) + "  ms/fr"
    with tempfile.TemporaryDirectory() as tmp:
        for name, seq in sequences(args.sequences).items():
            role = {TUNING: "tuning", HELD_OUT: "held out"}.get(name, "")
            print(f"{name} ({role}, {seq['frames']} frames from clip frame {seq['first_frame']})")
            print(f"  {'variant':<13}{head}")
            for variant in variants:
                print(row(variant, *evaluate(variant, seq, Path(tmp))), flush=True)
    print(machine())


if __name__ == "__main__":
    main()
