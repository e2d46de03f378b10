"""Where masks and ground truth come from: vtondata outputs, mask folders, VITON-HD-layout folders.

Samples are matched by *stem*: the file name without extension of the
person image (``00891_00``). A vtondata output gives each mask's stem from
``meta.json``'s ``source_path``; a mask folder from the file name, with a
trailing ``_mask`` removed (VITON-HD ``agnostic-mask/<stem>_mask.png``,
catvton-flux ``<stem>_mask.png``, or plain ``<stem>.png``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vtondata.config.ingest import IngestConfig
from vtondata.errors import InputError
from vtondata.geometry.keypoints import load_openpose_json
from vtondata.geometry.parsing import parse_layers, read_label_map
from vtondata.ingest.decode import open_bounded
from vtondata.ingest.files import read_input
from vtondata.output.format import category_member, decode_member
from vtondata.output.reader import is_dataset, iter_samples, read_manifest
from vtondata.sample import ALL_CATEGORIES, Rejection

PARSE_FOLDERS = ("image-parse", "image-parse-v3")
POSE_FOLDERS = ("openpose-json", "openpose_json")


@dataclass(frozen=True)
class GroundTruth:
    """One person's annotations: label map ``HxW`` uint8, its layers ``HxW`` bool, keypoints ``(19, 3)``."""

    stem: str
    label_map: np.ndarray
    layers: dict[str, np.ndarray]
    keypoints_px: np.ndarray


def is_vtondata_output(path: Path) -> bool:
    return is_dataset(path)


def dataset_category(out: Path) -> str:
    """The category a vtondata output was built for (from its manifest)."""
    return read_manifest(out)["category"]


MASK_LIMITS = IngestConfig(formats=("PNG",), max_file_bytes=50_000_000, max_pixels=40_000_000)
"""Masks are decoded like inputs: PNG only, bounded bytes and pixels (a bomb is a note, not a crash)."""


def iter_masks(source: Path, category: str | None = None) -> Iterator[tuple[str, np.ndarray | str]]:
    """``(stem, HxW bool mask, True = repaint)`` from a vtondata output or a folder of mask PNGs.

    ``category`` picks the masks of one category in an output built with ``--category all``.

    A mask that cannot be read or decoded within :data:`MASK_LIMITS` comes as
    ``(stem, why)`` instead, so one bad file is reported, not fatal.
    """
    if not source.is_dir():
        raise InputError(f"{source}: not a folder of masks or a vtondata output")
    if is_vtondata_output(source):
        yield from _shard_masks(source, category)
        return
    paths = sorted(source.glob("*.png"))
    if not paths:
        raise InputError(f"{source}: no mask PNGs (<stem>_mask.png or <stem>.png) and no manifest.json")
    for path in paths:
        read = read_input(str(path), MASK_LIMITS.max_file_bytes, "mask")
        mask = read.message if isinstance(read, Rejection) else decode_mask(read.data)
        yield path.stem.removesuffix("_mask"), mask


def decode_mask(data: bytes) -> np.ndarray | str:
    """``HxW`` bool (any non-zero = repaint) from PNG bytes, or why it cannot be one."""
    image = decode_single_channel(data)
    return image if isinstance(image, str) else image > 0


def decode_single_channel(data: bytes) -> np.ndarray | str:
    """``HxW`` uint8 from PNG bytes, within the size bounds masks are read with, or why not."""
    opened = open_bounded(data, MASK_LIMITS)
    if isinstance(opened, Rejection):
        return f"mask not decoded: {opened.message}"
    with opened as image:
        return np.array(image.convert("L"))


def _shard_masks(out: Path, category: str | None) -> Iterator[tuple[str, np.ndarray | str]]:
    for stem, image in _shard_images(out, _member(out, "agnostic_mask.png", category)):
        yield stem, image if isinstance(image, str) else image > 0


def iter_parse_maps(out: Path, category: str | None = None) -> Iterator[tuple[str, np.ndarray]]:
    """``(stem, HxW uint8 label ids)`` of every readable ``parse.png`` in a vtondata output (of
    ``category``, in an output built with ``--category all``)."""
    if is_vtondata_output(out):
        for stem, image in _shard_images(out, _member(out, "parse.png", category)):
            if not isinstance(image, str):
                yield stem, image


def _member(out: Path, name: str, category: str | None) -> str:
    """The member holding ``name`` of ``category`` in ``out``: itself, or in an all-category output
    the category's own (:func:`vtondata.output.format.category_member`)."""
    if dataset_category(out) != ALL_CATEGORIES:
        return name
    if category is None:
        raise InputError(f"{out} holds masks of every category; pick one with --category")
    return category_member(name, category)


def _shard_images(out: Path, member: str) -> Iterator[tuple[str, np.ndarray | str]]:
    """``(stem, HxW uint8 or why not)`` of one single-channel PNG member of every sample that has it.

    The member's bytes go through the same bounded decoder as a mask folder's files.
    """
    for sample in iter_samples(out, ("meta.json", member), decode=False):
        if member in sample.members:
            stem = Path(decode_member("meta.json", sample.members["meta.json"])["source_path"]).stem
            yield stem, decode_single_channel(sample.members[member])


class GroundTruthFolder:
    """A folder in VITON-HD layout: ``image-parse/<stem>.png`` and ``openpose-json/<stem>_keypoints.json``.

    ``scheme`` names the parse maps' label table (``lip`` for VITON-HD,
    ``dresscode`` for DressCode label maps; see ``geometry.parsing``).
    """

    def __init__(self, root: Path, scheme: str = "lip") -> None:
        self.root = Path(root)
        self.scheme = scheme
        parse_dir = _first_folder(self.root, PARSE_FOLDERS)
        pose_dir = _first_folder(self.root, POSE_FOLDERS)
        if parse_dir is None or pose_dir is None:
            raise InputError(
                f"{self.root}: expected {' or '.join(PARSE_FOLDERS)} and {' or '.join(POSE_FOLDERS)} folders"
            )
        self.parse_dir: Path = parse_dir
        self.pose_dir: Path = pose_dir

    def load(self, stem: str) -> GroundTruth | None:
        """The stem's annotations, or ``None`` when its parse map or keypoints are missing."""
        parse_path = self.parse_dir / f"{stem}.png"
        pose_path = self.pose_dir / f"{stem}_keypoints.json"
        if not parse_path.is_file() or not pose_path.is_file():
            return None
        label_map = read_label_map(parse_path)
        return GroundTruth(
            stem, label_map, parse_layers(label_map, self.scheme), load_openpose_json(pose_path)
        )


def _first_folder(root: Path, names: tuple[str, ...]) -> Path | None:
    return next((root / name for name in names if (root / name).is_dir()), None)
