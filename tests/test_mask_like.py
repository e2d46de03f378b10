"""``vtondata mask --like OUT`` and ``Dataset.mask_like``: new photos masked exactly as a dataset was."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

import vtondata
from tests.output.synthetic import REJECTED, encoded_chunk, write_dataset
from vtondata.cli import app
from vtondata.errors import RecipeError, VersionDrift
from vtondata.mask_like import MASK_MEMBERS, backend_drift, mask_recipe_like
from vtondata.output.reader import read_members

PHOTO = "model_1.png"


@pytest.fixture(scope="module")
def built(persons_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, bytes]]:
    """A one-photo dataset built with the offline recipe: (photo, OUT, the sample's shard members)."""
    raw = tmp_path_factory.mktemp("raw")
    shutil.copy(persons_dir / PHOTO, raw / PHOTO)
    out = tmp_path_factory.mktemp("built") / "out"
    result = vtondata.build(raw, out, "upper", "offline", runner="local")
    assert result.accepted == 1, result.by_reason
    row = vtondata.open(out).accepted.table.to_pylist()[0]
    return raw / PHOTO, out, read_members(out / row["shard"], [row["key"]])[row["key"]]


@pytest.mark.slow
def test_mask_like_gives_the_built_dataset_bytes_from_a_path_file_bytes_and_pixels(built) -> None:
    photo, out, members = built
    dataset = vtondata.open(out)
    from_path = dataset.mask_like(photo)
    assert from_path.rejection is None
    for member in MASK_MEMBERS:
        assert from_path.files[member] == members[member], member
    assert from_path.agnostic_mask.dtype == bool and from_path.agnostic_mask.any()
    pixels = np.asarray(Image.open(photo).convert("RGB"))
    from_pixels = dataset.mask_like(pixels)
    assert from_pixels.files["agnostic_mask.png"] == members["agnostic_mask.png"], "PNG pixels are the file"
    from_bytes = dataset.mask_like(photo.read_bytes())
    assert from_bytes.files["agnostic_mask.png"] == members["agnostic_mask.png"]


@pytest.mark.slow
def test_cli_writes_the_members_named_by_the_photo(built, tmp_path: Path, capfd) -> None:
    photo, out, members = built
    dest = tmp_path / "masks"
    capfd.readouterr()
    result = CliRunner().invoke(app, ["mask", str(photo), "--like", str(out), "--output", str(dest)])
    assert result.exit_code == 0, result.output
    log = (dest / "logs" / "mask.log").read_text()
    assert "inference_feedback_manager" in log, "MediaPipe's C++ lines go to the log"
    assert "inference_feedback_manager" not in capfd.readouterr().err
    assert f"library logs: {dest / 'logs' / 'mask.log'}" in result.output
    for member in MASK_MEMBERS:
        assert (dest / f"model_1.{member}").read_bytes() == members[member], member
    again = CliRunner().invoke(app, ["mask", str(photo), "--like", str(out), "--output", str(dest)])
    assert again.exit_code == 3 and "--overwrite" in again.output


@pytest.mark.slow
def test_a_build_describes_itself_in_croissant(built) -> None:
    _, out, _ = built
    assert (out / "croissant.json").is_file()


def test_a_photo_the_stages_refuse_gets_its_reason_and_no_files(tmp_path: Path) -> None:
    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((1024, 768, 3), 255, np.uint8)).save(blank)
    dest = tmp_path / "masks"
    result = CliRunner().invoke(app, ["mask", str(blank), "--pipeline", "offline", "--output", str(dest)])
    assert result.exit_code == 1 and "pose.no_person" in result.output
    assert not list(dest.glob("blank.*")), "no mask files"


def test_an_output_that_is_a_file_stops_before_any_model_loads(tmp_path: Path) -> None:
    photo = tmp_path / "p.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(photo)
    taken = tmp_path / "taken"
    taken.write_text("the user's file")
    result = CliRunner().invoke(app, ["mask", str(photo), "--pipeline", "offline", "--output", str(taken)])
    assert result.exit_code == 7 and "cannot write" in result.output, result.output
    assert taken.read_text() == "the user's file"


