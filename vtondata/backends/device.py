"""The one device policy for model backends, applied where a backend is built.

A recipe's ``device`` setting (``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:N"``)
becomes a concrete device string once, in the driver, when
:func:`vtondata.backends.build_pose_backend` or ``build_segment_backend`` runs.
The backend keeps it as its ``device`` attribute; the stage turns it into
:class:`vtondata.stages.base.Resources` (``num_gpus``), the Ray runner into a
GPU request per actor, and the manifest records it per backend. Workers never
probe for GPUs themselves, so what Ray reserves and where the model runs
cannot disagree.

``"auto"`` asks torch in the driver. On a Ray cluster whose driver has no GPU
but whose workers do, set ``device: cuda`` in the recipe.
"""

from __future__ import annotations

import re

from vtondata.errors import RecipeError

CPU = "cpu"
_EXPLICIT = re.compile(r"^(cpu|cuda(:\d+)?)$")


def decide_device(setting: str) -> str:
    """``"auto"`` -> ``"cuda:0"`` when torch sees a GPU here, else ``"cpu"``; ``"cuda"`` -> ``"cuda:0"``.

    Raises :class:`RecipeError` for anything else than ``auto``, ``cpu``,
    ``cuda`` or ``cuda:N``.
    """
    if setting == "auto":
        import torch

        return "cuda:0" if torch.cuda.is_available() else CPU
    if not _EXPLICIT.match(setting):
        raise RecipeError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got '{setting}'")
    return "cuda:0" if setting == "cuda" else setting


def on_gpu(device: str) -> bool:
    return device.startswith("cuda")
