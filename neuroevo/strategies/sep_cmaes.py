"""Separable CMA-ES: CMA-ES with a diagonal covariance matrix.

R. Ros and N. Hansen, "A Simple Modification in CMA-ES Achieving Linear Time and Space Complexity"
(PPSN 2008). The covariance matrix is restricted to its diagonal ``c`` (``C = diag(c)``), so sampling
and the update cost O(P D) per generation and no eigendecomposition is needed. Because the diagonal
has only ``D`` degrees of freedom instead of ``D (D + 1) / 2``, the covariance learning rates are
multiplied by ``(D + 2) / 3`` (Ros & Hansen 2008, Sect. 3). Everything else (weights, step-size
adaptation, paths, the optional active negative weights) is the full CMA-ES of
:mod:`neuroevo.strategies.cmaes`, whose helpers this module reuses; equation numbers refer to
Hansen's tutorial (arXiv:1604.00772) as there.

Separable CMA-ES learns coordinate-wise scales only: it is fast on (nearly) separable problems and
in large dimension, but it cannot learn correlations between genes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from neuroevo.strategies.base import Strategy
from neuroevo.strategies.cmaes import (
    bounded_sigma,
    check_cma_settings,
    check_cma_stop_settings,
    cma_parameters,
    cma_paths,
    cma_stop,
    default_population_size,
    empty_history,
    history_length,
    rank_mu_coefficients,
    resolve_mu,
    scale_factor,
)
from neuroevo.strategies.shaping import fitness_stats, rank_order, sanitize_fitness
from neuroevo.strategies.termination import tracked_fields


@dataclass(frozen=True)
class SepCMAESConfig:
    """Settings of separable CMA-ES. None means the default of the tutorial's Table 1."""

    population_size: int | None = None   # genomes per generation (lambda); None: 4 + floor(3 ln D)
    sigma0: float = 0.5                  # initial step size, about a quarter of the range of good genomes
    mu: int | None = None                # parents with positive weight; None: population_size // 2
    active: bool = True                  # active CMA: negative weights for the worst genomes
    max_condition: float = 1e14          # cap on max(c) / min(c), the condition number of diag(c)
    tolfun: float = 1e-12                # stop when recent best and current fitness lie within this; 0: off
    tolx: float = 1e-11                  # stop when every sigma sqrt(c_i) and sigma p_c is below this; 0: off
    tolupsigma: float = 1e20             # stop when sigma / sigma0 > this * sqrt(max c); 0: off
    tolconditioncov: float = 1e14        # stop when max(c) / min(c) reaches this; 0: off
    stagnation: bool = True              # stop when best and median fitness stopped improving
    noeffect: bool = True                # stop when a step along a coordinate no longer moves the mean

    def __post_init__(self) -> None:
        check_cma_settings("SepCMAESConfig", self.population_size, self.sigma0, self.mu, self.active,
                           self.max_condition)
        check_cma_stop_settings("SepCMAESConfig", self)


@dataclass(frozen=True)
class SepCMAESState:
    """Everything that evolves; O(D) memory."""

    mean: np.ndarray      # (D,) float64 mean m of the search distribution
    sigma: float          # step size sigma
    c: np.ndarray         # (D,) float64 diagonal of the covariance matrix C = diag(c)
    p_sigma: np.ndarray   # (D,) float64 conjugate evolution path (step size)
    p_c: np.ndarray       # (D,) float64 evolution path (rank-one update)
    generation: int = 0
    best_genome: np.ndarray | None = None   # (D,) float64 best genome so far (None before any finite fitness)
    best_fitness: float = -math.inf         # its fitness
    stale: int = 0                          # generations since best_fitness last improved
    best_history: np.ndarray = field(default_factory=empty_history)    # best fitness per generation, oldest first
    median_history: np.ndarray = field(default_factory=empty_history)  # median fitness per generation
    last_range: float = math.inf            # max - min fitness of the last generation (inf: some not finite)


