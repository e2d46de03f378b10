"""``vtondata verify``: read a finished dataset back the way a trainer would, and check it all.

Shards are read through :mod:`vtondata.output.reader`, which reads tars the
way ``wds.WebDataset`` does, so a dataset that verifies is one that
``wds.WebDataset`` can stream. Checks, each reported as one readable
problem line rather than an exception:

- the manifest exists, has a schema major version this vtondata reads, and
  follows ``schemas/manifest.schema.json``;
- every listed shard exists with the recorded size and sha256 and holds the
  recorded number of samples;
- keys are unique across shards; every accepted index row appears exactly
  once, in the shard it names, and no rejected row appears at all;
- every sample has the required members and no unknown ones, its
  ``meta.json`` follows ``schemas/sample.schema.json`` and names its key, and
  its masks are single-channel 8-bit images of ``person.jpg``'s size holding
  only 0 and 255;
- index rows = manifest inputs = accepted + rejected, per reason too;
- in an all-category dataset, each sample holds the masks of exactly the
  categories its index row accepts it for, and the union mask exactly when
  both upper and lower are accepted.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

from vtondata import schemas
from vtondata.geometry.parse_map import PARSE_LABELS
from vtondata.output.format import (
    PER_CATEGORY_MEMBERS,
    UNION_NAME,
    category_member,
    member_specs,
    required_members,
)
from vtondata.output.index import read_index
from vtondata.output.reader import ManifestError, iter_shard, read_manifest
from vtondata.output.shards import file_size_and_sha256
from vtondata.sample import ALL_CATEGORIES, UNION_CATEGORIES, Category

BINARY_MASKS = ("agnostic_mask.png", "garment_mask.png")
"""Members that must decode to ``HxW`` uint8 of the person's size with values in {0, 255}."""
LABEL_MAPS = {"parse.png": frozenset(PARSE_LABELS)}
"""Single-channel members holding label ids, and the ids each may hold."""


@dataclass
class VerifyReport:
    """Outcome of :func:`verify_dataset`; ``ok`` exactly when ``problems`` is empty."""

    ok: bool
    problems: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def verify_dataset(out: Path) -> VerifyReport:
    """Check every shard, sample and count of the dataset in ``out``; never raises for bad data."""
    problems: list[str] = []
    manifest = _load_manifest(out, problems)
    if manifest is None:
        return VerifyReport(ok=False, problems=problems)
    try:
        index = read_index(out).to_pylist()
    except Exception as error:
        problems.append(f"index: unreadable parquet ({error})")
        index = []
    found: dict[str, list[str]] = {}
    members: dict[str, set[str]] = {}
    samples_read = 0
    for entry in manifest["shards"]:
        problems += _check_shard_file(out, entry)
        keys, shard_problems = _check_shard_samples(out, entry, manifest["category"], members)
        problems += shard_problems
        samples_read += len(keys)
        for key in keys:
            found.setdefault(key, []).append(entry["path"])
    problems += _check_keys_against_index(found, index)
    if manifest["category"] == ALL_CATEGORIES:
        problems += _check_category_masks(members, index)
    problems += _check_counts(manifest, index)
    accepted = sum(1 for row in index if row["accepted"])
    counts = {
        "shards": len(manifest["shards"]),
        "samples_read": samples_read,
        "index_rows": len(index),
        "accepted": accepted,
        "rejected": len(index) - accepted,
    }
    return VerifyReport(ok=not problems, problems=problems, counts=counts)


def _load_manifest(out: Path, problems: list[str]) -> dict[str, Any] | None:
    try:
        manifest = read_manifest(out)
    except ManifestError as error:
        problems.append(f"{error.path.name}: {error.reason}")
        return None
    invalid = schemas.problems("manifest", manifest)
    if invalid:
        problems += [f"manifest.json: {line}" for line in invalid]
        return None
    return manifest


