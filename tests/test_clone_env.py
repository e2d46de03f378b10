"""Each clone's .venv runs that clone's code; the shared cached environment holds only dependencies.

Two copies of this repository get their environments from scripts/ensure-venv.sh
(reusing the installed dependencies: VTONDATA_NO_DEPS_INSTALL makes a missing
one an error instead of a three-minute install), then each must import its own
package, also after the other copy is deleted.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _copy_tracked_files(dest: Path) -> Path:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def _environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return {**env, "VTONDATA_NO_DEPS_INSTALL": "1"}


def _run(args: list[str], cwd: Path) -> str:
    done = subprocess.run(args, cwd=cwd, env=_environment(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _imported_from(clone: Path) -> str:
    probe = "import vtondata; print(vtondata.__file__)"
    return _run([str(clone / ".venv/bin/python"), "-c", probe], Path("/"))


@pytest.mark.slow
def test_two_clones_each_import_their_own_package(tmp_path):
    first = _copy_tracked_files(tmp_path / "first" / "vtondata")
    second = _copy_tracked_files(tmp_path / "second" / "vtondata")
    for clone in (first, second):
        assert _run(["bash", "scripts/ensure-venv.sh"], clone) == str(clone / ".venv")

    for clone in (first, second):
        assert _imported_from(clone) == str(clone / "vtondata" / "__init__.py")
        script = (clone / ".venv/bin/vtondata").read_text().splitlines()[0]
        assert script == f"#!{clone / '.venv/bin/python'}"

    shutil.rmtree(second)
    assert _imported_from(first) == str(first / "vtondata" / "__init__.py")
    assert "build" in _run([str(first / ".venv/bin/vtondata"), "--help"], Path("/"))

    deps_pth = next((first / ".venv/lib").glob("python*/site-packages/_vtondata_deps.pth")).read_text()
    deps_python = Path(deps_pth.split("'")[1]).parents[2] / "bin" / "python"
    probe = "import importlib.util; print(importlib.util.find_spec('vtondata'))"
    assert _run([str(deps_python), "-c", probe], Path("/")) == "None"
