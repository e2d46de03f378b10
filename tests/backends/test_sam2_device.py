"""The on-device SAM2 path gives what sam2's public batch API plus host-side selection gives.

The reference below is how the backend decoded before masks stayed on the
device: ``predict_batch`` (every candidate copied to the host as float32, one
decoder call per photo), then :func:`select_candidate` per prompt and the
union of the chosen candidates per layer. Random-weight hiera-t from the
packaged config, on the CPU: the same code that runs on a GPU. The device
path decodes the prompts of all photos in one call, and a matrix product over
more rows may sum in another order, so scores agree to float32 rounding and
masks to the odd pixel whose logit sits on the threshold.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.random_checkpoints import write_sam2_checkpoint
from tests.synthetic import POSES, dress_body, make_body
from vtondata.backends import build_segment_backend
from vtondata.backends.segment_sam2 import _padded
from vtondata.config.segment import Sam2SegmentConfig
from vtondata.geometry.prompts import layer_prior, layer_prompts
from vtondata.geometry.selection import select_candidate

LAYERS = ("person", "garment_upper", "face", "hands", "arms")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return write_sam2_checkpoint(tmp_path_factory.mktemp("weights"))


@pytest.fixture(scope="module")
def photos():
    bodies = [make_body(pose, width=192, height=256, scale_px=45.0) for pose in POSES[:3]]
    dressed = [dress_body(body, "long_sleeve_loose") for body in bodies]
    return [d.image_rgb for d in dressed], [b.keypoints_px for b in bodies]


@pytest.fixture(scope="module")
def backend(checkpoint):
    config = Sam2SegmentConfig(
        checkpoint=str(checkpoint), device="cpu", layers=LAYERS, min_pred_iou=0.05, min_prior_agreement=0.2
    )
    return build_segment_backend(config)


def _reference(backend, images, keypoints):
    """Scores and layers from predict_batch's host copies of the embedded batch and select_candidate."""
    config = backend.config
    sizes = [(image.shape[1], image.shape[0]) for image in images]
    prompts = [layer_prompts(kp, size, config.layers) for kp, size in zip(keypoints, sizes, strict=True)]
    padded = [_padded(p) for p in prompts]
    import torch

    with torch.inference_mode():
        masks, ious, _ = backend._predictor.predict_batch(
            [p for p, _, _ in padded], [lab for _, lab, _ in padded], box_batch=[b for _, _, b in padded]
        )
    out = []
    rows = zip(images, keypoints, prompts, masks, ious, strict=True)
    for image, kp, image_prompts, image_masks, image_ious in rows:
        shape = image.shape[:2]
        image_masks = np.asarray(image_masks).reshape(-1, 3, *shape) > 0
        image_ious = np.asarray(image_ious, dtype=np.float32).reshape(-1, 3)
        layers, scores = {}, {}
        for layer in dict.fromkeys(p.layer for p in image_prompts):
            prior = layer_prior(layer, kp, shape)
            rows = [i for i, p in enumerate(image_prompts) if p.layer == layer]
            picks = [
                select_candidate(
                    image_masks[i],
                    image_ious[i],
                    prior,
                    min_pred_iou=config.min_pred_iou,
                    min_prior_agreement=config.min_prior_agreement,
                    prior_weight=config.prior_weight,
                )
                for i in rows
            ]
            chosen = [(i, pick) for i, pick in zip(rows, picks, strict=True) if pick.chosen]
            counted = [pick for _, pick in chosen] or picks
            scores[f"{layer}_pred_iou"] = float(np.mean([p.pred_iou for p in counted]))
            scores[f"{layer}_prior_agreement"] = float(np.mean([p.prior_agreement for p in counted]))
            scores[f"{layer}_chosen_ratio"] = len(chosen) / len(picks)
            if chosen:
                layers[layer] = np.logical_or.reduce([image_masks[i, pick.index] for i, pick in chosen])
        out.append((layers, scores))
    return out


def test_device_path_equals_predict_batch_with_host_selection(backend, photos):
    """Two posed photos and one without a pose in one batch; the reference decodes the same embeddings."""
    images, keypoints = photos
    keypoints = [*keypoints[:2], np.zeros_like(keypoints[0])]
    results = backend.predict(images, keypoints)
    reference = _reference(backend, images, keypoints)
    chosen = refused = 0
    for result, (layers, scores) in zip(results, reference, strict=True):
        assert result.scores == pytest.approx(scores, rel=1e-5, abs=1e-6)
        assert sorted(result.layers) == sorted(layers)
        for name, mask in layers.items():
            assert result.layers[name].dtype == bool
            assert np.count_nonzero(result.layers[name] != mask) <= 2, name
        chosen += len(layers)
        refused += len(result.notes)
    assert chosen > 0 and refused > 0, "the comparison must cover chosen and refused candidates"
    assert results[2].layers == {} and results[2].scores == {} and results[2].notes == {}


