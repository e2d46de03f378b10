"""List the person images under a raw folder: stable order, stable keys, content hashes.

Two steps: :func:`list_inputs` names the files without reading them, and
:func:`inspect_inputs` reads each one (through a runner's ``map``, so on Ray
in the workers) for its hash. Scan decides what the file system alone can
tell: a path that cannot be read (broken symlink, symlink loop, permission),
an empty file, a file over the size limit and a byte-identical duplicate.
Everything that needs the file's content as an image is decided later by
:func:`vtondata.ingest.decode.decode_person`.
With a ``min_hash_distance`` set in the quality config, scan also rejects
near-duplicates (``quality.near_duplicate``, see
:mod:`vtondata.filters.duplicates`): it sees every input, so the best photo of
each group is kept whatever the chunking. Rejected files stay in the list
as items carrying a :class:`Rejection`, so the index counts every input.

A raw URL (``s3://bucket/raw``) is listed through :mod:`vtondata.storage`:
names and sizes come from the listing, and each item's ``source_abs`` is the
object's URL, which the ingest stage reads wherever it runs. Dataset layouts
and garment pairing need a local raw folder.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import heapq
import json
import os
import re
import stat
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from vtondata.config.cloth import PairingConfig
from vtondata.config.ingest import IngestConfig
from vtondata.config.quality import DuplicatesQuality
from vtondata.errors import InputError
from vtondata.filters.duplicates import Fingerprint, NearDuplicate, fingerprint, keep_best, photo_score
from vtondata.filters.thresholds import Threshold, thresholds_from_quality
from vtondata.ingest.files import read_input
from vtondata.ingest.layouts import LayoutFilter
from vtondata.ingest.pairs import Pairing, pair_garments
from vtondata.sample import Rejection
from vtondata.storage import is_url, locate

KEY_SLUG_MAX_CHARS = 48
_NO_PAIRING = PairingConfig(mode="off")
_NOT_KEY_SAFE = re.compile(r"[^A-Za-z0-9_-]+")
_UNDERSCORE_RUNS = re.compile(r"_{2,}")


@dataclass(frozen=True)
class InputItem:
    """One file found by the scan, in sorted order.

    ``source_path`` is relative to the raw folder (POSIX separators, unicode
    NFC, bytes that are not UTF-8 as ``\\xNN``: :func:`printable_name`) and is what
    outputs record; ``source_abs`` is what the ingest stage
    reads and never leaves the machine. ``sha256`` is ``None`` when the file was
    not hashed (unreadable, empty or too large); ``rejection`` is set when scan
    already knows the file cannot become a sample.
    """

    index: int
    key: str
    source_path: str
    source_abs: str
    sha256: str | None
    size_bytes: int
    rejection: Rejection | None
    stats: dict[str, float] = field(default_factory=dict)
    """Scan-time statistics (``duplicates.hash_distance``) for the sample's ``stats``."""
    cloth_abs: str | None = None
    """Absolute path of the paired garment photo (vtondata.ingest.pairs), if any."""
    cloth_sha256: str | None = None
    """sha256 of the paired garment photo (``None`` when it could not be read; the cloth stage says why)."""


@dataclass(frozen=True)
class _Found:
    source_path: str
    source_abs: str
    problem: str | None
    size_bytes: int | None = None
    """The size from an object listing; ``None`` for local files (stat when inspected)."""


Mapper = Callable[[Callable[[Any], Any], Sequence[Any]], list[Any]]
"""Applies a function to every value, results in order: in this process, or on a runner's workers
(:meth:`vtondata.runners.base.Runner.map`). The function and values are picklable."""


@dataclass(frozen=True)
class Listing:
    """What is known of the inputs before any of them is read: the files (sorted; sizes where a
    listing gave them) and their garment pairing."""

    found: list[_Found]
    pairs: Pairing

    def __len__(self) -> int:
        return len(self.found)


def scan_inputs(
    raw: str | Path,
    config: IngestConfig,
    limit: int | None = None,
    duplicates: DuplicatesQuality | None = None,
    pairing: PairingConfig | None = None,
    mapper: Mapper | None = None,
) -> list[InputItem]:
    """All image files under ``raw``, sorted by ``source_path``; ``limit`` keeps the first N.

    :func:`list_inputs` then :func:`inspect_inputs`; see both.
    """
    return inspect_inputs(list_inputs(raw, config, limit, pairing), config, duplicates, mapper)


