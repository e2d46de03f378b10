"""The package face, the CLI and the stage modules import no heavy library.

Each check runs in a fresh interpreter, since this test process has long
imported torch and friends through other tests.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("torch", "ray", "pandas", "pyarrow", "webdataset", "mediapipe", "ultralytics", "sam2")
STAGE_MODULES = [
    "vtondata.stages.ingest",
    "vtondata.stages.pose",
    "vtondata.stages.segment",
    "vtondata.stages.mask",
    "vtondata.stages.quality",
    "vtondata.stages.cloth",
]


def _loaded_after(statement: str) -> set[str]:
    probe = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def _heavy_in(modules: set[str]) -> list[str]:
    return sorted(name for name in HEAVY if name in modules)


def test_import_vtondata_loads_no_torch() -> None:
    loaded = _loaded_after("import vtondata")
    assert "vtondata" in loaded
    assert "torch" not in loaded
    assert _heavy_in(loaded) == []


def test_cli_module_loads_no_heavy_library_nor_numpy() -> None:
    loaded = _loaded_after("import vtondata.cli")
    assert "vtondata.cli" in loaded
    assert _heavy_in(loaded) == []
    # --help needs neither numpy, OpenCV nor the recipe models.
    assert {"numpy", "cv2", "pydantic"}.isdisjoint(loaded)


@pytest.mark.parametrize("module", STAGE_MODULES)
def test_stage_module_loads_no_heavy_library(module: str) -> None:
    loaded = _loaded_after(f"import {module}")
    assert module in loaded
    assert _heavy_in(loaded) == []


def test_public_names_resolve_and_build_path_loads_no_torch() -> None:
    loaded = _loaded_after("from vtondata import build, open, load_recipe, Sample, Category, __version__")
    assert {"vtondata.api", "vtondata.output.reader"} <= loaded
    assert "torch" not in loaded
    assert "ray" not in loaded


def test_unknown_public_name_is_an_attribute_error() -> None:
    import vtondata

    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        vtondata.nothing_here  # noqa: B018
    assert set(vtondata.__all__) <= set(dir(vtondata))
