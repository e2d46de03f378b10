"""The Python API that the CLI and notebooks call: ``build`` a dataset, ``open`` one.

``build`` reads top to bottom like the data flow: load the recipe, scan the
inputs, check weights before any image is touched, plan chunks (resuming
finished ones), run the stages with the chosen runner, write the manifest.
"""

from __future__ import annotations

import contextlib
import hashlib
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from vtondata import __version__
from vtondata.backends import build_pose_backend, build_segment_backend, resolve_backend_weights
from vtondata.build_log import capture_build_log
from vtondata.config import Recipe, load_recipe, recipe_sha256
from vtondata.config.segment import Sam2SegmentConfig
from vtondata.errors import InputError, RecipeError
from vtondata.ingest.chunks import Chunk, plan_chunks
from vtondata.ingest.scan import InputItem, Listing, inputs_sha256, inspect_inputs, list_inputs
from vtondata.output import layout
from vtondata.output.destination import Destination, destination_for
from vtondata.output.layout import REPORT_HTML_NAME
from vtondata.output.manifest import build_manifest
from vtondata.output.shards import ChunkRecord
from vtondata.runners.base import Runner, run_stages
from vtondata.runners.choice import RunnerChoice, choose_runner
from vtondata.runners.resume import Plan
from vtondata.sample import ALL_CATEGORIES, BuildCategory, Category, Sample, build_category
from vtondata.stages.base import Stage
from vtondata.stages.categories import CategoriesStage
from vtondata.stages.cloth import ClothSegmenter, ClothStage
from vtondata.stages.encode import EncodeStage
from vtondata.stages.ingest import IngestStage
from vtondata.stages.mask import MaskStage
from vtondata.stages.pose import PoseStage
from vtondata.stages.quality import QualityStage
from vtondata.stages.segment import SegmentStage
from vtondata.storage import is_url


@dataclass(frozen=True)
class BuildResult:
    """What a build produced; ``counts`` always satisfy inputs = accepted + rejected.

    ``runner`` is the runner that ran (``"local"`` or ``"ray"``) and ``runner_reason`` why it was
    chosen; ``log_path`` is the captured library log, ``None`` when logs were left on the console.
    """

    out: Path | str
    """The output folder, or its URL for object storage."""
    inputs: int
    accepted: int
    rejected: int
    by_reason: dict[str, int]
    shards: list[Path | str]
    manifest_path: Path | str
    resumed_chunks: int
    elapsed_s: float
    runner: str = "local"
    runner_reason: str = ""
    report_path: Path | str | None = None
    log_path: Path | None = None


def build_stages(recipe: Recipe, category: str | None = None) -> list[Stage]:
    """The whole wiring, in data-flow order. Backends are built but not loaded.

    For ``category="all"`` the category's own stages (mask, quality, encode) run inside a
    :class:`~vtondata.stages.categories.CategoriesStage`, once per category, after the models ran once.
    """
    segment_backend = build_segment_backend(recipe.segment)
    shared: list[Stage] = [
        IngestStage(recipe.ingest),
        ClothStage(
            recipe.cloth,
            _cloth_segmenter(recipe, segment_backend),
            recipe.segment.batch_size,
            recipe.ingest,
            recipe.quality.cloth,
        ),
        PoseStage(recipe.pose, build_pose_backend(recipe.pose)),
        SegmentStage(recipe.segment, segment_backend),
    ]
    per_category: list[Stage] = [
        MaskStage(recipe.mask),
        QualityStage(
            recipe.quality,
            build_pose_backend(recipe.quality.second_pose) if recipe.quality.second_pose else None,
        ),
        EncodeStage(recipe.output),
    ]
    if category == ALL_CATEGORIES:
        return [*shared, CategoriesStage(per_category, recipe.output)]
    return [*shared, *per_category]


