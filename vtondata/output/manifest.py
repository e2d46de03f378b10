"""``OUT/manifest.json``: what a dataset is, how it was made, and what every tar member means.

A reader needs only the manifest to trust a dataset: the format name and
schema version (semver; see docs/format.md for the policy), the producer, the
resolved recipe and its hash, the backends and their weights, the stages in
the order they ran, one spec per
tar member, and every shard with its sample count, size and sha256. It is
validated against ``schemas/manifest.schema.json`` before it is written, and
``created_utc`` is its only time-dependent field.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vtondata import schemas
from vtondata.config import Recipe
from vtondata.output.format import SCHEMA_VERSION, json_bytes, member_specs
from vtondata.output.layout import manifest_path, write_bytes_atomic
from vtondata.output.shards import ChunkRecord

FORMAT_NAME = "vtondata"


def build_manifest(
    *,
    recipe: Recipe,
    recipe_sha256: str,
    inputs_sha256: str,
    category: str,
    records: list[ChunkRecord],
    backends: dict[str, dict[str, Any]],
    stages: list[str],
    producer_version: str,
) -> dict[str, Any]:
    """The manifest of a finished run, from its chunk records (any order; sorted by chunk here).

    ``stages`` names the stages the build ran, in data-flow order; the report
    orders its funnel and timings by it.

    ``backends`` maps a role (``"pose"``, ``"segment"``) to ``{"name", "version",
    "weights": {role: {"path", "sha256"}}}`` (``weights`` optional, ``path`` a file name).
    """
    ordered = sorted(records, key=lambda record: record.chunk)
    by_reason: Counter[str] = Counter()
    for record in ordered:
        by_reason.update(record.by_reason)
    return {
        "format": FORMAT_NAME,
        "schema_version": SCHEMA_VERSION,
        "producer": {"name": "vtondata", "version": producer_version},
        "created_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "category": str(category),
        "inputs_sha256": inputs_sha256,
        "recipe": {"name": recipe.name, "sha256": recipe_sha256, "resolved": recipe.model_dump(mode="json")},
        "backends": backends,
        "stages": list(stages),
        "keys": {name: asdict(spec) for name, spec in member_specs(str(category)).items()},
        "shards": [
            {
                "path": record.shard,
                "chunk": record.chunk,
                "samples": record.accepted,
                "inputs": record.samples,
                "bytes": record.bytes,
                "sha256": record.sha256,
            }
            for record in ordered
        ],
        "counts": {
            "inputs": sum(record.samples for record in ordered),
            "accepted": sum(record.accepted for record in ordered),
            "rejected": sum(record.rejected for record in ordered),
            "by_reason": dict(sorted(by_reason.items())),
        },
    }


def write_manifest(out: Path, manifest: dict[str, Any]) -> Path:
    """Validate against ``schemas/manifest.schema.json`` and write ``OUT/manifest.json`` atomically."""
    schemas.validate("manifest", manifest)
    path = manifest_path(out)
    write_bytes_atomic(path, json_bytes(manifest, indent=2) + b"\n")
    return path
