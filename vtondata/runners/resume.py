"""Resuming a build: which chunks are already done, and whether ``OUT`` may be reused at all.

A run starts by calling :func:`prepare_output` with its :class:`Plan`. The
plan is what decides every byte of the output (recipe hash, input set,
category, split, chunk size); if ``OUT/plan.json`` records another plan, the
finished chunks belong to another dataset and mixing them would be silent
corruption, so the run stops with :class:`ResumeMismatch` unless the user
asks to overwrite.

A folder is a vtondata output only when it holds vtondata's own ``plan.json``;
any other non-empty folder is refused, with or without ``--overwrite``, and
nothing in it is touched. Overwriting deletes only what the previous plan
wrote: its chunks' shard, index and marker (by split and chunk count) and the
top-level files, the JSON ones only when they carry vtondata's format name.

Skipping a finished chunk is a promise that its files are intact, so each one
is checked first: the marker must parse, the tar must have the marker's size
and sha256, and the index must be a readable parquet file with one row per
input of the chunk. A chunk that fails is redone (its marker is removed first).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import pyarrow.parquet as pq

from vtondata.errors import InputError, ResumeMismatch
from vtondata.output.format import json_bytes
from vtondata.output.layout import (
    CHUNK_FOLDERS,
    CONFIG_NAME,
    LOCK_NAME,
    LOGS_DIR,
    PLAN_NAME,
    TOP_LEVEL_FILES,
    index_path,
    is_temporary,
    marker_path,
    output_write_error,
    plan_path,
    shard_path,
    temporary_files,
    write_bytes_atomic,
)
from vtondata.output.shards import file_size_and_sha256, read_chunk_record

logger = logging.getLogger(__name__)

PLAN_FORMAT = "vtondata.plan"
NOT_FINISHED = "no completion marker"
"""What a chunk without its completion marker lacks: not a problem, just not built yet."""
_SNIFF_BYTES = 4096

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
    refuse_foreign_folder(out)
    previous = read_plan(out)
    if overwrite and previous is not None:
        _remove_outputs(out, previous)
    elif previous is not None:
        refuse_other_plan(previous, plan, str(out), "output folder")
        if previous.producer_version != plan.producer_version:
            logger.warning(
                "resuming %s written by vtondata %s with vtondata %s",
                out,
                previous.producer_version,
                plan.producer_version,
            )
    try:
        for path in temporary_files(out):
            path.unlink()
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise output_write_error(out, error) from error
    write_bytes_atomic(plan_path(out), json_bytes({"format": PLAN_FORMAT, **asdict(plan)}, indent=2) + b"\n")
    complete = set()
    for chunk in range(plan.num_chunks):
        problem = chunk_problem(out, plan.split, chunk)
        if problem is None:
            complete.add(chunk)
        elif problem != NOT_FINISHED:
            logger.warning("redoing chunk %d of %s: %s", chunk, out, problem)
            marker_path(out, plan.split, chunk).unlink(missing_ok=True)
    return complete


def read_plan(out: Path) -> Plan | None:
    """The plan recorded in ``OUT/plan.json``, or ``None`` when there is none or it is unreadable."""
    path = plan_path(out)
    if not path.is_file():
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("format") != PLAN_FORMAT:
            return None
        return Plan(**{item.name: document[item.name] for item in fields(Plan)})
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        logger.warning("ignoring unreadable %s", path)
        return None


def refuse_other_plan(previous: Plan, plan: Plan, where: str, kind: str) -> None:
    """Raise :class:`ResumeMismatch` when ``where`` (an output ``kind``: folder, location) was built
    under a plan whose output bytes differ from ``plan``'s."""
    differences = plan_differences(previous, plan)
    if differences:
        raise ResumeMismatch(
            f"{where} was built with a different {', '.join(differences)}; "
            f"pass --overwrite to rebuild it from scratch, or choose another {kind}"
        )


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


def chunk_problem(out: Path, split: str, chunk: int) -> str | None:
    """Why a chunk must be (re)done, or ``None`` when its marker, tar and index all check out."""
    record = read_chunk_record(out, split, chunk)
    if record is None:
        return NOT_FINISHED
    tar = shard_path(out, split, chunk)
    if not tar.is_file():
        return f"{tar.name} is missing"
    size, sha256 = file_size_and_sha256(tar)
    if (size, sha256) != (record.bytes, record.sha256):
        return f"{tar.name} does not match its completion marker (size or sha256 changed)"
    index = index_path(out, split, chunk)
    try:
        rows = pq.read_metadata(index).num_rows
    except (OSError, ValueError) as error:
        return f"{index.name} cannot be read ({error})"
    if rows != record.samples:
        return f"{index.name} has {rows} rows, its marker says {record.samples}"
    return None


def refuse_foreign_folder(out: Path) -> None:
    """Stop unless ``OUT`` is missing, empty, or holds vtondata's ``plan.json``; nothing is touched."""
    if out.exists() and not out.is_dir():
        raise InputError(f"output path {out} exists and is not a folder")
    if not out.is_dir() or read_plan(out) is not None:
        return
    ignored = {LOCK_NAME, LOGS_DIR}
    foreign = sorted(
        path.name for path in out.iterdir() if path.name not in ignored and not is_temporary(path)
    )
    if foreign:
        shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        raise InputError(
            f"{out} is not empty and is not a vtondata output (found {shown}; no vtondata plan.json); "
            "nothing was changed: choose an empty or new output folder"
        )


def _remove_outputs(out: Path, previous: Plan) -> None:
    """Delete what ``previous`` wrote: its chunks and vtondata's top-level files; other files stay."""
    removed = [
        path
        for chunk in range(previous.num_chunks)
        for path in (
            shard_path(out, previous.split, chunk),
            index_path(out, previous.split, chunk),
            marker_path(out, previous.split, chunk),
        )
        if path.is_file()
    ]
    removed += temporary_files(out)
    removed += [out / name for name in TOP_LEVEL_FILES if _written_by_vtondata(out / name)]
    for path in removed:
        path.unlink()
    for folder in CHUNK_FOLDERS:
        directory = out / folder
        if directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()
    logger.info("removed %d files of the previous build in %s", len(removed), out)


def _written_by_vtondata(path: Path) -> bool:
    """Top-level files: JSON ones must name vtondata's format (Croissant: the dataset's name starts with
    ``vtondata``); the HTML report must be vtondata's."""
    if not path.is_file() or path.name in (PLAN_NAME, CONFIG_NAME):
        return False
    if path.suffix == ".json":
        try:
            document = json.loads(path.read_bytes())
        except ValueError:
            return False
        if not isinstance(document, dict):
            return False
        written_as = str(document.get("format", document.get("name", "")))
        return written_as.startswith("vtondata")
    with open(path, "rb") as stream:
        return b"<title>vtondata report" in stream.read(_SNIFF_BYTES)
