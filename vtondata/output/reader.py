"""The one way into a built dataset: its manifest, its shards and their samples, decoded.

Everything that reads ``OUT/`` after a build (``vtondata.open``, verify,
export, eval-masks, the report, the trainer, tryon) comes through here, so a
change to where or how a dataset is stored has one place to change:

- :func:`open` (``vtondata.open``): the dataset as a table, with any accepted
  sample one call away;
- :func:`dataset_folder`: where to read a dataset given by folder or URL;
- :func:`is_dataset`: whether a folder is a finished build;
- :func:`read_manifest`: the manifest, after the schema-version check;
- :func:`shard_paths`: the tars, in manifest order;
- :func:`iter_samples` / :func:`iter_shard`: every sample of the dataset or
  of one tar, with a chosen subset of members, decoded by
  :func:`vtondata.output.format.decode_member` or left as bytes; tars are
  read with the standard library the way webdataset reads them, so that
  reading a dataset does not import webdataset and torch with it;
- :func:`read_members`: the members of a few keys of one tar;
- :func:`webdataset_samples`: the same tar reading as a ``webdataset``
  pipeline stage, for streams that shuffle and split shards themselves.

The manifest's ``schema_version`` is checked first: a reader written for
major version 1 reads any 1.x dataset (minor versions only add), and refuses
another major with a clear error rather than misreading it (docs/format.md,
versioning policy). Nothing here needs a model.
"""

from __future__ import annotations

import json
import re
import tarfile
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from PIL import Image

from vtondata.errors import InputError, VtonDataError
from vtondata.output.format import SCHEMA_VERSION, UNION_NAME, category_view, decode_member
from vtondata.output.index import INDEX_SCHEMA, read_index, table_frame
from vtondata.output.layout import manifest_path
from vtondata.render.overlay import render_overlay
from vtondata.sample import ALL_CATEGORIES, UNION_CATEGORIES, Category, categories_of
from vtondata.storage import is_url

