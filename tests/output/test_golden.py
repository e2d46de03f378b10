"""Same photos and recipe, same shard bytes: a small build of the shared photos against pinned sha256.

After a deliberate change to what a build writes, refresh the pins with
``.venv/bin/python scripts/write-golden-shards.py`` (docs/format.md).
"""

from __future__ import annotations

import numpy as np
import pytest

import vtondata
from tests.conftest import require_shared
from tests.output.golden import build_golden, read_golden, shard_digests
from vtondata.output.format import binary_mask_u8

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def golden_build(tmp_path_factory):
    shared = require_shared("data").parent
    return build_golden(shared, tmp_path_factory.mktemp("golden"))


def test_a_small_build_writes_the_pinned_shard_bytes(golden_build):
    built, expected = shard_digests(golden_build), read_golden()
    changed = sorted(
        name for name, digest in built["members"].items() if expected["members"].get(name) != digest
    )
    missing = sorted(set(expected["members"]) - set(built["members"]))
    assert (changed, missing) == ([], []), (
        "members differ from tests/output/golden_shards.json; if the change is deliberate, "
        "run scripts/write-golden-shards.py"
    )
    assert built["shards"] == expected["shards"]


def test_tryon_masks_a_photo_as_the_build_stored_it(golden_build):
    from vtondata.train.tryon import person_and_mask  # loads torch and diffusers

    record = vtondata.open(golden_build).sample("0000000_00891_00")
    person_rgb, mask_u8 = person_and_mask(golden_build.parent / "raw" / "00891_00.jpg", "upper", None)
    assert np.array_equal(person_rgb, record.person)
    assert np.array_equal(mask_u8, binary_mask_u8(record.mask))
