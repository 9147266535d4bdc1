"""CMA-ES: the covariance matrix adaptation evolution strategy.

Follows N. Hansen, "The CMA Evolution Strategy: A Tutorial" (arXiv:1604.00772, 2016); equation
numbers below refer to it. This is the ``(mu/mu_w, lambda)``-CMA-ES of the tutorial's algorithm
summary (Appendix A) with its default parameters (Table 1):

- weighted recombination of the ``mu = P // 2`` best genomes with log weights (Eq. 49, 53);
- cumulative step-size adaptation, CSA (Eq. 43-44);
- rank-one plus rank-mu covariance update with the ``h_sigma`` stall of the rank-one path (Eq. 45, 47);
- by default the *active* update (Eq. 46, 53): the worst half gets negative weights, scaled so that
  ``C`` stays positive definite. ``active=False`` zeroes them (the classic positive-weights CMA-ES).

The eigendecomposition ``C = B diag(d)^2 B^T`` is recomputed lazily, every
``ceil(1 / (c_1 + c_mu) / D / 10)`` generations (Appendix B.2; the same gap as pycma). The
decomposition and the generation it was made at are part of the state, so a resumed run samples
exactly what the unbroken one would. Safeguards: ``C`` is symmetrised before each decomposition and
its condition number is capped at ``max_condition`` by adding to its diagonal.

CMA-ES minimises; neuroevo's fitness is maximised. ``tell`` ranks by ``f = -fitness``, once; NaN and
inf fitness rank last. The constants and path updates shared with separable CMA-ES
(:mod:`neuroevo.strategies.sep_cmaes`) live here: :func:`cma_parameters`, :func:`cma_paths`,
:func:`rank_mu_coefficients`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from neuroevo._blas import one_blas_thread
from neuroevo._checks import check_float, check_int
from neuroevo.strategies.base import Strategy
from neuroevo.strategies.shaping import fitness_stats, rank_order, sanitize_fitness
from neuroevo.strategies.termination import (
    STAGNATION_MAX,
    check_tolerance,
    stagnation_met,
    tolfun_met,
    tolfun_window,
    tracked_fields,
)


def default_population_size(num_params: int) -> int:
    """``4 + floor(3 ln D)``, the default population size (Table 1, Eq. 48)."""
    return 4 + int(math.floor(3 * math.log(num_params)))


def check_cma_settings(owner: str, population_size, sigma0, mu, active, max_condition) -> None:
    """Validation shared by :class:`CMAESConfig` and the separable variant's config."""
    if population_size is not None:
        check_int("population_size", population_size, minimum=2, owner=owner)
    sigma0 = check_float("sigma0", sigma0, owner=owner)
    if sigma0 <= 0:
        raise ValueError(f"{owner}: sigma0 must be > 0, the initial step size (about a quarter of the range "
                         f"where good genomes are expected, e.g. 0.5); got {sigma0}")
    if mu is not None:
        check_int("mu", mu, minimum=1, owner=owner)
        if population_size is not None and mu > population_size:
            raise ValueError(f"{owner}: mu must be <= population_size ({population_size}), the number of "
                             f"parents selected from each generation; got mu={mu}. Lower mu or raise "
                             f"population_size")
    if not isinstance(active, bool):
        raise TypeError(f"{owner}: active must be True or False; got {active!r} ({type(active).__name__})")
    max_condition = check_float("max_condition", max_condition, owner=owner)
    if max_condition <= 1:
        raise ValueError(f"{owner}: max_condition must be > 1, the largest condition number allowed for "
                         f"the covariance matrix (e.g. 1e14); got {max_condition}")


def check_cma_stop_settings(owner: str, config) -> None:
    """Validation of the termination settings shared by both CMA-ES configs."""
    for name in ("tolfun", "tolx", "tolupsigma", "tolconditioncov"):
        check_tolerance(name, getattr(config, name), owner)
    for name in ("stagnation", "noeffect"):
        value = getattr(config, name)
        if not isinstance(value, bool):
            raise TypeError(f"{owner}: {name} must be True or False; got {value!r} ({type(value).__name__})")


