"""Where the bundled recipes live, apart from the recipe models.

Listing recipe names needs only the file system; the CLI builds its help text
from it, so it lives outside :mod:`vtondata.config` (pydantic and every section
model) to keep ``vtondata --help`` fast.
"""

from __future__ import annotations

from pathlib import Path


def pipelines_dir() -> Path:
    """Where bundled recipes live: inside the wheel, or at the source tree's top level."""
    packaged = Path(__file__).resolve().parent / "pipelines"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[1] / "pipelines"


def bundled_recipes() -> list[str]:
    return sorted(path.stem for path in pipelines_dir().glob("*.yaml"))
