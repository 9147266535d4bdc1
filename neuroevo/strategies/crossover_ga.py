"""Generational genetic algorithm with selection, crossover, Gaussian mutation and elitism.

The operators are the textbook ones (Eiben & Smith, "Introduction to Evolutionary Computing",
2nd ed. 2015, Ch. 4-5):

- selection of each parent: ``"tournament"`` (best of ``tournament_size`` parents drawn with
  replacement) or ``"rank"`` (linear ranking: the parent at rank ``i``, 0 the best, is drawn with
  probability ``(s - 2 (s - 1) i / (P - 1)) / P`` for selection pressure ``s`` in ``[1, 2]``);
- crossover of two parents, applied with probability ``crossover_rate`` (otherwise the child
  copies its first parent): ``"uniform"`` (each gene from either parent), ``"one_point"`` (genes
  before a random cut from the first parent) or ``"blend"`` (BLX-alpha, Eshelman & Schaffer 1993:
  each gene uniform in ``[lo - alpha d, hi + alpha d]``, ``d = hi - lo``);
- mutation: each gene, with probability ``mutation_rate``, gets ``Normal(0, mutation_sigma)``;
- elitism: the ``elitism`` best parents are copied unchanged into the next generation (and
  evaluated again, so noisy fitness stays honest).

The first generation is ``x0 + Normal(0, init_sigma)``. Selection uses only the order of the
fitness, so the run is invariant to strictly increasing fitness transforms.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from neuroevo._checks import check_choice, check_float, check_int
from neuroevo.strategies.base import Strategy
from neuroevo.strategies.shaping import fitness_stats, rank_order, sanitize_fitness

SELECTIONS = ("tournament", "rank")
CROSSOVERS = ("uniform", "one_point", "blend")


@dataclass(frozen=True)
class CrossoverGAConfig:
    """Settings of the crossover GA. Defaults are tuned for small networks (weights of order 1)."""

    population_size: int = 100       # genomes per generation
    selection: str = "tournament"    # parent selection: tournament | rank
    tournament_size: int = 3         # parents compared per tournament selection
    selection_pressure: float = 1.8  # rank selection: expected picks of the best parent per P draws, in [1, 2]
    crossover: str = "blend"         # crossover operator: blend (BLX-alpha) | uniform | one_point
    crossover_rate: float = 0.9      # probability that a child is a crossover (else a copy) before mutation
    blend_alpha: float = 0.5         # BLX-alpha extension of the parents' interval
    mutation_sigma: float = 0.3      # standard deviation of the Gaussian mutation
    mutation_rate: float = 0.2       # probability that each gene is mutated
    elitism: int = 2                 # best parents copied unchanged into the next generation
    init_sigma: float = 1.0          # first generation: x0 + Normal(0, init_sigma)

    def __post_init__(self) -> None:
        owner = "CrossoverGAConfig"
        check_int("population_size", self.population_size, minimum=2, owner=owner)
        check_choice("selection", self.selection, SELECTIONS, owner=owner)
        check_int("tournament_size", self.tournament_size, minimum=1, maximum=self.population_size,
                  owner=owner)
        check_float("selection_pressure", self.selection_pressure, minimum=1.0, maximum=2.0, owner=owner)
        check_choice("crossover", self.crossover, CROSSOVERS, owner=owner)
        check_float("crossover_rate", self.crossover_rate, minimum=0.0, maximum=1.0, owner=owner)
        check_float("blend_alpha", self.blend_alpha, minimum=0.0, owner=owner)
        check_float("mutation_sigma", self.mutation_sigma, minimum=0.0, owner=owner)
        check_float("mutation_rate", self.mutation_rate, minimum=0.0, maximum=1.0, owner=owner)
        check_int("elitism", self.elitism, minimum=0, maximum=self.population_size - 1, owner=owner)
        check_float("init_sigma", self.init_sigma, minimum=0.0, owner=owner)


@dataclass(frozen=True)
class CrossoverGAState:
    mean: np.ndarray                    # (D,) x0 until the first tell, then the best parent
    parents: np.ndarray | None          # (P, D) last evaluated generation, best first; None before
    parent_fitness: np.ndarray | None   # (P,) its fitness, best first (non-finite stored as -inf)
    generation: int = 0


def linear_rank_probabilities(population_size: int, pressure: float) -> np.ndarray:
    """Linear-ranking selection probabilities, float64 ``(P,)``, best first, summing to 1.

    Rank ``i`` (0 the best) gets ``(s - 2 (s - 1) i / (P - 1)) / P`` (Eiben & Smith 2015, linear
    ranking, written best first): ``s`` expected picks for the best, ``2 - s`` for the worst.
    """
    i = np.arange(population_size)
    p = (pressure - 2.0 * (pressure - 1.0) * i / max(population_size - 1, 1)) / population_size
    return p / p.sum()


class CrossoverGA(Strategy[CrossoverGAConfig, CrossoverGAState]):
    """Selection + crossover + Gaussian mutation + elitism (see the module docstring)."""

    Config = CrossoverGAConfig
    State = CrossoverGAState

    def __init__(self, config: CrossoverGAConfig | None = None, *, num_params: int, **settings):
        super().__init__(config, num_params=num_params, **settings)
        self.rank_probabilities = linear_rank_probabilities(self.population_size,
                                                            self.config.selection_pressure)

    def init(self, x0=None) -> CrossoverGAState:
        """State holding ``x0`` (float64 ``(D,)``, zeros when None) and no parents yet."""
        return CrossoverGAState(mean=self._x0(x0), parents=None, parent_fitness=None)

    def ask(self, state: CrossoverGAState, rng: np.random.Generator) -> tuple[np.ndarray, CrossoverGAState]:
        """Breed a generation: float64 ``(P, D)`` genomes, elites first; the state is returned unchanged."""
        cfg, P, D = self.config, self.population_size, self.num_params
        if state.parents is None:
            return state.mean + cfg.init_sigma * rng.standard_normal((P, D)), state
        n = P - cfg.elitism
        idx = self._select(rng, 2 * n)
        first, second = state.parents[idx[:n]], state.parents[idx[n:]]
        crossed = self._crossover(rng, first, second)
        children = np.where((rng.random(n) < cfg.crossover_rate)[:, None], crossed, first)
        mutate = rng.random((n, D)) < cfg.mutation_rate
        children = children + mutate * (cfg.mutation_sigma * rng.standard_normal((n, D)))
        return np.concatenate([state.parents[:cfg.elitism], children]), state

    def _select(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """Indices into the best-first parents, int64 ``(count,)``."""
        P = self.population_size
        if self.config.selection == "tournament":
            # Parents are sorted best first, so the winner of a tournament is its smallest index.
            return rng.integers(0, P, size=(count, self.config.tournament_size)).min(axis=1)
        return rng.choice(P, size=count, p=self.rank_probabilities)

    def _crossover(self, rng: np.random.Generator, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Children of the parent rows ``a`` and ``b`` (float64 ``(n, D)`` each) -> ``(n, D)``."""
        kind, (n, D) = self.config.crossover, a.shape
        if kind == "uniform":
            return np.where(rng.random((n, D)) < 0.5, a, b)
        if kind == "one_point":
            cut = rng.integers(1, max(D, 2), size=n)       # genes [0, cut) from a, the rest from b
            return np.where(np.arange(D) < cut[:, None], a, b)
        lo, hi = np.minimum(a, b), np.maximum(a, b)         # BLX-alpha
        ext = self.config.blend_alpha * (hi - lo)
        return rng.uniform(lo - ext, hi + ext)

    def tell(self, state: CrossoverGAState, genomes, fitness) -> tuple[CrossoverGAState, dict]:
        """Make the evaluated generation the parents, sorted best first.

        A generation with no finite fitness is dropped and the previous parents stay (the first
        generation is always kept, there being no parents before it).

        Args:
            state: the state ``ask`` returned.
            genomes: float64 ``(P, D)`` as ``ask`` returned them.
            fitness: ``(P,)``, higher is better; NaN/inf are ranked last.

        Returns:
            The new state and metrics: fitness summary and ``diversity`` (mean per-gene standard
            deviation of the parents).
        """
        genomes = self._check_genomes(genomes)
        fitness = sanitize_fitness(fitness, self.population_size, owner="CrossoverGA.tell")
        if np.isfinite(fitness).any() or state.parents is None:
            order = rank_order(fitness)
            parents = genomes[order]
            state = replace(state, mean=parents[0].copy(), parents=parents,
                            parent_fitness=fitness[order])
        new = replace(state, generation=state.generation + 1)
        return new, fitness_stats(fitness) | {"diversity": float(new.parents.std(axis=0).mean())}
