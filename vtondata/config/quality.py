"""Recipe section ``quality``: one block per filter family, thresholds with a direction.

A field ``min_<name>`` (``max_<name>``) in block ``<family>`` is the smallest
(largest) accepted value of the statistic ``<family>.<name>`` in
``sample.stats``; ``None`` turns the check off. A sample failing it is
rejected ``quality.<family>_min_<name>`` (``..._max_<name>``). Each block's
``provenance`` says where its numbers come from (``vtondata calibrate`` writes
it). Statistics and the calibration rule: docs/quality.md.
"""

from __future__ import annotations

from pydantic import Field

from vtondata.config.base import RecipeModel

UNCALIBRATED = "hand-set defaults, not calibrated"


class ImageQuality(RecipeModel):
    """Resolution and aspect of the original file; sharpness and exposure of the person."""

    provenance: str = Field(UNCALIBRATED, description="Where these thresholds come from.")
    min_orig_width_px: float | None = Field(None, description="Smallest original width, pixels.")
    min_orig_height_px: float | None = Field(None, description="Smallest original height, pixels.")
    min_orig_aspect: float | None = Field(None, description="Smallest original width / height.")
    max_orig_aspect: float | None = Field(None, description="Largest original width / height.")
    min_brightness: float | None = Field(None, description="Smallest mean luma of the person region, 0-1.")
    max_brightness: float | None = Field(None, description="Largest mean luma of the person region, 0-1.")
    min_contrast: float | None = Field(
        None, description="Smallest luma standard deviation of the photo, 0-1."
    )
    max_clipped_fraction: float | None = Field(
        None, description="Largest share of person pixels at black (luma <= 2) or white (>= 253)."
    )

    min_sharpness: float | None = Field(
        None, description="Smallest variance of the Laplacian of the person region (grey levels squared)."
    )


class PoseQuality(RecipeModel):
    """Person count, completeness, confidence and framing of the category's joints."""

    provenance: str = Field(UNCALIBRATED, description="Where these thresholds come from.")
    visible_confidence: float = Field(
        0.5,
        ge=0,
        le=1,
        description="A joint counts as seen (pose.joint_completeness) above this confidence; a measurement "
        "setting, not a threshold.",
    )
    max_num_people: float | None = Field(None, description="Most people the pose model may report.")
    min_joint_completeness: float | None = Field(
        None, description="Smallest share of the category's joints seen above visible_confidence."
    )
    min_joint_conf_mean: float | None = Field(
        None, description="Smallest mean confidence of the category's joints."
    )
    min_joint_conf_min: float | None = Field(
        None, description="Smallest confidence of the least certain of the category's joints."
    )
    min_framing_margin: float | None = Field(
        None,
        description="Smallest distance of any of the category's joints to the photo's edge, as a share of "
        "the photo's height; negative when a joint lies outside.",
    )


class SegmentQuality(RecipeModel):
    """Segmentation confidence and agreement between the silhouette and the pose."""

    provenance: str = Field(UNCALIBRATED, description="Where these thresholds come from.")
    min_person_mean_prob: float | None = Field(
        None, description="Smallest mean segmenter probability inside the silhouette (backends that give it)."
    )
    min_person_pred_iou: float | None = Field(
        None, description="Smallest SAM2 predicted IoU of the chosen person masks (segment backend sam2)."
    )
    min_person_prior_agreement: float | None = Field(
        None, description="Smallest SAM2 agreement of the person mask with the pose prior (backend sam2)."
    )
    min_person_area_ratio: float | None = Field(
        None, description="Smallest share of the image on the person."
    )
    max_person_area_ratio: float | None = Field(None, description="Largest share of the image on the person.")
    max_person_components: float | None = Field(
        None, description="Most silhouette blobs of at least a tenth of the largest one's area."
    )
    max_outside_foreground: float | None = Field(
        None,
        description="Largest share of the photo that is neither backdrop nor person: a second person beside "
        "a single-person model's silhouette, or a busy background.",
    )
    min_torso_in_person: float | None = Field(
        None, description="Smallest share of the pose-drawn torso polygon inside the silhouette."
    )
    min_joints_in_person: float | None = Field(
        None,
        description="Smallest share of the category's seen joints on the (slightly grown) silhouette.",
    )


class MaskQuality(RecipeModel):
    """The agnostic mask's area band and its overlap with face, garment and person."""

    provenance: str = Field(UNCALIBRATED, description="Where these thresholds come from.")
    min_area_ratio: float | None = Field(None, description="Smallest share of the image the mask covers.")
    max_area_ratio: float | None = Field(None, description="Largest share of the image the mask covers.")
    max_face_intrusion: float | None = Field(None, description="Largest share of the face layer masked.")
    min_garment_coverage: float | None = Field(
        None, description="Smallest share of the category's garment layer masked (when that layer exists)."
    )
    min_person_coverage: float | None = Field(None, description="Smallest share of the mask on the person.")
    min_joint_coverage: float | None = Field(
        None, description="Smallest share of the category's detected inner joints inside the mask."
    )


class DuplicatesQuality(RecipeModel):
    """Near-duplicates by perceptual hash, decided at scan time over the sorted inputs."""

    provenance: str = Field(UNCALIBRATED, description="Where this threshold comes from.")
    min_hash_distance: float | None = Field(
        None,
        description="Smallest Hamming distance (bits of 64) between a photo's perceptual hash and that of "
        "any earlier input; the earlier one in sorted order is kept.",
    )


class QualityConfig(RecipeModel):
    """Every quality threshold of a recipe; the all-``None`` default accepts everything.

    Blocks and fields are in the order thresholds are checked: exposure before
    sharpness (a dark photo also has little Laplacian variance), the
    silhouette before the joints (two people also cut each other's arms).
    """

    image: ImageQuality = Field(default_factory=ImageQuality)
    segment: SegmentQuality = Field(default_factory=SegmentQuality)
    pose: PoseQuality = Field(default_factory=PoseQuality)
    mask: MaskQuality = Field(default_factory=MaskQuality)
    duplicates: DuplicatesQuality = Field(default_factory=DuplicatesQuality)
