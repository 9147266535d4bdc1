"""Exponential-rank mutation GA: the genetic algorithm of the racing-track reference post.

Each generation the parents are sorted best first. Every child picks a parent at rank
``min(floor(Exponential(scale)), P - 1)`` and adds ``Uniform(-rate, rate)`` to each gene.
The first generation is ``x0 + Uniform(-init_range, init_range)``. With ``elitism = k`` the
``k`` best parents are carried over unchanged (and evaluated again, so noisy fitness stays honest).
Elites are placed after the children, and the ranking is stable, so a child that ties with an
elite ranks above it: on a fitness plateau the population keeps drifting instead of freezing on
the first genome that reached it (the (1+1)-ES rule of accepting equal offspring).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from neuroevo._checks import check_float, check_int
from neuroevo.strategies.base import Strategy
from neuroevo.strategies.shaping import fitness_stats, rank_order, sanitize_fitness


@dataclass(frozen=True)
class RankGAConfig:
    """Settings of the exponential-rank mutation GA. Defaults follow the reference post."""

    population_size: int = 50     # genomes per generation
    scale: float = 5.0            # mean parent rank of the exponential selection (smaller = greedier)
    rate: float = 0.1             # mutation: each gene gets Uniform(-rate, rate)
    elitism: int = 0              # best parents copied unchanged into the next generation
    init_range: float = 1.0       # first generation: x0 + Uniform(-init_range, init_range)

    def __post_init__(self) -> None:
        owner = "RankGAConfig"
        check_int("population_size", self.population_size, minimum=2, owner=owner)
        check_float("scale", self.scale, positive=True, owner=owner)
        check_float("rate", self.rate, minimum=0.0, owner=owner)
        check_float("init_range", self.init_range, minimum=0.0, owner=owner)
        check_int("elitism", self.elitism, minimum=0, maximum=self.population_size - 1, owner=owner)


@dataclass(frozen=True)
class RankGAState:
    mean: np.ndarray                 # (D,) x0 until the first tell, then the best parent
    parents: np.ndarray | None       # (P, D) last evaluated generation, best first; None before
    parent_fitness: np.ndarray | None  # (P,) its fitness, best first (non-finite stored as -inf)
    generation: int = 0


class RankGA(Strategy[RankGAConfig, RankGAState]):
    """Exponential-rank selection with uniform mutation (see the module docstring)."""

    Config = RankGAConfig
    State = RankGAState

    def init(self, x0=None) -> RankGAState:
        return RankGAState(mean=self._x0(x0), parents=None, parent_fitness=None)

    def ask(self, state: RankGAState, rng: np.random.Generator) -> tuple[np.ndarray, RankGAState]:
        cfg, P, D = self.config, self.population_size, self.num_params
        if state.parents is None:
            return state.mean + rng.uniform(-cfg.init_range, cfg.init_range, size=(P, D)), state
        k = cfg.elitism
        idx = np.minimum(rng.exponential(cfg.scale, size=P - k).astype(np.int64), P - 1)
        children = state.parents[idx] + rng.uniform(-cfg.rate, cfg.rate, size=(P - k, D))
        return np.concatenate([children, state.parents[:k]]), state

    def tell(self, state: RankGAState, genomes, fitness) -> tuple[RankGAState, dict]:
        genomes = self._check_genomes(genomes)
        fitness = sanitize_fitness(fitness, self.population_size, owner="RankGA.tell")
        if not np.any(np.isfinite(fitness)):
            # no genome can be ranked: keep the parents (or the initial sampling) for the next ask
            return replace(state, generation=state.generation + 1), fitness_stats(fitness)
        order = rank_order(fitness)
        parents = genomes[order]
        new = replace(state, mean=parents[0].copy(), parents=parents, parent_fitness=fitness[order],
                      generation=state.generation + 1)
        return new, fitness_stats(fitness)
