"""What a backend promises its stage: typed results and a two-method protocol.

Backends wrap a model library and hide its quirks (BGR input, tensors on a
device, normalised coordinates). They return frozen dataclasses with units in
the field names, never the library's own result objects, so stages and tests
do not depend on Ultralytics or MediaPipe.

Annotation backends read existing files instead of running a model, so
``predict`` also receives one :class:`ImageSource` per image: the original
file's absolute path and the placement ingest applied to it. Image-model
backends accept the keyword and ignore it.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np

from vtondata.errors import BackendUnavailable
from vtondata.ingest.decode import Placement, place
from vtondata.sample import Sample

ResultT = TypeVar("ResultT")

_EXIF_ROTATES_QUARTER = frozenset({5, 6, 7, 8})
"""EXIF orientations that swap width and height when applied."""


@dataclass(frozen=True)
class ImageSource:
    """Where an image a backend receives came from.

    ``path`` is the original file's absolute path (``""`` for an image with
    no file). ``placement`` maps the original's upright pixels to the
    received image's pixels: ``received_xy = upright_xy * scale + offset_xy``,
    the upright image resized to ``resized_wh`` and pasted at ``offset_xy``;
    ``None`` when ingest recorded no placement.
    """

    path: str
    placement: Placement | None

    def photo_box(self, canvas_wh: tuple[int, int]) -> tuple[int, int, int, int]:
        """``(x0, y0, x1, y1)`` of the photo's own pixels in the received ``canvas_wh`` image: all of
        it without a placement, else without the letterbox bars ingest added."""
        if self.placement is None:
            return (0, 0, *canvas_wh)
        return self.placement.box(canvas_wh)


def image_source(
    path: str, ingest_meta: Mapping[str, Any] | None, image_size_wh: tuple[int, int] | None
) -> ImageSource:
    """The :class:`ImageSource` of a sample from its ``meta["ingest"]`` and stored ``(W, H)``.

    Rebuilds the placement with :func:`vtondata.ingest.decode.place`, from
    the upright size (``orig_size_wh`` with width and height swapped when an
    EXIF quarter turn was applied) and the recorded ``fit``, so it is the one
    ingest used, resized size included.
    """
    if not ingest_meta or image_size_wh is None:
        return ImageSource(path=path, placement=None)
    width, height = ingest_meta["orig_size_wh"]
    if ingest_meta.get("exif_transposed") and ingest_meta.get("exif_orientation") in _EXIF_ROTATES_QUARTER:
        width, height = height, width
    placement = place((int(width), int(height)), image_size_wh, str(ingest_meta["fit"]))
    return ImageSource(path=path, placement=placement)


def sample_sources(samples: Sequence[Sample]) -> list[ImageSource]:
    """The :class:`ImageSource` of each sample, for a backend's ``sources`` keyword."""
    return [image_source(s.source_abs, s.meta.get("ingest"), s.image_size) for s in samples]


def photo_box(sample: Sample) -> tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)`` of the photo's own pixels in the stored image (letterbox bars excluded).

    Models see the bars as part of the picture: a silhouette or a face mesh
    runs on into them where the frame cuts a person. No layer, mask or
    measure may count those pixels.
    """
    assert sample.image_size is not None
    return image_source(sample.source_abs, sample.meta.get("ingest"), sample.image_size).photo_box(
        sample.image_size
    )


def predict_accepted(
    samples: Sequence[Sample], predict: Callable[[list[Sample]], list[ResultT]], backend_name: str
) -> list[tuple[Sample, ResultT]]:
    """Call ``predict`` once on the accepted samples; pair each with its result, in order.

    A backend that returns more or fewer results than images is a bug, not a
    bad sample: it raises, and the runner isolates the batch sample by sample.
    """
    todo = [sample for sample in samples if sample.accepted]
    if not todo:
        return []
    results = predict(todo)
    if len(results) != len(todo):
        raise RuntimeError(f"backend {backend_name} returned {len(results)} results for {len(todo)}")
    return list(zip(todo, results, strict=True))


def provenance(backend: PoseBackend | SegmentBackend) -> dict[str, str | None]:
    """What ``meta.json`` records of the backend that produced a stage's output."""
    return {"backend": backend.name, "version": backend.version, "weights_sha256": backend.weights_sha256}


