"""Masks of the offline recipe on the VITON-HD sample as shot, mirrored, cut by the frame and downscaled.

Usage: ``python -m bench.mask_variants [--recipe offline] [--categories upper lower dress]
[--variants shot mirrored ...] [--keep DIR]`` (reads ``$VTONDATA_SHARED``, default ``../shared``).

The six sample photos have ground-truth parse maps and OpenPose keypoints, but
as shot they are one framing at one size. Held-out catalogues hold faces cut
at the eyes, nose, mouth or chin by the top edge (letterboxed, or framed at
3:4 so that no bar lies above the cut), hips below the bottom edge, people
facing the other way, standing farther away or leaning, and 192x256 photos.
Each variant here makes those photos from
the sample, carries the ground truth through the same change and then through
the placement ingest applies (scale and letterbox to the target size), builds
them with the recipe and scores the masks with ``vtondata eval-masks``'s code.

The quality gates are opened (every ``quality`` block at its default, no
thresholds) so that each variant is judged on its masks: the bundled
thresholds reject photos of these sizes and aspects on purpose. What the mask
stage itself refuses (``mask.missing_joints``: a joint the category needs was
not found and may not be placed outside the frame) still shows, as
``masked`` below ``6`` and a ``rejected`` line.

Prints one Markdown table: per variant and category, how many photos got a
mask, then the mean (or worst) of each eval-masks score and the parse-map IoU
of face, hair, hands and the two garments.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

SHARED = Path(os.environ.get("VTONDATA_SHARED", Path(__file__).resolve().parents[2] / "shared"))
os.environ.setdefault("VTONDATA_WEIGHTS", str(SHARED / "weights"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("YOLO_OFFLINE", "1")

from vtondata.api import build  # noqa: E402
from vtondata.config import Recipe, load_recipe  # noqa: E402
from vtondata.config.quality import QualityConfig  # noqa: E402
from vtondata.evaluate.run import evaluate_masks  # noqa: E402
from vtondata.geometry.keypoints import J, load_openpose_json, openpose_json  # noqa: E402
from vtondata.geometry.parsing import read_label_map  # noqa: E402
from vtondata.geometry.regions import points_in_box  # noqa: E402
from vtondata.ingest.decode import place  # noqa: E402

VITONHD = SHARED / "data" / "vitonhd-sample" / "datasets" / "test"
SWAPPED_SIDES = np.array(
    [J[name.replace("left_", "right_") if "left_" in name else name.replace("right_", "left_")] for name in J]
)
"""Row order that swaps every left joint with its right one (a mirrored person's sides)."""
Variant = Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]
"""``(image BGR, label map, keypoints (19, 3))`` of a photo, changed together."""


def _mirrored(image: np.ndarray, labels: np.ndarray, keypoints: np.ndarray) -> tuple:
    flipped = keypoints[SWAPPED_SIDES].copy()
    flipped[:, 0] = np.where(flipped[:, 2] > 0, image.shape[1] - 1 - flipped[:, 0], 0)
    return image[:, ::-1].copy(), labels[:, ::-1].copy(), flipped


def _cut_top_at(*joints: str) -> Variant:
    """The photo cut by its top edge at the mean height of ``joints`` (eyes, nose)."""

    def cut(image: np.ndarray, labels: np.ndarray, keypoints: np.ndarray) -> tuple:
        rows = [keypoints[J[name], 1] for name in joints if keypoints[J[name], 2] > 0]
        top = round(float(np.mean(rows)))
        moved = keypoints.copy()
        moved[:, 1] -= top
        return image[top:], labels[top:], moved

    return cut


def _cut_top_below_nose(share: float) -> Variant:
    """The photo cut by its top edge ``share`` of the way from the nose down to the neck joint.

    On the six sample photos the ground truth's chin lies 0.40-0.47 of the way
    and the mouth about 0.2: 0.2 cuts at the lips, 0.4 just above the chin
    (the "mouth" variants, named before this was measured: 1 to 16 rows of the
    face are left), 0.7 across the neck (the "chin" variant).
    """

    def cut(image: np.ndarray, labels: np.ndarray, keypoints: np.ndarray) -> tuple:
        nose, neck = keypoints[J["nose"], 1], keypoints[J["neck"], 1]
        top = round(float(nose + share * (neck - nose)))
        moved = keypoints.copy()
        moved[:, 1] -= top
        return image[top:], labels[top:], moved

    return cut


