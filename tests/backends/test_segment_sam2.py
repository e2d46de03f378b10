"""SAM2 backend against the real sam2 library with a random-weight hiera-tiny checkpoint.

The checkpoint is written in the release format and found through
``VTONDATA_WEIGHTS``, so resolving, hashing, ``torch.load(weights_only=True)``,
building from the packaged config, embedding and batched prompting all run
for real; the masks themselves are meaningless.
"""

from __future__ import annotations

import threading
import time

import cv2
import numpy as np
import pytest

from tests.fakes import FakePoseBackend
from tests.photos import real_photos
from tests.random_checkpoints import SAM2_TINY, write_sam2_checkpoint
from vtondata.backends import build_segment_backend, resolve_backend_weights
from vtondata.config.ingest import IngestConfig
from vtondata.config.pose import YoloPoseConfig
from vtondata.config.segment import Sam2SegmentConfig
from vtondata.errors import WeightsNotFound
from vtondata.geometry.keypoints import load_openpose_json
from vtondata.sample import Category, Sample
from vtondata.stages.ingest import IngestStage
from vtondata.stages.pose import PoseStage
from vtondata.stages.segment import SegmentStage

LAYERS = ("person", "garment_upper", "face", "hands")


@pytest.fixture(scope="module")
def sam2_weights(tmp_path_factory) -> object:
    return write_sam2_checkpoint(tmp_path_factory.mktemp("weights"))


@pytest.fixture
def weights_env(sam2_weights, monkeypatch):
    monkeypatch.setenv("VTONDATA_WEIGHTS", str(sam2_weights.parent))
    return sam2_weights


def ingested(count: int) -> list[Sample]:
    """The first ``count`` shared photos, read by the real ingest stage."""
    samples = [
        Sample(f"{index:07d}", index, photo.name, Category.UPPER, 0, source_abs=str(photo))
        for index, photo in enumerate(real_photos()[:count])
    ]
    return IngestStage(IngestConfig()).process_batch(samples)


def test_two_photos_through_pose_and_sam2_stages_record_layers_and_scores(weights_env):
    """Fake pose (a standing person per photo) feeds the real SAM2 stage; every layer is scored."""
    config = Sam2SegmentConfig(layers=LAYERS, device="cpu", batch_size=2)
    backend = build_segment_backend(config)
    segment = SegmentStage(config, backend)
    assert segment.resources.num_gpus == 0 and segment.resources.batch_size == 2
    pose = PoseStage(_pose_config(), FakePoseBackend())
    samples = pose.process_batch(ingested(2))
    segment.setup()
    out = segment.process_batch(samples)
    assert [s.key for s in out] == [s.key for s in samples]
    for sample in out:
        assert sample.meta["segment"]["backend"] == "sam2"
        assert sample.meta["segment"]["weights_sha256"] == backend.weights_sha256
        width, height = sample.image_size
        for layer in LAYERS:
            assert 0.0 <= sample.stats[f"segment.{layer}_pred_iou"] <= 1.5
            assert 0.0 <= sample.stats[f"segment.{layer}_prior_agreement"] <= 1.0
            chosen = sample.stats[f"segment.{layer}_chosen_ratio"]
            if layer in sample.layers:
                assert sample.layers[layer].shape == (height, width)
                assert sample.layers[layer].dtype == bool
                assert chosen > 0
            else:
                assert chosen == 0
                assert any(key.startswith(layer) for key in sample.meta["segment"]["notes"])


def test_garment_photo_prompt_gives_one_mask_per_photo(weights_env):
    backend = build_segment_backend(Sam2SegmentConfig(device="cpu"))
    image = np.full((256, 192, 3), 255, dtype=np.uint8)
    image[60:200, 50:140] = (30, 60, 150)
    ((mask, pred_iou),) = backend.segment_cloth([image])
    assert mask.shape == (256, 192) and mask.dtype == bool
    assert np.isfinite(pred_iou)