@dataclass(frozen=True)
class PoseResult:
    """Every person a pose model found in one image.

    ``keypoints_px`` is ``(N, 17, 3)`` float32 COCO-17 rows ``(x_px, y_px,
    confidence)`` in pixels of the input image; ``boxes_xyxy`` is ``(N, 4)``
    float32 ``(x0, y0, x1, y1)`` in pixels; ``scores`` is ``(N,)`` float32
    person scores in [0, 1]. ``silhouette`` is an ``HxW`` bool person mask
    when the model makes one (MediaPipe), else ``None``. ``N = 0`` means no
    person. ``no_annotation`` says why an annotation backend had nothing to
    read for this image (the stage rejects the sample ``pose.no_annotation``).
    ``landmarks_px`` holds the extra landmark sets of a single-person model
    (Holistic: ``pose33``, ``face``, ``left_hand``, ``right_hand``), each
    ``(M, 3)`` float32 ``(x_px, y_px, visibility)``, for the dominant person.
    """

    keypoints_px: np.ndarray
    boxes_xyxy: np.ndarray
    scores: np.ndarray
    silhouette: np.ndarray | None = None
    no_annotation: str | None = None
    landmarks_px: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def num_people(self) -> int:
        return int(self.scores.shape[0])

    @classmethod
    def empty(cls, silhouette: np.ndarray | None = None, no_annotation: str | None = None) -> PoseResult:
        """The result for an image without any person (or without an annotation to read)."""
        return cls(
            keypoints_px=np.zeros((0, 17, 3), dtype=np.float32),
            boxes_xyxy=np.zeros((0, 4), dtype=np.float32),
            scores=np.zeros((0,), dtype=np.float32),
            silhouette=silhouette,
            no_annotation=no_annotation,
        )


@dataclass(frozen=True)
class SegmentResult:
    """Evidence layers for one image.

    ``layers`` maps a layer name (``"person"``, ``"garment_upper"``, ...) to an
    ``HxW`` bool mask of the input image; ``scores`` holds the backend's
    confidence numbers by name (``"person_mean_prob"``), each a float.
    ``no_annotation`` says why an annotation backend had nothing to read for
    this image (the stage rejects the sample ``segment.no_annotation``).
    ``notes`` says, by layer (or ``layer.side``), why a requested layer was
    left out (SAM2: no candidate agreed with the pose prior); it reaches
    ``meta.json``.
    """

    layers: dict[str, np.ndarray]
    scores: dict[str, float]
    no_annotation: str | None = None
    notes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PriorEvidence:
    """What the pose stage found for one image, for segment backends that build on it.

    ``layers`` holds the ``HxW`` bool layers so far (the pose model's
    ``"person"`` silhouette); ``landmarks_px`` the pose model's extra landmark
    sets (see :class:`PoseResult`). Backends that read pixels only ignore it.
    """

    layers: Mapping[str, np.ndarray]
    landmarks_px: Mapping[str, np.ndarray]


@runtime_checkable
class PoseBackend(Protocol):
    """A pose model: ``load()`` once per worker, then ``predict`` batches of RGB images.

    ``version`` is the model library's package version and ``weights_sha256``
    the checkpoint's hash (``None`` when there is no single file); both go
    into each sample's ``meta`` so a dataset records what produced it.
    """

    name: str
    version: str
    weights_sha256: str | None

    def load(self) -> None:
        """Load the model; calling it again is a no-op."""
        ...

    def close(self) -> None:
        """Release the model; ``load`` opens it again. A MediaPipe graph keeps its threads and
        memory until it is closed, even once nothing refers to it."""
        ...

    def predict(
        self, images_rgb: list[np.ndarray], *, sources: Sequence[ImageSource] = ()
    ) -> list[PoseResult]:
        """One result per ``HxWx3`` uint8 RGB image, in order; ``sources`` is empty or one per image."""
        ...


@runtime_checkable
class SegmentBackend(Protocol):
    """A segmentation model; prompt-based ones read the pose keypoints.

    ``keypoints_px`` holds one canonical ``(19, 3)`` float32 array per image
    (all zeros when the image has no pose).
    """

    name: str
    version: str
    weights_sha256: str | None

    def load(self) -> None:
        """Load the model; calling it again is a no-op."""
        ...

    def close(self) -> None:
        """Release the model; ``load`` opens it again. A MediaPipe graph keeps its threads and
        memory until it is closed, even once nothing refers to it."""
        ...

    def predict(
        self,
        images_rgb: list[np.ndarray],
        keypoints_px: list[np.ndarray],
        *,
        sources: Sequence[ImageSource] = (),
        evidence: Sequence[PriorEvidence] = (),
    ) -> list[SegmentResult]:
        """One result per ``HxWx3`` uint8 RGB image, in order; ``sources`` and ``evidence`` are
        empty or one per image."""
        ...


def check_requires(backend: str, requires: tuple[str, ...]) -> None:
    """Fail with the pip line when a backend's packages are missing, without importing them.

    ``requires`` holds pip requirement strings (``"mediapipe==0.10.14"``);
    the import name is the part before any version specifier.
    """
    missing = [spec for spec in requires if importlib.util.find_spec(_import_name(spec)) is None]
    if missing:
        line = "pip install " + " ".join(f"'{spec}'" for spec in missing)
        raise BackendUnavailable(
            f"the {backend} backend needs {', '.join(_import_name(s) for s in missing)}, "
            f"which is not installed; install it with: {line}"
        )


def _import_name(spec: str) -> str:
    return re.split(r"[<>=!~\[ ;]", spec, maxsplit=1)[0]
