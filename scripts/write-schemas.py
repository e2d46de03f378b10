"""Regenerate schemas/pipeline.schema.json from the Recipe model.

The pydantic model is the source of truth; the JSON Schema is what editors and
other tools read. tests/config/test_schema.py fails when the two drift.
"""

import json
from pathlib import Path

from vtondata.config import recipe_json_schema

target = Path(__file__).resolve().parents[1] / "schemas" / "pipeline.schema.json"
target.write_text(json.dumps(recipe_json_schema(), indent=2, sort_keys=True) + "\n")
print(f"wrote {target}")
