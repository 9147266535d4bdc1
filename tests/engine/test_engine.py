"""The run engine through the Python API: one call per task, the run folder, the loader, contracts."""

import io
import json
import re
import threading

import numpy as np
import pytest

import neuroevo
from neuroevo import GenerationKey, Population, Simulator
from neuroevo.engine.progress import Progress
from neuroevo.io.runlog import make_run_dir
from neuroevo.tasks import task_names


def test_xor_in_one_call_writes_a_complete_run_folder(tmp_path):
    result = neuroevo.run("xor", seed=1, out=str(tmp_path), progress=False)
    run = result.run_dir
    assert result.summary["solved"] and result.summary["stopped"] == "mean squared error below 0.01"
    for name in ("config.json", "metrics.jsonl", "best_genome.npy", "top_genomes.npy", "summary.json",
                 "checkpoints/last.npz", "checkpoints/previous.npz", "plots/fitness.png", "plots/xor_surface.png"):
        assert (run / name).is_file(), name
    config = json.loads((run / "config.json").read_text())
    assert config["task"] == "xor" and config["layers"] == [2, 3, 1] and config["seed"] == 1
    assert config["strategy_settings"] == {"population_size": 50, "rate": 0.5}
    assert "neuroevo xor: rank_ga, network [2, 3, 1] sigmoid, population 50, seed 1" in result.report()
    loaded = neuroevo.load_run(run)
    assert loaded.finished and np.array_equal(loaded.best_genome, result.best_genome)
    assert loaded.network == result.population.network and loaded.plan.task == result.plan.task
    _, figures = neuroevo.evaluate_run(run)
    assert figures["solved"] and figures["mse"] == result.summary["mse"]


def test_out_may_be_a_path(tmp_path):
    result = neuroevo.run("xor", generations=2, out=tmp_path / "runs", progress=False, plots=False)
    assert result.run_dir.parent == tmp_path / "runs"
    assert json.loads((result.run_dir / "config.json").read_text())["out"] == str(tmp_path / "runs")


def test_sin_fits_the_held_out_points():
    s = neuroevo.run("sin", seed=0, write=False, progress=False).summary
    assert s["held_out_mse"] < 1e-3 and s["train_mse"] < 1e-4 and s["held_out_points"] == 31


def test_race_through_the_engine_and_evaluate_on_another_test_track(tmp_path):
    result = neuroevo.run("race", seed=0, out=str(tmp_path), progress=False, plots=False)
    s = result.summary
    assert s["train_completed"] and s["best_test_completed"] and s["completed_at"] is not None
    assert s["generations"] == s["completed_at"] + 30
    assert "stopped 30 generations after the track was first completed" in result.report()
    loaded, figures = neuroevo.evaluate_run(result.run_dir, test_seed=5)
    assert figures["test_seed"] == 5 and figures["test_max"] == s["test_max"]
    assert json.loads((result.run_dir / "evaluate" / "test_seed_5.json").read_text())["test_seed"] == 5
    msg = "task 'race' has no evaluate option ['depth']; it takes ['test_seed', 'suite', 'top']"
    with pytest.raises(ValueError, match=re.escape(msg)):
        neuroevo.evaluate_run(result.run_dir, depth=3)


def test_every_registered_task_runs_one_short_seed(tmp_path):
    assert {"xor", "sin", "race"} <= set(task_names())
    for name in task_names():
        result = neuroevo.run(name, seed=0, generations=2, out=str(tmp_path / name), progress=False)
        assert result.population.generation == 2 and len(result.population.history) == 2
        assert (result.run_dir / "plots" / "fitness.png").stat().st_size > 1000


class Clip(Simulator):
    """Writes into the genomes it is given: the read-only view must stop it."""

    layers = (2, 1)

    def _evaluate(self, genomes, spec, rng):
        np.clip(genomes, -0.1, 0.1, out=genomes)
        return -np.sum(genomes**2, axis=1)


