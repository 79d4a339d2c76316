"""Apply a sequence's hand corrections to its pre-annotation and write the ground truth.

    .venv/bin/python tests/data/mot/build_gt.py            # every sequence
    .venv/bin/python tests/data/mot/build_gt.py store_aisle

Reads ``<sequence>/preannotation.txt`` (from ``preannotate.py``) and
``<sequence>/corrections.yaml``; writes ``<sequence>/gt/gt.txt``,
``<sequence>/gt/people_per_frame.csv`` and ``<sequence>/seqinfo.ini``, and prints the sanity
figures and how many boxes the corrections added, deleted, moved or set to ignore.

Corrections are applied in file order; ``id`` always names a pre-annotation track id (after any
earlier ``merge``). Boxes in the file are ``[x1, y1, x2, y2]`` in clip pixels (what one reads
off the ruler of ``render_sheets.py --grid``); ``gt.txt`` stores ``left, top, width, height``.

``merge``      ``{id, into}``: the track ``id`` is the same person as ``into``.
``delete``     ``{id, frames: [a, b]}``: drop the track's boxes in frames a..b (all without frames).
``keyframes``  ``{id, boxes: {frame: [x1, y1, x2, y2]}}``: set the box at each keyframe and
               interpolate linearly between consecutive keyframes (replacing, or creating, the
               boxes in between). A ``null`` coordinate keeps the track's own value there.
``include``    ``{id, points: {frame: [x, y]}}``: grow the box to contain the point, linearly
               interpolated between consecutive keyframes (e.g. a raised hand the detector's box
               leaves out).
``ignore``     ``{id, frames: [a, b]}``: conf 0 (a box the evaluation neither requires nor
               penalises).
``visibility`` ``{id, values: {frame: v}}``: the visible fraction, interpolated between keys and
               held before the first and after the last; 1 for a track without one.

Every correction carries a ``why``. Final ids are renumbered 1..N by first appearance.
"""

from __future__ import annotations

import argparse
import sys
from itertools import pairwise
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sequences import SEQUENCES, Sequence

Box = list  # [x1, y1, x2, y2] floats
PEDESTRIAN, DISTRACTOR = 1, 8
"""MOT17 classes: a person to find and count; an ignore box (conf 0), whose matching tracker
boxes TrackEval's MOT16/17/20 rules remove instead of counting them as false positives."""
MOVED_PX = 2.0
"""A box counts as moved when an edge changed by more than this many pixels."""


def load_pre(seq: Sequence) -> dict[int, dict[int, Box]]:
    tracks: dict[int, dict[int, Box]] = {}
    for line in (seq.folder / "preannotation.txt").read_text().splitlines():
        f, tid, left, top, w, h = line.split(",")[:6]
        x1, y1 = float(left), float(top)
        tracks.setdefault(int(tid), {})[int(f)] = [x1, y1, x1 + float(w), y1 + float(h)]
    return tracks


def lerp(a: float, b: float, w: float) -> float:
    return (1 - w) * a + w * b


def span(frames: list[int] | None, track: dict[int, Box]) -> range:
    if frames is None:
        return range(min(track), max(track) + 1) if track else range(0)
    return range(frames[0], frames[1] + 1)


def apply(seq: Sequence, tracks: dict[int, dict[int, Box]], corrections: list[dict]):
    conf0: dict[int, set[int]] = {}
    vis_keys: dict[int, dict[int, float]] = {}
    merged: dict[int, int] = {}
    for c in corrections:
        op, tid = c["op"], c["id"]
        if "why" not in c:
            raise SystemExit(f"{seq.name}: correction without a why: {c}")
        if op == "merge":
            into = c["into"]
            clash = set(tracks[tid]) & set(tracks.setdefault(into, {}))
            if clash:
                raise SystemExit(f"{seq.name}: merge {tid} into {into} clashes in {sorted(clash)}")
            tracks[into].update(tracks.pop(tid))
            conf0.setdefault(into, set()).update(conf0.pop(tid, set()))
            merged[tid] = into
        elif op == "delete":
            track = tracks.get(tid, {})
            for f in span(c.get("frames"), track):
                track.pop(f, None)
        elif op == "keyframes":
            track = tracks.setdefault(tid, {})
            keys = sorted((int(f), b) for f, b in c["boxes"].items())
            resolved = {}
            for f, b in keys:
                cur = track.get(f)
                if any(v is None for v in b) and cur is None:
                    raise SystemExit(f"{seq.name}: id {tid} frame {f}: null but no box to keep")
                resolved[f] = [cur[i] if v is None else float(v) for i, v in enumerate(b)]
            for (fa, ba), (fb, bb) in pairwise(keys):
                for f in range(fa + 1, fb):
                    w = (f - fa) / (fb - fa)
                    cur = track.get(f)
                    box = []
                    for i in range(4):
                        if ba[i] is not None and bb[i] is not None:
                            box.append(lerp(resolved[fa][i], resolved[fb][i], w))
                        elif cur is not None:
                            box.append(cur[i])
                        else:
                            raise SystemExit(f"{seq.name}: id {tid} frame {f}: nothing to keep")
                    track[f] = box
            track.update(resolved)
        elif op == "include":
            track = tracks[tid]
            keys = sorted((int(f), p) for f, p in c["points"].items())
            pts = {keys[0][0]: keys[0][1]}
            for (fa, pa), (fb, pb) in pairwise(keys):
                for f in range(fa + 1, fb + 1):
                    w = (f - fa) / (fb - fa)
                    pts[f] = [lerp(pa[0], pb[0], w), lerp(pa[1], pb[1], w)]
            for f, (x, y) in pts.items():
                b = track[f]
                track[f] = [min(b[0], x), min(b[1], y), max(b[2], x), max(b[3], y)]
        elif op == "ignore":
            conf0.setdefault(tid, set()).update(span(c.get("frames"), tracks[tid]))
        elif op == "visibility":
            vis_keys.setdefault(tid, {}).update({int(f): float(v) for f, v in c["values"].items()})
        else:
            raise SystemExit(f"{seq.name}: unknown op {op!r}")
    return tracks, conf0, vis_keys, merged


