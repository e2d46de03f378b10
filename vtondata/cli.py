"""The ``vtondata`` command: thin typer commands over :mod:`vtondata.api`.

Exit codes (stable, for scripts): 0 success; 1 other vtondata error or a
failed verification; 2 invalid recipe or option; 3 unusable input folder;
4 missing or mismatched weights; 5 backend not installed or not available;
6 output folder built with another recipe or input set (use --overwrite); 7 output
folder not writable (disk full, read-only) or in use by another build; 130 interrupted.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from vtondata.errors import InputError, RecipeError, VtonDataError, caused_by_interrupt
from vtondata.recipe_files import bundled_recipes
from vtondata.sample import ALL_CATEGORIES, Category

if TYPE_CHECKING:
    from vtondata.api import BuildResult
    from vtondata.mask_like import MaskRecipe


class _Commands(TyperGroup):
    """The one error handler: a ``VtonDataError`` from any command is one red line and its exit code.

    Anything else is a bug and keeps its traceback.
    """

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except VtonDataError as error:
            console.print(Text.assemble(("error: ", "bold red"), str(error)), highlight=False)
            raise typer.Exit(code=error.exit_code) from None


app = typer.Typer(
    cls=_Commands,
    name="vtondata",
    help="Turn photos of dressed people into virtual try-on training datasets.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True, soft_wrap=True)


class BuildFor(StrEnum):
    """What ``build --category`` offers: each garment category, or all of them from one build."""

    UPPER = Category.UPPER.value
    LOWER = Category.LOWER.value
    DRESS = Category.DRESS.value
    ALL = ALL_CATEGORIES


def _parse_overrides(pairs: list[str]) -> dict[str, str]:
    overrides = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise RecipeError(f"--set expects KEY=VALUE with a dotted key, got '{pair}'")
        overrides[key.strip()] = value
    return overrides


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug details.")] = False,
    storage_options: Annotated[
        str | None,
        typer.Option(
            help='JSON object of file-system options for s3:// or gs:// locations, e.g. \'{"endpoint_url": '
            '"http://localhost:9000"}\' (docs/cluster.md); credentials come from the usual environment.'
        ),
    ] = None,
) -> None:
    from vtondata.storage import parse_storage_options, use_storage_options

    use_storage_options(parse_storage_options(storage_options))
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False)],
    )


@app.command()
def build(
    ctx: typer.Context,
    raw: Annotated[
        str, typer.Argument(help="Folder or URL (s3://, gs://) of person photos (searched recursively).")
    ],
    out: Annotated[str, typer.Argument(help="Output folder or URL; re-running resumes finished chunks.")],
    category: Annotated[
        BuildFor,
        typer.Option(
            "--category",
            "-c",
            help="Garment category the masks are drawn for; 'all': the models run once per photo and "
            "each category it supports gets its own mask and verdict (agnostic_mask_upper.png, ..., "
            "and agnostic_mask_upper_lower.png; docs/format.md).",
        ),
    ],
    pipeline: Annotated[
        str,
        typer.Option(
            "--pipeline",
            "-p",
            help=f"Bundled recipe name ({', '.join(bundled_recipes())}) or path to a recipe YAML.",
        ),
    ] = "default",
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a recipe value, e.g. --set output.chunk_size=16 (repeatable)."),
    ] = None,
    runner: Annotated[
        str | None,
        typer.Option(
            help="'auto', 'ray' (parallel) or 'local' (in-process); default: the recipe's (auto: local "
            "below runner.ray_min_inputs inputs or runner.ray_min_cpus CPUs)."
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Workers per model stage (default: on Ray one per CPU core, on the local runner two).",
        ),
    ] = None,
    ray_address: Annotated[
        str | None, typer.Option(help="Address of an existing Ray cluster (default: start a local one).")
    ] = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Process only the first N inputs (sorted).")
    ] = None,
    overwrite: Annotated[
        bool, typer.Option(help="Replace an output built with another recipe or input set.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="Show library and worker logs live, not in OUT/logs/build.log."),
    ] = False,
) -> None:
    """Build a dataset: ingest, pose, segment, mask, write WebDataset shards."""
    options = {"runner": runner, "workers": workers, "ray_address": ray_address, "limit": limit}
    verbose = verbose or bool(ctx.find_root().params.get("verbose"))
    options.update(overwrite=overwrite, capture_logs=not verbose)
    result = _build_with_progress(raw, out, category.value, pipeline, set_ or [], options, quiet)
    if not quiet:
        _print_summary(result, category.value)


class _BuildProgress:
    """One progress bar for a build: inputs done, accepted so far and rejections by stage."""

    def __init__(self, terminal: Any, quiet: bool) -> None:
        self.bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}"),
            TimeElapsedColumn(),
            console=Console(file=terminal),
            disable=quiet,
            transient=True,
        )
        self.task = self.bar.add_task("building", total=None, counts="")
        self.accepted = 0
        self.rejected_by_stage: Counter[str] = Counter()

    def on_plan(self, inputs: int, done: int) -> None:
        self.bar.update(self.task, total=inputs, completed=done, counts="resuming" if done else "")

    def on_chunk_done(self, record: Any) -> None:
        self.accepted += record.accepted
        for code, count in record.by_reason.items():
            self.rejected_by_stage[code.split(".", 1)[0]] += count
        stages = " ".join(f"{stage} -{n}" for stage, n in sorted(self.rejected_by_stage.items()))
        counts = f"accepted {self.accepted}  rejected: {stages or '0'}"
        self.bar.update(self.task, advance=record.samples, counts=counts)


def _build_with_progress(
    raw: str | Path,
    out: str | Path,
    category: str,
    pipeline: str,
    set_: list[str],
    options: dict[str, Any],
    quiet: bool,
) -> BuildResult:
    """Run ``api.build`` under one progress bar drawn on the terminal while library logs are captured."""
    from vtondata import api
    from vtondata.build_log import terminal_stream

    terminal = terminal_stream()
    progress = _BuildProgress(terminal, quiet)
    try:
        with progress.bar:
            return api.build(
                raw,
                out,
                category,
                pipeline,
                _parse_overrides(set_),
                **options,
                on_plan=progress.on_plan,
                on_chunk_done=progress.on_chunk_done,
            )
    except BaseException as error:
        if not caused_by_interrupt(error):
            raise
        resume = "finished chunks are kept; run the same command again to resume from them"
        Console(file=terminal).print(Text.assemble(("interrupted: ", "bold yellow"), resume), highlight=False)
        raise typer.Exit(code=130) from None
    finally:
        if terminal is not sys.stderr:
            terminal.close()


def _print_summary(result, category: str = "") -> None:
    table = Table(title=Text(str(result.out)), show_header=False)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    table.add_row("inputs", str(result.inputs))
    table.add_row(
        "accepted",
        str(result.accepted) + (" (for at least one category)" if category == ALL_CATEGORIES else ""),
    )
    if category == ALL_CATEGORIES:
        import vtondata

        dataset = vtondata.open(result.out)
        for name in dataset.categories:
            table.add_row(f"  {name}", str(len(dataset.for_category(name).accepted)))
    table.add_row("rejected", str(result.rejected))
    for code, count in result.by_reason.items():
        table.add_row(f"  {code}", str(count))
    table.add_row("shards", str(len(result.shards)))
    if result.resumed_chunks:
        table.add_row("chunks resumed", str(result.resumed_chunks))
    table.add_row("runner", f"{result.runner} ({result.runner_reason})")
    table.add_row("time", f"{result.elapsed_s:.1f} s")
    table.add_row("report", str(result.report_path))
    if result.log_path is not None:
        table.add_row("library logs", str(result.log_path))
    console.print(table)


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Output folder (rebuilt on every run).")] = Path("out/demo"),
    raw: Annotated[
        Path | None,
        typer.Option(help="Build this folder instead of the sample photos that installed packages ship."),
    ] = None,
    category: Annotated[
        Category, typer.Option("--category", "-c", help="Garment category.")
    ] = Category.UPPER,
) -> None:
    """Build a small dataset with the offline recipe and show every photo's outcome (docs/cli.md)."""
    from vtondata.demo import DEMO_OVERRIDES, write_demo_photos
    from vtondata.output.verify import verify_dataset

    overrides: dict[str, str] = {}
    if raw is None:
        raw = out.with_name(f"{out.name}-photos")
        photos = write_demo_photos(raw)
        overrides = DEMO_OVERRIDES
        console.print(f"sample photos from installed packages: {', '.join(p.name for p in photos)} -> {raw}")
        console.print(f"offline recipe with {' '.join(f'--set {k}={v}' for k, v in overrides.items())}")
    settings = [f"{key}={value}" for key, value in overrides.items()]
    options = {"overwrite": True, "capture_logs": True}
    result = _build_with_progress(raw, out, category, "offline", settings, options, quiet=False)
    _print_summary(result)
    _print_outcomes(out)
    report = verify_dataset(out)
    console.print(f"verify: {'ok' if report.ok else report.problems}", highlight=False)
    console.print(Text.assemble(("report: ", "bold"), str(result.report_path)), highlight=False)
    if not report.ok:
        raise typer.Exit(code=1)


