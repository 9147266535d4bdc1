"""The ask/tell interface every strategy implements.

A strategy is built from a frozen config dataclass and ``num_params``. Its state is a
frozen dataclass that is never mutated in place: ``ask`` and ``tell`` return new states.
Strategies see only ``(P, D)`` genomes and ``(P,)`` fitness (higher is better).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import fields, is_dataclass
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np

from neuroevo._checks import check_genomes, check_int, check_vector

C = TypeVar("C")
S = TypeVar("S")


class Strategy(ABC, Generic[C, S]):
    """Base class: ``init`` -> (``ask`` -> evaluate -> ``tell``) repeated.

    Args:
        config: an instance of ``cls.Config``; or leave it out and pass its fields as keywords.
        num_params: genome length ``D``.

    Subclasses set ``Config`` and ``State`` (frozen dataclasses; every Config has
    ``population_size``) and implement :meth:`init`, :meth:`ask` and :meth:`tell`.
    """

    Config: ClassVar[type]
    State: ClassVar[type]
    #: Smallest population the method can work with.
    min_population: ClassVar[int] = 2

    def __init__(self, config: C | None = None, *, num_params: int, **settings: Any):
        name = type(self).__name__
        self.num_params = check_int("num_params", num_params, minimum=1, owner=name)
        if config is None:
            config = self.Config(**settings)
        elif settings:
            raise TypeError(f"{name}: pass either a {self.Config.__name__} or keyword settings, not both; "
                            f"got config and {sorted(settings)}")
        if not isinstance(config, self.Config):
            raise TypeError(f"{name}: config must be a {self.Config.__name__}; got {type(config).__name__}")
        self.config: C = config
        check_int("population_size", self.population_size, minimum=self.min_population,
                  owner=self.Config.__name__)

    @property
    def population_size(self) -> int:
        return self.config.population_size

    def _x0(self, x0) -> np.ndarray:
        """The starting point as a fresh float64 ``(D,)`` array (zeros when ``x0`` is None)."""
        if x0 is None:
            return np.zeros(self.num_params)
        return check_vector("x0", x0, self.num_params)

    def _check_genomes(self, genomes) -> np.ndarray:
        g = check_genomes(genomes, self.num_params)
        if g.shape[0] != self.population_size:
            raise ValueError(f"{type(self).__name__}.tell: genomes must have shape "
                             f"({self.population_size}, {self.num_params}), the array ask() returned; "
                             f"got {g.shape}")
        return g

    @abstractmethod
    def init(self, x0=None) -> S:
        """Initial state centred on ``x0`` (float64 ``(D,)``; zeros when None). Draws nothing."""

    @abstractmethod
    def ask(self, state: S, rng: np.random.Generator) -> tuple[np.ndarray, S]:
        """Sample a generation: float64 ``(P, D)`` genomes and the state to pass to ``tell``."""

    @abstractmethod
    def tell(self, state: S, genomes: np.ndarray, fitness: np.ndarray) -> tuple[S, dict]:
        """Update from the fitness (higher is better) of the genomes ``ask`` returned.

        Returns:
            The new state and a dict of float metrics for the run log.
        """

    def stop(self, state: S) -> tuple[str, ...]:
        """Names of the termination criteria ``state`` meets; empty while the search should go on.

        The default has none. What a stop does to a run (end it, restart, nothing) is up to the caller.
        """
        return ()

    def best(self, state: S) -> tuple[np.ndarray | None, float]:
        """The best genome the state has seen and its fitness (``(None, -inf)`` if it keeps none)."""
        return getattr(state, "best_genome", None), float(getattr(state, "best_fitness", -np.inf))

    @classmethod
    def state_bytes(cls, population_size: int, num_params: int) -> int:
        """Bytes of state beyond a few copies of the population (for a run's memory estimate)."""
        return 0

    def mean(self, state: S) -> np.ndarray:
        """The strategy's current point estimate (search mean, or best parent for GAs)."""
        return np.asarray(state.mean)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.config!r}, num_params={self.num_params})"


def state_to_arrays(state) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Split a state dataclass into arrays (for npz) and JSON scalars; ``None`` fields go to JSON."""
    if not is_dataclass(state):
        raise TypeError(f"state must be a dataclass instance; got {type(state).__name__}")
    arrays, scalars = {}, {}
    for f in fields(state):
        v = getattr(state, f.name)
        if isinstance(v, np.ndarray):
            arrays[f.name] = v
        elif isinstance(v, np.generic):
            scalars[f.name] = v.item()
        else:
            scalars[f.name] = v
    return arrays, scalars


def state_from_arrays(cls: type, arrays: dict[str, np.ndarray], scalars: dict[str, Any]):
    """Inverse of :func:`state_to_arrays`."""
    names = {f.name for f in fields(cls)}
    values = {k: np.array(v) for k, v in arrays.items()} | dict(scalars)
    unknown = set(values) - names
    if unknown:
        raise ValueError(f"checkpoint state holds fields {sorted(unknown)} that {cls.__name__} does not have")
    return cls(**values)

