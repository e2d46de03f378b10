"""Recipe section ``quality``: one block per filter family, thresholds with a direction.

A field ``min_<name>`` (``max_<name>``) in block ``<family>`` is the smallest
(largest) accepted value of the statistic ``<family>.<name>`` in
``sample.stats``; ``None`` turns the check off. A sample failing it is
rejected ``quality.<family>_min_<name>`` (``..._max_<name>``). Each block's
``provenance`` says where its numbers come from (``vtondata calibrate`` writes
it). Statistics and the calibration rule: docs/quality.md.

Upper-body, lower-body and dress photos differ in what a clean sample looks
like (a lower-body mask covers the gap between the legs, so less of it lies on
the person), so ``categories.<category>`` may replace any of the ``image``,
``segment``, ``pose`` and ``mask`` blocks for one category; a block it leaves
out (``null``) is the shared one. :func:`for_category` resolves them.
"""

from __future__ import annotations

from pydantic import Field

from vtondata.config.base import RecipeModel
from vtondata.config.pose import PoseConfig

UNCALIBRATED = "hand-set defaults, not calibrated"
CLOTH_DEFAULTS = "the cloth stage's previous fixed defaults, not calibrated"


class ImageQuality(RecipeModel):
    """Resolution and aspect of the original file; exposure of the skin, noise, sharpness, JPEG blocks."""

    provenance: str = Field(default=UNCALIBRATED, description="Where these thresholds come from.")
    min_orig_width_px: float | None = Field(default=None, description="Smallest original width, pixels.")
    min_orig_height_px: float | None = Field(default=None, description="Smallest original height, pixels.")
    min_orig_aspect: float | None = Field(default=None, description="Smallest original width / height.")
    max_orig_aspect: float | None = Field(default=None, description="Largest original width / height.")
    min_brightness: float | None = Field(
        default=None,
        description="Smallest mean luma (0-1) of the exposure region: skin and face, else the person.",
    )
    max_brightness: float | None = Field(
        default=None,
        description="Largest mean luma (0-1) of the exposure region: skin and face, else the person.",
    )
    min_contrast: float | None = Field(
        default=None, description="Smallest luma standard deviation of the photo, 0-1."
    )
    max_clipped_fraction: float | None = Field(
        default=None,
        description="Largest share of the exposure region (skin and face, else the person) at black "
        "(luma <= 2) or white (>= 253).",
    )
    max_noise_sigma: float | None = Field(
        default=None,
        description="Largest estimated noise standard deviation of the photo, grey levels (0-255).",
    )
    min_sharpness: float | None = Field(
        default=None,
        description="Smallest sharpness of the person (0-1: 1 - the blur effect of Crete-Roffet et al.), "
        "measured at the photo's own resolution.",
    )
    max_blockiness: float | None = Field(
        default=None,
        description="Largest ratio of luma steps across the 8x8 JPEG block grid to steps inside blocks "
        "(1 = no blocks).",
    )


class PoseQuality(RecipeModel):
    """Person count, completeness, confidence and framing of the category's joints."""

    provenance: str = Field(default=UNCALIBRATED, description="Where these thresholds come from.")
    visible_confidence: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="A joint counts as seen (pose.joint_completeness) above this confidence; a measurement "
        "setting, not a threshold.",
    )
    max_num_people: float | None = Field(default=None, description="Most people the pose model may report.")
    min_joint_completeness: float | None = Field(
        default=None, description="Smallest share of the category's joints seen above visible_confidence."
    )
    min_joint_conf_mean: float | None = Field(
        default=None, description="Smallest mean confidence of the category's joints."
    )
    min_joint_conf_min: float | None = Field(
        default=None, description="Smallest confidence of the least certain of the category's joints."
    )
    min_framing_margin: float | None = Field(
        default=None,
        description="Smallest distance of the category's anchor joints (upper, dress: shoulders; lower: "
        "hips) to the photo's edge, as a share of the photo's height; negative when one lies outside.",
    )
    min_body_in_frame: float | None = Field(
        default=None,
        description="Smallest share of the length of the category's garment bones (upper: torso; lower: "
        "thighs; dress: torso and thighs) inside the photo.",
    )
    max_agreement_distance: float | None = Field(
        default=None,
        description="Largest distance, in shoulder widths, between the pose and quality.second_pose's "
        "estimate of any of the category's joints that both see inside the photo.",
    )


class SegmentQuality(RecipeModel):
    """Segmentation confidence and agreement between the silhouette and the pose."""

    provenance: str = Field(default=UNCALIBRATED, description="Where these thresholds come from.")
    min_person_mean_prob: float | None = Field(
        default=None,
        description="Smallest mean segmenter probability inside the silhouette (backends that give it).",
    )
    min_person_pred_iou: float | None = Field(
        default=None,
        description="Smallest SAM2 predicted IoU of the chosen person masks (segment backend sam2).",
    )
    min_person_prior_agreement: float | None = Field(
        default=None,
        description="Smallest SAM2 agreement of the person mask with the pose prior (backend sam2).",
    )
    min_person_area_ratio: float | None = Field(
        default=None, description="Smallest share of the image on the person."
    )
    max_person_area_ratio: float | None = Field(
        default=None, description="Largest share of the image on the person."
    )
    max_person_components: float | None = Field(
        default=None, description="Most silhouette blobs of at least a tenth of the largest one's area."
    )
    max_outside_foreground: float | None = Field(
        default=None,
        description="Largest share of the photo that is neither backdrop nor person: a second person beside "
        "a single-person model's silhouette, or a busy background.",
    )
    min_torso_in_person: float | None = Field(
        default=None, description="Smallest share of the pose-drawn torso polygon inside the silhouette."
    )
    min_joints_in_person: float | None = Field(
        default=None,
        description="Smallest share of the category's seen joints on the (slightly grown) silhouette.",
    )
    min_face_at_pose: float | None = Field(
        default=None,
        description="Smallest share of the pose's seen face points (nose, eyes) on the face layer "
        "(segmenters that give one).",
    )
    min_hands_at_pose: float | None = Field(
        default=None,
        description="Smallest share of the pose's seen wrists next to the hands layer (segmenters that give "
        "one).",
    )


