"""prepare_output: resume finished chunks, refuse another plan, overwrite only what vtondata wrote."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from vtondata.errors import InputError, ResumeMismatch
from vtondata.output import layout
from vtondata.output.format import REQUIRED_MEMBERS
from vtondata.output.shards import write_chunk
from vtondata.runners.resume import Plan, prepare_output, read_plan
from vtondata.sample import Category, Sample

PLAN = Plan(
    recipe_sha256="1" * 64,
    inputs_sha256="2" * 64,
    category="upper",
    split="train",
    chunk_size=2,
    num_chunks=3,
    num_inputs=6,
    producer_version="0.1.0",
)


def chunk_samples(chunk: int) -> list[Sample]:
    """Two samples, the first accepted (with placeholder member bytes), the second rejected."""
    accepted = Sample(
        key=f"{2 * chunk:06d}", index=2 * chunk, source_path="a.jpg", category=Category.UPPER, chunk=chunk
    )
    accepted.files = {name: f"{name} of chunk {chunk}".encode() for name in REQUIRED_MEMBERS}
    rejected = Sample(
        key=f"{2 * chunk + 1:06d}",
        index=2 * chunk + 1,
        source_path="b.jpg",
        category=Category.UPPER,
        chunk=chunk,
    )
    rejected.reject("pose.no_person", "nobody there")
    return [accepted, rejected]


def finish_chunks(out: Path, *chunks: int) -> None:
    for chunk in chunks:
        write_chunk(out, "train", chunk, chunk_samples(chunk))


def test_new_output_has_nothing_done_and_records_the_plan(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert prepare_output(out, PLAN, overwrite=False) == set()
    assert read_plan(out) == PLAN
    assert json.loads(layout.plan_path(out).read_text())["format"] == "vtondata.plan"


def test_finished_chunks_are_skipped(tmp_path: Path) -> None:
    prepare_output(tmp_path, PLAN, overwrite=False)
    finish_chunks(tmp_path, 0, 2)
    assert prepare_output(tmp_path, PLAN, overwrite=False) == {0, 2}


def test_a_tar_without_its_marker_is_redone(tmp_path: Path) -> None:
    prepare_output(tmp_path, PLAN, overwrite=False)
    finish_chunks(tmp_path, 0, 1)
    layout.marker_path(tmp_path, "train", 1).unlink()
    assert prepare_output(tmp_path, PLAN, overwrite=False) == {0}


def test_a_tar_of_the_wrong_size_is_redone(tmp_path: Path) -> None:
    prepare_output(tmp_path, PLAN, overwrite=False)
    finish_chunks(tmp_path, 0, 1)
    shard = layout.shard_path(tmp_path, "train", 0)
    shard.write_bytes(shard.read_bytes()[:1024])
    assert prepare_output(tmp_path, PLAN, overwrite=False) == {1}


def test_leftover_temporary_files_are_removed(tmp_path: Path) -> None:
    prepare_output(tmp_path, PLAN, overwrite=False)
    finish_chunks(tmp_path, 0)
    (tmp_path / "shards" / ".train-000001.tar.0badcafe.tmp").write_bytes(b"half a tar from a killed process")
    (tmp_path / ".manifest.json.12345678.tmp").write_bytes(b"{")
    assert prepare_output(tmp_path, PLAN, overwrite=False) == {0}
    assert layout.temporary_files(tmp_path) == []


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"recipe_sha256": "9" * 64}, "recipe (111111111111 before, 999999999999 now)"),
        ({"inputs_sha256": "9" * 64, "num_inputs": 7, "num_chunks": 4}, "input set"),
        ({"category": "lower"}, "category (upper before, lower now)"),
        ({"chunk_size": 4, "num_chunks": 2}, "chunk size (2 before, 4 now)"),
        ({"split": "val"}, "split (train before, val now)"),
    ],
)
def test_another_plan_is_refused_without_overwrite(tmp_path: Path, change: dict, named: str) -> None:
    prepare_output(tmp_path, PLAN, overwrite=False)
    finish_chunks(tmp_path, 0)
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(ResumeMismatch, match="--overwrite") as raised:
        prepare_output(tmp_path, dataclasses.replace(PLAN, **change), overwrite=False)
    assert named in str(raised.value)
    assert sorted(tmp_path.rglob("*")) == before
    assert read_plan(tmp_path) == PLAN


def test_a_new_producer_version_still_resumes(tmp_path: Path) -> None:
    prepare_output(tmp_path, PLAN, overwrite=False)
    finish_chunks(tmp_path, 0)
    newer = dataclasses.replace(PLAN, producer_version="0.2.0")
    assert prepare_output(tmp_path, newer, overwrite=False) == {0}
    assert read_plan(tmp_path) == newer


def test_overwrite_removes_only_what_vtondata_wrote(tmp_path: Path) -> None:
    prepare_output(tmp_path, PLAN, overwrite=False)
    finish_chunks(tmp_path, 0, 1)
    (tmp_path / "manifest.json").write_text('{"format": "vtondata"}')
    (tmp_path / "report.json").write_text('{"format": "vtondata.report"}')
    (tmp_path / "report.html").write_text("<title>vtondata report: offline (upper)</title>")
    for name in ("config.yaml", "notes.txt"):
        (tmp_path / name).write_text("x")
    (tmp_path / "shards" / "my-favourites.tar").write_bytes(b"user data")
    (tmp_path / "shards" / "val-000000.tar").write_bytes(b"another tool's shard")
    other = dataclasses.replace(PLAN, recipe_sha256="9" * 64)
    assert prepare_output(tmp_path, other, overwrite=True) == set()
    remaining = sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*") if path.is_file())
    assert remaining == [
        "config.yaml",
        "notes.txt",
        "plan.json",
        "shards/my-favourites.tar",
        "shards/val-000000.tar",
    ]
    assert not (tmp_path / "index").exists() and not (tmp_path / "chunks").exists()
    assert read_plan(tmp_path) == other


@pytest.mark.parametrize(("name", "removed"), [("vtondata-upper", True), ("my-curated-set", False)])
def test_overwrite_removes_croissant_json_only_when_vtondata_wrote_it(
    tmp_path: Path, name: str, removed: bool
) -> None:
    prepare_output(tmp_path, PLAN, overwrite=False)
    (tmp_path / "croissant.json").write_text(json.dumps({"@type": "sc:Dataset", "name": name}))
    prepare_output(tmp_path, dataclasses.replace(PLAN, recipe_sha256="9" * 64), overwrite=True)
    assert (tmp_path / "croissant.json").exists() is not removed


def test_a_foreign_folder_is_never_touched(tmp_path: Path) -> None:
    (tmp_path / "holiday.jpg").write_bytes(b"precious")
    (tmp_path / "shards").mkdir()
    for overwrite in (False, True):
        with pytest.raises(InputError, match=r"not a vtondata output.*holiday\.jpg"):
            prepare_output(tmp_path, PLAN, overwrite=overwrite)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["holiday.jpg", "shards"]


def test_chunks_without_a_plan_are_not_trusted_nor_deleted(tmp_path: Path) -> None:
    finish_chunks(tmp_path, 0)
    before = sorted(tmp_path.rglob("*"))
    for overwrite in (False, True):
        with pytest.raises(InputError, match=r"no vtondata plan\.json"):
            prepare_output(tmp_path, PLAN, overwrite=overwrite)
    assert sorted(tmp_path.rglob("*")) == before


def test_an_output_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "out"
    path.write_text("not a folder")
    with pytest.raises(InputError, match="not a folder"):
        prepare_output(path, PLAN, overwrite=True)
