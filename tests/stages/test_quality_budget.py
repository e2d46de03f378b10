"""False-rejection budget: no reference-quality photo we have is rejected, in any category where its
garment is visible, as shared or mirrored or re-cropped.

The photos and their categories are data (``tests/filters/reference_set.py``);
every (category, variant) pair is one real ``build`` with the offline recipe,
so whatever stage rejects a photo (quality or an earlier one) fails the test,
and the message lists each rejected photo with its reason and the numbers.
The few rejections by earlier stages that are known today are listed, with
their reason code, in ``KNOWN_REJECTIONS``; the test fails as soon as one of
them changes (accepted, or rejected for another reason), so the list can only
shrink.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from tests.conftest import require_shared
from tests.filters.reference_set import (
    CATEGORIES,
    KNOWN_REJECTIONS,
    VARIANTS,
    reference_photos,
    write_reference_set,
)
from vtondata import api
from vtondata.output.index import read_index

pytestmark = pytest.mark.slow

BUILDS = [
    pytest.param(category, variant, id=f"{category}-{variant.name}")
    for category in CATEGORIES
    for variant in VARIANTS
    if reference_photos(category)
]


@pytest.mark.parametrize(("category", "variant"), BUILDS)
def test_no_reference_photo_is_rejected(category: str, variant, tmp_path: Path) -> None:
    written = write_reference_set(tmp_path / "raw", category, variant)
    api.build(tmp_path / "raw", tmp_path / "out", category, "offline", runner="local")
    rows = read_index(tmp_path / "out").select(["source_path", "reason_code", "reason_message"]).to_pylist()
    assert sorted(row["source_path"] for row in rows) == sorted(written)
    known = {
        photo: code
        for (photo, name, known_category), code in KNOWN_REJECTIONS.items()
        if name == variant.name and known_category == category
    }
    codes = {written[row["source_path"]].rsplit(" (", 1)[0]: row for row in rows}
    rejected = [
        f"{written[row['source_path']]}: {row['reason_code']}: {row['reason_message']}"
        for photo, row in codes.items()
        if row["reason_code"] is not None and known.get(photo) != row["reason_code"]
    ]
    assert not rejected, (
        f"{len(rejected)} of {len(rows)} reference photos rejected as {category}:\n" + "\n".join(rejected)
    )
    changed = [photo for photo, code in known.items() if codes[photo]["reason_code"] != code]
    assert not changed, f"no longer rejected as listed in KNOWN_REJECTIONS, remove them there: {changed}"


def test_small_reference_photos_pass_once_resolution_is_allowed(tmp_path: Path) -> None:
    """VITON's 192x256 release: upscaled by ingest, judged at their own resolution (sharp, not blurred)."""
    raw = tmp_path / "raw"
    raw.mkdir()
    for relative in reference_photos("upper"):
        image = cv2.imread(str(require_shared(relative)), cv2.IMREAD_COLOR)
        small = cv2.resize(image, (192, 256), interpolation=cv2.INTER_AREA)
        cv2.imwrite(str(raw / f"{Path(relative).parent.name}-{Path(relative).stem}.jpg"), small)
    allow_small = {
        "ingest.min_short_side_px": 128,
        "quality.categories.upper.image.min_orig_width_px": None,
        "quality.categories.upper.image.min_orig_height_px": None,
    }
    api.build(raw, tmp_path / "out", "upper", "offline", allow_small, runner="local")
    rows = read_index(tmp_path / "out").select(["source_path", "reason_code", "reason_message"]).to_pylist()
    rejected = [
        f"{row['source_path']}: {row['reason_code']}: {row['reason_message']}"
        for row in rows
        if row["reason_code"]
    ]
    assert len(rows) == len(reference_photos("upper")) and not rejected, "\n".join(rejected)
