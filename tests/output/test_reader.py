"""``vtondata.open``: the index as a table, accepted samples decoded from their shard, version check."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import vtondata
from tests.output.synthetic import HEIGHT_PX, REJECTED, WIDTH_PX, make_sample
from vtondata.errors import VtonDataError


def test_open_gives_every_input_with_accepted_and_rejected_views(dataset):
    out, _ = dataset
    opened = vtondata.open(out)
    assert len(opened) == 8
    assert opened.table.column("index").to_pylist() == list(range(8))
    assert len(opened.accepted) == 6 and len(opened.rejected) == 2
    assert sorted(opened.rejected.table.column("reason_code").to_pylist()) == sorted(REJECTED.values())
    assert "rows=8 accepted=6 rejected=2" in repr(opened)


def test_to_pandas_flattens_statistics_and_follows_the_view(dataset):
    out, _ = dataset
    frame = vtondata.open(out).rejected.to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert frame["index"].tolist() == sorted(REJECTED)
    expected = {"pose.conf_min", "mask.area_ratio", "timings_s.pose", "source_path", "reason_message"}
    assert expected <= set(frame)
    assert frame["reason_message"].str.startswith("synthetic rejection").all()


def test_sample_decodes_the_arrays_the_encoder_wrote(dataset):
    out, _ = dataset
    record = vtondata.open(out).sample("000003")
    expected = make_sample(3)
    assert record.person.shape == (HEIGHT_PX, WIDTH_PX, 3) and record.person.dtype == np.uint8
    assert record.mask.dtype == bool and np.array_equal(record.mask, expected.agnostic_mask)
    assert np.array_equal(record.garment_mask, expected.layers["garment_upper"])
    assert record.keypoints.shape == (19, 3)
    np.testing.assert_allclose(record.keypoints, expected.keypoints_px, atol=1e-3)
    assert record.meta["key"] == "000003" and record.row["accepted"]
    assert record.row["stats"]["mask.area_ratio"] == 0.5


def test_show_returns_an_image_with_the_mask_tinted(dataset):
    out, _ = dataset
    opened = vtondata.open(out)
    image = opened.show("000003")
    record = opened.sample("000003")
    assert isinstance(image, Image.Image) and image.size == (WIDTH_PX, HEIGHT_PX)
    changed = np.any(np.asarray(image) != record.person, axis=2)
    assert changed[record.mask].mean() > 0.9


def test_rejected_and_unknown_keys_say_why(dataset):
    out, _ = dataset
    opened = vtondata.open(out)
    with pytest.raises(ValueError, match=r"pose\.no_person"):
        opened.sample("000002")
    with pytest.raises(KeyError, match="nope"):
        opened.sample("nope")


def _set_schema_version(out, version):
    path = out / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["schema_version"] = version
    path.write_text(json.dumps(manifest))


def test_a_newer_minor_version_opens(dataset):
    out, _ = dataset
    _set_schema_version(out, "1.7.0")
    assert len(vtondata.open(out)) == 8


def test_a_newer_major_version_is_refused_clearly(dataset):
    out, _ = dataset
    _set_schema_version(out, "2.0.0")
    with pytest.raises(VtonDataError, match=r"schema_version 2\.0\.0, newer than this vtondata reads"):
        vtondata.open(out)


def test_an_older_major_version_is_refused_clearly(dataset):
    out, _ = dataset
    _set_schema_version(out, "0.9.0")
    with pytest.raises(VtonDataError, match=r"schema_version 0\.9\.0, older than this vtondata reads"):
        vtondata.open(out)


def test_a_folder_without_manifest_is_not_a_dataset(tmp_path):
    with pytest.raises(VtonDataError, match=r"manifest\.json is missing"):
        vtondata.open(tmp_path)
