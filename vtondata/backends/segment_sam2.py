"""SAM2 prompted by pose: garment and body-part evidence layers from one embedding per photo.

The model is built from the sam2 package's own config (``build_sam2`` with no
checkpoint) and the checkpoint's ``"model"`` state dict is loaded here with
``torch.load(weights_only=True)``, from the file the weights resolver found.
Per batch of photos: ``set_image_batch`` embeds them once, then one
``predict_batch`` call decodes every layer's prompt (points padded to one
length with label -1, which SAM2 ignores) with three candidates each;
:mod:`vtondata.geometry.selection` chooses among them against the pose prior.
On CUDA the forward passes run under bfloat16 autocast.

Scores per layer: ``<layer>_pred_iou`` and ``<layer>_prior_agreement`` (mean
over the layer's prompts, chosen candidates only when any was chosen) and
``<layer>_chosen_ratio`` (share of the layer's prompts with a chosen
candidate). A layer with no chosen candidate is left out; its reason is in
``notes``.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
from collections.abc import Sequence
from typing import Any

import numpy as np

from vtondata.backends.base import ImageSource, PriorEvidence, SegmentResult, check_requires
from vtondata.backends.checkpoint import load_checkpoint
from vtondata.backends.weights import ResolvedWeights, resolve_weights
from vtondata.config.segment import Sam2SegmentConfig
from vtondata.geometry.prompts import Prompt, layer_prior, layer_prompts
from vtondata.geometry.selection import Selection, select_candidate

requires = ("sam2", "torch")

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
        self._predictor: Any = None

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
        self._predictor = SAM2ImagePredictor(model.to(self.device))

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
        prompts = [
            layer_prompts(kp, (image.shape[1], image.shape[0]), self.config.layers)
            for image, kp in zip(images_rgb, keypoints_px, strict=True)
        ]
        candidates = self.decode(images_rgb, prompts)
        return [
            self._result(image.shape[:2], kp, image_prompts, image_candidates)
            for image, kp, image_prompts, image_candidates in zip(
                images_rgb, keypoints_px, prompts, candidates, strict=True
            )
        ]

    def segment_cloth(self, images_rgb: list[np.ndarray]) -> list[tuple[np.ndarray, float]]:
        """Garment photos -> ``(HxW bool mask, predicted IoU)`` each, from a centre point and an inset box."""
        prompts = [[_cloth_prompt(image.shape[1], image.shape[0])] for image in images_rgb]
        results = []
        for masks, ious in self.decode(images_rgb, prompts):
            best = int(np.argmax(ious[0]))
            results.append((masks[0, best], float(ious[0, best])))
        return results

    def decode(
        self, images_rgb: list[np.ndarray], prompts: list[list[Prompt]]
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Embed each image once and decode all its prompts in one call.

        Returns per image ``(masks, pred_ious)``: ``(P, 3, H, W)`` bool and
        ``(P, 3)`` float32 for its ``P`` prompts (``P = 0`` gives empty arrays).
        """
        import torch

        self.load()
        batch = [_padded(image_prompts) for image_prompts in prompts]
        autocast = (
            torch.autocast("cuda", dtype=torch.bfloat16)
            if self.device.startswith("cuda")
            else contextlib.nullcontext()
        )
        with torch.inference_mode(), autocast:
            self._predictor.set_image_batch(list(images_rgb))
            masks, ious, _ = self._predictor.predict_batch(
                [points for points, _, _ in batch],
                [labels for _, labels, _ in batch],
                box_batch=[boxes for _, _, boxes in batch],
                multimask_output=True,
            )
        out = []
        for image, image_prompts, image_masks, image_ious in zip(
            images_rgb, prompts, masks, ious, strict=True
        ):
            height, width = image.shape[:2]
            count = len(image_prompts)
            out.append(
                (
                    np.asarray(image_masks).reshape(-1, 3, height, width)[:count] > 0,
                    np.asarray(image_ious, dtype=np.float32).reshape(-1, 3)[:count],
                )
            )
        return out

    def _result(
        self,
        shape_hw: tuple[int, int],
        keypoints_px: np.ndarray,
        prompts: list[Prompt],
        candidates: tuple[np.ndarray, np.ndarray],
    ) -> SegmentResult:
        masks, ious = candidates
        layers: dict[str, np.ndarray] = {}
        scores: dict[str, float] = {}
        notes: dict[str, str] = {}
        for layer in dict.fromkeys(prompt.layer for prompt in prompts):
            prior = layer_prior(layer, keypoints_px, shape_hw)
            indices = [i for i, prompt in enumerate(prompts) if prompt.layer == layer]
            picks = [self._select(masks[i], ious[i], prior) for i in indices]
            chosen = [(i, pick) for i, pick in zip(indices, picks, strict=True) if pick.chosen]
            counted = [pick for _, pick in chosen] or picks
            scores[f"{layer}_pred_iou"] = float(np.mean([pick.pred_iou for pick in counted]))
            scores[f"{layer}_prior_agreement"] = float(np.mean([pick.prior_agreement for pick in counted]))
            scores[f"{layer}_chosen_ratio"] = len(chosen) / len(picks)
            for i, pick in zip(indices, picks, strict=True):
                if not pick.chosen:
                    notes[f"{layer}.{prompts[i].part}" if prompts[i].part != layer else layer] = pick.reason
            if chosen:
                layers[layer] = np.logical_or.reduce([masks[i, pick.index] for i, pick in chosen])
        return SegmentResult(layers=layers, scores=scores, notes=notes)

    def _select(self, masks: np.ndarray, ious: np.ndarray, prior: np.ndarray) -> Selection:
        return select_candidate(
            masks,
            ious,
            prior,
            min_pred_iou=self.config.min_pred_iou,
            min_prior_agreement=self.config.min_prior_agreement,
            prior_weight=self.config.prior_weight,
        )

    def __getstate__(self) -> dict[str, Any]:
        # A loaded model stays in its worker; a copy reloads on first use.
        state = self.__dict__.copy()
        state["_predictor"] = None
        return state


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