def _framed_3_4(cut: Variant) -> Variant:
    """``cut``, then the sides cropped about the shoulders' centre to a 3:4 frame: a catalogue shot
    framed at the face, which ingest scales to the target size with no letterbox bar above it."""

    def framed(image: np.ndarray, labels: np.ndarray, keypoints: np.ndarray) -> tuple:
        image, labels, keypoints = cut(image, labels, keypoints)
        height, width = image.shape[:2]
        new_width = min(width, round(0.75 * height))
        sides = ("left_shoulder", "right_shoulder")
        shoulders = [keypoints[J[n], 0] for n in sides if keypoints[J[n], 2] > 0]
        centre = float(np.mean(shoulders)) if shoulders else width / 2
        x0 = int(np.clip(round(centre - new_width / 2), 0, width - new_width))
        moved = keypoints.copy()
        moved[:, 0] -= x0
        return image[:, x0 : x0 + new_width], labels[:, x0 : x0 + new_width], moved

    return framed


def _cut_bottom_at_hips(image: np.ndarray, labels: np.ndarray, keypoints: np.ndarray) -> tuple:
    """The photo cut by its bottom edge just above the hip joints: a half-body shot."""
    hips = [keypoints[J[name], 1] for name in ("left_hip", "right_hip") if keypoints[J[name], 2] > 0]
    shoulders = [keypoints[J[n], 1] for n in ("left_shoulder", "right_shoulder") if keypoints[J[n], 2] > 0]
    bottom = round(float(np.mean(hips)) - 0.1 * (np.mean(hips) - np.mean(shoulders)))
    return image[:bottom], labels[:bottom], keypoints.copy()


def _farther(image: np.ndarray, labels: np.ndarray, keypoints: np.ndarray) -> tuple:
    """The person at half the size, still cut by the bottom edge: the photo shrunk into the bottom
    centre of a canvas of its own size, filled with its backdrop (the top-left pixel's colour)."""
    height, width = image.shape[:2]
    small_wh = (width // 2, height // 2)
    x0, y0 = (width - small_wh[0]) // 2, height - small_wh[1]
    canvas = np.empty_like(image)
    canvas[:] = image[0, 0]
    canvas[y0:, x0 : x0 + small_wh[0]] = cv2.resize(image, small_wh, interpolation=cv2.INTER_AREA)
    placed = np.zeros_like(labels)
    placed[y0:, x0 : x0 + small_wh[0]] = cv2.resize(labels, small_wh, interpolation=cv2.INTER_NEAREST)
    moved = keypoints.copy()
    moved[:, :2] = moved[:, :2] / 2 + np.array([x0, y0])
    return canvas, placed, moved


def _tilted(image: np.ndarray, labels: np.ndarray, keypoints: np.ndarray) -> tuple:
    """The photo turned 8 degrees about its centre (a leaning pose, a tilted camera), the corners
    filled with its backdrop (the top-left pixel's colour)."""
    height, width = image.shape[:2]
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), 8.0, 1.0)
    backdrop = tuple(int(v) for v in image[0, 0])
    turned = cv2.warpAffine(image, turn, (width, height), flags=cv2.INTER_LINEAR, borderValue=backdrop)
    placed = cv2.warpAffine(labels, turn, (width, height), flags=cv2.INTER_NEAREST, borderValue=0)
    moved = keypoints.copy()
    moved[:, :2] = keypoints[:, :2] @ turn[:, :2].T + turn[:, 2]
    return turned, placed, moved


