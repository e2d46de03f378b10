"""Only ``output/reader.py`` reads a built dataset: no other module opens a tar or the manifest.

Writers are the exceptions the rule allows: ``output/shards.py`` writes tars
(the standard library's ``tarfile``, opened for writing only), ``output/manifest.py`` writes the manifest and
``output/layout.py`` names the files; ``output/object_store.py`` writes an
output in object storage and copies it for the reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "vtondata"
TAR_READERS = {"tarfile", "tar_file_expander", "group_by_keys", "tarfile_to_samples", "WebDataset"}
"""Modules and names that open tars for reading (the standard library's and webdataset's)."""
MANIFEST_NAMES = {"manifest_path", "MANIFEST_NAME", "manifest.json"}
READER = "output/reader.py"
TAR_WRITER = "output/shards.py"
MANIFEST_OWNERS = {READER, "output/layout.py", "output/manifest.py", "output/object_store.py"}


def _names(tree: ast.AST) -> set[str]:
    """Imported modules and names, called functions, the names read, and the manifest's file name as a string.

    A field or variable merely named ``manifest_path`` is not a read; a call of it is.
    """
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {part for alias in node.names for part in alias.name.split(".")}
        elif isinstance(node, ast.ImportFrom):
            found |= set((node.module or "").split(".")) | {alias.name for alias in node.names}
        elif isinstance(node, ast.Call):
            func = node.func
            found.add(func.id if isinstance(func, ast.Name) else getattr(func, "attr", ""))
        elif isinstance(node, ast.Name) and node.id in {"tarfile", "MANIFEST_NAME"}:
            found.add(node.id)
        elif isinstance(node, ast.Attribute) and node.attr in TAR_READERS | {"MANIFEST_NAME"}:
            found.add(node.attr)
        elif isinstance(node, ast.Constant) and node.value in MANIFEST_NAMES:
            found.add(node.value)  # a path spelled out; prose that names a format is not a read
    return found


def _uses() -> dict[str, set[str]]:
    return {
        path.relative_to(PACKAGE).as_posix(): _names(ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def test_only_the_reader_opens_tars() -> None:
    offenders = {
        module: sorted(names & TAR_READERS) for module, names in _uses().items() if names & TAR_READERS
    }
    assert set(offenders) - {TAR_WRITER} == {READER}, offenders


def test_the_shard_writer_opens_tars_for_writing_only() -> None:
    tree = ast.parse((PACKAGE / TAR_WRITER).read_text(encoding="utf-8"))
    opens = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "open"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "tarfile"
    ]
    modes = [keyword.value for call in opens for keyword in call.keywords if keyword.arg == "mode"]
    assert opens and len(modes) == len(opens)
    assert all(isinstance(mode, ast.Constant) and str(mode.value).startswith("w") for mode in modes)


def test_only_the_reader_reads_the_manifest() -> None:
    offenders = {
        module: sorted(names & MANIFEST_NAMES)
        for module, names in _uses().items()
        if names & MANIFEST_NAMES and module not in MANIFEST_OWNERS
    }
    assert offenders == {}


def test_the_check_sees_a_tar_opened_elsewhere() -> None:
    sneaky = "import tarfile\nwith tarfile.open('x.tar') as tar:\n    pass\n"
    assert _names(ast.parse(sneaky)) & TAR_READERS == {"tarfile"}
    assert _names(ast.parse("path = out / 'manifest.json'\n")) & MANIFEST_NAMES == {"manifest.json"}
