"""What `vtondata build` shows on the console: progress and summary; library logs only with --verbose."""

import pytest
from typer.testing import CliRunner

from vtondata.cli import app
from vtondata.demo import DEMO_PHOTOS, write_demo_photos


@pytest.fixture(scope="module")
def one_photo(tmp_path_factory):
    raw = tmp_path_factory.mktemp("raw")
    write_demo_photos(raw, (DEMO_PHOTOS[0],))
    return raw


@pytest.mark.slow
@pytest.mark.parametrize("verbose", [False, True])
def test_library_logs_go_to_the_build_log_unless_verbose(one_photo, tmp_path, capfd, verbose):
    out = tmp_path / "out"
    args = ["build", str(one_photo), str(out), "-c", "upper", "-p", "offline"] + (["--verbose"] * verbose)
    result = CliRunner().invoke(app, args, env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    console = result.output + capfd.readouterr().err
    assert "local (auto: 1 inputs < runner.ray_min_inputs 500)" in result.output
    log = out / "logs" / "build.log"
    if verbose:
        assert "Feedback manager" in console
        assert not log.exists() and "library logs" not in result.output
    else:
        assert "Feedback manager" not in console
        assert "Feedback manager" in log.read_text()
        assert f"library logs {log}" in " ".join(result.output.replace("│", " ").split())
