"""Contact sheets for checking the annotation by eye: a grid of consecutive frames, each with its
number and every box drawn with its id (one colour per id; ignore boxes, conf 0, in grey with
an ``x`` after the id; interpolated pre-annotation boxes dashed).

    .venv/bin/python tests/data/mot/render_sheets.py store_aisle --source gt --out /tmp/sheets
    .venv/bin/python tests/data/mot/render_sheets.py one_by_one_0160 --frames 30-41 \\
        --crop 400,0,768,432 --scale 2 --grid 20 --cols 2 --rows 2

``--source pre`` draws ``preannotation.txt``, ``gt`` draws ``gt/gt.txt``. ``--crop`` and
``--scale`` zoom into a region; ``--grid N`` draws a pixel ruler every N clip pixels (labelled
every 5th line) to read box coordinates off the image.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sequences import SEQUENCES, read_frames

PALETTE = [
    (0, 0, 255), (0, 200, 0), (255, 0, 0), (0, 200, 255), (255, 0, 255), (255, 255, 0),
    (0, 128, 255), (128, 0, 255), (255, 128, 0), (0, 255, 128), (128, 128, 255), (0, 100, 0),
]  # fmt: skip
IGNORE = (160, 160, 160)


def load(path: Path) -> dict[int, list[tuple]]:
    """frame -> [(id, l, t, w, h, conf, flag)] from a MOT-style text file."""
    out: dict[int, list[tuple]] = {}
    for line in path.read_text().splitlines():
        v = line.split(",")
        out.setdefault(int(v[0]), []).append(
            (int(v[1]), *map(float, v[2:6]), float(v[6]), int(float(v[7])))
        )
    return out


def dashed_rect(img, p1, p2, colour, step=6):
    (x1, y1), (x2, y2) = p1, p2
    for a, b, fixed, horizontal in (
        (x1, x2, y1, True), (x1, x2, y2, True), (y1, y2, x1, False), (y1, y2, x2, False)
    ):  # fmt: skip
        for s in range(a, b, 2 * step):
            e = min(s + step, b)
            if horizontal:
                cv2.line(img, (s, fixed), (e, fixed), colour, 1)
            else:
                cv2.line(img, (fixed, s), (fixed, e), colour, 1)


def draw(image, frame, boxes, source, crop, scale, grid):
    x0, y0, x1, y1 = crop
    img = cv2.resize(image[y0:y1, x0:x1], None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    if grid:
        for gx in range((x0 // grid + 1) * grid, x1, grid):
            major = gx % (grid * 5) == 0
            px = round((gx - x0) * scale)
            colour = (255, 255, 255) if major else (90, 90, 90)
            cv2.line(img, (px, 0), (px, img.shape[0]), colour, 1)
            if major:
                cv2.putText(img, str(gx), (px + 2, img.shape[0] - 4), 0, 0.4, (255, 255, 255), 1)
        for gy in range((y0 // grid + 1) * grid, y1, grid):
            major = gy % (grid * 5) == 0
            py = round((gy - y0) * scale)
            colour = (255, 255, 255) if major else (90, 90, 90)
            cv2.line(img, (0, py), (img.shape[1], py), colour, 1)
            if major:
                cv2.putText(img, str(gy), (2, py - 2), 0, 0.4, (255, 255, 255), 1)
    for tid, left, top, w, h, conf, flag in boxes:
        colour = PALETTE[(tid - 1) % len(PALETTE)]
        p1 = (round((left - x0) * scale), round((top - y0) * scale))
        p2 = (round((left + w - x0) * scale), round((top + h - y0) * scale))
        label = str(tid)
        if source == "gt" and conf == 0:
            colour, label = IGNORE, f"{tid}x"
        if source == "pre" and flag == 2:
            dashed_rect(img, p1, p2, colour)
        else:
            cv2.rectangle(img, p1, p2, colour, 2 if scale < 1.5 else 1)
        org = (max(p1[0], 0) + 2, max(p1[1], 0) + 16)
        cv2.putText(img, label, org, 0, 0.6, (0, 0, 0), 3)
        cv2.putText(img, label, org, 0, 0.6, colour, 2)
    cv2.putText(img, str(frame), (4, 22), 0, 0.75, (0, 0, 0), 4)
    cv2.putText(img, str(frame), (4, 22), 0, 0.75, (0, 255, 255), 2)
    cv2.rectangle(img, (0, 0), (img.shape[1] - 1, img.shape[0] - 1), (40, 40, 40), 1)
    return img


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sequence", choices=sorted(SEQUENCES))
    parser.add_argument("--source", choices=("pre", "gt"), default="gt")
    parser.add_argument("--frames", help="a-b (1-based, inclusive); default: all")
    parser.add_argument("--cols", type=int, default=3)
    parser.add_argument("--rows", type=int, default=4)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--crop", help="x1,y1,x2,y2 in clip pixels")
    parser.add_argument("--grid", type=int, default=0)
    parser.add_argument("--out", default="/tmp/mot_sheets")
    args = parser.parse_args()

    seq = SEQUENCES[args.sequence]
    path = seq.folder / ("preannotation.txt" if args.source == "pre" else "gt/gt.txt")
    boxes = load(path)
    first, last = 1, seq.length
    if args.frames:
        first, last = map(int, args.frames.split("-"))
    crop = tuple(map(int, args.crop.split(","))) if args.crop else (0, 0, seq.width, seq.height)
    per_sheet = args.cols * args.rows
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tiles: list[np.ndarray] = []
    start = first

    def flush(end: int) -> None:
        blank = np.zeros_like(tiles[0])
        grid = tiles + [blank] * (per_sheet - len(tiles))
        sheet = np.vstack(
            [np.hstack(grid[r * args.cols : (r + 1) * args.cols]) for r in range(args.rows)]
        )
        name = out / f"{seq.name}_{args.source}_{start:03d}-{end:03d}.png"
        cv2.imwrite(str(name), sheet)
        print(name)

    for frame, image in read_frames(seq):
        if frame < first or frame > last:
            continue
        tiles.append(
            draw(image, frame, boxes.get(frame, []), args.source, crop, args.scale, args.grid)
        )
        if len(tiles) == per_sheet:
            flush(frame)
            tiles, start = [], frame + 1
    if tiles:
        flush(last)


if __name__ == "__main__":
    main()
