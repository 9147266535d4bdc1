import math
import re

import numpy as np
import pytest
from conftest import JIT

from neuroevo import NetworkSpec
from tracks import DEFAULT_SENSORS, Track, TrackSimulator, random_track, seed_test_track
from tracks.kernels import rollout
from tracks.reference import kernel_forward, rollout_reference

BACKENDS = ["numpy", "numba"]


def flat_track(length, top=0.5, bottom=-0.5):
    return Track(np.full(length, float(top)), np.full(length, float(bottom)))


@pytest.mark.parametrize("backend", BACKENDS)
def test_zero_genome_holds_still_until_the_corridor_moves_away(spec, backend):
    # All-zero weights: output sigmoid(0) = 0.5, force 0, so the player stays at p = 0.
    # At step 7 the corridor lies below 0: the player is out there, and only there.
    track = flat_track(30)
    top = track.top.copy()
    top[7] = -0.1
    track = Track(top, track.bottom)
    sim = TrackSimulator(track, backend=backend)
    positions, scores = sim.paths(np.zeros((3, spec.num_params)), spec)
    assert scores.tolist() == [7, 7, 7] and scores.dtype == np.int64
    np.testing.assert_array_equal(positions[:, :8], 0.0)          # on the track up to the crash step
    assert np.isnan(positions[:, 8:]).all() and positions.shape == (3, 30 - 9)


@pytest.mark.parametrize("backend", BACKENDS)
def test_never_leaving_scores_max_score(spec, backend):
    sim = TrackSimulator(flat_track(50), backend=backend)
    assert sim.max_score == 41
    assert sim.scores(np.zeros((2, spec.num_params)), spec).tolist() == [41, 41]


@pytest.mark.parametrize("backend", BACKENDS)
def test_constant_force_follows_the_half_step_physics(spec, backend):
    # Only the output bias is set: the force is the constant sigmoid(b) - 0.5 = 0.25.
    genome = np.zeros((1, spec.num_params))
    genome[0, -1] = math.log(3.0)
    force = 1 / (1 + math.exp(-math.log(3.0))) - 0.5
    p, v, expected = 0.0, 0.0, []
    for _ in range(12):
        expected.append(p)
        p, v = p + v / 2, v + force
        p = p + v / 2
    sim = TrackSimulator(flat_track(30, top=10.0, bottom=-10.0), backend=backend)
    positions, scores = sim.paths(genome, spec)
    # p after n steps is n**2 / 8; 81/8 > 10 ends step 8 (the ninth step)
    assert scores.tolist() == [8]
    np.testing.assert_allclose(positions[0, :9], expected[:9], rtol=1e-15, atol=0)
    np.testing.assert_allclose(positions[0, :9], np.arange(9) ** 2 / 8, rtol=1e-12)
    assert np.isnan(positions[0, 9:]).all()


def test_out_is_checked_against_the_barrier_of_the_current_step(spec):
    # The sensors see the gap 5 and 9 steps early; only top[index] decides the crash.
    top = np.full(40, 0.5)
    top[20] = -0.1
    track = Track(top, np.full(40, -0.5))
    for backend in BACKENDS:
        assert TrackSimulator(track, backend=backend).scores(np.zeros((1, 105)), spec).tolist() == [20]


def assert_same_rollout(genomes, spec, track, sensors=DEFAULT_SENSORS):
    sim = TrackSimulator(track, sensors)
    positions, scores = sim.paths(genomes, spec)
    ref_positions, ref_scores = rollout_reference(genomes, spec, track, sensors)
    np.testing.assert_array_equal(scores, ref_scores)
    np.testing.assert_array_equal(sim.scores(genomes, spec), ref_scores)
    np.testing.assert_array_equal(np.isnan(positions), np.isnan(ref_positions))
    np.testing.assert_allclose(positions, ref_positions, rtol=0, atol=1e-9)
    # With the kernel's own order of operations the reference matches it bit for bit.
    exact_positions, exact_scores = rollout_reference(genomes, spec, track, sensors,
                                                      forward_fn=lambda g, x: kernel_forward(g, spec, x))
    np.testing.assert_array_equal(exact_scores, scores)
    np.testing.assert_array_equal(exact_positions, positions)
    return scores


def test_numba_equals_reference_on_random_genomes(spec, training, random_genomes):
    scores = assert_same_rollout(random_genomes, spec, training)
    assert len(np.unique(scores)) > 5


def test_numba_equals_reference_on_evolved_genomes(spec, training, evolved):
    scores = assert_same_rollout(evolved[0], spec, training)
    assert scores.max() == 391                     # the run found genomes that finish


def test_numba_equals_reference_on_another_track_and_other_sensors(evolved):
    rng = np.random.default_rng(11)
    sensors = (3, 0, 12, 1)                        # any order, any number
    spec = NetworkSpec([9, 6, 1], activation=["tanh", "sigmoid"])
    genomes = rng.normal(0, 1.5, (60 if JIT else 12, spec.num_params))
    assert_same_rollout(genomes, spec, random_track(5, length=300, amplitude=8.0), sensors)


@pytest.mark.slow
def test_genomes_that_finish_the_training_track_finish_unseen_tracks(spec, training, evolved):
    if not JIT:
        pytest.skip("4000 steps are slow uncompiled")
    finishers = evolved[0][TrackSimulator(training).scores(evolved[0], spec) == 391]
    # seed 3: 9 of its 15 finishers also finish the first test track
    for seed in range(3):
        sim = TrackSimulator(seed_test_track(seed))
        assert np.any(sim.scores(finishers, spec) == sim.max_score)