class MaskQuality(RecipeModel):
    """The agnostic mask's area band and its overlap with face, garment and person."""

    provenance: str = Field(default=UNCALIBRATED, description="Where these thresholds come from.")
    min_area_ratio: float | None = Field(
        default=None, description="Smallest share of the image the mask covers."
    )
    max_area_ratio: float | None = Field(
        default=None, description="Largest share of the image the mask covers."
    )
    max_face_intrusion: float | None = Field(
        default=None, description="Largest share of the face layer masked."
    )
    min_garment_coverage: float | None = Field(
        default=None,
        description="Smallest share of the category's garment layer masked (when that layer exists).",
    )
    min_person_coverage: float | None = Field(
        default=None, description="Smallest share of the mask on the person."
    )
    min_joint_coverage: float | None = Field(
        default=None, description="Smallest share of the category's detected inner joints inside the mask."
    )


class DuplicatesQuality(RecipeModel):
    """Near-duplicates by perceptual hash of the person crop, decided at scan time over all inputs."""

    provenance: str = Field(default=UNCALIBRATED, description="Where this threshold comes from.")
    min_hash_distance: float | None = Field(
        default=None,
        description="Smallest Hamming distance (bits of 64) between the perceptual hashes of two photos' "
        "person crops; of a closer group the best photo is kept (resolution, then sharpness, then path).",
    )


class ClothQuality(RecipeModel):
    """Checks of the paired garment photo's mask, applied by the cloth stage before the garment is placed.

    On by default (the cloth stage's earlier fixed limits): a garment that is tiny, one of several,
    or cut by the frame gives no usable ``cloth.jpg``. Reason codes keep the cloth stage's names
    (``cloth.too_small``, ``cloth.multiple_garments``, ``cloth.cut_by_frame``).
    """

    provenance: str = Field(default=CLOTH_DEFAULTS, description="Where these thresholds come from.")
    min_area_ratio: float | None = Field(
        default=0.05, description="Smallest share of the garment photo the garment's largest region covers."
    )
    max_secondary_ratio: float | None = Field(
        default=0.1,
        description="Largest area of the mask's second region as a share of the largest one's; more means "
        "more than one garment.",
    )
    max_border_touch_ratio: float | None = Field(
        default=0.02,
        description="Largest share of the photo's border pixels the mask touches; more means the frame cuts "
        "the garment.",
    )


class CategoryQuality(RecipeModel):
    """One category's own blocks; a ``null`` block means the shared block of ``quality``."""

    image: ImageQuality | None = Field(default=None, description="Replaces quality.image for this category.")
    segment: SegmentQuality | None = Field(
        default=None, description="Replaces quality.segment for this category."
    )
    pose: PoseQuality | None = Field(default=None, description="Replaces quality.pose for this category.")
    mask: MaskQuality | None = Field(default=None, description="Replaces quality.mask for this category.")


class CategoryThresholds(RecipeModel):
    """Per-category blocks, for thresholds whose clean values differ between upper, lower and dress."""

    upper: CategoryQuality | None = Field(default=None, description="Blocks of the upper-body category.")
    lower: CategoryQuality | None = Field(default=None, description="Blocks of the lower-body category.")
    dress: CategoryQuality | None = Field(default=None, description="Blocks of the dress category.")


class QualityConfig(RecipeModel):
    """Every quality threshold of a recipe; by default only the garment photo checks (``cloth``) are on.

    Blocks and fields are in the order thresholds are checked: exposure and
    noise before sharpness (a dark photo looks blurred, a noisy one sharp), the
    silhouette before the joints (two people also cut each other's arms).
    """

    image: ImageQuality = Field(default_factory=ImageQuality)
    segment: SegmentQuality = Field(default_factory=SegmentQuality)
    pose: PoseQuality = Field(default_factory=PoseQuality)
    mask: MaskQuality = Field(default_factory=MaskQuality)
    duplicates: DuplicatesQuality = Field(default_factory=DuplicatesQuality)
    cloth: ClothQuality = Field(default_factory=ClothQuality)
    categories: CategoryThresholds = Field(
        default_factory=CategoryThresholds,
        description="Blocks that replace the shared ones for one category (docs/quality.md).",
    )
    second_pose: PoseConfig | None = Field(
        default=None,
        description="A second, independent pose model whose agreement with the first is "
        "pose.agreement_distance; null: not run (it costs a second pose inference per photo).",
    )


CATEGORY_FAMILIES = ("image", "segment", "pose", "mask")
"""The blocks a category may replace; duplicates are decided at scan time for every photo alike, garment
photos by the cloth stage, which runs before the person's category matters."""


def for_category(quality: QualityConfig, category: str | None) -> QualityConfig:
    """``quality`` with the category's own blocks in place of the shared ones, and no ``categories``.

    ``None`` (no category) gives the shared blocks.
    """
    own = getattr(quality.categories, category) if category else None
    update = {family: getattr(own, family) for family in CATEGORY_FAMILIES if own and getattr(own, family)}
    return quality.model_copy(update={**update, "categories": CategoryThresholds()})
