"""What a run reports while it trains: one record per optimizer step, ``log.jsonl`` and TensorBoard.

Every optimizer step gives a :class:`StepRecord`. The main process appends it
to ``RUN/log.jsonl`` and to TensorBoard event files under ``RUN/tensorboard``
(``train/loss``, ``train/lr``, ``train/grad_norm``, and each validation grid
as ``validation/grid``); the trainer's ``on_step`` callback receives it too,
which is how ``vtondata train`` drives its progress bar.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np
from accelerate import Accelerator
from PIL import Image

if TYPE_CHECKING:
    from torch.utils.tensorboard import SummaryWriter

logger = logging.getLogger(__name__)

LOG_FILE = "log.jsonl"
TENSORBOARD_DIR = "tensorboard"
TRACKER_PROJECT = "vtondata-train"


@dataclass(frozen=True)
class StepRecord:
    """One optimizer step: mean loss over micro-batches and processes, learning rate, gradient norm."""

    step: int
    total_steps: int
    loss: float
    lr: float
    grad_norm: float | None
    """Total gradient norm before clipping; ``None`` where the engine does not report it (DeepSpeed)."""
    seconds: float
    """Wall-clock seconds of this optimizer step."""


def start_tracking(accelerator: Accelerator, recipe_dump: dict) -> None:
    """Open the TensorBoard writer (main process) with the recipe's scalar settings as hyperparameters."""
    flat = {
        f"{section}.{key}": value
        for section, values in recipe_dump.items()
        if isinstance(values, dict)
        for key, value in values.items()
        if isinstance(value, int | float | str | bool)
    }
    accelerator.init_trackers(TRACKER_PROJECT, config=flat)


def record_step(accelerator: Accelerator, output: Path, record: StepRecord) -> None:
    """Append to ``log.jsonl`` and TensorBoard; warn on a non-finite loss."""
    if not math.isfinite(record.loss):
        logger.warning("step %d: loss is %s", record.step, record.loss)
    if not accelerator.is_main_process:
        return
    line = {key: value for key, value in asdict(record).items() if key != "total_steps"}
    with open(output / LOG_FILE, "a", encoding="utf-8") as stream:
        stream.write(json.dumps(line) + "\n")
    scalars = {"train/loss": record.loss, "train/lr": record.lr, "train/seconds_per_step": record.seconds}
    if record.grad_norm is not None:
        scalars["train/grad_norm"] = record.grad_norm
    accelerator.log(scalars, step=record.step)


def record_grid(accelerator: Accelerator, grid: Image.Image, step: int) -> None:
    """Add a validation grid to TensorBoard (main process; the PNG is saved by the caller)."""
    if not accelerator.is_main_process:
        return
    # unwrap=True returns the tracker's SummaryWriter, not the GeneralTracker the annotation names.
    writer = cast("SummaryWriter", accelerator.get_tracker("tensorboard", unwrap=True))
    writer.add_image("validation/grid", np.asarray(grid.convert("RGB")), step, dataformats="HWC")
    writer.flush()


def finish_tracking(accelerator: Accelerator) -> None:
    """Close the event files. Unlike ``Accelerator.end_training`` this keeps the process group, so a
    distributed caller can go on (evaluate, train again) after :func:`~vtondata.train.flux_fill.train`."""
    for tracker in accelerator.trackers:
        tracker.finish()
