"""Messages and exit codes: a clear line and a stable code for every way a command fails, no traceback."""

from __future__ import annotations

import errno
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import vtondata
import vtondata.api
from tests.conftest import REPO_ROOT, require_shared
from tests.hostile import corpus
from tests.hostile.conftest import build_cli, run_cli
from tests.photos import real_photos
from vtondata.config.ingest import IngestConfig
from vtondata.ingest.chunks import plan_chunks
from vtondata.ingest.decode import decode_person
from vtondata.ingest.scan import scan_inputs
from vtondata.output import layout
from vtondata.sample import Category, Rejection
from vtondata.stages.ingest import IngestStage


def _cli_subprocess(*args: str, **popen: object) -> subprocess.Popen:
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "vtondata", *args],
        cwd=REPO_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def _real_raw(folder: Path, count: int) -> Path:
    folder.mkdir()
    for photo in real_photos()[:count]:
        (folder / photo.name).symlink_to(photo)
    return folder


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64_000, 64_000))


@pytest.mark.slow
def test_a_full_disk_is_a_clear_error_with_exit_7(tmp_path):
    raw, out = _real_raw(tmp_path / "raw", 1), tmp_path / "out"
    args = ["build", str(raw), str(out), "-c", "upper", "-p", "offline", "--runner", "local", "-q"]
    process = _cli_subprocess(*args, preexec_fn=_limit_file_size)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 7, stderr
    assert "cannot write" in stderr and "Traceback" not in stderr
    assert not layout.temporary_files(out)


def test_a_read_only_out_names_the_real_error_even_when_cleanup_fails_too(tmp_path, monkeypatch):
    from vtondata.errors import OutputError

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(layout.os, "replace", read_only)
    monkeypatch.setattr(Path, "unlink", read_only)
    with pytest.raises(OutputError, match=r"cannot write .*plan\.json: the file system is read-only"):
        layout.write_bytes_atomic(tmp_path / "plan.json", b"{}")


def test_a_malformed_set_value_exits_2(tmp_path):
    result = build_cli(tmp_path, tmp_path / "out", "--set", "output.chunk_size=[1,2")
    assert result.exit_code == 2, result.output
    assert "output.chunk_size" in result.output and "not valid YAML" in result.output


def test_an_unknown_runner_exits_2_before_anything_is_written(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "person.jpg").write_bytes(corpus.person_jpeg())
    result = run_cli("build", raw, tmp_path / "out", "-c", "upper", "-p", "offline", "--runner", "foo")
    assert result.exit_code == 2, result.output
    assert "unknown runner 'foo'" in result.output
    assert not (tmp_path / "out").exists()


def test_export_to_a_file_path_exits_3(built, tmp_path):
    _, out = built
    target = tmp_path / "a-file"
    target.write_text("mine")
    result = run_cli("export", out, target)
    assert result.exit_code == 3, result.output
    assert "not a folder" in result.output and target.read_text() == "mine"


def test_export_writes_one_clean_pair_per_line_whatever_the_names(built, tmp_path):
    _, out = built
    dest = tmp_path / "export"
    result = run_cli("export", out, dest)
    assert result.exit_code == 0, result.output
    lines = (dest / "train_pairs.txt").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4
    for line in lines:
        person, cloth = line.split(" ")
        assert person == cloth and (dest / "train" / "image" / person).is_file()
    assert "two_words.jpg two_words.jpg" in lines and "line_break.jpg line_break.jpg" in lines


def test_eval_masks_notes_a_corrupt_or_oversized_mask_and_scores_the_rest(tmp_path):
    truth = require_shared("data/vitonhd-sample/datasets/test")
    stems = sorted(path.stem for path in (truth / "image-parse").glob("*.png"))
    masks = tmp_path / "masks"
    masks.mkdir()
    shutil.copy(truth / "image-parse" / f"{stems[0]}.png", masks / f"{stems[0]}_mask.png")
    (masks / f"{stems[1]}_mask.png").write_bytes(corpus.PNG_SIGNATURE + b"\x00" * 100)
    (masks / f"{stems[2]}_mask.png").write_bytes(corpus.huge_png(12_000, 12_000))
    report = tmp_path / "report.json"
    result = run_cli("eval-masks", truth, masks, "--json", report)
    assert result.exit_code == 0, result.output
    notes = {sample["stem"]: sample["note"] for sample in json.loads(report.read_text())["samples"]}
    assert notes[stems[0]] is None
    assert "mask not decoded" in notes[stems[1]]
    assert "12000x12000" in notes[stems[2]]


