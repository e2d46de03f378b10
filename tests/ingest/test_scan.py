"""scan_inputs: what counts as an input, in which order, under which key, and scan-time rejections."""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path

import pytest

from vtondata.config.ingest import IngestConfig
from vtondata.errors import InputError
from vtondata.ingest.scan import inputs_sha256, make_key, scan_inputs

CONFIG = IngestConfig()


def _write(root: Path, relative: str, data: bytes = b"") -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data or relative.encode())
    return path


def _paths(root: Path, **kwargs) -> list[str]:
    return [item.source_path for item in scan_inputs(root, CONFIG, **kwargs)]


def test_nested_files_sorted_by_relative_path_with_matching_extensions_only(tmp_path):
    for name in ("b.jpg", "a.png", "sub/c.jpeg", "sub/deep/d.webp", "A.JPG", "e.Png", "notes.txt", "f.gif"):
        _write(tmp_path, name)
    assert _paths(tmp_path) == ["A.JPG", "a.png", "b.jpg", "e.Png", "sub/c.jpeg", "sub/deep/d.webp"]


def test_extensions_from_config_match_case_insensitively(tmp_path):
    for name in ("a.jpg", "b.PNG", "c.webp"):
        _write(tmp_path, name)
    config = IngestConfig(extensions=("PNG", ".WebP"))
    assert [item.source_path for item in scan_inputs(tmp_path, config)] == ["b.PNG", "c.webp"]


def test_hidden_files_and_folders_are_skipped(tmp_path):
    for name in ("keep.jpg", ".hidden.jpg", ".cache/x.jpg", "sub/.thumbs/y.jpg", "sub/z.jpg"):
        _write(tmp_path, name)
    assert _paths(tmp_path) == ["keep.jpg", "sub/z.jpg"]


def test_indices_keys_and_limit_applied_after_sorting(tmp_path):
    for name in ("c.jpg", "a.jpg", "b.jpg", "d.jpg"):
        _write(tmp_path, name)
    items = scan_inputs(tmp_path, CONFIG, limit=2)
    assert [(item.index, item.key, item.source_path) for item in items] == [
        (0, "0000000_a", "a.jpg"),
        (1, "0000001_b", "b.jpg"),
    ]
    assert items[0].source_abs == str(tmp_path / "a.jpg")


@pytest.mark.parametrize(
    ("source_path", "key"),
    [
        ("photo.jpg", "0000007_photo"),
        ("sub/my.photo v2 (final).JPG", "0000007_my_photo_v2_final"),
        ("ünïcødé фото.jpg", "0000007_unicde"),
        ("фото.jpg", "0000007_img"),
        ("__--x__.png", "0000007_x"),
        ("Ｆｕｌｌｗｉｄｔｈ.jpg", "0000007_Fullwidth"),
        ("a" * 60 + ".jpg", "0000007_" + "a" * 48),
    ],
)
def test_key_is_dot_free_ascii_slug_of_the_stem(source_path, key):
    assert make_key(7, source_path) == key
    assert "." not in make_key(7, source_path)


def test_unicode_names_are_nfc_and_keys_stay_ascii(tmp_path):
    decomposed = unicodedata.normalize("NFD", "café.jpg")
    _write(tmp_path, f"sub/{decomposed}")
    (item,) = scan_inputs(tmp_path, CONFIG)
    assert item.source_path == unicodedata.normalize("NFC", "sub/café.jpg")
    assert item.key == "0000000_cafe"
    assert Path(item.source_abs).is_file()


def test_sha256_and_size_of_each_file(tmp_path):
    _write(tmp_path, "a.jpg", b"abc")
    (item,) = scan_inputs(tmp_path, CONFIG)
    assert item.sha256 == hashlib.sha256(b"abc").hexdigest()
    assert item.size_bytes == 3
    assert item.rejection is None


def test_later_byte_identical_file_is_a_duplicate_naming_the_first(tmp_path):
    _write(tmp_path, "b.jpg", b"same bytes")
    _write(tmp_path, "z/copy.jpg", b"same bytes")
    _write(tmp_path, "a.jpg", b"other bytes")
    first, original, copy = scan_inputs(tmp_path, CONFIG)
    assert first.rejection is None and original.rejection is None
    assert copy.rejection is not None
    assert copy.rejection.code == "ingest.duplicate"
    assert "b.jpg" in copy.rejection.message
    assert copy.sha256 == original.sha256