def _check_shard_file(out: Path, entry: dict[str, Any]) -> list[str]:
    path = out / entry["path"]
    if not path.is_file():
        return [f"{entry['path']}: listed in the manifest but missing"]
    size, digest = file_size_and_sha256(path)
    problems = []
    if size != entry["bytes"]:
        problems.append(f"{entry['path']}: {size} bytes but the manifest records {entry['bytes']}")
    if digest != entry["sha256"]:
        problems.append(f"{entry['path']}: sha256 {digest} differs from the manifest's {entry['sha256']}")
    return problems


def _check_shard_samples(
    out: Path, entry: dict[str, Any], category: str, members: dict[str, set[str]]
) -> tuple[list[str], list[str]]:
    """Keys read from one shard (in order) and the problems of its samples; each key's member
    names go into ``members``."""
    path = out / entry["path"]
    if not path.is_file():
        return [], []
    keys: list[str] = []
    problems: list[str] = []
    try:
        for sample in iter_shard(path, decode=False, by_webdataset=True):
            keys.append(sample.key)
            members[sample.key] = set(sample.members)
            problems += [
                f"{entry['path']}: sample {sample.key}: {line}"
                for line in check_sample({"__key__": sample.key, **sample.members}, category)
            ]
    except Exception as error:
        problems.append(
            f"{entry['path']}: unreadable as a WebDataset tar after {len(keys)} samples ({error})"
        )
        return keys, problems
    if len(keys) != entry["samples"]:
        problems.append(
            f"{entry['path']}: holds {len(keys)} samples but the manifest records {entry['samples']}"
        )
    return keys, problems


def check_sample(sample: dict[str, Any], category: str = "upper") -> list[str]:
    """Problems of one sample read from a shard (``__key__`` plus member bytes) of a dataset built
    for ``category``; empty when valid."""
    members = {name for name in sample if not name.startswith("__")}
    problems = [
        f"missing required member {name}" for name in required_members(category) if name not in members
    ]
    problems += [f"unknown member {name}" for name in sorted(members - set(member_specs(category)))]
    masks = _masks_of(category)
    if not members & set(masks):
        problems.append(f"holds no agnostic mask (expected one of {', '.join(sorted(masks))})")
    if "meta.json" in members:
        problems += _check_meta(sample["__key__"], sample["meta.json"])
    if "person.jpg" in members:
        try:
            size = Image.open(io.BytesIO(sample["person.jpg"])).size
        except Exception as error:
            return [*problems, f"person.jpg does not decode ({error})"]
        problems += [
            line
            for name, allowed in _single_channel(category).items()
            if name in members
            for line in _check_mask(name, sample[name], size, allowed)
        ]
    return problems


def _masks_of(category: str) -> list[str]:
    """The agnostic mask members a sample of a ``category`` dataset may hold (at least one of)."""
    names = member_specs(category)
    return [name for name in names if name.startswith("agnostic_mask")]


def _single_channel(category: str) -> dict[str, frozenset[int]]:
    """Single-channel members of a ``category`` dataset and the values each may hold."""
    binary = frozenset({0, 255})
    plain = {**dict.fromkeys(BINARY_MASKS, binary), **LABEL_MAPS}
    names = member_specs(category)
    return {
        name: allowed
        for base, allowed in plain.items()
        for name in names
        if name == base or (base in PER_CATEGORY_MEMBERS and name.startswith(base.rsplit(".", 1)[0] + "_"))
    }


def _check_meta(key: str, data: bytes) -> list[str]:
    try:
        meta = json.loads(data)
    except ValueError as error:
        return [f"meta.json is not valid JSON ({error})"]
    problems = [f"meta.json {line}" for line in schemas.problems("sample", meta)]
    if isinstance(meta, dict) and meta.get("key") != key:
        problems.append(f"meta.json names key {meta.get('key')!r}")
    return problems


