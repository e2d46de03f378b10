"""Perceptual hash of the person crop, best-of-group near-duplicates, and their scan-time rejection."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from tests.photos import real_photos
from vtondata.config.ingest import IngestConfig
from vtondata.config.quality import DuplicatesQuality
from vtondata.filters.duplicates import (
    Fingerprint,
    keep_best,
    nearest_distances,
    perceptual_hash,
    person_crop,
)
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


def test_two_people_in_one_pose_on_one_backdrop_are_not_duplicates(tmp_path: Path) -> None:
    """Same backdrop and framing, a different person: the whole frames are alike, the person crops not."""
    first, second = (cv2.imread(str(photo)) for photo in real_photos()[:2])
    backdrop = np.full((1024, 768, 3), 235, dtype=np.uint8)
    for name, image in (("a.png", first), ("b.png", second)):
        scene = backdrop.copy()
        person = cv2.resize(image[100:900, 200:568], (184, 400), interpolation=cv2.INTER_AREA)
        scene[312:712, 292:476] = person
        cv2.imwrite(str(tmp_path / name), scene)
    crop = person_crop(cv2.cvtColor(cv2.imread(str(tmp_path / "a.png")), cv2.COLOR_BGR2RGB))
    assert crop.shape[0] < 0.5 * 1024
    assert _distance(perceptual_hash(str(tmp_path / "a.png")), perceptual_hash(str(tmp_path / "b.png"))) >= 12


def test_the_best_member_of_a_group_is_kept_whatever_the_order() -> None:
    prints = [
        Fingerprint(0b111, 1000),
        Fingerprint(0b0, 2000),
        Fingerprint(0b1, 2000),
        Fingerprint(~0 & 0xFF, 10),
    ]
    scores = {0: 0.9, 1: 0.2, 2: 0.5}
    verdicts, nearest = keep_best(prints, 4, scores.__getitem__)
    assert [v.kept_index if v else None for v in verdicts] == [2, 2, None, None]
    assert [v.distance if v else None for v in verdicts] == [2, 1, None, None]
    assert nearest[2] is None and nearest[3] == 7


def test_a_chain_of_small_edits_cannot_walk_away() -> None:
    prints = [Fingerprint(0, 10), Fingerprint(0b111, 10), Fingerprint(0b111111, 10)]
    verdicts, _ = keep_best(prints, 4, lambda index: -index)
    assert [v.kept_index if v else None for v in verdicts] == [None, 0, None]


def test_no_threshold_keeps_everything_and_nearest_distances_ignore_self() -> None:
    prints = [Fingerprint(0, 10), Fingerprint(1, 10), None]
    verdicts, _ = keep_best(prints, None, lambda index: 0.0)
    assert verdicts == [None, None, None]
    assert nearest_distances([0, 1, 0b111, None]) == [1, 1, 2, None]


def test_unreadable_files_have_no_hash(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not an image")
    assert perceptual_hash(str(broken)) is None


def test_scan_keeps_the_better_photo_and_records_the_distance(tmp_path: Path) -> None:
    photo = real_photos()[0]
    cv2.imwrite(str(tmp_path / "a.jpg"), cv2.resize(cv2.imread(str(photo)), None, fx=0.5, fy=0.5))
    cv2.imwrite(str(tmp_path / "b.jpg"), cv2.imread(str(photo)))
    cv2.imwrite(str(tmp_path / "c.jpg"), cv2.imread(str(real_photos()[1])))
    items = scan_inputs(tmp_path, IngestConfig(), duplicates=DuplicatesQuality(min_hash_distance=11))
    assert [item.rejection.code if item.rejection else None for item in items] == [
        "quality.near_duplicate",
        None,
        None,
    ]
    assert "b.jpg" in items[0].rejection.message
    assert items[0].stats["duplicates.hash_distance"] < 11 <= items[2].stats["duplicates.hash_distance"]
    assert scan_inputs(tmp_path, IngestConfig())[0].rejection is None
