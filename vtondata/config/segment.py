"""Recipe section ``segment``: evidence layers (person silhouette, garments, body parts)."""

from typing import Annotated, Literal

from pydantic import Field

from vtondata.config.base import RecipeModel


class SegmentCommon(RecipeModel):
    batch_size: int = Field(4, ge=1, description="Images per backend call and per Ray batch.")


class MediaPipeSegmentConfig(SegmentCommon):
    backend: Literal["mediapipe"] = "mediapipe"
    model: Literal["pose", "selfie"] = Field(
        "pose",
        description=(
            "Which MediaPipe model draws the person silhouette: 'pose' (the full pose model's segmentation "
            "head; IoU 0.975 mean, 0.964 worst against the VITON-HD sample's parse maps) or 'selfie' "
            "(selfie segmentation; 0.965 mean, 0.945 worst, with holes between arm and torso). "
            "See docs/pose.md."
        ),
    )
    model_selection: Literal[0, 1] = Field(
        0, description="Selfie segmentation model (model: selfie only): 0 = general, 1 = landscape."
    )
    threshold: float = Field(0.5, gt=0, lt=1, description="Person probability above which a pixel is person.")


class Sam2SegmentConfig(SegmentCommon):
    backend: Literal["sam2"] = "sam2"
    checkpoint: str = Field(
        "sam2.1_hiera_tiny.pt", description="SAM2 checkpoint file, found by the weights resolver."
    )
    model_config_name: str = Field(
        "configs/sam2.1/sam2.1_hiera_t.yaml", description="SAM2 model config inside the sam2 package."
    )
    device: str = Field("auto", description="'auto' (CUDA if present, else CPU), 'cpu' or 'cuda:N'.")


SegmentConfig = Annotated[MediaPipeSegmentConfig | Sam2SegmentConfig, Field(discriminator="backend")]
