"""Fake pose and segment backends, injected into stages through their constructors.

Both satisfy the backend protocols (``name``, ``version``, ``weights_sha256``,
``load``, ``predict``) and record how they were called (batch sizes, sources), so stage tests can
check batching without a model. Their default answers are a synthetic
standing person scaled to each image: good enough for mask and quality tests
that need a plausible body.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np

from vtondata.backends.base import ImageSource, PoseResult, PriorEvidence, SegmentResult
from vtondata.sample import Category, Sample

# A front-facing standing person in a unit box (x right, y down), COCO-17 order.
_STANDING_UNIT: tuple[tuple[float, float], ...] = (
    (0.50, 0.10), (0.53, 0.08), (0.47, 0.08), (0.56, 0.09), (0.44, 0.09),
    (0.62, 0.22), (0.38, 0.22), (0.66, 0.38), (0.34, 0.38), (0.68, 0.52), (0.32, 0.52),
    (0.58, 0.54), (0.42, 0.54), (0.58, 0.73), (0.42, 0.73), (0.58, 0.92), (0.42, 0.92),
)  # fmt: skip


def standing_coco17(width_px: int, height_px: int, confidence: float = 0.9) -> np.ndarray:
    """``(17, 3)`` float32 COCO keypoints of a standing person filling the image."""
    unit = np.asarray(_STANDING_UNIT, dtype=np.float32)
    keypoints = np.empty((17, 3), dtype=np.float32)
    keypoints[:, 0] = unit[:, 0] * width_px
    keypoints[:, 1] = unit[:, 1] * height_px
    keypoints[:, 2] = confidence
    return keypoints


def person_result(
    people: Sequence[tuple[np.ndarray, Sequence[float], float]], silhouette: np.ndarray | None = None
) -> PoseResult:
    """A ``PoseResult`` from ``(coco17 (17, 3), box_xyxy, score)`` per person."""
    if not people:
        return PoseResult.empty(silhouette=silhouette)
    return PoseResult(
        keypoints_px=np.stack([np.asarray(kp, np.float32) for kp, _, _ in people]),
        boxes_xyxy=np.asarray([box for _, box, _ in people], dtype=np.float32),
        scores=np.asarray([score for _, _, score in people], dtype=np.float32),
        silhouette=silhouette,
    )


def standing_person(image_rgb: np.ndarray) -> PoseResult:
    """One confident standing person covering most of ``image_rgb``."""
    height, width = image_rgb.shape[:2]
    box = (0.25 * width, 0.05 * height, 0.75 * width, 0.95 * height)
    return person_result([(standing_coco17(width, height), box, 0.9)])


def body_layer(image_rgb: np.ndarray, keypoints_px: np.ndarray) -> SegmentResult:
    """A ``"person"`` layer: the box around the confident keypoints (a centred box without them)."""
    height, width = image_rgb.shape[:2]
    person = np.zeros((height, width), dtype=bool)
    confident = keypoints_px[keypoints_px[:, 2] > 0]
    if len(confident):
        x0, y0 = np.floor(confident[:, :2].min(axis=0)).astype(int)
        x1, y1 = np.ceil(confident[:, :2].max(axis=0)).astype(int)
    else:
        x0, y0, x1, y1 = width // 4, height // 20, 3 * width // 4, 19 * height // 20
    person[max(y0, 0) : y1 + 1, max(x0, 0) : x1 + 1] = True
    return SegmentResult(layers={"person": person}, scores={"person_mean_prob": 0.9})


class FakePoseBackend:
    """Answers each image with ``respond(image)``, or the next of a fixed list of results."""

    name = "fake-pose"
    version = "0.0"
    weights_sha256: str | None = None

    def __init__(self, respond: Callable[[np.ndarray], PoseResult] | Sequence[PoseResult] = standing_person):
        self._respond = respond if callable(respond) else _InOrder(respond)
        self.loads = self.closes = 0
        self.batch_sizes: list[int] = []
        self.sources_seen: list[ImageSource] = []

    def load(self) -> None:
        self.loads += 1

    def close(self) -> None:
        self.closes += 1

    def predict(
        self, images_rgb: list[np.ndarray], *, sources: Sequence[ImageSource] = ()
    ) -> list[PoseResult]:
        self.batch_sizes.append(len(images_rgb))
        self.sources_seen += list(sources)
        return [self._respond(image) for image in images_rgb]


class FakeSegmentBackend:
    """Answers each image with ``respond(image, keypoints)``, or the next of a fixed list of results."""

    name = "fake-segment"
    version = "0.0"
    weights_sha256: str | None = None

    def __init__(
        self,
        respond: Callable[[np.ndarray, np.ndarray], SegmentResult] | Sequence[SegmentResult] = body_layer,
    ):
        self._respond = respond if callable(respond) else _InOrder(respond)
        self.loads = self.closes = 0
        self.batch_sizes: list[int] = []
        self.sources_seen: list[ImageSource] = []
        self.keypoints_seen: list[np.ndarray] = []

    def load(self) -> None:
        self.loads += 1

    def close(self) -> None:
        self.closes += 1

    def predict(
        self,
        images_rgb: list[np.ndarray],
        keypoints_px: list[np.ndarray],
        *,
        sources: Sequence[ImageSource] = (),
        evidence: Sequence[PriorEvidence] = (),
    ) -> list[SegmentResult]:
        self.batch_sizes.append(len(images_rgb))
        self.sources_seen += list(sources)
        self.keypoints_seen += [np.asarray(kp) for kp in keypoints_px]
        return [self._respond(image, kp) for image, kp in zip(images_rgb, keypoints_px, strict=True)]


def sample_from_image(image_rgb: np.ndarray, key: str = "000000", index: int = 0) -> Sample:
    """An ingested-looking ``Sample`` whose stored image is ``image_rgb`` (PNG, lossless)."""
    ok, encoded = cv2.imencode(".png", cv2.cvtColor(image_rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise ValueError("could not encode the test image")
    height, width = image_rgb.shape[:2]
    return Sample(
        key=key,
        index=index,
        source_path=f"{key}.png",
        category=Category.UPPER,
        chunk=0,
        person_jpg=encoded.tobytes(),
        image_size=(width, height),
    )


def letterbox_top_and_bottom(sample: Sample, bar_px: int) -> Sample:
    """``sample`` as ingest leaves a photo ``2 * bar_px`` shorter than its stored image: scale 1,
    centred, with a letterbox bar of ``bar_px`` rows above and below (``meta["ingest"]``)."""
    assert sample.image_size is not None
    width, height = sample.image_size
    size = [width, height - 2 * bar_px]
    sample.meta["ingest"] = {
        "orig_size_wh": size,
        "upright_size_wh": size,
        "fit": "pad",
        "scale": 1.0,
        "offset_xy": [0, bar_px],
    }
    return sample


class _InOrder:
    """Hands out fixed results one per image, in order; picklable, unlike a closure."""

    def __init__(self, results: Sequence[object]) -> None:
        self.results = list(results)
        self.used = 0

    def __call__(self, *_: object) -> object:
        if self.used >= len(self.results):
            raise AssertionError(f"the fake backend was asked for more than {len(self.results)} results")
        self.used += 1
        return self.results[self.used - 1]
