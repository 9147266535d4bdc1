"""The racing track as a Gymnasium env: it passes Gymnasium's env checker with no warning, and its
episode return is TrackSimulator's score, genome for genome."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium", reason='the track env needs the gym extra: pip install -e ".[gym]"')

import neuroevo  # noqa: E402
from neuroevo import GenerationKey, GymSimulator, NetworkSpec  # noqa: E402
from neuroevo.network import forward  # noqa: E402
from tracks import TrackSimulator, random_track, seed_training_track  # noqa: E402
from tracks.env import ENV_ID, TrackEnv  # noqa: E402


def test_registered_on_import_and_passes_the_env_checker():
    from gymnasium.utils.env_checker import check_env

    assert ENV_ID in gym.registry
    for kwargs in ({}, {"track_seed": 3, "length": 300, "sensors": (0, 4)}):
        env = gym.make(ENV_ID, **kwargs)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            check_env(env.unwrapped)
        assert [str(w.message) for w in caught] == []


def test_tracks_imports_without_gymnasium(tmp_path):
    """A gymnasium that cannot be imported leaves tracks working, without the env."""
    fake = tmp_path / "nogym" / "gymnasium"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('No module named gymnasium')\n")
    code = "import tracks; print(tracks.TrackSimulator.__name__)"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(tmp_path / "nogym")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "TrackSimulator"


def _play(env, genome, spec, options=None) -> float:
    obs, _ = env.reset(seed=0, options=options)
    total, done = 0.0, False
    while not done:
        force = forward(genome[None], spec, obs[None])[0, :1] - 0.5
        obs, reward, term, trunc, _ = env.step(force)
        total, done = total + reward, term or trunc
    return total


@pytest.fixture(scope="module")
def drivers():
    """Random drivers (most crash early) and the final generation of a short race run (some finish)."""
    spec = NetworkSpec([7, 8, 4, 1], "sigmoid")
    random_genomes = np.random.default_rng(0).uniform(-1, 1, size=(12, spec.num_params))
    run = neuroevo.run("race", write=False, progress=False, generations=40, robust_samples=0, extra_generations=0)
    return spec, np.concatenate([random_genomes, run.population.genomes[:12]])


def test_episode_return_equals_the_simulators_score(drivers):
    spec, genomes = drivers
    track = seed_training_track()
    scores = TrackSimulator(track).scores(genomes, spec)
    assert scores.max() == TrackSimulator(track).max_score and scores.min() < 50     # both kinds are there
    env = TrackEnv()
    returns = np.array([_play(env, g, spec) for g in genomes])
    assert np.array_equal(returns, scores)
    # a procedural track chosen by a reset option
    env_scores = np.array([_play(env, g, spec, options={"track_seed": 7}) for g in genomes])
    assert env.track == random_track(7, length=1000)
    assert np.array_equal(env_scores, TrackSimulator(random_track(7, length=1000)).scores(genomes, spec))


def test_gym_simulator_on_the_track_env_scores_like_track_simulator(drivers):
    spec, genomes = drivers
    sim = GymSimulator(ENV_ID, episodes=1, max_steps=10**6)
    assert sim.action_map.kind == "box" and sim.num_inputs == 7
    fitness = sim.evaluate(genomes, spec, key=GenerationKey(0))
    assert np.array_equal(fitness, TrackSimulator(seed_training_track()).scores(genomes, spec))


def test_bad_env_settings():
    with pytest.raises(ValueError, match=re.escape("neuroevo/Track-v0: track_seed must be >= -1; got -2")):
        TrackEnv(track_seed=-2)
    with pytest.raises(ValueError, match=re.escape("sensor offsets reach past the track")):
        TrackEnv(track_seed=1, length=5, sensors=(0, 9))
