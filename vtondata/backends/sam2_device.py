"""SAM2 candidates decoded and measured where the model runs; only chosen layers reach the host.

``SAM2ImagePredictor.predict_batch`` hands every candidate back as a
full-resolution float32 array (prompts x 3 x H x W x 4 bytes: 132 MB per
768x1024 photo with 14 prompts), and that copy, not the model, caps a GPU.
Here the same predictor internals of sam2 1.1.0 run (``_prep_prompts`` turns
pixel prompts into the model's frame, ``_predict`` runs the prompt encoder and
mask decoder on the stored embedding and upsamples to the photo's size) but the
masks stay on the device as booleans. The per-pixel work of choosing among
candidates (each candidate's area and its overlap with its layer's pose prior)
is done there too, so the host receives a few numbers per prompt, decides
with :func:`vtondata.geometry.selection.choose_candidate`, and then copies back
one boolean ``HxW`` mask per chosen layer. On the CPU the same code runs on CPU
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


def decode_batch(predictor: Any, requests: Sequence[DecodeRequest]) -> list[DecodedImage]:
    """Decode every request against the photos set by ``predictor.set_image_batch``; one host copy in all."""
    device = predictor.device
    on_device = []
    for request in requests:
        _, coords, point_labels, box = predictor._prep_prompts(
            request.points,
            request.labels,
            request.boxes,
            None,
            normalize_coords=True,
            img_idx=request.image_index,
        )
        masks, ious, _ = predictor._predict(
            coords,
            point_labels,
            box,
            None,
            multimask_output=True,
            return_logits=False,
            img_idx=request.image_index,
        )
        priors = torch.from_numpy(request.priors).to(device)
        per_prompt = priors[torch.from_numpy(request.prompt_priors).to(device)]
        intersections = (masks & per_prompt[:, None]).sum(dim=(-2, -1))
        counts = torch.stack([ious.float(), masks.sum(dim=(-2, -1)).float(), intersections.float()])
        on_device.append((masks, counts))
    if not on_device:
        return []
    # Pixel counts of a photo stay far below 2**24, so float32 holds them exactly.
    host_counts = torch.cat([counts for _, counts in on_device], dim=1).cpu().numpy()
    decoded, start = [], 0
    for masks, counts in on_device:
        end = start + counts.shape[1]
        ious, areas, intersections = host_counts[:, start:end]
        decoded.append(DecodedImage(masks, ious, areas.astype(np.int64), intersections.astype(np.int64)))
        start = end
    return decoded


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
