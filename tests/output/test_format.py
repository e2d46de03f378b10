"""The format module: every member has a codec, and decoding inverts encoding."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from vtondata.output.format import (
    ALL_CATEGORY_MEMBER_SPECS,
    CODECS,
    MEMBER_SPECS,
    category_view,
    decode_member,
    encode_member,
)

STAGES = Path(__file__).resolve().parents[2] / "vtondata" / "stages"


def test_every_member_has_a_codec() -> None:
    assert set(CODECS) == set(MEMBER_SPECS) | set(ALL_CATEGORY_MEMBER_SPECS)


def test_an_all_category_member_decodes_as_its_single_category_member() -> None:
    mask = np.random.default_rng(2).random((11, 7)) > 0.5
    data = encode_member("agnostic_mask.png", mask)
    assert encode_member("agnostic_mask_lower.png", mask) == data
    assert np.array_equal(decode_member("agnostic_mask_upper_lower.png", data), mask)


def test_a_category_view_renames_its_own_members_and_leaves_out_the_others() -> None:
    members = {
        "__key__": "k",
        "person.jpg": b"p",
        "meta.json": b"m",
        "agnostic_mask_upper.png": b"mu",
        "agnostic_upper.jpg": b"au",
        "agnostic_mask_lower.png": b"ml",
        "agnostic_lower.jpg": b"al",
        "parse_lower.png": b"pl",
        "agnostic_mask_upper_lower.png": b"mul",
        "agnostic_upper_lower.jpg": b"aul",
    }
    assert category_view(members, "lower") == {
        "__key__": "k",
        "person.jpg": b"p",
        "meta.json": b"m",
        "agnostic_mask.png": b"ml",
        "agnostic.jpg": b"al",
        "parse.png": b"pl",
    }
    assert category_view(members, "upper_lower") == {
        "__key__": "k",
        "person.jpg": b"p",
        "meta.json": b"m",
        "agnostic_mask.png": b"mul",
        "agnostic.jpg": b"aul",
    }
    assert category_view(members, "dress") is None
    single = {"person.jpg": b"p", "agnostic_mask.png": b"m"}
    assert category_view(single, "lower") is single


@pytest.mark.parametrize("name", ["agnostic_mask.png", "garment_mask.png", "cloth_mask.png"])
def test_binary_masks_round_trip_as_bool(name: str) -> None:
    mask = np.random.default_rng(0).random((37, 23)) > 0.5
    decoded = decode_member(name, encode_member(name, mask))
    assert decoded.dtype == bool and np.array_equal(decoded, mask)


def test_label_map_and_rgb_png_round_trip_exactly() -> None:
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 10, (19, 31), dtype=np.uint8)
    rgb = rng.integers(0, 256, (19, 31, 3), dtype=np.uint8)
    assert np.array_equal(decode_member("parse.png", encode_member("parse.png", labels)), labels)
    assert np.array_equal(decode_member("pose.png", encode_member("pose.png", rgb)), rgb)


def test_jpeg_members_decode_to_rgb_of_the_same_size() -> None:
    rgb = np.full((40, 30, 3), (200, 30, 60), dtype=np.uint8)
    decoded = decode_member("agnostic.jpg", encode_member("agnostic.jpg", rgb))
    assert decoded.shape == rgb.shape and np.abs(decoded.astype(int) - rgb).max() < 8


def test_json_members_round_trip_with_sorted_keys() -> None:
    data = encode_member("meta.json", {"b": 1, "a": [1.5, None]})
    assert data == b'{"a":[1.5,null],"b":1}'
    assert decode_member("meta.json", data) == {"a": [1.5, None], "b": 1}


def test_an_unknown_member_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="not a member of the output format"):
        decode_member("depth.png", b"")


def test_stages_import_nothing_from_output_but_the_format() -> None:
    imported = set()
    for path in STAGES.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("vtondata.output"):
                imported.add((path.name, node.module))
    assert {module for _, module in imported} <= {"vtondata.output.format"}, sorted(imported)
