"""Compiled rollouts of the classic-control ports: physics and network fused in one loop per episode.

:func:`rollout` plays every genome on every episode from given initial states, one env at a time,
with no Python between steps. The physics of each env is a scalar function below, operation for
operation the NumPy port's (:mod:`neuroevo.kernels.classic_control`, which is itself checked
against Gymnasium); ``tests/gym/test_classic_rollout.py`` compares the two.

Env codes: 0 CartPole-v1, 1 Acrobot-v1, 2 MountainCar-v0, 3 MountainCarContinuous-v0, 4 Pendulum-v1.
Action codes: 0 argmax (Discrete), 1 scale [-1, 1] to the bounds, 2 tanh then scale, 3 clip to the
bounds, 4 scale [0, 1] to the bounds.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from neuroevo.kernels.forward import forward_single

ENV_CODES = {"CartPole-v1": 0, "Acrobot-v1": 1, "MountainCar-v0": 2, "MountainCarContinuous-v0": 3,
             "Pendulum-v1": 4}
ACTION_CODES = {"argmax": 0, "scale": 1, "tanh": 2, "clip": 3, "scale01": 4}
_PI = math.pi


@njit(cache=True, inline="always")
def _f32(x):
    return float(np.float32(x))


# -- physics, one env, state updated in place; returns (reward, terminated) -------------------------
@njit(cache=True)
def _cartpole(s, a):
    force = 10.0 if a == 1.0 else -10.0
    costheta, sintheta = math.cos(s[2]), math.sin(s[2])
    temp = (force + 0.05 * (s[3] * s[3]) * sintheta) / 1.1
    thetaacc = (9.8 * sintheta - costheta * temp) / (0.5 * (4.0 / 3.0 - 0.1 * (costheta * costheta) / 1.1))
    xacc = temp - 0.05 * thetaacc * costheta / 1.1
    x = s[0] + 0.02 * s[1]
    x_dot = s[1] + 0.02 * xacc
    theta = s[2] + 0.02 * s[3]
    theta_dot = s[3] + 0.02 * thetaacc
    s[0], s[1], s[2], s[3] = x, x_dot, theta, theta_dot
    limit = 12 * 2 * _PI / 360
    return 1.0, x < -2.4 or x > 2.4 or theta < -limit or theta > limit


@njit(cache=True)
def _acrobot_dsdt(s0, s1, s2, s3, a, out):
    d1 = 0.25 + 1.0 * (1.0 + 0.25 + 2 * 0.5 * math.cos(s1)) + 1.0 + 1.0
    d2 = 1.0 * (0.25 + 0.5 * math.cos(s1)) + 1.0
    phi2 = 0.5 * 9.8 * math.cos(s0 + s1 - _PI / 2.0)
    phi1 = (-0.5 * s3**2 * math.sin(s1) - 2 * 0.5 * s3 * s2 * math.sin(s1)
            + (0.5 + 1.0) * 9.8 * math.cos(s0 - _PI / 2) + phi2)
    dd2 = (a + d2 / d1 * phi1 - 0.5 * s2**2 * math.sin(s1) - phi2) / (0.25 + 1.0 - d2**2 / d1)
    dd1 = -(d2 * dd2 + phi1) / d1
    out[0], out[1], out[2], out[3] = s2, s3, dd1, dd2


@njit(cache=True)
def _acrobot(s, a, k):
    torque = a - 1.0                                   # actions 0, 1, 2 -> torques -1, 0, 1
    dt, dt2 = 0.2, 0.1
    _acrobot_dsdt(s[0], s[1], s[2], s[3], torque, k[0])
    _acrobot_dsdt(s[0] + dt2 * k[0, 0], s[1] + dt2 * k[0, 1], s[2] + dt2 * k[0, 2], s[3] + dt2 * k[0, 3], torque, k[1])
    _acrobot_dsdt(s[0] + dt2 * k[1, 0], s[1] + dt2 * k[1, 1], s[2] + dt2 * k[1, 2], s[3] + dt2 * k[1, 3], torque, k[2])
    _acrobot_dsdt(s[0] + dt * k[2, 0], s[1] + dt * k[2, 1], s[2] + dt * k[2, 2], s[3] + dt * k[2, 3], torque, k[3])
    for j in range(4):
        s[j] = s[j] + dt / 6.0 * (k[0, j] + 2 * k[1, j] + 2 * k[2, j] + k[3, j])
    for j in range(2):
        while s[j] > _PI:
            s[j] -= 2 * _PI
        while s[j] < -_PI:
            s[j] += 2 * _PI
    s[2] = min(max(s[2], -4 * _PI), 4 * _PI)
    s[3] = min(max(s[3], -9 * _PI), 9 * _PI)
    terminated = -math.cos(s[0]) - math.cos(s[1] + s[0]) > 1.0
    return (0.0 if terminated else -1.0), terminated


@njit(cache=True)
def _mountain_car(s, a):
    v = s[1] + (a - 1) * 0.001 + math.cos(3 * s[0]) * (-0.0025)
    v = min(max(v, -0.07), 0.07)
    p = min(max(s[0] + v, -1.2), 0.6)
    if p == -1.2 and v < 0:
        v = 0.0
    s[0], s[1] = p, v
    return -1.0, p >= 0.5 and v >= 0.0


@njit(cache=True)
def _mountain_car_continuous(s, a):
    force = min(max(a, -1.0), 1.0)
    v = s[1] + force * 0.0015 - 0.0025 * math.cos(3 * s[0])
    v = min(max(v, -0.07), 0.07)
    p = min(max(s[0] + v, -1.2), 0.6)
    if p == -1.2 and v < 0:
        v = 0.0
    terminated = p >= 0.45 and v >= 0.0
    s[0], s[1] = _f32(p), _f32(v)
    return (100.0 if terminated else 0.0) - a**2 * 0.1, terminated


@njit(cache=True)
def _pendulum(s, a):
    u = min(max(np.float32(a), np.float32(-2.0)), np.float32(2.0))
    th, thdot = s[0], s[1]
    cost = ((th + _PI) % (2 * _PI) - _PI) ** 2 + 0.1 * thdot**2 + float(np.float32(0.001) * (u * u))
    newthdot = thdot + (15.0 * math.sin(th) + float(np.float32(3.0) * u)) * 0.05
    newthdot = min(max(newthdot, -8.0), 8.0)
    s[0], s[1] = th + newthdot * 0.05, newthdot
    return -cost, False


@njit(cache=True)
def _observe(env, s, obs):
    if env == 1:
        obs[0], obs[1] = _f32(math.cos(s[0])), _f32(math.sin(s[0]))
        obs[2], obs[3] = _f32(math.cos(s[1])), _f32(math.sin(s[1]))
        obs[4], obs[5] = _f32(s[2]), _f32(s[3])
    elif env == 4:
        obs[0], obs[1], obs[2] = _f32(math.cos(s[0])), _f32(math.sin(s[0])), _f32(s[1])
    else:
        for j in range(obs.size):
            obs[j] = _f32(s[j])


@njit(cache=True)
def _step(env, s, a, k):
    if env == 0:
        return _cartpole(s, a)
    if env == 1:
        return _acrobot(s, a, k)
    if env == 2:
        return _mountain_car(s, a)
    if env == 3:
        return _mountain_car_continuous(s, a)
    return _pendulum(s, a)


@njit(cache=True)
def step_states(env, states, actions):
    """One step of ``N`` envs: float64 states ``(N, k)`` (updated in place), float64 actions ``(N,)``
    -> float64 rewards ``(N,)``, bool terminated ``(N,)``. For tests against the NumPy ports."""
    n = states.shape[0]
    reward, term = np.empty(n), np.empty(n, dtype=np.bool_)
    k = np.empty((4, 4))
    for i in range(n):
        reward[i], term[i] = _step(env, states[i], actions[i], k)
    return reward, term


@njit(cache=True, nogil=True)
def rollout(env, genomes, layout, act_codes, max_width, init, n_obs, mean, std, normalize, action_code,
            low, high, bonus, max_steps):
    """Every genome on every episode.

    Args:
        env: env code (module docstring).
        genomes: float64 ``(P, D)``; layout, act_codes, max_width: of the network spec.
        init: float64 ``(E, k)`` initial states of the episodes (the same for every genome).
        n_obs: observation size; mean, std: float64 ``(n_obs,)``, used when ``normalize`` is 1.
        action_code: action mapping code; low, high: bounds of a one-dimensional Box action.
        bonus: subtracted from every reward; max_steps: episode cap.

    Returns:
        returns float64 ``(P, E)``, steps int64 ``(P, E)``, and per episode the sums of the raw
        observations the network saw: obs_sum and obs_sumsq float64 ``(P, E, n_obs)``.
    """
    P, E = genomes.shape[0], init.shape[0]
    returns = np.zeros((P, E))
    steps = np.zeros((P, E), dtype=np.int64)
    obs_sum = np.zeros((P, E, n_obs))
    obs_sumsq = np.zeros((P, E, n_obs))
    h_a, h_b = np.empty(max_width), np.empty(max_width)
    s = np.empty(init.shape[1])
    obs, x = np.empty(n_obs), np.empty(n_obs)
    k = np.empty((4, 4))
    for p in range(P):
        g = genomes[p]
        for e in range(E):
            for j in range(s.size):
                s[j] = init[e, j]
            _observe(env, s, obs)
            total, t = 0.0, 0
            while t < max_steps:
                for j in range(n_obs):
                    obs_sum[p, e, j] += obs[j]
                    obs_sumsq[p, e, j] += obs[j] ** 2
                    x[j] = (obs[j] - mean[j]) / std[j] if normalize else obs[j]
                y = forward_single(g, layout, act_codes, x, h_a, h_b)
                if action_code == 0:
                    a = 0.0
                    best = y[0]
                    for o in range(1, y.size):
                        if y[o] > best:
                            best, a = y[o], float(o)
                else:
                    out = y[0]
                    if action_code == 3:
                        a = min(max(out, low), high)
                    elif action_code == 4:
                        a = low + min(max(out, 0.0), 1.0) * (high - low)
                    else:
                        unit = math.tanh(out) if action_code == 2 else min(max(out, -1.0), 1.0)
                        a = low + (unit + 1.0) * 0.5 * (high - low)
                    a = _f32(a)                          # the env's float32 action
                reward, terminated = _step(env, s, a, k)
                total += reward - bonus
                t += 1
                if terminated:
                    break
                _observe(env, s, obs)
            returns[p, e], steps[p, e] = total, t
    return returns, steps, obs_sum, obs_sumsq
