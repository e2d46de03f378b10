"""An output folder in object storage (``s3://bucket/out``): the same files, written without renames.

Object stores have no rename, but an object appears only once its upload is
complete, under its final name. So each file is first written in full to a
local scratch folder by the same code as a local build
(:func:`vtondata.output.shards.write_chunk`), then uploaded under its final
name; per chunk the order stays tar, index, marker, and **a chunk is complete
exactly when its marker object exists**. A killed worker leaves at most a tar
or an index without a marker: readers ignore it and a resumed build rewrites
it (those names are vtondata's). Before skipping a finished chunk a resumed
build checks that the tar object has the marker's size and that the index's
footer has the marker's row count; ``vtondata verify`` reads every byte.

The rules of a local output hold: a location is a vtondata output only when it
holds vtondata's ``plan.json`` (anything else non-empty is refused and
untouched); ``--overwrite`` deletes only what the previous plan wrote. The
lock is the object ``.vtondata.lock``, created with a conditional write
(``If-None-Match: *``: the store refuses it when the object exists), so two
builds cannot both hold it. As for a local folder, a lock left by a build
that died on this machine (its pid is gone) is taken over; a holder on another
machine cannot be checked from here, so its lock is never taken over: the
message names the holder and the object to delete once that build is gone.

Readers (``verify``, ``report``, ``export``, ...) work on a local copy made by
:func:`local_copy`: the complete chunks and the top-level files, kept in a
cache folder and refreshed by size, so a second read downloads nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from vtondata import schemas
from vtondata.errors import InputError, OutputError
from vtondata.output.format import json_bytes
from vtondata.output.layout import (
    CHUNKS_DIR,
    CONFIG_NAME,
    CROISSANT_NAME,
    INDEX_DIR,
    LOCK_NAME,
    LOGS_DIR,
    MANIFEST_NAME,
    PLAN_NAME,
    REPORT_HTML_NAME,
    REPORT_JSON_NAME,
    SHARDS_DIR,
    chunk_stem,
    parse_chunk_stem,
)
from vtondata.output.lock import LockHolder, is_stale
from vtondata.output.shards import ChunkRecord, write_chunk
from vtondata.runners.resume import NOT_FINISHED, PLAN_FORMAT, Plan, refuse_other_plan
from vtondata.sample import Sample
from vtondata.storage import Location, locate

logger = logging.getLogger(__name__)

_CACHE_ENV = "VTONDATA_CACHE"
_TOP_LEVEL = (PLAN_NAME, CONFIG_NAME, MANIFEST_NAME, REPORT_JSON_NAME, REPORT_HTML_NAME)


def _relpaths(split: str, chunk: int) -> tuple[str, str, str]:
    """Tar, index and marker of a chunk, relative to the output root, in write order."""
    stem = chunk_stem(split, chunk)
    return f"{SHARDS_DIR}/{stem}.tar", f"{INDEX_DIR}/{stem}.parquet", f"{CHUNKS_DIR}/{stem}.json"


def _read_json(location: Location, relative: str) -> Any:
    try:
        return json.loads(location.fs.cat_file(location.path(relative)))
    except FileNotFoundError:
        return None
    except ValueError:
        logger.warning("ignoring unreadable %s", location.url_of(relative))
        return None


def read_remote_plan(location: Location) -> Plan | None:
    """The plan in ``plan.json``, or ``None`` when there is none or it is not vtondata's."""
    document = _read_json(location, PLAN_NAME)
    if not isinstance(document, dict) or document.get("format") != PLAN_FORMAT:
        return None
    try:
        return Plan(**{item.name: document[item.name] for item in fields(Plan)})
    except (KeyError, TypeError):
        return None


def read_remote_record(location: Location, split: str, chunk: int) -> ChunkRecord | None:
    """The chunk's marker, or ``None`` when it has none or it cannot be read (the chunk is redone)."""
    document = _read_json(location, _relpaths(split, chunk)[2])
    try:
        return ChunkRecord(**document) if isinstance(document, dict) else None
    except TypeError:
        return None


def refuse_foreign_location(location: Location) -> None:
    """Stop unless the location is empty or holds vtondata's ``plan.json``; nothing is touched."""
    if read_remote_plan(location) is not None:
        return
    try:
        entries = location.fs.ls(location.root, detail=False, refresh=True)
    except FileNotFoundError:
        return
    names = sorted(path.rstrip("/").rsplit("/", 1)[-1] for path in entries)
    foreign = [name for name in names if name not in (LOCK_NAME, LOGS_DIR)]
    if foreign:
        shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        raise InputError(
            f"{location.url} is not empty and is not a vtondata output (found {shown}; no vtondata "
            "plan.json); nothing was changed: choose an empty or new output location"
        )


