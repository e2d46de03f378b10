"""Security: no checkpoint runs code, no unbounded decoder, no file from outside RAW, no location out."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image

from tests.conftest import require_shared
from tests.hostile import corpus
from vtondata.backends.pose_yolo import YoloPoseBackend
from vtondata.backends.weights import resolve_weights
from vtondata.config.pose import YoloPoseConfig
from vtondata.errors import WeightsNotFound
from vtondata.sample import Rejection


def test_an_unpinned_yolo_checkpoint_that_runs_code_is_refused_before_unpickling(tmp_path):
    checkpoint, marker = tmp_path / "yolo11n-pose.pt", tmp_path / "pwned"
    corpus.code_running_checkpoint(checkpoint, marker)
    backend = YoloPoseBackend(YoloPoseConfig(weights_sha256=None), resolve_weights(str(checkpoint)), "cpu")
    refused = r"refused before loading: its pickle names '__builtin__\.exec'"
    with pytest.raises(WeightsNotFound, match=refused):
        backend.load()
    assert not marker.exists()


def test_a_build_refuses_a_code_running_checkpoint_before_any_image(tmp_path):
    from tests.hostile.conftest import run_cli

    checkpoint, marker = tmp_path / "yolo11n-pose.pt", tmp_path / "pwned"
    corpus.code_running_checkpoint(checkpoint, marker)
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "person.jpg").write_bytes(corpus.person_jpeg())
    result = run_cli(
        "build", raw, tmp_path / "out", "-c", "upper", "-p", "offline-yolo", "--runner", "local",
        "--set", f"pose.weights={checkpoint}", "--set", "pose.weights_sha256=null",
    )  # fmt: skip
    assert result.exit_code == 4, result.output
    assert "refused before loading" in " ".join(result.output.split())
    assert not marker.exists() and not (tmp_path / "out").exists()


def test_the_official_yolo_release_passes_the_pickle_check():
    from vtondata.backends.pose_yolo import CHECKPOINT_PACKAGES
    from vtondata.backends.safe_pickle import check_model_pickle

    data = require_shared("weights/yolo11n-pose.pt").read_bytes()
    check_model_pickle(data, CHECKPOINT_PACKAGES, "yolo11n-pose.pt")


class _DunderGetattr:
    """Pickles as ``getattr(torch.nn.Module, "__init__")``: the first step of a sandbox escape."""

    def __reduce__(self):
        import torch

        return (getattr, (torch.nn.Module, "__init__"))


class _CallsAModelClass:
    """Pickles as a call of an Ultralytics model class with a config it chooses: that builds what it names."""

    def __reduce__(self):
        from ultralytics.nn.tasks import DetectionModel

        return (DetectionModel, ({"backbone": [[-1, 1, "torch_safe_load", ["other.pt"]]], "head": []},))


@pytest.mark.parametrize("kind", ["dunder getattr", "model class call", "legacy pickle"])
def test_other_unsafe_or_legacy_checkpoints_are_refused(tmp_path, kind):
    import pickle

    import torch

    from vtondata.backends.pose_yolo import CHECKPOINT_PACKAGES
    from vtondata.backends.safe_pickle import check_model_pickle

    path = tmp_path / "model.pt"
    if kind == "dunder getattr":
        torch.save({"model": _DunderGetattr()}, path)
        named = r"getattr\(.*'__init__'\)"
    elif kind == "model class call":
        torch.save({"model": _CallsAModelClass()}, path)
        named = r"a call of 'ultralytics\.nn\.tasks\.DetectionModel'"
    else:
        path.write_bytes(pickle.dumps({"model": 1}))
        named = "not a zip-format"
    with pytest.raises(WeightsNotFound, match=named):
        check_model_pickle(path.read_bytes(), CHECKPOINT_PACKAGES, path.name)


def test_the_near_duplicate_scan_applies_ingests_format_list_and_pixel_bound(tmp_path):
    from vtondata.config.ingest import IngestConfig
    from vtondata.filters.duplicates import perceptual_hash

    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(corpus.huge_png(13_300, 13_300))
    tiff = tmp_path / "renamed.jpg"
    tiff.write_bytes(corpus.tiff_copy(corpus.person_jpeg()))
    started = time.perf_counter()
    assert perceptual_hash(str(bomb), IngestConfig()) is None
    assert perceptual_hash(str(tiff), IngestConfig()) is None
    assert time.perf_counter() - started < 2.0
    assert bomb.stat().st_size < 1_000_000


def test_garment_photos_go_through_the_bounded_decoder(tmp_path):
    from vtondata.config.cloth import ClothConfig
    from vtondata.sample import Category, Sample
    from vtondata.stages.cloth import ClothStage

    garment = tmp_path / "g_cloth.png"
    garment.write_bytes(corpus.huge_png(12_000, 12_000))
    sample = Sample(key="0000000_g", index=0, source_path="g.jpg", category=Category.UPPER, chunk=0)
    sample.cloth_abs = str(garment)
    started = time.perf_counter()
    ClothStage(ClothConfig()).process_batch([sample])
    assert time.perf_counter() - started < 2.0
    assert sample.rejection is not None and sample.rejection.code == "cloth.too_large"
    assert "12000x12000" in sample.rejection.message


@pytest.mark.parametrize("listed", ["../private/x.jpg", "{outside}/x.jpg", "cloth/../../private/x.jpg"])
def test_pairs_file_garments_outside_raw_are_never_read(tmp_path, listed):
    from vtondata.config.cloth import PairingConfig
    from vtondata.ingest.pairs import pair_garments

    raw, private = tmp_path / "raw", tmp_path / "private"
    raw.mkdir()
    private.mkdir()
    (private / "x.jpg").write_bytes(corpus.person_jpeg(seed=9))
    (raw / "person.jpg").write_bytes(corpus.person_jpeg())
    (raw / "pairs.txt").write_text(f"person.jpg {listed.format(outside=private)}\n")
    pairing = pair_garments(raw, ["person.jpg"], PairingConfig(mode="pairs_file"))
    assert pairing.garment_by_person == {}
    assert "outside the raw folder" in pairing.missing["person.jpg"]


def test_a_naming_rule_never_looks_above_raw(tmp_path):
    from vtondata.config.cloth import PairingConfig
    from vtondata.ingest.pairs import pair_garments

    raw = tmp_path / "raw"
    raw.mkdir()
    (tmp_path / "cloth").mkdir()
    (tmp_path / "cloth" / "person.jpg").write_bytes(corpus.person_jpeg(seed=9))
    (raw / "person.jpg").write_bytes(corpus.person_jpeg())
    assert pair_garments(raw, ["person.jpg"], PairingConfig(mode="naming")).garment_by_person == {}


def _decoded(data: bytes, **config):
    from vtondata.config.ingest import IngestConfig
    from vtondata.ingest.decode import decode_person

    decoded = decode_person(data, IngestConfig(**config))
    assert not isinstance(decoded, Rejection), decoded
    return decoded


def test_location_metadata_is_stripped_by_default_and_kept_when_switched_off():
    data = corpus.person_jpeg(exif=corpus.gps_exif())
    stripped = _decoded(data)
    assert stripped.image_bytes != data and stripped.meta["reencoded"] is True
    assert stripped.meta["reencoded_because"] == ["location metadata (ingest.strip_location)"]
    assert not Image.open(io.BytesIO(stripped.image_bytes)).getexif().get_ifd(0x8825)
    assert _decoded(data, strip_location=False).image_bytes == data


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda jpeg: corpus.with_app_segments(jpeg, 20_000_000), "bytes of metadata"),
        (lambda jpeg: jpeg + b"\x00" * 1_000_000, "after the end-of-image marker"),
    ],
)
def test_oversized_metadata_or_trailing_data_is_never_stored(make, reason):
    from vtondata.ingest.jpeg_extras import jpeg_extras

    clean = corpus.person_jpeg()
    assert _decoded(clean).image_bytes == clean
    data = make(clean)
    decoded = _decoded(data)
    assert reason in decoded.meta["reencoded_because"][0]
    assert len(decoded.image_bytes) < len(clean) * 2
    assert jpeg_extras(decoded.image_bytes).trailing_bytes == 0
