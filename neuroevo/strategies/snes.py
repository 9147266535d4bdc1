"""SNES: separable natural evolution strategies, Schaul, Glasmachers & Schmidhuber (2011),
"High Dimensions and Heavy Tails for Natural Evolution Strategies", GECCO.

A separable Gaussian ``N(mean, diag(sigma^2))``. Each generation samples ``s_k ~ N(0, I)``,
evaluates ``z_k = mean + sigma * s_k``, turns the fitness into the NES log-rank utilities ``u_k``
(zero-sum, best highest) and follows the natural gradient:

- ``grad_mean  = sum_k u_k s_k``,  ``grad_sigma = sum_k u_k (s_k^2 - 1)``
- ``mean  <- mean + lr_mean * sigma * grad_mean``
- ``sigma <- sigma * exp(lr_sigma / 2 * grad_sigma)``

Defaults are the paper's: ``population_size = 4 + floor(3 ln D)``, ``lr_mean = 1``,
``lr_sigma = (3 + ln D) / (5 sqrt D)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from neuroevo._checks import check_float, check_int
from neuroevo.strategies.base import Strategy
from neuroevo.strategies.search_gradient import average_ties
from neuroevo.strategies.shaping import fitness_stats, nes_utilities, sanitize_fitness
from neuroevo.strategies.termination import best_fields, check_patience, patience_stop


@dataclass(frozen=True)
class SNESConfig:
    """Settings of SNES. ``None`` fields take the paper's defaults for ``D`` parameters."""

    population_size: int | None = None  # genomes per generation; None: 4 + floor(3 ln D)
    lr_mean: float = 1.0                # step size of the mean
    lr_sigma: float | None = None       # step size of log sigma; None: (3 + ln D) / (5 sqrt D)
    sigma_init: float = 1.0             # initial standard deviation of every parameter
    patience: int | None = None        # stop after this many generations without a better best; None: never

    def __post_init__(self) -> None:
        owner = "SNESConfig"
        check_patience(self.patience, owner)
        if self.population_size is not None:
            check_int("population_size", self.population_size, minimum=2, owner=owner)
        check_float("lr_mean", self.lr_mean, positive=True, owner=owner)
        if self.lr_sigma is not None:
            check_float("lr_sigma", self.lr_sigma, positive=True, owner=owner)
        check_float("sigma_init", self.sigma_init, positive=True, owner=owner)


@dataclass(frozen=True)
class SNESState:
    mean: np.ndarray                    # (D,) float64 centre
    sigma: np.ndarray                   # (D,) float64 per-parameter standard deviation
    generation: int = 0
    best_genome: np.ndarray | None = None  # (D,) float64 best genome so far (None before any finite fitness)
    best_fitness: float = -math.inf        # its fitness
    stale: int = 0                         # generations since best_fitness last improved


def default_population_size(num_params: int) -> int:
    """The paper's population size ``4 + floor(3 ln D)``."""
    return 4 + int(math.floor(3.0 * math.log(num_params)))


def default_lr_sigma(num_params: int) -> float:
    """The paper's sigma learning rate ``(3 + ln D) / (5 sqrt D)``."""
    return (3.0 + math.log(num_params)) / (5.0 * math.sqrt(num_params))


class SNES(Strategy[SNESConfig, SNESState]):
    """Separable NES with log-rank utilities (see the module docstring).

    Attributes:
        lr_sigma: the resolved sigma learning rate (the config's, or the paper's default for ``D``).
    """

    Config = SNESConfig
    State = SNESState

    def __init__(self, config: SNESConfig | None = None, *, num_params: int, **settings):
        super().__init__(config, num_params=num_params, **settings)
        lr = self.config.lr_sigma
        self.lr_sigma: float = default_lr_sigma(self.num_params) if lr is None else lr

    @property
    def population_size(self) -> int:
        """The config's population size, or ``4 + floor(3 ln D)`` when it is None."""
        p = self.config.population_size
        return default_population_size(self.num_params) if p is None else p

    def init(self, x0=None) -> SNESState:
        """State centred on ``x0`` (float64 ``(D,)``, zeros when None), every sigma ``sigma_init``."""
        return SNESState(mean=self._x0(x0), sigma=np.full(self.num_params, self.config.sigma_init))

    def ask(self, state: SNESState, rng: np.random.Generator) -> tuple[np.ndarray, SNESState]:
        """Sample float64 ``(P, D)`` genomes ``mean + sigma * s``; the state is returned unchanged."""
        s = rng.standard_normal((self.population_size, self.num_params))
        return state.mean + state.sigma * s, state

    def tell(self, state: SNESState, genomes, fitness) -> tuple[SNESState, dict]:
        """Natural-gradient step on the mean and log sigma.

        Args:
            state: the state ``ask`` returned.
            genomes: float64 ``(P, D)`` as ``ask`` returned them.
            fitness: ``(P,)``, higher is better; NaN/inf are ranked last.

        Returns:
            The new state and metrics: fitness summary, ``sigma_mean``, ``sigma_min``,
            ``sigma_max``, ``lr_sigma``.
        """
        genomes = self._check_genomes(genomes)
        fitness = sanitize_fitness(fitness, self.population_size, owner="SNES.tell")
        if not np.isfinite(fitness).any():          # nothing to learn from: keep the distribution
            new = replace(state, generation=state.generation + 1)
        else:
            u = average_ties(nes_utilities(fitness), fitness)           # tied genomes share a utility
            s = (genomes - state.mean) / state.sigma                    # the standard-normal samples
            grad_mean = u @ s                                           # sum_k u_k s_k
            grad_sigma = u @ (s * s - 1.0)                              # sum_k u_k (s_k^2 - 1)
            mean = state.mean + self.config.lr_mean * state.sigma * grad_mean
            sigma = state.sigma * np.exp(0.5 * self.lr_sigma * grad_sigma)
            new = replace(state, mean=mean, sigma=sigma, generation=state.generation + 1,
                          **best_fields(state, genomes, fitness))
        return new, fitness_stats(fitness) | {"sigma_mean": float(new.sigma.mean()),
                                              "sigma_min": float(new.sigma.min()),
                                              "sigma_max": float(new.sigma.max()),
                                              "lr_sigma": self.lr_sigma}

    def stop(self, state: SNESState) -> tuple[str, ...]:
        """``("noimprovement",)`` after ``patience`` generations without a better best, else ``()``."""
        return patience_stop(state, self.config.patience)
