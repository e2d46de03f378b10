"""Perceptual hash: stable under re-encoding and resizing, far apart for different photos."""

from __future__ import annotations

from pathlib import Path

import cv2

from tests.photos import real_photos
from vtondata.config.ingest import IngestConfig
from vtondata.config.quality import DuplicatesQuality
from vtondata.filters.duplicates import near_duplicates, perceptual_hash
from vtondata.ingest.scan import scan_inputs


def _distance(a: int | None, b: int | None) -> int:
    assert a is not None and b is not None
    return (a ^ b).bit_count()


def test_copies_are_close_and_different_photos_far(tmp_path: Path) -> None:
    photos = real_photos()
    hashes = [perceptual_hash(str(photo)) for photo in photos]
    for number, photo in enumerate(photos):
        copy = tmp_path / f"{number}.jpg"
        image = cv2.imread(str(photo))
        cv2.imwrite(str(copy), cv2.resize(image, None, fx=0.7, fy=0.7), [cv2.IMWRITE_JPEG_QUALITY, 70])
        assert _distance(hashes[number], perceptual_hash(str(copy))) <= 8
    pairs = [_distance(a, b) for i, a in enumerate(hashes) for b in hashes[i + 1 :]]
    assert min(pairs) >= 12


def test_earlier_input_wins_and_a_chain_cannot_walk_away() -> None:
    base = 0
    near = 0b111
    chained = 0b111111
    verdicts = near_duplicates([base, near, chained, None], min_distance=4)
    assert verdicts[0] is None and verdicts[3] is None
    assert (verdicts[1].first_index, verdicts[1].distance) == (0, 3)
    assert (verdicts[2].first_index, verdicts[2].distance) == (0, 6)


def test_unreadable_files_have_no_hash(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not an image")
    assert perceptual_hash(str(broken)) is None


def test_scan_rejects_the_later_copy_and_records_the_distance(tmp_path: Path) -> None:
    photo = real_photos()[0]
    cv2.imwrite(str(tmp_path / "a.jpg"), cv2.imread(str(photo)))
    cv2.imwrite(str(tmp_path / "b.jpg"), cv2.resize(cv2.imread(str(photo)), None, fx=0.5, fy=0.5))
    cv2.imwrite(str(tmp_path / "c.jpg"), cv2.imread(str(real_photos()[1])))
    items = scan_inputs(tmp_path, IngestConfig(), duplicates=DuplicatesQuality(min_hash_distance=11))
    assert [item.rejection.code if item.rejection else None for item in items] == [
        None,
        "quality.duplicates_min_hash_distance",
        None,
    ]
    assert "a.jpg" in items[1].rejection.message
    assert items[1].stats["duplicates.hash_distance"] < 11 <= items[2].stats["duplicates.hash_distance"]
    assert scan_inputs(tmp_path, IngestConfig())[1].rejection is None
