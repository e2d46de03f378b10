"""The command line: help texts, exit codes, and a small real build."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.photos import link_photos, real_photos
from vtondata.cli import app

runner = CliRunner()


def test_build_help_explains_every_option():
    result = runner.invoke(app, ["build", "--help"], env={"COLUMNS": "200", "TERMINAL_WIDTH": "200"})
    assert result.exit_code == 0
    for option in (
        "--category",
        "--pipeline",
        "--workers",
        "--ray-address",
        "--limit",
        "--overwrite",
        "--set",
    ):
        assert option in result.output
    assert "upper" in result.output and "offline" in result.output


def test_missing_raw_folder_exits_3(tmp_path):
    result = runner.invoke(
        app, ["build", str(tmp_path / "nope"), str(tmp_path / "out"), "-c", "upper", "-p", "offline"]
    )
    assert result.exit_code == 3
    assert "nope" in result.output


def test_bad_override_exits_2_with_the_field_named(tmp_path):
    (tmp_path / "raw").mkdir()
    result = runner.invoke(
        app,
        [
            "build",
            str(tmp_path / "raw"),
            str(tmp_path / "out"),
            "-c",
            "upper",
            "-p",
            "offline",
            "--set",
            "output.chunk_size=0",
        ],
    )
    assert result.exit_code == 2
    assert "output.chunk_size" in result.output


def test_unknown_category_is_a_usage_error(tmp_path):
    result = runner.invoke(app, ["build", str(tmp_path), str(tmp_path / "out"), "-c", "shoes"])
    assert result.exit_code == 2


@pytest.mark.slow
def test_build_verify_and_resume_mismatch(tmp_path):
    raw = link_photos(tmp_path / "raw", real_photos()[:3])
    out = tmp_path / "out"
    args = ["build", str(raw), str(out), "-c", "upper", "-p", "offline", "--runner", "local"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "accepted" in first.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["inputs"] == 3

    verified = runner.invoke(app, ["verify", str(out)])
    assert verified.exit_code == 0, verified.output

    changed = runner.invoke(app, [*args, "--set", "mask.min_keypoint_confidence=0.5"])
    assert changed.exit_code == 6
    assert "--overwrite" in changed.output

    replaced = runner.invoke(app, [*args, "--set", "mask.min_keypoint_confidence=0.5", "--overwrite"])
    assert replaced.exit_code == 0, replaced.output


def test_default_recipe_without_sam2_stops_before_processing_and_names_the_way_out(tmp_path, weights_dir):
    raw = link_photos(tmp_path / "raw", real_photos()[:1])
    result = runner.invoke(app, ["build", str(raw), str(tmp_path / "out"), "-c", "upper"])
    assert result.exit_code == 4
    output = " ".join(result.output.split())
    assert "sam2.1_hiera_tiny.pt" in output
    assert "$VTONDATA_WEIGHTS" in output and "download: disabled" in output
    assert "vtondata weights fetch sam2.1_hiera_tiny.pt" in output
    assert "--pipeline offline" in output
    assert not (tmp_path / "out" / "shards").exists()


@pytest.mark.parametrize("option", ["--pipeline", "-p", "--recipe"])
def test_calibrate_takes_the_recipe_as_pipeline_and_still_as_recipe(tmp_path, option):
    result = runner.invoke(app, ["calibrate", str(tmp_path), "-o", str(tmp_path / "r.yaml"), option, "nope"])
    assert result.exit_code == 2
    assert "unknown recipe 'nope'" in result.output


def test_calibrate_help_shows_pipeline_and_hides_the_old_name():
    result = runner.invoke(app, ["calibrate", "--help"], env={"COLUMNS": "200", "TERMINAL_WIDTH": "200"})
    assert "--pipeline" in result.output and "--recipe" not in result.output


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["weights", "check", "--pipeline", "nope"], 2),
        (["export", "{tmp}/none", "{tmp}/dest"], 3),
        (["export", "{tmp}/none", "{tmp}/dest", "--layout", "dresscode"], 2),
        (["report", "{tmp}/none"], 1),
    ],
)
def test_every_command_reports_a_vtondata_error_as_one_line_and_its_exit_code(tmp_path, args, code):
    result = runner.invoke(app, [arg.format(tmp=tmp_path) for arg in args])
    assert result.exit_code == code, result.output
    assert result.output.startswith("error: ") and isinstance(result.exception, SystemExit)