def cma_stop(config, num_params: int, population_size: int, state, *, d: np.ndarray, B: np.ndarray | None,
             stds: np.ndarray) -> tuple[str, ...]:
    """Names of the termination criteria a CMA-ES state meets (see :mod:`neuroevo.strategies.termination`).

    Args:
        config: a CMA-ES config (its ``tol*``, ``stagnation`` and ``noeffect`` settings, ``sigma0``).
        num_params, population_size: ``D`` and ``P``.
        state: the state after ``tell``.
        d: float64 ``(D,)`` square roots of the eigenvalues of ``C`` (of ``c`` for a diagonal ``C``).
        B: float64 ``(D, D)`` eigenvectors of ``C`` (columns, matching ``d``); None for a diagonal ``C``.
        stds: float64 ``(D,)`` coordinate-wise standard deviations ``sigma sqrt(C_ii)``.
    """
    cfg, reasons = config, []
    if tolfun_met(state.best_history, state.last_range, tolfun_window(num_params, population_size), cfg.tolfun):
        reasons.append("tolfun")
    if cfg.tolx > 0 and np.all(stds < cfg.tolx) and np.all(state.sigma * np.abs(state.p_c) < cfg.tolx):
        reasons.append("tolx")
    if cfg.tolupsigma > 0 and state.sigma / cfg.sigma0 > cfg.tolupsigma * float(d.max()):
        reasons.append("tolupsigma")
    # The condition number is capped at max_condition, which it then equals up to rounding.
    if cfg.tolconditioncov > 0 and (d.max() / d.min()) ** 2 >= cfg.tolconditioncov * (1 - 1e-9):
        reasons.append("conditioncov")
    if cfg.noeffect:
        i = state.generation % num_params
        if B is None:
            axis = np.zeros(num_params)
            axis[i] = d[i]
        else:
            axis = d[i] * B[:, i]
        if np.all(state.mean == state.mean + 0.1 * state.sigma * axis):
            reasons.append("noeffectaxis")
        if np.any(state.mean == state.mean + 0.2 * stds):
            reasons.append("noeffectcoord")
    if cfg.stagnation and stagnation_met(state.best_history, state.median_history, state.generation,
                                         num_params, population_size):
        reasons.append("stagnation")
    return tuple(reasons)


#: beyond this factor between sigma and the actual step sizes, the scale moves from C to sigma
RESCALE_LIMIT = 1e100


def scale_factor(largest_variance: float) -> float:
    """1.0, or ``sqrt(largest_variance)`` when it left ``[1/RESCALE_LIMIT, RESCALE_LIMIT]``.

    When sigma creeps up while ``C`` shrinks to compensate (or the reverse), the product, which is
    all that is sampled, stays moderate while each factor heads for overflow or underflow. Dividing
    ``C`` by ``s^2`` and ``p_c`` by ``s`` and multiplying sigma by ``s`` is the same distribution and
    the same update (both are expressed in units of sigma), so it only changes the rounding.
    """
    scale = math.sqrt(largest_variance)
    return scale if not (1 / RESCALE_LIMIT <= scale <= RESCALE_LIMIT) and scale > 0 else 1.0


def bounded_sigma(sigma: float, largest_variance: float) -> float:
    """``sigma`` clipped so that the largest step ``sigma sqrt(max C_ii)`` stays in [1e-250, 1e250].

    A search that no longer moves its mean (every genome equal to it) shrinks sigma and ``C`` by a
    constant factor per generation; without the clip they reach 0 and the next update divides by it.
    """
    root = math.sqrt(largest_variance)
    return min(max(sigma, 1e-250 / root), 1e250 / root)