def _check_mask(
    name: str, data: bytes, person_size: tuple[int, int], allowed: frozenset[int] = frozenset({0, 255})
) -> list[str]:
    mask = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    if mask is None:
        return [f"{name} does not decode as an image"]
    if mask.ndim != 2 or mask.dtype != np.uint8:
        channels = 1 if mask.ndim == 2 else mask.shape[2]
        return [f"{name} is {channels}-channel {mask.dtype}, expected single-channel uint8"]
    problems = []
    height_px, width_px = mask.shape
    if (width_px, height_px) != person_size:
        problems.append(
            f"{name} is {width_px}x{height_px} but person.jpg is {person_size[0]}x{person_size[1]}"
        )
    stray = sorted(set(np.unique(mask).tolist()) - allowed)
    if stray:
        shown = ", ".join(str(value) for value in stray[:5])
        expected = (
            " and ".join(str(value) for value in sorted(allowed)) if len(allowed) <= 2 else "its label ids"
        )
        problems.append(f"{name} holds values other than {expected}: {shown}")
    return problems


def _check_keys_against_index(found: dict[str, list[str]], index: list[dict[str, Any]]) -> list[str]:
    problems = [
        f"key {key} appears {len(shards)} times in shards ({', '.join(shards)})"
        for key, shards in sorted(found.items())
        if len(shards) > 1
    ]
    repeated = Counter(row["key"] for row in index)
    problems += [f"key {key} has {n} index rows" for key, n in sorted(repeated.items()) if n > 1]
    rows = {row["key"]: row for row in index}
    problems += [
        f"key {key} is in {shards[0]} but has no index row"
        for key, shards in found.items()
        if key not in rows
    ]
    absent_by_shard: dict[str, list[str]] = {}
    for key, row in rows.items():
        shards = found.get(key, [])
        if not row["accepted"] and shards:
            problems.append(f"key {key} is rejected ({row['reason_code']}) but present in {shards[0]}")
        elif row["accepted"] and not shards:
            absent_by_shard.setdefault(row["shard"], []).append(key)
        elif row["accepted"] and row["shard"] not in shards:
            problems.append(f"key {key}: the index says {row['shard']} but it is in {shards[0]}")
    for shard, keys in sorted(absent_by_shard.items()):
        shown = ", ".join(keys[:5]) + (", ..." if len(keys) > 5 else "")
        problems.append(f"{shard}: {len(keys)} accepted index rows not found in any shard ({shown})")
    return problems


def _check_category_masks(members: dict[str, set[str]], index: list[dict[str, Any]]) -> list[str]:
    """An all-category sample holds the mask of exactly the categories the index accepts it for."""
    problems = []
    for row in index:
        held = members.get(row["key"])
        if not row["accepted"] or held is None:
            continue
        for category in Category:
            has_mask = category_member("agnostic_mask.png", category) in held
            if has_mask != row[f"accepted_{category}"]:
                verdict = "accepted" if row[f"accepted_{category}"] else "rejected"
                presence = "holds" if has_mask else "lacks"
                problems.append(f"key {row['key']} is {verdict} for {category} but {presence} its mask")
        union = category_member("agnostic_mask.png", UNION_NAME) in held
        both = all(row[f"accepted_{category}"] for category in UNION_CATEGORIES)
        if union != both:
            problems.append(
                f"key {row['key']}: the union mask is {'present' if union else 'absent'} "
                f"but upper and lower are {'both' if both else 'not both'} accepted"
            )
    return problems


def _check_counts(manifest: dict[str, Any], index: list[dict[str, Any]]) -> list[str]:
    counts = manifest["counts"]
    problems = []
    if counts["inputs"] != counts["accepted"] + counts["rejected"]:
        problems.append(
            f"manifest counts {counts['inputs']} inputs but {counts['accepted']} accepted + "
            f"{counts['rejected']} rejected"
        )
    if len(index) != counts["inputs"]:
        problems.append(f"index has {len(index)} rows but the manifest counts {counts['inputs']} inputs")
    accepted = sum(1 for row in index if row["accepted"])
    if accepted != counts["accepted"]:
        problems.append(f"index has {accepted} accepted rows but the manifest counts {counts['accepted']}")
    reasons = Counter(row["reason_code"] for row in index if not row["accepted"])
    if dict(reasons) != counts["by_reason"]:
        problems.append(
            f"index rejections by reason {dict(sorted(reasons.items()))} differ from the manifest's"
        )
    return problems
