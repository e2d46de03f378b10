"""The stage contract that both runners rely on.

A stage is a plain class: ``setup()`` loads what is heavy once per worker,
``process_batch()`` enriches samples in place and returns them in the same
order, ``teardown()`` releases resources. Nothing heavy happens in
``__init__``, so a stage pickles cheaply and can be shipped to a Ray actor.
Stages never import Ray; the runner reads :class:`Resources` to place them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from vtondata.backends.base import predict_accepted
from vtondata.sample import Sample

ResultT = TypeVar("ResultT")


@dataclass(frozen=True)
class Resources:
    """What a stage needs from its runner, as data.

    ``stateful`` stages (those with models loaded in ``setup``) run in
    long-lived workers (Ray actors); the others run as plain tasks.
    """

    num_cpus: float = 1.0
    num_gpus: float = 0.0
    batch_size: int = 8
    stateful: bool = False

    @classmethod
    def for_model(cls, backend: object, batch_size: int) -> Resources:
        """A model stage's needs: one GPU when its backend was placed on CUDA at planning, else none.

        The backend's ``device`` attribute (``"cuda:0"``, ``"cpu"``) was decided
        when the recipe was built into stages, so runners never probe for GPUs.
        """
        on_gpu = str(getattr(backend, "device", "cpu")).startswith("cuda")
        return cls(num_cpus=1, num_gpus=1 if on_gpu else 0, batch_size=batch_size, stateful=True)


class Stage:
    """Base class with the skip-if-rejected loop; subclasses write ``process_sample``.

    Stages that batch across images (a model forward pass over several photos)
    override ``process_batch`` instead and must keep order and length.
    """

    name: ClassVar[str] = "stage"
    resources: Resources = Resources()

    def setup(self) -> None:
        """Load models or other heavy state; must be idempotent."""

    def teardown(self) -> None:
        """Release what ``setup`` acquired."""

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        for sample in samples:
            if sample.accepted:
                self.process_sample(sample)
        return samples

    def process_sample(self, sample: Sample) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement process_sample")


class ModelStage(Stage, Generic[ResultT]):
    """A stage that calls one model backend per batch on the accepted samples.

    The backend loads in ``setup`` (once per worker), is called once per batch
    through :func:`~vtondata.backends.base.predict_accepted`, and each sample
    gets its result in ``apply``. Subclasses write ``predict`` and ``apply``;
    the resources follow the backend's device and the config's batch size.
    """

    def __init__(self, config: Any, backend: Any) -> None:
        self.config = config
        self.backend = backend
        self.resources = Resources.for_model(backend, config.batch_size)

    def setup(self) -> None:
        self.backend.load()

    def teardown(self) -> None:
        self.backend.close()

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        for sample, result in predict_accepted(samples, self.predict, self.backend.name):
            self.apply(sample, result)
        return samples

    def predict(self, samples: list[Sample]) -> list[ResultT]:
        """One backend call for the accepted ``samples``; one result each, in order."""
        raise NotImplementedError(f"{type(self).__name__} must implement predict")

    def apply(self, sample: Sample, result: ResultT) -> None:
        """Record ``result`` on ``sample``: fields, statistics, provenance, or a rejection."""
        raise NotImplementedError(f"{type(self).__name__} must implement apply")