def _print_outcomes(out: Path) -> None:
    """One line per input photo: accepted, or rejected with its reason code and message."""
    import vtondata

    table = Table("photo", "outcome", "reason", title="every photo")
    rows = vtondata.open(out).table.select(["source_path", "accepted", "reason_code", "reason_message"])
    for row in rows.to_pylist():
        outcome = "[green]accepted[/]" if row["accepted"] else "[red]rejected[/]"
        reason = (
            f"{row['reason_code']}: {row['reason_message']}" if not row["accepted"] else "masks in the shard"
        )
        table.add_row(row["source_path"], outcome, reason)
    console.print(table)


@app.command()
def verify(
    out: Annotated[str, typer.Argument(help="A dataset folder or URL written by `vtondata build`.")],
) -> None:
    """Read every shard back with webdataset; check counts, checksums and schemas."""
    from vtondata.output.reader import dataset_folder
    from vtondata.output.verify import verify_dataset

    report = verify_dataset(dataset_folder(out))
    for problem in report.problems:
        console.print(Text.assemble(("problem: ", "red"), problem), highlight=False)
    status = ("ok", "green") if report.ok else (f"{len(report.problems)} problem(s)", "red")
    console.print(Text.assemble(f"{out}: ", status, f" {report.counts}"), highlight=False)
    if not report.ok:
        raise typer.Exit(code=1)


