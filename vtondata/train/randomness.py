"""Per-sample randomness: every random draw of training is a function of ``(seed, position, purpose)``.

``position`` is the sample's place in the global sample order
(:mod:`vtondata.train.order`): optimizer step, micro-batch and index in the
global batch together. Seeding each sample on its own, rather than a stream
per process, makes mask augmentation, VAE sampling, noise and timesteps of a
sample the same whatever the number of processes, the per-process batch size
or the DataLoader worker that decodes it, and the same again after a resume.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch

Purpose = Literal["augment", "diffusion"]
"""``augment``: mask augmentation while decoding; ``diffusion``: VAE sampling, noise and timestep."""

_PURPOSE_TAGS: dict[str, int] = {"augment": 0, "diffusion": 1}


def sample_generator(seed: int, position: int, purpose: Purpose) -> torch.Generator:
    """A CPU generator seeded from ``(seed, position, purpose)`` alone (independent streams per purpose)."""
    entropy = np.random.SeedSequence([seed, position, _PURPOSE_TAGS[purpose]]).generate_state(1)[0]
    return torch.Generator().manual_seed(int(entropy))
