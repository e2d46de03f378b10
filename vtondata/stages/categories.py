"""CategoriesStage: every category's mask, verdict and members from one run of the models.

An all-category build (``--category all``) runs ingest, cloth, pose and
segment once per photo, which do not depend on the category, then this
stage. It runs the category's own stages (mask, quality, encode) once per
category, each on a copy of the sample whose ``category`` is that one, so a
category's mask and members are byte for byte what a build for that
category alone writes. The copies are then joined into the one sample:

- ``verdicts``: each category's rejection, ``None`` when accepted;
- ``files``: the shared members once (``person.jpg``, ``pose.json``, ...),
  each accepted category's own under its name (``agnostic_mask_lower.png``,
  :func:`vtondata.output.format.category_member`), the union of the upper
  and lower masks when both were accepted, and one ``meta.json`` holding
  every category's verdict, parameters and statistics;
- ``stats``: each category's statistics as ``"<category>:<stage>.<name>"``.

Rejected categories' masks are not written. The sample is accepted when at
least one category is; otherwise it takes the categories' reason when they
share one (a photo without the joints of any category: ``mask.missing_joints``)
and ``categories.none_accepted`` when they differ.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, ClassVar

import numpy as np

from vtondata.config.output import OutputConfig
from vtondata.geometry.agnostic import masked_person
from vtondata.output.format import (
    PER_CATEGORY_MEMBERS,
    UNION_NAME,
    category_member,
    encode_member,
)
from vtondata.runners.base import run_stage_batch
from vtondata.sample import UNION_CATEGORIES, Category, Rejection, Sample
from vtondata.stages.base import Resources, Stage
from vtondata.stages.encode import meta_document


class CategoriesStage(Stage):
    """Runs ``stages`` once per category on copies of each sample and joins what they made."""

    name: ClassVar[str] = "categories"

    def __init__(self, stages: Sequence[Stage], output: OutputConfig) -> None:
        self.stages = list(stages)
        self.output = output
        inner = [stage.resources for stage in self.stages]
        self.resources = Resources(
            num_cpus=max(resources.num_cpus for resources in inner),
            num_gpus=max(resources.num_gpus for resources in inner),
            batch_size=min(resources.batch_size for resources in inner),
            stateful=any(resources.stateful for resources in inner),
        )

    def setup(self) -> None:
        for stage in self.stages:
            stage.setup()

    def teardown(self) -> None:
        for stage in self.stages:
            stage.teardown()

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        pending = [sample for sample in samples if sample.accepted]
        outcomes = {category: self._run(category, pending) for category in Category}
        for position, sample in enumerate(pending):
            self._join(sample, {category: copies[position] for category, copies in outcomes.items()})
        for sample in samples:
            if not sample.verdicts:
                sample.verdicts = dict.fromkeys(Category, sample.rejection)
        return samples

    def _run(self, category: Category, samples: list[Sample]) -> list[Sample]:
        """The category's stages on fresh copies of ``samples``; a failure rejects one copy only."""
        copies = [for_category(sample, category) for sample in samples]
        for stage in self.stages:
            copies = run_stage_batch(stage, copies)
        return copies

    def _join(self, sample: Sample, copies: dict[Category, Sample]) -> None:
        sample.verdicts = {category: copy.rejection for category, copy in copies.items()}
        accepted = [category for category, copy in copies.items() if copy.rejection is None]
        own = {category: _added(sample, copy) for category, copy in copies.items()}
        for category, (_, stats) in own.items():
            sample.stats.update({f"{category}:{name}": value for name, value in stats.items()})
        if not accepted:
            rejection = _overall_rejection(sample.verdicts)
            sample.reject(rejection.code, rejection.message)
            return
        first = copies[accepted[0]]
        files = {name: data for name, data in first.files.items() if name not in PER_CATEGORY_MEMBERS}
        for category in accepted:
            for name in PER_CATEGORY_MEMBERS:
                if name in copies[category].files:
                    files[category_member(name, category)] = copies[category].files[name]
        if all(category in accepted for category in UNION_CATEGORIES):
            files.update(self._union(sample, [copies[category] for category in UNION_CATEGORIES]))
        files["meta.json"] = encode_member("meta.json", self._meta(sample, copies, own))
        sample.files = files

    def _union(self, sample: Sample, copies: list[Sample]) -> dict[str, bytes]:
        """The joined mask of ``copies`` and the person masked by it, under the union's names."""
        masks = [copy.agnostic_mask for copy in copies if copy.agnostic_mask is not None]
        union = np.logical_or.reduce(masks)
        agnostic = masked_person(sample.image_rgb(), union, self.output.agnostic_grey_rgb)
        return {
            category_member("agnostic_mask.png", UNION_NAME): encode_member("agnostic_mask.png", union),
            category_member("agnostic.jpg", UNION_NAME): encode_member("agnostic.jpg", agnostic),
        }

    def _meta(
        self,
        sample: Sample,
        copies: dict[Category, Sample],
        own: dict[Category, tuple[dict[str, Any], dict[str, float]]],
    ) -> dict[str, Any]:
        """``meta.json``: the shared record, then each category's verdict, provenance and statistics."""
        assert sample.image_size is not None
        width_px, height_px = sample.image_size
        document = meta_document(sample, width_px, height_px)
        document["stats"] = {name: value for name, value in sample.stats.items() if ":" not in name}
        document["categories"] = {
            str(category): {
                "accepted": copy.rejection is None,
                "reason_code": copy.rejection.code if copy.rejection is not None else None,
                "reason_message": copy.rejection.message if copy.rejection is not None else None,
                "stages": own[category][0],
                "stats": own[category][1],
            }
            for category, copy in copies.items()
        }
        return document


def for_category(sample: Sample, category: Category) -> Sample:
    """A copy of ``sample`` for ``category``'s stages: its own statistics, provenance and members;
    image, keypoints and evidence layers shared (those stages only read them)."""
    return replace(
        sample,
        category=category,
        stats=dict(sample.stats),
        meta=dict(sample.meta),
        files={},
        timings_s={},
        verdicts={},
    )


def _added(sample: Sample, copy: Sample) -> tuple[dict[str, Any], dict[str, float]]:
    """The provenance and statistics the category's stages added to ``copy``."""
    stages = {name: value for name, value in copy.meta.items() if name not in sample.meta}
    stats = {name: value for name, value in copy.stats.items() if name not in sample.stats}
    return stages, stats


def _overall_rejection(verdicts: dict[Category, Rejection | None]) -> Rejection:
    """Why a photo accepted for no category is rejected: the categories' common reason, else
    ``categories.none_accepted`` naming each."""
    rejections = [rejection for rejection in verdicts.values() if rejection is not None]
    codes = {rejection.code for rejection in rejections}
    listed = "; ".join(
        f"{category}: {rejection.message}"
        for category, rejection in verdicts.items()
        if rejection is not None
    )
    if len(codes) == 1:
        return Rejection(codes.pop(), listed)
    return Rejection("categories.none_accepted", f"accepted for no category ({listed})")
