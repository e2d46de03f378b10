"""manifest.json: complete, schema-valid, counts that add up; the bundled schemas themselves."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from pathlib import Path

import jsonschema
import pytest

from tests.output.synthetic import BACKENDS, INPUTS_SHA256, STAGES
from vtondata import schemas
from vtondata.config import load_recipe, recipe_sha256
from vtondata.output import layout
from vtondata.output.format import MEMBER_SPECS
from vtondata.output.manifest import build_manifest, write_manifest
from vtondata.output.shards import ChunkRecord


def test_manifest_describes_the_dataset(dataset: tuple[Path, list[ChunkRecord]]) -> None:
    out, records = dataset
    manifest = json.loads(layout.manifest_path(out).read_text())
    assert schemas.problems("manifest", manifest) == []
    assert manifest["format"] == "vtondata" and manifest["schema_version"] == "1.1.0"
    assert manifest["producer"] == {"name": "vtondata", "version": "0.1.0"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", manifest["created_utc"])
    recipe = load_recipe("offline")
    assert manifest["recipe"] == {
        "name": "offline",
        "sha256": recipe_sha256(recipe),
        "resolved": recipe.model_dump(mode="json"),
    }
    assert manifest["inputs_sha256"] == INPUTS_SHA256 and manifest["backends"] == BACKENDS
    assert manifest["stages"] == list(STAGES)
    assert manifest["keys"] == {name: asdict(spec) for name, spec in MEMBER_SPECS.items()}
    assert manifest["keys"]["agnostic_mask.png"]["required"] is True
    assert [shard["path"] for shard in manifest["shards"]] == [r.shard for r in records]
    assert [(s["samples"], s["inputs"]) for s in manifest["shards"]] == [(4, 5), (2, 3)]
    assert [(s["bytes"], s["sha256"]) for s in manifest["shards"]] == [(r.bytes, r.sha256) for r in records]
    assert manifest["counts"] == {
        "inputs": 8,
        "accepted": 6,
        "rejected": 2,
        "by_reason": {"mask.missing_joints": 1, "pose.no_person": 1},
    }


def test_records_in_any_order_give_shards_in_chunk_order(dataset: tuple[Path, list[ChunkRecord]]) -> None:
    _, records = dataset
    recipe = load_recipe("offline")
    manifest = build_manifest(
        recipe=recipe,
        recipe_sha256=recipe_sha256(recipe),
        inputs_sha256=INPUTS_SHA256,
        category="upper",
        records=records[::-1],
        backends={},
        stages=list(STAGES),
        producer_version="0.1.0",
    )
    assert [shard["chunk"] for shard in manifest["shards"]] == [0, 1]


def test_an_invalid_manifest_is_not_written(dataset: tuple[Path, list[ChunkRecord]], tmp_path: Path) -> None:
    out, _ = dataset
    manifest = json.loads(layout.manifest_path(out).read_text())
    manifest["counts"]["accepted"] = -1
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    with pytest.raises(jsonschema.ValidationError, match="-1"):
        write_manifest(fresh, manifest)
    assert list(fresh.iterdir()) == []


@pytest.mark.parametrize("name", ["sample", "manifest"])
def test_bundled_schemas_are_documented_draft_2020_12(name: str) -> None:
    schema = schemas.load_schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] and schema["title"] and schema["description"]
    assert schema["additionalProperties"] is False and schema["required"]


def test_unknown_schema_names_the_known_ones() -> None:
    with pytest.raises(FileNotFoundError, match="manifest"):
        schemas.load_schema("manifesto")
