"""Where everything lives under an output folder ``OUT/``, and how a file reaches its name.

This is the one module that knows file names::

    OUT/
      shards/{split}-{chunk:06d}.tar       WebDataset shard (accepted samples)
      index/{split}-{chunk:06d}.parquet    one row per input of the chunk
      chunks/{split}-{chunk:06d}.json      completion marker, written last
      manifest.json                        the dataset's description
      croissant.json                       the same in MLCommons Croissant 1.0 (output/croissant.py)
      plan.json                            what the run was asked to do (resume check)
      config.yaml                          the resolved recipe
      report.html, report.json             the quality report
      logs/build.log                       library and worker logs of the last build
      .vtondata.lock                       held by the build that is writing OUT (output/lock.py)

Every file is written through :func:`atomic_path`: the bytes go to a hidden
temporary name in the same folder, are flushed to disk, then renamed. A crash
therefore leaves either the complete file or a temporary one, never a
truncated file under its final name; :func:`temporary_files` finds the
leftovers so that a resumed run can delete them. A write that fails for a
reason the user must fix (disk full, read-only folder, no permission) raises
:class:`vtondata.errors.OutputError` naming the file; the cleanup of the
temporary file never hides that error.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from vtondata.errors import OutputError

SHARDS_DIR = "shards"
INDEX_DIR = "index"
CHUNKS_DIR = "chunks"
MANIFEST_NAME = "manifest.json"
PLAN_NAME = "plan.json"
CONFIG_NAME = "config.yaml"
REPORT_HTML_NAME = "report.html"
REPORT_JSON_NAME = "report.json"
CROISSANT_NAME = "croissant.json"
LOGS_DIR = "logs"
BUILD_LOG_NAME = "build.log"
LOCK_NAME = ".vtondata.lock"

CHUNK_FOLDERS: dict[str, str] = {SHARDS_DIR: ".tar", INDEX_DIR: ".parquet", CHUNKS_DIR: ".json"}
"""Per-chunk folder -> suffix of the one file each chunk has there."""

TOP_LEVEL_FILES: tuple[str, ...] = (
    MANIFEST_NAME,
    PLAN_NAME,
    CONFIG_NAME,
    REPORT_HTML_NAME,
    REPORT_JSON_NAME,
    CROISSANT_NAME,
)

_STEM = re.compile(r"^(?P<split>[a-z0-9_]+)-(?P<chunk>\d{6,})$")
_TEMP_SUFFIX = ".tmp"
_TEMPORARY = re.compile(r"^\..+\.[0-9a-f]{8}\.tmp$")
_ERRNO_IN_TEXT = re.compile(r"\[errno (\d+)\]", re.IGNORECASE)
_WRITE_ERRNO_TEXT = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exhausted",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EFBIG: "the file is larger than this file system or process allows",
}


def chunk_stem(split: str, chunk: int) -> str:
    """``"train-000003"``: the shared name of a chunk's shard, index and marker."""
    return f"{split}-{chunk:06d}"


def shard_relpath(split: str, chunk: int) -> str:
    """Shard path relative to ``OUT`` with POSIX separators, as the manifest and index record it."""
    return f"{SHARDS_DIR}/{chunk_stem(split, chunk)}.tar"


def shard_path(out: Path, split: str, chunk: int) -> Path:
    return out / shard_relpath(split, chunk)


def index_path(out: Path, split: str, chunk: int) -> Path:
    return out / INDEX_DIR / f"{chunk_stem(split, chunk)}.parquet"


def marker_path(out: Path, split: str, chunk: int) -> Path:
    return out / CHUNKS_DIR / f"{chunk_stem(split, chunk)}.json"


def manifest_path(out: Path) -> Path:
    return out / MANIFEST_NAME


def croissant_path(out: Path) -> Path:
    return out / CROISSANT_NAME


def plan_path(out: Path) -> Path:
    return out / PLAN_NAME


def config_path(out: Path) -> Path:
    return out / CONFIG_NAME


def build_log_path(out: Path) -> Path:
    return out / LOGS_DIR / BUILD_LOG_NAME


def report_html_path(out: Path) -> Path:
    return out / REPORT_HTML_NAME


def report_json_path(out: Path) -> Path:
    return out / REPORT_JSON_NAME


def parse_chunk_stem(stem: str) -> tuple[str, int] | None:
    """``"train-000003"`` -> ``("train", 3)``; ``None`` for names vtondata does not write."""
    match = _STEM.match(stem)
    if match is None:
        return None
    return match["split"], int(match["chunk"])


def chunk_files(out: Path) -> list[Path]:
    """Existing shard, index and marker files whose names follow the chunk naming rule."""
    found = []
    for folder, suffix in CHUNK_FOLDERS.items():
        directory = out / folder
        if directory.is_dir():
            found += [
                path
                for path in sorted(directory.iterdir())
                if path.is_file() and path.suffix == suffix and parse_chunk_stem(path.stem) is not None
            ]
    return found


def completed_stems(out: Path) -> list[str]:
    """Chunk stems that have a completion marker, sorted."""
    return [path.stem for path in chunk_files(out) if path.parent.name == CHUNKS_DIR]


def is_temporary(path: Path) -> bool:
    """Whether a name is one :func:`atomic_path` gives its temporary files."""
    return _TEMPORARY.match(path.name) is not None


def temporary_files(out: Path) -> list[Path]:
    """Leftovers of interrupted atomic writes, in ``OUT`` and its chunk folders."""
    folders = [out] + [out / name for name in CHUNK_FOLDERS]
    return sorted(
        path
        for folder in folders
        if folder.is_dir()
        for path in folder.iterdir()
        if path.is_file() and is_temporary(path)
    )


@contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``final`` durably.

    The temporary file sits in ``final``'s folder (so the rename is atomic on
    POSIX and Windows) and is removed if the block raises.
    """
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise output_write_error(final.parent, error) from error
    temporary = final.parent / f".{final.name}.{secrets.token_hex(4)}{_TEMP_SUFFIX}"
    try:
        yield temporary
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, final)
    except BaseException as error:
        _discard(temporary)
        if isinstance(error, OSError) and _errno_of(error) in _WRITE_ERRNO_TEXT:
            raise output_write_error(final, error) from error
        raise
    _fsync_folder(final.parent)


def output_write_error(path: Path, error: OSError) -> OutputError:
    """The error a user sees when ``path`` cannot be written: what, where, and what to do."""
    reason = _WRITE_ERRNO_TEXT.get(_errno_of(error), error.strerror or str(error))
    return OutputError(
        f"cannot write {path}: {reason} ({error.strerror or type(error).__name__}); "
        "free space or choose a writable folder"
    )


def _errno_of(error: OSError) -> int:
    """``errno`` of an ``OSError``; pyarrow's I/O errors only say it in their text (``[errno 28]``)."""
    if error.errno:
        return error.errno
    match = _ERRNO_IN_TEXT.search(str(error))
    return int(match[1]) if match else 0


def _discard(temporary: Path) -> None:
    """Remove a temporary file if possible; a failure here must not hide the error being raised."""
    with suppress(OSError):
        temporary.unlink(missing_ok=True)


def write_bytes_atomic(final: Path, data: bytes) -> None:
    with atomic_path(final) as temporary:
        temporary.write_bytes(data)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable; folders cannot be opened this way on Windows."""
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