def history_length(config, num_params: int, population_size: int) -> int:
    """Generations of best and median fitness a CMA-ES state keeps for its criteria."""
    return STAGNATION_MAX if config.stagnation else tolfun_window(num_params, population_size)


def empty_history() -> np.ndarray:
    return np.zeros(0)


@dataclass(frozen=True)
class CMAParameters:
    """Constants of one CMA-ES instance, derived from ``D``, ``P``, ``mu`` (Table 1).

    Attributes:
        num_params: dimension ``D``.
        weights: float64 ``(P,)`` recombination weights by rank, best first. The first ``mu`` are
            positive and sum to 1; the rest are <= 0 (all zero without the active update).
        mu: number of positive weights.
        mueff: variance effective selection mass ``1 / sum(w_i^2)`` over the positive weights.
        c_sigma, d_sigma: cumulation constant and damping of the step-size path (Eq. 55).
        c_c: cumulation constant of the rank-one path (Eq. 56).
        c_1, c_mu: learning rates of the rank-one and rank-mu covariance updates (Eq. 57-58).
        chi_n: ``E||N(0, I)||`` for ``D`` dimensions.
    """

    num_params: int
    weights: np.ndarray
    mu: int
    mueff: float
    c_sigma: float
    d_sigma: float
    c_c: float
    c_1: float
    c_mu: float
    chi_n: float


def cma_parameters(num_params: int, population_size: int, mu: int | None = None, *, active: bool = True,
                   learning_rate_factor: float = 1.0) -> CMAParameters:
    """Default CMA-ES constants (Table 1).

    Args:
        num_params: dimension ``D``.
        population_size: ``P`` (lambda).
        mu: number of positively weighted parents; None: ``P // 2``.
        active: give the ranks after ``mu`` negative weights (Eq. 50-53); otherwise zero.
        learning_rate_factor: multiplies ``c_1`` and ``c_mu`` (capped so that ``c_1 + c_mu <= 1``),
            e.g. ``(D + 2) / 3`` for separable CMA-ES (Ros & Hansen 2008). The negative weights are
            finalised with the scaled rates.

    Returns:
        The constants as a :class:`CMAParameters`.
    """
    n, lam = float(num_params), population_size
    mu = lam // 2 if mu is None else mu
    ranks = np.arange(1, lam + 1, dtype=np.float64)
    # Eq. (49): w'_i = ln((lambda + 1) / 2) - ln i. A custom mu keeps the same shape for its positive
    # weights, ln(mu + 1/2) - ln i, and the ranks between mu and (lambda + 1) / 2 get weight zero.
    top = math.log((lam + 1) / 2) if mu == lam // 2 else math.log(mu + 0.5)
    positive = top - np.log(ranks[:mu])
    negative = np.minimum(0.0, math.log((lam + 1) / 2) - np.log(ranks[mu:]))
    positive /= positive.sum()
    mueff = 1.0 / float(np.sum(positive**2))                                     # Eq. (8)

    c_sigma = (mueff + 2) / (n + mueff + 5)                                      # Eq. (55)
    d_sigma = 1 + 2 * max(0.0, math.sqrt((mueff - 1) / (n + 1)) - 1) + c_sigma   # Eq. (55)
    c_c = (4 + mueff / n) / (n + 4 + 2 * mueff / n)                              # Eq. (56)
    alpha_cov = 2.0
    c_1 = alpha_cov / ((n + 1.3) ** 2 + mueff)                                   # Eq. (57)
    c_mu = min(1 - c_1, alpha_cov * (0.25 + mueff + 1 / mueff - 2)                # Eq. (58)
               / ((n + 2) ** 2 + alpha_cov * mueff / 2))
    if learning_rate_factor != 1.0:
        c_1 = min(1.0, c_1 * learning_rate_factor)
        c_mu = min(1.0 - c_1, c_mu * learning_rate_factor)

    if active and c_mu > 0 and negative.sum() < 0:
        # Eq. (53): scale the negative weights to sum to -min(alpha_mu^-, alpha_mueff^-, alpha_posdef^-).
        mueff_minus = float(negative.sum() ** 2 / np.sum(negative**2))          # Eq. (8), negative
        alpha_mu = 1 + c_1 / c_mu                                                # Eq. (50)
        alpha_mueff = 1 + 2 * mueff_minus / (mueff + 2)                          # Eq. (51)
        alpha_posdef = (1 - c_1 - c_mu) / (n * c_mu)                             # Eq. (52)
        negative = negative * (min(alpha_mu, alpha_mueff, alpha_posdef) / -negative.sum())
    else:
        negative = np.zeros_like(negative)
    weights = np.concatenate([positive, negative])
    weights.setflags(write=False)
    chi_n = math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n**2))  # E||N(0, I)|| (Sect. 4)
    return CMAParameters(num_params=num_params, weights=weights, mu=mu, mueff=mueff, c_sigma=c_sigma,
                         d_sigma=d_sigma, c_c=c_c, c_1=c_1, c_mu=c_mu, chi_n=chi_n)


