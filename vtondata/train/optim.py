"""Optimizers that update bfloat16 weights in place without losing small updates.

A full fine-tune of the 12B FLUX transformer cannot keep float32 master
weights, float32 gradients and two float32 AdamW moments (16 bytes per
parameter, about 190 GB) on one GPU. Keeping the weights themselves in
bfloat16 halves the weights and gradients, but bfloat16 has 8 bits of
mantissa: an update smaller than 1/256 of a weight rounds back to the old
value, and at fine-tuning learning rates almost every update does.

Both optimizers here compute each update in float32 and write the new weight
(and any state kept in bfloat16) back with **stochastic rounding**: the
float32 value is rounded up or down at random, with probabilities that make
the stored bfloat16 value equal to the float32 value in expectation, so small
updates accumulate over steps instead of vanishing.

- :class:`AdamWBF16`: AdamW with both moments stored in the weights' dtype
  (8 bytes per parameter with bfloat16 weights and gradients).
- :class:`AdafactorBF16`: Adafactor (Shazeer and Stern, 2018) with factored
  second moments for matrices (row and column means, a few bytes per row)
  and no first moment, an external learning rate and update clipping
  (4 bytes per parameter, weights and gradients).

float32 parameters (LoRA adapters, attention-only training) are updated
exactly, without rounding noise.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import torch

_BF16_DROPPED_BITS = 16


def stochastic_round_(
    target: torch.Tensor, value: torch.Tensor, generator: torch.Generator | None = None
) -> None:
    """Write float32 ``value`` into ``target`` (any float dtype), rounding at random for bfloat16.

    For bfloat16, a uniform random integer below 2^16 is added to the
    float32 bit pattern and the low 16 bits are cut: the result is the
    nearest bfloat16 value above or below, chosen with a probability
    proportional to closeness. Other dtypes get a plain copy.
    """
    if target.dtype != torch.bfloat16:
        target.copy_(value)
        return
    bits = value.float().contiguous().view(torch.int32)
    noise = torch.randint(
        0, 1 << _BF16_DROPPED_BITS, bits.shape, dtype=torch.int32, device=bits.device, generator=generator
    )
    truncated = (bits + noise) & -(1 << _BF16_DROPPED_BITS)
    target.copy_(truncated.view(torch.float32))


class AdamWBF16(torch.optim.Optimizer):
    """AdamW (decoupled weight decay, bias correction) whose weights and moments may be bfloat16."""

    def __init__(
        self,
        params: Iterable[torch.nn.Parameter],
        lr: float = 1e-5,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        loss = None if closure is None else closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state[param]
                if not state:
                    state["step"] = torch.zeros((), dtype=torch.float32)
                    state["exp_avg"] = torch.zeros_like(param)
                    state["exp_avg_sq"] = torch.zeros_like(param)
                state["step"] += 1
                step = state["step"].item()
                grad = param.grad.float()
                exp_avg = state["exp_avg"].float().lerp_(grad, 1 - beta1)
                exp_avg_sq = state["exp_avg_sq"].float().mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                denominator = (exp_avg_sq / (1 - beta2**step)).sqrt_().add_(group["eps"])
                weight = param.float().mul_(1 - group["lr"] * group["weight_decay"])
                weight.addcdiv_(exp_avg, denominator, value=-group["lr"] / (1 - beta1**step))
                stochastic_round_(state["exp_avg"], exp_avg)
                stochastic_round_(state["exp_avg_sq"], exp_avg_sq)
                stochastic_round_(param, weight)
        return loss


class AdafactorBF16(torch.optim.Optimizer):
    """Adafactor with an external learning rate: factored second moments, no momentum, update clipping.

    The second-moment decay follows the paper, ``beta2_t = 1 - t^decay_rate``
    (``decay_rate = -0.8``); matrices keep one running mean of squared
    gradients per row and per column, other tensors a full one. The update
    ``grad / sqrt(v)`` is scaled down when its RMS exceeds ``clip_threshold``.
    """

    def __init__(
        self,
        params: Iterable[torch.nn.Parameter],
        lr: float = 1e-5,
        eps: float = 1e-30,
        clip_threshold: float = 1.0,
        decay_rate: float = -0.8,
        weight_decay: float = 0.0,
    ) -> None:
        defaults = {
            "lr": lr,
            "eps": eps,
            "clip_threshold": clip_threshold,
            "decay_rate": decay_rate,
            "weight_decay": weight_decay,
        }
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        loss = None if closure is None else closure()
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                grad = param.grad.to(torch.float32, copy=True)
                state = self.state[param]
                factored = grad.dim() >= 2
                if not state:
                    state["step"] = torch.zeros((), dtype=torch.float32)
                    if factored:
                        state["row_sq"] = torch.zeros(grad.shape[:-1], device=grad.device)
                        state["col_sq"] = torch.zeros(grad.shape[:-2] + grad.shape[-1:], device=grad.device)
                    else:
                        state["sq"] = torch.zeros_like(grad)
                state["step"] += 1
                beta2 = 1.0 - math.pow(state["step"].item(), group["decay_rate"])
                squared = grad.square().add_(group["eps"])
                if factored:
                    row_sq, col_sq = state["row_sq"], state["col_sq"]
                    row_sq.lerp_(squared.mean(dim=-1), 1.0 - beta2)
                    col_sq.lerp_(squared.mean(dim=-2), 1.0 - beta2)
                    row_factor = (row_sq / row_sq.mean(dim=-1, keepdim=True)).rsqrt_().unsqueeze(-1)
                    update = grad.mul_(row_factor).mul_(col_sq.rsqrt().unsqueeze(-2))
                else:
                    state["sq"].lerp_(squared, 1.0 - beta2)
                    update = grad.mul_(state["sq"].rsqrt())
                rms = update.square().mean().sqrt()
                update.div_((rms / group["clip_threshold"]).clamp_(min=1.0))
                weight = param.float()
                if group["weight_decay"]:
                    weight.mul_(1 - group["lr"] * group["weight_decay"])
                weight.add_(update, alpha=-group["lr"])
                stochastic_round_(param, weight)
        return loss