def _cloth_segmenter(recipe: Recipe, segment_backend: Any) -> ClothSegmenter | None:
    """The SAM2 segment backend for garment photos when ``cloth.segmenter`` is ``sam2``, else classical."""
    if recipe.cloth.segmenter == "classical":
        return None
    if not isinstance(recipe.segment, Sam2SegmentConfig):
        raise RecipeError(
            f"cloth.segmenter: 'sam2' needs segment.backend: sam2 (got '{recipe.segment.backend}'); "
            "use cloth.segmenter: classical"
        )
    return segment_backend


def process_image(
    path: str | Path,
    category: str | Category,
    recipe: str | Path | Recipe = "offline",
    overrides: Mapping[str, Any] | None = None,
) -> Sample:
    """Run every stage on one photo in this process and return the enriched sample; writes nothing.

    For notebooks and debugging: the sample carries the keypoints, evidence
    layers, agnostic mask, statistics and, if a stage refused it, the rejection.
    Models load on each call; use :func:`process_images` or :func:`build` for
    more than a few photos.
    """
    return process_images([path], category, recipe, overrides)[0]


def process_images(
    paths: Sequence[str | Path],
    category: str | Category,
    recipe: str | Path | Recipe = "offline",
    overrides: Mapping[str, Any] | None = None,
    *,
    quality: bool = True,
) -> list[Sample]:
    """:func:`process_image` for several photos with the models loaded once; samples in ``paths`` order.

    With ``quality=False`` the quality filters do not run: inference wants the
    mask of a photo that a training set would leave out for, say, its blur,
    and the filters change nothing that the other stages produce.
    """
    if not isinstance(recipe, Recipe):
        recipe = load_recipe(recipe, dict(overrides or {}))
    paths = [Path(path) for path in paths]
    for path in paths:
        if not path.is_file():
            raise InputError(f"not a file: {path}")
    _resolve_weights(recipe)
    samples = [
        Sample(
            key=f"{index:07d}_single",
            index=index,
            source_path=path.name,
            category=Category(category),
            chunk=0,
            source_abs=str(path.resolve()),
        )
        for index, path in enumerate(paths)
    ]
    stages = [stage for stage in build_stages(recipe) if quality or not isinstance(stage, QualityStage)]
    for stage in stages:
        stage.setup()
    try:
        return run_stages(stages, samples)
    finally:
        for stage in stages:
            stage.teardown()


def installed_backends(recipe: Recipe) -> dict[str, Any]:
    """The backends, versions and weights sha256 this machine would record for ``recipe``.

    The same document a build writes to ``manifest.json["backends"]``, so the
    two compare key by key; nothing is loaded, but weights are hashed.
    """
    return _backend_versions(build_stages(recipe), _resolve_weights(recipe))


