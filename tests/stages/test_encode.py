"""The encode stage: every member present, in its documented format, deterministic to the byte."""

from __future__ import annotations

import json

import cv2
import numpy as np

from tests.output.synthetic import HEIGHT_PX, WIDTH_PX, make_sample
from vtondata import schemas
from vtondata.config.output import OutputConfig
from vtondata.geometry.agnostic import masked_person
from vtondata.geometry.keypoints import CANONICAL_NAMES, openpose_json
from vtondata.geometry.skeleton import render_skeleton
from vtondata.output.format import MEMBER_SPECS, REQUIRED_MEMBERS
from vtondata.sample import Sample
from vtondata.stages.encode import EncodeStage


def encode(sample: Sample, config: OutputConfig | None = None) -> Sample:
    return EncodeStage(config or OutputConfig()).process_batch([sample])[0]


def decode(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_UNCHANGED)


def test_every_member_is_specified_and_required_ones_are_present() -> None:
    files = encode(make_sample(0)).files
    assert set(files) == set(REQUIRED_MEMBERS) | {"garment_mask.png"}
    assert set(files) <= set(MEMBER_SPECS)
    assert "garment_mask.png" not in encode(make_sample(1, garment=False)).files


def test_person_jpg_is_the_stored_bytes_untouched() -> None:
    sample = make_sample(3)
    assert encode(sample).files["person.jpg"] is sample.person_jpg


def test_agnostic_mask_is_single_channel_255_where_repaint() -> None:
    sample = make_sample(4)
    mask = decode(encode(sample).files["agnostic_mask.png"])
    assert mask.dtype == np.uint8 and mask.shape == (HEIGHT_PX, WIDTH_PX)
    assert set(np.unique(mask).tolist()) == {0, 255}
    np.testing.assert_array_equal(mask // 255 == 1, sample.agnostic_mask)


def test_garment_mask_follows_the_category_layer() -> None:
    sample = make_sample(5)
    garment = decode(encode(sample).files["garment_mask.png"])
    np.testing.assert_array_equal(garment == 255, sample.layers["garment_upper"])


def test_agnostic_jpg_is_the_masked_person_at_quality_95() -> None:
    grey = (10, 200, 30)
    sample = make_sample(6)
    ramp = np.linspace(0, 255, WIDTH_PX, dtype=np.uint8)
    smooth_bgr = np.dstack([np.tile(ramp, (HEIGHT_PX, 1))] * 3)
    sample.person_jpg = cv2.imencode(".jpg", smooth_bgr, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()
    sample.agnostic_mask = np.zeros((HEIGHT_PX, WIDTH_PX), dtype=bool)
    sample.agnostic_mask[16:48, 8:40] = True
    files = encode(sample, OutputConfig(agnostic_grey_rgb=grey)).files
    expected = masked_person(sample.image_rgb(), sample.agnostic_mask, grey)
    decoded = cv2.cvtColor(decode(files["agnostic.jpg"]), cv2.COLOR_BGR2RGB)
    assert decoded.shape == expected.shape
    assert np.abs(decoded.astype(int) - expected.astype(int)).mean() < 4
    inner = decoded[20:44, 12:36].reshape(-1, 3).mean(axis=0)
    np.testing.assert_allclose(inner, grey, atol=4)


def test_pose_json_holds_canonical_and_openpose_layouts() -> None:
    sample = make_sample(7)
    pose = json.loads(encode(sample).files["pose.json"])
    assert pose["format"] == "vtondata.pose"
    assert pose["image_size"] == {"width_px": WIDTH_PX, "height_px": HEIGHT_PX}
    assert pose["canonical"]["names"] == list(CANONICAL_NAMES)
    np.testing.assert_allclose(pose["canonical"]["keypoints_px"], sample.keypoints_px, atol=1e-3)
    assert pose["openpose_body25"] == json.loads(json.dumps(openpose_json(sample.keypoints_px)))


def test_pose_png_is_the_rendered_skeleton() -> None:
    sample = make_sample(8)
    rendered = render_skeleton(sample.keypoints_px, WIDTH_PX, HEIGHT_PX)
    decoded = cv2.cvtColor(decode(encode(sample).files["pose.png"]), cv2.COLOR_BGR2RGB)
    np.testing.assert_array_equal(decoded, rendered)


def test_meta_json_validates_and_holds_nothing_time_dependent() -> None:
    sample = make_sample(9)
    meta = json.loads(encode(sample).files["meta.json"])
    assert schemas.problems("sample", meta) == []
    assert meta["key"] == "000009" and meta["index"] == 9 and meta["category"] == "upper"
    assert meta["source_sha256"] == sample.source_sha256
    assert meta["stages"]["pose"] == {"backend": "fake", "score": 0.875, "box_xyxy": [1.5, 2.0, None, 9.0]}
    assert meta["stats"]["image.blur"] is None
    assert meta["stats"]["mask.area_ratio"] == 0.5
    assert "timings_s" not in json.dumps(meta) and "0.01" not in json.dumps(meta["stats"])


def test_encoding_is_byte_deterministic() -> None:
    first, second = encode(make_sample(10)).files, encode(make_sample(10)).files
    assert first == second
    assert (
        first["meta.json"]
        == json.dumps(json.loads(first["meta.json"]), sort_keys=True, separators=(",", ":")).encode()
    )


def test_timings_do_not_reach_the_members() -> None:
    slow = make_sample(11)
    slow.timings_s = {"pose": 123.0}
    assert encode(slow).files == encode(make_sample(11)).files


def test_missing_mask_is_a_rejection_not_a_crash() -> None:
    sample = make_sample(12)
    sample.agnostic_mask = None
    encode(sample)
    assert sample.rejection is not None and sample.rejection.code == "encode.missing_output"
    assert "agnostic mask" in sample.rejection.message
    assert sample.files == {}


def test_mask_of_another_size_is_rejected() -> None:
    sample = make_sample(13)
    sample.agnostic_mask = np.zeros((HEIGHT_PX + 1, WIDTH_PX), dtype=bool)
    encode(sample)
    assert sample.rejection is not None and sample.rejection.code == "encode.size_mismatch"


def test_person_bytes_that_are_not_jpeg_are_rejected() -> None:
    sample = make_sample(14)
    ok, png = cv2.imencode(".png", sample.image_rgb())
    assert ok
    sample.person_jpg = png.tobytes()
    encode(sample)
    assert sample.rejection is not None and sample.rejection.code == "encode.not_jpeg"
