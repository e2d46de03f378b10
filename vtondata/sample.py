"""The one record that flows through every stage.

A :class:`Sample` is one person image and everything derived from it. Stages
enrich it in place and never drop it: a sample that cannot go on carries a
:class:`Rejection` (a stable reason code plus a human message) and passes
through the remaining stages untouched, so that the index always holds
``inputs = accepted + rejected`` rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final, Literal

if TYPE_CHECKING:
    import numpy as np


class Category(StrEnum):
    """Garment category a dataset is built for; decides the mask's extent."""

    UPPER = "upper"
    LOWER = "lower"
    DRESS = "dress"


ALL_CATEGORIES: Final = "all"
"""The build category that draws every category a photo supports from one run of the models."""

BuildCategory = Category | Literal["all"]
"""What a build is for: one garment category, or :data:`ALL_CATEGORIES` (docs/format.md)."""

UNION_CATEGORIES: Final = (Category.UPPER, Category.LOWER)
"""The categories whose masks an all-category build also joins, for swapping a top and a bottom at once."""


def build_category(value: str) -> BuildCategory:
    """``"all"`` or a :class:`Category`; ``ValueError`` naming the choices for anything else."""
    if value == ALL_CATEGORIES:
        return ALL_CATEGORIES
    try:
        return Category(value)
    except ValueError:
        choices = ", ".join([*Category, ALL_CATEGORIES])
        raise ValueError(f"category {value!r} is not one of {choices}") from None


def categories_of(category: BuildCategory | str) -> tuple[Category, ...]:
    """The garment categories a build for ``category`` draws: all three for ``"all"``, else that one."""
    return tuple(Category) if category == ALL_CATEGORIES else (Category(category),)


@dataclass(frozen=True)
class Rejection:
    """Why a sample was not accepted.

    ``code`` is ``"<stage>.<reason>"`` (for example ``"ingest.truncated"``), a
    stable string that reports and scripts may rely on; ``message`` is for
    people and may include exception text.
    """

    code: str
    message: str


@dataclass
class Sample:
    """One input photo and everything the stages derive from it.

    Arrays use pixel coordinates of the *stored* image (``image_size`` =
    ``(width, height)``), not of the raw file: ingest may rotate (EXIF),
    scale and letterbox, and records how in ``meta["ingest"]``.
    """

    key: str
    """Dot-free, zero-padded WebDataset key, unique within a dataset."""
    index: int
    """Position of the input in the sorted input list."""
    source_path: str
    """Path relative to the raw folder, POSIX separators."""
    category: BuildCategory
    """The garment category; ``"all"`` in an all-category build, whose per-category outcomes are in
    ``verdicts``."""
    chunk: int
    """Chunk (= shard) this sample belongs to."""
    source_abs: str = ""
    """Absolute path the ingest stage reads; never written to outputs."""
    source_sha256: str | None = None
    """sha256 of the source file: the scan's, then ingest's hash of the bytes it actually read."""
    person_jpg: bytes | None = None
    """Stored person image: the original bytes when no transform was needed."""
    image_size: tuple[int, int] | None = None
    """``(width, height)`` of ``person_jpg`` in pixels."""
    keypoints_px: np.ndarray | None = None
    """Canonical keypoints, ``(19, 3)`` float32 ``(x_px, y_px, confidence)``:
    COCO-17 order, then neck (17) and mid-hip (18)."""
    landmarks_px: dict[str, np.ndarray] = field(default_factory=dict)
    """Extra landmark sets of the pose model (``"face"``, ``"left_hand"``, ``"pose33"``, ...), each
    ``(M, 3)`` float32 ``(x_px, y_px, visibility)``; segment backends draw layers from them."""
    layers: dict[str, np.ndarray] = field(default_factory=dict)
    """Evidence layers, each ``HxW`` bool (``"person"``, ``"garment_upper"``, ...)."""
    parse_map: np.ndarray | None = None
    """``HxW`` uint8 label ids (vtondata.geometry.parse_map.PARSE_LABELS), when layers allow one."""
    agnostic_mask: np.ndarray | None = None
    """``HxW`` bool, True = repaint."""
    files: dict[str, bytes] = field(default_factory=dict)
    """Encoded tar members by extension (``"agnostic_mask.png"``, ...)."""
    meta: dict[str, Any] = field(default_factory=dict)
    """JSON-able provenance written to ``meta.json`` (per-stage sub-dicts)."""
    stats: dict[str, float] = field(default_factory=dict)
    """Numeric statistics, namespaced ``"<stage>.<name>"``; reach the index."""
    timings_s: dict[str, float] = field(default_factory=dict)
    """Seconds spent per stage on this sample; reach the index, not the tar."""
    rejection: Rejection | None = None
    verdicts: dict[Category, Rejection | None] = field(default_factory=dict)
    """An all-category build's outcome per category: ``None`` when accepted, else why not."""
    cloth_abs: str | None = None
    """Absolute path of the paired garment photo; never written to outputs."""
    cloth_sha256: str | None = None
    """sha256 of the garment photo as the scan read it; the cloth stage checks what it decodes."""
    cloth_jpg: bytes | None = None
    """The garment photo centred and padded to the recipe's cloth size (JPEG), when one was paired."""
    cloth_mask: np.ndarray | None = None
    """``HxW`` bool garment mask of ``cloth_jpg``, True = garment."""
    _image_cache: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def accepted(self) -> bool:
        return self.rejection is None

    def reject(self, code: str, message: str) -> None:
        """Mark the sample rejected; the first rejection wins."""
        if self.rejection is None:
            self.rejection = Rejection(code=code, message=message)

    def image_rgb(self) -> np.ndarray:
        """The stored person image as ``HxWx3`` uint8 RGB (decoded once, cached)."""
        if self._image_cache is None:
            import cv2  # the CLI imports Category from here and must start without OpenCV
            import numpy as np

            if self.person_jpg is None:
                raise ValueError(f"sample {self.key} has no decoded image yet")
            buffer = np.frombuffer(self.person_jpg, dtype=np.uint8)
            bgr = cv2.imdecode(buffer, cv2.IMREAD_COLOR)
            if bgr is None:
                raise ValueError(f"sample {self.key}: stored image bytes do not decode")
            self._image_cache = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        return self._image_cache

    def drop_arrays(self) -> None:
        """Forget the decoded image and the evidence arrays once every stage has run.

        Writing a chunk needs only the encoded ``files`` and the index fields;
        the arrays (about 9 MB for a 768x1024 photo with its layers) would
        otherwise stay alive until the whole chunk is written.
        """
        self._image_cache = None
        self.landmarks_px = {}
        self.layers = {}
        self.parse_map = None
        self.agnostic_mask = None
        self.cloth_mask = None

    def __getstate__(self) -> dict[str, Any]:
        # The decoded image is a cache: shipping it to another worker would
        # multiply transfer size by ~10 for nothing.
        state = self.__dict__.copy()
        state["_image_cache"] = None
        return state
