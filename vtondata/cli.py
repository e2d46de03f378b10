"""The ``vtondata`` command: thin typer commands over :mod:`vtondata.api`.

Exit codes (stable, for scripts): 0 success; 1 other vtondata error or a
failed verification; 2 invalid recipe or option; 3 unusable input folder;
4 missing or mismatched weights; 5 backend not installed or not available;
6 output folder built with another recipe or input set (use --overwrite).
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from vtondata.config import bundled_recipes
from vtondata.errors import RecipeError, VtonDataError
from vtondata.sample import Category

app = typer.Typer(
    name="vtondata",
    help="Turn photos of dressed people into virtual try-on training datasets.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)


def _parse_overrides(pairs: list[str]) -> dict[str, str]:
    overrides = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise RecipeError(f"--set expects KEY=VALUE with a dotted key, got '{pair}'")
        overrides[key.strip()] = value
    return overrides


def _fail(error: VtonDataError) -> typer.Exit:
    console.print(f"[bold red]error:[/] {error}", highlight=False, markup=False)
    return typer.Exit(code=error.exit_code)


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug details.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False)],
    )


@app.command()
def build(
    raw: Annotated[Path, typer.Argument(help="Folder of person photos (searched recursively).")],
    out: Annotated[Path, typer.Argument(help="Output folder; re-running resumes finished chunks.")],
    category: Annotated[
        Category, typer.Option("--category", "-c", help="Garment category the masks are drawn for.")
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
        str | None, typer.Option(help="'ray' (parallel) or 'local' (in-process); default: the recipe's.")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Workers per model stage (default: one per CPU core).")
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
) -> None:
    """Build a dataset: ingest, pose, segment, mask, write WebDataset shards."""
    from vtondata import api

    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[counts]}"),
        TimeElapsedColumn(),
        console=console,
        disable=quiet,
    )
    rejected_by_stage: Counter[str] = Counter()
    accepted = 0
    task = progress.add_task("building", total=None, counts="")

    def on_plan(inputs: int, done: int) -> None:
        progress.update(task, total=inputs, completed=done, counts="resuming" if done else "")

    def on_chunk_done(record) -> None:
        nonlocal accepted
        accepted += record.accepted
        for code, count in record.by_reason.items():
            rejected_by_stage[code.split(".", 1)[0]] += count
        stages = " ".join(f"{stage} -{n}" for stage, n in sorted(rejected_by_stage.items()))
        progress.update(
            task, advance=record.samples, counts=f"accepted {accepted}  rejected: {stages or '0'}"
        )

    try:
        with progress:
            result = api.build(
                raw,
                out,
                category,
                pipeline,
                _parse_overrides(set_ or []),
                runner=runner,
                workers=workers,
                ray_address=ray_address,
                limit=limit,
                overwrite=overwrite,
                on_plan=on_plan,
                on_chunk_done=on_chunk_done,
            )
    except VtonDataError as error:
        raise _fail(error) from None
    if not quiet:
        _print_summary(result)


def _print_summary(result) -> None:
    table = Table(title=f"{result.out}", show_header=False)
    table.add_row("inputs", str(result.inputs))
    table.add_row("accepted", str(result.accepted))
    table.add_row("rejected", str(result.rejected))
    for code, count in result.by_reason.items():
        table.add_row(f"  {code}", str(count))
    table.add_row("shards", str(len(result.shards)))
    if result.resumed_chunks:
        table.add_row("chunks resumed", str(result.resumed_chunks))
    table.add_row("time", f"{result.elapsed_s:.1f} s")
    console.print(table)


@app.command()
def verify(
    out: Annotated[Path, typer.Argument(help="A dataset folder written by `vtondata build`.")],
) -> None:
    """Read every shard back with webdataset; check counts, checksums and schemas."""
    from vtondata.output.verify import verify_dataset

    try:
        report = verify_dataset(out)
    except VtonDataError as error:
        raise _fail(error) from None
    for problem in report.problems:
        console.print(f"[red]problem:[/] {problem}", highlight=False)
    status = "[green]ok[/]" if report.ok else f"[red]{len(report.problems)} problem(s)[/]"
    console.print(f"{out}: {status} {report.counts}", highlight=False)
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
