"""`vtondata demo` (what `make demo` runs) on the sample photos that installed packages ship."""

import hashlib

import pytest
from PIL import Image
from typer.testing import CliRunner

from vtondata.cli import app
from vtondata.demo import DEMO_PHOTOS, DemoPhoto, write_demo_photos
from vtondata.errors import InputError


def _sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_pinned_packages_ship_every_demo_photo(tmp_path):
    written = write_demo_photos(tmp_path)
    assert [photo.name for photo in written] == [photo.name for photo in DEMO_PHOTOS]
    for photo in written:
        target = tmp_path / photo.name
        if photo.crop_xyxy is None:
            assert _sha256(target) == _sha256(photo.source()), "originals are copied byte for byte"
        else:
            left, top, right, bottom = photo.crop_xyxy
            with Image.open(target) as image:
                assert (image.format, image.size) == ("PNG", (right - left, bottom - top))


def test_missing_packages_are_left_out_and_none_at_all_is_an_error(tmp_path):
    absent = DemoPhoto("x.png", "no_such_package_here", "x.png", "none")
    present = DEMO_PHOTOS[-1]
    assert write_demo_photos(tmp_path, (absent, present)) == [present]
    assert sorted(path.name for path in tmp_path.iterdir()) == [present.name]
    with pytest.raises(InputError, match="no sample photo"):
        write_demo_photos(tmp_path / "empty", (absent,))


def test_a_folder_with_other_files_is_refused_and_left_alone(tmp_path):
    (tmp_path / "mine.jpg").write_bytes(b"not ours")
    with pytest.raises(InputError, match=r"mine\.jpg"):
        write_demo_photos(tmp_path)
    assert [path.name for path in tmp_path.iterdir()] == ["mine.jpg"]


@pytest.mark.slow
def test_demo_shows_accepted_and_rejected_photos_and_ends_with_the_report(tmp_path, capfd):
    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--out", str(out)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    output = result.output
    assert "bus-person.png" in output and "accepted" in output
    for rejection in (
        "ingest.too_small",  # the small crop
        "mask.missing_joints",  # portraits: no hips or no arms in the frame
        "pose.no_person",
        "quality.segment_min_person_area_ratio",  # the whole street scene
    ):
        assert rejection in output
    assert "local (auto: 7 inputs" in output
    assert "verify: ok" in output
    assert output.rstrip().splitlines()[-1] == f"report: {out / 'report.html'}"
    assert (out / "report.html").is_file()
    # TensorFlow Lite (in MediaPipe) writes straight to file descriptor 2: the log gets it, not the console.
    assert "Feedback manager" in (out / "logs" / "build.log").read_text()
    assert "Feedback manager" not in output + capfd.readouterr().err
