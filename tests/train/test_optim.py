"""bfloat16 optimizers: unbiased stochastic rounding, small updates that add up, the reference algorithms."""

import pytest
import torch
from transformers.optimization import Adafactor

from vtondata.train.optim import AdafactorBF16, AdamWBF16, stochastic_round_


def test_stochastic_rounding_picks_a_neighbour_and_is_right_on_average():
    value = torch.full((20_000,), 1.0 + 2**-10)  # a quarter of the way from 1 to the next bfloat16 (1 + 2^-7)
    target = torch.empty(20_000, dtype=torch.bfloat16)
    stochastic_round_(target, value, torch.Generator().manual_seed(0))
    assert set(target.float().unique().tolist()) == {1.0, 1.0 + 2**-7}
    assert target.float().mean().item() == pytest.approx(1.0 + 2**-10, abs=2e-4)
    assert value.to(torch.bfloat16).float().unique().tolist() == [1.0], "round to nearest loses it"


@pytest.mark.parametrize("optimizer_class", [AdamWBF16, AdafactorBF16])
def test_updates_far_below_bfloat16_resolution_accumulate(optimizer_class):
    """200 steps of about 1e-4 each move bfloat16 ones by about 0.02; plain AdamW leaves them at 1."""
    weights = torch.nn.Parameter(torch.ones(4096, dtype=torch.bfloat16))
    reference = torch.nn.Parameter(torch.ones(4096, dtype=torch.bfloat16))
    optimizer = optimizer_class([weights], lr=1e-4, weight_decay=0.0)
    plain = torch.optim.AdamW([reference], lr=1e-4, weight_decay=0.0)
    torch.manual_seed(0)
    for _ in range(200):
        for parameter in (weights, reference):
            parameter.grad = torch.ones_like(parameter)
        optimizer.step()
        plain.step()
    assert weights.dtype == torch.bfloat16
    assert weights.float().mean().item() == pytest.approx(1.0 - 200 * 1e-4, abs=2e-3)
    assert torch.all(reference.float() == 1.0)


def _train_steps(optimizer_factory, steps=5):
    torch.manual_seed(0)
    weights = torch.nn.Parameter(torch.randn(6, 5))
    bias = torch.nn.Parameter(torch.randn(5))
    optimizer = optimizer_factory([weights, bias])
    for step in range(steps):
        generator = torch.Generator().manual_seed(step)
        weights.grad = torch.randn(6, 5, generator=generator)
        bias.grad = torch.randn(5, generator=generator)
        optimizer.step()
    return weights.detach(), bias.detach()


def test_adamw_bf16_equals_torch_adamw_on_float32_weights():
    ours = _train_steps(lambda p: AdamWBF16(p, lr=1e-2, weight_decay=0.1))
    theirs = _train_steps(lambda p: torch.optim.AdamW(p, lr=1e-2, weight_decay=0.1))
    for a, b in zip(ours, theirs, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-6)


def test_adafactor_bf16_equals_transformers_adafactor_with_an_external_learning_rate_on_float32_weights():
    ours = _train_steps(lambda p: AdafactorBF16(p, lr=1e-2, weight_decay=0.1))
    theirs = _train_steps(
        lambda p: Adafactor(
            p, lr=1e-2, weight_decay=0.1, scale_parameter=False, relative_step=False, warmup_init=False
        )
    )
    for a, b in zip(ours, theirs, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_adafactor_keeps_factored_statistics_for_matrices():
    weights = torch.nn.Parameter(torch.zeros(300, 200, dtype=torch.bfloat16))
    optimizer = AdafactorBF16([weights])
    weights.grad = torch.ones_like(weights)
    optimizer.step()
    state = optimizer.state[weights]
    assert state["row_sq"].shape == (300,) and state["col_sq"].shape == (200,)


def test_factored_statistics_stay_float32_through_a_state_dict_round_trip():
    weights = torch.nn.Parameter(torch.ones(8, 4, dtype=torch.bfloat16))
    optimizer = AdafactorBF16([weights])
    weights.grad = torch.full_like(weights, 1e-3)
    optimizer.step()
    reloaded = AdafactorBF16([weights])
    reloaded.load_state_dict(optimizer.state_dict())
    for key in ("row_sq", "col_sq"):
        assert reloaded.state[weights][key].dtype == torch.float32
        assert torch.equal(reloaded.state[weights][key], optimizer.state[weights][key])