@pytest.mark.slow
def test_the_cloth_and_segment_stages_may_call_one_backend_at_once(weights_env, vitonhd_dir):
    """The cloth and segment stages share the backend and run in threads of their own on the local
    runner. Its predictor holds one batch's embeddings until they are decoded, so a person's prompts
    must never be decoded with a garment photo's embeddings. Here each call, once its photos are
    embedded, lingers until the other call has embedded its own (or 2 s): without the lock, the
    first call then decoded the second call's embeddings."""
    backend = build_segment_backend(Sam2SegmentConfig(layers=LAYERS, device="cpu"))
    person_name, garment_name = (vitonhd_dir.parent / "test_pairs.txt").read_text().split()[:2]
    people = [cv2.cvtColor(cv2.imread(str(vitonhd_dir / "image" / person_name)), cv2.COLOR_BGR2RGB)]
    stem = person_name.rsplit(".", 1)[0]
    keypoints = [load_openpose_json(vitonhd_dir / "openpose-json" / f"{stem}_keypoints.json")]
    garments = [cv2.cvtColor(cv2.imread(str(vitonhd_dir / "cloth" / garment_name)), cv2.COLOR_BGR2RGB)]
    person_alone, garment_alone = backend.predict(people, keypoints), backend.segment_cloth(garments)

    embed = backend._predictor.set_image_batch
    embedded: list[int] = []

    def embed_and_linger(images):
        embed(images)
        embedded.append(len(images))
        deadline = time.monotonic() + 2
        while len(embedded) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)

    backend._predictor.set_image_batch = embed_and_linger
    together = {}
    threads = [
        threading.Thread(target=lambda: together.update(person=backend.predict(people, keypoints))),
        threading.Thread(target=lambda: together.update(garment=backend.segment_cloth(garments))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(embedded) == 2
    ((mask, iou),), ((mask_alone, iou_alone),) = together["garment"], garment_alone
    np.testing.assert_array_equal(mask, mask_alone)
    assert iou == iou_alone
    (person,), (alone,) = together["person"], person_alone
    assert person.layers.keys() == alone.layers.keys()
    for name, layer in alone.layers.items():
        np.testing.assert_array_equal(person.layers[name], layer, err_msg=name)


def test_hub_id_resolves_to_the_release_file_name(weights_env):
    resolved = resolve_backend_weights(Sam2SegmentConfig(checkpoint="facebook/sam2.1-hiera-tiny"))
    assert resolved["checkpoint"].path.name == SAM2_TINY


def test_missing_checkpoint_offline_names_file_places_fetch_and_offline_recipe(tmp_path, monkeypatch):
    monkeypatch.setenv("VTONDATA_WEIGHTS", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(WeightsNotFound) as error:
        build_segment_backend(Sam2SegmentConfig())
    message = str(error.value)
    assert SAM2_TINY in message and str(tmp_path / SAM2_TINY) in message
    assert "download: disabled (HF_HUB_OFFLINE=1)" in message
    assert f"vtondata weights fetch {SAM2_TINY}" in message
    assert "--pipeline offline" in message


def test_wrong_hash_stops_with_both_hashes(weights_env):
    with pytest.raises(WeightsNotFound, match=r"expects 0{64}"):
        resolve_backend_weights(Sam2SegmentConfig(checkpoint_sha256="0" * 64))


def test_truncated_checkpoint_is_reported_corrupt_before_loading(weights_env, tmp_path, monkeypatch):
    data = weights_env.read_bytes()
    (tmp_path / SAM2_TINY).write_bytes(data[: len(data) // 2])
    monkeypatch.setenv("VTONDATA_WEIGHTS", str(tmp_path))
    with pytest.raises(WeightsNotFound, match="corrupt or truncated") as error:
        build_segment_backend(Sam2SegmentConfig())
    assert f"vtondata weights fetch {SAM2_TINY}" in str(error.value)


def _pose_config() -> YoloPoseConfig:
    return YoloPoseConfig()
