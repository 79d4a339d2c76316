"""Edge tests: real models on the real media in ../shared/media (beside the repository)."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.config import REPO_ROOT

MEDIA = REPO_ROOT.parent / "shared" / "media"
STILLS = MEDIA / "stills"
ONE_BY_ONE = MEDIA / "intel_one_by_one_person_768x432.mp4"
STORE_AISLE = MEDIA / "intel_store_aisle_detection_480x270.mp4"
FACES_WALKING = MEDIA / "intel_face_demographics_walking_480x270.mp4"
FACE_STILL = STILLS / "intel_face_demo_3people_f024_480x270.png"
STILL_COUNTS = {
    "intel_classroom_f000_480x270.png": 4,
    "intel_face_demo_3people_f024_480x270.png": 3,
    "intel_store_aisle_f052_480x270.png": 3,
}


@pytest.fixture(scope="session")
def media() -> Path:
    if not MEDIA.is_dir():
        pytest.skip(f"test media not found at {MEDIA} (shared/ must sit beside the repository)")
    return MEDIA
