"""One chunk of processed samples becomes one shard, one index file and one completion marker.

Write order is the resume contract: the tar, then the index, then the marker
``chunks/{split}-{chunk:06d}.json``. Each file is written atomically, so a
chunk is complete exactly when its marker exists; anything else is redone.

Tars are reproducible: members carry a fixed mtime, owner and mode, samples
appear in input order and members in name order, so the same samples give
byte-identical shards (and the same sha256) on every run and machine.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import tarfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from vtondata.output.format import json_bytes, required_members
from vtondata.output.index import write_index
from vtondata.output.layout import (
    atomic_path,
    index_path,
    marker_path,
    shard_path,
    shard_relpath,
    write_bytes_atomic,
)
from vtondata.sample import Sample

logger = logging.getLogger(__name__)

TAR_MTIME = 0
"""Modification time of every member (the epoch): a tar's bytes must not depend on when it was written."""
TAR_OWNER = "vtondata"
TAR_MODE = 0o444


@dataclass(frozen=True)
class ChunkRecord:
    """The completion marker of one chunk, as written to ``chunks/{split}-{chunk:06d}.json``.

    ``samples`` counts the chunk's inputs (``accepted + rejected``); the tar
    holds the ``accepted`` ones. ``bytes`` and ``sha256`` describe the tar.
    """

    chunk: int
    shard: str
    """Tar path relative to ``OUT``, POSIX separators."""
    samples: int
    accepted: int
    rejected: int
    by_reason: dict[str, int] = field(default_factory=dict)
    bytes: int = 0
    sha256: str = ""


def write_chunk(out: Path, split: str, chunk_index: int, samples: list[Sample]) -> ChunkRecord:
    """Write the shard (accepted samples), the index (all samples), then the marker; return it.

    Accepted samples must carry every required member in ``sample.files``
    (the encode stage's job); a missing one, or a key with a dot or slash, is
    a programming error and raises ``ValueError`` before anything is written.
    """
    ordered = sorted(samples, key=lambda sample: sample.index)
    accepted = [sample for sample in ordered if sample.accepted]
    _check_writable(accepted)
    shard = shard_relpath(split, chunk_index)
    tar_bytes, tar_sha256 = _write_tar(shard_path(out, split, chunk_index), accepted)
    write_index(index_path(out, split, chunk_index), ordered, shard)
    reasons = Counter(sample.rejection.code for sample in ordered if sample.rejection is not None)
    record = ChunkRecord(
        chunk=chunk_index,
        shard=shard,
        samples=len(ordered),
        accepted=len(accepted),
        rejected=len(ordered) - len(accepted),
        by_reason=dict(sorted(reasons.items())),
        bytes=tar_bytes,
        sha256=tar_sha256,
    )
    write_bytes_atomic(marker_path(out, split, chunk_index), json_bytes(asdict(record), indent=2) + b"\n")
    return record


def read_chunk_record(out: Path, split: str, chunk: int) -> ChunkRecord | None:
    """The chunk's marker, or ``None`` when it has none or it is unreadable (the chunk is redone)."""
    path = marker_path(out, split, chunk)
    if not path.is_file():
        return None
    try:
        return ChunkRecord(**json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError):
        logger.warning("ignoring unreadable chunk marker %s", path)
        return None


def _check_writable(accepted: list[Sample]) -> None:
    seen: set[str] = set()
    for sample in accepted:
        if not sample.key or "." in sample.key or "/" in sample.key:
            raise ValueError(f"sample key {sample.key!r} must be non-empty and free of dots and slashes")
        if sample.key in seen:
            raise ValueError(f"sample key {sample.key!r} appears twice in one chunk")
        seen.add(sample.key)
        missing = [name for name in required_members(str(sample.category)) if name not in sample.files]
        if missing:
            raise ValueError(f"accepted sample {sample.key} lacks {', '.join(missing)}; run the encode stage")


def _write_tar(path: Path, samples: list[Sample]) -> tuple[int, str]:
    """Write the tar atomically; return its size in bytes and its sha256.

    The tar is the one ``webdataset.TarWriter`` writes (a streamed PAX tar, each
    sample's members in name order as ``<key>.<member>``), written with the
    standard library's ``tarfile``: importing webdataset imports torch, about
    480 MB and 1.4-2.6 s in every process that writes shards (each Ray actor
    and the local build), none of them needing torch. ``vtondata verify`` still
    reads every shard with webdataset (:mod:`vtondata.output.verify`), and
    ``tests/output/test_shards.py`` checks that both writers give the same bytes.
    """
    with atomic_path(path) as temporary:
        # On an error the tar is closed without its end blocks and the error is raised once.
        with open(temporary, "wb") as stream, tarfile.open(fileobj=stream, mode="w|") as tar:
            for sample in samples:
                for name in sorted(sample.files):
                    data = sample.files[name]
                    info = tarfile.TarInfo(f"{sample.key}.{name}")
                    info.size = len(data)
                    info.mtime = TAR_MTIME
                    info.mode = TAR_MODE
                    info.uname = info.gname = TAR_OWNER
                    tar.addfile(info, io.BytesIO(data))
        size, digest = file_size_and_sha256(temporary)
    return size, digest


def file_size_and_sha256(path: Path) -> tuple[int, str]:
    """Size in bytes and hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()
