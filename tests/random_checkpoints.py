"""Real-format checkpoints with random weights, so the real loading code runs without a download.

SAM2: the packaged hiera-tiny config built with ``build_sam2(config, ckpt_path=None)``
and saved as the official release is (``{"model": state_dict}``). OpenPose:
controlnet-aux's body model saved as ``body_pose_model.pth`` is (keys without
the model's first name part). Seeded, so the files are identical between runs.
"""

from __future__ import annotations

from pathlib import Path

SAM2_TINY = "sam2.1_hiera_tiny.pt"
OPENPOSE_BODY = "body_pose_model.pth"


def write_sam2_checkpoint(folder: Path) -> Path:
    import torch
    from sam2.build_sam import build_sam2

    torch.manual_seed(0)
    model = build_sam2("configs/sam2.1/sam2.1_hiera_t.yaml", ckpt_path=None, device="cpu")
    path = folder / SAM2_TINY
    folder.mkdir(parents=True, exist_ok=True)
    torch.save({"model": model.state_dict()}, path)
    return path


def write_openpose_checkpoint(folder: Path) -> Path:
    import torch
    from controlnet_aux.open_pose.model import bodypose_model

    torch.manual_seed(0)
    state = bodypose_model().state_dict()
    path = folder / OPENPOSE_BODY
    folder.mkdir(parents=True, exist_ok=True)
    torch.save({name.split(".", 1)[1]: tensor for name, tensor in state.items()}, path)
    return path
