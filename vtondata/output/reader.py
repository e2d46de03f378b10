"""``vtondata.open(OUT)``: a finished dataset as a table, with any accepted sample one call away.

The index (every input, accepted and rejected) is the table; the shards are
read only when a sample is asked for, by its key. Nothing here needs a model,
so a dataset can be inspected on any machine that has the folder.

The manifest's ``schema_version`` is checked first: a reader written for
major version 1 reads any 1.x dataset (minor versions only add), and refuses
a newer major with a clear error rather than misreading it (docs/format.md,
versioning policy).
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from PIL import Image

from vtondata.errors import VtonDataError
from vtondata.output.encode import SCHEMA_VERSION
from vtondata.output.index import read_index, stats_frame
from vtondata.output.layout import manifest_path
from vtondata.render.overlay import render_overlay

if TYPE_CHECKING:
    from vtondata.sample import Sample

"""Colour laid over the repaint region in overlays: a magenta that no skin or common fabric has."""


@dataclass(frozen=True)
class SampleRecord:
    """One accepted sample, decoded: arrays in pixels of ``person``.

    ``person`` is ``HxWx3`` uint8 RGB; ``mask`` is ``HxW`` bool, True = repaint;
    ``garment_mask`` likewise (True = garment) or ``None``; ``keypoints`` is
    ``(19, 3)`` float32 ``(x_px, y_px, confidence)``, COCO-17 then neck and mid-hip.
    """

    key: str
    person: np.ndarray
    mask: np.ndarray
    garment_mask: np.ndarray | None
    keypoints: np.ndarray
    skeleton: np.ndarray
    """``HxWx3`` uint8 RGB OpenPose-style skeleton on black (``pose.png``)."""
    pose: dict[str, Any]
    meta: dict[str, Any]
    row: dict[str, Any]
    """The sample's index row (statistics and timings as dicts)."""


@dataclass(frozen=True)
class Dataset:
    """A dataset folder opened for reading; ``table`` may be a filtered view (``accepted``, ``rejected``)."""

    out: Path
    manifest: dict[str, Any]
    table: pa.Table

    @property
    def accepted(self) -> Dataset:
        """The samples in the shards."""
        return replace(self, table=self.table.filter(pc.field("accepted")))

    @property
    def rejected(self) -> Dataset:
        """The inputs left out, each with ``reason_code`` and ``reason_message``."""
        return replace(self, table=self.table.filter(~pc.field("accepted")))

    @property
    def keys(self) -> list[str]:
        return self.table.column("key").to_pylist()

    def __len__(self) -> int:
        return self.table.num_rows

    def __repr__(self) -> str:
        accepted = pc.sum(self.table.column("accepted")).as_py() or 0
        return (
            f"<vtondata.Dataset {self.out} rows={len(self)} accepted={accepted} "
            f"rejected={len(self) - accepted} category={self.manifest.get('category')}>"
        )

    def to_pandas(self) -> pd.DataFrame:
        """One row per sample of this view, one column per statistic and per stage timing.

        Columns as :func:`vtondata.output.index.stats_frame`, plus ``source_path``,
        ``reason_message`` and ``shard``.
        """
        extra = self.table.select(["key", "source_path", "reason_message", "shard"]).to_pandas()
        return stats_frame(self.out).merge(extra, on="key", how="inner")

    def row(self, key: str) -> dict[str, Any]:
        """The index row of ``key``, statistics and timings as dicts; ``KeyError`` if unknown."""
        rows = self.table.filter(pc.field("key") == key).to_pylist()
        if not rows:
            raise KeyError(f"no sample with key {key!r} in {self.out}")
        row = rows[0]
        return {**row, "stats": dict(row["stats"] or []), "timings_s": dict(row["timings_s"] or [])}

    def sample(self, key: str) -> SampleRecord:
        """Decode the accepted sample ``key`` from its shard.

        Rejected inputs are not in any shard; for them this raises ``ValueError``
        naming the reason (their rows are in ``rejected.to_pandas()``).
        """
        row = self.row(key)
        if not row["accepted"]:
            raise ValueError(f"sample {key} was rejected ({row['reason_code']}: {row['reason_message']})")
        files = read_members(self.out / row["shard"], [key])[key]
        pose = json.loads(files["pose.json"])
        garment = files.get("garment_mask.png")
        return SampleRecord(
            key=key,
            person=decode_image(files["person.jpg"], "RGB"),
            mask=decode_image(files["agnostic_mask.png"], "L") > 127,
            garment_mask=decode_image(garment, "L") > 127 if garment is not None else None,
            keypoints=np.asarray(pose["canonical"]["keypoints_px"], dtype=np.float32),
            skeleton=decode_image(files["pose.png"], "RGB"),
            pose=pose,
            meta=json.loads(files["meta.json"]),
            row=row,
        )

    def mask_like(
        self, image: str | Path | bytes | np.ndarray | Image.Image, *, allow_version_drift: bool = False
    ) -> Sample:
        """Mask, masked person and pose of a new photo, drawn exactly as this dataset drew its own.

        Returns a :class:`vtondata.Sample`: ``agnostic_mask`` (``HxW`` bool) and
        ``files`` (``agnostic_mask.png``, ``agnostic.jpg``, ``pose.json``,
        ``pose.png``, byte for byte as a shard would hold them), or a rejection.
        ``image`` is a path, file bytes, an RGB array or a PIL image (arrays: see
        :func:`vtondata.mask_like.mask_image`). Loads the models; raises
        ``VersionDrift`` when installed software differs from the manifest's
        record (see :mod:`vtondata.mask_like`).
        """
        from vtondata.mask_like import mask_image, mask_recipe_like

        return mask_image(image, mask_recipe_like(self, allow_version_drift=allow_version_drift))

    def show(self, key: str, alpha: float = 0.5) -> Image.Image:
        """The sample with its repaint region tinted and its skeleton drawn; displays inline in Jupyter."""
        record = self.sample(key)
        return Image.fromarray(render_overlay(record.person, record.mask, record.keypoints, alpha))