def test_simulators_get_a_read_only_view_of_the_genomes(tmp_path):
    genomes = np.ones((4, 3))
    with pytest.raises(ValueError, match="read-only"):
        Clip().evaluate(genomes, [2, 1])
    assert np.all(genomes == 1)
    msg = "generation 1 failed: ValueError: output array is read-only"
    with pytest.raises(neuroevo.RunError, match=re.escape(msg)):
        neuroevo.run(Clip, write=False, progress=False, generations=2)


class Noisy(Simulator):
    """Fitness from the genome's own stream and the common stream of its generation."""

    def _evaluate_keyed(self, genomes, spec, key):
        common = key.common().normal()
        own = np.array([key.genome(i).normal() for i in range(genomes.shape[0])])
        return own + common - np.sum(genomes**2, axis=1)

    def _evaluate(self, genomes, spec, rng):
        raise AssertionError("not used")


def test_scores_do_not_depend_on_how_the_population_is_cut_into_blocks():
    genomes = np.random.default_rng(0).normal(size=(10, 3))
    key = GenerationKey.draw(np.random.default_rng(5))
    whole = Noisy().evaluate(genomes, [2, 1], key=key)
    blocks = np.concatenate([Noisy().evaluate(genomes[a:b], [2, 1], key=key.block(a))
                             for a, b in [(0, 3), (3, 4), (4, 10)]])
    assert np.array_equal(whole, blocks)
    other = Noisy().evaluate(genomes, [2, 1], key=GenerationKey.draw(np.random.default_rng(6)))
    assert not np.array_equal(whole, other)


def test_the_generation_key_is_drawn_after_ask_from_the_run_generator():
    pop = Population([2, 1], seed=4, population_size=6)
    rng = np.random.default_rng(4)
    genomes, _ = pop.strategy.ask(pop.state, rng)
    key = GenerationKey.draw(rng)
    seen = {}

    class Spy(Simulator):
        def _evaluate_keyed(self, g, spec, k):
            seen["key"], seen["genomes"] = k, np.array(g)
            return np.zeros(g.shape[0])

        def _evaluate(self, g, spec, r):
            return np.zeros(g.shape[0])

    pop.step(Spy())
    assert seen["key"] == key and np.array_equal(seen["genomes"], genomes)
    assert pop.rng.bit_generator.state == rng.bit_generator.state


def test_run_folder_names_are_unique_when_runs_start_together(tmp_path):
    made = []
    threads = [threading.Thread(target=lambda: made.append(make_run_dir(tmp_path, "xor", "rank_ga", 0)))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(made)) == 8 and all(p.is_dir() for p in made)


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_the_progress_bar_total_follows_the_stop_rule_and_ends_full():
    stream = FakeTerminal()
    bar = Progress(True, "neuroevo race", total=200, stream=stream)
    for g in range(1, 41):
        row = {"generation": g, "evaluations": 100 * g, "time_s": 0.01, "best_so_far": 1.0, "fitness_mean": 0.5}
        bar.update(row, total=200 if g < 10 else 40)
    assert bar.bar.total == 40 and bar.bar.n == 40
    bar.update({"generation": 41, "evaluations": 4100, "time_s": 0.01, "best_so_far": 1.0,
                "fitness_mean": 0.5}, total=200)
    tqdm_bar = bar.bar
    bar.close()
    assert tqdm_bar.n == tqdm_bar.total == 41


def test_population_checkpoints_keep_the_last_generation(tmp_path):
    pop = Population([2, 3, 1], seed=2, population_size=8)
    pop.evolve(neuroevo.XOR(), 3, progress=False)
    pop.save(tmp_path / "p.npz")
    back = Population.load(tmp_path / "p.npz")
    assert np.array_equal(back.genomes, pop.genomes) and np.array_equal(back.fitness, pop.fitness)
    assert np.array_equal(back.ask_next(), pop.ask_next())
