"""The notebook entry points of the Python API."""

import cv2
import numpy as np
import pytest

import vtondata
from vtondata.errors import InputError


def test_process_image_runs_every_stage_on_one_photo(persons_dir):
    sample = vtondata.process_image(persons_dir / "model_1.png", "upper", "offline")
    assert sample.accepted, sample.rejection
    assert sample.keypoints_px.shape == (19, 3)
    assert sample.agnostic_mask.shape == (1024, 768) and sample.agnostic_mask.dtype == bool
    assert 0.05 < sample.agnostic_mask.mean() < 0.6
    assert sample.layers["person"][sample.agnostic_mask].mean() > 0.5
    assert {"pose.conf_mean", "mask.area_ratio"} <= set(sample.stats)
    assert sample.files["agnostic_mask.png"][:8] == b"\x89PNG\r\n\x1a\n"


def test_process_image_reports_a_rejection_instead_of_raising(tmp_path):
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((1024, 768, 3), 255, np.uint8))
    sample = vtondata.process_image(blank, "upper", "offline")
    assert not sample.accepted
    assert sample.rejection.code == "pose.no_person"


def test_process_image_refuses_a_missing_file(tmp_path):
    with pytest.raises(InputError, match="not a file"):
        vtondata.process_image(tmp_path / "nope.jpg", "upper", "offline")