def test_zero_byte_files_are_empty_not_duplicates(tmp_path):
    (tmp_path / "a.jpg").write_bytes(b"")
    (tmp_path / "b.jpg").write_bytes(b"")
    items = scan_inputs(tmp_path, CONFIG)
    assert [item.rejection.code for item in items] == ["ingest.empty_file", "ingest.empty_file"]
    assert [item.sha256 for item in items] == [None, None]


def test_file_over_the_byte_limit_is_too_large_unhashed(tmp_path):
    _write(tmp_path, "big.jpg", b"x" * 100)
    _write(tmp_path, "small.jpg", b"x" * 10)
    big, small = scan_inputs(tmp_path, IngestConfig(max_file_bytes=50))
    assert big.rejection.code == "ingest.too_large"
    assert "100 bytes" in big.rejection.message and big.sha256 is None and big.size_bytes == 100
    assert small.rejection is None


def test_symlinked_file_is_followed(tmp_path):
    outside = _write(tmp_path / "elsewhere", "photo.jpg", b"pixels")
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "linked.jpg").symlink_to(outside)
    (item,) = scan_inputs(raw, CONFIG)
    assert item.source_path == "linked.jpg"
    assert item.sha256 == hashlib.sha256(b"pixels").hexdigest()
    assert item.rejection is None


def test_broken_symlink_and_symlink_loop_are_unreadable_items(tmp_path):
    (tmp_path / "broken.jpg").symlink_to(tmp_path / "missing.jpg")
    (tmp_path / "loop.jpg").symlink_to("loop.other")
    (tmp_path / "loop.other").symlink_to("loop.jpg")
    broken, loop = scan_inputs(tmp_path, CONFIG)
    assert (broken.source_path, broken.rejection.code) == ("broken.jpg", "ingest.unreadable")
    assert "broken symbolic link" in broken.rejection.message
    assert (loop.source_path, loop.rejection.code) == ("loop.jpg", "ingest.unreadable")
    assert "loop" in loop.rejection.message


def test_folder_loop_ends_and_each_file_is_listed_once(tmp_path):
    _write(tmp_path, "sub/a.jpg")
    (tmp_path / "sub" / "back").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "sub" / "self").symlink_to(tmp_path / "sub", target_is_directory=True)
    assert _paths(tmp_path) == ["sub/a.jpg"]


def test_symlinked_folder_outside_the_tree_is_followed(tmp_path):
    _write(tmp_path / "elsewhere", "inner/x.jpg")
    raw = tmp_path / "raw"
    _write(raw, "y.jpg")
    (raw / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    assert _paths(raw) == ["linked/inner/x.jpg", "y.jpg"]


def test_symlinked_folder_inside_the_tree_adds_nothing_whatever_its_name(tmp_path):
    _write(tmp_path, "z_real/x.jpg")
    (tmp_path / "a_link").symlink_to(tmp_path / "z_real", target_is_directory=True)
    assert _paths(tmp_path) == ["z_real/x.jpg"]


def test_missing_raw_folder_raises_input_error(tmp_path):
    with pytest.raises(InputError, match="not found"):
        scan_inputs(tmp_path / "nope", CONFIG)


def test_raw_path_that_is_a_file_raises_input_error(tmp_path):
    path = _write(tmp_path, "a.jpg")
    with pytest.raises(InputError, match="not a folder"):
        scan_inputs(path, CONFIG)


def test_inputs_sha256_is_stable_and_sees_content_names_and_additions(tmp_path):
    _write(tmp_path, "a.jpg", b"one")
    _write(tmp_path, "b.jpg", b"two")
    before = inputs_sha256(scan_inputs(tmp_path, CONFIG))
    assert inputs_sha256(scan_inputs(tmp_path, CONFIG)) == before
    _write(tmp_path, "b.jpg", b"changed")
    changed = inputs_sha256(scan_inputs(tmp_path, CONFIG))
    assert changed != before
    _write(tmp_path, "c.jpg", b"three")
    assert inputs_sha256(scan_inputs(tmp_path, CONFIG)) not in {before, changed}
    (tmp_path / "c.jpg").rename(tmp_path / "d.jpg")
    assert inputs_sha256(scan_inputs(tmp_path, CONFIG)) not in {before, changed}