def build(
    raw: str | Path,
    out: str | Path,
    category: str | BuildCategory,
    recipe: str | Path | Recipe = "default",
    overrides: Mapping[str, Any] | None = None,
    *,
    runner: str | None = None,
    workers: int | None = None,
    ray_address: str | None = None,
    limit: int | None = None,
    overwrite: bool = False,
    capture_logs: bool = True,
    on_chunk_done: Callable[[ChunkRecord], None] | None = None,
    on_plan: Callable[[int, int], None] | None = None,
) -> BuildResult:
    """Turn the photos under ``raw`` into a dataset in ``out`` for ``category``.

    ``category`` is ``"upper"``, ``"lower"``, ``"dress"``, or ``"all"``: the models run once per photo
    and each category the photo supports gets its own mask and verdict (docs/format.md).

    ``recipe`` is a bundled name (``"offline"``), a YAML path or a ``Recipe``;
    ``overrides`` are dotted keys (``{"output.chunk_size": 16}``). ``runner``
    (``"auto"``, ``"local"`` or ``"ray"``) overrides the recipe's; ``auto`` runs
    small builds in-process (:func:`vtondata.runners.choice.choose_runner`).
    With ``capture_logs`` the output of libraries and Ray workers goes to
    ``OUT/logs/build.log`` instead of the console. ``on_plan(inputs,
    already_done)`` and ``on_chunk_done(record)`` feed progress displays.
    Re-running into the same ``out`` resumes; a different recipe or input set
    raises ``ResumeMismatch`` unless ``overwrite``. ``out`` must be new, empty
    or a vtondata output (else ``InputError``, nothing touched) and is locked
    for the whole build (a second build into it raises ``OutputError``).
    ``raw`` and ``out`` may be URLs (``s3://bucket/raw``, docs/cluster.md):
    inputs are then listed and read, and chunks written, through
    :mod:`vtondata.storage`.
    """
    started = time.perf_counter()
    category = build_category(category)
    recipe = recipe if isinstance(recipe, Recipe) else load_recipe(recipe, dict(overrides or {}))
    raw = raw if is_url(raw) else Path(raw)
    destination = destination_for(out)
    listing = _list(raw, recipe, limit)
    weights = _resolve_weights(recipe)
    stages = build_stages(recipe, category)
    # Refuses an unknown runner before OUT is touched.
    first = choose_runner(runner, recipe.runner, len(listing), ray_address)
    destination.refuse_foreign()
    with destination.lock():
        log_path = _log_path(out) if capture_logs else None
        with capture_build_log(log_path) if log_path is not None else contextlib.nullcontext():
            chosen = _make_runner(first.kind, recipe, workers, ray_address)
            try:
                # The runner chosen for all inputs reads and hashes them (on Ray: in the workers).
                items = inspect_inputs(listing, recipe.ingest, recipe.quality.duplicates, chosen.map)
                chunks = plan_chunks(items, recipe.output.chunk_size, category)
                plan = _plan(recipe, category, items, chunks)
                completed = _prepare_output(destination, plan, recipe, overwrite)
                pending = [chunk for chunk in chunks if chunk.index not in completed]
                if on_plan is not None:
                    on_plan(len(items), sum(len(chunk.items) for chunk in chunks if chunk.index in completed))
                choice = choose_runner(
                    runner, recipe.runner, sum(len(chunk.items) for chunk in pending), ray_address
                )
                if choice.kind != first.kind:
                    chosen.close()
                    chosen = _make_runner(choice.kind, recipe, workers, ray_address)
                chosen.run(stages, pending, destination.chunk_writer(plan.split), on_chunk_done)
            finally:
                chosen.close()
            complete, manifest_file = _finish(destination, recipe, plan, chunks, stages, weights)
            destination.write_report(raw)
    elapsed_s = time.perf_counter() - started
    return _result(out, complete, manifest_file, len(completed), elapsed_s, choice, log_path)


def _list(raw: str | Path, recipe: Recipe, limit: int | None) -> Listing:
    """The inputs under ``raw``, listed but not read; an ``InputError`` when there are none."""
    listing = list_inputs(raw, recipe.ingest, limit=limit, pairing=recipe.cloth.pairing)
    if not len(listing):
        raise InputError(f"no images found under {raw} (extensions: {', '.join(recipe.ingest.extensions)})")
    return listing


def _plan(recipe: Recipe, category: BuildCategory, items: list[InputItem], chunks: list[Chunk]) -> Plan:
    """What this build is, for resuming: a later run with another plan must not mix into ``OUT``."""
    return Plan(
        recipe_sha256=recipe_sha256(recipe),
        inputs_sha256=inputs_sha256(items),
        category=str(category),
        split=recipe.output.split,
        chunk_size=recipe.output.chunk_size,
        num_chunks=len(chunks),
        num_inputs=len(items),
        producer_version=__version__,
    )


def _prepare_output(destination: Destination, plan: Plan, recipe: Recipe, overwrite: bool) -> set[int]:
    """Ready ``OUT`` for ``plan`` (resume or start over), record the resolved recipe; the chunks done."""
    completed = destination.prepare(plan, overwrite)
    destination.write_config(yaml.safe_dump(recipe.model_dump(mode="json"), sort_keys=False).encode())
    return completed


