"""The bundled JSON Schemas (``schemas/*.schema.json``) that define the output contract.

Schemas are data files, shipped inside the wheel as ``vtondata/schemas`` and
kept at the repository's top level in a source checkout. ``validate`` raises
on the first violation (for writers, where a violation is a bug);
``problems`` lists every violation (for ``verify``, which reports them all).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator


def schemas_dir() -> Path:
    """Where bundled schemas live: inside the wheel, or at the source tree's top level."""
    packaged = Path(__file__).resolve().parent / "schemas"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[1] / "schemas"


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The schema ``schemas/<name>.schema.json`` (``name`` is ``"sample"``, ``"manifest"``, ...)."""
    path = schemas_dir() / f"{name}.schema.json"
    if not path.is_file():
        known = sorted(p.name.removesuffix(".schema.json") for p in schemas_dir().glob("*.schema.json"))
        raise FileNotFoundError(f"no bundled schema '{name}' in {schemas_dir()}; known: {', '.join(known)}")
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return schema


@cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(load_schema(name))


def validate(name: str, instance: Any) -> None:
    """Raise ``jsonschema.ValidationError`` if ``instance`` does not follow schema ``name``."""
    _validator(name).validate(instance)


def problems(name: str, instance: Any) -> list[str]:
    """Every violation of schema ``name`` as ``"<json path>: <message>"``; empty when valid."""
    errors = sorted(_validator(name).iter_errors(instance), key=lambda error: error.json_path)
    return [f"{error.json_path}: {error.message}" for error in errors]
