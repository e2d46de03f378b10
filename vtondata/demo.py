"""Sample photos for a first build, taken from packages that the install already holds.

This repository ships no photo: the demo copies a few sample images that
scikit-image, matplotlib and Ultralytics put in their wheels, and cuts one
person out of Ultralytics' street photo. They were made as test images, not
catalogue photos, so most are rejected, each with its reason, which is half
of what the demo shows; the other half is the accepted crop with its masks.
"""

from __future__ import annotations

import importlib.util
import shutil
from dataclasses import dataclass
from pathlib import Path

from vtondata.errors import InputError

_OFF = (
    "image.min_orig_width_px",
    "image.min_orig_height_px",
    "image.min_orig_aspect",
    "segment.max_outside_foreground",
)
DEMO_OVERRIDES: dict[str, str] = {
    f"quality.{block}{name}": "null" for block in ("", "categories.upper.") for name in _OFF
}
"""Thresholds of the ``offline`` recipe the demo switches off, in the shared blocks and in the upper
category's own (the demo builds upper): they were calibrated on 768x1024 studio photos, and the
sample photos are smaller crops taken in the street."""


@dataclass(frozen=True)
class DemoPhoto:
    """One sample photo: where an installed package keeps it, its licence, and an optional crop."""

    name: str
    package: str
    path_in_package: str
    licence: str
    crop_xyxy: tuple[int, int, int, int] | None = None
    """Pixels of the source to keep, written as a lossless PNG; ``None`` copies the file's bytes."""

    def source(self) -> Path | None:
        """The file in the installed package, or ``None`` when the package or the file is absent.

        The package is located without importing it (importing Ultralytics alone takes seconds).
        """
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            return None
        path = Path(next(iter(spec.submodule_search_locations))) / self.path_in_package
        return path if path.is_file() else None


_ULTRALYTICS = "AGPL-3.0, the ultralytics package's licence (no separate licence is stated for the image)"
DEMO_PHOTOS: tuple[DemoPhoto, ...] = (
    DemoPhoto("bus-person.png", "ultralytics", "assets/bus.jpg", _ULTRALYTICS, (30, 340, 290, 900)),
    DemoPhoto("bus-person-small.png", "ultralytics", "assets/bus.jpg", _ULTRALYTICS, (200, 360, 380, 900)),
    DemoPhoto("bus.jpg", "ultralytics", "assets/bus.jpg", _ULTRALYTICS),
    DemoPhoto("zidane.jpg", "ultralytics", "assets/zidane.jpg", _ULTRALYTICS),
    DemoPhoto("astronaut.png", "skimage", "data/astronaut.png", "public domain (NASA), per scikit-image"),
    DemoPhoto("camera.png", "skimage", "data/camera.png", "CC0 (Lav Varshney), per scikit-image"),
    DemoPhoto(
        "grace_hopper.jpg",
        "matplotlib",
        "mpl-data/sample_data/grace_hopper.jpg",
        "public domain (U.S. Navy photo), shipped as matplotlib sample data",
    ),
)


def write_demo_photos(dest: Path, photos: tuple[DemoPhoto, ...] = DEMO_PHOTOS) -> list[DemoPhoto]:
    """Write the sample photos that this install holds into ``dest``; return those written.

    ``dest`` must be missing, empty or hold only earlier demo photos: nothing
    else there is overwritten or deleted. Raises :class:`InputError` when no
    sample photo is installed at all.
    """
    names = {photo.name for photo in photos}
    if dest.exists():
        foreign = sorted(path.name for path in dest.iterdir() if path.name not in names)
        if foreign:
            raise InputError(f"{dest} holds files that are not demo photos ({', '.join(foreign[:5])})")
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for photo in photos:
        source = photo.source()
        target = dest / photo.name
        if source is None:
            target.unlink(missing_ok=True)
            continue
        if photo.crop_xyxy is None:
            shutil.copyfile(source, target)
        else:
            _write_crop(source, photo.crop_xyxy, target)
        written.append(photo)
    if not written:
        raise InputError("no sample photo found in the installed packages; run `make demo DEMO_RAW=folder`")
    return written


def _write_crop(source: Path, crop_xyxy: tuple[int, int, int, int], target: Path) -> None:
    from PIL import Image

    with Image.open(source) as image:
        image.crop(crop_xyxy).save(target, format="PNG")
