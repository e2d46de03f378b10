"""Existing try-on dataset folders (VITON-HD, DressCode) read as inputs plus annotations.

Both layouts keep person photos next to files that are not people: garment
photos, garment masks, parse maps rendered as PNGs, pose renderings. A scan of
such a folder must list the person photos only, and annotation backends must
find each person's keypoint file and parse map. The layouts, as the datasets
ship them:

VITON-HD, one folder per split (``train/``, ``test/``)::

    <split>/image/<stem>.jpg                              person photos (inputs)
    <split>/openpose_json|openpose-json/<stem>_keypoints.json   OpenPose BODY_25
    <split>/image-parse-v3|image-parse/<stem>.png         LIP label map (palette PNG)
    <split>/cloth/, cloth-mask/, openpose_img/, ...        not inputs
    <split>/../<split>_pairs.txt                          person/garment pairs

DressCode, one folder per category (``upper_body/``, ``lower_body/``, ``dresses/``)::

    <category>/images/<id>_0.jpg     person photos (inputs)
    <category>/images/<id>_1.jpg     garment photos (not inputs)
    <category>/keypoints/<id>_2.json OpenPose COCO-18, at half resolution (384x512)
    <category>/label_maps/<id>_4.png DressCode label map
    <category>/dense/, skeletons/, ... not inputs

A folder is recognised by its sub-folders: a VITON-HD split has ``image/``
and at least one of its annotation or garment folders; a DressCode category
has ``images/`` and ``keypoints/`` or ``label_maps/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

AnnotationKind = Literal["keypoints", "parse"]
Layout = Literal["vitonhd", "dresscode"]

VITONHD_PERSONS = "image"
VITONHD_MARKERS = (
    "cloth",
    "cloth-mask",
    "image-parse",
    "image-parse-v3",
    "openpose_json",
    "openpose-json",
    "agnostic-v3.2",
)
VITONHD_KEYPOINT_DIRS = ("openpose_json", "openpose-json")
VITONHD_PARSE_DIRS = ("image-parse-v3", "image-parse")
DRESSCODE_IMAGES = "images"
DRESSCODE_MARKERS = ("keypoints", "label_maps")
DRESSCODE_PERSON_SUFFIX = "_0"


def detect_layout(folder: Path) -> Layout | None:
    """Which dataset layout ``folder`` itself is (a VITON-HD split, a DressCode category), if any."""
    folder = Path(folder)
    if _is_folder(folder / VITONHD_PERSONS) and any(_is_folder(folder / m) for m in VITONHD_MARKERS):
        return "vitonhd"
    if _is_folder(folder / DRESSCODE_IMAGES) and any(_is_folder(folder / m) for m in DRESSCODE_MARKERS):
        return "dresscode"
    return None


def _is_folder(path: Path) -> bool:
    """``Path.is_dir``, but a path the system refuses (too long) is simply not a folder."""
    try:
        return path.is_dir()
    except OSError:
        return False


class LayoutFilter:
    """Tells whether a file found under ``root`` is a person photo as far as dataset layouts tell.

    Inside a recognised layout folder (``root`` itself or any folder below
    it) only that layout's person photos count: ``image/*`` of a VITON-HD
    split, ``images/*_0.*`` of a DressCode category. Files outside every
    layout folder count. Folder checks are remembered for the filter's life,
    one scan.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root).absolute()
        self._layouts: dict[Path, Layout | None] = {}

    def __call__(self, path: Path) -> bool:
        """``path``: absolute, under ``root``."""
        folder = self.root
        for part in (*Path(path).relative_to(self.root).parts[:-1], None):
            layout = self._layout(folder)
            if layout is not None:
                return _is_person(layout, folder, Path(path))
            if part is not None:
                folder = folder / part
        return True

    def _layout(self, folder: Path) -> Layout | None:
        if folder not in self._layouts:
            self._layouts[folder] = detect_layout(folder)
        return self._layouts[folder]


def find_annotation(source_abs: str, kind: AnnotationKind) -> Path | None:
    """The annotation file of ``kind`` for the person photo at ``source_abs``, or ``None``.

    ``"keypoints"``: VITON-HD ``<stem>_keypoints.json`` or DressCode
    ``<id>_2.json``; ``"parse"``: VITON-HD ``<stem>.png`` (``image-parse-v3``
    first) or DressCode ``<id>_4.png``. ``None`` when the photo is in neither
    layout or its file does not exist.
    """
    path = Path(source_abs)
    if path.parent.name == VITONHD_PERSONS:
        split = path.parent.parent
        if kind == "keypoints":
            candidates = [split / d / f"{path.stem}_keypoints.json" for d in VITONHD_KEYPOINT_DIRS]
        else:
            candidates = [split / d / f"{path.stem}.png" for d in VITONHD_PARSE_DIRS]
    elif path.parent.name == DRESSCODE_IMAGES and path.stem.endswith(DRESSCODE_PERSON_SUFFIX):
        category = path.parent.parent
        base = path.stem.removesuffix(DRESSCODE_PERSON_SUFFIX)
        if kind == "keypoints":
            candidates = [category / "keypoints" / f"{base}_2.json"]
        else:
            candidates = [category / "label_maps" / f"{base}_4.png"]
    else:
        return None
    return next((candidate for candidate in candidates if candidate.is_file()), None)


def annotation_places(kind: AnnotationKind) -> str:
    """Where :func:`find_annotation` looks, in words, for rejection messages."""
    if kind == "keypoints":
        return "VITON-HD openpose_json/|openpose-json/<stem>_keypoints.json, DressCode keypoints/<id>_2.json"
    return "VITON-HD image-parse-v3/|image-parse/<stem>.png, DressCode label_maps/<id>_4.png"


def _is_person(layout: Layout, folder: Path, path: Path) -> bool:
    if layout == "vitonhd":
        return path.parent == folder / VITONHD_PERSONS
    return path.parent == folder / DRESSCODE_IMAGES and path.stem.endswith(DRESSCODE_PERSON_SUFFIX)