def list_inputs(
    raw: str | Path, config: IngestConfig, limit: int | None = None, pairing: PairingConfig | None = None
) -> Listing:
    """The image files under ``raw``, sorted by ``source_path``, without reading any; ``limit`` keeps
    the first N.

    Nested folders are walked; names starting with ``.`` are skipped; a file
    counts when its lower-cased suffix is in ``config.extensions`` and, inside
    a VITON-HD or DressCode folder, when it is one of the dataset's person
    photos (:class:`vtondata.ingest.layouts.LayoutFilter`: garment photos,
    masks and parse maps are not inputs). Symlinked
    files are followed. Symlinked folders are followed too, after every real
    folder, and each real folder is visited once, so a link back into the tree
    adds nothing and a folder loop ends. Raises :class:`InputError` when
    ``raw`` is missing or not a folder. ``pairing`` pairs persons with
    garment photos (:func:`vtondata.ingest.pairs.pair_garments`); garment
    photos are then not inputs.
    """
    if is_url(raw):
        found, pairs = _list_objects(str(raw), config.extensions, pairing or _NO_PAIRING), Pairing()
    else:
        found, pairs = _scan_folder(Path(raw), config, pairing or _NO_PAIRING)
    found = [entry for entry in found if entry.source_path not in pairs.garments]
    if limit is not None:
        found = found[:limit]
    return Listing(found, pairs)


def inspect_inputs(
    listing: Listing,
    config: IngestConfig,
    duplicates: DuplicatesQuality | None = None,
    mapper: Mapper | None = None,
) -> list[InputItem]:
    """The listed files as input items: sizes, content hashes and scan-time rejections.

    Reading each file (its sha256 and, when ``duplicates.min_hash_distance``
    is set, its perceptual fingerprint) goes through ``mapper``, so a Ray
    build reads its inputs on the workers; what needs all inputs at once
    (byte-identical duplicates, near-duplicate groups) is decided here from
    the hashes. Only photos that have a near-duplicate are read again here,
    to choose the one to keep.
    """
    min_distance = duplicates.min_hash_distance if duplicates is not None else None
    inspect = functools.partial(_inspect_entry, config=config, fingerprints=min_distance is not None)
    entries = list(enumerate(listing.found))
    inspected = mapper(inspect, entries) if mapper is not None else [inspect(entry) for entry in entries]
    items = []
    prints: list[Fingerprint | None] = []
    first_by_sha: dict[str, str] = {}
    for item, found_print in inspected:
        if item.sha256 is not None and item.rejection is None:
            first = first_by_sha.setdefault(item.sha256, item.source_path)
            if first != item.source_path:
                message = f"same bytes as {first} (sha256 {item.sha256[:12]}...)"
                item = replace(item, rejection=Rejection("ingest.duplicate", message))
        items.append(_paired(item, listing.pairs, config))
        prints.append(found_print if item.rejection is None else None)
    if min_distance is not None:
        items = _reject_near_duplicates(items, prints, min_distance, config)
    return items


def _inspect_entry(
    entry: tuple[int, _Found], config: IngestConfig, fingerprints: bool
) -> tuple[InputItem, Fingerprint | None]:
    """One file's item and, when asked and the file is usable, its perceptual fingerprint, from one
    read of the file."""
    item, data = _inspect(*entry, config)
    found_print = fingerprint(data, config) if fingerprints and data is not None else None
    return item, found_print


def _scan_folder(raw: Path, config: IngestConfig, pairing: PairingConfig) -> tuple[list[_Found], Pairing]:
    """The person photos under a local folder, sorted, and their garment pairing."""
    if not raw.exists():
        raise InputError(f"raw folder not found: {raw}")
    if not raw.is_dir():
        raise InputError(f"raw path is not a folder: {raw}")
    is_person = LayoutFilter(raw)
    found = [entry for entry in _walk(raw.absolute(), config.extensions) if is_person(Path(entry.source_abs))]
    found.sort(key=lambda item: item.source_path)
    return found, pair_garments(raw.absolute(), [entry.source_path for entry in found], pairing)


def _list_objects(raw: str, extensions: tuple[str, ...], pairing: PairingConfig) -> list[_Found]:
    """The objects under a raw URL with a wanted extension, sorted, from one listing (nothing is read).

    Names under a folder or with a name starting with ``.`` are skipped, as for local folders.
    """
    if pairing.mode in ("pairs_file", "naming"):
        raise InputError(f"garment pairing (cloth.pairing.mode: {pairing.mode}) needs a local raw folder")
    location = locate(raw)
    try:
        listing = location.fs.find(location.root, detail=True)
    except OSError as error:
        raise InputError(f"cannot list {raw}: {error}") from error
    if not listing and not location.fs.exists(location.root):
        raise InputError(f"raw location not found: {raw}")
    wanted = {extension.lower() for extension in extensions}
    found = []
    for path, info in listing.items():
        relative = path[len(location.root) :].lstrip("/")
        if info.get("type") != "file" or any(part.startswith(".") for part in relative.split("/")):
            continue
        if Path(relative).suffix.lower() in wanted:
            relative = unicodedata.normalize("NFC", relative)
            found.append(_Found(relative, location.url_of(relative), None, int(info.get("size") or 0)))
    found.sort(key=lambda item: item.source_path)
    return found


