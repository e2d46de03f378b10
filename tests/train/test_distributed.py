"""Two processes on the CPU (gloo), launched as ``accelerate launch --cpu`` would launch them.

Before the trainer read every shard with webdataset's default node splitter
(which raises in a distributed run) and read ``transformer.config`` through
the DDP wrapper, such a run crashed before or at its first step; before the
global sample order and per-sample randomness, each process drew its own
samples and noise, so two processes trained on other batches than one.

Two processes with batch 2 and one with batch 4 must give the same losses up
to float32 summation order: a batch of 4 and two of 2 run other kernel
blockings, DDP averages two gradient sums where one process sums four, and
the gather averages two means. Those differ by a few units in the last place
of float32 (1.2e-7 relative), and AdamW's steps do not grow them much in 4
steps: the lora run differed by 6e-8 relative. ``RELATIVE_TOLERANCE`` allows
about eighty such units, and stays far below how much the loss of a step moves
with other samples or other noise (1e-2 relative and more on this data).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.train.tiny import random_prompt_cache, tiny_models, tiny_recipe
from vtondata.train.conditioning import CACHE_FILE
from vtondata.train.flux_fill import train

RELATIVE_TOLERANCE = 1e-5
HELPER = Path(__file__).with_name("distributed_train.py")
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "precision"), [("lora", "fp32"), ("attention", "fp32"), ("full", "bf16")])
def test_two_processes_train_in_step_checkpoint_and_resume_exactly(shards, tmp_path, mode, precision):
    """In full bf16 mode (Adafactor with stochastic rounding) the replicas must round alike too."""
    environment = {
        **os.environ,
        "ACCELERATE_USE_CPU": "1",
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    launch = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    done = subprocess.run(
        [*launch, str(HELPER), str(shards), str(tmp_path), mode, precision],
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["world_size"] == 2
    assert sorted(result["whole"], key=int) == ["1", "2", "3", "4"]
    assert result["resumed"] == {step: result["whole"][step] for step in ("3", "4")}
    first, second = result["checksums"]
    assert first == second, "both processes hold the same trained weights after every step"
    if precision == "fp32":
        single = one_process_losses(shards, tmp_path / "single", mode)
        for run in ("whole", "resumed"):
            for step, loss in result[run].items():
                assert loss == pytest.approx(single[int(step)], rel=RELATIVE_TOLERANCE), (run, step)
    checkpoint = tmp_path / "whole" / "checkpoints" / "step-0000004"
    files = {path.name for path in checkpoint.iterdir()}
    if mode != "full":
        assert "model.safetensors" not in files, "checkpoints hold the trained parameters only"
    assert {"random_states_0.pkl", "random_states_1.pkl"} <= files


def one_process_losses(shards: Path, run: Path, mode: str) -> dict[int, float]:
    """The helper's run in this process with the same global batch: batch 4 where each of two had 2."""
    recipe = tiny_recipe(
        **{"training.mode": mode, "training.gradient_accumulation_steps": 2, "training.batch_size": 4}
    )
    random_prompt_cache([recipe.conditioning.prompt]).save(run / CACHE_FILE)
    return train(shards, run, recipe, models=tiny_models()).losses