def test_verify_prints_a_path_with_markup_characters(built, tmp_path):
    _, out = built
    odd = tmp_path / "a[" / "]b [bold]"
    odd.parent.mkdir()
    shutil.move(out, odd)
    result = run_cli("verify", odd)
    assert result.exit_code == 0, result.output
    assert "]b [bold]" in result.output and ": ok" in result.output


@pytest.mark.parametrize("bomb", [corpus.ztxt_bomb, corpus.iccp_bomb])
def test_zlib_bombs_in_png_metadata_are_too_large(bomb):
    rejection = decode_person(corpus.png_with_chunk(512, 683, bomb()), IngestConfig())
    assert isinstance(rejection, Rejection)
    assert rejection.code == "ingest.too_large", rejection.message


def test_a_tiff_renamed_jpg_is_not_an_image_not_a_near_duplicate(tmp_path):
    from vtondata.config import load_recipe

    recipe = load_recipe("offline")
    (tmp_path / "a.jpg").write_bytes(corpus.person_jpeg())
    (tmp_path / "b.jpg").write_bytes(corpus.tiff_copy(corpus.person_jpeg()))
    items = scan_inputs(tmp_path, recipe.ingest, duplicates=recipe.quality.duplicates)
    samples = IngestStage(recipe.ingest).process_batch(plan_chunks(items, 2, Category.UPPER)[0].samples())
    assert samples[1].rejection is not None
    assert samples[1].rejection.code == "ingest.not_an_image", samples[1].rejection


def _sigint_as_in_a_terminal() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow
def test_ctrl_c_says_that_a_rerun_resumes_and_releases_the_lock(tmp_path):
    raw, out = _real_raw(tmp_path / "raw", 10), tmp_path / "out"
    args = ["build", str(raw), str(out), "-c", "upper", "-p", "offline", "--runner", "local"]
    # A shell starts a background job with SIGINT ignored, and Python then installs no handler
    # for it; the build runs here as a foreground job in a terminal would.
    process = _cli_subprocess(*args, "--set", "output.chunk_size=1", preexec_fn=_sigint_as_in_a_terminal)
    first_marker = layout.marker_path(out, "train", 0)
    deadline = time.monotonic() + 120
    while not first_marker.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "run the same command again to resume" in " ".join(stderr.split())
    assert "Traceback" not in stderr
    assert not (out / ".vtondata.lock").exists() and first_marker.exists()


def test_the_manifest_is_written_once_at_the_end_as_the_docs_say(tmp_path):
    raw, out = _real_raw(tmp_path / "raw", 1), tmp_path / "out"
    seen = []
    vtondata.build(
        raw, out, "upper", "offline", {"output.chunk_size": 1}, runner="local",
        on_chunk_done=lambda record: seen.append((out / "manifest.json").exists()),
    )  # fmt: skip
    assert seen == [False] and (out / "manifest.json").is_file()
    format_doc = (REPO_ROOT / "docs" / "format.md").read_text(encoding="utf-8")
    assert (
        "manifest.json                 the dataset's description (written once, when every chunk"
        in format_doc
    )
    assert "after every chunk" not in format_doc


def test_ctrl_c_turned_into_another_error_by_an_extension_import_is_still_an_interrupt(tmp_path, monkeypatch):
    def interrupted_import(*args, **kwargs):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as interrupt:
            raise ImportError("initialization failed") from interrupt

    monkeypatch.setattr(vtondata.api, "build", interrupted_import)
    result = build_cli(tmp_path, tmp_path / "out")
    assert result.exit_code == 130, result.output
    assert "run the same command again to resume" in " ".join(result.output.split())
