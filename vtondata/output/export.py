"""``vtondata export``: write a dataset's shards out as the folders existing try-on trainers open.

Layout ``viton-hd`` (what the catvton-flux / IDM-VTON ``VitonHDTestDataset``
loader reads), per split (the shard name's prefix, e.g. ``train``)::

    DEST/{split}_pairs.txt                          "<stem>.jpg <stem>.jpg" per sample
    DEST/{split}/image/<stem>.jpg                   person.jpg, original bytes
    DEST/{split}/agnostic-mask/<stem>_mask.png      agnostic_mask.png, 255 = repaint
    DEST/{split}/openpose_json/<stem>_keypoints.json  pose.json's OpenPose BODY_25 document
    DEST/{split}/openpose_img/<stem>_rendered.png   pose.png
    DEST/{split}/image-densepose/<stem>.jpg         placeholder: black, person-sized
    DEST/{split}/cloth/<stem>.jpg                   cloth.jpg, when the sample has one
    DEST/{split}/cloth-mask/<stem>.jpg              cloth_mask.png as JPEG, when present
    DEST/{split}/vitonhd_{split}_tagged.json        placeholder: {"data": []}

The loader opens ``image-densepose`` and the tagged JSON unconditionally;
catvton-flux's Flux Fill training conditions on neither, so black images and
an empty tag list let it run (captions fall back to its default). Trainers
that do read DensePose (IDM-VTON) need real maps. VITON-HD pairs a person with
the cloth of the same name, so every pair line names ``<stem>.jpg`` twice;
without a ``cloth.jpg`` in the shard no cloth file is written and the trainer
cannot open the pair until one is put under that name (counted in
:class:`ExportResult`). ``<stem>`` is the source file's name without extension,
made safe for a pairs file and a file system: whitespace, control characters
and backslashes become ``_`` and it is cut to 100 bytes; a stem that is empty
or repeats across the dataset takes the sample key instead.

A dataset built with ``--category all`` is exported one category at a time
(``category``): the samples accepted for it, its mask as ``agnostic-mask``.

Layout ``hf-parquet`` (parquet files and a dataset card for the Hugging Face
Hub and ``datasets``) is written by :mod:`vtondata.output.hf_parquet`.

DressCode's layout also needs DensePose UV maps and skeleton renders per
category folder, so it is not offered.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path, PurePosixPath

import numpy as np

from vtondata.errors import InputError
from vtondata.output.format import binary_mask_u8, category_view, decode_member, encode_jpeg, json_bytes
from vtondata.output.layout import output_write_error, parse_chunk_stem
from vtondata.output.reader import (
    ManifestError,
    StoredSample,
    chosen_category,
    iter_shard,
    read_manifest,
    shard_paths,
)
from vtondata.output.reader import open as open_dataset

STEM_MAX_BYTES = 100
_UNSAFE_IN_STEM = re.compile(r"[\s\\\x00-\x1f\x7f]+")


class ExportLayout(StrEnum):
    VITON_HD = "viton-hd"
    HF_PARQUET = "hf-parquet"


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: samples per split, and how many had no cloth image."""

    dest: Path
    layout: ExportLayout
    samples: dict[str, int] = field(default_factory=dict)
    without_cloth: int = 0
    pairs_files: list[Path] = field(default_factory=list)


