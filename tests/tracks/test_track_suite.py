import re

import numpy as np
import pytest
from conftest import JIT

from neuroevo import Population
from tracks import SuiteResult, SuiteSimulator, TrackSimulator, evaluate_suite, seed_training_track, track_suite


@pytest.fixture(scope="module")
def tracks():
    return track_suite(3, length=250 if JIT else 60) + [seed_training_track()]


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_suite_scores_are_the_per_track_scores(spec, tracks, evolved, random_genomes, backend):
    genomes = np.concatenate([evolved[0][:20], random_genomes[:20]])
    result = evaluate_suite(genomes, spec, tracks, backend=backend)
    assert isinstance(result, SuiteResult)
    expected = np.stack([TrackSimulator(t).scores(genomes, spec) for t in tracks], axis=1)
    assert result.scores.dtype == np.int64 and result.scores.shape == (40, 4)
    np.testing.assert_array_equal(result.scores, expected)
    assert result.max_scores.tolist() == [t.length - 9 for t in tracks]
    np.testing.assert_array_equal(result.completed, expected == result.max_scores)
    np.testing.assert_allclose(result.mean_score, np.mean(expected / result.max_scores, axis=1), rtol=1e-15)
    np.testing.assert_array_equal(result.fraction_completed, np.mean(expected == result.max_scores, axis=1))
    assert result.completed[:, 3].any() and not result.completed[20:].any()


def test_suite_simulator_fitness_is_the_mean_fraction_survived(spec, tracks, evolved):
    sim = SuiteSimulator(tracks)
    fitness = sim.evaluate(evolved[0], spec)
    assert fitness.dtype == np.float64 and fitness.shape == (50,)
    assert np.all((fitness >= 0) & (fitness <= 1))
    np.testing.assert_array_equal(fitness, evaluate_suite(evolved[0], spec, tracks).mean_score)


def test_population_trains_on_a_suite(spec, tracks):
    pop = Population(spec, "rank_ga", seed=0, population_size=10)
    history = pop.evolve(SuiteSimulator(tracks), 3, progress=False)
    assert len(history) == 3 and 0 < pop.best_fitness <= 1


def test_suite_validation(spec, tracks):
    with pytest.raises(TypeError, match=re.escape("got a single Track, pass [track]")):
        SuiteSimulator(tracks[0])
    with pytest.raises(ValueError, match=re.escape("tracks is empty")):
        evaluate_suite(np.zeros((1, 105)), spec, [])
    with pytest.raises(TypeError, match=re.escape("SuiteSimulator: tracks[1] must be a Track; got str")):
        SuiteSimulator([tracks[0], "track"])
    short = track_suite([9], length=5)
    with pytest.raises(ValueError, match=re.escape("sensor offsets reach past the track: max(sensors) = 9 but "
                                                   "track 'random-9' has 5 steps")):
        evaluate_suite(np.zeros((1, 105)), spec, tracks + short)
    with pytest.raises(ValueError, match=re.escape("SuiteSimulator feeds 5 inputs to the network")):
        SuiteSimulator(tracks, sensors=(0, 3)).run(np.zeros((1, 105)), spec)
