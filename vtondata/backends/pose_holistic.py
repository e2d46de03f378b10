"""MediaPipe Holistic: pose, silhouette, face mesh and both hands from one pass, offline.

The ``mediapipe==0.10.14`` wheel ships every model Holistic runs (pose
detector and full landmark model, face landmarks with attention, hand
landmarks and the hand re-crop model), so nothing is downloaded. One call
gives what the offline recipe used to run the pose model twice for, plus the
landmarks the evidence layers are drawn from (``landmarks_px``: ``pose33``,
``face``, ``left_hand``, ``right_hand``, each ``(N, 3)`` rows ``(x_px, y_px,
visibility)``; hands and face carry visibility 1). Holistic finds at most one
person, like MediaPipe Pose. A photo whose top edge cuts the face and that
gave no face mesh runs again, below a band of its backdrop, for the mesh
alone (:func:`with_head_room`).
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Sequence
from typing import Any

import numpy as np

from vtondata.backends.base import ImageSource, PoseResult, check_requires
from vtondata.backends.pose_mediapipe import (
    bundled_model,
    landmark_points,
    mediapipe_modules_dir,
    pose_model_files,
    pose_result,
    process_quietly,
)
from vtondata.backends.weights import ResolvedWeights
from vtondata.config.pose import HolisticPoseConfig
from vtondata.errors import BackendUnavailable

requires = ("mediapipe==0.10.14",)

MODEL_COMPLEXITY = 1
"""The full pose landmark model: the only one inside the wheel."""
HEAD_ROOM_SHARES = (0.3, 0.5)
"""A photo whose silhouette reaches its top edge and that gave no face mesh runs again, for the
mesh, with each of these shares of its height of backdrop above it in turn, until one gives a mesh
(:func:`with_head_room`). Whether the face detector finds a cut, tilted face flips with the band's
height: on the sample photos framed at the nose (at 768x1024 and at 192x256) every band from 0.3
to 0.5 found each mesh on one framing or another, but no single band on all of them; 0.3 and 0.5
did together."""

_FACE_MODELS = {
    True: "face_landmark/face_landmark_with_attention.tflite",
    False: "face_landmark/face_landmark.tflite",
}
_HAND_LANDMARK_MODELS = {
    "lite": "hand_landmark/hand_landmark_lite.tflite",
    "full": "hand_landmark/hand_landmark_full.tflite",
}
"""Hand landmark models in the order of the choices of Holistic's switch (0 lite, 1 full), which
:func:`with_hand_model` selects by position."""
_HAND_RECROP_MODEL = "holistic_landmark/hand_recrop.tflite"
_HAND_MODEL_SWITCH = "handlandmarkmodelloader__switchcontainer__Switch"
"""Infix of the four nodes (a demux and a mux per hand) that choose the hand landmark model."""
_GRAPH = "holistic_landmark/holistic_landmark_cpu.binarypb"
_MIN_DETECTION_SCORE = "poselandmarkcpu__posedetectioncpu__TensorsToDetectionsCalculator.min_score_thresh"
_MIN_TRACKING_SCORE = (
    "poselandmarkcpu__poselandmarkbyroicpu__tensorstoposelandmarksandsegmentation__"
    "ThresholdingCalculator.threshold"
)
_LANDMARK_SETS = {
    "face": "face_landmarks",
    "left_hand": "left_hand_landmarks",
    "right_hand": "right_hand_landmarks",
}
_OUTPUTS = ("pose_landmarks", *_LANDMARK_SETS.values(), "segmentation_mask")
_HAND_NODE = "handlandmarksleftandrightcpu__"
"""Prefix of the expanded graph's nodes that find both hands."""


