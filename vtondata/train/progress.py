"""The progress bar of ``vtondata train``: step m/n, loss, gradient norm, steps/s and time left.

Fed with the trainer's :class:`~vtondata.train.tracking.StepRecord` through
its ``on_step`` callback. Under ``accelerate launch`` only the main process
draws it; the others would print the same numbers over it.
"""

from __future__ import annotations

from types import TracebackType

from accelerate import PartialState
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from vtondata.train.tracking import StepRecord


class TrainProgress:
    """Context manager and ``on_step`` callback; the bar starts at the first step run (resumes too)."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("train"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]:.4f}  grad {task.fields[grad_norm]}"),
            TextColumn("{task.fields[rate]:.2f} steps/s"),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=console,
            disable=not PartialState().is_main_process,
        )
        self._task: TaskID | None = None
        self._rate: float | None = None

    def __enter__(self) -> TrainProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def __call__(self, record: StepRecord) -> None:
        rate = 1.0 / max(record.seconds, 1e-9)
        self._rate = rate if self._rate is None else 0.9 * self._rate + 0.1 * rate
        fields = {
            "loss": record.loss,
            "grad_norm": "-" if record.grad_norm is None else f"{record.grad_norm:.3g}",
            "rate": self._rate,
        }
        if self._task is None:
            self._task = self._progress.add_task(
                "train", total=record.total_steps, completed=record.step - 1, **fields
            )
        self._progress.update(self._task, completed=record.step, **fields)
