"""Which runner a build picks: explicit choices win, small or single-CPU runs stay in-process."""

import pytest

from vtondata.config.runner import RunnerConfig
from vtondata.errors import RecipeError
from vtondata.runners.choice import choose_runner

AUTO = RunnerConfig()


def test_small_runs_stay_local_and_say_why():
    choice = choose_runner(None, AUTO, inputs=10, cpus=8)
    assert choice.kind == "local"
    assert "10 inputs" in choice.reason and "ray_min_inputs 500" in choice.reason


def test_large_runs_on_several_cpus_use_ray():
    assert choose_runner(None, AUTO, inputs=500, cpus=3).kind == "ray"
    assert choose_runner(None, AUTO, inputs=499, cpus=3).kind == "local"


def test_one_or_two_cpus_stay_local_whatever_the_size():
    choice = choose_runner(None, AUTO, inputs=100_000, cpus=1)
    assert (choice.kind, choice.reason) == ("local", "auto: one CPU < runner.ray_min_cpus 3")
    choice = choose_runner(None, AUTO, inputs=100_000, cpus=2)
    assert (choice.kind, choice.reason) == ("local", "auto: 2 CPUs < runner.ray_min_cpus 3")
    assert choose_runner(None, RunnerConfig(ray_min_cpus=2), inputs=100_000, cpus=2).kind == "ray"


def test_a_cluster_address_means_ray():
    assert choose_runner(None, AUTO, inputs=3, ray_address="ray://head:10001", cpus=1).kind == "ray"
    assert choose_runner(None, RunnerConfig(address="auto"), inputs=3, cpus=1).kind == "ray"


def test_explicit_choices_win_over_auto():
    assert choose_runner("ray", AUTO, inputs=1, cpus=1).reason == "--runner ray"
    assert choose_runner("local", AUTO, inputs=10**6, ray_address="x:1", cpus=64).kind == "local"
    recipe_ray = RunnerConfig(kind="ray")
    assert choose_runner(None, recipe_ray, inputs=1, cpus=1).reason == "recipe runner.kind ray"
    assert choose_runner("auto", recipe_ray, inputs=1, cpus=8).kind == "local"


def test_the_threshold_is_a_recipe_value():
    assert choose_runner(None, RunnerConfig(ray_min_inputs=5), inputs=5, cpus=4).kind == "ray"


def test_unknown_runner_is_a_recipe_error():
    with pytest.raises(RecipeError, match="unknown runner 'fast'"):
        choose_runner("fast", AUTO, inputs=1, cpus=2)