class SepCMAES(Strategy[SepCMAESConfig, SepCMAESState]):
    """Separable (diagonal) CMA-ES, O(P D) per generation (see the module docstring).

    Args:
        config: a :class:`SepCMAESConfig`; or leave it out and pass its fields as keywords.
        num_params: genome length ``D``.
    """

    Config = SepCMAESConfig
    State = SepCMAESState
    min_population = 2

    def __init__(self, config: SepCMAESConfig | None = None, *, num_params: int, **settings):
        super().__init__(config, num_params=num_params, **settings)
        D = self.num_params
        mu = resolve_mu(type(self).__name__, self.config.mu, self.population_size, D)
        # Ros & Hansen (2008): c_cov' = (D + 2) / 3 * c_cov for both rank-one and rank-mu parts.
        self.params = cma_parameters(D, self.population_size, mu, active=self.config.active,
                                     learning_rate_factor=(D + 2) / 3)
        self.history_length = history_length(self.config, D, self.population_size)

    @property
    def population_size(self) -> int:
        P = self.config.population_size
        return default_population_size(self.num_params) if P is None else P

    def init(self, x0=None) -> SepCMAESState:
        """Initial state: mean ``x0`` (zeros when None), ``sigma = sigma0``, ``c = 1``. Draws nothing."""
        D = self.num_params
        return SepCMAESState(mean=self._x0(x0), sigma=float(self.config.sigma0), c=np.ones(D), p_sigma=np.zeros(D),
                             p_c=np.zeros(D))

    def ask(self, state: SepCMAESState, rng: np.random.Generator) -> tuple[np.ndarray, SepCMAESState]:
        """Sample ``x_k = m + sigma sqrt(c) * z_k``, ``z_k ~ N(0, I)`` (Eq. 38-40 with ``B = I``).

        Args:
            state: the current state.
            rng: the run's generator; one ``standard_normal((P, D))`` draw per call.

        Returns:
            float64 ``(P, D)`` genomes and the (unchanged) state to pass to ``tell``.
        """
        z = rng.standard_normal((self.population_size, self.num_params))
        return state.mean + (state.sigma * np.sqrt(state.c)) * z, state

    def tell(self, state: SepCMAESState, genomes, fitness) -> tuple[SepCMAESState, dict]:
        """Update mean, paths, step size and the diagonal covariance (Eq. 41-47 restricted to diag(C)).

        Args:
            state: the state ``ask`` returned.
            genomes: float64 ``(P, D)``, the genomes ``ask`` returned.
            fitness: ``(P,)`` fitness, higher is better; NaN and inf rank last. When no value is
                finite the generation carries no ranking and only ``generation`` advances.

        Returns:
            The new state and metrics: the fitness summary, ``sigma``, ``axis_ratio``
            (``sqrt(max c / min c)``), ``std_min``/``std_max`` (``sigma sqrt(c)``), ``p_sigma_norm``
            and ``h_sigma``.
        """
        genomes = self._check_genomes(genomes)
        fitness = sanitize_fitness(fitness, self.population_size, owner=f"{type(self).__name__}.tell")
        p = self.params
        if not np.any(np.isfinite(fitness)):
            new = replace(state, generation=state.generation + 1)
            return new, fitness_stats(fitness) | self._metrics(new, float(np.linalg.norm(new.p_sigma)), True)
        order = rank_order(fitness)                    # decreasing fitness = increasing f = -fitness
        scale = np.sqrt(state.c)
        y = (genomes[order] - state.mean) / state.sigma                             # y_{i:lambda}, (P, D)
        z = y / scale                                                               # C^{-1/2} y_i
        w = p.weights[:p.mu]
        y_w = w @ y[:p.mu]                                                          # Eq. (41)
        mean = state.mean + state.sigma * y_w                                       # Eq. (42), c_m = 1
        p_sigma, p_c, sigma, h_sigma, norm = cma_paths(p, state.p_sigma, state.p_c, state.sigma,
                                                       state.generation, y_w, w @ z[:p.mu])
        coef, decay = rank_mu_coefficients(p, np.einsum("ij,ij->i", z, z), h_sigma)
        c = decay * state.c + p.c_1 * p_c**2 + coef @ (y * y)                       # diag of Eq. (47)
        low, high = c.min(), c.max()
        if not low > 0 or high > self.config.max_condition * low:
            c += high / self.config.max_condition - low                             # cap the condition
        s = scale_factor(float(c.max()))
        if s != 1.0:
            sigma, c, p_c = sigma * s, c / (s * s), p_c / s
        sigma = bounded_sigma(sigma, float(c.max()))
        new = replace(state, mean=mean, sigma=sigma, c=c, p_sigma=p_sigma, p_c=p_c,
                      generation=state.generation + 1,
                      **tracked_fields(state, genomes, fitness, self.history_length))
        return new, fitness_stats(fitness) | self._metrics(new, norm, h_sigma)

    def stop(self, state: SepCMAESState) -> tuple[str, ...]:
        """Names of the termination criteria ``state`` meets (empty: go on); see
        :func:`neuroevo.strategies.cmaes.cma_stop` (the axes of ``diag(c)`` are the coordinates)."""
        return cma_stop(self.config, self.num_params, self.population_size, state, d=np.sqrt(state.c), B=None,
                        stds=state.sigma * np.sqrt(state.c))

    def _metrics(self, state: SepCMAESState, norm: float, h_sigma: bool) -> dict:
        stds = state.sigma * np.sqrt(state.c)
        return {"sigma": float(state.sigma), "axis_ratio": float(np.sqrt(state.c.max() / state.c.min())),
                "std_min": float(stds.min()), "std_max": float(stds.max()),
                "p_sigma_norm": norm, "h_sigma": float(h_sigma)}
