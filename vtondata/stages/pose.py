"""Pose stage: one backend call per batch, the dominant person's canonical keypoints per sample.

Writes ``sample.keypoints_px`` (canonical ``(19, 3)``, pixels of the stored
image), the backend's silhouette as ``layers["person"]`` when it makes one
(inside the photo: a silhouette runs on into letterbox bars where the frame
cuts the person),
its extra landmark sets (face mesh, hands) as ``landmarks_px``,
``meta["pose"]`` (backend, version, weights sha256) and the statistics
``pose.num_people``, ``pose.person_score``, ``pose.secondary_area_ratio``,
``pose.conf_mean`` (mean over the 17 COCO joints) and ``pose.conf_min_torso``
(lowest of shoulders and hips). Rejects ``pose.no_person``,
``pose.multiple_people`` and ``pose.no_annotation`` (an annotation backend
found no file for the image); statistics are written for rejected samples too,
so the report can show why. The backend also gets each sample's
:class:`~vtondata.backends.base.ImageSource` (original path and ingest
placement), which annotation backends read.
"""

from __future__ import annotations

from typing import ClassVar

from vtondata.backends.base import PoseBackend, PoseResult, photo_box, provenance, sample_sources
from vtondata.config.pose import PoseConfig
from vtondata.geometry.keypoints import J, canonical_from_coco17
from vtondata.geometry.people import PersonChoice, select_dominant_person
from vtondata.geometry.regions import inside_box
from vtondata.sample import Sample
from vtondata.stages.base import ModelStage

TORSO_JOINTS = ("left_shoulder", "right_shoulder", "left_hip", "right_hip")


class PoseStage(ModelStage[PoseResult]):
    name: ClassVar[str] = "pose"
    config: PoseConfig
    backend: PoseBackend

    def predict(self, samples: list[Sample]) -> list[PoseResult]:
        return self.backend.predict([s.image_rgb() for s in samples], sources=sample_sources(samples))

    def apply(self, sample: Sample, result: PoseResult) -> None:
        sample.meta["pose"] = provenance(self.backend)
        if result.no_annotation is not None:
            sample.reject("pose.no_annotation", result.no_annotation)
            return
        choice = select_dominant_person(
            result.boxes_xyxy,
            result.scores,
            self.config.min_person_score,
            self.config.max_secondary_person_ratio,
        )
        sample.stats["pose.num_people"] = float(choice.num_confident)
        if choice.verdict == "no_person":
            sample.reject(
                "pose.no_person",
                f"no person scored >= {self.config.min_person_score:.2f} "
                f"({result.num_people} detections, best score {choice.best_score:.2f})",
            )
            return
        assert choice.index is not None
        sample.stats["pose.person_score"] = float(result.scores[choice.index])
        sample.stats["pose.secondary_area_ratio"] = choice.secondary_area_ratio
        if choice.verdict == "ambiguous":
            sample.reject(
                "pose.multiple_people", _ambiguous_message(choice, self.config.max_secondary_person_ratio)
            )
            return
        keypoints = canonical_from_coco17(result.keypoints_px[choice.index])
        sample.keypoints_px = keypoints
        sample.stats["pose.conf_mean"] = float(keypoints[:17, 2].mean())
        sample.stats["pose.conf_min_torso"] = float(min(keypoints[J[name], 2] for name in TORSO_JOINTS))
        if result.silhouette is not None:
            sample.layers["person"] = inside_box(result.silhouette, photo_box(sample))
        sample.landmarks_px = dict(result.landmarks_px)


def _ambiguous_message(choice: PersonChoice, max_ratio: float) -> str:
    return (
        f"{choice.num_confident} people: the second-largest person's box is "
        f"{choice.secondary_area_ratio:.2f} of the dominant person's area (background people must be "
        f"below {max_ratio:.2f})"
    )