def cma_paths(params: CMAParameters, p_sigma: np.ndarray, p_c: np.ndarray, sigma: float, generation: int,
              y_w: np.ndarray, z_w: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, bool, float]:
    """Evolution paths and step size after one generation (Eq. 43-45, with ``c_m = 1``).

    Args:
        params: the strategy's constants.
        p_sigma, p_c: float64 ``(D,)`` paths before the update.
        sigma: step size before the update.
        generation: number of updates made before this one (``g`` in the tutorial).
        y_w: float64 ``(D,)`` ``(m' - m) / sigma``, the weighted mean step (Eq. 41).
        z_w: float64 ``(D,)`` ``C^{-1/2} y_w`` under the decomposition the genomes were sampled with.

    Returns:
        ``(p_sigma, p_c, sigma, h_sigma, |p_sigma|)``, all new objects.
    """
    cs, cc, mueff = params.c_sigma, params.c_c, params.mueff
    p_sigma = (1 - cs) * p_sigma + math.sqrt(cs * (2 - cs) * mueff) * z_w            # Eq. (43)
    norm = float(np.sqrt(p_sigma @ p_sigma))
    n = p_sigma.size
    # h_sigma stalls the rank-one path while |p_sigma| is large (Appendix A, below Eq. 45).
    h_sigma = norm / math.sqrt(1 - (1 - cs) ** (2 * (generation + 1))) < (1.4 + 2 / (n + 1)) * params.chi_n
    p_c = (1 - cc) * p_c + (math.sqrt(cc * (2 - cc) * mueff) if h_sigma else 0.0) * y_w  # Eq. (45)
    # Eq. (44); the exponent is capped at 1 (a factor e per generation), as in pycma.
    sigma = sigma * math.exp(min(1.0, cs / params.d_sigma * (norm / params.chi_n - 1)))
    return p_sigma, p_c, sigma, bool(h_sigma), norm


def rank_mu_coefficients(params: CMAParameters, z_sqnorm: np.ndarray, h_sigma: bool,
                         ) -> tuple[np.ndarray, float]:
    """Per-rank coefficients ``c_mu * w°_i`` and the decay factor of the covariance update (Eq. 46-47).

    Args:
        params: the strategy's constants.
        z_sqnorm: float64 ``(P,)`` squared Mahalanobis lengths ``|C^{-1/2} y_i|^2`` of the genomes by
            rank, best first (only the negatively weighted ones are used).
        h_sigma: the stall indicator from :func:`cma_paths`.

    Returns:
        ``(coefficients (P,), decay)`` such that
        ``C' = decay * C + c_1 p_c p_c^T + sum_i coefficients[i] y_i y_i^T`` (Eq. 47).
    """
    w = params.weights
    coef = w.copy()
    negative = w < 0
    # Eq. (46): w°_i = w_i D / |C^{-1/2} y_i|^2 for negative weights, which bounds their effect.
    coef[negative] *= params.num_params / np.maximum(z_sqnorm[negative], 1e-20)
    coef *= params.c_mu
    delta = (0.0 if h_sigma else 1.0) * params.c_c * (2 - params.c_c)          # delta(h_sigma), Appendix A
    decay = 1 + params.c_1 * delta - params.c_1 - params.c_mu * float(w.sum())  # Eq. (47)
    return coef, decay


