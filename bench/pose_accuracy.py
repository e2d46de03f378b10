"""Pose accuracy against VITON-HD's OpenPose ground truth, and silhouette quality against its parse maps.

Usage: ``python bench/pose_accuracy.py`` (reads ``$VTONDATA_SHARED``, default
``../shared``; YOLO weights through the resolver, ``$VTONDATA_WEIGHTS``
defaulting to the shared weights folder). Prints two Markdown tables:

1. per pose backend on the 6 VITON-HD sample images (768x1024): detection
   rate, then the median distance in pixels between predicted and ground-truth
   joints over the COCO-17 joints confident in both (ground truth > 0.1,
   prediction > 0.3), overall and per joint group, with joint counts, and the
   mean seconds per image of one batch after a warm-up;
2. per silhouette source: IoU, precision and recall of the person mask
   against the parse map's person pixels (labels != 0).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

SHARED = Path(os.environ.get("VTONDATA_SHARED", Path(__file__).resolve().parents[2] / "shared"))
os.environ.setdefault("VTONDATA_WEIGHTS", str(SHARED / "weights"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("YOLO_OFFLINE", "1")

from vtondata.backends import build_pose_backend, build_segment_backend  # noqa: E402
from vtondata.config.pose import MediaPipePoseConfig, YoloPoseConfig  # noqa: E402
from vtondata.config.segment import MediaPipeSegmentConfig  # noqa: E402
from vtondata.geometry.keypoints import J, canonical_from_coco17, load_openpose_json  # noqa: E402
from vtondata.geometry.people import select_dominant_person  # noqa: E402

VITONHD = SHARED / "data" / "vitonhd-sample" / "datasets" / "test"
MIN_TRUTH_CONF = 0.1
MIN_PRED_CONF = 0.3
GROUPS = {
    "face": ("nose", "left_eye", "right_eye", "left_ear", "right_ear"),
    "shoulders": ("left_shoulder", "right_shoulder"),
    "elbows": ("left_elbow", "right_elbow"),
    "wrists": ("left_wrist", "right_wrist"),
    "hips": ("left_hip", "right_hip"),
    "knees": ("left_knee", "right_knee"),
    "ankles": ("left_ankle", "right_ankle"),
}
POSE_CONFIGS: dict[str, YoloPoseConfig | MediaPipePoseConfig] = {
    "yolo (yolo11n-pose, imgsz 640)": YoloPoseConfig(),
    "yolo (yolo11n-pose, imgsz 1024)": YoloPoseConfig(image_size_px=1024),
    "mediapipe (full)": MediaPipePoseConfig(),
}


def load_sample() -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """``(stem, HxWx3 RGB image, canonical ground truth (19, 3), HxW bool person)`` per VITON-HD image."""
    items = []
    for path in sorted((VITONHD / "image").glob("*.jpg")):
        image = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        truth = load_openpose_json(VITONHD / "openpose-json" / f"{path.stem}_keypoints.json")
        person = np.array(Image.open(VITONHD / "image-parse" / f"{path.stem}.png")) != 0
        items.append((path.stem, image, truth, person))
    return items


def joint_errors(
    config: YoloPoseConfig | MediaPipePoseConfig, items: list
) -> tuple[dict[str, list[float]], int, float]:
    """Pixel errors per joint name, the number of images with a chosen person, seconds per image."""
    backend = build_pose_backend(config)
    backend.load()
    images = [image for _, image, _, _ in items]
    backend.predict(images[:1])
    started = time.perf_counter()
    results = backend.predict(images)
    seconds = (time.perf_counter() - started) / len(images)
    errors: dict[str, list[float]] = {name: [] for group in GROUPS.values() for name in group}
    detected = 0
    for (_, _, truth, _), result in zip(items, results, strict=True):
        choice = select_dominant_person(
            result.boxes_xyxy, result.scores, config.min_person_score, config.max_secondary_person_ratio
        )
        if choice.verdict != "ok" or choice.index is None:
            continue
        detected += 1
        predicted = canonical_from_coco17(result.keypoints_px[choice.index])
        for name in errors:
            row = J[name]
            if truth[row, 2] > MIN_TRUTH_CONF and predicted[row, 2] > MIN_PRED_CONF:
                errors[name].append(float(np.hypot(*(predicted[row, :2] - truth[row, :2]))))
    return errors, detected, seconds


def pose_table(items: list) -> str:
    header = ["backend", "detected", "median px (n)", *GROUPS, "s/image"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for label, config in POSE_CONFIGS.items():
        errors, detected, seconds = joint_errors(config, items)
        every = [e for values in errors.values() for e in values]
        cells = [label, f"{detected}/{len(items)}", _median(every)]
        cells += [_median([e for name in names for e in errors[name]]) for names in GROUPS.values()]
        cells.append(f"{seconds:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def silhouette_table(items: list) -> str:
    images = [image for _, image, _, _ in items]
    truths = [person for _, _, _, person in items]
    sources: dict[str, list[np.ndarray]] = {}
    for model in ("pose", "selfie"):
        backend = build_segment_backend(MediaPipeSegmentConfig(model=model))
        results = backend.predict(images, [np.zeros((19, 3), np.float32)] * len(images))
        sources[f"mediapipe segment, model: {model}"] = [result.layers["person"] for result in results]
    header = ["silhouette source", "IoU mean", "IoU min", "precision mean", "recall mean", "recall min"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for label, masks in sources.items():
        overlaps = np.array([_overlap(mask, truth) for mask, truth in zip(masks, truths, strict=True)])
        iou, precision, recall = overlaps.T
        cells = [label, *(f"{value:.3f}" for value in (iou.mean(), iou.min(), precision.mean()))]
        cells += [f"{recall.mean():.3f}", f"{recall.min():.3f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _overlap(mask: np.ndarray, truth: np.ndarray) -> tuple[float, float, float]:
    both = float((mask & truth).sum())
    return both / float((mask | truth).sum()), both / max(float(mask.sum()), 1.0), both / float(truth.sum())


def _median(values: list[float]) -> str:
    return f"{np.median(values):.1f} ({len(values)})" if values else "- (0)"


def main() -> None:
    items = load_sample()
    print(f"VITON-HD sample: {len(items)} images, {items[0][1].shape[1]}x{items[0][1].shape[0]}\n")
    print(pose_table(items))
    print()
    print(silhouette_table(items))


if __name__ == "__main__":
    main()