def _result(
    out: str | Path,
    complete: list[ChunkRecord],
    manifest_file: str,
    resumed_chunks: int,
    elapsed_s: float,
    choice: RunnerChoice,
    log_path: Path | None,
) -> BuildResult:
    """What a finished build reports: counts from its chunk records, its files, how it ran."""
    by_reason: Counter[str] = Counter()
    for record in complete:
        by_reason.update(record.by_reason)
    location: Path | str = out if is_url(out) else Path(out)
    return BuildResult(
        out=location,
        inputs=sum(record.samples for record in complete),
        accepted=sum(record.accepted for record in complete),
        rejected=sum(record.rejected for record in complete),
        by_reason=dict(sorted(by_reason.items())),
        shards=[_joined(location, record.shard) for record in complete],
        manifest_path=manifest_file if is_url(manifest_file) else Path(manifest_file),
        resumed_chunks=resumed_chunks,
        elapsed_s=elapsed_s,
        runner=choice.kind,
        runner_reason=choice.reason,
        report_path=_joined(location, REPORT_HTML_NAME),
        log_path=log_path,
    )


def _finish(
    destination: Destination,
    recipe: Recipe,
    plan: Plan,
    chunks: list[Chunk],
    stages: list[Stage],
    weights: dict[str, Any],
) -> tuple[list[ChunkRecord], str]:
    """Check every chunk is complete, then write the manifest; the records in chunk order, and where
    the manifest went."""
    records = destination.read_records(plan.split, [chunk.index for chunk in chunks])
    missing = [chunk.index for chunk, record in zip(chunks, records, strict=True) if record is None]
    if missing:
        raise RuntimeError(f"chunks {missing} have no completion marker after the run")
    complete = [record for record in records if record is not None]
    manifest = build_manifest(
        recipe=recipe,
        recipe_sha256=plan.recipe_sha256,
        inputs_sha256=plan.inputs_sha256,
        category=plan.category,
        records=complete,
        backends=_backend_versions(stages, weights),
        stages=[stage.name for stage in stages],
        producer_version=__version__,
    )
    return complete, destination.write_manifest(manifest)


def _joined(location: Path | str, relative: str) -> Path | str:
    """``relative`` (POSIX) under an output folder or URL."""
    return location / relative if isinstance(location, Path) else f"{location.rstrip('/')}/{relative}"


def _log_path(out: str | Path) -> Path:
    """``OUT/logs/build.log`` for a folder; a local file named after the URL for object storage."""
    if not is_url(out):
        return layout.build_log_path(Path(out))
    digest = hashlib.sha256(str(out).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"vtondata-build-{digest}.log"


def _resolve_weights(recipe: Recipe) -> dict[str, Any]:
    """Find every checkpoint first, so a missing file stops the run before any image."""
    resolved: dict[str, Any] = {}
    resolved.update({f"pose.{k}": v for k, v in resolve_backend_weights(recipe.pose).items()})
    resolved.update({f"segment.{k}": v for k, v in resolve_backend_weights(recipe.segment).items()})
    return resolved


def _backend_versions(stages: list[Stage], weights: dict[str, Any]) -> dict[str, Any]:
    versions: dict[str, Any] = {}
    for stage in stages:
        backend = getattr(stage, "backend", None)
        if backend is not None:
            versions[stage.name] = {
                "name": backend.name,
                "version": backend.version,
                "device": getattr(backend, "device", "cpu"),
                "weights": {
                    key.split(".", 1)[1]: {"path": Path(value.path).name, "sha256": value.sha256}
                    for key, value in weights.items()
                    if key.startswith(f"{stage.name}.")
                },
            }
    return versions


def _make_runner(kind: str, recipe: Recipe, workers: int | None, ray_address: str | None) -> Runner:
    if kind == "local":
        from vtondata.runners.local import LocalRunner

        return LocalRunner(
            batch_threads=recipe.runner.batch_threads, workers=workers or recipe.runner.workers
        )
    if kind == "ray":
        from vtondata.runners.ray import RayRunner

        return RayRunner(
            workers=workers or recipe.runner.workers,
            address=ray_address or recipe.runner.address,
            object_store_mb=recipe.runner.object_store_mb,
        )
    raise RecipeError(f"unknown runner '{kind}': use 'local' or 'ray'")
