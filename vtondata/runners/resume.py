"""Resuming a build: which chunks are already done, and whether ``OUT`` may be reused at all.

A run starts by calling :func:`prepare_output` with its :class:`Plan`. The
plan is what decides every byte of the output (recipe hash, input set,
category, split, chunk size); if ``OUT/plan.json`` records another plan, the
finished chunks belong to another dataset and mixing them would be silent
corruption, so the run stops with :class:`ResumeMismatch` unless the user
asks to overwrite. Overwriting deletes only files whose names vtondata writes,
and never touches a folder that does not look like a vtondata output.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from vtondata.errors import InputError, ResumeMismatch
from vtondata.output.encode import json_bytes
from vtondata.output.layout import (
    CHUNK_FOLDERS,
    CONFIG_NAME,
    LOGS_DIR,
    TOP_LEVEL_FILES,
    chunk_files,
    index_path,
    is_temporary,
    plan_path,
    shard_path,
    temporary_files,
    write_bytes_atomic,
)
from vtondata.output.shards import read_chunk_record

logger = logging.getLogger(__name__)

PLAN_FORMAT = "vtondata.plan"

_COMPARED = {
    "recipe_sha256": "recipe",
    "inputs_sha256": "input set",
    "category": "category",
    "split": "split",
    "chunk_size": "chunk size",
}
"""Plan fields that decide the output's bytes -> how a person calls them."""


@dataclass(frozen=True)
class Plan:
    """What a build was asked to do; written to ``OUT/plan.json`` before any chunk."""

    recipe_sha256: str
    inputs_sha256: str
    category: str
    split: str
    chunk_size: int
    num_chunks: int
    num_inputs: int
    producer_version: str


def prepare_output(out: Path, plan: Plan, overwrite: bool) -> set[int]:
    """Make ``OUT`` ready for ``plan`` and return the chunk indices that are already complete.

    Raises :class:`ResumeMismatch` when ``OUT`` holds another plan's chunks and
    ``overwrite`` is false, and :class:`InputError` when ``OUT`` is a non-empty
    folder that vtondata did not write (nothing is deleted then).
    """
    if out.exists() and not out.is_dir():
        raise InputError(f"output path {out} exists and is not a folder")
    _refuse_foreign_folder(out)
    previous = read_plan(out)
    if overwrite:
        _remove_outputs(out)
    elif previous is None and chunk_files(out):
        raise ResumeMismatch(
            f"{out} holds chunks but no plan.json, so they cannot be matched to this run; "
            "pass --overwrite to rebuild it"
        )
    elif previous is not None:
        differences = plan_differences(previous, plan)
        if differences:
            raise ResumeMismatch(
                f"{out} was built with a different {', '.join(differences)}; "
                "pass --overwrite to rebuild it from scratch, or choose another output folder"
            )
        if previous.producer_version != plan.producer_version:
            logger.warning(
                "resuming %s written by vtondata %s with vtondata %s",
                out,
                previous.producer_version,
                plan.producer_version,
            )
    for path in temporary_files(out):
        path.unlink()
    out.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(plan_path(out), json_bytes({"format": PLAN_FORMAT, **asdict(plan)}, indent=2) + b"\n")
    return {chunk for chunk in range(plan.num_chunks) if chunk_is_complete(out, plan.split, chunk)}


def read_plan(out: Path) -> Plan | None:
    """The plan recorded in ``OUT/plan.json``, or ``None`` when there is none or it is unreadable."""
    path = plan_path(out)
    if not path.is_file():
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        return Plan(**{item.name: document[item.name] for item in fields(Plan)})
    except (ValueError, KeyError, TypeError):
        logger.warning("ignoring unreadable %s", path)
        return None


def plan_differences(previous: Plan, current: Plan) -> list[str]:
    """Names of the plan properties that differ, phrased for an error message (hashes shortened)."""
    return [
        f"{label} ({_shown(previous, name)} before, {_shown(current, name)} now)"
        for name, label in _COMPARED.items()
        if getattr(previous, name) != getattr(current, name)
    ]


def _shown(plan: Plan, name: str) -> str:
    text = str(getattr(plan, name))
    return text[:12] if name.endswith("_sha256") else text


def chunk_is_complete(out: Path, split: str, chunk: int) -> bool:
    """A chunk is done when its marker exists and its tar and index are there, the tar at full size."""
    record = read_chunk_record(out, split, chunk)
    if record is None:
        return False
    tar = shard_path(out, split, chunk)
    return tar.is_file() and tar.stat().st_size == record.bytes and index_path(out, split, chunk).is_file()


def _refuse_foreign_folder(out: Path) -> None:
    """Stop unless ``OUT`` is missing, empty, or holds a vtondata output."""
    if not out.is_dir() or plan_path(out).is_file():
        return
    ours = set(CHUNK_FOLDERS) | set(TOP_LEVEL_FILES) | {LOGS_DIR}
    foreign = sorted(path.name for path in out.iterdir() if path.name not in ours and not is_temporary(path))
    if foreign:
        shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        raise InputError(
            f"{out} is not empty and is not a vtondata output (found {shown}); "
            "choose an empty or new output folder"
        )


def _remove_outputs(out: Path) -> None:
    """Delete what a previous run wrote, by name; other files (and config.yaml) stay."""
    removed = chunk_files(out) + temporary_files(out)
    removed += [out / name for name in TOP_LEVEL_FILES if name != CONFIG_NAME and (out / name).is_file()]
    for path in removed:
        path.unlink()
    for folder in CHUNK_FOLDERS:
        directory = out / folder
        if directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()
    logger.info("removed %d files of the previous build in %s", len(removed), out)
