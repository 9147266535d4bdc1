"""The simulator interface: anything that scores a ``(P, D)`` population with ``(P,)`` fitness.

Randomness of an evaluation comes from a :class:`GenerationKey`: the run draws one from its
generator each generation, and the key gives a stream shared by every genome (episode seeds,
track seeds: the common draws) and one stream per genome, addressed by the genome's index in
the whole population. A block of genomes scored on its own (a thread, a worker of a cluster)
gets the key moved to its first index, so results never depend on how a population is cut.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from neuroevo._checks import check_genomes, check_int
from neuroevo.network.spec import NetworkSpec, as_spec

_COMMON, _GENOME = 0, 1


class GenerationKey:
    """The randomness of one generation's evaluation.

    Args:
        entropy: a non-negative integer, drawn from the run's generator with :meth:`draw`.
        offset: index in the whole population of the first genome this key's block holds.
    """

    __slots__ = ("entropy", "offset")

    def __init__(self, entropy: int, offset: int = 0):
        self.entropy = check_int("entropy", entropy, minimum=0, owner="GenerationKey")
        self.offset = check_int("offset", offset, minimum=0, owner="GenerationKey")

    @classmethod
    def draw(cls, rng: np.random.Generator) -> GenerationKey:
        """One draw from the run's generator: the key of the generation about to be scored."""
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)); "
                            f"got {type(rng).__name__}")
        return cls(int(rng.integers(0, 2**63, dtype=np.int64)))

    def common(self) -> np.random.Generator:
        """The stream every genome of the generation shares (the same in every block)."""
        return np.random.default_rng(np.random.SeedSequence(self.entropy, spawn_key=(_COMMON,)))

    def genome(self, i: int) -> np.random.Generator:
        """The stream of genome ``i`` of this block (``offset + i`` in the whole population)."""
        return np.random.default_rng(np.random.SeedSequence(self.entropy, spawn_key=(_GENOME, self.offset + i)))

    def block(self, start: int) -> GenerationKey:
        """The key of the block whose first genome is genome ``start`` of this one."""
        return GenerationKey(self.entropy, self.offset + start)

    def __eq__(self, other) -> bool:
        return isinstance(other, GenerationKey) and (self.entropy, self.offset) == (other.entropy, other.offset)

    def __repr__(self) -> str:
        return f"GenerationKey({self.entropy}, offset={self.offset})"


class Evaluation:
    """What scoring a block of genomes gives: fitness, and per-genome extras.

    Args:
        fitness: float64 ``(P,)``.
        extras: named arrays with one row per genome (``(P, ...)``), such as observation sums or
            env steps. The engine joins the blocks' extras in genome order and hands them to
            :meth:`Simulator.end_generation`, so what a simulator learns from a generation never
            depends on how the population was cut into blocks.
    """

    __slots__ = ("fitness", "extras")

    def __init__(self, fitness, extras: dict[str, np.ndarray] | None = None):
        self.fitness = np.asarray(fitness, dtype=np.float64)
        self.extras = {k: np.asarray(v) for k, v in (extras or {}).items()}

    @staticmethod
    def join(parts: list[Evaluation]) -> Evaluation:
        """The blocks' evaluations, in order, as one."""
        if len(parts) == 1:
            return parts[0]
        names = parts[0].extras.keys()
        return Evaluation(np.concatenate([p.fitness for p in parts]),
                          {k: np.concatenate([p.extras[k] for p in parts]) for k in names})


def read_only(genomes: np.ndarray) -> np.ndarray:
    """A view of ``genomes`` that raises on any write, so a simulator cannot change a strategy's arrays."""
    view = genomes.view()
    view.flags.writeable = False
    return view


