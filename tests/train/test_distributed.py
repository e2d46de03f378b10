"""Two processes on the CPU (gloo), launched as ``accelerate launch --cpu`` would launch them.

Before the trainer read every shard with webdataset's default node splitter
(which raises in a distributed run) and read ``transformer.config`` through
the DDP wrapper, such a run crashed before or at its first step.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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
    checkpoint = tmp_path / "whole" / "checkpoints" / "step-0000004"
    files = {path.name for path in checkpoint.iterdir()}
    if mode != "full":
        assert "model.safetensors" not in files, "checkpoints hold the trained parameters only"
    assert {"random_states_0.pkl", "random_states_1.pkl"} <= files