@pytest.mark.parametrize("lanes", [1, 3, 64])
def test_block_width_does_not_change_scores(spec, training, random_genomes, evolved, lanes):
    genomes = np.concatenate([random_genomes, evolved[0]])
    scores = np.empty(len(genomes), dtype=np.int64)
    paths = np.full((len(genomes), 391), np.nan)
    rollout(genomes, np.array(spec.layout), np.array(spec.act_codes), np.array(training.top),
            np.array(training.bottom), np.array(DEFAULT_SENSORS), 391, 0, len(genomes), lanes, scores, paths)
    ref_paths, ref_scores = TrackSimulator(training, threads=1).paths(genomes, spec)
    np.testing.assert_array_equal(scores, ref_scores)
    np.testing.assert_array_equal(paths, ref_paths)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_threads_do_not_change_scores(spec, training, random_genomes, evolved, threads):
    genomes = np.concatenate([random_genomes, evolved[0]])
    expected = rollout_reference(genomes, spec, training, DEFAULT_SENSORS)[1]
    sim = TrackSimulator(training, threads=threads)
    np.testing.assert_array_equal(sim.scores(genomes, spec), expected)
    np.testing.assert_array_equal(sim.scores(genomes[:10], spec), expected[:10])


def test_small_calls_stay_on_one_thread_and_long_ones_use_all(spec, training, random_genomes, evolved):
    from tracks.sim import PARALLEL_MIN_GENOMES, PARALLEL_MIN_SECONDS
    sim = TrackSimulator(training, threads=2)
    assert sim.threads_for(100) == 2                  # nothing timed yet: every genome may finish
    assert sim.threads_for(2 * PARALLEL_MIN_GENOMES - 1) == 1       # too few genomes to share
    sim.scores(random_genomes[:20], spec)             # random genomes crash within a few steps
    assert sim.threads_for(20) == 1
    cost = sim._seconds_per_genome
    assert sim.threads_for(int(PARALLEL_MIN_SECONDS / cost) + 2 * PARALLEL_MIN_GENOMES) == 2
    assert sim.threads_for(int(PARALLEL_MIN_SECONDS / cost) - 1) == 1
    assert TrackSimulator(training, threads=1).threads_for(10**6) == 1
    assert TrackSimulator(training, threads=3).threads_for(2 * PARALLEL_MIN_GENOMES) == 2


def test_evaluate_returns_float_fitness_and_accepts_read_only_genomes(spec, training, evolved):
    genomes = evolved[0].copy()
    genomes.setflags(write=False)
    sim = TrackSimulator(training)
    fitness = sim.evaluate(genomes, spec)
    assert fitness.dtype == np.float64 and fitness.shape == (50,)
    np.testing.assert_array_equal(fitness, sim.scores(genomes, [7, 8, 4, 1]))


def test_sensors_past_the_end_of_the_track_are_rejected():
    with pytest.raises(ValueError, match=re.escape(
            "sensor offsets reach past the track: max(sensors) = 9 but track '' has 9 steps "
            "(the track is shorter than its sensors)")):
        TrackSimulator(flat_track(9))
    assert TrackSimulator(flat_track(10)).max_score == 1


@pytest.mark.parametrize("sensors, error, msg", [
    ((), ValueError, "sensors must be a non-empty sequence of look-ahead offsets such as (0, 5, 9); got ()"),
    ((0, -2), ValueError, "TrackSimulator: sensors[1] must be >= 0; got -2"),
    ((0, 2.5), TypeError, "TrackSimulator: sensors[1] must be an integer; got 2.5"),
    ("059", TypeError, "sensors must be a sequence of look-ahead offsets such as (0, 5, 9); got '059'"),
    (5, TypeError, "sensors must be a sequence of look-ahead offsets such as (0, 5, 9); got 5"),
])
def test_bad_sensors_are_rejected(sensors, error, msg, training):
    with pytest.raises(error, match=re.escape(msg)):
        TrackSimulator(training, sensors)


def test_network_size_must_fit_the_sensors(training):
    sim = TrackSimulator(training, sensors=(0, 4))
    assert sim.num_inputs == 5 and sim.num_outputs == 1
    with pytest.raises(ValueError, match=re.escape(
            "TrackSimulator feeds 5 inputs to the network, but the network [7, 8, 4, 1] takes 7")):
        sim.scores(np.zeros((2, 105)), [7, 8, 4, 1])
    with pytest.raises(ValueError, match=re.escape(
            "TrackSimulator reads 1 outputs from the network, but the network [5, 3, 2] has 2")):
        sim.evaluate(np.zeros((2, 21)), [5, 3, 2])


def test_bad_backend_threads_and_track_are_rejected(training):
    with pytest.raises(ValueError, match=re.escape("TrackSimulator: unknown backend 'cuda'; choose one of "
                                                   "['numba', 'numpy']")):
        TrackSimulator(training, backend="cuda")
    with pytest.raises(ValueError, match=re.escape("TrackSimulator: threads must be >= 1; got 0")):
        TrackSimulator(training, threads=0)
    with pytest.raises(TypeError, match=re.escape("track must be a tracks.Track")):
        TrackSimulator(np.zeros(10))
    with pytest.raises(ValueError, match=re.escape("genomes must have 105 columns")):
        TrackSimulator(training).scores(np.zeros((2, 104)), [7, 8, 4, 1])