def _downscaled(image: np.ndarray, labels: np.ndarray, keypoints: np.ndarray) -> tuple:
    """192x256, VITON's original size; the ground truth stays at full size (placement maps it back)."""
    small = cv2.resize(image, (image.shape[1] // 4, image.shape[0] // 4), interpolation=cv2.INTER_AREA)
    return small, labels, keypoints.copy()


VARIANTS: dict[str, Variant] = {
    "shot": lambda image, labels, keypoints: (image, labels, keypoints.copy()),
    "mirrored": _mirrored,
    "cut at eyes": _cut_top_at("left_eye", "right_eye"),
    "cut at nose": _cut_top_at("nose"),
    "cut at mouth": _cut_top_below_nose(0.4),
    "cut at chin": _cut_top_below_nose(0.7),
    "framed at eyes": _framed_3_4(_cut_top_at("left_eye", "right_eye")),
    "framed at nose": _framed_3_4(_cut_top_at("nose")),
    "framed at mouth": _framed_3_4(_cut_top_below_nose(0.4)),
    "framed at lips": _framed_3_4(_cut_top_below_nose(0.2)),
    "framed at nose 192x256": lambda image, labels, keypoints: _downscaled(
        *_framed_3_4(_cut_top_at("nose"))(image, labels, keypoints)
    ),
    "cut above hips": _cut_bottom_at_hips,
    "192x256": _downscaled,
    "farther": _farther,
    "tilted": _tilted,
}


def write_variant(variant: str, root: Path, target_wh: tuple[int, int], fit: str) -> None:
    """``root/image`` holds the changed photos; ``root/image-parse`` and ``root/openpose-json`` their
    ground truth placed on the ``target_wh`` canvas as ingest places the photo."""
    for name in ("image", "image-parse", "openpose-json"):
        (root / name).mkdir(parents=True, exist_ok=True)
    for path in sorted((VITONHD / "image").glob("*.jpg")):
        labels = read_label_map(VITONHD / "image-parse" / f"{path.stem}.png")
        keypoints = load_openpose_json(VITONHD / "openpose-json" / f"{path.stem}_keypoints.json")
        image, labels, keypoints = VARIANTS[variant](cv2.imread(str(path)), labels, keypoints)
        cv2.imwrite(str(root / "image" / f"{path.stem}.png"), image)
        # The ground truth follows the photo as ingest will move it: the label map's own size
        # differs from the photo's only for the downscaled variant, where it is the photo at 4x.
        placement = place((labels.shape[1], labels.shape[0]), target_wh, fit)
        placed = np.zeros(target_wh[::-1], dtype=np.uint8)
        (x, y), (w, h) = placement.offset_xy, placement.resized_wh
        placed[y : y + h, x : x + w] = cv2.resize(labels, (w, h), interpolation=cv2.INTER_NEAREST)
        cv2.imwrite(str(root / "image-parse" / f"{path.stem}.png"), placed)
        inside = points_in_box(keypoints, (0, 0, labels.shape[1], labels.shape[0]))
        keypoints[:, :2] = keypoints[:, :2] * placement.scale + np.array([x, y])
        keypoints[~inside | (keypoints[:, 2] <= 0)] = 0
        document = openpose_json(keypoints)
        (root / "openpose-json" / f"{path.stem}_keypoints.json").write_text(json.dumps(document))


def row(variant: str, category: str, masked: int, total: int, report) -> str:
    summary, iou = report.summary, report.parse_iou

    def value(name: str, key: str) -> str:
        return f"{summary[name][key]:.3f}" if name in summary else "-"

    def label(name: str) -> str:
        return f"{iou[name]['mean']:.3f}" if name in iou else "-"

    cells = [
        variant,
        category,
        f"{masked}/{total}",
        f"{value('garment_coverage', 'mean')} / {value('garment_coverage', 'min')}",
        value("limb_coverage", "mean"),
        value("face_intrusion", "max"),
        f"{value('hair_intrusion', 'mean')} / {value('hair_intrusion', 'max')}",
        value("hands_kept", "min"),
        value("background_excess", "mean"),
        label("face"),
        label("hair"),
        label("hands"),
        label("upper_garment"),
        label("lower_garment"),
    ]
    return "| " + " | ".join(cells) + " |"


HEADER = (
    "| variant | category | masked | garment cov (mean / min) | limb cov | face (max) | hair (mean / max) "
    "| hands kept (min) | bg excess | IoU face | IoU hair | IoU hands | IoU upper garment "
    "| IoU lower garment |\n"
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipe", default="offline")
    parser.add_argument("--categories", nargs="+", default=["upper", "lower", "dress"])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--keep", type=Path, help="a new or empty folder to build in and keep")
    args = parser.parse_args()

    # Open gates: the smallest photos pass ingest, and no quality threshold is applied.
    recipe = load_recipe(args.recipe, {"ingest.min_short_side_px": 64})
    recipe = recipe.model_copy(update={"quality": QualityConfig(cloth=recipe.quality.cloth)})
    if args.keep is not None:
        if args.keep.exists() and any(args.keep.iterdir()):
            raise SystemExit(f"{args.keep} is not empty; --keep needs a new or empty folder")
        run(args, recipe, args.keep)
        return
    with tempfile.TemporaryDirectory(prefix="vtondata-mask-variants-") as work:
        run(args, recipe, Path(work))


def run(args: argparse.Namespace, recipe: Recipe, work: Path) -> None:
    """Build and score every chosen variant and category under ``work``; print the table."""
    target_wh = (recipe.ingest.target_width_px, recipe.ingest.target_height_px)
    print(f"recipe {args.recipe}, VITON-HD sample, outputs under {work}\n")
    print(HEADER)
    for variant in args.variants:
        truth = work / variant.replace(" ", "-")
        write_variant(variant, truth, target_wh, recipe.ingest.fit)
        for category in args.categories:
            out = work / f"{truth.name}-{category}"
            result = build(truth / "image", out, category, recipe, runner="local", overwrite=True)
            report = evaluate_masks(truth, out, category)
            print(row(variant, category, result.accepted, result.inputs, report), flush=True)
            if result.by_reason:
                print(f"|  | rejected: {result.by_reason} |", flush=True)


if __name__ == "__main__":
    main()