@pytest.fixture
def foreign(tmp_path: Path) -> vtondata.Dataset:
    """A dataset whose manifest records fake backends, as another machine's would."""
    out = tmp_path / "out"
    write_dataset(out, [encoded_chunk(range(3), rejected=REJECTED)])
    return vtondata.open(out)


def test_other_backends_than_recorded_stop_with_each_difference(foreign: vtondata.Dataset) -> None:
    with pytest.raises(VersionDrift, match="--allow-version-drift") as stopped:
        mask_recipe_like(foreign)
    assert "pose backend name: recorded fake, installed holistic" in str(stopped.value)
    message = str(stopped.value)
    assert "pose weights weights: recorded sha256 bbbbbbbbbbbb (fake.pt), installed none" in message
    assert stopped.value.exit_code == 4
    allowed = mask_recipe_like(foreign, allow_version_drift=True)
    assert "segment backend name: recorded fake, installed landmarks" in allowed.drift
    assert allowed.category == "upper" and allowed.recipe.name == "offline"


def test_another_vtondata_version_is_drift(foreign: vtondata.Dataset) -> None:
    matching = replace(foreign, manifest={**foreign.manifest, "backends": _installed(foreign)})
    assert mask_recipe_like(matching).drift == []
    older = {**matching.manifest, "producer": {"name": "vtondata", "version": "0.0.9"}}
    with pytest.raises(VersionDrift, match=r"vtondata: dataset built with 0\.0\.9"):
        mask_recipe_like(replace(matching, manifest=older))


def test_a_recipe_that_no_longer_hashes_to_its_record_is_refused(foreign: vtondata.Dataset) -> None:
    recipe = {**foreign.manifest["recipe"], "sha256": "0" * 64}
    with pytest.raises(RecipeError, match="would not draw the same masks"):
        mask_recipe_like(replace(foreign, manifest={**foreign.manifest, "recipe": recipe}))


def test_backend_drift_names_weights_by_role() -> None:
    recorded = {
        "segment": {"name": "sam2", "version": "1.0", "weights": {"checkpoint": {"sha256": "a" * 64}}}
    }
    installed = {
        "segment": {"name": "sam2", "version": "1.0", "weights": {"checkpoint": {"sha256": "c" * 64}}}
    }
    assert backend_drift(recorded, installed) == [
        "segment weights checkpoint: recorded sha256 aaaaaaaaaaaa (unnamed), "
        "installed sha256 cccccccccccc (unnamed)"
    ]
    assert backend_drift(recorded, recorded) == []


def test_cli_wants_exactly_one_of_like_and_pipeline_and_the_dataset_category(foreign, tmp_path: Path) -> None:
    photo = tmp_path / "p.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(photo)
    runner = CliRunner()
    neither = runner.invoke(app, ["mask", str(photo), "--output", str(tmp_path / "m")])
    assert neither.exit_code == 2 and "exactly one" in neither.output
    other = runner.invoke(
        app,
        ["mask", str(photo), "--like", str(foreign.out), "--allow-version-drift", "-c", "lower", "-o", "m"],
    )
    assert other.exit_code == 2 and "draws upper masks" in other.output


def _installed(dataset: vtondata.Dataset) -> dict:
    from vtondata.api import installed_backends

    return installed_backends(mask_recipe_like(dataset, allow_version_drift=True).recipe)


@pytest.mark.slow
def test_tryon_draws_its_mask_on_the_same_path(built) -> None:
    from vtondata.output.format import decode_grey, decode_rgb
    from vtondata.train.tryon import person_and_mask

    photo, out, members = built
    person, mask = person_and_mask(photo, None, mask_recipe_like(vtondata.open(out)))
    assert np.array_equal(mask, decode_grey(members["agnostic_mask.png"]))
    assert np.array_equal(person, decode_rgb(members["person.jpg"]))
