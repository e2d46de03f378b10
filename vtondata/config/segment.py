"""Recipe section ``segment``: evidence layers (person silhouette, garments, body parts)."""

from typing import Annotated, Literal

from pydantic import Field

from vtondata.config.base import RecipeModel

Sam2Layer = Literal[
    "person",
    "garment_upper",
    "garment_lower",
    "garment_dress",
    "face",
    "hair",
    "hands",
    "feet",
    "arms",
    "legs",
]
"""Layers the SAM2 backend can prompt for from pose (vtondata.geometry.prompts)."""


class SegmentCommon(RecipeModel):
    batch_size: int = Field(default=4, ge=1, description="Images per backend call and per Ray batch.")


class MediaPipeSegmentConfig(SegmentCommon):
    backend: Literal["mediapipe"] = "mediapipe"
    model: Literal["pose", "selfie"] = Field(
        default="pose",
        description=(
            "Which MediaPipe model draws the person silhouette: 'pose' (the full pose model's segmentation "
            "head; IoU 0.975 mean, 0.964 worst against the VITON-HD sample's parse maps) or 'selfie' "
            "(selfie segmentation; 0.965 mean, 0.945 worst, with holes between arm and torso). "
            "See docs/pose.md."
        ),
    )
    model_selection: Literal[0, 1] = Field(
        default=0, description="Selfie segmentation model (model: selfie only): 0 = general, 1 = landscape."
    )
    threshold: float = Field(
        default=0.5, gt=0, lt=1, description="Person probability above which a pixel is person."
    )


class Sam2SegmentConfig(SegmentCommon):
    """SAM2 prompted by pose: one image embedding, one batched decoder call with every layer's prompt."""

    backend: Literal["sam2"] = "sam2"
    checkpoint: str = Field(
        default="sam2.1_hiera_tiny.pt",
        description=(
            "SAM2 checkpoint: a file name or path found by the weights resolver (docs/weights.md), or a "
            "Hugging Face hub id ('facebook/sam2.1-hiera-tiny'), resolved to its file name and downloaded "
            "only when downloads are allowed."
        ),
    )
    checkpoint_sha256: str | None = Field(
        default=None,
        description="Expected sha256 of the checkpoint; a mismatch stops the run before processing.",
    )
    model_config_name: str = Field(
        default="configs/sam2.1/sam2.1_hiera_t.yaml",
        description="SAM2 model config inside the sam2 package; must match the checkpoint's size (t/s/b+/l).",
    )
    device: str = Field(
        default="auto",
        description="'auto' (CUDA if present, else CPU; decided at planning), 'cpu', 'cuda' or 'cuda:N'.",
    )
    layers: tuple[Sam2Layer, ...] = Field(
        default=("person", "garment_upper", "garment_lower", "garment_dress", "face", "hair", "hands", "feet",
                 "arms", "legs"),
        description="Evidence layers to prompt for; each costs one prompt (two for the per-side layers).",
    )  # fmt: skip
    min_pred_iou: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Multimask candidates with a lower SAM2 predicted IoU are not chosen.",
    )
    min_prior_agreement: float = Field(
        default=0.25,
        ge=0,
        le=1,
        description=(
            "Multimask candidates whose IoU with the pose-drawn prior region is lower are not chosen; when "
            "none passes, the layer is left out and its reason recorded (docs/sam2.md)."
        ),
    )
    prior_weight: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Among passing candidates, rank by (1 - w) * predicted IoU + w * prior agreement.",
    )


class AnnotationSegmentConfig(SegmentCommon):
    """Evidence layers read from a dataset's own parse maps (docs/annotations.md), no model."""

    backend: Literal["annotations"] = "annotations"
    scheme: Literal["lip", "cihp", "atr", "dresscode"] = Field(
        default="lip",
        description=(
            "Label table of the parse maps: 'lip' (VITON-HD image-parse / image-parse-v3, id 10 = neck), "
            "'cihp' (LIP/CIHP as published, id 10 = jumpsuits), 'atr' (18 ATR classes) or 'dresscode' "
            "(DressCode label_maps). Tables: vtondata.geometry.parsing.LABEL_SCHEMES."
        ),
    )


class HairParams(RecipeModel):
    """Hair colour models around the head (vtondata.geometry.evidence.hair); lengths / s, the body scale."""

    below_shoulders_rel: float = Field(
        default=1.2,
        ge=0,
        description="Hair may reach this far below the shoulder line (long hair over the chest).",
    )
    half_width_rel: float = Field(
        default=1.0, gt=0, description="Hair may lie this far either side of the head's axis."
    )
    chest_top_rel: float = Field(
        default=0.45,
        ge=0,
        description="The chest's centre, from this far below the shoulder line down, is a not-hair seed "
        "(the garment), so dark garments never pass for dark hair.",
    )
    chest_half_width_rel: float = Field(default=0.3, ge=0, description="Half width of that chest seed.")
    seed_gap_rel: float = Field(
        default=0.04, ge=0, description="Definite hair seeds start this far above the face's top edge."
    )
    seed_half_width_rel: float = Field(
        default=0.35, ge=0, description="Definite hair seeds lie within this of the head's axis."
    )
    prior_below_shoulders: float = Field(
        default=0.3,
        gt=0,
        lt=1,
        description="Prior probability of hair below the shoulder line (0.5 above it): ties go to the "
        "garment.",
    )
    texture_weight: float = Field(
        default=0.6,
        ge=0,
        description="Weight of the texture evidence (oriented strands against smooth skin and isotropic "
        "lace, knit or prints) next to the colour's; 0 judges by colour alone.",
    )
    work_scale_px: float = Field(
        default=40.0,
        gt=0,
        description="The colour models run on a grid where s spans this many cells (cost stays flat).",
    )


