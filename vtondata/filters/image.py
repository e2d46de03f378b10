"""Image family: resolution and aspect of the original photo, exposure of the skin, noise, JPEG
blocks and sharpness of the person.

Each statistic is measured where it says something about the photo and not
about the garment. Exposure is judged on skin and face: a white shirt on a
white backdrop is bright and partly at 255 in a perfect catalogue photo, a
face is not. Noise, blocks and sharpness are pixel ratios
(:mod:`vtondata.filters.signal`) taken at the photo's own resolution (ingest's
upscaling undone), so a sharp 192x256 photo is not called blurred because it
was stored at 768x1024, and sharpness is taken on the person's crop, whose
edges are what a try-on model learns from. Resolution and aspect come from
the size ingest recorded before any scaling. Letterbox bars never count.
"""

from __future__ import annotations

import cv2
import numpy as np

from vtondata.backends.base import photo_box
from vtondata.filters import signal
from vtondata.geometry.keypoints import J
from vtondata.geometry.regions import inside_box
from vtondata.sample import Sample

MIN_REGION_SHARE = 0.01
"""A silhouette smaller than this share of the photo is not trusted as the region to measure."""
MIN_EXPOSURE_PX = 400
"""A skin or face region smaller than this (stored pixels) is too small to judge exposure on."""
FACE_RADIUS_REL = 0.3
"""Radius of the pose-drawn face disc, as a share of the shoulder width (about half a head's width)."""
FACE_POINTS = ("nose", "left_eye", "right_eye", "left_ear", "right_ear")
SKIN_LAYERS = ("skin", "face")
SHARPNESS_HEIGHT_PX = 512
"""The person crop is looked at no larger than this, so that sharpness does not depend on person size."""


def measure(sample: Sample, visible_confidence: float = 0.5) -> dict[str, float]:
    """``image.orig_width_px``, ``orig_height_px``, ``orig_aspect``, ``brightness``, ``contrast``,
    ``noise_sigma``, ``sharpness``, ``blockiness`` and, when skin or a face is known,
    ``clipped_fraction`` (see docs/quality.md).

    Brightness is the mean luma of skin and face, else of the silhouette (a
    mean is hardly moved by a white garment); the clipped share is measured on
    skin and face only, since a white garment on a white backdrop is at 255 in
    a perfect photo.
    """
    width, height = sample.meta["ingest"]["upright_size_wh"]
    grey = cv2.cvtColor(sample.image_rgb(), cv2.COLOR_RGB2GRAY)
    content = content_region(sample, grey.shape)
    person = _person(sample, content)
    skin = skin_region(sample, person if person is not None else content, visible_confidence)
    exposure = skin if skin is not None else (person if person is not None else content)
    brightness = cv2.mean(grey, exposure.view(np.uint8))[0]
    # Every second row and column: a photo's luma spread does not need every pixel.
    contrast = cv2.meanStdDev(grey[::2, ::2], mask=content[::2, ::2].view(np.uint8))[1][0, 0]
    upscale = max(1.0, float(sample.meta["ingest"]["scale"]))
    photo = _native(_crop(grey, content), upscale)
    figure = _crop(grey, person if person is not None else content)
    figure_scale = min(1.0 / upscale, SHARPNESS_HEIGHT_PX / max(1, figure.shape[0]))
    stats = {
        "image.orig_width_px": float(width),
        "image.orig_height_px": float(height),
        "image.orig_aspect": float(width) / float(height),
        "image.brightness": float(brightness / 255.0),
        "image.contrast": float(contrast / 255.0),
        "image.noise_sigma": signal.noise_sigma(photo),
        "image.blockiness": signal.blockiness(photo),
        "image.sharpness": signal.sharpness(_resized(figure, figure_scale)),
    }
    if skin is not None:
        unclipped = cv2.countNonZero(cv2.bitwise_and(cv2.inRange(grey, 3, 252), skin.view(np.uint8)))
        stats["image.clipped_fraction"] = 1.0 - unclipped / cv2.countNonZero(skin.view(np.uint8))
    return stats


def skin_region(sample: Sample, within: np.ndarray, visible_confidence: float) -> np.ndarray | None:
    """``HxW`` bool: skin and face, where exposure is judged; ``None`` when too little of it is known.

    The ``skin`` and ``face`` layers when a segmenter gives them; else a disc
    around the face points the pose is sure of. Both are cut to ``within``
    (the silhouette, or the photo), so that backdrop does not count.
    """
    skin = np.zeros(within.shape, dtype=bool)
    for name in SKIN_LAYERS:
        layer = sample.layers.get(name)
        if layer is not None:
            skin |= np.asarray(layer, dtype=bool)
    skin &= within
    if np.count_nonzero(skin) >= MIN_EXPOSURE_PX:
        return skin
    face = _pose_face(sample, within.shape, visible_confidence) & within
    return face if np.count_nonzero(face) >= MIN_EXPOSURE_PX else None


def _pose_face(sample: Sample, shape_hw: tuple[int, ...], visible_confidence: float) -> np.ndarray:
    disc = np.zeros(shape_hw[:2], dtype=np.uint8)
    if sample.keypoints_px is None:
        return disc > 0
    kp = np.asarray(sample.keypoints_px, dtype=np.float32)
    points = kp[[J[name] for name in FACE_POINTS]]
    points = points[points[:, 2] > visible_confidence, :2]
    shoulders = kp[[J["left_shoulder"], J["right_shoulder"]]]
    if len(points) == 0 or (shoulders[:, 2] <= visible_confidence).any():
        return disc > 0
    radius = FACE_RADIUS_REL * float(np.linalg.norm(shoulders[0, :2] - shoulders[1, :2]))
    centre = np.round(points.mean(axis=0)).astype(int)
    cv2.circle(disc, (int(centre[0]), int(centre[1])), max(1, round(radius)), 1, -1)
    return disc > 0


def content_region(sample: Sample, shape_hw: tuple[int, ...]) -> np.ndarray:
    """``HxW`` bool: the stored pixels that come from the photo (letterbox bars excluded)."""
    return inside_box(np.ones(shape_hw[:2], dtype=bool), photo_box(sample))


def _person(sample: Sample, content: np.ndarray) -> np.ndarray | None:
    """The silhouette inside the photo, or ``None`` when there is none worth measuring on."""
    person = sample.layers.get("person")
    if person is None:
        return None
    person = np.asarray(person, dtype=bool) & content
    return person if np.count_nonzero(person) >= MIN_REGION_SHARE * np.count_nonzero(content) else None


def _crop(grey: np.ndarray, region: np.ndarray) -> np.ndarray:
    """``grey`` cut to the bounding box of ``region``."""
    ys = np.flatnonzero(region.any(axis=1))
    xs = np.flatnonzero(region.any(axis=0))
    return grey[ys[0] : ys[-1] + 1, xs[0] : xs[-1] + 1]


def _native(grey: np.ndarray, upscale: float) -> np.ndarray:
    """The photo back at its own resolution when ingest enlarged it (block grid and noise restored)."""
    return _resized(grey, 1.0 / upscale)


def _resized(grey: np.ndarray, factor: float) -> np.ndarray:
    if factor >= 0.999:
        return grey
    size_wh = (max(1, round(grey.shape[1] * factor)), max(1, round(grey.shape[0] * factor)))
    return cv2.resize(grey, size_wh, interpolation=cv2.INTER_AREA)