class HolisticPoseBackend:
    """MediaPipe Holistic in static-image mode with segmentation on; with ``hand_landmarks`` false,
    its graph without the hand nodes (``without_hands``): the same pose, silhouette and face mesh,
    and about a third less work, since the two hand models are a third of the pass."""

    name = "holistic"

    def __init__(self, config: HolisticPoseConfig, models: dict[str, ResolvedWeights]) -> None:
        check_requires(self.name, requires)
        self.config = config
        landmark = models.get("landmark_model")
        self.weights_sha256: str | None = landmark.sha256 if landmark else None
        self.version = importlib.metadata.version("mediapipe")
        self._solution: Any = None
        self._face_solution: Any = None

    def load(self) -> None:
        if self._solution is None:
            graph, outputs = untracked_holistic_graph(), _OUTPUTS
            if self.config.hand_model != "full":
                graph = with_hand_model(graph, self.config.hand_model)
            if not self.config.hand_landmarks:
                graph = without_hands(graph)
                outputs = tuple(name for name in outputs if not name.endswith("_hand_landmarks"))
            self._solution = self._open(graph, segmentation=True, outputs=outputs)

    def close(self) -> None:
        for solution in (self._solution, self._face_solution):
            if solution is not None:
                solution.close()
        self._solution = self._face_solution = None

    def _open(self, graph: Any, *, segmentation: bool, outputs: Sequence[str]) -> Any:
        """A MediaPipe solution on ``graph`` with Holistic's own side inputs and thresholds in
        static-image mode."""
        from mediapipe.python.solution_base import SolutionBase

        return SolutionBase(
            graph_config=graph,
            side_inputs={
                "model_complexity": MODEL_COMPLEXITY,
                "smooth_landmarks": False,
                "enable_segmentation": segmentation,
                "smooth_segmentation": False,
                "refine_face_landmarks": self.config.refine_face_landmarks,
                "use_prev_landmarks": False,
            },
            calculator_params={
                _MIN_DETECTION_SCORE: self.config.min_detection_confidence,
                _MIN_TRACKING_SCORE: 0.5,
            },
            outputs=list(outputs),
        )

    def predict(
        self, images_rgb: list[np.ndarray], *, sources: Sequence[ImageSource] = ()
    ) -> list[PoseResult]:
        """``sources`` is not read: the model sees pixels only."""
        self.load()
        return [self._predict_one(image) for image in images_rgb]

    def _predict_one(self, image_rgb: np.ndarray) -> PoseResult:
        output = process_quietly(self._solution, image_rgb)
        result = _result(output, image_rgb.shape[:2])
        # The silhouette reaching the top row: a head cut by the frame.
        cut_at_top = result.silhouette is not None and bool(result.silhouette[0].any())
        if cut_at_top and "face" not in result.landmarks_px:
            if self._face_solution is None:  # opened on the first photo that needs it
                graph = without_hands(untracked_holistic_graph())
                self._face_solution = self._open(graph, segmentation=False, outputs=("face_landmarks",))
            for share in HEAD_ROOM_SHARES:
                head_room = round(share * image_rgb.shape[0])
                again = process_quietly(self._face_solution, with_head_room(image_rgb, head_room))
                if again.face_landmarks is not None:
                    result.landmarks_px["face"] = _points(
                        again.face_landmarks, image_rgb.shape[:2], head_room=head_room, with_visibility=False
                    )
                    break
        return result

    def __getstate__(self) -> dict[str, Any]:
        # MediaPipe graphs do not pickle; a copy reopens its own on first use.
        state = self.__dict__.copy()
        state["_solution"] = None
        state["_face_solution"] = None
        return state


def _result(output: Any, shape_hw: tuple[int, int]) -> PoseResult:
    """The photo's :class:`PoseResult` from Holistic's output on it."""
    if output.pose_landmarks is None:
        return PoseResult.empty()
    pose33 = _points(output.pose_landmarks, shape_hw)
    landmarks = {"pose33": pose33}
    for name, attribute in _LANDMARK_SETS.items():
        found = getattr(output, attribute, None)  # a graph without hands has no hand outputs
        if found is not None:
            landmarks[name] = _points(found, shape_hw, with_visibility=False)
    return pose_result(pose33, output.segmentation_mask, (shape_hw[1], shape_hw[0]), landmarks)


def _points(
    found: Any, shape_hw: tuple[int, int], *, head_room: int = 0, with_visibility: bool = True
) -> np.ndarray:
    """Landmarks in the photo's pixels, from a pass on the photo with ``head_room`` rows above it."""
    height, width = shape_hw
    px = landmark_points(found, width, height + head_room, with_visibility=with_visibility)
    px[:, 1] -= head_room
    return px


