"""Where masks and ground truth come from: vtondata outputs, mask folders, VITON-HD-layout folders.

Samples are matched by *stem*: the file name without extension of the
person image (``00891_00``). A vtondata output gives each mask's stem from
``meta.json``'s ``source_path``; a mask folder from the file name, with a
trailing ``_mask`` removed (VITON-HD ``agnostic-mask/<stem>_mask.png``,
catvton-flux ``<stem>_mask.png``, or plain ``<stem>.png``).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from webdataset.tariterators import group_by_keys, tar_file_expander

from vtondata.errors import InputError
from vtondata.geometry.keypoints import load_openpose_json
from vtondata.geometry.parsing import parse_layers, read_label_map
from vtondata.output.layout import manifest_path

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
    return manifest_path(path).is_file()


def dataset_category(out: Path) -> str:
    """The category a vtondata output was built for (from its manifest)."""
    return json.loads(manifest_path(out).read_text(encoding="utf-8"))["category"]


def iter_masks(source: Path) -> Iterator[tuple[str, np.ndarray]]:
    """``(stem, HxW bool mask, True = repaint)`` from a vtondata output or a folder of mask PNGs."""
    if not source.is_dir():
        raise InputError(f"{source}: not a folder of masks or a vtondata output")
    if is_vtondata_output(source):
        yield from _shard_masks(source)
        return
    paths = sorted(source.glob("*.png"))
    if not paths:
        raise InputError(f"{source}: no mask PNGs (<stem>_mask.png or <stem>.png) and no manifest.json")
    for path in paths:
        stem = path.stem.removesuffix("_mask")
        with Image.open(path) as image:
            yield stem, np.array(image.convert("L")) > 0


def _shard_masks(out: Path) -> Iterator[tuple[str, np.ndarray]]:
    for stem, image in _shard_images(out, "agnostic_mask.png"):
        yield stem, image > 0


def iter_parse_maps(out: Path) -> Iterator[tuple[str, np.ndarray]]:
    """``(stem, HxW uint8 label ids)`` of every ``parse.png`` in a vtondata output (none elsewhere)."""
    if is_vtondata_output(out):
        yield from _shard_images(out, "parse.png")


def _shard_images(out: Path, member: str) -> Iterator[tuple[str, np.ndarray]]:
    """``(stem, HxW uint8)`` of one single-channel PNG member of every sample that has it."""
    manifest = json.loads(manifest_path(out).read_text(encoding="utf-8"))
    for entry in manifest["shards"]:
        with open(out / entry["path"], "rb") as stream:
            for sample in group_by_keys(tar_file_expander([{"url": entry["path"], "stream": stream}])):
                if member not in sample:
                    continue
                stem = Path(json.loads(sample["meta.json"])["source_path"]).stem
                with Image.open(io.BytesIO(sample[member])) as image:
                    yield stem, np.array(image.convert("L"))


class GroundTruthFolder:
    """A folder in VITON-HD layout: ``image-parse/<stem>.png`` and ``openpose-json/<stem>_keypoints.json``.

    ``scheme`` names the parse maps' label table (``lip`` for VITON-HD,
    ``dresscode`` for DressCode label maps; see ``geometry.parsing``).
    """

    def __init__(self, root: Path, scheme: str = "lip") -> None:
        self.root = Path(root)
        self.scheme = scheme
        self.parse_dir = _first_folder(self.root, PARSE_FOLDERS)
        self.pose_dir = _first_folder(self.root, POSE_FOLDERS)
        if self.parse_dir is None or self.pose_dir is None:
            raise InputError(
                f"{self.root}: expected {' or '.join(PARSE_FOLDERS)} and {' or '.join(POSE_FOLDERS)} folders"
            )

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
