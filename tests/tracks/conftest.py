import numba
import numpy as np
import pytest

from neuroevo import NetworkSpec, Population
from tracks import TrackSimulator, seed_training_track

#: With NUMBA_DISABLE_JIT=1 the kernels run as plain Python; tests then use smaller inputs.
JIT = not numba.config.DISABLE_JIT


@pytest.fixture(scope="session")
def spec():
    return NetworkSpec([7, 8, 4, 1])


@pytest.fixture(scope="session")
def training():
    return seed_training_track()


@pytest.fixture(scope="session")
def evolved(spec, training):
    """The last generation of a short rank-GA run on the training track, with genomes that finish it.

    Returns:
        float64 ``(50, 105)`` genomes, and the seed of the run.

    Both backends give the same scores, so the run is the same whichever one evolves it; the
    NumPy one is much faster when the kernels run uncompiled.
    """
    sim = TrackSimulator(training, backend="numba" if JIT else "numpy")
    for seed in (3, 4, 0, 1, 2, 5):                 # seed 3 finishes within 50 generations
        pop = Population(spec, "rank_ga", seed=seed, population_size=50, elitism=2)
        pop.evolve(sim, 100, progress=False)
        if pop.fitness.max() == sim.max_score:
            return pop.genomes.copy(), seed
    raise RuntimeError("no rank-GA run finished the training track in 100 generations")


@pytest.fixture(scope="session")
def random_genomes(spec):
    rng = np.random.default_rng(7)
    return rng.uniform(-1, 1, (300 if JIT else 40, spec.num_params))
