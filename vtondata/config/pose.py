"""Recipe section ``pose``: one model per backend, joined as a discriminated union on ``backend``."""

from typing import Annotated, Literal

from pydantic import Field

from vtondata.config.base import RecipeModel


class PoseCommon(RecipeModel):
    """Options of the pose stage itself, the same whatever backend runs."""

    min_person_score: float = Field(
        default=0.25, ge=0, le=1, description="Detections scoring below this are ignored (not people)."
    )
    max_secondary_person_ratio: float = Field(
        default=0.35,
        ge=0,
        le=1,
        description=(
            "A second person whose box area is at least this share of the dominant person's makes "
            "the photo ambiguous (pose.multiple_people); smaller ones are background and ignored."
        ),
    )
    batch_size: int = Field(default=4, ge=1, description="Images per backend call and per Ray batch.")


class YoloPoseConfig(PoseCommon):
    backend: Literal["yolo"] = "yolo"
    weights: str = Field(
        default="yolo11n-pose.pt",
        description="Checkpoint file name or path, found by the weights resolver (docs/weights.md).",
    )
    weights_sha256: str | None = Field(
        default=None,
        description="Expected sha256 of the checkpoint; a mismatch stops the run before processing.",
    )
    image_size_px: int = Field(
        default=640, ge=32, description="Inference size (long side) passed to Ultralytics."
    )
    device: str = Field(
        default="auto",
        description="'auto' (CUDA if present, else CPU; decided at planning), 'cpu', 'cuda' or 'cuda:N'.",
    )


class MediaPipePoseConfig(PoseCommon):
    backend: Literal["mediapipe"] = "mediapipe"
    model_complexity: Literal[0, 1] = Field(
        default=1,
        description=(
            "1 = full (ships inside the mediapipe wheel); 0 = lite (not in the wheel: MediaPipe "
            "downloads it, so it fails the weights check when downloads are off)."
        ),
    )
    min_detection_confidence: float = Field(
        default=0.5, ge=0, le=1, description="MediaPipe detector threshold."
    )


class HolisticPoseConfig(PoseCommon):
    """MediaPipe Holistic: pose, silhouette, face mesh and both hands in one pass (offline)."""

    backend: Literal["holistic"] = "holistic"
    refine_face_landmarks: bool = Field(
        default=True,
        description="Use the face landmark model with attention (478 points, sharper lips and eyes).",
    )
    hand_landmarks: bool = Field(
        default=True,
        description=(
            "Run Holistic's two hand models (21 landmarks per hand; about a third of its CPU time). "
            "false: no hand landmarks, and the mask protects pose-drawn boxes at the wrists instead."
        ),
    )
    hand_model: Literal["full", "lite"] = Field(
        default="full",
        description=(
            "Which of the wheel's hand landmark models Holistic runs: 'full', or 'lite' (less CPU, "
            "landmarks a few percent of the hand's size apart from the full model's)."
        ),
    )
    min_detection_confidence: float = Field(
        default=0.5, ge=0, le=1, description="MediaPipe detector threshold."
    )


class OpenposePoseConfig(PoseCommon):
    """OpenPose body model (COCO-18) through controlnet-aux, from a local ``body_pose_model.pth``."""

    backend: Literal["openpose"] = "openpose"
    weights: str = Field(
        default="body_pose_model.pth",
        description="OpenPose body checkpoint (lllyasviel/Annotators), found by the weights resolver.",
    )
    weights_sha256: str | None = Field(
        default=None,
        description="Expected sha256 of the checkpoint; a mismatch stops the run before processing.",
    )
    detect_resolution_px: int = Field(
        default=512,
        ge=64,
        description="The image's short side is resized to this before the body model runs.",
    )
    device: str = Field(
        default="auto",
        description="'auto' (CUDA if present, else CPU; decided at planning), 'cpu', 'cuda' or 'cuda:N'.",
    )


class AnnotationPoseConfig(PoseCommon):
    """Keypoints read from a dataset's own files (docs/annotations.md), no model."""

    backend: Literal["annotations"] = "annotations"
    format: Literal["openpose_json", "dresscode"] = Field(
        default="openpose_json",
        description=(
            "'openpose_json': VITON-HD <stem>_keypoints.json (OpenPose BODY_25 or COCO-18, pixels of the "
            "original image); 'dresscode': DressCode keypoints/<id>_2.json (COCO-18 rows x, y, score, id "
            "at half resolution, scaled x2)."
        ),
    )
    min_confidence: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Annotated joints at or below this confidence are read as undetected (confidence 0).",
    )


PoseConfig = Annotated[
    YoloPoseConfig | MediaPipePoseConfig | HolisticPoseConfig | OpenposePoseConfig | AnnotationPoseConfig,
    Field(discriminator="backend"),
]
