"""docs/notebook.ipynb runs top to bottom on the shared photos (build, open, show, rejections)."""

from __future__ import annotations

import nbformat
import pytest
from jupyter_client.kernelspec import NATIVE_KERNEL_NAME
from nbclient import NotebookClient

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow


def test_notebook_runs_top_to_bottom(shared_dir, weights_dir, tmp_path, monkeypatch):
    # The "python3" kernel is ipykernel's own spec, launched with this interpreter:
    # no kernelspec has to be installed for the test to find it.
    monkeypatch.setenv("VTONDATA_SHARED", str(shared_dir))
    monkeypatch.setenv("VTONDATA_WEIGHTS", str(weights_dir))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    notebook = nbformat.read(REPO_ROOT / "docs" / "notebook.ipynb", as_version=4)
    client = NotebookClient(
        notebook,
        kernel_name=NATIVE_KERNEL_NAME,
        timeout=300,
        resources={"metadata": {"path": str(REPO_ROOT / "docs")}},
    )
    client.execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    text = "\n".join(
        str(output.get("text", "")) + str(output.get("data", {}).get("text/plain", "")) for output in outputs
    )
    assert "4 inputs:" in text
    assert "ingest.truncated" in text
    assert any("image/png" in output.get("data", {}) for output in outputs), "show() displays an image"
