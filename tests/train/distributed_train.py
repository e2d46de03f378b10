"""One process of a multi-process training run, launched by ``torch.distributed.run`` from the tests.

Usage: ``python -m torch.distributed.run --nproc_per_node 2 tests/train/distributed_train.py
SHARDS WORK MODE PRECISION`` (``fp32`` or ``bf16``). Trains the tiny FLUX Fill
for 4 steps into ``WORK/whole``, copies its step-2 checkpoint into ``WORK/resumed`` and resumes there; the
main process writes ``WORK/result.json``: both runs' losses, the world size,
and a checksum of the trained parameters of every process.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import torch
import torch.distributed as dist

from tests.train.tiny import random_prompt_cache, tiny_models, tiny_recipe
from vtondata.train.conditioning import CACHE_FILE
from vtondata.train.flux_fill import train


def trained_checksum(models) -> float:
    trained = [p.detach().double().sum() for p in models.transformer.parameters() if p.requires_grad]
    return float(torch.stack(trained).sum())


def main() -> None:
    shards, work, mode, precision = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4]
    torch.set_num_threads(1)
    settings = {"training.mode": mode, "training.gradient_accumulation_steps": 2, "training.batch_size": 2}
    if precision == "bf16":
        settings |= {"training.mixed_precision": "bf16", "training.gradient_checkpointing": True}
    recipe = tiny_recipe(**settings)
    runs = {name: work / name for name in ("whole", "resumed")}
    for run in runs.values():
        random_prompt_cache([recipe.conditioning.prompt]).save(run / CACHE_FILE)
    models = tiny_models()
    whole = train(shards, runs["whole"], recipe, models=models)
    checksums = [None] * dist.get_world_size()
    dist.all_gather_object(checksums, trained_checksum(models))
    if dist.get_rank() == 0:
        step_2 = runs["whole"] / "checkpoints" / "step-0000002"
        shutil.copytree(step_2, runs["resumed"] / "checkpoints" / step_2.name)
    dist.barrier()
    resumed = train(shards, runs["resumed"], recipe, models=tiny_models())
    if dist.get_rank() == 0:
        result = {
            "world_size": dist.get_world_size(),
            "whole": whole.losses,
            "resumed": resumed.losses,
            "checksums": checksums,
        }
        (work / "result.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main()
