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

The rounding noise of a parameter at a step comes from a generator seeded
with ``(seed, step, parameter index)``, not from the global RNG: every
process of a data-parallel run then rounds its replica identically (the
replicas stay equal), and a resumed run rounds as the uninterrupted one did.
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


class _RoundingOptimizer(torch.optim.Optimizer):
    """Loops over parameters with gradients; subclasses update one parameter in float32."""

    def __init__(self, params: Iterable[torch.nn.Parameter], defaults: dict, seed: int) -> None:
        super().__init__(params, defaults)
        self.seed = seed

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        loss = None if closure is None else closure()
        index = 0
        for group in self.param_groups:
            for param in group["params"]:
                index += 1
                if param.grad is None:
                    continue
                state = self.state[param]
                if not state:
                    state["step"] = torch.zeros((), dtype=torch.float32)
                    self._init_state(param, state)
                state["step"] += 1
                step = int(state["step"].item())
                generator = None
                if param.dtype == torch.bfloat16:
                    generator = torch.Generator(device=param.device)
                    generator.manual_seed(hash((self.seed, step, index)) & (2**63 - 1))
                self._update(param, state, group, step, generator)
        return loss

    float32_state: tuple[str, ...] = ()
    """State kept in float32 whatever the parameter's dtype."""

    def load_state_dict(self, state_dict: dict) -> None:
        """torch casts floating state to its parameter's dtype on loading; undo that for float32 state."""
        super().load_state_dict(state_dict)
        params = [param for group in self.param_groups for param in group["params"]]
        for number, saved in state_dict["state"].items():
            state = self.state[params[number]]
            for key in self.float32_state:
                if key in saved:
                    state[key] = saved[key].to(device=params[number].device, dtype=torch.float32)

    def _init_state(self, param: torch.nn.Parameter, state: dict) -> None:
        raise NotImplementedError

    def _update(
        self,
        param: torch.nn.Parameter,
        state: dict,
        group: dict,
        step: int,
        generator: torch.Generator | None,
    ) -> None:
        raise NotImplementedError


class AdamWBF16(_RoundingOptimizer):
    """AdamW (decoupled weight decay, bias correction) whose weights and moments may be bfloat16."""

    def __init__(
        self,
        params: Iterable[torch.nn.Parameter],
        lr: float = 1e-5,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        seed: int = 0,
    ) -> None:
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults, seed)

    def _init_state(self, param: torch.nn.Parameter, state: dict) -> None:
        state["exp_avg"] = torch.zeros_like(param)
        state["exp_avg_sq"] = torch.zeros_like(param)

    def _update(
        self,
        param: torch.nn.Parameter,
        state: dict,
        group: dict,
        step: int,
        generator: torch.Generator | None,
    ) -> None:
        beta1, beta2 = group["betas"]
        assert param.grad is not None
        grad = param.grad.float()
        exp_avg = state["exp_avg"].float().lerp_(grad, 1 - beta1)
        exp_avg_sq = state["exp_avg_sq"].float().mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        denominator = (exp_avg_sq / (1 - beta2**step)).sqrt_().add_(group["eps"])
        weight = param.float().mul_(1 - group["lr"] * group["weight_decay"])
        weight.addcdiv_(exp_avg, denominator, value=-group["lr"] / (1 - beta1**step))
        stochastic_round_(state["exp_avg"], exp_avg, generator)
        stochastic_round_(state["exp_avg_sq"], exp_avg_sq, generator)
        stochastic_round_(param, weight, generator)


class AdafactorBF16(_RoundingOptimizer):
    """Adafactor with an external learning rate: factored second moments, no momentum, update clipping.

    The second-moment decay follows the paper, ``beta2_t = 1 - t^decay_rate``
    (``decay_rate = -0.8``); matrices keep one running mean of squared
    gradients per row and per column, other tensors a full one, all in
    float32. The update ``grad / sqrt(v)`` is scaled down when its RMS
    exceeds ``clip_threshold``. This is ``transformers.optimization.Adafactor``
    with ``relative_step=False, scale_parameter=False, beta1=None``.
    """

    float32_state = ("row_sq", "col_sq", "sq")

    def __init__(
        self,
        params: Iterable[torch.nn.Parameter],
        lr: float = 1e-5,
        eps: float = 1e-30,
        clip_threshold: float = 1.0,
        decay_rate: float = -0.8,
        weight_decay: float = 0.0,
        seed: int = 0,
    ) -> None:
        defaults = {
            "lr": lr,
            "eps": eps,
            "clip_threshold": clip_threshold,
            "decay_rate": decay_rate,
            "weight_decay": weight_decay,
        }
        super().__init__(params, defaults, seed)

    def _init_state(self, param: torch.nn.Parameter, state: dict) -> None:
        if param.dim() >= 2:
            state["row_sq"] = torch.zeros(param.shape[:-1], device=param.device)
            state["col_sq"] = torch.zeros(param.shape[:-2] + param.shape[-1:], device=param.device)
        else:
            state["sq"] = torch.zeros(param.shape, device=param.device)

    def _update(
        self,
        param: torch.nn.Parameter,
        state: dict,
        group: dict,
        step: int,
        generator: torch.Generator | None,
    ) -> None:
        assert param.grad is not None
        grad = param.grad.to(torch.float32, copy=True)
        beta2 = 1.0 - math.pow(step, group["decay_rate"])
        squared = grad.square().add_(group["eps"])
        if "row_sq" in state:
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
        stochastic_round_(param, weight, generator)
