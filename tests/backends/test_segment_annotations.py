"""The annotations segment backend on the VITON-HD sample's parse maps and a DressCode-like tree."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.fakes import sample_from_image
from tests.ingest.test_layouts import STEMS, dresscode_tree
from vtondata.backends import build_segment_backend, resolve_backend_weights
from vtondata.backends.base import ImageSource
from vtondata.backends.segment_annotations import AnnotationSegmentBackend, place_label_map
from vtondata.config.segment import AnnotationSegmentConfig
from vtondata.geometry.parsing import parse_layers, read_label_map
from vtondata.ingest.decode import Placement, place
from vtondata.stages.segment import SegmentStage

IDENTITY = place((768, 1024), (768, 1024), "pad")
BLANK = np.zeros((1024, 768, 3), np.uint8)
NO_POSE = np.zeros((19, 3), np.float32)


def _predict(backend: AnnotationSegmentBackend, paths: list[Path], placement: Placement = IDENTITY) -> list:
    sources = [ImageSource(str(path), placement) for path in paths]
    return backend.predict([BLANK] * len(paths), [NO_POSE] * len(paths), sources=sources)


def test_table_builds_it_without_weights() -> None:
    config = AnnotationSegmentConfig(scheme="atr")
    assert isinstance(build_segment_backend(config), AnnotationSegmentBackend)
    assert resolve_backend_weights(config) == {}


def test_vitonhd_parse_maps_become_the_parsed_layers(vitonhd_dir: Path) -> None:
    backend = AnnotationSegmentBackend(AnnotationSegmentConfig(scheme="lip"))
    results = _predict(backend, [vitonhd_dir / "image" / f"{stem}.jpg" for stem in STEMS])
    for stem, result in zip(STEMS, results, strict=True):
        expected = parse_layers(read_label_map(vitonhd_dir / "image-parse" / f"{stem}.png"), "lip")
        assert result.no_annotation is None and set(result.layers) == set(expected)
        for name, layer in expected.items():
            assert np.array_equal(result.layers[name], layer), (stem, name)
        assert result.layers["garment_upper"].any() and result.layers["face"].any()
        assert "hands" not in result.layers


def test_parse_map_follows_the_ingest_placement(vitonhd_dir: Path) -> None:
    """Half size, letterboxed at (100, 40): each layer is the half-size map shifted by the offset."""
    backend = AnnotationSegmentBackend(AnnotationSegmentConfig())
    placement = Placement(scale=0.5, resized_wh=(384, 512), offset_xy=(100, 40))
    [result] = _predict(backend, [vitonhd_dir / "image" / "07445_00.jpg"], placement)
    labels = read_label_map(vitonhd_dir / "image-parse" / "07445_00.png")
    face = result.layers["face"]
    assert face.shape == (1024, 768)
    assert not face[:40].any() and not face[:, :100].any() and not face[552:].any()
    assert np.array_equal(face[40:552, 100:484], (labels == 13)[::2, ::2])


def test_place_label_map_crops_at_negative_offsets() -> None:
    labels = np.arange(16, dtype=np.uint8).reshape(4, 4)
    placement = Placement(scale=1.0, resized_wh=(4, 4), offset_xy=(-1, -2))
    assert place_label_map(labels, placement, (2, 3)).tolist() == [[9, 10, 11], [13, 14, 15]]


def test_aspect_mismatch_means_another_image(vitonhd_dir: Path) -> None:
    placement = Placement(scale=1.0, resized_wh=(768, 768), offset_xy=(0, 128))
    with pytest.raises(ValueError, match="aspect ratios differ"):
        place_label_map(np.zeros((1024, 768), np.uint8), placement, (1024, 768))


def test_dresscode_half_resolution_label_maps_are_upsampled(vitonhd_dir: Path, tmp_path: Path) -> None:
    category = dresscode_tree(vitonhd_dir, tmp_path, half_resolution_maps=True)
    backend = AnnotationSegmentBackend(AnnotationSegmentConfig(scheme="dresscode"))
    results = _predict(backend, [category / "images" / f"{n:06d}_0.jpg" for n in range(1, 7)])
    for stem, result in zip(STEMS, results, strict=True):
        lip = parse_layers(read_label_map(vitonhd_dir / "image-parse" / f"{stem}.png"), "lip")
        for name in ("garment_upper", "face", "arms"):
            layer, truth = result.layers[name], lip[name]
            iou = np.count_nonzero(layer & truth) / np.count_nonzero(layer | truth)
            assert iou > 0.9, (stem, name, iou)


def test_missing_parse_map_is_rejected_by_the_stage(tmp_path: Path) -> None:
    backend = AnnotationSegmentBackend(AnnotationSegmentConfig())
    path = str(tmp_path / "test" / "image" / "missing.jpg")
    [result] = _predict(backend, [Path(path)])
    assert result.layers == {} and result.no_annotation is not None
    assert "no parse map for" in result.no_annotation and "image-parse-v3" in result.no_annotation

    sample = sample_from_image(BLANK)
    sample.source_abs = path
    sample.meta["ingest"] = {"orig_size_wh": [768, 1024], "fit": "pad"}
    SegmentStage(AnnotationSegmentConfig(), backend).process_batch([sample])
    assert sample.rejection is not None and sample.rejection.code == "segment.no_annotation"
    assert sample.layers == {}


def test_sources_must_match_images() -> None:
    backend = AnnotationSegmentBackend(AnnotationSegmentConfig())
    with pytest.raises(ValueError, match="1 images but 0 sources"):
        backend.predict([BLANK], [NO_POSE])
