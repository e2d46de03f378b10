"""SAM2 prompted by pose: garment and body-part evidence layers from one embedding per photo.

The model is built from the sam2 package's own config (``build_sam2`` with no
checkpoint) and the checkpoint's ``"model"`` state dict is loaded here with
``torch.load(weights_only=True)``, from the file the weights resolver found.
Per batch of photos: ``set_image_batch`` embeds them once, then the prompts of
every photo of the batch are decoded in one call (a photo's points padded to
one length with label -1, SAM2's "not a point") with three candidates each, and
:mod:`vtondata.geometry.selection` chooses among them against the pose prior.
Decoding, the per-pixel counts the choice needs and the union of the chosen
candidates stay on the model's device (:mod:`vtondata.backends.sam2_device`);
only the chosen layers come back to the host, as booleans. On CUDA the
forward passes run under bfloat16 autocast. The predictor internals used are
those of sam2 1.1.0, the pinned version.

Scores per layer: ``<layer>_pred_iou`` and ``<layer>_prior_agreement`` (mean
over the layer's prompts, chosen candidates only when any was chosen) and
``<layer>_chosen_ratio`` (share of the layer's prompts with a chosen
candidate). A layer with no chosen candidate is left out; its reason is in
``notes``.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from vtondata.backends.base import ImageSource, PriorEvidence, SegmentResult, check_requires
from vtondata.backends.checkpoint import load_checkpoint
from vtondata.backends.weights import ResolvedWeights, resolve_weights
from vtondata.config.segment import Sam2SegmentConfig
from vtondata.errors import BackendUnavailable
from vtondata.geometry.prompts import Prompt, layer_prior, layer_prompts
from vtondata.geometry.selection import Selection, choose_candidate

SAM2_VERSION = "1.1.0"
"""The sam2 release whose predictor internals (``_features``, ``_orig_hw``, ``_transforms``, and what
``_predict`` does with them) the decoding relies on."""
requires = (f"sam2=={SAM2_VERSION}", "torch")

PLAN_THREADS = 4
"""Threads drawing a batch's prompts and pose priors (OpenCV and NumPy, which release the GIL)."""

CLOTH_BOX_INSET_REL = 0.02
"""The garment-photo box prompt is the frame inset by this share of each side."""