@app.command()
def recipes() -> None:
    """List the bundled recipes with their descriptions."""
    from vtondata.config import load_recipe

    table = Table("name", "pose", "segment", "description")
    for name in bundled_recipes():
        recipe = load_recipe(name)
        table.add_row(name, recipe.pose.backend, recipe.segment.backend, " ".join(recipe.description.split()))
    Console().print(table)


@app.command()
def report(
    out: Annotated[str, typer.Argument(help="A dataset folder or URL written by `vtondata build`.")],
    raw: Annotated[
        Path | None,
        typer.Option(help="The input folder it was built from, to show rejected photos (else placeholders)."),
    ] = None,
) -> None:
    """Rebuild report.html and report.json from the outputs alone (no model is loaded)."""
    from vtondata.output.destination import destination_for

    html = destination_for(out).write_report(raw)
    console.print(Text(f"wrote {html} and its report.json"), highlight=False)


weights_app = typer.Typer(help="Model checkpoints: list the known ones, check a recipe's, fetch one.")
app.add_typer(weights_app, name="weights")


@weights_app.command("list")
def weights_list() -> None:
    """Every known checkpoint, its source and where it was found (nothing is downloaded)."""
    from vtondata.backends.download import KNOWN_WEIGHTS, find_local

    table = Table("name", "purpose", "source", "found")
    for known in KNOWN_WEIGHTS.values():
        local = find_local(known.name)
        source = f"hf:{known.hf_repo}" if known.hf_repo else "ultralytics release"
        table.add_row(known.name, known.purpose, source, str(local.path) if local else "missing")
    Console().print(table)


@weights_app.command("check")
def weights_check(
    pipeline: Annotated[
        str, typer.Option("--pipeline", "-p", help="Bundled recipe name or YAML path.")
    ] = "default",
) -> None:
    """Resolve, hash-check and read every checkpoint a recipe needs, as `build` does before any image."""
    from vtondata.backends import resolve_backend_weights
    from vtondata.config import load_recipe

    recipe = load_recipe(pipeline)
    for section in (recipe.pose, recipe.segment):
        for role, resolved in resolve_backend_weights(section).items():
            console.print(
                f"{section.backend} {role}: {resolved.path} sha256 {resolved.sha256}", highlight=False
            )


@weights_app.command("fetch")
def weights_fetch(
    names: Annotated[list[str], typer.Argument(help="Checkpoint file names (see `vtondata weights list`).")],
) -> None:
    """Download known checkpoints into the user cache (needs internet; refused when offline)."""
    from vtondata.backends.download import fetch

    for name in names:
        resolved = fetch(name)
        console.print(f"{name}: {resolved.path} sha256 {resolved.sha256}", highlight=False)


