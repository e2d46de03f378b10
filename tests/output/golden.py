"""A small build of the shared photos whose shard bytes are pinned in ``golden_shards.json``.

The photos cover the encoder's paths: a JPEG stored as it came, a PNG
transcoded to JPEG, and a person with a paired garment photo (``cloth.jpg``
and ``cloth_mask.png``). ``scripts/write-golden-shards.py`` rebuilds the file
after a deliberate change to what a build writes; ``tests/output/test_golden.py``
fails when the bytes change by accident.
"""

from __future__ import annotations

import hashlib
import json
import tarfile
from pathlib import Path
from typing import Any

import vtondata

GOLDEN_FILE = Path(__file__).with_name("golden_shards.json")
RECIPE = "offline"
OVERRIDES = {"output.chunk_size": "2"}
CATEGORY = "upper"
PHOTOS = {
    "01008_00.jpg": "data/persons/01008_00.jpg",
    "01008_00_cloth.jpg": "data/vitonhd-sample/datasets/test/cloth/01260_00.jpg",
    "model_1.png": "data/persons/model_1.png",
    "00891_00.jpg": "data/vitonhd-sample/datasets/test/image/00891_00.jpg",
}
"""Name in the raw folder -> path under the shared folder."""


def link_golden_photos(shared: Path, raw: Path) -> Path:
    """Fill ``raw`` with links to :data:`PHOTOS`; fails with the path when one is missing."""
    raw.mkdir(parents=True, exist_ok=True)
    for name, relative in PHOTOS.items():
        source = shared / relative
        if not source.is_file():
            raise FileNotFoundError(f"shared photo missing: {source} (set VTONDATA_SHARED)")
        (raw / name).symlink_to(source)
    return raw


def build_golden(shared: Path, scratch: Path) -> Path:
    """Build the golden photos into ``scratch/out`` (raw links in ``scratch/raw``); the output folder."""
    raw = link_golden_photos(shared, scratch / "raw")
    out = scratch / "out"
    vtondata.build(raw, out, CATEGORY, RECIPE, OVERRIDES, runner="local", capture_logs=False)
    return out


def shard_digests(out: Path) -> dict[str, Any]:
    """sha256 of every shard and of every member in it (members say which part changed)."""
    shards: dict[str, str] = {}
    members: dict[str, str] = {}
    for path in sorted((out / "shards").glob("*.tar")):
        shards[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
        with tarfile.open(path) as archive:
            for member in archive:
                handle = archive.extractfile(member)
                if handle is not None:
                    members[member.name] = hashlib.sha256(handle.read()).hexdigest()
    return {"shards": shards, "members": members}


def read_golden() -> dict[str, Any]:
    return json.loads(GOLDEN_FILE.read_text(encoding="utf-8"))