@dataclass(frozen=True)
class CMAESConfig:
    """Settings of CMA-ES. None means the default of the tutorial's Table 1, resolved from ``D``."""

    population_size: int | None = None   # genomes per generation (lambda); None: 4 + floor(3 ln D)
    sigma0: float = 0.5                  # initial step size, about a quarter of the range of good genomes
    mu: int | None = None                # parents with positive weight; None: population_size // 2
    active: bool = True                  # active CMA: negative weights for the worst genomes
    eigen_interval: int | None = None    # generations between eigendecompositions; None: ceil(1/(c1+cmu)/D/10)
    max_condition: float = 1e14          # cap on the condition number of C, enforced at each decomposition
    tolfun: float = 1e-12                # stop when recent best and current fitness lie within this; 0: off
    tolx: float = 1e-11                  # stop when every sigma sqrt(C_ii) and sigma p_c is below this; 0: off
    tolupsigma: float = 1e20             # stop when sigma / sigma0 > this * sqrt(max eigenvalue of C); 0: off
    tolconditioncov: float = 1e14        # stop when the condition number of C reaches this; 0: off
    stagnation: bool = True              # stop when best and median fitness stopped improving
    noeffect: bool = True                # stop when a step along an axis or coordinate no longer moves the mean

    def __post_init__(self) -> None:
        owner = "CMAESConfig"
        check_cma_settings(owner, self.population_size, self.sigma0, self.mu, self.active, self.max_condition)
        check_cma_stop_settings(owner, self)
        if self.eigen_interval is not None:
            check_int("eigen_interval", self.eigen_interval, minimum=1, owner=owner)


@dataclass(frozen=True)
class CMAESState:
    """Everything that evolves. ``B``, ``d`` and ``eigen_generation`` cache the lazy eigendecomposition,
    so a state restored from a checkpoint samples exactly as the original would."""

    mean: np.ndarray           # (D,) float64 mean m of the search distribution
    sigma: float               # step size sigma
    C: np.ndarray              # (D, D) float64 covariance matrix, symmetric
    p_sigma: np.ndarray        # (D,) float64 conjugate evolution path (step size)
    p_c: np.ndarray            # (D,) float64 evolution path (rank-one update)
    B: np.ndarray              # (D, D) float64 eigenvectors of C (columns) as of eigen_generation
    d: np.ndarray              # (D,) float64 square roots of the eigenvalues of C, as of eigen_generation
    eigen_generation: int = 0  # generation at which B and d were computed
    generation: int = 0
    best_genome: np.ndarray | None = None   # (D,) float64 best genome so far (None before any finite fitness)
    best_fitness: float = -math.inf         # its fitness
    stale: int = 0                          # generations since best_fitness last improved
    best_history: np.ndarray = field(default_factory=empty_history)    # best fitness per generation, oldest first
    median_history: np.ndarray = field(default_factory=empty_history)  # median fitness per generation
    last_range: float = math.inf            # max - min fitness of the last generation (inf: some not finite)


def resolve_mu(owner: str, mu: int | None, population_size: int, num_params: int) -> int:
    """``mu`` or its default ``P // 2``, checked against the (possibly default) population size."""
    if mu is None:
        return population_size // 2
    if mu > population_size:   # only reachable with the default population size
        raise ValueError(f"{owner}: mu={mu} is larger than the default population_size {population_size} "
                         f"for num_params={num_params}; lower mu or set population_size >= {mu}")
    return mu