@app.command("eval-masks")
def eval_masks(
    dataset: Annotated[
        Path, typer.Argument(help="Ground truth in VITON-HD layout: image-parse/ and openpose-json/.")
    ],
    masks: Annotated[
        str,
        typer.Argument(
            help="A vtondata output (folder or URL), or a folder of <stem>_mask.png / <stem>.png masks."
        ),
    ],
    category: Annotated[
        Category | None, typer.Option("--category", "-c", help="Default: the output's, else upper.")
    ] = None,
    scheme: Annotated[str, typer.Option(help="Parse label table: lip (VITON-HD), atr, dresscode.")] = "lip",
    json_path: Annotated[Path | None, typer.Option("--json", help="Also write the report as JSON.")] = None,
) -> None:
    """Score masks against parse maps: coverage, intrusion, kept parts, form leakage, parse-map IoU."""
    from vtondata.evaluate.run import evaluate_masks
    from vtondata.evaluate.table import leakage_table, parse_table, scores_table
    from vtondata.output.format import json_bytes
    from vtondata.output.reader import dataset_folder

    report = evaluate_masks(dataset, dataset_folder(masks), category, scheme=scheme)
    Console().print(scores_table(report), leakage_table(report))
    if report.parse_iou:
        Console().print(parse_table(report))
    if json_path is not None:
        json_path.write_bytes(json_bytes(report.as_dict(), indent=2) + b"\n")


@app.command()
def export(
    out: Annotated[str, typer.Argument(help="A dataset folder or URL written by `vtondata build`.")],
    dest: Annotated[Path, typer.Argument(help="Empty folder to write the trainer's layout into.")],
    layout: Annotated[
        str,
        typer.Option(help="viton-hd (the catvton-flux loader's folders) or hf-parquet (Hugging Face Hub)."),
    ] = "viton-hd",
    overwrite: Annotated[bool, typer.Option(help="Write into a non-empty DEST.")] = False,
    category: Annotated[
        Category | None,
        typer.Option(
            "--category",
            "-c",
            help="The category to export from a dataset built with --category all (required there): its "
            "accepted samples and masks, as a dataset built for it alone. Optional otherwise.",
        ),
    ] = None,
) -> None:
    """Write the shards out as VITON-HD folders or Hugging Face parquet (docs/export.md, docs/interop.md)."""
    from vtondata.output.export import ExportLayout, export_dataset
    from vtondata.output.reader import dataset_folder

    if layout not in {item.value for item in ExportLayout}:
        offered = ", ".join(item.value for item in ExportLayout)
        raise RecipeError(f"--layout {layout!r} is not offered; choose one of: {offered}")
    chosen = category.value if category is not None else None
    result = export_dataset(dataset_folder(out), dest, layout, overwrite=overwrite, category=chosen)
    cloth = f", {result.without_cloth} without cloth" if result.layout == ExportLayout.VITON_HD else ""
    console.print(Text(f"{dest}: {result.samples} samples{cloth}"), highlight=False)