class WaistParams(RecipeModel):
    """Where the upper garment ends, from colour models of the two garments
    (vtondata.geometry.evidence.waist); lengths / s, the body scale. Feeds the parse map only."""

    enabled: bool = Field(
        default=True, description="Split the parse map's garments by colour; false: at the hip line."
    )
    chest_top_rel: float = Field(
        default=0.3, ge=0, description="Upper-garment seeds start this far below the shoulder line..."
    )
    chest_bottom_share: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="...and end this share of the way down to the hip line (above any high waist).",
    )
    chest_half_width_rel: float = Field(
        default=0.3, ge=0, description="Half width of the upper-garment seeds about the body's axis."
    )
    lower_seed_top_rel: float = Field(
        default=0.15, ge=0, description="Lower-garment seeds start this far below the hip line..."
    )
    lower_seed_bottom_rel: float = Field(default=0.6, gt=0, description="...and end this far below it.")
    lower_seed_half_width_rel: float = Field(
        default=0.35, ge=0, description="Half width of the lower-garment seeds about the body's axis."
    )
    prior_per_s: float = Field(
        default=3.0,
        ge=0,
        description="Log-odds for the hip line's side per s of distance from it: colour must outweigh "
        "this to move the cut.",
    )
    work_scale_px: float = Field(
        default=40.0,
        gt=0,
        description="The colour models run on a grid where s spans this many cells (cost stays flat).",
    )


class SkinParams(RecipeModel):
    """The person's own skin colour model (vtondata.geometry.evidence.skin)."""

    chroma_quantile: Literal[0.9, 0.95, 0.99, 0.999] = Field(  # pyright: ignore[reportInvalidTypeForm]  # pydantic takes float literals
        default=0.99,
        description="A pixel is skin when its chroma lies inside this quantile of the seeds' Gaussian.",
    )
    max_darker_sigma: float = Field(
        default=4.0,
        gt=0,
        description="Skin may be this many robust standard deviations darker than the seeds "
        "(shadowed limbs).",
    )


class LandmarkSegmentConfig(SegmentCommon):
    """Evidence layers from the pose stage's landmarks (backend ``holistic``), no model of its own.

    Face from the face mesh (else the silhouette above the chin), hands from
    hand landmarks, feet from the heel and toe landmarks, skin from a colour
    model of the face, hair from colour and texture models around the head,
    and, for the parse map, the waist from colour models of the two garments
    (docs/masks.md).
    """

    backend: Literal["landmarks"] = "landmarks"
    min_visibility: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Pose landmarks (mouth, heels, toes) seen at least this well are used.",
    )
    min_keypoint_confidence: float = Field(
        default=0.2,
        ge=0,
        le=1,
        description="Joints above this confidence place the body frame (as the mask does).",
    )
    hands_margin_rel: float = Field(
        default=0.15,
        ge=0,
        description="Each hand's landmark hull grows by this share of its wrist-to-knuckle length.",
    )
    hands_wrist_half_width_rel: float = Field(
        default=0.3,
        ge=0,
        description="The hull also spans the wrist's width where that is skin: points this share of the "
        "palm's width (index to little finger knuckle) either side of the wrist landmark, across the hand. "
        "No landmark marks the wrist's sides, and without them the hull narrows to the wrist landmark, "
        "leaving the heel of the hand out; what they add joins only where the skin layer holds it (a cuff "
        "beside the wrist stays garment); 0: the landmarks alone.",
    )
    hands_skin_reach_rel: float | None = Field(
        default=0.1,
        gt=0,
        description="The grown hull keeps only pixels within this share of the hand's wrist-to-knuckle "
        "length of skin, or that the graph cut (hands_graph_cut) calls hand, holes filled (cloth around "
        "the fingers and in pockets is garment); null: the whole grown hull.",
    )
    hands_graph_cut: bool = Field(
        default=True,
        description="Also keep the pixels of the grown hull that OpenCV's GrabCut labels hand, seeded with "
        "the hand's bones on skin as hand and what lies outside the grown hull as not hand: it follows "
        "the colour edge between the hand and the cloth it touches, where the skin model misses shaded "
        "fingers and a reach alone keeps a ring of cloth. About 2 ms per hand, on a grid where the "
        "hand's wrist-to-knuckle length spans 24 cells. Used with hands_skin_reach_rel (0.2 without it).",
    )
    feet_margin_rel: float = Field(
        default=0.07, ge=0, description="Each foot's landmark hull grows by this / s."
    )
    feet_reach_rel: float = Field(
        default=0.15,
        ge=0,
        description="Silhouette pixels within this / s of a foot's landmark hull, below its ankle, are "
        "its shoe (0: the hull alone).",
    )
    feet_ankle_drop: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description="The foot starts this share of the way from the ankle joint to the sole, so hems "
        "stay masked.",
    )
    hair: HairParams = Field(default_factory=HairParams)
    skin: SkinParams = Field(default_factory=SkinParams)
    waist: WaistParams = Field(default_factory=WaistParams)


SegmentConfig = Annotated[
    MediaPipeSegmentConfig | Sam2SegmentConfig | AnnotationSegmentConfig | LandmarkSegmentConfig,
    Field(discriminator="backend"),
]
