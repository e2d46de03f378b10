"""Recipe section ``mask``: geometry parameters of the agnostic mask, per category.

All lengths are relative to the body scale (the shoulder width in pixels, see
``vtondata.geometry.keypoints.body_scale_px``), so one recipe works at any
resolution and for any person size.
"""

from pydantic import Field

from vtondata.config.base import RecipeModel


class CategoryMaskParams(RecipeModel):
    arm_width_rel: float = Field(
        0.32, gt=0, description="Arm capsule diameter / body scale; 0 leaves arms out of the mask."
    )
    leg_width_rel: float = Field(
        0.40, gt=0, description="Leg capsule diameter / body scale; 0 leaves legs out of the mask."
    )
    dilate_rel: float = Field(0.04, ge=0, description="Final dilation radius / body scale.")
    close_rel: float = Field(0.10, ge=0, description="Closing radius / body scale (fills gaps).")
    protect_margin_rel: float = Field(
        0.02, ge=0, description="Protected regions (face, hands, feet) grow by this before subtraction."
    )


class MaskConfig(RecipeModel):
    min_keypoint_confidence: float = Field(
        0.3,
        ge=0,
        le=1,
        description="Joints the category needs must reach this confidence, else mask.missing_joints.",
    )
    upper: CategoryMaskParams = Field(default_factory=CategoryMaskParams)
    lower: CategoryMaskParams = Field(default_factory=CategoryMaskParams)
    dress: CategoryMaskParams = Field(default_factory=CategoryMaskParams)
