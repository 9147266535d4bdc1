"""The suite task and `neuroevo evaluate --suite`, through the API and as real processes."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import JIT

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))
from helpers import assert_same_run, neuroevo, only_run, rows_of  # noqa: E402

import neuroevo as ne  # noqa: E402
from neuroevo import GenerationKey, NetworkSpec  # noqa: E402
from tracks import evaluate_suite  # noqa: E402
from tracks.suite_task import SuiteTask, TrainingSuiteSimulator  # noqa: E402
from tracks.suites import training_tracks  # noqa: E402

#: Runs that score whole held-out suites (millions of steps) need the compiled kernels.
compiled = pytest.mark.skipif(not JIT, reason="scores whole suites: too slow with NUMBA_DISABLE_JIT=1")

#: A small suite run: 3 tracks of 200 steps, fresh every 3 generations, a curriculum from spread 1.2.
SMALL = ("--tracks", "3", "--track-length", "200", "--fresh-every", "3", "--spread-start", "1.2",
         "--validation-tracks", "8", "--top", "5", "--test-suites", "twisty", "--population-size", "20",
         "--no-progress", "--no-plots")


def test_training_tracks_come_from_the_common_stream_and_change_between_generations():
    sim = TrainingSuiteSimulator(tracks=4, length=200, fresh_every=2)
    spec = NetworkSpec([7, 4, 1])
    genomes = np.random.default_rng(0).normal(size=(6, spec.num_params))
    key = GenerationKey(11)
    seeds = sim.seeds_for(key)
    assert np.array_equal(seeds, key.common().integers(0, 2**63, size=4, dtype=np.int64))
    whole = sim.evaluate_block(genomes, spec, key)
    part = sim.evaluate_block(genomes[3:], spec, key.block(3))       # a block scores the same tracks
    np.testing.assert_array_equal(whole.fitness[3:], part.fitness)
    ref = evaluate_suite(genomes, spec, training_tracks(seeds, spread=2.5, length=200))
    np.testing.assert_array_equal(whole.fitness, ref.mean_score)
    assert sim.rollouts(6) == 24
    sim.end_generation(whole.extras)                           # generation 1: keeps the tracks
    assert np.array_equal(sim.seeds, seeds) and np.array_equal(sim.seeds_for(GenerationKey(12)), seeds)
    sim.end_generation(whole.extras)                           # generation 2: fresh ones
    assert not np.array_equal(sim.seeds_for(GenerationKey(12)), seeds)
    state = sim.get_state()
    twin = TrainingSuiteSimulator(tracks=4, length=200, fresh_every=2)
    twin.set_state(state)
    np.testing.assert_array_equal(twin.evaluate_block(genomes, spec, GenerationKey(5)).fitness,
                                  sim.evaluate_block(genomes, spec, GenerationKey(5)).fitness)
    with pytest.raises(ValueError, match="the checkpoint's state holds \\['calls'\\]"):
        twin.set_state({"calls": np.zeros(1)})


def test_the_curriculum_widens_when_the_best_tenth_completes_the_tracks():
    sim = TrainingSuiteSimulator(tracks=2, length=100, spread=2.0, spread_start=1.0, fresh_every=1)
    extras = {"track_seeds": np.zeros((10, 2), dtype=np.int64), "completed": np.r_[1.0, np.zeros(9)]}
    metrics = sim.end_generation(extras)
    assert sim.spread == pytest.approx(1.1) and metrics["completed_best_tenth"] == 1.0
    sim.end_generation(extras | {"completed": np.r_[0.5, np.zeros(9)]})
    assert sim.spread == pytest.approx(1.1)


@compiled
def test_a_suite_run_counts_its_rollouts_and_tests_the_driver_on_held_out_suites():
    r = ne.run("suite", generations=6, write=False, progress=False, tracks=3, track_length=200,
               validation_tracks=8, top=5, test_suites=("twisty", "narrow"), population_size=20)
    s = r.summary
    assert s["genome_evaluations"] == 6 * 20
    assert s["selection_rollouts"] == 5 * 8 and s["evaluations"] == 6 * 20 * 3 + 5 * 8
    assert [row["rollouts"] for row in r.population.history.rows] == [60 * g for g in range(1, 7)]
    assert set(s["held_out"]) == {"twisty", "narrow"}
    level = s["held_out"]["twisty"]["levels"][0]
    assert level["level"] == 1.0 and level["tracks"] == 40 and 0 <= level["completed"] <= 1
    assert "rollouts      400 track rollouts" in r.report() and "twisty v1" in r.report()


@compiled
def test_race_summary_counts_the_robust_ranking_rollouts():
    r = ne.run("race", generations=3, write=False, progress=False, robust_samples=4)
    s = r.summary
    assert s["genome_evaluations"] == 300 and s["selection_rollouts"] == 400 and s["evaluations"] == 700


@compiled
def test_suite_run_resumed_from_its_checkpoint_equals_the_unbroken_run(tmp_path):
    whole, split = tmp_path / "whole", tmp_path / "split"
    assert neuroevo("run", "suite", "--generations", "14", "--out", whole, *SMALL).returncode == 0
    assert neuroevo("run", "suite", "--generations", "7", "--out", split, *SMALL).returncode == 0
    run = only_run(split)
    done = neuroevo("resume", run, "--generations", "7")
    assert done.returncode == 0, done.stderr
    assert_same_run(only_run(whole), run)
    spreads = [row["spread"] for row in rows_of(run)]
    assert spreads[0] >= 1.2 and spreads == sorted(spreads)


@compiled
def test_evaluate_suite_on_a_race_run_writes_one_file_per_suite_and_a_plot(tmp_path):
    assert neuroevo("race", "--generations", "5", "--out", tmp_path, "--no-progress", "--no-plots").returncode == 0
    run = only_run(tmp_path)
    p = neuroevo("evaluate", run, "--suite", "twisty,narrow", "--suite", "twisty", "--top", "2")
    assert p.returncode == 0, p.stderr
    assert "twisty v1" in p.stdout and "narrow v1" in p.stdout and "top 2" in p.stdout
    for name in ("twisty", "narrow"):
        figures = json.loads((run / "evaluate" / f"{name}.json").read_text())
        assert figures["suite"] == name and figures["genomes"] == 2
        assert [r["level"] for r in figures["levels"]] == [1.0, 1.25, 1.5, 2.0, 3.0, 4.0]
    assert (run / "evaluate" / "suites.png").stat().st_size > 10_000
    loaded, figures = ne.evaluate_run(run, write=False, suite=("long:1",))
    assert list(figures) == ["long-v1"] and figures["long-v1"]["version"] == 1


def test_neuroevo_suites_lists_every_suite():
    p = neuroevo("suites")
    assert p.returncode == 0
    for name in ("train", "twisty", "swings", "narrow", "offset", "long", "varying", "mixed"):
        assert f"\n{name}" in "\n" + p.stdout
    assert "40 tracks per level, levels 1x, 1.25x, 1.5x, 2x, 3x, 4x" in p.stdout


def test_suite_task_defaults_are_checked():
    with pytest.raises(ValueError, match="unknown suite 'nope'"):
        SuiteTask(test_suites=("nope",))
    with pytest.raises(ValueError, match="spread_start must be <= 2.5"):
        SuiteTask(spread_start=3.0)


@compiled
def test_evaluate_suite_takes_a_suite_name(spec, evolved):
    by_level = evaluate_suite(evolved[0][:3], spec, "offset")
    assert list(by_level) == [1.0, 1.25, 1.5, 2.0, 3.0, 4.0]
    from tracks import suite_tracks
    np.testing.assert_array_equal(by_level[2.0].scores, evaluate_suite(evolved[0][:3], spec,
                                                                       suite_tracks("offset", 2.0)).scores)
    with pytest.raises(ValueError, match="unknown suite 'offsets'"):
        evaluate_suite(evolved[0][:3], spec, "offsets")
