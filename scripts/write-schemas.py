"""Regenerate the recipe JSON Schemas from their pydantic models.

The models are the source of truth; the schemas (schemas/pipeline.schema.json
for build recipes, schemas/train.schema.json for training recipes) are what
editors and other tools read. tests/config and tests/train fail when they drift.
"""

import json
from pathlib import Path

from vtondata.config import recipe_json_schema
from vtondata.train.config import train_recipe_json_schema

schemas = Path(__file__).resolve().parents[1] / "schemas"
for name, schema in (("pipeline", recipe_json_schema()), ("train", train_recipe_json_schema())):
    target = schemas / f"{name}.schema.json"
    target.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
    print(f"wrote {target}")
