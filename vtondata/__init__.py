"""vtondata: photos of dressed people in, virtual try-on training datasets out.

Importing this package loads no model, starts no Ray and imports no torch: the
public names below resolve on first use (PEP 562), so ``vtondata --help`` and
``import vtondata`` start at once; model libraries are imported by the backend
a recipe chooses, Ray by the Ray runner, when a build runs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from vtondata.api import BuildResult, build, process_image
    from vtondata.config import load_recipe
    from vtondata.output.reader import Dataset, SampleRecord, open
    from vtondata.sample import Category, Rejection, Sample

_PUBLIC_HOMES = {
    "BuildResult": "vtondata.api",
    "build": "vtondata.api",
    "process_image": "vtondata.api",
    "load_recipe": "vtondata.config",
    "Dataset": "vtondata.output.reader",
    "SampleRecord": "vtondata.output.reader",
    "open": "vtondata.output.reader",
    "Category": "vtondata.sample",
    "Rejection": "vtondata.sample",
    "Sample": "vtondata.sample",
}

__all__ = [
    "BuildResult",
    "Category",
    "Dataset",
    "Rejection",
    "Sample",
    "SampleRecord",
    "__version__",
    "build",
    "load_recipe",
    "open",
    "process_image",
]


def __getattr__(name: str) -> Any:
    home = _PUBLIC_HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'vtondata' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