class Sam2SegmentBackend:
    """SAM2ImagePredictor over batches of photos; ``device`` is fixed when the recipe is planned."""

    name = "sam2"

    def __init__(self, config: Sam2SegmentConfig, weights: ResolvedWeights, device: str) -> None:
        check_requires(self.name, requires)
        self.config = config
        self.weights = weights
        self.weights_sha256: str | None = weights.sha256
        self.device = device
        self.version = importlib.metadata.version("sam2")
        if self.version != SAM2_VERSION:
            raise BackendUnavailable(
                f"the sam2 backend needs sam2 {SAM2_VERSION} (its predictor internals are used), "
                f"found {self.version}; install it with: pip install 'sam2=={SAM2_VERSION}'"
            )
        self._predictor: Any = None
        # The predictor holds one batch's embeddings from ``set_image_batch`` until they are decoded.
        # The cloth and segment stages share this backend and, on the local runner, call it from
        # threads of their own: without the lock one call's embeddings replaced the other's
        # between the two steps (tests/backends/test_segment_sam2.py).
        self._lock = threading.Lock()

    def load(self) -> None:
        if self._predictor is not None:
            return
        from sam2.build_sam import build_sam2
        from sam2.sam2_image_predictor import SAM2ImagePredictor

        weights = resolve_weights(str(self.weights.path), self.weights.sha256)
        checkpoint = load_checkpoint(weights)
        if not isinstance(checkpoint, dict) or "model" not in checkpoint:
            raise ValueError(f"{weights.path} is not a SAM2 checkpoint: no 'model' state dict inside")
        model = build_sam2(self.config.model_config_name, ckpt_path=None, device="cpu", mode="eval")
        model.load_state_dict(checkpoint["model"], strict=True)
        from vtondata.backends.sam2_device import DeviceTransforms

        predictor: Any = SAM2ImagePredictor(model.to(self.device))
        predictor._transforms = DeviceTransforms(predictor._transforms, self.device)
        self._predictor = predictor

    def close(self) -> None:
        self._predictor = None

    def predict(
        self,
        images_rgb: list[np.ndarray],
        keypoints_px: list[np.ndarray],
        *,
        sources: Sequence[ImageSource] = (),
        evidence: Sequence[PriorEvidence] = (),
    ) -> list[SegmentResult]:
        """One result per image; ``sources`` is unused (SAM2 reads pixels only)."""
        if not images_rgb:
            return []
        from vtondata.backends.sam2_device import DecodeRequest, decode_batch, gather_layers

        with (
            self._lock,
            self._inference(),
            ThreadPoolExecutor(PLAN_THREADS, thread_name_prefix="sam2-plan") as pool,
        ):
            # The prompts and pose priors are drawn on the CPU while the photos are embedded.
            planning = pool.map(self._plan, images_rgb, keypoints_px)
            self._predictor.set_image_batch(list(images_rgb))
            plans = list(planning)
            requests = [
                DecodeRequest(index, *_padded(plan.prompts), plan.priors, plan.prompt_priors)
                for index, plan in enumerate(plans)
                if plan.prompts
            ]
            decoded = decode_batch(self._predictor, requests)
            selections = [
                [self._choose(image, row, plan) for row in range(len(plan.prompts))]
                for image, plan in zip(decoded, (plans[r.image_index] for r in requests), strict=True)
            ]
            picks = [
                plans[request.image_index].picks(image_selections)
                for request, image_selections in zip(requests, selections, strict=True)
            ]
            layers = gather_layers(decoded, picks)
        results = [SegmentResult(layers={}, scores={}, notes={}) for _ in images_rgb]
        for request, image_selections, image_layers in zip(requests, selections, layers, strict=True):
            results[request.image_index] = plans[request.image_index].result(image_selections, image_layers)
        return results

    def segment_cloth(self, images_rgb: list[np.ndarray]) -> list[tuple[np.ndarray, float]]:
        """Garment photos -> ``(HxW bool mask, predicted IoU)`` each, from a centre point and an inset box.

        The most confident candidate is chosen from its predicted IoU; only that mask is copied back.
        """
        if not images_rgb:
            return []
        from vtondata.backends.sam2_device import DecodeRequest, decode_batch, gather_layers

        requests = []
        for index, image in enumerate(images_rgb):
            height, width = image.shape[:2]
            no_prior = np.zeros((1, height, width), dtype=bool)
            requests.append(
                DecodeRequest(
                    index, *_padded([_cloth_prompt(width, height)]), no_prior, np.zeros(1, np.int64)
                )
            )
        with self._lock, self._inference():
            self._predictor.set_image_batch(list(images_rgb))
            decoded = decode_batch(self._predictor, requests)
            best = [int(np.argmax(image.pred_ious[0])) for image in decoded]
            masks = gather_layers(decoded, [[[(0, pick)]] for pick in best])
        return [
            (image_masks[0], float(image.pred_ious[0, pick]))
            for image, pick, image_masks in zip(decoded, best, masks, strict=True)
        ]

    def _inference(self) -> contextlib.AbstractContextManager[Any]:
        """Load once; no autograd; bfloat16 autocast on CUDA."""
        import torch

        self.load()
        stack = contextlib.ExitStack()
        stack.enter_context(torch.inference_mode())
        if self.device.startswith("cuda"):
            stack.enter_context(torch.autocast("cuda", dtype=torch.bfloat16))
        return stack

    def _plan(self, image: np.ndarray, keypoints_px: np.ndarray) -> _LayerPlan:
        prompts = layer_prompts(keypoints_px, (image.shape[1], image.shape[0]), self.config.layers)
        return _LayerPlan.of(prompts, keypoints_px, image.shape[:2])

    def _choose(self, image: Any, row: int, plan: _LayerPlan) -> Selection:
        return choose_candidate(
            image.pred_ious[row],
            image.intersections_px[row],
            image.areas_px[row],
            int(plan.prior_areas_px[plan.prompt_priors[row]]),
            min_pred_iou=self.config.min_pred_iou,
            min_prior_agreement=self.config.min_prior_agreement,
            prior_weight=self.config.prior_weight,
        )

    def __getstate__(self) -> dict[str, Any]:
        # A loaded model stays in its worker; a copy reloads on first use. A lock does not pickle
        # (Ray ships the backend to its actors, the local runner deep-copies it for a second
        # instance): each copy gets a lock of its own.
        state = self.__dict__.copy()
        state["_predictor"] = None
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()


