"""OpenAI-ES: Salimans, Ho, Chen, Sidor & Sutskever (2017), "Evolution Strategies as a Scalable
Alternative to Reinforcement Learning".

An isotropic Gaussian with fixed ``sigma`` around the mean. Each generation samples ``P/2``
mirrored pairs ``mean +/- sigma * z``, shapes the fitness into centered ranks in ``[-0.5, 0.5]``,
estimates the gradient ``g = 1/(P sigma) sum_i F_i z_i`` (Algorithm 1), optionally subtracts an L2
penalty ``weight_decay * mean`` and hands ``g`` to an optimizer (Adam by default, as in the paper;
ClipUp or SGD with momentum selectable). Every moment of the optimizer lives in the State.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from neuroevo._checks import check_float
from neuroevo.strategies.base import Strategy
from neuroevo.strategies.optim import Optimizer, check_optimizer_settings
from neuroevo.strategies.search_gradient import (
    average_ties,
    check_even_population,
    mirrored_genomes,
    mirrored_gradient,
    mirrored_perturbations,
)
from neuroevo.strategies.shaping import centered_ranks, fitness_stats, sanitize_fitness
from neuroevo.strategies.termination import best_fields, check_patience, patience_stop


@dataclass(frozen=True)
class OpenAIESConfig:
    """Settings of OpenAI-ES. Defaults are tuned for small networks (weights of order 1)."""

    population_size: int = 50       # genomes per generation; even (mirrored pairs)
    sigma: float = 0.1              # fixed standard deviation of the search noise
    lr: float = 0.05                # optimizer step size
    optimizer: str = "adam"         # optimizer of the mean: adam | clipup | sgd
    momentum: float = 0.9           # velocity decay of clipup and sgd
    max_speed: float | None = None  # clipup's cap on the step norm; None: 2 * lr
    beta1: float = 0.9              # adam first-moment decay
    beta2: float = 0.999            # adam second-moment decay
    weight_decay: float = 0.0       # L2 coefficient: the gradient gets - weight_decay * mean
    patience: int | None = None        # stop after this many generations without a better best; None: never

    def __post_init__(self) -> None:
        owner = "OpenAIESConfig"
        check_patience(self.patience, owner)
        check_even_population(self.population_size, owner=owner)
        check_float("sigma", self.sigma, positive=True, owner=owner)
        check_optimizer_settings(optimizer=self.optimizer, lr=self.lr, momentum=self.momentum,
                                 max_speed=self.max_speed, beta1=self.beta1, beta2=self.beta2, owner=owner)
        check_float("weight_decay", self.weight_decay, minimum=0.0, owner=owner)


@dataclass(frozen=True)
class OpenAIESState:
    mean: np.ndarray                # (D,) float64 centre of the search distribution
    opt_m: np.ndarray               # (D,) adam first moment, or the clipup/sgd velocity
    opt_v: np.ndarray | None        # (D,) adam second moment; None for clipup and sgd
    opt_step: int = 0               # optimizer steps taken (adam bias correction)
    generation: int = 0
    best_genome: np.ndarray | None = None  # (D,) float64 best genome so far (None before any finite fitness)
    best_fitness: float = -math.inf        # its fitness
    stale: int = 0                         # generations since best_fitness last improved


class OpenAIES(Strategy[OpenAIESConfig, OpenAIESState]):
    """Mirrored-sampling evolution strategy with centered-rank shaping (see the module docstring)."""

    Config = OpenAIESConfig
    State = OpenAIESState

    def __init__(self, config: OpenAIESConfig | None = None, *, num_params: int, **settings):
        super().__init__(config, num_params=num_params, **settings)
        cfg = self.config
        self.optimizer = Optimizer(cfg.optimizer, cfg.lr, momentum=cfg.momentum, max_speed=cfg.max_speed,
                                   beta1=cfg.beta1, beta2=cfg.beta2)

    def init(self, x0=None) -> OpenAIESState:
        """State centred on ``x0`` (float64 ``(D,)``, zeros when None) with zero optimizer moments."""
        m, v = self.optimizer.init_moments(self.num_params)
        return OpenAIESState(mean=self._x0(x0), opt_m=m, opt_v=v)

    def ask(self, state: OpenAIESState, rng: np.random.Generator) -> tuple[np.ndarray, OpenAIESState]:
        """Sample ``P/2`` mirrored pairs: float64 ``(P, D)`` genomes; the state is returned unchanged."""
        z = rng.standard_normal((self.population_size // 2, self.num_params))
        return mirrored_genomes(state.mean, self.config.sigma * z), state

    def tell(self, state: OpenAIESState, genomes, fitness) -> tuple[OpenAIESState, dict]:
        """Move the mean along the estimated fitness gradient.

        Args:
            state: the state ``ask`` returned.
            genomes: float64 ``(P, D)``, exactly as ``ask`` returned them.
            fitness: ``(P,)``, higher is better; NaN/inf are ranked last.

        Returns:
            The new state and metrics: fitness summary, ``sigma``, ``lr``, ``grad_norm``,
            ``update_norm``, ``mean_norm``.
        """
        genomes = self._check_genomes(genomes)
        fitness = sanitize_fitness(fitness, self.population_size, owner="OpenAIES.tell")
        cfg = self.config
        metrics = fitness_stats(fitness) | {"sigma": cfg.sigma, "lr": cfg.lr}
        if not np.isfinite(fitness).any():          # nothing to learn from: keep the distribution
            return (replace(state, generation=state.generation + 1),
                    metrics | {"grad_norm": 0.0, "update_norm": 0.0,
                               "mean_norm": float(np.linalg.norm(state.mean))})
        weights = average_ties(centered_ranks(fitness), fitness)            # the paper's fitness shaping
        z = mirrored_perturbations(genomes, state.mean, owner="OpenAIES.tell") / cfg.sigma
        grad = mirrored_gradient(weights, z) / cfg.sigma                    # 1/(P sigma) sum_i F_i z_i
        if cfg.weight_decay:
            grad = grad - cfg.weight_decay * state.mean                     # L2 penalty on the mean
        step = state.opt_step + 1
        update, m, v = self.optimizer.step(grad, state.opt_m, state.opt_v, step)
        mean = state.mean + update
        new = replace(state, mean=mean, opt_m=m, opt_v=v, opt_step=step, generation=state.generation + 1,
                      **best_fields(state, genomes, fitness))
        return new, metrics | {"grad_norm": float(np.linalg.norm(grad)),
                               "update_norm": float(np.linalg.norm(update)),
                               "mean_norm": float(np.linalg.norm(mean))}

    def stop(self, state: OpenAIESState) -> tuple[str, ...]:
        """``("noimprovement",)`` after ``patience`` generations without a better best, else ``()``."""
        return patience_stop(state, self.config.patience)
