"""Where a build writes: a local folder or an object-store location, behind one small interface.

``vtondata.api.build`` asks its destination to refuse a foreign output, hold
the lock, check the plan (returning the finished chunks), write the resolved
recipe, hand out the chunk writer the runner calls, and write the manifest and
report last. :class:`FolderOutput` is the local behaviour
(:mod:`vtondata.output.layout`, :mod:`vtondata.runners.resume`);
:class:`ObjectStoreOutput` is the same contract without renames
(:mod:`vtondata.output.object_store`). The chunk writer is a plain picklable
callable, so a runner may call it inside the worker that built the chunk.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from vtondata.output.layout import (
    CONFIG_NAME,
    CROISSANT_NAME,
    REPORT_HTML_NAME,
    REPORT_JSON_NAME,
    config_path,
    write_bytes_atomic,
)
from vtondata.output.shards import ChunkRecord, read_chunk_record, write_chunk
from vtondata.runners.base import ChunkWriter
from vtondata.runners.resume import Plan
from vtondata.sample import Sample
from vtondata.storage import is_url


class Destination(Protocol):
    """What a build needs from the place it writes to."""

    where: str

    def refuse_foreign(self) -> None: ...
    def lock(self) -> contextlib.AbstractContextManager[Any]: ...
    def prepare(self, plan: Plan, overwrite: bool) -> set[int]: ...
    def write_config(self, data: bytes) -> None: ...
    def chunk_writer(self, split: str) -> ChunkWriter: ...
    def read_records(self, split: str, chunks: Sequence[int]) -> list[ChunkRecord | None]: ...
    def write_manifest(self, manifest: dict[str, Any]) -> str: ...
    def write_report(self, raw: str | Path | None) -> str: ...


def destination_for(out: str | Path) -> Destination:
    """The destination of ``out``: object storage for a URL, else a local folder."""
    if is_url(out):
        return ObjectStoreOutput(str(out))
    return FolderOutput(Path(out))


@dataclass(frozen=True)
class _FolderChunkWriter:
    out: Path
    split: str

    def __call__(self, chunk: int, samples: list[Sample]) -> ChunkRecord:
        return write_chunk(self.out, self.split, chunk, samples)


class FolderOutput:
    """A local output folder: atomic renames, ``O_EXCL`` lock (docs/format.md)."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.where = str(out)

    def refuse_foreign(self) -> None:
        from vtondata.runners.resume import refuse_foreign_folder

        refuse_foreign_folder(self.out)

    def lock(self) -> contextlib.AbstractContextManager[Any]:
        from vtondata.output.lock import output_lock

        return output_lock(self.out)

    def prepare(self, plan: Plan, overwrite: bool) -> set[int]:
        from vtondata.runners.resume import prepare_output

        return prepare_output(self.out, plan, overwrite)

    def write_config(self, data: bytes) -> None:
        write_bytes_atomic(config_path(self.out), data)

    def chunk_writer(self, split: str) -> ChunkWriter:
        return _FolderChunkWriter(self.out, split)

    def read_records(self, split: str, chunks: Sequence[int]) -> list[ChunkRecord | None]:
        return [read_chunk_record(self.out, split, chunk) for chunk in chunks]

    def write_manifest(self, manifest: dict[str, Any]) -> str:
        """The manifest, then ``croissant.json``, which describes what the manifest lists."""
        from vtondata.output.croissant import write_croissant
        from vtondata.output.manifest import write_manifest

        written = write_manifest(self.out, manifest)
        write_croissant(self.out)
        return str(written)

    def write_report(self, raw: str | Path | None) -> str:
        from vtondata.report import write_report  # scikit-learn loads only when a build gets this far

        write_report(self.out, None if raw is None or is_url(raw) else raw)
        return str(self.out / REPORT_HTML_NAME)


class ObjectStoreOutput:
    """An output location in object storage (docs/cluster.md, :mod:`vtondata.output.object_store`)."""

    def __init__(self, url: str) -> None:
        from vtondata.storage import locate

        self.location = locate(url)
        self.where = self.location.url

    def refuse_foreign(self) -> None:
        from vtondata.output.object_store import refuse_foreign_location

        refuse_foreign_location(self.location)

    def lock(self) -> contextlib.AbstractContextManager[Any]:
        from vtondata.output.object_store import remote_lock

        return remote_lock(self.location)

    def prepare(self, plan: Plan, overwrite: bool) -> set[int]:
        from vtondata.output.object_store import prepare_location

        return prepare_location(self.location, plan, overwrite)

    def write_config(self, data: bytes) -> None:
        from vtondata.output.object_store import put_bytes

        put_bytes(self.location, CONFIG_NAME, data)

    def chunk_writer(self, split: str) -> ChunkWriter:
        from vtondata.output.object_store import RemoteChunkWriter

        return RemoteChunkWriter(self.location.url, split)

    def read_records(self, split: str, chunks: Sequence[int]) -> list[ChunkRecord | None]:
        from vtondata.output.object_store import read_remote_record

        self.location.fs.invalidate_cache()
        return [read_remote_record(self.location, split, chunk) for chunk in chunks]

    def write_manifest(self, manifest: dict[str, Any]) -> str:
        """The manifest, then ``croissant.json`` made from a local copy and uploaded."""
        from vtondata.output.croissant import write_croissant
        from vtondata.output.object_store import local_copy, put_manifest, upload_files

        written = put_manifest(self.location, manifest)
        copy = local_copy(self.location.url)
        write_croissant(copy)
        upload_files(self.location, copy, (CROISSANT_NAME,))
        return written

    def write_report(self, raw: str | Path | None) -> str:
        """Render from a local copy of the output, then upload the two report files."""
        from vtondata.output.object_store import local_copy, upload_files
        from vtondata.report import write_report

        copy = local_copy(self.location.url)
        write_report(copy, None if raw is None or is_url(raw) else raw)
        upload_files(self.location, copy, (REPORT_JSON_NAME, REPORT_HTML_NAME))
        return self.location.url_of(REPORT_HTML_NAME)
