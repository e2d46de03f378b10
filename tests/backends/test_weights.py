"""The weights resolver: search order, downloads only when allowed, and every error message."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from vtondata.backends import weights
from vtondata.backends.weights import (
    download_ultralytics_asset,
    downloads_allowed,
    file_sha256,
    resolve_weights,
    user_cache_dir,
)
from vtondata.errors import WeightsNotFound

NAME = "model.pt"


@pytest.fixture
def places(tmp_path, monkeypatch):
    """Empty explicit, VTONDATA_WEIGHTS and cache folders; downloads disabled."""
    folders = {key: tmp_path / key for key in ("explicit", "env", "cache")}
    for folder in folders.values():
        folder.mkdir()
    monkeypatch.setenv("VTONDATA_WEIGHTS", str(folders["env"]))
    monkeypatch.setenv("XDG_CACHE_HOME", str(folders["cache"]))
    monkeypatch.setenv("YOLO_OFFLINE", "1")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("VTONDATA_OFFLINE", raising=False)
    folders["cache_weights"] = folders["cache"] / "vtondata" / "weights"
    folders["cache_weights"].mkdir(parents=True)
    return folders


def _write(path: Path, content: bytes) -> str:
    path.write_bytes(content)
    return hashlib.sha256(content).hexdigest()


def test_an_explicit_path_wins(places):
    sha = _write(places["explicit"] / NAME, b"explicit")
    _write(places["env"] / NAME, b"env")
    resolved = resolve_weights(str(places["explicit"] / NAME), sha)
    assert resolved.path == (places["explicit"] / NAME).resolve()
    assert resolved.sha256 == sha


def test_vtondata_weights_comes_before_the_cache(places):
    sha = _write(places["env"] / NAME, b"env")
    _write(places["cache_weights"] / NAME, b"cache")
    resolved = resolve_weights(NAME)
    assert resolved.path == (places["env"] / NAME).resolve() and resolved.sha256 == sha


def test_a_missing_explicit_path_falls_back_to_the_name(places):
    _write(places["env"] / NAME, b"env")
    assert (
        resolve_weights(str(places["explicit"] / "elsewhere" / NAME)).path == (places["env"] / NAME).resolve()
    )


def test_the_user_cache_is_searched_last(places, monkeypatch):
    monkeypatch.delenv("VTONDATA_WEIGHTS")
    sha = _write(places["cache_weights"] / NAME, b"cache")
    assert user_cache_dir() == places["cache_weights"]
    assert resolve_weights(NAME).sha256 == sha


def test_nothing_found_offline_names_the_file_every_place_and_the_alternative(places):
    with pytest.raises(WeightsNotFound) as error:
        resolve_weights(NAME)
    message = str(error.value)
    assert f"'{NAME}' not found" in message
    assert str(places["env"] / NAME) in message
    assert str(places["cache_weights"] / NAME) in message
    assert str(Path(NAME).absolute()) in message
    assert "download: disabled (YOLO_OFFLINE=1)" in message
    assert "--pipeline offline" in message


def test_an_unset_weights_folder_is_reported(places, monkeypatch):
    monkeypatch.delenv("VTONDATA_WEIGHTS")
    with pytest.raises(WeightsNotFound, match=r"\$VTONDATA_WEIGHTS \(not set\)"):
        resolve_weights(NAME)


def test_a_wrong_hash_names_both_hashes(places):
    actual = _write(places["env"] / NAME, b"stale")
    expected = "0" * 64
    with pytest.raises(WeightsNotFound) as error:
        resolve_weights(NAME, expected)
    assert actual in str(error.value) and expected in str(error.value)
    assert str(places["env"] / NAME) in str(error.value)


def test_each_offline_variable_disables_downloads(monkeypatch):
    for var in ("VTONDATA_OFFLINE", "HF_HUB_OFFLINE", "YOLO_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    assert downloads_allowed() == (True, "")
    for var in ("VTONDATA_OFFLINE", "HF_HUB_OFFLINE", "YOLO_OFFLINE"):
        monkeypatch.setenv(var, "1")
        assert downloads_allowed() == (False, f"{var}=1")
        monkeypatch.setenv(var, "0")
    assert downloads_allowed()[0]


def test_an_allowed_download_lands_in_the_user_cache_and_is_checked(places, monkeypatch):
    monkeypatch.delenv("YOLO_OFFLINE")
    calls = []

    def downloader(name: str, destination: Path) -> Path:
        calls.append((name, destination))
        destination.write_bytes(b"downloaded")
        return destination

    expected = hashlib.sha256(b"downloaded").hexdigest()
    resolved = resolve_weights(NAME, expected, downloader=downloader)
    assert calls == [(NAME, places["cache_weights"] / NAME)]
    assert resolved.path == (places["cache_weights"] / NAME).resolve() and resolved.sha256 == expected
    assert resolve_weights(NAME, expected, downloader=downloader).path == resolved.path
    assert len(calls) == 1  # found in the cache the second time
    (places["cache_weights"] / NAME).unlink()
    with pytest.raises(WeightsNotFound, match="sha256"):
        resolve_weights(NAME, "f" * 64, downloader=downloader)


def test_unknown_sources_and_failed_downloads_are_reported(places, monkeypatch):
    monkeypatch.delenv("YOLO_OFFLINE")
    with pytest.raises(WeightsNotFound, match=f"no known source for '{NAME}'"):
        resolve_weights(NAME, downloader=lambda name, destination: None)

    def broken(name: str, destination: Path) -> Path:
        raise ConnectionError("network unreachable")

    with pytest.raises(WeightsNotFound, match="failed \\(ConnectionError: network unreachable\\)"):
        resolve_weights(NAME, downloader=broken)


def test_only_ultralytics_release_assets_have_a_download_source(tmp_path):
    assert download_ultralytics_asset("sam2.1_hiera_tiny_custom.pt", tmp_path / "x.pt") is None


def test_hashes_are_computed_once_per_file_version(tmp_path):
    path = tmp_path / NAME
    first = _write(path, b"one")
    before = weights._sha256_cached.cache_info()
    assert file_sha256(path) == first
    assert file_sha256(path) == first
    after = weights._sha256_cached.cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 1)
    second = _write(path, b"two, longer")
    os.utime(path, ns=(1, 1))
    assert file_sha256(path) == second