def with_head_room(image_rgb: np.ndarray, rows: int) -> np.ndarray:
    """``image_rgb`` below ``rows`` rows of its backdrop (the median colour of the top row's two ends).

    Holistic's models learnt people with their heads in the picture. A photo
    framed at the nose puts the cut face against the frame, where the pose
    model places the face too high and the face detector finds none. With a
    band of backdrop above it, as a letterbox bar gives, both find the face,
    and the face mesh places the chin and jaw. Only the face mesh is taken
    from that pass: keypoints, silhouette and hands stay those of the photo as
    it is, since the band also moves joints the frame cuts off (the knees of a
    photo that ends at the thighs), which decide whether a mask is drawn.
    """
    width = image_rgb.shape[1]
    ends = max(1, width // 16)
    top = np.concatenate([image_rgb[0, :ends], image_rgb[0, -ends:]])
    band = np.full((rows, width, 3), np.median(top, axis=0), dtype=np.uint8)
    return np.concatenate([band, image_rgb])


def untracked_holistic_graph() -> Any:
    """The wheel's Holistic graph, expanded, with its three ROI trackers unable to keep a crop.

    Even in static-image mode Holistic follows the face and each hand from one
    call to the next: when a photo's re-crop rect lies close to the previous
    photo's landmarks, the landmark models run on the previous photo's rect.
    Catalogue shots frame people alike, so landmarks would depend on which
    photo came before (by up to 0.04 of the frame on the shared photos) and a
    resumed or re-chunked build would differ. A rotation tolerance below zero
    fails every comparison, so each photo's face and hands come from its own
    re-crop, exactly as after a reset, at no cost (a blank frame between
    photos also resets them, for 13-20 ms of CPU a photo).
    """
    # protoc builds these message classes at import; pyright sees no such names.
    from mediapipe.framework.calculator_pb2 import (
        CalculatorGraphConfig,  # pyright: ignore[reportAttributeAccessIssue]
    )
    from mediapipe.modules.holistic_landmark.calculators.roi_tracking_calculator_pb2 import (
        RoiTrackingCalculatorOptions,  # pyright: ignore[reportAttributeAccessIssue]
    )
    from mediapipe.python._framework_bindings.validated_graph_config import ValidatedGraphConfig

    validated = ValidatedGraphConfig()
    validated.initialize(binary_graph_path=str(mediapipe_modules_dir() / _GRAPH))
    graph = CalculatorGraphConfig.FromString(validated.binary_config)
    trackers = [node for node in graph.node if node.calculator == "RoiTrackingCalculator"]
    if len(trackers) != 3:  # the face and two hands; another count means another graph
        raise BackendUnavailable(f"MediaPipe Holistic's graph has {len(trackers)} ROI trackers, expected 3")
    for node in trackers:
        node.options.Extensions[RoiTrackingCalculatorOptions.ext].rect_requirements.rotation_degrees = -1.0
    return graph


def without_hands(graph: Any) -> Any:
    """``graph`` (Holistic's, expanded) without its hand nodes and outputs, for a pass that wants the
    face mesh alone. The face mesh does not read the hands: run without them and without the
    silhouette, a pass gives the same mesh, bit for bit, for 34 instead of 61 ms of CPU (the six
    sample photos framed at the nose, with head room)."""
    kept = [node for node in graph.node if not node.name.startswith(_HAND_NODE)]
    if len(kept) == len(graph.node):
        raise BackendUnavailable(f"MediaPipe Holistic's graph has no nodes named {_HAND_NODE}*")
    del graph.node[:]
    graph.node.extend(kept)
    outputs = [stream for stream in graph.output_stream if "HAND_LANDMARKS:" not in stream]
    del graph.output_stream[:]
    graph.output_stream.extend(outputs)
    return graph


def with_hand_model(graph: Any, model: str) -> Any:
    """``graph`` (Holistic's, expanded) running the wheel's ``model`` (``"lite"`` or ``"full"``)
    hand landmark model for both hands.

    Holistic's graph carries both models behind a switch that its own build
    sets to the full one; this sets the switch. The hand re-crop model, which
    places each hand's box, is the same either way.
    """
    from mediapipe.framework.tool.switch_container_pb2 import (
        SwitchContainerOptions,  # pyright: ignore[reportAttributeAccessIssue]
    )

    switches = [node for node in graph.node if _HAND_MODEL_SWITCH in node.name]
    if len(switches) != 4:  # a demux and a mux per hand; another count means another graph
        raise BackendUnavailable(
            f"MediaPipe Holistic's graph has {len(switches)} hand model switches, expected 4"
        )
    for node in switches:
        node.options.Extensions[SwitchContainerOptions.ext].select = list(_HAND_LANDMARK_MODELS).index(model)
    return graph


def holistic_model_files(config: HolisticPoseConfig) -> dict[str, ResolvedWeights]:
    """Every model file Holistic runs, inside the installed wheel, hashed without loading."""
    files = dict(pose_model_files(MODEL_COMPLEXITY))
    roles = {"face_model": _FACE_MODELS[config.refine_face_landmarks]}
    if config.hand_landmarks:
        roles |= {
            "hand_model": _HAND_LANDMARK_MODELS[config.hand_model],
            "hand_recrop_model": _HAND_RECROP_MODEL,
        }
    for role, relative in roles.items():
        found = bundled_model(relative)
        if found is not None:
            files[role] = found
    return files