if TYPE_CHECKING:
    from vtondata.sample import Sample


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
    """A dataset folder opened for reading; ``table`` may be a filtered view (``accepted``, ``rejected``).

    A dataset built with ``--category all`` is read one category at a time:
    :meth:`for_category` gives the view in which ``accepted``, the reasons and
    the statistics are that category's, and :meth:`sample` decodes its mask.
    """

    out: Path
    manifest: dict[str, Any]
    table: pa.Table
    category: str | None = None
    """The category this view reads; ``None`` until :meth:`for_category` picks one."""
    all_categories_table: pa.Table | None = field(default=None, repr=False)
    """The all-category index a category's view was cut from, so that the view can still read
    another category's verdicts (the union mask, or a second :meth:`for_category`)."""

    @property
    def categories(self) -> tuple[str, ...]:
        """The categories the dataset holds masks of: one, or all three for an all-category build."""
        return tuple(str(category) for category in categories_of(self.manifest["category"]))

    def for_category(self, category: str) -> Dataset:
        """This dataset as if built for ``category`` alone: rows, verdicts, reasons and statistics.

        On a single-category dataset ``category`` must be its own (else
        ``ValueError``) and the view is the dataset itself. On a view that
        already reads a category, the rows stay this view's (a filtered view
        stays filtered) with ``category``'s verdicts.
        """
        built = self.manifest["category"]
        if built != ALL_CATEGORIES:
            if category != built:
                raise ValueError(f"{self.out} holds {built} masks only, not {category}")
            return self
        if category not in self.categories:
            raise ValueError(f"category {category!r} is not one of {', '.join(self.categories)}")
        if category == self.category:
            return self
        source = self.table if self.all_categories_table is None else self.all_categories_table
        rows = source.filter(pc.is_in(source.column("key"), value_set=self.table.column("key")))  # pyright: ignore[reportAttributeAccessIssue]  # pyarrow makes compute functions at import
        return replace(
            self, table=category_table(rows, category), category=category, all_categories_table=source
        )

    @property
    def accepted(self) -> Dataset:
        """The samples in the shards (of this view's category, when one was picked)."""
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
        accepted = sum(self.table.column("accepted").to_pylist())
        category = self.category or self.manifest.get("category")
        return (
            f"<vtondata.Dataset {self.out} rows={len(self)} accepted={accepted} "
            f"rejected={len(self) - accepted} category={category}>"
        )

    def to_pandas(self) -> pd.DataFrame:
        """One row per sample of this view, one column per statistic and per stage timing.

        Columns as :func:`vtondata.output.index.stats_frame`, plus ``source_path``,
        ``reason_message`` and ``shard``.
        """
        extra = self.table.select(["key", "source_path", "reason_message", "shard"]).to_pandas()
        return table_frame(self.table).merge(extra, on="key", how="inner")

    def row(self, key: str) -> dict[str, Any]:
        """The index row of ``key``, statistics and timings as dicts; ``KeyError`` if unknown."""
        rows = self.table.filter(pc.field("key") == key).to_pylist()
        if not rows:
            raise KeyError(f"no sample with key {key!r} in {self.out}")
        row = rows[0]
        return {**row, "stats": dict(row["stats"] or []), "timings_s": dict(row["timings_s"] or [])}

    def sample(self, key: str, category: str | None = None) -> SampleRecord:
        """Decode the accepted sample ``key`` from its shard, with the mask of ``category``.

        ``category`` defaults to this view's, else the dataset's; an
        all-category dataset needs one (``upper``, ``lower``, ``dress``, or
        ``upper_lower`` for the union mask). Inputs not accepted for it are in
        no shard (or hold no such mask); for them this raises ``ValueError``
        naming the reason (their rows are in ``rejected.to_pandas()``).
        """
        category = category or self.category
        built = self.manifest["category"]
        if built == ALL_CATEGORIES and category is None:
            raise ValueError(
                f"{self.out} holds masks of {', '.join(self.categories)}; "
                f"pass category= one of them or {UNION_NAME}"
            )
        if category == UNION_NAME and built == ALL_CATEGORIES:
            rows = [self.for_category(str(part)).row(key) for part in UNION_CATEGORIES]
        else:
            rows = [self.for_category(category).row(key) if category is not None else self.row(key)]
        for row in rows:
            if not row["accepted"]:
                raise ValueError(f"sample {key} was rejected ({row['reason_code']}: {row['reason_message']})")
        row = rows[0]
        files = read_members(self.out / row["shard"], [key], category)[key]
        pose = decode_member("pose.json", files["pose.json"])
        garment = files.get("garment_mask.png")
        return SampleRecord(
            key=key,
            person=decode_member("person.jpg", files["person.jpg"]),
            mask=decode_member("agnostic_mask.png", files["agnostic_mask.png"]),
            garment_mask=decode_member("garment_mask.png", garment) if garment is not None else None,
            keypoints=np.asarray(pose["canonical"]["keypoints_px"], dtype=np.float32),
            skeleton=decode_member("pose.png", files["pose.png"]),
            pose=pose,
            meta=decode_member("meta.json", files["meta.json"]),
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

    def show(self, key: str, alpha: float = 0.5, category: str | None = None) -> Image.Image:
        """The sample with its repaint region tinted and its skeleton drawn; displays inline in Jupyter."""
        record = self.sample(key, category)
        return Image.fromarray(render_overlay(record.person, record.mask, record.keypoints, alpha))


def category_table(table: pa.Table, category: str) -> pa.Table:
    """An all-category index as a ``category``-only build's: its verdict in ``accepted`` and
    ``reason_*``, ``shard`` only where accepted, its own statistics under their plain names."""
    accepted = table.column(f"accepted_{category}")
    prefix = f"{category}:"
    stats = [
        sorted(
            [(name, value) for name, value in pairs or [] if ":" not in name]
            + [(name[len(prefix) :], value) for name, value in pairs or [] if name.startswith(prefix)]
        )
        for pairs in table.column("stats").to_pylist()
    ]
    columns = {
        **{name: table.column(name) for name in INDEX_SCHEMA.names},
        "category": pa.array([category] * table.num_rows, pa.string()),
        "accepted": accepted,
        "reason_code": table.column(f"reason_code_{category}"),
        "reason_message": table.column(f"reason_message_{category}"),
        "shard": pc.if_else(  # pyright: ignore[reportAttributeAccessIssue]  # pyarrow makes compute functions at import
            accepted, table.column("shard"), pa.scalar(None, pa.string())
        ),
        "stats": pa.array(stats, INDEX_SCHEMA.field("stats").type),
    }
    return pa.table([columns[name] for name in INDEX_SCHEMA.names], schema=INDEX_SCHEMA)


def open(out: str | Path) -> Dataset:
    """Open the dataset ``out`` (folder or URL) written by ``vtondata build``; checks its schema version."""
    out = dataset_folder(out)
    return Dataset(out=out, manifest=read_manifest(out), table=read_index(out))


def dataset_folder(out: str | Path) -> Path:
    """The local folder to read ``out`` from: the folder itself, or for a URL (``s3://...``) a local copy
    of its complete chunks and top-level files (:func:`vtondata.output.object_store.local_copy`)."""
    if not is_url(out):
        return Path(out)
    from vtondata.output.object_store import local_copy

    return local_copy(str(out))


class ManifestError(VtonDataError):
    """The manifest is missing, unreadable or of a schema major version this reader does not know.

    ``reason`` is the problem without the path, for reports that list problems per file.
    """

    def __init__(self, path: Path, reason: str, message: str | None = None) -> None:
        super().__init__(message or f"{path}: {reason}")
        self.path = path
        self.reason = reason


def chosen_category(out: str | Path, built: str, category: str | None) -> str | None:
    """The category to read of ``out``, built for ``built`` (its manifest's ``category``): ``None`` to
    read the dataset as it is.

    An all-category dataset needs one of upper, lower, dress; a single-category
    dataset takes none or its own. Anything else is an :class:`InputError`
    that says what to pass (export and training share this check).
    """
    if built != ALL_CATEGORIES:
        if category is not None and category != built:
            raise InputError(f"{out} holds {built} masks only; leave --category out or pass {built}")
        return None
    choices = ", ".join(str(choice) for choice in Category)
    if category is None:
        raise InputError(f"{out} was built for all categories; pick one with --category ({choices})")
    if category not in {str(choice) for choice in Category}:
        raise InputError(f"--category {category!r}: {out} holds {choices}")
    return category


def read_manifest(out: str | Path) -> dict[str, Any]:
    """``OUT/manifest.json`` as a dict, its schema version checked; :class:`ManifestError` if it cannot be."""
    path = manifest_path(Path(out))
    if not path.is_file():
        raise ManifestError(
            path,
            "missing; the build did not finish (or this is not a vtondata output)",
            f"{out} is not a vtondata dataset: {path.name} is missing",
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as error:
        raise ManifestError(path, f"not valid JSON ({error})") from None
    if not isinstance(manifest, dict):
        raise ManifestError(path, "not a JSON object")
    check_schema_version(str(manifest.get("schema_version", "")), source=path)
    return manifest


def check_schema_version(version: str, source: Path) -> None:
    """Refuse a dataset whose major schema version is not the one this reader knows."""
    supported = int(SCHEMA_VERSION.split(".")[0])
    major = version.split(".")[0]
    if not major.isdigit():
        raise ManifestError(source, f"schema_version {version!r} is not a semantic version")
    if int(major) != supported:
        relation, advice = (
            ("newer", "upgrade vtondata to read it")
            if int(major) > supported
            else ("older", "rebuild it, or read it with the vtondata release that wrote it")
        )
        raise ManifestError(
            source,
            f"has schema_version {version}, {relation} than this vtondata reads "
            f"({SCHEMA_VERSION}, major {supported}); {advice}",
            f"{source} has schema_version {version}, {relation} than this vtondata reads "
            f"({SCHEMA_VERSION}, major {supported}); {advice}",
        )


def is_dataset(path: str | Path) -> bool:
    """Whether ``path`` is a finished vtondata output (it has a manifest); nothing is read."""
    return manifest_path(Path(path)).is_file()


def shard_paths(out: str | Path, *, non_empty: bool = False) -> list[Path]:
    """The dataset's tars in manifest (chunk) order; with ``non_empty``, only those holding samples."""
    out = Path(out)
    return [
        out / entry["path"] for entry in read_manifest(out)["shards"] if not non_empty or entry["samples"] > 0
    ]


@dataclass(frozen=True)
class StoredSample:
    """One sample as read from a tar: its key, its tar, and the members asked for.

    ``members`` maps member names (``person.jpg``) to decoded values (see
    :data:`vtondata.output.format.CODECS`) or, when read with
    ``decode=False``, to their bytes. A member the sample lacks is absent.
    """

    key: str
    shard: Path
    members: dict[str, Any] = field(default_factory=dict)


def iter_samples(
    out: str | Path, members: Collection[str] | None = None, *, decode: bool = True
) -> Iterator[StoredSample]:
    """Every sample of every shard of ``out``, in manifest order (see :func:`iter_shard`)."""
    for path in shard_paths(out):
        yield from iter_shard(path, members, decode=decode)


def iter_shard(
    path: Path, members: Collection[str] | None = None, *, decode: bool = True, by_webdataset: bool = False
) -> Iterator[StoredSample]:
    """The samples of one tar in stored order, keeping only ``members`` (all when ``None``).

    Tars are read the way ``wds.WebDataset`` reads them (:func:`_tar_samples`),
    so what reads here streams there; ``by_webdataset`` reads them with
    webdataset's own tar expansion and key grouping instead (``vtondata verify``:
    proof that webdataset streams the shards; it imports torch). A damaged tar
    raises the tar reader's error after the samples before the damage.
    """
    with path.open("rb") as stream:
        if by_webdataset:
            from webdataset.tariterators import group_by_keys, tar_file_expander

            grouped = (
                (
                    sample["__key__"],
                    {
                        name: data
                        for name, data in sample.items()
                        if not name.startswith("__") and (members is None or name in members)
                    },
                )
                for sample in group_by_keys(tar_file_expander([{"url": str(path), "stream": stream}]))
            )
        else:
            grouped = _tar_samples(stream, path, members)
        for key, kept in grouped:
            if decode:
                kept = {name: decode_member(name, data) for name, data in kept.items()}
            yield StoredSample(key=key, shard=path, members=kept)


_MEMBER_NAME = re.compile(r"^((?:.*/|)[^.]+)[.]([^/]*)$")
"""A tar member's name as webdataset splits it: the key (up to the first dot of the last path part) and
the member name (the rest)."""
_WEBDATASET_META = re.compile(r"__[^/]*__($|/)")
"""Names webdataset skips as metadata (``__key__``-like)."""


def _tar_samples(
    stream: IO[bytes], path: Path, members: Collection[str] | None
) -> Iterator[tuple[str, dict[str, bytes]]]:
    """``(key, {member: bytes})`` of a tar stream, grouped as webdataset groups them, with the standard
    library's ``tarfile``: importing webdataset imports torch (about 480 MB and 1-2 s), which nothing
    that reads a dataset needs. Regular files only; names that webdataset skips as metadata are
    skipped; consecutive files with one key form a sample; member names are lower-cased; a member
    twice in one sample is a ``ValueError``. Members outside ``members`` are not read.
    ``tests/output/test_tar_reading.py`` reads good and damaged tars both ways and compares."""
    key: str | None = None
    found: dict[str, bytes] = {}
    seen: set[str] = set()
    with tarfile.open(fileobj=stream, mode="r|*") as tar:
        for info in tar:
            if not info.isreg() or _WEBDATASET_META.match(info.name):
                continue
            match = _MEMBER_NAME.match(info.name)
            if match is None:
                continue
            name_key, name = match.group(1), match.group(2).lower()
            data = None
            if members is None or name in members:
                # Read before the previous sample is handed on, as webdataset does: a tar cut inside
                # this member fails before that sample, on both readers.
                extracted = tar.extractfile(info)
                data = extracted.read() if extracted is not None else b""
            if name_key != key:
                if key is not None:
                    yield key, found
                key, found, seen = name_key, {}, set()
            if name in seen:
                raise ValueError(f"{info.name}: duplicate file name in tar file {path}")
            seen.add(name)
            if data is not None:
                found[name] = data
    if key is not None:
        yield key, found


def webdataset_samples() -> Any:
    """A ``webdataset`` pipeline stage turning shard URLs into samples (``__key__`` plus member bytes).

    For pipelines that shuffle, resample and split shards themselves (the
    trainer's); decode members with :func:`vtondata.output.format.decode_member`.
    """
    from webdataset.tariterators import tarfile_to_samples

    return tarfile_to_samples()


def webdataset_stream(paths: Iterable[Path | str]) -> Iterator[dict[str, Any]]:
    """All samples of ``paths`` in order, as ``webdataset`` dicts, in this process whatever the world size."""
    for path in paths:
        for sample in iter_shard(Path(path), decode=False):
            yield {"__key__": sample.key, **sample.members}


def read_members(
    shard: Path, keys: Iterable[str], category: str | None = None
) -> dict[str, dict[str, bytes]]:
    """Members of the samples ``keys`` in one shard, ``{key: {member: bytes}}``, in one pass.

    With ``category``, an all-category sample's members are those of that category
    (:func:`vtondata.output.format.category_view`); a sample without its mask raises.
    """
    wanted = set(keys)
    found = {sample.key: sample.members for sample in iter_shard(shard, decode=False) if sample.key in wanted}
    missing = sorted(wanted - set(found))
    if missing:
        raise VtonDataError(f"{shard} holds no sample {', '.join(missing)}")
    if category is None:
        return found
    views = {key: category_view(members, category) for key, members in found.items()}
    lacking = sorted(key for key, view in views.items() if view is None)
    if lacking:
        raise VtonDataError(f"{shard}: {', '.join(lacking)} hold no {category} mask")
    return {key: view for key, view in views.items() if view is not None}
