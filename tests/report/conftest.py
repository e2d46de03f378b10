"""A real small build (offline recipe, local runner) with one bad input whose file name is HTML."""

from __future__ import annotations

from pathlib import Path

import pytest

import vtondata
from tests.photos import link_photos, real_photos

HOSTILE_NAME = "<img src=x onerror=alert(1)>.jpg"
"""A truncated JPEG named like an HTML element: ingest rejects it, the report must show the name as text."""
MAX_AREA_RATIO = "0.5"
"""A threshold on a statistic every accepted sample has, so the report draws its line and a what-if row."""


@pytest.fixture(scope="session")
def built(tmp_path_factory, weights_dir) -> tuple[Path, Path]:
    """``(raw, out)`` of a finished build of three shared photos plus the hostile bad input."""
    photos = [photo for photo in real_photos() if photo.parent.name == "persons"][:3]
    raw = link_photos(tmp_path_factory.mktemp("raw"), photos)
    (raw / HOSTILE_NAME).write_bytes(photos[0].read_bytes()[:3000])
    out = tmp_path_factory.mktemp("out") / "dataset"
    overrides = {"quality.categories.upper.mask.max_area_ratio": MAX_AREA_RATIO}
    vtondata.build(raw, out, "upper", "offline", overrides, runner="local")
    return raw, out
