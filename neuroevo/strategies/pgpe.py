"""PGPE: Sehnke, Osendorfer, Rückstieß, Graves, Peters & Schmidhuber (2010), "Parameter-exploring
policy gradients", Neural Networks 23(4), with symmetric sampling; the centre is driven by ClipUp
as in Toklu, Liskowski & Srivastava (2020), "ClipUp: A Simple and Powerful Optimizer for
Distribution-based Policy Evolution".

A separable Gaussian ``N(mean, diag(sigma^2))``. Each generation samples ``P/2`` perturbations
``eps ~ N(0, diag(sigma^2))`` and evaluates the pairs ``mean +/- eps``. With the fitness shaped
into centered ranks ``r`` (baseline ``b`` = their mean, 0):

- centre:  ``g_mean  = 1/n sum_j (r+_j - r-_j) / 2 * eps_j``, followed by the optimizer;
- spread:  ``g_sigma = 1/n sum_j ((r+_j + r-_j) / 2 - b) * (eps_j^2 - sigma^2) / sigma``,
  ``sigma += lr_sigma * g_sigma``, each entry changing by at most ``sigma_max_change * sigma``
  per generation and kept inside ``[sigma_min, sigma_max]``.

The sigma settings follow EvoTorch's PGPE (``stdev_learning_rate`` 0.1, ``stdev_max_change`` 0.2)
and ClipUp's ``max_speed`` defaults to ``2 * lr_mean`` (Toklu et al. 2020). ``lr_mean = 0.15`` and
``sigma_init = 0.1`` suit networks whose weights are of order 1. ClipUp moves the centre at a
speed that does not shrink near an optimum, so the centre settles within about ``max_speed`` of
it; for precise convergence use ``optimizer="sgd"`` (steps proportional to sigma) or decrease
``lr_mean``.
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
    split_mirrored,
)
from neuroevo.strategies.shaping import centered_ranks, fitness_stats, sanitize_fitness
from neuroevo.strategies.termination import best_fields, check_patience, patience_stop


@dataclass(frozen=True)
class PGPEConfig:
    """Settings of PGPE. Defaults are tuned for small networks (weights of order 1)."""

    population_size: int = 50          # genomes per generation; even (symmetric pairs)
    lr_mean: float = 0.15              # optimizer step size for the centre
    optimizer: str = "clipup"          # optimizer of the mean: adam | clipup | sgd
    momentum: float = 0.9              # velocity decay of clipup and sgd
    max_speed: float | None = None     # clipup's cap on the step norm; None: 2 * lr_mean
    beta1: float = 0.9                 # adam first-moment decay
    beta2: float = 0.999               # adam second-moment decay
    sigma_init: float = 0.1            # initial standard deviation of every parameter
    lr_sigma: float = 0.1              # step size of the sigma gradient
    sigma_max_change: float = 0.2      # largest relative change of each sigma per generation
    sigma_min: float = 1e-8            # lower bound of every sigma
    sigma_max: float | None = None     # upper bound of every sigma; None: unbounded
    patience: int | None = None        # stop after this many generations without a better best; None: never

    def __post_init__(self) -> None:
        owner = "PGPEConfig"
        check_patience(self.patience, owner)
        check_even_population(self.population_size, owner=owner)
        check_optimizer_settings(optimizer=self.optimizer, lr=self.lr_mean, momentum=self.momentum,
                                 max_speed=self.max_speed, beta1=self.beta1, beta2=self.beta2,
                                 owner=owner, lr_name="lr_mean")
        check_float("sigma_init", self.sigma_init, positive=True, owner=owner)
        check_float("lr_sigma", self.lr_sigma, minimum=0.0, owner=owner)
        check_float("sigma_max_change", self.sigma_max_change, positive=True, maximum=1.0, owner=owner)
        check_float("sigma_min", self.sigma_min, positive=True, owner=owner)
        if self.sigma_max is not None:
            check_float("sigma_max", self.sigma_max, positive=True, owner=owner)
        upper = np.inf if self.sigma_max is None else self.sigma_max
        if not self.sigma_min <= self.sigma_init <= upper:
            raise ValueError(f"{owner}: sigma_init must lie in [sigma_min, sigma_max] = "
                             f"[{self.sigma_min}, {self.sigma_max}]; got {self.sigma_init}. "
                             f"Change sigma_init or the bounds")


@dataclass(frozen=True)
class PGPEState:
    mean: np.ndarray                   # (D,) float64 centre
    sigma: np.ndarray                  # (D,) float64 per-parameter standard deviation
    opt_m: np.ndarray                  # (D,) clipup/sgd velocity, or adam first moment
    opt_v: np.ndarray | None           # (D,) adam second moment; None for clipup and sgd
    opt_step: int = 0                  # optimizer steps taken
    generation: int = 0
    best_genome: np.ndarray | None = None  # (D,) float64 best genome so far (None before any finite fitness)
    best_fitness: float = -math.inf        # its fitness
    stale: int = 0                         # generations since best_fitness last improved


class PGPE(Strategy[PGPEConfig, PGPEState]):
    """Symmetric-sampling PGPE with per-parameter sigma and ClipUp (see the module docstring)."""

    Config = PGPEConfig
    State = PGPEState

    def __init__(self, config: PGPEConfig | None = None, *, num_params: int, **settings):
        super().__init__(config, num_params=num_params, **settings)
        cfg = self.config
        self.optimizer = Optimizer(cfg.optimizer, cfg.lr_mean, momentum=cfg.momentum,
                                   max_speed=cfg.max_speed, beta1=cfg.beta1, beta2=cfg.beta2)
        self.sigma_max = np.inf if cfg.sigma_max is None else cfg.sigma_max

    def init(self, x0=None) -> PGPEState:
        """State centred on ``x0`` (float64 ``(D,)``, zeros when None), every sigma ``sigma_init``."""
        m, v = self.optimizer.init_moments(self.num_params)
        return PGPEState(mean=self._x0(x0), sigma=np.full(self.num_params, self.config.sigma_init),
                         opt_m=m, opt_v=v)

    def ask(self, state: PGPEState, rng: np.random.Generator) -> tuple[np.ndarray, PGPEState]:
        """Sample ``P/2`` symmetric pairs: float64 ``(P, D)`` genomes; the state is returned unchanged."""
        z = rng.standard_normal((self.population_size // 2, self.num_params))
        return mirrored_genomes(state.mean, state.sigma * z), state

    def tell(self, state: PGPEState, genomes, fitness) -> tuple[PGPEState, dict]:
        """Update the centre (optimizer step) and the per-parameter sigma.

        Args:
            state: the state ``ask`` returned.
            genomes: float64 ``(P, D)``, exactly as ``ask`` returned them.
            fitness: ``(P,)``, higher is better; NaN/inf are ranked last.

        Returns:
            The new state and metrics: fitness summary, ``sigma_mean``, ``sigma_min``,
            ``sigma_max``, ``grad_norm``, ``update_norm``.
        """
        genomes = self._check_genomes(genomes)
        fitness = sanitize_fitness(fitness, self.population_size, owner="PGPE.tell")
        cfg = self.config
        if not np.isfinite(fitness).any():          # nothing to learn from: keep the distribution
            new = replace(state, generation=state.generation + 1)
            return new, self._metrics(fitness, new, 0.0, 0.0)
        weights = average_ties(centered_ranks(fitness), fitness)
        eps = mirrored_perturbations(genomes, state.mean, owner="PGPE.tell")       # (n, D)
        grad_mean = mirrored_gradient(weights, eps)          # 1/n sum (r+ - r-)/2 eps
        plus, minus = split_mirrored(weights)
        baseline = weights.mean()
        grad_sigma = ((0.5 * (plus + minus) - baseline)
                      @ ((eps * eps - state.sigma ** 2) / state.sigma)) / eps.shape[0]
        step = state.opt_step + 1
        update, m, v = self.optimizer.step(grad_mean, state.opt_m, state.opt_v, step)
        limit = cfg.sigma_max_change * state.sigma           # relative change capped per generation
        sigma = np.clip(state.sigma + cfg.lr_sigma * grad_sigma, state.sigma - limit, state.sigma + limit)
        sigma = np.clip(sigma, cfg.sigma_min, self.sigma_max)
        new = replace(state, mean=state.mean + update, sigma=sigma, opt_m=m, opt_v=v, opt_step=step,
                      generation=state.generation + 1, **best_fields(state, genomes, fitness))
        return new, self._metrics(fitness, new, float(np.linalg.norm(grad_mean)),
                                  float(np.linalg.norm(update)))

    def stop(self, state: PGPEState) -> tuple[str, ...]:
        """``("noimprovement",)`` after ``patience`` generations without a better best, else ``()``."""
        return patience_stop(state, self.config.patience)

    @staticmethod
    def _metrics(fitness: np.ndarray, state: PGPEState, grad_norm: float, update_norm: float) -> dict:
        return fitness_stats(fitness) | {"sigma_mean": float(state.sigma.mean()),
                                         "sigma_min": float(state.sigma.min()),
                                         "sigma_max": float(state.sigma.max()),
                                         "grad_norm": grad_norm, "update_norm": update_norm}
