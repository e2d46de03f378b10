"""Recipe section ``mask``: geometry parameters of the agnostic mask, per category.

Every length is a multiple of the body scale ``s`` (the shoulder width in
pixels, see ``vtondata.geometry.keypoints.body_scale_px``), so one recipe works
at any resolution and for any person size. "Up" runs from the mid-hip to the
neck, "out" away from the body's centre line. The defaults are tuned so that
every garment variant of a category gives the same mask on the synthetic
bodies of ``tests/synthetic.py`` while hands stay kept on the VITON-HD sample
(figures and each parameter's effect: docs/masks.md).
"""

from pydantic import Field

from vtondata.config.base import RecipeModel


class ArmParams(RecipeModel):
    """Arm capsules along shoulder-elbow-wrist (categories upper and dress)."""

    width_rel: float = Field(
        default=0.62,
        gt=0,
        description="Capsule diameter / s: room for a loose sleeve, so sleeve length and fit do not show.",
    )


class TorsoParams(RecipeModel):
    """The convex torso region spanning shoulders and hips (categories upper and dress)."""

    shoulder_out_rel: float = Field(
        default=0.15, ge=0, description="Reach beyond each shoulder joint, outwards, / s."
    )
    shoulder_lift_rel: float = Field(
        default=0.12, ge=0, description="Height of the outer shoulder corners above the shoulder joints, / s."
    )
    neckline_lift_rel: float = Field(
        default=0.30,
        ge=0,
        description="Height of the neck base above the shoulder line, / s: the region reaches it so collars "
        "are covered; the head protection keeps it off the chin.",
    )
    neck_half_width_rel: float = Field(
        default=0.20, ge=0, description="Half width of the region's top edge at the neck base, / s."
    )
    hip_out_rel: float = Field(
        default=0.45,
        ge=0,
        description="Reach beyond each hip joint, outwards: room for a loose top's flare, / s.",
    )
    below_hip_rel: float = Field(
        default=0.35, ge=0, description="Reach below the hip line: room for the hem of a long top, / s."
    )


class LegParams(RecipeModel):
    """Leg capsules along hip-knee-ankle and the hip-to-ankle region (categories lower and dress)."""

    width_rel: float = Field(
        default=0.56, gt=0, description="Capsule diameter / s: room for a loose trouser leg."
    )
    waist_lift_rel: float = Field(
        default=0.60,
        ge=0,
        description="Height of the region's top (the waist) above the hip line, / s: high-waisted "
        "trousers and skirts reach the natural waist.",
    )
    hip_out_rel: float = Field(
        default=0.35, ge=0, description="Reach beyond each hip joint, outwards, at waist and hips, / s."
    )
    hem_half_width_rel: float = Field(
        default=1.05,
        ge=0,
        description="Half width at ankle height around the ankles' midpoint, / s: room for a flared skirt's "
        "hem, so skirts and trousers give the same mask.",
    )


class ProtectParams(RecipeModel):
    """Regions kept out of the mask; derived from pose where no evidence layer gives them."""

    margin_rel: float = Field(
        default=0.015, ge=0, description="Every protected region grows by this before it is subtracted, / s."
    )
    hair_margin_rel: float = Field(
        default=0.015,
        ge=0,
        description="The hair layer grows by this / s before it is subtracted. Long hair lies over the "
        "garment: a larger margin keeps more hair edge and leaves more garment next to it unmasked.",
    )
    head_half_width_rel: float = Field(
        default=0.34, gt=0, description="Derived head ellipse (no 'face' layer): half width / s."
    )
    head_half_height_rel: float = Field(
        default=0.56, gt=0, description="Derived head ellipse: half height / s."
    )
    head_lift_rel: float = Field(
        default=0.16,
        description="Derived head ellipse: centre above the mean of the trusted face keypoints, / s.",
    )
    head_above_neck_rel: float = Field(
        default=0.85,
        gt=0,
        description="Derived head ellipse: centre above the shoulder line when no face keypoint is trusted "
        "(back views), / s.",
    )
    hand_start_rel: float = Field(
        default=0.02,
        description="Derived hand (no 'hands' layer): start past the wrist along elbow->wrist, / s.",
    )
    hand_length_rel: float = Field(
        default=0.50, gt=0, description="Derived hand: length from its start, / s."
    )
    hand_half_width_rel: float = Field(default=0.15, gt=0, description="Derived hand: half width / s.")
    foot_start_rel: float = Field(
        default=0.015,
        description="Derived foot (no 'feet' layer): start past the ankle along knee->ankle, / s.",
    )
    foot_length_rel: float = Field(
        default=0.30, gt=0, description="Derived foot: length from its start, / s."
    )
    foot_half_width_rel: float = Field(default=0.15, gt=0, description="Derived foot: half width / s.")


class CategoryMaskParams(RecipeModel):
    """Everything that shapes one category's mask; which parts apply is fixed by the category."""

    arms: ArmParams = Field(
        default_factory=ArmParams,
        description="Drawn for upper and dress; for lower, kept out of the silhouette.",
    )
    torso: TorsoParams = Field(default_factory=TorsoParams, description="Drawn for upper and dress.")
    legs: LegParams = Field(
        default_factory=LegParams,
        description="Drawn for lower and dress; for upper, kept out of the silhouette.",
    )
    protect: ProtectParams = Field(default_factory=ProtectParams, description="Face, hair, hands and feet.")
    silhouette_in_band: bool = Field(
        default=True,
        description="Add the 'person' layer within the category's band along the body axis (catches garments "
        "looser than the pose regions); limbs the category does not own stay out.",
    )
    skin_width_rel: float = Field(
        default=1.0,
        ge=0,
        description="Visible skin (the 'skin' layer) within capsules this wide / s along the category's "
        "limbs joins the mask, so bare forearms or shins do not tell sleeve or hem length; 0 turns it off.",
    )
    skin_past_end_rel: float = Field(
        default=0.3,
        ge=0,
        description="Those capsules run this far / s past the wrists and ankles; the hand and foot "
        "protection stops them where the hand or foot begins.",
    )
    close_rel: float = Field(
        default=0.15,
        ge=0,
        description="Closing radius / s: fills gaps narrower than twice this (arm to torso).",
    )
    dilate_rel: float = Field(
        default=0.05,
        ge=0,
        description="Final dilation radius / s: no garment edge survives at the mask border.",
    )
    work_scale_px: float = Field(
        default=48.0,
        gt=0,
        description="Morphology runs on a grid coarsened so that s spans about this many cells: cost stays "
        "flat with image size; edges move by under one cell.",
    )


class MaskConfig(RecipeModel):
    min_keypoint_confidence: float = Field(
        default=0.2,
        ge=0,
        le=1,
        description="Joints at or below this confidence count as undetected: a missing shoulder, elbow, hip "
        "or knee rejects the sample (mask.missing_joints); a missing wrist or ankle is extrapolated. Low on "
        "purpose: the mask only needs a plausible limb position (an arm hanging behind the body scores "
        "0.22-0.28); the quality filters judge pose confidence.",
    )
    upper: CategoryMaskParams = Field(default_factory=CategoryMaskParams, description="Category upper.")
    lower: CategoryMaskParams = Field(default_factory=CategoryMaskParams, description="Category lower.")
    dress: CategoryMaskParams = Field(default_factory=CategoryMaskParams, description="Category dress.")

    def for_category(self, category: str) -> CategoryMaskParams:
        """The parameters of one category (``"upper"``, ``"lower"`` or ``"dress"``)."""
        return getattr(self, str(category))