def export_dataset(
    out: Path,
    dest: Path,
    layout: ExportLayout | str = ExportLayout.VITON_HD,
    *,
    overwrite: bool = False,
    category: str | None = None,
) -> ExportResult:
    """Write every sample of the vtondata output ``out`` into ``dest`` in ``layout``.

    ``category`` picks one category of a dataset built with ``--category all``
    (required there): the samples accepted for it, with its masks, written as
    a dataset built for it alone would be. On a single-category dataset it may
    be left out or name the dataset's own category.
    Refuses (``InputError``) when ``out`` has no readable manifest, when
    ``category`` is missing or not in the dataset, or when ``dest`` is a
    non-empty folder and ``overwrite`` is false.
    """
    out, dest, layout = Path(out), Path(dest), ExportLayout(layout)
    try:
        shards = shard_paths(out)
        built = read_manifest(out)["category"]
    except ManifestError as error:
        raise InputError(
            f"{out}: not a finished vtondata output ({error.path.name} {error.reason})"
        ) from None
    category = chosen_category(out, built, category)
    if dest.exists() and not dest.is_dir():
        raise InputError(f"{dest}: exists and is not a folder; choose an empty or new folder")
    if dest.exists() and any(dest.iterdir()) and not overwrite:
        raise InputError(f"{dest}: not empty; choose an empty folder or pass --overwrite")
    if layout is ExportLayout.HF_PARQUET:
        from vtondata.output.hf_parquet import write_hf_parquet

        return ExportResult(dest, layout, write_hf_parquet(out, dest, category))
    stems = _stems(out, category)
    counts: Counter[str] = Counter()
    pairs: dict[str, list[str]] = {}
    without_cloth = 0
    for split, sample in _samples(shards, category):
        stem = stems.get(sample.key, sample.key)
        without_cloth += not _write_vitonhd_sample(dest / split, stem, sample)
        counts[split] += 1
        pairs.setdefault(split, []).append(f"{stem}.jpg {stem}.jpg")
    pairs_files = []
    for split, lines in sorted(pairs.items()):
        _write(dest / split / f"vitonhd_{split}_tagged.json", json_bytes({"data": []}))
        pairs_files.append(_write(dest / f"{split}_pairs.txt", ("\n".join(lines) + "\n").encode("utf-8")))
    return ExportResult(dest, layout, dict(sorted(counts.items())), without_cloth, pairs_files)


def _samples(shards: list[Path], category: str | None) -> Iterator[tuple[str, StoredSample]]:
    """``(split, sample)`` for every sample of every shard, in manifest order, members as bytes; with
    ``category``, the samples accepted for it, as its members."""
    for path in shards:
        parsed = parse_chunk_stem(path.stem)
        split = parsed[0] if parsed is not None else "train"
        for sample in iter_shard(path, decode=False):
            members = category_view(sample.members, category) if category is not None else sample.members
            if members is not None:
                yield split, replace(sample, members=members)


def _stems(out: Path, category: str | None) -> dict[str, str]:
    """Sample key -> exported stem, from the index's accepted rows (no shard is read twice)."""
    dataset = open_dataset(out)
    view = dataset.for_category(category) if category is not None else dataset
    rows = [
        row for row in view.table.select(["key", "source_path", "accepted"]).to_pylist() if row["accepted"]
    ]
    names = {row["key"]: safe_stem(PurePosixPath(row["source_path"]).stem) for row in rows}
    repeated = {name for name, count in Counter(names.values()).items() if count > 1}
    return {key: key if not name or name in repeated else name for key, name in names.items()}


def safe_stem(stem: str) -> str:
    """``stem`` without whitespace, control characters or backslashes, at most 100 UTF-8 bytes.

    Pairs files split on whitespace, so a space or newline in a name would
    make another pair; a long name would exceed the file system's limit once
    ``_keypoints.json`` is added.
    """
    cleaned = _UNSAFE_IN_STEM.sub("_", stem).strip("._")
    return cleaned.encode("utf-8")[:STEM_MAX_BYTES].decode("utf-8", "ignore")


def _write_vitonhd_sample(root: Path, stem: str, sample: StoredSample) -> bool:
    """Write one sample's files under ``root`` (``DEST/{split}``); True when it had a cloth image."""
    members = sample.members
    _write(root / "image" / f"{stem}.jpg", members["person.jpg"])
    _write(root / "agnostic-mask" / f"{stem}_mask.png", members["agnostic_mask.png"])
    pose = decode_member("pose.json", members["pose.json"])
    _write(root / "openpose_json" / f"{stem}_keypoints.json", json_bytes(pose["openpose_body25"]))
    _write(root / "openpose_img" / f"{stem}_rendered.png", members["pose.png"])
    size = pose["image_size"]
    black = np.zeros((size["height_px"], size["width_px"], 3), dtype=np.uint8)
    _write(root / "image-densepose" / f"{stem}.jpg", encode_jpeg(black))
    if "cloth.jpg" not in members:
        return False
    _write(root / "cloth" / f"{stem}.jpg", members["cloth.jpg"])
    if "cloth_mask.png" in members:
        cloth_mask = binary_mask_u8(decode_member("cloth_mask.png", members["cloth_mask.png"]))
        _write(root / "cloth-mask" / f"{stem}.jpg", encode_jpeg(np.repeat(cloth_mask[..., None], 3, axis=2)))
    return True


def _write(path: Path, data: bytes) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as error:
        raise output_write_error(path, error) from error
    return path