def open(out: str | Path) -> Dataset:
    """Open the dataset folder ``out`` written by ``vtondata build``; checks its schema version."""
    out = Path(out)
    path = manifest_path(out)
    if not path.is_file():
        raise VtonDataError(f"{out} is not a vtondata dataset: {path.name} is missing")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    check_schema_version(str(manifest.get("schema_version", "")), source=path)
    return Dataset(out=out, manifest=manifest, table=read_index(out))


def check_schema_version(version: str, source: Path) -> None:
    """Refuse a dataset whose major schema version this reader does not know."""
    supported = int(SCHEMA_VERSION.split(".")[0])
    major = version.split(".")[0]
    if not major.isdigit():
        raise VtonDataError(f"{source}: schema_version {version!r} is not a semantic version")
    if int(major) > supported:
        raise VtonDataError(
            f"{source} has schema_version {version}, newer than this vtondata reads "
            f"({SCHEMA_VERSION}, major {supported}); upgrade vtondata to read it"
        )


def read_members(shard: Path, keys: Iterable[str]) -> dict[str, dict[str, bytes]]:
    """Members of the samples ``keys`` in one shard, ``{key: {extension: bytes}}``, in one pass."""
    wanted = set(keys)
    found: dict[str, dict[str, bytes]] = {key: {} for key in wanted}
    with tarfile.open(shard, "r:") as archive:
        for member in archive:
            key, _, extension = member.name.partition(".")
            if key in wanted and member.isfile():
                handle = archive.extractfile(member)
                if handle is not None:
                    found[key][extension] = handle.read()
    missing = sorted(key for key, files in found.items() if not files)
    if missing:
        raise VtonDataError(f"{shard} holds no sample {', '.join(missing)}")
    return found


def decode_image(data: bytes, mode: str) -> np.ndarray:
    """Image bytes -> ``HxW`` (mode ``"L"``) or ``HxWx3`` (``"RGB"``) uint8 array."""
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert(mode))