def _reject_near_duplicates(
    items: list[InputItem], prints: list[Fingerprint | None], min_distance: float, limits: IngestConfig
) -> list[InputItem]:
    """Of each group of near-duplicates among the fingerprinted inputs, keep the best one."""
    quality = {"duplicates": {"min_hash_distance": min_distance}}
    (threshold,) = [t for t in thresholds_from_quality(quality) if t.family == "duplicates"]
    verdicts, nearest = keep_best(
        prints, min_distance, lambda index: photo_score(items[index].source_abs, limits)
    )
    return [
        _with_distance(item, verdict, distance, items, threshold)
        for item, verdict, distance in zip(items, verdicts, nearest, strict=True)
    ]


def _with_distance(
    item: InputItem,
    verdict: NearDuplicate | None,
    distance: int | None,
    items: list[InputItem],
    threshold: Threshold,
) -> InputItem:
    """The item with its ``duplicates.hash_distance``, rejected when a better photo is that close."""
    if verdict is None:
        return item if distance is None else replace(item, stats={threshold.statistic: float(distance)})
    stats = {threshold.statistic: float(verdict.distance)}
    kept = items[verdict.kept_index].source_path
    message = (
        f"near-duplicate of {kept} (kept: more pixels or detail): perceptual hashes of the person crops "
        f"{verdict.distance} bits apart (minimum {threshold.value:g})"
    )
    return replace(item, stats=stats, rejection=Rejection(threshold.reason_code, message))


def _paired(item: InputItem, pairs: Pairing, config: IngestConfig) -> InputItem:
    """The item with its garment photo's path and content hash (a resumed build must see the same garment)."""
    garment = pairs.garment_by_person.get(item.source_path)
    if item.source_path in pairs.missing and item.rejection is None:
        return replace(item, rejection=Rejection("cloth.missing_file", pairs.missing[item.source_path]))
    if garment is None:
        return item
    read = read_input(str(garment), config.max_file_bytes, "garment photo", "cloth")
    return replace(
        item, cloth_abs=str(garment), cloth_sha256=None if isinstance(read, Rejection) else read.sha256
    )


def make_key(index: int, source_path: str) -> str:
    """``{index:07d}_{slug}``: zero-padded, dot-free, unique through the index.

    The slug is the file stem folded to ASCII (NFKD, non-ASCII dropped), every
    run of characters outside ``[A-Za-z0-9_-]`` turned into one ``_``, trimmed
    of ``_`` and ``-`` at both ends and cut to 48 characters; ``img`` when nothing is left.
    WebDataset splits member names on the first dot, hence no dots.
    """
    stem = Path(source_path).stem
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    slug = _UNDERSCORE_RUNS.sub("_", _NOT_KEY_SAFE.sub("_", ascii_stem)).strip("_-")
    slug = slug[:KEY_SLUG_MAX_CHARS].strip("_-") or "img"
    return f"{index:07d}_{slug}"


def inputs_sha256(items: list[InputItem]) -> str:
    """Hash of the ordered ``(source_path, sha256)`` pairs (plus the paired garment's file name and sha256).

    A resumed build must see the same inputs, garments included.
    """
    pairs = [
        [item.source_path, item.sha256]
        + ([Path(item.cloth_abs).name, item.cloth_sha256] if item.cloth_abs else [])
        for item in items
    ]
    return hashlib.sha256(json.dumps(pairs, separators=(",", ":")).encode()).hexdigest()


def _walk(root: Path, extensions: tuple[str, ...]) -> list[_Found]:
    """Every matching file, real folders first, then symlinked folders in path order."""
    wanted = {extension.lower() for extension in extensions}
    visited = {_identity(root)}
    found: list[_Found] = []
    pending: list[tuple[str, Path]] = []
    _walk_real(root, "", wanted, visited, found, pending)
    while pending:
        relative, folder = heapq.heappop(pending)
        try:
            identity = _identity(folder)
        except OSError as error:
            found.append(_unreadable_folder(relative, folder, error))
            continue
        if identity not in visited:
            visited.add(identity)
            _walk_real(folder, relative, wanted, visited, found, pending)
    return found


