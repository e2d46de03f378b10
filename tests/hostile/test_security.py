"""Security: no checkpoint runs code, no decoder runs unbounded, no file outside RAW leaks in, no location leaks out."""

from __future__ import annotations

import pytest

from tests.conftest import require_shared
from tests.hostile import corpus
from vtondata.backends.pose_yolo import CHECKPOINT_PACKAGES, YoloPoseBackend
from vtondata.backends.safe_pickle import check_model_pickle
from vtondata.backends.weights import resolve_weights
from vtondata.config.pose import YoloPoseConfig
from vtondata.errors import WeightsNotFound


def test_an_unpinned_yolo_checkpoint_that_runs_code_is_refused_before_unpickling(tmp_path):
    checkpoint, marker = tmp_path / "yolo11n-pose.pt", tmp_path / "pwned"
    corpus.code_running_checkpoint(checkpoint, marker)
    backend = YoloPoseBackend(YoloPoseConfig(weights_sha256=None), resolve_weights(str(checkpoint)))
    with pytest.raises(WeightsNotFound, match=r"refused before loading: its pickle names '__builtin__\.exec'"):
        backend.load()
    assert not marker.exists()


def test_the_official_yolo_release_passes_the_pickle_check():
    data = require_shared("weights/yolo11n-pose.pt").read_bytes()
    check_model_pickle(data, CHECKPOINT_PACKAGES, "yolo11n-pose.pt")


class _DunderGetattr:
    """Pickles as ``getattr(torch.nn.Module, "__init__")``: the first step of a sandbox escape."""

    def __reduce__(self):
        import torch

        return (getattr, (torch.nn.Module, "__init__"))


@pytest.mark.parametrize("kind", ["dunder getattr", "legacy pickle"])
def test_other_unsafe_or_legacy_checkpoints_are_refused(tmp_path, kind):
    import pickle

    import torch

    path = tmp_path / "model.pt"
    if kind == "dunder getattr":
        torch.save({"model": _DunderGetattr()}, path)
        named = r"getattr\(.*'__init__'\)"
    else:
        path.write_bytes(pickle.dumps({"model": 1}))
        named = "not a zip-format"
    with pytest.raises(WeightsNotFound, match=named):
        check_model_pickle(path.read_bytes(), CHECKPOINT_PACKAGES, path.name)