@dataclass(frozen=True)
class _LayerPlan:
    """One photo's prompts grouped by evidence layer, with each layer's pose prior."""

    prompts: list[Prompt]
    layers: list[str]
    priors: np.ndarray
    """``(L, H, W)`` bool, one pose prior per layer."""
    prior_areas_px: np.ndarray
    prompt_priors: np.ndarray
    """``(P,)``: the layer row of each prompt."""

    @classmethod
    def of(cls, prompts: list[Prompt], keypoints_px: np.ndarray, shape_hw: tuple[int, int]) -> _LayerPlan:
        layers = list(dict.fromkeys(prompt.layer for prompt in prompts))
        priors = np.zeros((len(layers), *shape_hw), dtype=bool)
        for row, layer in enumerate(layers):
            priors[row] = layer_prior(layer, keypoints_px, shape_hw)
        return cls(
            prompts=prompts,
            layers=layers,
            priors=priors,
            prior_areas_px=np.array([np.count_nonzero(prior) for prior in priors], dtype=np.int64),
            prompt_priors=np.array([layers.index(prompt.layer) for prompt in prompts], dtype=np.int64),
        )

    def picks(self, selections: list[Selection]) -> list[list[tuple[int, int]]]:
        """``(prompt, candidate)`` pairs per layer that has any chosen candidate, in layer order."""
        by_layer = [
            [
                (row, pick.index)
                for row, pick in enumerate(selections)
                if pick.index is not None and self.prompt_priors[row] == column
            ]
            for column in range(len(self.layers))
        ]
        return [pairs for pairs in by_layer if pairs]

    def result(self, selections: list[Selection], chosen_layers: list[np.ndarray]) -> SegmentResult:
        """Scores and notes per layer, and the layers that had a chosen candidate (their masks in order)."""
        layers: dict[str, np.ndarray] = {}
        scores: dict[str, float] = {}
        notes: dict[str, str] = {}
        masks = iter(chosen_layers)
        for column, layer in enumerate(self.layers):
            rows = [row for row in range(len(self.prompts)) if self.prompt_priors[row] == column]
            picks = [selections[row] for row in rows]
            chosen = [pick for pick in picks if pick.chosen]
            counted = chosen or picks
            scores[f"{layer}_pred_iou"] = float(np.mean([pick.pred_iou for pick in counted]))
            scores[f"{layer}_prior_agreement"] = float(np.mean([pick.prior_agreement for pick in counted]))
            scores[f"{layer}_chosen_ratio"] = len(chosen) / len(picks)
            for row, pick in zip(rows, picks, strict=True):
                if not pick.chosen:
                    part = self.prompts[row].part
                    notes[f"{layer}.{part}" if part != layer else layer] = pick.reason
            if chosen:
                layers[layer] = next(masks)
        return SegmentResult(layers=layers, scores=scores, notes=notes)


def _padded(prompts: list[Prompt]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Prompts -> ``(P, N, 2)`` float32 points, ``(P, N)`` int32 labels (-1 = padding), ``(P, 4)`` boxes.

    An image without prompts gets one dummy centre prompt so the batch call
    keeps its shape; its result is dropped by the caller.
    """
    if not prompts:
        prompts = [_cloth_prompt(2, 2)]
    length = max(prompt.num_points for prompt in prompts)
    points = np.zeros((len(prompts), length, 2), dtype=np.float32)
    labels = np.full((len(prompts), length), -1, dtype=np.int32)
    for row, prompt in enumerate(prompts):
        points[row, : prompt.num_points] = prompt.points_px
        labels[row, : prompt.num_points] = prompt.labels
    boxes = np.stack([prompt.box_xyxy for prompt in prompts]).astype(np.float32)
    return points, labels, boxes


def _cloth_prompt(width_px: int, height_px: int) -> Prompt:
    """A centre point and the frame inset by :data:`CLOTH_BOX_INSET_REL`: a flat-lay fills the photo."""
    inset_x, inset_y = CLOTH_BOX_INSET_REL * width_px, CLOTH_BOX_INSET_REL * height_px
    box = np.array([inset_x, inset_y, width_px - 1 - inset_x, height_px - 1 - inset_y], dtype=np.float32)
    centre = np.array([[width_px / 2, height_px / 2]], dtype=np.float32)
    return Prompt("cloth", "cloth", centre, np.ones(1, dtype=np.int32), box)
