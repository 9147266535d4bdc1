import re
import subprocess
import sys

import numpy as np
import pytest
from conftest import JIT

from neuroevo import NetworkSpec
from tracks import Track, TrackSimulator, random_track
from tracks.reference import rollout_reference

pytest.importorskip("jax", reason='the JAX peer needs jax: pip install "neuroevo[bench]"')

from tracks import jax_peer  # noqa: E402  (after the skip: importing it is fine, its jax is lazy)


@pytest.fixture(scope="module")
def mixed(spec, training, random_genomes, evolved):
    """Random genomes, the evolved generation, and noise around its best genome: early crashes,
    late crashes and genomes that finish the track."""
    sim = TrackSimulator(training, backend="numba" if JIT else "numpy")     # the same scores, tested elsewhere
    last = evolved[0]
    best = last[np.argmax(sim.scores(last, spec))]
    near = best + np.random.default_rng(3).normal(0.0, 0.05, (100, spec.num_params))
    genomes = np.concatenate([random_genomes[:100], last, near])
    scores = sim.scores(genomes, spec)
    if not (scores.min() < 10 and np.any(scores == sim.max_score) and np.any((scores > 100) & (scores < 391))):
        raise RuntimeError(f"the mixed population should crash early, late and not at all; got {np.unique(scores)}")
    return genomes, scores


@pytest.mark.parametrize("variant", jax_peer.VARIANTS)
def test_scores_equal_the_reference_and_the_kernel(spec, training, mixed, variant):
    genomes, kernel = mixed
    reference = rollout_reference(genomes, spec, training, (0, 5, 9))[1]
    np.testing.assert_array_equal(kernel, reference)
    got = jax_peer.scores(genomes, spec, training, variant=variant)
    assert got.dtype == np.int64 and got.shape == (len(genomes),)
    np.testing.assert_array_equal(got, reference)


@pytest.fixture(scope="module")
def every_activation():
    """A network with every activation, on a short random track with two sensors, and its reference scores."""
    spec = NetworkSpec([5, 6, 5, 4, 1], activation=["tanh", "relu", "identity", "sigmoid"])
    track = random_track(11, length=120, smoothness=20.0, amplitude=5.0, width=3.0)
    genomes = np.random.default_rng(5).normal(0.0, 0.3, (70, spec.num_params))
    reference = rollout_reference(genomes, spec, track, (0, 4))[1]
    if len(np.unique(reference)) < 5:
        raise RuntimeError(f"the population should score a spread of steps; got {np.unique(reference)}")
    np.testing.assert_array_equal(TrackSimulator(track, sensors=(0, 4)).scores(genomes, spec), reference)
    return spec, track, genomes, reference


@pytest.mark.parametrize("variant", jax_peer.VARIANTS)
def test_every_activation_on_another_track_and_sensor_set(every_activation, variant):
    spec, track, genomes, reference = every_activation
    np.testing.assert_array_equal(jax_peer.scores(genomes, spec, track, (0, 4), variant=variant), reference)


def test_float32_row_mostly_agrees(spec, training, mixed):
    genomes, kernel = mixed
    got = jax_peer.scores(genomes, spec, training, dtype="float32")
    assert got.dtype == np.int64 and got.min() >= 0 and got.max() <= 391
    assert np.mean(got == kernel) >= 0.9


def test_saturated_sigmoid(training):
    # A huge output bias: z = +-1e4, where exp(|z|) would overflow (and exp(z)/(1+exp(z)) give NaN).
    spec = NetworkSpec([7, 1])
    genomes = np.zeros((2, spec.num_params))
    genomes[:, -1] = [1e4, -1e4]                      # force +0.5 and -0.5: both leave the corridor
    got = jax_peer.scores(genomes, spec, training)
    np.testing.assert_array_equal(got, TrackSimulator(training).scores(genomes, spec))


def test_bad_inputs_raise_clear_errors(spec, training):
    genomes = np.zeros((3, spec.num_params))
    with pytest.raises(ValueError, match=re.escape("genomes must have 105 columns (the network's num_params); "
                                                   "got shape (3, 104)")):
        jax_peer.scores(genomes[:, :-1], spec, training)
    with pytest.raises(TypeError, match=re.escape("jax_peer.scores: track must be a tracks.Track")):
        jax_peer.scores(genomes, spec, training.top)
    with pytest.raises(ValueError, match=re.escape("max(sensors) = 30 but track '' has 20 steps")):
        jax_peer.scores(genomes, spec, Track(np.ones(20), -np.ones(20)), (0, 30, 9))
    with pytest.raises(ValueError, match=re.escape("jax_peer.scores: layers must start with 5 inputs (velocity "
                                                   "+ 2 per sensor for 2 sensors) and end with 1 output; got "
                                                   "[7, 8, 4, 1]")):
        jax_peer.scores(genomes, spec, training, (0, 5))
    with pytest.raises(ValueError, match=re.escape("unknown variant 'scan'; choose one of")):
        jax_peer.scores(genomes, spec, training, variant="scan")


def test_missing_jax_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "jax", None)          # import jax now raises ImportError
    with pytest.raises(ImportError, match=re.escape('pip install "neuroevo[bench]"')):
        jax_peer._jax()


def test_import_tracks_does_not_import_jax():
    code = "import sys, tracks, tracks.jax_peer; print('jax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_measure_times_one_thread_in_a_subprocess(spec, training, mixed):
    genomes = mixed[0][::12]
    result = jax_peer.measure(genomes, spec, training, threads=1, repeats=2)
    np.testing.assert_array_equal(result["scores"], mixed[1][::12])
    assert result["threads"] == 1 and result["devices"] == 1 and len(result["cores"]) == 1
    assert result["threads_verified"] and result["variant"] == jax_peer.PEER and result["dtype"] == "float64"
    # at least the 2 repeats; more (up to MAX_CALLS) while they add up to under MIN_SECONDS
    calls = len(result["times_s"])
    assert 2 <= calls <= jax_peer.MAX_CALLS and (calls == 2 or sum(result["times_s"][:-1]) < jax_peer.MIN_SECONDS)
    assert 0 < result["best_s"] == min(result["times_s"])
    assert result["compile_s"] > 0 and result["P"] == len(genomes) and result["max_score"] == 391
    assert result["gsps"] == pytest.approx(len(genomes) * 391 / result["best_s"])
    assert re.fullmatch(r"\d+\.\d+.*", result["jax_version"])