class Simulator(ABC):
    """Scores a whole population at once; higher fitness is better.

    Subclasses implement :meth:`_evaluate` and may set ``num_inputs`` / ``num_outputs`` to the
    network sizes they need (``None``: any). :meth:`evaluate` validates before any work and
    hands :meth:`_evaluate` a read-only view of the genomes.

    A simulator whose genomes need their own random streams overrides :meth:`_evaluate_keyed`
    instead, and draws genome ``i``'s noise from ``key.genome(i)``; it may return an
    :class:`Evaluation` with per-genome extras instead of the fitness array. A simulator with
    state that a run must carry across a checkpoint (running observation statistics, a
    curriculum level) returns it from :meth:`get_state`, takes it back in :meth:`set_state`, and
    updates it between generations in :meth:`end_generation` (never while a generation is
    scored: every block of a generation sees the same state).
    """

    num_inputs: int | None = None
    num_outputs: int | None = None

    def check_network(self, network) -> NetworkSpec:
        """Return the spec, or raise if its input/output sizes do not fit this simulator."""
        spec = as_spec(network)
        name = type(self).__name__
        if self.num_inputs is not None and spec.num_inputs != self.num_inputs:
            raise ValueError(f"{name} feeds {self.num_inputs} inputs to the network, but the network "
                             f"{list(spec.sizes)} takes {spec.num_inputs}; make its first layer size "
                             f"{self.num_inputs}")
        if self.num_outputs is not None and spec.num_outputs != self.num_outputs:
            raise ValueError(f"{name} reads {self.num_outputs} outputs from the network, but the network "
                             f"{list(spec.sizes)} has {spec.num_outputs}; make its last layer size "
                             f"{self.num_outputs}")
        return spec

    def evaluate(self, genomes, network, rng: np.random.Generator | None = None, *,
                 key: GenerationKey | None = None) -> np.ndarray:
        """Fitness of every genome.

        Args:
            genomes: float64 ``(P, D)`` population (or a block of one).
            network: the :class:`NetworkSpec` (or layer list) the genomes encode.
            rng: the run's generator; one key is drawn from it when ``key`` is not given.
                Deterministic simulators ignore both.
            key: the generation's randomness (see :class:`GenerationKey`).

        Returns:
            float64 ``(P,)`` fitness, higher is better (NaN/inf allowed; strategies rank them last).
        """
        if key is None and rng is not None:
            key = GenerationKey.draw(rng)
        return self.evaluate_block(genomes, network, key).fitness

    def evaluate_block(self, genomes, network, key: GenerationKey | None) -> Evaluation:
        """Score a block of genomes: the :class:`Evaluation` (fitness and extras), validated.

        Args:
            genomes: float64 ``(P, D)``; genome ``i`` is genome ``key.offset + i`` of its generation.
            network: the :class:`NetworkSpec` the genomes encode.
            key: the generation's randomness, moved to the block (``key.block(start)``).
        """
        spec = self.check_network(network)
        genomes = check_genomes(genomes, spec.num_params)
        if key is not None and not isinstance(key, GenerationKey):
            raise TypeError(f"key must be a GenerationKey; got {type(key).__name__}")
        out = self._evaluate_keyed(read_only(genomes), spec, key)
        result = out if isinstance(out, Evaluation) else Evaluation(out)
        P = genomes.shape[0]
        if result.fitness.shape != (P,):
            raise RuntimeError(f"{type(self).__name__}._evaluate returned shape {result.fitness.shape}; "
                               f"expected ({P},)")
        for name, value in result.extras.items():
            if value.ndim == 0 or value.shape[0] != P:
                raise RuntimeError(f"{type(self).__name__}: extra {name!r} has shape {value.shape}; "
                                   f"expected one row per genome, ({P}, ...)")
        return result

    def rollouts(self, num_genomes: int) -> int:
        """Episodes (track rollouts, games) it costs to score ``num_genomes`` genomes once, as the
        simulator is now; the run counts them in ``summary.json``'s ``evaluations`` (default: one each)."""
        return num_genomes

    def end_generation(self, extras: dict[str, np.ndarray]) -> dict[str, float]:
        """Called once per generation, after every block is scored, with the blocks' extras joined
        in genome order. Update state here; return metrics for the run's history (default: none)."""
        return {}

    def _evaluate_keyed(self, genomes: np.ndarray, spec: NetworkSpec, key: GenerationKey | None) -> np.ndarray:
        """Like :meth:`_evaluate`, with the whole key; the default passes on its common stream."""
        return self._evaluate(genomes, spec, None if key is None else key.common())

    @abstractmethod
    def _evaluate(self, genomes: np.ndarray, spec: NetworkSpec,
                  rng: np.random.Generator | None) -> np.ndarray:
        """Validated, read-only float64 ``(P, D)`` genomes -> float64 ``(P,)`` fitness.

        ``rng`` is the generation's common stream: the same for every genome and every block.
        """

    def use_threads(self, threads: int) -> None:  # noqa: B027 (optional hook)
        """Use at most ``threads`` threads of its own when scoring. A distributed evaluator calls
        this on each worker's copy (default: the simulator has no threads of its own)."""

    def get_state(self) -> dict[str, np.ndarray]:
        """Numeric arrays a checkpoint must keep for the run to continue exactly (default: none)."""
        return {}

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        """Take back what :meth:`get_state` returned."""
        if state:
            raise ValueError(f"{type(self).__name__} has no state, but the checkpoint holds {sorted(state)}")