class CMAES(Strategy[CMAESConfig, CMAESState]):
    """Covariance matrix adaptation evolution strategy (see the module docstring).

    Args:
        config: a :class:`CMAESConfig`; or leave it out and pass its fields as keywords.
        num_params: genome length ``D``.

    Example:
        >>> strategy = CMAES(num_params=10, sigma0=0.3)
        >>> state = strategy.init(np.zeros(10))
        >>> genomes, state = strategy.ask(state, np.random.default_rng(0))   # (10, 10)
        >>> state, metrics = strategy.tell(state, genomes, -np.sum(genomes**2, axis=1))
    """

    Config = CMAESConfig
    State = CMAESState
    min_population = 2

    @classmethod
    def state_bytes(cls, population_size: int, num_params: int) -> int:
        """The covariance matrix, its eigenvectors and the work arrays of an update: about six D x D."""
        return 6 * 8 * num_params * num_params

    def __init__(self, config: CMAESConfig | None = None, *, num_params: int, **settings):
        super().__init__(config, num_params=num_params, **settings)
        cfg, D = self.config, self.num_params
        mu = resolve_mu(type(self).__name__, cfg.mu, self.population_size, D)
        self.params = cma_parameters(D, self.population_size, mu, active=cfg.active)
        gap = 1.0 / (self.params.c_1 + self.params.c_mu) / D / 10                 # Appendix B.2
        self.eigen_interval = cfg.eigen_interval or max(1, math.ceil(gap))
        self.history_length = history_length(cfg, D, self.population_size)

    @property
    def population_size(self) -> int:
        P = self.config.population_size
        return default_population_size(self.num_params) if P is None else P

    def init(self, x0=None) -> CMAESState:
        """Initial state: mean ``x0`` (zeros when None), ``sigma = sigma0``, ``C = I``. Draws nothing."""
        D = self.num_params
        return CMAESState(mean=self._x0(x0), sigma=float(self.config.sigma0), C=np.eye(D), p_sigma=np.zeros(D),
                          p_c=np.zeros(D), B=np.eye(D), d=np.ones(D))

    @one_blas_thread
    def ask(self, state: CMAESState, rng: np.random.Generator) -> tuple[np.ndarray, CMAESState]:
        """Sample ``x_k = m + sigma B diag(d) z_k``, ``z_k ~ N(0, I)`` (Eq. 38-40).

        The eigendecomposition is refreshed first when ``eigen_interval`` generations have passed.

        Args:
            state: the current state.
            rng: the run's generator; one ``standard_normal((P, D))`` draw per call.

        Returns:
            float64 ``(P, D)`` genomes and the state (with a fresh decomposition) to pass to ``tell``.
        """
        if state.generation - state.eigen_generation >= self.eigen_interval:
            state = self._decompose(state)
        z = rng.standard_normal((self.population_size, self.num_params))
        y = (z * state.d) @ state.B.T                                               # Eq. (39)
        return state.mean + state.sigma * y, state                                  # Eq. (40)

    def _decompose(self, state: CMAESState) -> CMAESState:
        """Symmetrise ``C``, eigendecompose it and cap its condition number (Appendix B.2)."""
        C = (state.C + state.C.T) / 2
        eigvals, B = np.linalg.eigh(C)
        if not (np.all(np.isfinite(eigvals)) and eigvals[-1] > 0):
            raise FloatingPointError(f"{type(self).__name__}: the covariance matrix is not finite and positive "
                                     f"(largest eigenvalue {eigvals[-1]}); the state is corrupt")
        low, high = eigvals[0], eigvals[-1]
        limit = self.config.max_condition
        if not low > 0 or high > limit * low:
            # Raise the spectrum so that max / min = max_condition (pycma / purecma do the same).
            shift = high / limit - low
            C[np.diag_indices_from(C)] += shift
            eigvals = eigvals + shift
        return replace(state, C=C, B=B, d=np.sqrt(eigvals), eigen_generation=state.generation)

    @one_blas_thread
    def tell(self, state: CMAESState, genomes, fitness) -> tuple[CMAESState, dict]:
        """Update mean, paths, step size and covariance from one generation (Eq. 41-47).

        Args:
            state: the state ``ask`` returned.
            genomes: float64 ``(P, D)``, the genomes ``ask`` returned.
            fitness: ``(P,)`` fitness, higher is better; NaN and inf rank last. When no value is
                finite the generation carries no ranking and only ``generation`` advances.

        Returns:
            The new state and metrics: the fitness summary, ``sigma``, ``axis_ratio`` (of the
            decomposition used to sample), ``std_min``/``std_max`` (coordinate-wise standard
            deviations ``sigma sqrt(C_ii)``), ``p_sigma_norm`` and ``h_sigma``.
        """
        genomes = self._check_genomes(genomes)
        fitness = sanitize_fitness(fitness, self.population_size, owner=f"{type(self).__name__}.tell")
        p = self.params
        if not np.any(np.isfinite(fitness)):
            new = replace(state, generation=state.generation + 1)
            return new, fitness_stats(fitness) | self._metrics(new, norm=float(np.linalg.norm(new.p_sigma)),
                                                               h_sigma=True)
        # Ranking by decreasing fitness = increasing f = -fitness (the minimised objective).
        order = rank_order(fitness)
        y = (genomes[order] - state.mean) / state.sigma                             # y_{i:lambda}, (P, D)
        z = (y @ state.B) / state.d                                                 # diag(d)^-1 B^T y_i
        w = p.weights[:p.mu]
        y_w = w @ y[:p.mu]                                                          # Eq. (41)
        mean = state.mean + state.sigma * y_w                                       # Eq. (42), c_m = 1
        z_w = state.B @ (w @ z[:p.mu])                                              # C^{-1/2} y_w
        p_sigma, p_c, sigma, h_sigma, norm = cma_paths(p, state.p_sigma, state.p_c, state.sigma,
                                                       state.generation, y_w, z_w)
        coef, decay = rank_mu_coefficients(p, np.einsum("ij,ij->i", z, z), h_sigma)
        keep = coef != 0
        vectors = np.concatenate([p_c[None, :], y[keep]])                           # (1 + P', D)
        rates = np.concatenate([[p.c_1], coef[keep]])
        C = state.C * decay                                                         # Eq. (47)
        C += (vectors.T * rates) @ vectors
        d = state.d
        s = scale_factor(float(np.max(np.diag(C))))
        if s != 1.0:
            sigma, C, p_c, d = sigma * s, C / (s * s), p_c / s, d / s
        sigma = bounded_sigma(sigma, float(np.max(np.diag(C))))
        new = replace(state, mean=mean, sigma=sigma, C=C, p_sigma=p_sigma, p_c=p_c, d=d,
                      generation=state.generation + 1,
                      **tracked_fields(state, genomes, fitness, self.history_length))
        return new, fitness_stats(fitness) | self._metrics(new, norm=norm, h_sigma=h_sigma)

    def stop(self, state: CMAESState) -> tuple[str, ...]:
        """Names of the termination criteria ``state`` meets (empty: go on); see :func:`cma_stop`."""
        stds = state.sigma * np.sqrt(np.diag(state.C))
        return cma_stop(self.config, self.num_params, self.population_size, state, d=state.d, B=state.B,
                        stds=stds)

    def _metrics(self, state: CMAESState, *, norm: float, h_sigma: bool) -> dict:
        stds = state.sigma * np.sqrt(np.diag(state.C))
        return {"sigma": float(state.sigma), "axis_ratio": float(state.d[-1] / state.d[0]),
                "std_min": float(stds.min()), "std_max": float(stds.max()),
                "p_sigma_norm": norm, "h_sigma": float(h_sigma)}
