"""Labelled face folders: a ``labels.csv`` layout or UTKFace file names.

- **CSV**: ``FOLDER/labels.csv`` with columns ``file`` and ``gender`` (``female`` or ``male``),
  optionally ``age`` (a number or a group such as ``20-29``) and ``race`` (or ``ethnicity``);
  images in ``FOLDER/images/`` (or ``img_512/``, or beside the CSV).
- **UTKFace**: ``age_gender_race_date.jpg`` (gender 0 male, 1 female; race 0 White, 1 Black,
  2 Asian, 3 Indian, 4 Others).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

GENDERS = ("female", "male")
UTK_RACES = ("White", "Black", "Asian", "Indian", "Others")
UTK_NAME = re.compile(r"^(\d+)_([01])_([0-4])_\d+.*\.(jpe?g|png)$", re.IGNORECASE)
AGE_GROUPS = ((0, 2), (3, 9), (10, 19), (20, 29), (30, 39), (40, 49), (50, 59), (60, 69))


class DatasetError(ValueError):
    """A folder that is not a labelled face set, with what was expected."""


@dataclass(frozen=True)
class LabelledFace:
    path: Path
    gender: str  # female | male
    age: str | None = None  # a group: 20-29, 70+
    race: str | None = None


def age_group(value: str) -> str:
    """FairFace's age groups; a number is put in its group, a group stays as it is."""
    if not value.strip().isdigit():
        return value.strip()
    age = int(value)
    return next((f"{lo}-{hi}" for lo, hi in AGE_GROUPS if lo <= age <= hi), "70+")


def load_faces(folder: Path) -> list[LabelledFace]:
    """The labelled faces of `folder` (CSV layout if it has labels.csv, else UTKFace names)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"not a folder: {folder}")
    if (folder / "labels.csv").is_file():
        return _from_csv(folder)
    faces = [_from_utk(p) for p in sorted(folder.rglob("*")) if UTK_NAME.match(p.name)]
    if not faces:
        raise DatasetError(
            f"{folder}: no labels.csv (file,gender,...) and no UTKFace-named images "
            "(age_gender_race_date.jpg)"
        )
    return faces


def _from_csv(folder: Path) -> list[LabelledFace]:
    with open(folder / "labels.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or not {"file", "gender"} <= set(rows[0]):
        raise DatasetError(f"{folder / 'labels.csv'}: needs the columns file and gender")
    images = next((d for d in (folder / "images", folder / "img_512") if d.is_dir()), folder)
    faces = []
    for n, row in enumerate(rows, start=2):
        gender = row["gender"].strip().lower()
        if gender not in GENDERS:
            raise DatasetError(
                f"labels.csv line {n}: gender {row['gender']!r} is not female or male"
            )
        path = images / row["file"]
        if not path.is_file():
            raise DatasetError(f"labels.csv line {n}: no image {path}")
        age = row.get("age")
        race = row.get("race") or row.get("ethnicity")
        faces.append(LabelledFace(path, gender, age_group(age) if age else None, race or None))
    return faces


def _from_utk(path: Path) -> LabelledFace:
    age, gender, race = UTK_NAME.match(path.name).groups()[:3]  # type: ignore[union-attr]
    return LabelledFace(path, GENDERS[1 - int(gender)], age_group(age), UTK_RACES[int(race)])
