"""Rebuild tests/output/golden_shards.json: the sha256 of a small build of the shared photos.

Run it after a deliberate change to what a build writes (an encoder setting,
a new member, a model's output) and commit the new file with that change:

    .venv/bin/python scripts/write-golden-shards.py

It needs the shared photos (VTONDATA_SHARED) and the offline recipe's models.
tests/output/test_golden.py fails whenever the bytes change without it.
"""

import json
import os
import sys
import tempfile
from pathlib import Path

root = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(root))

from tests.output.golden import GOLDEN_FILE, build_golden, shard_digests  # noqa: E402

shared = Path(os.environ.get("VTONDATA_SHARED", root.parent / "shared"))
with tempfile.TemporaryDirectory() as scratch:
    digests = shard_digests(build_golden(shared, Path(scratch)))
GOLDEN_FILE.write_text(json.dumps(digests, indent=2, sort_keys=True) + "\n", encoding="utf-8")
print(f"wrote {GOLDEN_FILE}: {len(digests['shards'])} shards, {len(digests['members'])} members")
