"""Pairing persons with garment photos: pairs file, naming rules, and garments kept out of the inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from vtondata.config.cloth import PairingConfig
from vtondata.config.ingest import IngestConfig
from vtondata.ingest.pairs import is_garment_path, pair_garments
from vtondata.ingest.scan import scan_inputs


def _vitonhd_like(root: Path, vitonhd: Path, pairs: list[tuple[str, str]]) -> Path:
    for folder in ("image", "cloth", "cloth-mask"):
        (root / folder).mkdir(parents=True)
    for person, garment in pairs:
        (root / "image" / person).symlink_to(vitonhd / "image" / person)
        (root / "cloth" / garment).symlink_to(vitonhd / "cloth" / garment)
        (root / "cloth-mask" / garment).symlink_to(vitonhd / "cloth-mask" / garment)
    return root


def _pairs(vitonhd: Path) -> list[tuple[str, str]]:
    lines = (vitonhd.parent / "test_pairs.txt").read_text().split("\n")
    return [tuple(line.split()) for line in lines if line.strip()][:3]


def test_pairs_file_pairs_and_garments_are_not_inputs(tmp_path, vitonhd_dir):
    pairs = _pairs(vitonhd_dir)
    raw = _vitonhd_like(tmp_path / "raw", vitonhd_dir, pairs)
    (raw / "pairs.txt").write_text("# person garment\n" + "".join(f"{p} {g}\n" for p, g in pairs))
    items = scan_inputs(raw, IngestConfig(), pairing=PairingConfig())
    assert [item.source_path for item in items] == sorted(f"image/{p}" for p, _ in pairs)
    by_person = {Path(item.source_path).name: Path(item.cloth_abs).name for item in items}
    assert by_person == dict(pairs)
    assert all(item.rejection is None for item in items)


def test_pairs_file_naming_a_missing_garment_rejects_that_person(tmp_path, vitonhd_dir):
    pairs = _pairs(vitonhd_dir)
    raw = _vitonhd_like(tmp_path / "raw", vitonhd_dir, pairs)
    (raw / "pairs.txt").write_text(f"{pairs[0][0]} nowhere.jpg\n")
    items = scan_inputs(raw, IngestConfig(), pairing=PairingConfig(mode="pairs_file"))
    rejected = {Path(item.source_path).name: item.rejection for item in items if item.rejection}
    assert list(rejected) == [pairs[0][0]]
    assert rejected[pairs[0][0]].code == "cloth.missing_file"
    assert "nowhere.jpg" in rejected[pairs[0][0]].message


def test_naming_rules_sibling_cloth_folder_and_suffix(tmp_path, vitonhd_dir):
    pairs = _pairs(vitonhd_dir)
    raw = tmp_path / "raw"
    (raw / "image").mkdir(parents=True)
    (raw / "cloth").mkdir()
    (raw / "image" / pairs[0][0]).symlink_to(vitonhd_dir / "image" / pairs[0][0])
    (raw / "cloth" / pairs[0][0]).symlink_to(vitonhd_dir / "cloth" / pairs[0][1])
    stem = Path(pairs[1][0]).stem
    (raw / "image" / pairs[1][0]).symlink_to(vitonhd_dir / "image" / pairs[1][0])
    (raw / "image" / f"{stem}_cloth.jpg").symlink_to(vitonhd_dir / "cloth" / pairs[1][1])
    (raw / "image" / pairs[2][0]).symlink_to(vitonhd_dir / "image" / pairs[2][0])
    items = scan_inputs(raw, IngestConfig(), pairing=PairingConfig(mode="naming"))
    cloth = {Path(item.source_path).name: item.cloth_abs for item in items}
    assert set(cloth) == {pairs[0][0], pairs[1][0], pairs[2][0]}
    assert cloth[pairs[0][0]] == str((raw / "cloth" / pairs[0][0]).absolute())
    assert cloth[pairs[1][0]] == str((raw / "image" / f"{stem}_cloth.jpg").absolute())
    assert cloth[pairs[2][0]] is None


def test_mode_off_pairs_nothing_and_excludes_nothing(tmp_path):
    (tmp_path / "cloth").mkdir()
    (tmp_path / "cloth" / "a.jpg").write_bytes(b"x")
    config = PairingConfig(mode="off")
    assert not is_garment_path("cloth/a.jpg", config)
    assert pair_garments(tmp_path, ["cloth/a.jpg"], config).garments == frozenset()


@pytest.mark.parametrize(
    ("path", "garment"),
    [("cloth/a.jpg", True), ("x/cloth-mask/a.jpg", True), ("a_cloth.png", True), ("image/a.jpg", False)],
)
def test_garment_paths_by_name(path, garment):
    assert is_garment_path(path, PairingConfig()) is garment