@app.command()
def calibrate(
    reference: Annotated[
        list[Path], typer.Argument(help="VITON-HD or DressCode folders, or folders of trusted photos.")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the calibrated recipe.")],
    pipeline: Annotated[
        str,
        typer.Option(
            "--pipeline",
            "-p",
            help="Recipe whose stages measure the reference and whose checks are calibrated.",
        ),
    ] = "offline",
    recipe: Annotated[
        str | None, typer.Option("--recipe", hidden=True, help="Former name of --pipeline.")
    ] = None,
    category: Annotated[
        Category, typer.Option(help="Category of the reference; its own thresholds are written.")
    ] = Category.UPPER,
    k: Annotated[float, typer.Option(help="Robust deviations (1.4826 MAD) from the median.")] = 5.0,
    min_support: Annotated[
        int, typer.Option(help="Fewest reference values a threshold may be calibrated from.")
    ] = 10,
    all_statistics: Annotated[
        bool, typer.Option(help="Calibrate every measured statistic, not only the recipe's enabled checks.")
    ] = False,
) -> None:
    """Set one category's quality thresholds from a reference dataset (docs/quality.md)."""
    from vtondata.calibrate import CalibrationRule, recipe_yaml
    from vtondata.calibrate import calibrate as run_calibration
    from vtondata.config import load_recipe

    rule = CalibrationRule(k=k, min_support=min_support, every_statistic=all_statistics)
    result = run_calibration(reference, load_recipe(recipe or pipeline), category, rule)
    output.write_text(recipe_yaml(result.recipe), encoding="utf-8")
    for entry in result.support:
        value = f"{entry.value:g}" if entry.value is not None else f"not written (fewer than {min_support})"
        console.print(f"  {entry.field:45s} n={entry.values:<5d} {value}", highlight=False)
    console.print(
        f"{output}: {category.value} thresholds from {result.accepted} of {result.photos} photos",
        highlight=False,
    )


@app.command()
def train(
    shards: Annotated[
        str, typer.Argument(help="Dataset folder or URL (OUT), a folder of shards, or one shard.")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Run folder; re-running resumes it.")],
    recipe: Annotated[
        str, typer.Option(help="Bundled train recipe name or path to a train recipe YAML.")
    ] = "flux-fill",
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a recipe value, e.g. --set training.steps=100 (repeatable)."),
    ] = None,
    category: Annotated[
        Category | None,
        typer.Option(
            "--category",
            "-c",
            help="The category whose masks to train on, in a dataset built with --category all (required "
            "there; sets data.category). Optional otherwise.",
        ),
    ] = None,
) -> None:
    """Train FLUX.1 Fill for try-on on the shards (docs/training.md)."""
    from vtondata.output.reader import dataset_folder
    from vtondata.train import load_train_recipe
    from vtondata.train import train as run_training
    from vtondata.train.progress import TrainProgress

    logging.getLogger("vtondata.train").setLevel(min(logging.INFO, logging.getLogger().level))
    overrides = _parse_overrides(set_ or [])
    if category is not None:
        overrides["data.category"] = category.value
    train_recipe = load_train_recipe(recipe, overrides)
    with TrainProgress(console) as progress:
        result = run_training(dataset_folder(shards), output, train_recipe, on_step=progress)
    console.print(f"{output}: {result.steps} steps, weights in {result.weights}", highlight=False)


@app.command()
def tryon(
    person: Annotated[Path, typer.Option(help="Photo of the person.")],
    garment: Annotated[Path, typer.Option(help="Photo of the garment.")],
    weights: Annotated[Path, typer.Option(help="Run folder of `vtondata train` (or its weights/).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Image to write (.png, .jpg).")],
    mask: Annotated[
        Path | None,
        typer.Option(help="Repaint mask (255 = repaint); default: drawn as --like or --pipeline."),
    ] = None,
    like: Annotated[
        Path | None, typer.Option(help="Draw the mask exactly as this dataset drew its training masks.")
    ] = None,
    pipeline: Annotated[
        str, typer.Option("--pipeline", "-p", help="Without --like: the recipe that draws the mask.")
    ] = "offline",
    category: Annotated[
        Category | None,
        typer.Option(help="Category of the mask to draw (default: the dataset's, else upper)."),
    ] = None,
    allow_version_drift: Annotated[
        bool, typer.Option(help="With --like: warn, not stop, when installed software differs.")
    ] = False,
    steps: Annotated[int | None, typer.Option(min=1, help="Denoising steps (default: the run's).")] = None,
    guidance: Annotated[
        float | None, typer.Option(min=0, help="Guidance scale (default: the run's validation value).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the initial noise.")] = 0,
) -> None:
    """Dress the person in the garment with trained weights; write the photo at its own size."""
    from vtondata.train import tryon_files

    how = None if mask is not None else _mask_recipe(like, pipeline, category, allow_version_drift)
    tryon_files(
        person,
        garment,
        weights,
        output,
        mask=mask,
        how=how,
        num_inference_steps=steps,
        guidance_scale=guidance,
        seed=seed,
    )
    console.print(f"wrote {output}", highlight=False)


@app.command()
def mask(
    ctx: typer.Context,
    photos: Annotated[list[Path], typer.Argument(help="Person photos, or folders of them.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for <stem>.<member> files.")],
    like: Annotated[
        Path | None, typer.Option(help="A dataset folder: draw exactly as it drew its training masks.")
    ] = None,
    pipeline: Annotated[
        str | None,
        typer.Option("--pipeline", "-p", help="Without a dataset: bundled recipe name or recipe YAML."),
    ] = None,
    category: Annotated[
        Category | None, typer.Option("--category", "-c", help="Default: the dataset's, else upper.")
    ] = None,
    allow_version_drift: Annotated[
        bool, typer.Option(help="Warn, not stop, when installed software differs from the dataset's.")
    ] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace files of the same names in --output.")] = False,
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="Show library logs live, not in OUTPUT/logs/mask.log."),
    ] = False,
) -> None:
    """Agnostic mask, masked person and pose of new photos, as a dataset made them (docs/inference.md)."""
    from vtondata.build_log import capture_build_log
    from vtondata.mask_like import MASK_MEMBERS, mask_photos, write_mask_files

    if (like is None) == (pipeline is None):
        raise RecipeError("give exactly one of --like OUT (a dataset) or --pipeline NAME (a recipe)")
    how = _mask_recipe(like, pipeline or "", category, allow_version_drift)
    paths = _photo_paths(photos, how.recipe.ingest.extensions)
    stems = _output_stems(paths)
    _refuse_existing(output, stems, overwrite)
    verbose = verbose or bool(ctx.find_root().params.get("verbose"))
    log_path = output / "logs" / "mask.log"
    with contextlib.nullcontext() if verbose else capture_build_log(log_path):
        samples = mask_photos(paths, how)
    console.print(f"masks drawn as {how.source} ({how.category.value})", highlight=False)
    if not verbose:
        console.print(f"library logs: {log_path}", highlight=False)
    for path, stem, sample in zip(paths, stems, samples, strict=True):
        if sample.rejection is None:
            write_mask_files(sample, output, stem)
            console.print(f"{path}: {output / stem}.{{{','.join(MASK_MEMBERS)}}}", highlight=False)
        else:
            rejection = sample.rejection
            console.print(
                Text.assemble(f"{path}: ", ("no mask ", "red"), f"{rejection.code}: {rejection.message}"),
                highlight=False,
            )
    refused = sum(sample.rejection is not None for sample in samples)
    if refused:
        console.print(f"{refused} of {len(samples)} photos got no mask", highlight=False)
        raise typer.Exit(code=1)