def visibility(keys: dict[int, float], f: int) -> float:
    if not keys:
        return 1.0
    frames = sorted(keys)
    if f <= frames[0]:
        return keys[frames[0]]
    if f >= frames[-1]:
        return keys[frames[-1]]
    for a, b in pairwise(frames):
        if a <= f <= b:
            return lerp(keys[a], keys[b], (f - a) / (b - a))
    raise AssertionError


def build(seq: Sequence) -> dict:
    pre = load_pre(seq)
    spec = yaml.safe_load((seq.folder / "corrections.yaml").read_text())
    tracks, conf0, vis_keys, merged = apply(
        seq, {t: dict(b) for t, b in pre.items()}, spec.get("corrections") or []
    )
    tracks = {t: b for t, b in tracks.items() if b}
    order = sorted(tracks, key=lambda t: (min(tracks[t]), t))
    new_id = {t: i for i, t in enumerate(order, start=1)}

    rows = []
    for t in order:
        for f, (x1, y1, x2, y2) in sorted(tracks[t].items()):
            if not 1 <= f <= seq.length:
                raise SystemExit(f"{seq.name}: id {t} has a box in frame {f}")
            x1, x2 = max(0.0, x1), min(float(seq.width), x2)
            y1, y2 = max(0.0, y1), min(float(seq.height), y2)
            left, top, right, bottom = round(x1), round(y1), round(x2), round(y2)
            conf = 0 if f in conf0.get(t, set()) else 1
            cls = PEDESTRIAN if conf else DISTRACTOR
            vis = visibility(vis_keys.get(t, {}), f)
            rows.append((f, new_id[t], left, top, right - left, bottom - top, conf, cls, vis))
    rows.sort(key=lambda r: (r[0], r[1]))

    gt_dir = seq.folder / "gt"
    gt_dir.mkdir(exist_ok=True)
    with (gt_dir / "gt.txt").open("w") as fh:
        for r in rows:
            fh.write(",".join(map(str, r[:8])) + f",{r[8]:.2f}\n")
    people = {f: 0 for f in range(1, seq.length + 1)}
    ignored = dict(people)
    for r in rows:
        (people if r[6] == 1 else ignored)[r[0]] += 1
    with (gt_dir / "people_per_frame.csv").open("w") as fh:
        fh.write("frame,people,ignored\n")
        for f in range(1, seq.length + 1):
            fh.write(f"{f},{people[f]},{ignored[f]}\n")
    (seq.folder / "seqinfo.ini").write_text(
        "[Sequence]\n"
        f"name={seq.name}\n"
        f"frameRate={seq.fps}\n"
        f"seqLength={seq.length}\n"
        f"imWidth={seq.width}\n"
        f"imHeight={seq.height}\n"
        f"clip={seq.clip}\n"
        f"clipFrameOffset={seq.offset}\n"
        "; frame f of gt.txt is the clip's frame index offset + f - 1 (0-based, decoding order)\n"
        "; clip: /work/shared/media, CC-BY 4.0 Intel Corporation (intel-iot-devkit/sample-videos)\n"
    )

    # What the corrections changed, per final box, against the pre-annotation.
    def pre_box(t: int, f: int) -> Box | None:
        for src in [t, *[m for m, into in merged.items() if into == t]]:
            if f in pre.get(src, {}):
                return pre[src][f]
        return None

    added = moved = kept = 0
    for t in order:
        for f, box in tracks[t].items():
            old = pre_box(t, f)
            if old is None:
                added += 1
            elif max(abs(a - b) for a, b in zip(box, old, strict=True)) > MOVED_PX:
                moved += 1
            else:
                kept += 1
    final_frames = {(t, f) for t in order for f in tracks[t]}
    deleted = sum(
        1 for t, boxes in pre.items() for f in boxes if (merged.get(t, t), f) not in final_frames
    )
    counts = [people[f] for f in range(1, seq.length + 1)]
    return {
        "frames": seq.length,
        "identities": len(order),
        "boxes": len(rows),
        "conf1": sum(r[6] == 1 for r in rows),
        "ignore": sum(r[6] == 0 for r in rows),
        "frames_with_people": sum(c > 0 for c in counts),
        "mean_people": sum(counts) / len(counts),
        "max_people": max(counts),
        "pre_boxes": sum(len(b) for b in pre.values()),
        "pre_tracks": len(pre),
        "kept": kept,
        "moved": moved,
        "added": added,
        "deleted": deleted,
        "merges": len(merged),
        "corrections": len(spec.get("corrections") or []),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sequences", nargs="*", default=sorted(SEQUENCES))
    args = parser.parse_args()
    for name in args.sequences:
        s = build(SEQUENCES[name])
        print(
            f"{name}: {s['frames']} frames, {s['identities']} identities, {s['boxes']} boxes "
            f"({s['conf1']} conf 1, {s['ignore']} ignore); people in {s['frames_with_people']} "
            f"frames, mean {s['mean_people']:.3f}, max {s['max_people']} per frame.\n"
            f"  pre-annotation {s['pre_boxes']} boxes in {s['pre_tracks']} tracks; final boxes "
            f"kept {s['kept']}, moved {s['moved']} (an edge > {MOVED_PX:g} px), added "
            f"{s['added']}; deleted {s['deleted']}; ids merged {s['merges']}; "
            f"{s['corrections']} correction entries"
        )


if __name__ == "__main__":
    main()