def _walk_real(
    top: Path,
    top_relative: str,
    wanted: set[str],
    visited: set[tuple[int, int]],
    found: list[_Found],
    pending: list[tuple[str, Path]],
) -> None:
    """Walk real subfolders (an explicit stack: any depth); queue symlinked subfolders in ``pending``.

    Only the raw folder itself must be listable; a subfolder that is not is
    recorded as a rejected row (:func:`_unreadable_folder`).
    """
    stack = [(top, top_relative)]
    while stack:
        folder, relative = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError as error:
            if not relative:
                raise InputError(f"cannot list folder {folder}: {error.strerror}") from error
            found.append(_unreadable_folder(relative, folder, error))
            continue
        subfolders = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            entry_relative = unicodedata.normalize("NFC", f"{relative}{printable_name(entry.name)}")
            path = folder / entry.name
            if entry.is_dir(follow_symlinks=False):
                try:
                    identity = _identity(path)
                except OSError as error:
                    found.append(_unreadable_folder(entry_relative + "/", path, error))
                    continue
                if identity not in visited:
                    visited.add(identity)
                    subfolders.append((path, entry_relative + "/"))
                continue
            target, problem = _target(path, entry)
            if target is not None and stat.S_ISDIR(target.st_mode):
                heapq.heappush(pending, (entry_relative + "/", path))
            elif Path(entry.name).suffix.lower() in wanted:
                found.append(_Found(entry_relative, str(path), problem))
        stack.extend(reversed(subfolders))


def _unreadable_folder(relative: str, folder: Path, error: OSError) -> _Found:
    """A subfolder that cannot be listed (path too long, no permission) becomes one rejected row.

    Its photos cannot be counted, but the index shows that something was
    there and why it was not read, instead of the whole scan stopping.
    """
    problem = f"cannot list this folder ({error.strerror}); the photos in it were not read"
    return _Found(relative, str(folder), problem)


def printable_name(name: str) -> str:
    """A file name as outputs record it: bytes that are not UTF-8 become ``\\xNN`` escapes.

    Python gives such bytes as lone surrogates, which no JSON, parquet or tar
    writer accepts; the escaped text is valid everywhere and still shows the
    byte. Reading always uses the real name (``source_abs``).
    """
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _identity(folder: Path) -> tuple[int, int]:
    status = folder.stat()
    return status.st_dev, status.st_ino


def _target(path: Path, entry: os.DirEntry[str]) -> tuple[os.stat_result | None, str | None]:
    """What a non-folder entry resolves to, and why it cannot be read as a file (``None``: it can)."""
    try:
        target = path.stat()
    except OSError as error:
        if not entry.is_symlink():
            return None, f"cannot stat the file: {error.strerror}"
        if error.errno == errno.ELOOP:
            return None, f"symbolic link loop ({os.readlink(path)} leads back to itself)"
        return None, f"broken symbolic link to {os.readlink(path)} ({error.strerror})"
    if stat.S_ISREG(target.st_mode) or stat.S_ISDIR(target.st_mode):
        return target, None
    return target, "not a regular file"


def _inspect(index: int, found: _Found, config: IngestConfig) -> tuple[InputItem, bytes | None]:
    """Size, hash and scan-time rejection of one file, and its bytes when it was read and usable."""
    key = make_key(index, found.source_path)
    item = InputItem(index, key, found.source_path, found.source_abs, None, 0, None)
    if found.problem is not None:
        return replace(item, rejection=Rejection("ingest.unreadable", found.problem)), None
    if found.size_bytes is not None:
        size_bytes = found.size_bytes
    else:
        try:
            size_bytes = os.stat(found.source_abs).st_size
        except OSError as error:
            message = f"cannot stat the file: {error.strerror}"
            return replace(item, rejection=Rejection("ingest.unreadable", message)), None
    if size_bytes == 0:
        return replace(item, rejection=Rejection("ingest.empty_file", "the file is empty (0 bytes)")), None
    if size_bytes > config.max_file_bytes:
        message = f"file is {size_bytes:,} bytes, over the {config.max_file_bytes:,} byte limit"
        return replace(item, size_bytes=size_bytes, rejection=Rejection("ingest.too_large", message)), None
    read = read_input(found.source_abs, config.max_file_bytes)
    if isinstance(read, Rejection):
        return replace(item, rejection=read), None
    return replace(item, sha256=read.sha256, size_bytes=len(read.data)), read.data
