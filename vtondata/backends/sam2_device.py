"""SAM2 candidates decoded and measured where the model runs; only chosen layers reach the host.

``SAM2ImagePredictor.predict_batch`` hands every candidate back as a
full-resolution float32 array (prompts x 3 x H x W x 4 bytes: 132 MB per
768x1024 photo with 14 prompts), and that copy, not the model, caps a GPU.
Here the model's own prompt encoder and mask decoder run on the embeddings
that ``set_image_batch`` stored, with the predictor's transforms for the
prompts and the upsampling, as ``SAM2ImagePredictor._predict`` of sam2 1.1.0
runs them, but for the prompts of many photos in one call, and the masks stay
on the device as booleans. The per-pixel work of choosing among candidates
(each candidate's area and its overlap with its layer's pose prior) is done
there too, so the host receives a few numbers per prompt, decides with
:func:`vtondata.geometry.selection.choose_candidate`, and then copies back one
boolean ``HxW`` mask per chosen layer. On the CPU the same code runs on CPU
tensors, which is how the tests exercise it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch


@dataclass(frozen=True)
class DecodeRequest:
    """The prompts of the photo at ``image_index`` in the embedded batch, and the priors they are measured by.

    ``points`` ``(P, N, 2)``, ``labels`` ``(P, N)`` (-1 = padding) and ``boxes``
    ``(P, 4)`` are in pixels; ``priors`` is ``(L, H, W)`` bool and
    ``prompt_priors`` ``(P,)`` the prior row each prompt is measured against.
    """

    image_index: int
    points: np.ndarray
    labels: np.ndarray
    boxes: np.ndarray
    priors: np.ndarray
    prompt_priors: np.ndarray


@dataclass(frozen=True)
class DecodedImage:
    """One photo's candidates: ``masks`` ``(P, C, H, W)`` bool on the device, and host-side counts.

    ``pred_ious``, ``areas_px`` and ``intersections_px`` are ``(P, C)``;
    ``intersections_px`` is each candidate's overlap with its prompt's prior.
    """

    masks: torch.Tensor
    pred_ious: np.ndarray
    areas_px: np.ndarray
    intersections_px: np.ndarray


PROMPTS_PER_CALL = 256
"""At most this many prompts per mask-decoder call (16 photos of 14 prompts fit in one). The decoder's
memory grows with the prompts of a call: full-resolution candidates take 9.4 MB per prompt as float32."""


class DeviceTransforms:
    """The predictor's ``SAM2Transforms`` with each photo made into the model's input where the model runs.

    ``SAM2Transforms.forward_batch`` converts, resizes (1024x1024, antialiased)
    and normalises every photo on the CPU in float32, one after another, and
    the predictor then copies the float batch to the device: 12.6 MB per photo.
    On an H200 that CPU work was about 8 ms of the SAM2 stage's 25 ms per photo
    (``aten::_upsample_bilinear2d_aa``, ``div``, ``sub`` and the copy in a
    profile of one batch of 16). Here the uint8 photo (2.4 MB) is copied and
    the same scripted Resize and Normalize run on the model's device; on the
    CPU the result is the same tensor. Everything else (prompt transforms,
    mask upsampling) is the wrapped object's.
    """

    def __init__(self, transforms: Any, device: str | torch.device) -> None:
        self._transforms = transforms
        self._device = device

    def forward_batch(self, images: Sequence[np.ndarray]) -> torch.Tensor:
        """``(B, 3, R, R)`` float32 on the device from ``HxWx3`` uint8 RGB photos, as ``ToTensor`` then
        the wrapped Resize and Normalize make them."""
        return torch.stack(
            [
                self._transforms.transforms(
                    torch.from_numpy(np.ascontiguousarray(image))
                    .to(self._device)
                    .permute(2, 0, 1)
                    .contiguous()
                    .float()
                    .div(255)
                )
                for image in images
            ]
        )

    def __call__(self, image: np.ndarray) -> torch.Tensor:
        """One photo, as ``SAM2ImagePredictor.set_image`` asks for it."""
        return self.forward_batch([image])[0]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transforms, name)


def decode_batch(predictor: Any, requests: Sequence[DecodeRequest]) -> list[DecodedImage]:
    """Decode every request against the photos set by ``predictor.set_image_batch``; one host copy in all.

    Requests whose photos share a size and whose prompts share a padded length
    are decoded in one call of the mask decoder (:func:`_decode_together`), up
    to :data:`PROMPTS_PER_CALL` prompts at a time, so a batch of photos costs a
    few calls rather than one per photo: on a GPU, one call per photo spends
    more time launching kernels than running them.
    """
    groups: dict[tuple[tuple[int, int], int], list[list[int]]] = {}
    for position, request in enumerate(requests):
        orig_hw = tuple(predictor._orig_hw[request.image_index])
        calls = groups.setdefault((orig_hw, request.points.shape[1]), [])
        prompts = sum(len(requests[p].points) for p in calls[-1]) if calls else 0
        if not calls or prompts + len(request.points) > PROMPTS_PER_CALL:
            calls.append([])
        calls[-1].append(position)
    masks_of: dict[int, torch.Tensor] = {}
    counts_of: list[torch.Tensor] = []
    order: list[int] = []
    for orig_hw, positions in [(orig_hw, call) for (orig_hw, _), calls in groups.items() for call in calls]:
        masks, counts = _decode_together(predictor, [requests[p] for p in positions], orig_hw)
        start = 0
        for position in positions:
            end = start + len(requests[position].points)
            masks_of[position] = masks[start:end]
            start = end
        counts_of.append(counts)
        order += positions
    if not order:
        return []
    # Pixel counts of a photo stay far below 2**24, so float32 holds them exactly.
    host_counts = torch.cat(counts_of, dim=1).cpu().numpy()
    decoded: dict[int, DecodedImage] = {}
    start = 0
    for position in order:
        end = start + len(requests[position].points)
        ious, areas, intersections = host_counts[:, start:end]
        decoded[position] = DecodedImage(
            masks_of[position], ious, areas.astype(np.int64), intersections.astype(np.int64)
        )
        start = end
    return [decoded[position] for position in range(len(requests))]


def _decode_together(
    predictor: Any, requests: Sequence[DecodeRequest], orig_hw: tuple[int, int]
) -> tuple[torch.Tensor, torch.Tensor]:
    """One mask-decoder call for the prompts of several photos of size ``orig_hw``.

    What ``SAM2ImagePredictor._predict`` of sam2 1.1.0 does for one photo
    (box corners before the points, the prompt encoder, the mask decoder with
    the photo's high-resolution features, upsampling and the mask threshold),
    done for every prompt of ``requests`` at once: each prompt is decoded
    against its own photo's embedding and features, gathered by row, rather
    than one photo's repeated. Returns ``(P, 3, H, W)`` bool masks and
    ``(3, P, 3)`` float32 counts (predicted IoU, area, overlap with the prompt's prior).
    """
    device = predictor.device
    model, transforms = predictor.model, predictor._transforms
    points = np.concatenate([request.points for request in requests])
    labels = np.concatenate([request.labels for request in requests])
    boxes = np.concatenate([request.boxes for request in requests])
    rows = torch.as_tensor(
        np.concatenate([np.full(len(r.points), r.image_index) for r in requests]), device=device
    )
    coords = transforms.transform_coords(
        torch.as_tensor(points, dtype=torch.float, device=device), normalize=True, orig_hw=orig_hw
    )
    corners = transforms.transform_boxes(
        torch.as_tensor(boxes, dtype=torch.float, device=device), normalize=True, orig_hw=orig_hw
    )
    corner_labels = torch.tensor([[2, 3]], dtype=torch.int, device=device).repeat(len(boxes), 1)
    sparse, dense = model.sam_prompt_encoder(
        points=(
            torch.cat([corners, coords], dim=1),
            torch.cat([corner_labels, torch.as_tensor(labels, dtype=torch.int, device=device)], dim=1),
        ),
        boxes=None,
        masks=None,
    )
    features = predictor._features
    low_res, ious, _, _ = model.sam_mask_decoder(
        image_embeddings=features["image_embed"][rows],
        image_pe=model.sam_prompt_encoder.get_dense_pe(),
        sparse_prompt_embeddings=sparse,
        dense_prompt_embeddings=dense,
        multimask_output=True,
        repeat_image=False,
        high_res_features=[level[rows] for level in features["high_res_feats"]],
    )
    masks = transforms.postprocess_masks(low_res, orig_hw) > predictor.mask_threshold
    # Copied photo by photo and joined on the device: joining on the host first costs a pass over them.
    priors = torch.cat([torch.from_numpy(request.priors).to(device) for request in requests])
    offsets = np.cumsum([0] + [len(request.priors) for request in requests[:-1]])
    prior_rows = np.concatenate(
        [request.prompt_priors + offset for request, offset in zip(requests, offsets, strict=True)]
    )
    per_prompt = priors[torch.from_numpy(prior_rows).to(device)]
    intersections = (masks & per_prompt[:, None]).sum(dim=(-2, -1))
    counts = torch.stack([ious.float(), masks.sum(dim=(-2, -1)).float(), intersections.float()])
    return masks, counts


def gather_layers(
    decoded: Sequence[DecodedImage], picks: Sequence[Sequence[Sequence[tuple[int, int]]]]
) -> list[list[np.ndarray]]:
    """Per photo, per layer: the union of its picked ``(prompt, candidate)`` masks, as host ``HxW`` bool.

    Every union is formed on the device; the whole batch comes back in one copy.
    """
    unions = [
        image.masks[[p for p, _ in layer], [c for _, c in layer]].any(dim=0)
        for image, layers in zip(decoded, picks, strict=True)
        for layer in layers
    ]
    if not unions:
        return [[] for _ in decoded]
    flat = torch.cat([union.reshape(-1) for union in unions]).cpu().numpy()
    host, start = [], 0
    for union in unions:
        size = union.numel()
        host.append(flat[start : start + size].reshape(union.shape))
        start += size
    layers_back = iter(host)
    return [[next(layers_back) for _ in layers] for layers in picks]
