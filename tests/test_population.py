import re

import numpy as np
import pytest

from neuroevo import XOR, NetworkSpec, Population, Simulator


class Bowl(Simulator):
    """Fitness -|g - 1|^2, with NaN for every genome whose first gene is negative."""

    def _evaluate(self, genomes, spec, rng):
        f = -np.sum((genomes - 1.0) ** 2, axis=1)
        return np.where(genomes[:, 0] < 0, np.nan, f)


def comparable(history):
    return [{k: v for k, v in row.items() if k != "time_s"} for row in history.rows]


def test_same_seed_same_run_and_different_seeds_differ():
    runs = []
    for seed in (1, 1, 2):
        pop = Population([2, 2, 1], seed=seed, population_size=20)
        pop.evolve(Bowl(), 15, progress=False)
        runs.append((comparable(pop.history), pop.best_genome))
    assert runs[0][0] == runs[1][0] and np.array_equal(runs[0][1], runs[1][1])
    assert runs[0][0] != runs[2][0]


def test_history_records_every_generation():
    pop = Population([2, 2, 1], seed=0, population_size=20)
    h = pop.evolve(Bowl(), 12, progress=False)
    assert len(h) == 12 and h["generation"].tolist() == list(range(1, 13))
    assert h["evaluations"][-1] == 240
    assert np.all(np.diff(h["best_so_far"]) >= 0)
    assert np.all(h["fitness_p10"] <= h["fitness_p50"]) and np.all(h["fitness_p50"] <= h["fitness_p90"])
    assert pop.best_fitness == h["best_so_far"][-1] == np.nanmax(h["fitness_max"])
    with pytest.raises(KeyError, match=re.escape("no column 'nope' in the history")):
        h["nope"]


def test_non_finite_fitness_never_reaches_genomes_or_best():
    pop = Population([2, 2, 1], seed=3, population_size=30, rate=0.5)
    pop.evolve(Bowl(), 25, progress=False)
    assert np.isfinite(pop.best_fitness) and pop.best_genome[0] >= 0
    assert pop.history["nonfinite"].sum() > 0
    assert np.all(np.isfinite(pop.state.parents))
    assert pop.best_fitness > -1.0       # still made progress toward the optimum at 1


def test_resumed_run_continues_exactly(tmp_path):
    unbroken = Population([2, 3, 1], seed=7, population_size=16, elitism=1)
    unbroken.evolve(XOR(), 20, progress=False)

    first = Population([2, 3, 1], seed=7, population_size=16, elitism=1)
    first.evolve(XOR(), 8, progress=False)
    path = first.save(tmp_path / "ck.npz")
    resumed = Population.load(path)
    assert np.array_equal(resumed.ask_next(), first.ask_next())
    resumed.evolve(XOR(), 12, progress=False)
    assert comparable(resumed.history) == comparable(unbroken.history)
    assert np.array_equal(resumed.best_genome, unbroken.best_genome)
    assert np.array_equal(resumed.state.parents, unbroken.state.parents)


def test_target_stops_early():
    pop = Population([2, 2, 1], seed=0, population_size=30, elitism=1)
    pop.evolve(Bowl(), 500, target=-0.5, progress=False)
    assert pop.generation < 500 and pop.history["fitness_max"][-1] >= -0.5
    assert np.all(pop.history["fitness_max"][:-1] < -0.5)


def test_callback_can_stop_the_run():
    pop = Population([2, 2, 1], seed=0, population_size=10)
    pop.evolve(Bowl(), 50, callback=lambda p, row: row["generation"] == 4, progress=False)
    assert pop.generation == 4


def test_population_errors():
    with pytest.raises(ValueError, match=re.escape("RankGAConfig: population_size must be >= 2; got 1")):
        Population([2, 2, 1], population_size=1)
    with pytest.raises(ValueError, match=re.escape("unknown strategy 'gaa'; choose one of")):
        Population([2, 2, 1], "gaa")
    with pytest.raises(ValueError, match=re.escape("XOR feeds 2 inputs to the network, but the network [3, 1] "
                                                   "takes 3; make its first layer size 2")):
        Population([3, 1]).evolve(XOR(), 1)
    with pytest.raises(TypeError, match=re.escape("simulator must be a neuroevo Simulator")):
        Population([2, 1]).evolve(lambda g: g.sum(1), 1)
    with pytest.raises(ValueError, match=re.escape("generations must be >= 0; got -1")):
        Population([2, 1]).evolve(XOR(), -1)
    with pytest.raises(ValueError, match=re.escape("seed must be >= 0; got -3")):
        Population([2, 1], seed=-3)


def test_checkpoint_errors_leave_nothing_behind(tmp_path):
    pop = Population(NetworkSpec([2, 1]), seed=0)
    with pytest.raises(ValueError, match=re.escape("checkpoint path must end in .npz; got")):
        pop.save(tmp_path / "ck.json")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(FileNotFoundError, match=re.escape("no checkpoint at")):
        Population.load(tmp_path / "missing.npz")
    (tmp_path / "other.npz").write_bytes(b"")
    np.savez(tmp_path / "other.npz", a=np.zeros(2))
    with pytest.raises(ValueError, match=re.escape("is not a neuroevo checkpoint")):
        Population.load(tmp_path / "other.npz")


def test_simulator_returning_wrong_shape_is_caught():
    class Broken(Simulator):
        def _evaluate(self, genomes, spec, rng):
            return np.zeros(3)

    with pytest.raises(RuntimeError, match=re.escape("Broken._evaluate returned shape (3,); expected (10,)")):
        Population([2, 1], population_size=10).evolve(Broken(), 1)


@pytest.mark.parametrize("strategy", ["rank_ga", "cmaes", "pgpe"])
def test_the_fitness_summary_is_computed_once_per_generation(monkeypatch, strategy):
    calls = []
    percentile = np.percentile
    monkeypatch.setattr(np, "percentile", lambda *a, **k: calls.append(1) or percentile(*a, **k))
    pop = Population([2, 2, 1], strategy, seed=0, population_size=20)
    pop.evolve(Bowl(), 4, progress=False)
    assert len(calls) == 4                   # the strategy's tell and the history row share one summary
    row, f = pop.history.rows[-1], pop.fitness[np.isfinite(pop.fitness)]
    assert row["nonfinite"] == pop.fitness.size - f.size
    assert (row["fitness_max"], row["fitness_mean"], row["fitness_std"]) == (f.max(), f.mean(), f.std())
    assert row["fitness_p25"] == percentile(f, 25) and row["fitness_p90"] == percentile(f, 90)


def test_the_fitness_summary_of_other_values_is_computed_anew():
    from neuroevo.strategies.shaping import fitness_stats

    a = fitness_stats(np.array([1.0, 2.0, np.nan]))
    a["fitness_max"] = 99.0                  # the caller's copy: the next summary is not touched
    assert fitness_stats(np.array([1.0, 2.0, -np.inf]))["fitness_max"] == 2.0
    assert fitness_stats(np.array([1.0, 3.0, np.nan]))["fitness_max"] == 3.0
    assert fitness_stats(np.array([1.0, 3.0]))["nonfinite"] == 0
    assert fitness_stats(np.array([1, 3], dtype=np.float32))["fitness_mean"] == 2.0
