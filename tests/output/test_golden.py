"""Same photos and recipe, same shard bytes: a small build of the shared photos against pinned sha256.

After a deliberate change to what a build writes, refresh the pins with
``.venv/bin/python scripts/write-golden-shards.py`` (docs/format.md).
"""

from __future__ import annotations

import pytest

from tests.conftest import require_shared
from tests.output.golden import build_golden, read_golden

pytestmark = pytest.mark.slow


def test_a_small_build_writes_the_pinned_shard_bytes(tmp_path):
    shared = require_shared("data")
    built = build_golden(shared.parent, tmp_path)
    expected = read_golden()
    changed = sorted(
        name for name, digest in built["members"].items() if expected["members"].get(name) != digest
    )
    missing = sorted(set(expected["members"]) - set(built["members"]))
    assert (changed, missing) == ([], []), (
        "members differ from tests/output/golden_shards.json; if the change is deliberate, "
        "run scripts/write-golden-shards.py"
    )
    assert built["shards"] == expected["shards"]
