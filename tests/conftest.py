"""Shared fixtures: where the shared real data lives, and offline model settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("YOLO_OFFLINE", "1")

REPO_ROOT = Path(__file__).resolve().parents[1]


def _shared_dir() -> Path:
    return Path(os.environ.get("VTONDATA_SHARED", REPO_ROOT.parent / "shared")).resolve()


def require_shared(relative: str) -> Path:
    """Path of a file or folder under shared/: fails under CI when missing, skips elsewhere."""
    path = _shared_dir() / relative
    if not path.exists():
        message = f"shared data missing: {path} (set VTONDATA_SHARED)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return require_shared("")


@pytest.fixture(scope="session")
def vitonhd_dir() -> Path:
    return require_shared("data/vitonhd-sample/datasets/test")


@pytest.fixture(scope="session")
def persons_dir() -> Path:
    return require_shared("data/persons")


@pytest.fixture(scope="session")
def weights_dir() -> Path:
    """The shared weights folder, also exported as VTONDATA_WEIGHTS for the resolver."""
    path = require_shared("weights")
    os.environ.setdefault("VTONDATA_WEIGHTS", str(path))
    return path
