"""Masks for new photos made exactly as a dataset made its own: ``vtondata mask --like OUT``.

A try-on model learns to repaint the region its training masks covered; at
inference it needs the same region, drawn the same way. A finished dataset
records everything that drew its masks: the resolved recipe and its hash, the
category, the vtondata version, and each backend's name, package version and
weights sha256 (``manifest.json``). :func:`mask_recipe_like` reads that record
back and refuses, with the differences listed, when this machine would draw
differently (another vtondata, backend package or checkpoint), unless drift is
allowed, in which case the differences come back as warnings.

:func:`mask_photos` then runs the dataset's stages on the photos in this
process (:func:`vtondata.api.process_images`) and keeps the members a try-on
model consumes, encoded as the dataset encodes them: ``agnostic_mask.png``,
``agnostic.jpg`` (the masked person), ``pose.json`` and ``pose.png``. The
quality filters do not run: they decide what enters a training set, and
change nothing that the other stages draw.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from vtondata.config import Recipe, load_recipe, recipe_sha256
from vtondata.errors import InputError, RecipeError, VersionDrift
from vtondata.output import reader
from vtondata.sample import ALL_CATEGORIES, Category, Sample

MASK_MEMBERS: tuple[str, ...] = ("agnostic_mask.png", "agnostic.jpg", "pose.json", "pose.png")
"""What ``vtondata mask`` writes per photo, named and encoded as the shard members (docs/format.md)."""


@dataclass(frozen=True)
class MaskRecipe:
    """How to draw masks: the recipe and category, where they came from, and any allowed drift."""

    recipe: Recipe
    category: Category
    source: str
    drift: list[str] = field(default_factory=list)


def mask_recipe_like(dataset: reader.Dataset, *, allow_version_drift: bool = False) -> MaskRecipe:
    """The recipe and category that made ``dataset``'s masks, checked against what is installed here.

    Raises ``RecipeError`` when the recorded recipe no longer hashes to its
    recorded sha256 (the manifest was edited, or this vtondata reads the
    recipe differently), and ``VersionDrift`` when vtondata, a backend
    package or a checkpoint differs from the record, unless
    ``allow_version_drift``: then the differences are in ``drift``.
    """
    from vtondata import __version__
    from vtondata.api import installed_backends

    manifest = dataset.manifest
    category = dataset.category or manifest["category"]
    if category == ALL_CATEGORIES:
        raise RecipeError(
            f"{dataset.out} holds masks of every category; pick one: "
            "vtondata.open(OUT).for_category('lower'), or --category on the command line"
        )
    recorded = manifest["recipe"]
    try:
        recipe = Recipe.model_validate(recorded["resolved"])
    except ValueError as error:
        raise RecipeError(f"{dataset.out}: the recorded recipe does not validate here: {error}") from error
    if recipe_sha256(recipe) != recorded["sha256"]:
        raise RecipeError(
            f"{dataset.out}: the recorded recipe hashes to {recipe_sha256(recipe)[:12]} here, not to the "
            f"recorded {recorded['sha256'][:12]}; this vtondata would not draw the same masks"
        )
    drift = backend_drift(manifest.get("backends", {}), installed_backends(recipe))
    producer = manifest["producer"]["version"]
    if producer != __version__:
        drift.insert(0, f"vtondata: dataset built with {producer}, installed {__version__}")
    if drift and not allow_version_drift:
        raise VersionDrift(
            f"{dataset.out} was built with other software than is installed here, so masks could differ: "
            f"{'; '.join(drift)}. Install the recorded versions, or pass --allow-version-drift to go on"
        )
    return MaskRecipe(recipe, Category(category), f"dataset {dataset.out}", drift)


def mask_recipe_named(pipeline: str | Path, category: Category | str) -> MaskRecipe:
    """A bundled recipe or recipe file with a category, for photos with no dataset to match."""
    return MaskRecipe(load_recipe(pipeline), Category(category), f"recipe {pipeline}")


def backend_drift(recorded: dict[str, Any], installed: dict[str, Any]) -> list[str]:
    """Each difference between two ``manifest.json["backends"]`` documents, in words."""
    differences = []
    for role in sorted(set(recorded) | set(installed)):
        then, now = recorded.get(role, {}), installed.get(role, {})
        for key in ("name", "version"):
            if then.get(key) != now.get(key):
                differences.append(
                    f"{role} backend {key}: recorded {then.get(key)}, installed {now.get(key)}"
                )
        then_weights, now_weights = then.get("weights", {}), now.get("weights", {})
        for weights in sorted(set(then_weights) | set(now_weights)):
            was, found = then_weights.get(weights, {}), now_weights.get(weights, {})
            if was.get("sha256") != found.get("sha256"):
                then_text, now_text = _weights_text(was), _weights_text(found)
                differences.append(f"{role} weights {weights}: recorded {then_text}, installed {now_text}")
    return differences


def _weights_text(entry: dict[str, Any]) -> str:
    """``sha256 0123456789ab (file.pt)``, or ``none`` for weights one side does not have."""
    if not entry.get("sha256"):
        return "none"
    return f"sha256 {entry['sha256'][:12]} ({entry.get('path', 'unnamed')})"


def mask_photos(paths: Sequence[str | Path], how: MaskRecipe) -> list[Sample]:
    """Run ``how``'s stages on ``paths`` (models loaded once); samples in order, rejected ones with a reason.

    An accepted sample's ``files`` hold :data:`MASK_MEMBERS` among the other members.
    """
    from vtondata.api import process_images

    return process_images(paths, how.category, how.recipe, quality=False)


def mask_image(image: str | Path | bytes | np.ndarray | Image.Image, how: MaskRecipe) -> Sample:
    """:func:`mask_photos` for one photo: a path, the bytes of an image file, an RGB array or a PIL image.

    A path or file bytes give the dataset's exact result: ingest keeps a JPEG's
    own bytes as ``person.jpg``, as a build does. An ``HxWx3`` uint8 RGB array or
    a PIL image has no file, so it goes through a lossless PNG, which ingest
    stores as a new JPEG, as a build stores a PNG photo: the result is the one
    a build makes of those pixels, which for pixels decoded from a JPEG can
    differ slightly from the result for the JPEG file itself.
    """
    if isinstance(image, str | Path):
        return mask_photos([image], how)[0]
    if isinstance(image, bytes):
        return _mask_file_bytes(image, how)
    if isinstance(image, np.ndarray):
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise InputError(f"expected an HxWx3 uint8 RGB array, got {image.dtype} of shape {image.shape}")
        image = Image.fromarray(image)
    if not isinstance(image, Image.Image):
        kind = type(image).__name__
        raise InputError(f"expected a path, file bytes, an RGB array or a PIL image, got {kind}")
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG")
    return _mask_file_bytes(buffer.getvalue(), how)


def _mask_file_bytes(data: bytes, how: MaskRecipe) -> Sample:
    with tempfile.TemporaryDirectory(prefix="vtondata-mask-") as scratch:
        path = Path(scratch) / "photo"
        path.write_bytes(data)
        return mask_photos([path], how)[0]


def write_mask_files(sample: Sample, dest: Path, stem: str) -> list[Path]:
    """Write ``dest/<stem>.<member>`` for each of :data:`MASK_MEMBERS`; the paths written."""
    from vtondata.output.layout import write_bytes_atomic

    written = []
    for member in MASK_MEMBERS:
        path = dest / f"{stem}.{member}"
        write_bytes_atomic(path, sample.files[member])
        written.append(path)
    return written