def test_garment_photo_copies_back_the_most_confident_candidate(backend):
    image = np.full((96, 128, 3), 255, dtype=np.uint8)
    image[20:80, 30:100] = (30, 60, 150)
    ((mask, iou),) = backend.segment_cloth([image])
    import torch

    from vtondata.backends.segment_sam2 import _cloth_prompt

    points, labels, boxes = _padded([_cloth_prompt(128, 96)])
    with torch.inference_mode():
        masks, ious, _ = backend._predictor.predict_batch([points], [labels], box_batch=[boxes])
    # One prompt: predict_batch squeezes the prompt axis away.
    candidates, candidate_ious = masks[0].reshape(3, 96, 128), ious[0].reshape(3)
    best = int(np.argmax(candidate_ious))
    assert mask.shape == (96, 128) and mask.dtype == bool
    assert iou == pytest.approx(float(candidate_ious[best]))
    np.testing.assert_array_equal(mask, candidates[best] > 0)


@pytest.mark.parametrize("prompts_per_call", [256, 7])
def test_one_decoder_call_per_photo_size_and_prompt_length(backend, photos, monkeypatch, prompts_per_call):
    """Photos of one size whose prompts pad to one length share a decoder call, up to a number of
    prompts, and each gives what it gives decoded alone; another size, or a longer padding, is another
    call."""
    import cv2
    import torch

    from vtondata.backends.sam2_device import DecodeRequest, decode_batch
    from vtondata.backends.segment_sam2 import _LayerPlan, _padded

    images, keypoints = photos
    small = cv2.resize(images[1], (144, 192), interpolation=cv2.INTER_AREA)
    small_keypoints = keypoints[1] * np.array([0.75, 0.75, 1.0], dtype=np.float32)
    batch = [images[0], small, images[2]]
    requests = []
    batch_keypoints = [keypoints[0], small_keypoints, keypoints[2]]
    for index, (image, kp) in enumerate(zip(batch, batch_keypoints, strict=True)):
        plan = _LayerPlan.of(layer_prompts(kp, (image.shape[1], image.shape[0]), LAYERS), kp, image.shape[:2])
        requests.append(DecodeRequest(index, *_padded(plan.prompts), plan.priors, plan.prompt_priors))
    longer = requests[2]
    extra = np.full((len(longer.points), 2), -1, dtype=np.int32)
    requests.append(
        DecodeRequest(
            2,
            np.concatenate([longer.points, np.zeros((len(longer.points), 2, 2), np.float32)], axis=1),
            np.concatenate([longer.labels, extra], axis=1),
            longer.boxes,
            longer.priors,
            longer.prompt_priors,
        )
    )
    backend.load()
    calls = []
    hook = backend._predictor.model.sam_mask_decoder.register_forward_hook(lambda *_: calls.append(1))
    try:
        with torch.inference_mode():
            backend._predictor.set_image_batch(batch)
            monkeypatch.setattr("vtondata.backends.sam2_device.PROMPTS_PER_CALL", prompts_per_call)
            together = decode_batch(backend._predictor, requests)
            assert [len(request.points) for request in requests] == [7, 7, 7, 7]
            assert len(calls) == (3 if prompts_per_call == 256 else 4)
            alone = [decode_batch(backend._predictor, [request])[0] for request in requests]
    finally:
        hook.remove()
    for both, single in zip(together, alone, strict=True):
        assert both.masks.shape == single.masks.shape
        assert int((both.masks != single.masks).sum()) <= 2
        np.testing.assert_allclose(both.pred_ious, single.pred_ious, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(both.areas_px, single.areas_px, atol=2)
        np.testing.assert_allclose(both.intersections_px, single.intersections_px, atol=2)
    assert together[1].masks.shape[-2:] == (192, 144)


def test_photos_made_into_model_input_on_the_device_equal_sam2s_own_transforms(backend, photos):
    from sam2.utils.transforms import SAM2Transforms

    from vtondata.backends.sam2_device import DeviceTransforms

    backend.load()
    assert isinstance(backend._predictor._transforms, DeviceTransforms)
    own = SAM2Transforms(resolution=1024, mask_threshold=0.0)
    images = [photos[0][0], photos[0][1][:200, :150]]
    on_device = DeviceTransforms(own, "cpu").forward_batch(images)
    assert on_device.shape == (2, 3, 1024, 1024) and on_device.dtype.is_floating_point
    np.testing.assert_array_equal(on_device.numpy(), own.forward_batch(images).numpy())
    np.testing.assert_array_equal(DeviceTransforms(own, "cpu")(images[1]).numpy(), own(images[1]).numpy())
    mirrored = photos[0][0][:, ::-1]  # a view with a negative stride, as a flip gives
    np.testing.assert_array_equal(
        DeviceTransforms(own, "cpu").forward_batch([mirrored]).numpy(),
        own.forward_batch([np.ascontiguousarray(mirrored)]).numpy(),
    )
