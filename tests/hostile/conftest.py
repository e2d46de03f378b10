"""A small real dataset with hostile file names, built once per session and copied by tests that change it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.hostile import corpus
from tests.photos import real_photos
from vtondata.cli import app

HOSTILE_STEMS = {
    "space": b"two words",
    "newline": b"line\nbreak",
    "not_utf8": b"caf\xe9",
    "long": b"l" * 240,
}
"""Names of the reference build's inputs: each once broke a build, an export or a re-run."""

BUILD_ARGS = ("-c", "upper", "-p", "offline", "--runner", "local", "--set", "output.chunk_size=2", "-q")


def run_cli(*args: str):
    """The CLI in this process; returns typer's result (exit code, output)."""
    return CliRunner().invoke(app, [str(arg) for arg in args])


def build_cli(raw: Path, out: Path, *extra: str):
    return run_cli("build", raw, out, *BUILD_ARGS, *extra)


def hostile_raw(folder: Path) -> Path:
    """Four real photos under hostile names (see :data:`HOSTILE_STEMS`)."""
    folder.mkdir(parents=True, exist_ok=True)
    for photo, stem in zip(real_photos()[:4], HOSTILE_STEMS.values(), strict=True):
        corpus.raw_file(folder, stem + photo.suffix.encode(), photo.read_bytes())
    return folder


@pytest.fixture(scope="session")
def reference_build(tmp_path_factory) -> tuple[Path, Path]:
    """``(raw, out)`` of a finished offline build of :func:`hostile_raw`; never modify it, copy it."""
    root = tmp_path_factory.mktemp("reference")
    raw, out = hostile_raw(root / "raw"), root / "out"
    result = build_cli(raw, out)
    assert result.exit_code == 0, result.output
    return raw, out


@pytest.fixture
def built(reference_build, tmp_path) -> tuple[Path, Path]:
    """A private copy of the reference build's output, with its raw folder."""
    raw, out = reference_build
    copy = tmp_path / "out"
    shutil.copytree(out, copy, symlinks=True)
    return raw, copy