@contextmanager
def remote_lock(location: Location) -> Iterator[None]:
    """Hold ``.vtondata.lock`` for the block; :class:`OutputError` when another live build holds it.

    A lock left by a build that died on this machine (same host, pid gone) is taken over, as for
    a local folder (:func:`vtondata.output.lock.is_stale`).
    """
    me = LockHolder(os.getpid(), socket.gethostname(), datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    if not _create_lock(location, me):
        holder = _lock_holder(location)
        if holder is None or not is_stale(holder):
            shown = holder.describe() if holder is not None else "holder unreadable"
            raise OutputError(
                f"{location.url} is in use by another build ({shown}); wait for it to finish, "
                f"or delete {location.url_of(LOCK_NAME)} if that build is gone"
            )
        location.fs.rm_file(location.path(LOCK_NAME))
        if not _create_lock(location, me):
            raise OutputError(f"{location.url} is in use by another build that started just now; try again")
    try:
        yield
    finally:
        if _lock_holder(location) == me:
            location.fs.rm_file(location.path(LOCK_NAME))


def _create_lock(location: Location, holder: LockHolder) -> bool:
    """Create the lock object only if there is none (a conditional write); ``False`` when it exists."""
    try:
        location.fs.pipe_file(location.path(LOCK_NAME), json.dumps(asdict(holder)).encode(), mode="create")
    except FileExistsError:
        return False
    return True


def _lock_holder(location: Location) -> LockHolder | None:
    document = _read_json(location, LOCK_NAME)
    try:
        return LockHolder(int(document["pid"]), str(document["host"]), str(document["started_utc"]))
    except (KeyError, TypeError, ValueError):
        return None


def prepare_location(location: Location, plan: Plan, overwrite: bool) -> set[int]:
    """The object-store twin of :func:`vtondata.runners.resume.prepare_output`: the complete chunks."""
    refuse_foreign_location(location)
    previous = read_remote_plan(location)
    if overwrite and previous is not None:
        _remove_outputs(location, previous)
    elif previous is not None:
        refuse_other_plan(previous, plan, location.url, "output location")
    location.fs.pipe_file(
        location.path(PLAN_NAME), json_bytes({"format": PLAN_FORMAT, **asdict(plan)}, indent=2) + b"\n"
    )
    location.fs.invalidate_cache()
    complete = set()
    for chunk in range(plan.num_chunks):
        problem = remote_chunk_problem(location, plan.split, chunk)
        if problem is None:
            complete.add(chunk)
        elif problem != NOT_FINISHED:
            logger.warning("redoing chunk %d of %s: %s", chunk, location.url, problem)
            location.fs.rm_file(location.path(_relpaths(plan.split, chunk)[2]))
    return complete


def remote_chunk_problem(location: Location, split: str, chunk: int) -> str | None:
    """Why a chunk must be (re)done, or ``None`` when its marker, tar size and index rows agree."""
    record = read_remote_record(location, split, chunk)
    if record is None:
        return NOT_FINISHED
    tar, index, _ = _relpaths(split, chunk)
    try:
        size = location.fs.info(location.path(tar))["size"]
    except FileNotFoundError:
        return f"{tar} is missing"
    if size != record.bytes:
        return f"{tar} has {size} bytes, its marker says {record.bytes}"
    try:
        with location.fs.open(location.path(index), "rb") as stream:
            rows = pq.read_metadata(stream).num_rows
    except (OSError, ValueError) as error:
        return f"{index} cannot be read ({error})"
    if rows != record.samples:
        return f"{index} has {rows} rows, its marker says {record.samples}"
    return None


def _remove_outputs(location: Location, previous: Plan) -> None:
    """Delete what ``previous`` wrote: its chunks and vtondata's top-level files; other objects stay."""
    doomed = [
        location.path(relative)
        for chunk in range(previous.num_chunks)
        for relative in _relpaths(previous.split, chunk)
    ]
    for name in (MANIFEST_NAME, REPORT_JSON_NAME):
        document = _read_json(location, name)
        if isinstance(document, dict) and str(document.get("format", "")).startswith("vtondata"):
            doomed.append(location.path(name))
    croissant = _read_json(location, CROISSANT_NAME)
    if isinstance(croissant, dict) and str(croissant.get("name", "")).startswith("vtondata"):
        doomed.append(location.path(CROISSANT_NAME))
    try:
        head = location.fs.cat_file(location.path(REPORT_HTML_NAME), start=0, end=4096)
        if b"<title>vtondata report" in head:
            doomed.append(location.path(REPORT_HTML_NAME))
    except FileNotFoundError:
        pass
    existing = [path for path in doomed if location.fs.exists(path)]
    if existing:
        location.fs.rm(existing)
    logger.info("removed %d objects of the previous build in %s", len(existing), location.url)


@dataclass(frozen=True)
class RemoteChunkWriter:
    """Writes one chunk to the output location from wherever it is called (picklable: a Ray worker).

    The files are made in a scratch folder by the local writer, then uploaded
    tar, index, marker; the scratch folder is removed whatever happens.
    """

    url: str
    split: str

    def __call__(self, chunk: int, samples: list[Sample]) -> ChunkRecord:
        location = locate(self.url)
        scratch = Path(tempfile.mkdtemp(prefix="vtondata-chunk-"))
        try:
            record = write_chunk(scratch, self.split, chunk, samples)
            for relative in _relpaths(self.split, chunk):
                try:
                    location.fs.put_file(str(scratch / relative), location.path(relative))
                except OSError as error:
                    raise OutputError(f"cannot write {location.url_of(relative)}: {error}") from error
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        return record


def put_bytes(location: Location, relative: str, data: bytes) -> None:
    """One top-level file (``config.yaml``, ``manifest.json``), uploaded whole."""
    try:
        location.fs.pipe_file(location.path(relative), data)
    except OSError as error:
        raise OutputError(f"cannot write {location.url_of(relative)}: {error}") from error


def put_manifest(location: Location, manifest: dict[str, Any]) -> str:
    """Validate and upload ``manifest.json``, the last file of a build; its URL."""
    schemas.validate("manifest", manifest)
    put_bytes(location, MANIFEST_NAME, json_bytes(manifest, indent=2) + b"\n")
    return location.url_of(MANIFEST_NAME)


def upload_files(location: Location, folder: Path, names: tuple[str, ...]) -> None:
    """Upload the named files of a local folder that exist (the report's two files)."""
    for name in names:
        if (folder / name).is_file():
            location.fs.put_file(str(folder / name), location.path(name))


def local_copy(url: str) -> Path:
    """A local folder holding the output at ``url``: top-level files and every chunk that has a marker.

    The copy lives under ``$VTONDATA_CACHE`` (default ``~/.cache/vtondata/outputs``), one folder per
    URL; a file already copied at the object's version (ETag, else size) is not downloaded again,
    and files the location no longer has complete are removed from the copy.
    """
    location = locate(url)
    cache_root = Path(os.environ.get(_CACHE_ENV, Path.home() / ".cache" / "vtondata")) / "outputs"
    folder = cache_root / hashlib.sha256(location.url.encode()).hexdigest()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "SOURCE").write_text(location.url + "\n", encoding="utf-8")
    location.fs.invalidate_cache()
    try:
        listing = location.fs.find(location.root, detail=True)
    except FileNotFoundError:
        listing = {}
    if not listing:
        raise InputError(f"no dataset at {url} (nothing there)")
    versions = {
        path[len(location.root) :].lstrip("/"): str(info.get("ETag") or info.get("etag") or info.get("size"))
        for path, info in listing.items()
    }
    wanted = [name for name in _TOP_LEVEL if name in versions]
    for relative in versions:
        folder_name, _, name = relative.partition("/")
        if folder_name == CHUNKS_DIR and name.endswith(".json"):
            parsed = parse_chunk_stem(name[: -len(".json")])
            if parsed is not None:
                wanted += [path for path in _relpaths(*parsed) if path in versions]
    _remove_stale(folder, set(wanted))
    copied_file = folder / ".versions.json"
    copied = json.loads(copied_file.read_text()) if copied_file.is_file() else {}
    for relative in wanted:
        target = folder / relative
        if target.is_file() and copied.get(relative) == versions[relative]:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        location.fs.get_file(location.path(relative), str(target))
        copied[relative] = versions[relative]
    copied_file.write_text(json.dumps({name: copied[name] for name in wanted}), encoding="utf-8")
    return folder


def _remove_stale(folder: Path, wanted: set[str]) -> None:
    """Drop chunk files and top-level files from the copy that the location no longer has complete."""
    for directory in (SHARDS_DIR, INDEX_DIR, CHUNKS_DIR):
        for path in (folder / directory).glob("*") if (folder / directory).is_dir() else []:
            if f"{directory}/{path.name}" not in wanted:
                path.unlink()
    for name in _TOP_LEVEL:
        if name not in wanted and (folder / name).is_file():
            (folder / name).unlink()
