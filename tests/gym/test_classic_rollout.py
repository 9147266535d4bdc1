"""The compiled rollouts (neuroevo.kernels.classic_rollout) against their reference, the NumPy ports
stepping all envs as arrays (which tests/gym/test_fast_paths.py checks against Gymnasium)."""

from __future__ import annotations

import pytest

pytest.importorskip("gymnasium", reason='the Gymnasium tests need the gym extra: pip install -e ".[gym]"')

import numba
import numpy as np

from neuroevo import GenerationKey, GymSimulator, NetworkSpec
from neuroevo.kernels.classic_control import PORTS
from neuroevo.kernels.classic_rollout import ENV_CODES, step_states

#: compiled, the kernel's sin and cos give the port's bits; run as plain Python (NUMBA_DISABLE_JIT=1,
#: for coverage) it calls math.sin, which can differ from NumPy's vectorized sin in the last bit
EXACT = not numba.config.DISABLE_JIT


def _same(a, b) -> bool:
    return bool(np.array_equal(a, b) if EXACT else np.allclose(a, b, rtol=1e-12, atol=1e-12))


LAYERS = {"CartPole-v1": [4, 6, 2], "Acrobot-v1": [6, 6, 3], "MountainCar-v0": [2, 6, 3],
          "MountainCarContinuous-v0": [2, 6, 1], "Pendulum-v1": [3, 6, 1]}


@pytest.mark.parametrize("env_id", sorted(PORTS))
def test_one_step_matches_the_port(env_id):
    port = PORTS[env_id]
    rng = np.random.default_rng(1)
    state = port.reset(np.arange(50))
    for _ in range(40):
        if env_id in ("Pendulum-v1", "MountainCarContinuous-v0"):
            actions = rng.uniform(-2.5, 2.5, 50).astype(np.float32).astype(np.float64)
        else:
            actions = rng.integers(0, 3 if env_id != "CartPole-v1" else 2, 50).astype(np.float64)
        expected = port.step(state, actions)
        mine = state.copy()
        reward, term = step_states(ENV_CODES[env_id], mine, actions)
        assert _same(mine, expected[0]) and _same(reward, expected[2])
        assert np.array_equal(term, expected[3])
        state = expected[0] if EXACT else mine


@pytest.mark.parametrize("env_id", sorted(PORTS))
@pytest.mark.parametrize("normalize", [False, True])
def test_rollout_matches_the_port(env_id, normalize):
    acts = ("tanh", ["tanh", "identity"], ["tanh", "sigmoid"]) if LAYERS[env_id][-1] == 1 else ("tanh",)
    for act in acts:
        spec = NetworkSpec(LAYERS[env_id], act)
        g = np.random.default_rng(2).normal(size=(9, spec.num_params))
        key = GenerationKey(4)
        results = []
        for backend in ("numba", "numpy"):
            sim = GymSimulator(env_id, episodes=3, normalize=normalize, alive_bonus=0.5, fast_backend=backend)
            first = sim.evaluate_block(g, spec, key)
            sim.end_generation(first.extras)                  # a second generation with statistics
            results.append((first, sim.evaluate_block(g, spec, GenerationKey(5))))
        for a, b in zip(*results):
            assert np.array_equal(a.fitness, b.fitness)
            assert np.array_equal(a.extras["env_steps"], b.extras["env_steps"])
            for name in a.extras:
                np.testing.assert_allclose(a.extras[name], b.extras[name], rtol=1e-12)


def test_threads_do_not_change_results():
    spec = NetworkSpec([3, 8, 1], "tanh")
    g = np.random.default_rng(3).normal(size=(40, spec.num_params))
    one = GymSimulator("Pendulum-v1", episodes=2, normalize=True, threads=1).evaluate_block(g, spec, GenerationKey(1))
    many = GymSimulator("Pendulum-v1", episodes=2, normalize=True, threads=3).evaluate_block(g, spec, GenerationKey(1))
    assert np.array_equal(one.fitness, many.fitness)
    for name in one.extras:
        assert np.array_equal(one.extras[name], many.extras[name])