def _mask_recipe(
    like: Path | None, pipeline: str, category: Category | None, allow_drift: bool
) -> MaskRecipe:
    """How ``mask`` and ``tryon`` draw a mask: as the dataset ``like`` did, else by ``pipeline``."""
    import vtondata
    from vtondata.mask_like import mask_recipe_like, mask_recipe_named

    if like is None:
        return mask_recipe_named(pipeline, category or Category.UPPER)
    dataset = vtondata.open(like)
    if dataset.manifest["category"] == ALL_CATEGORIES and category is not None:
        dataset = dataset.for_category(category.value)
    how = mask_recipe_like(dataset, allow_version_drift=allow_drift)
    if category is not None and category != how.category:
        raise RecipeError(
            f"--category {category.value}: {like} draws {how.category.value} masks; "
            "leave --category out, or use --pipeline to draw another category"
        )
    for difference in how.drift:
        console.print(Text.assemble(("warning: ", "bold yellow"), difference), highlight=False)
    return how


def _photo_paths(photos: list[Path], extensions: tuple[str, ...]) -> list[Path]:
    """Files as given, folders searched for images with the recipe's extensions (sorted)."""
    suffixes = {extension.lower() for extension in extensions}
    paths: list[Path] = []
    for photo in photos:
        if photo.is_dir():
            paths += sorted(path for path in photo.rglob("*") if path.suffix.lower() in suffixes)
        elif photo.is_file():
            paths.append(photo)
        else:
            raise InputError(f"{photo}: no such file or folder")
    if not paths:
        raise InputError(
            f"no photos among {', '.join(map(str, photos))} (extensions: {', '.join(extensions)})"
        )
    return paths


def _output_stems(paths: list[Path]) -> list[str]:
    """``<stem>`` per photo; names that repeat get their position in front so no file is written twice."""
    from vtondata.output.export import safe_stem

    stems = [safe_stem(path.stem) or "photo" for path in paths]
    repeated = {stem for stem, count in Counter(stems).items() if count > 1}
    return [f"{index:04d}_{stem}" if stem in repeated else stem for index, stem in enumerate(stems)]


def _refuse_existing(output: Path, stems: list[str], overwrite: bool) -> None:
    """Never write over a file without ``--overwrite``: it may be the user's."""
    from vtondata.mask_like import MASK_MEMBERS

    existing = [output / f"{stem}.{member}" for stem in stems for member in MASK_MEMBERS]
    existing = [path for path in existing if path.exists()]
    if existing and not overwrite:
        raise InputError(
            f"{existing[0]} exists ({len(existing)} such files); choose another --output or pass --overwrite"
        )
