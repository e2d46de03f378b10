"""Label tables and parse maps -> named layers, on the VITON-HD sample's image-parse PNGs."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vtondata.geometry.parsing import LABEL_SCHEMES, layer_names, parse_layers, read_label_map

LIP_NECK, LIP_UPPER, LIP_FACE = 10, 5, 13


def _parse_paths(vitonhd_dir: Path) -> list[Path]:
    paths = sorted((vitonhd_dir / "image-parse").glob("*.png"))
    assert len(paths) == 6
    return paths


def test_tables_have_the_published_sizes_and_background_zero() -> None:
    sizes = {name: len(table) for name, table in LABEL_SCHEMES.items()}
    assert sizes == {"lip": 20, "cihp": 20, "atr": 18, "dresscode": 18}
    assert all(table[0] == "background" for table in LABEL_SCHEMES.values())
    assert LABEL_SCHEMES["lip"][10] == "neck" and LABEL_SCHEMES["cihp"][10] == "jumpsuits"
    assert LABEL_SCHEMES["dresscode"][11] == "head" and LABEL_SCHEMES["atr"][11] == "face"


@pytest.mark.parametrize("scheme", sorted(LABEL_SCHEMES))
def test_every_class_feeds_exactly_one_layer(scheme: str) -> None:
    table = LABEL_SCHEMES[scheme]
    labels = np.asarray(sorted(table), dtype=np.uint8).reshape(1, -1)
    layers = parse_layers(labels, scheme)
    assert set(layers) == set(layer_names(scheme))
    parts = np.stack([layer for name, layer in layers.items() if name != "person"])
    assert parts.sum(axis=0).tolist() == [[0] + [1] * (len(table) - 1)]
    assert layers["person"].tolist() == [[False] + [True] * (len(table) - 1)]
    assert ("neck" in layers) == (scheme == "lip")


def test_vitonhd_id_10_is_the_neck_between_face_and_upper_clothes(vitonhd_dir: Path) -> None:
    """Every sample has a small id-10 patch touching both the face and the upper clothes."""
    for path in _parse_paths(vitonhd_dir):
        labels = read_label_map(path)
        neck = labels == LIP_NECK
        assert 0.004 < neck.mean() < 0.012, path.stem
        grown = np.zeros_like(neck)
        rows, cols = np.nonzero(neck)
        grown[np.clip(rows - 2, 0, None), cols] = True
        grown[np.clip(rows + 2, None, labels.shape[0] - 1), cols] = True
        assert np.any(labels[grown] == LIP_FACE) and np.any(labels[grown] == LIP_UPPER), path.stem


def test_vitonhd_layers_are_present_disjoint_and_cover_the_person(vitonhd_dir: Path) -> None:
    for path in _parse_paths(vitonhd_dir):
        layers = parse_layers(read_label_map(path), "lip")
        for name in ("garment_upper", "face", "hair", "neck", "arms"):
            assert layers[name].any(), (path.stem, name)
        parts = {name: layer for name, layer in layers.items() if name != "person"}
        for (a, layer_a), (b, layer_b) in combinations(parts.items(), 2):
            assert not np.any(layer_a & layer_b), (path.stem, a, b)
        assert np.array_equal(np.logical_or.reduce(list(parts.values())), layers["person"]), path.stem


def test_read_label_map_takes_palette_indices_not_colours(vitonhd_dir: Path) -> None:
    path = _parse_paths(vitonhd_dir)[0]
    with Image.open(path) as image:
        assert image.mode == "P"
        indices = np.array(image)
        rgb = np.array(image.convert("RGB"))
    labels = read_label_map(path)
    assert labels.dtype == np.uint8 and labels.shape == (1024, 768)
    assert np.array_equal(labels, indices)
    assert not np.array_equal(labels, rgb[:, :, 0])


def test_read_label_map_reads_greyscale_and_refuses_colour(tmp_path: Path) -> None:
    labels = np.array([[0, 4], [11, 17]], dtype=np.uint8)
    Image.fromarray(labels, mode="L").save(tmp_path / "grey.png")
    assert np.array_equal(read_label_map(tmp_path / "grey.png"), labels)
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(tmp_path / "colour.png")
    with pytest.raises(ValueError, match="carries no label ids"):
        read_label_map(tmp_path / "colour.png")


def test_unknown_ids_and_schemes_are_refused() -> None:
    with pytest.raises(ValueError, match=r"label ids \[19\] are not in the 'atr' scheme"):
        parse_layers(np.array([[0, 19]], np.uint8), "atr")
    with pytest.raises(ValueError, match="unknown label scheme 'pascal'"):
        parse_layers(np.zeros((2, 2), np.uint8), "pascal")
    with pytest.raises(ValueError, match="HxW"):
        parse_layers(np.zeros((2, 2, 3), np.uint8), "lip")


def test_scheme_specific_classes_land_in_their_layers() -> None:
    assert parse_layers(np.array([[10]], np.uint8), "cihp")["garment_dress"].all()
    assert parse_layers(np.array([[11]], np.uint8), "dresscode")["face"].all()
    assert parse_layers(np.array([[7]], np.uint8), "lip")["garment_upper"].all()  # coat
    assert parse_layers(np.array([[8]], np.uint8), "lip")["feet"].all()  # socks
    assert parse_layers(np.array([[16]], np.uint8), "atr")["accessories"].all()  # bag
