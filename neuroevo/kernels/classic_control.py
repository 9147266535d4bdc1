"""NumPy ports of Gymnasium's classic-control environments, stepping N envs at once.

Each port is a pair of functions over arrays: ``reset(seeds)`` gives the initial states
Gymnasium's ``reset(seed=s)`` draws (its generator is ``np.random.default_rng(s)``), and
``step(state, action) -> (state, obs, reward, terminated)`` moves ``N``
envs one step. States are float64 ``(N, k)``, actions float64 ``(N,)`` (a discrete action's
index, or the one continuous action after the env's own dtype cast), observations float32
``(N, obs_size)`` as Gymnasium returns them. The caller truncates episodes at ``max_steps``.

Reference: the Gymnasium environment of the same id (``gymnasium.make(env_id).unwrapped``),
which ``tests/gym/test_fast_paths.py`` steps alongside each port with the same initial state
and actions. A port follows the reference's arithmetic operation by operation (including where
it rounds its state to float32), so the two agree to the last bit or close to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# -- CartPole-v1 ----------------------------------------------------------------------------------
_CP_G, _CP_MC, _CP_MP, _CP_L, _CP_F, _CP_TAU = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
_CP_TOTAL, _CP_PML = _CP_MC + _CP_MP, _CP_MP * _CP_L
_CP_THETA, _CP_X = 12 * 2 * np.pi / 360, 2.4


def cartpole_reset(seeds: np.ndarray) -> np.ndarray:
    return np.stack([np.random.default_rng(int(s)).uniform(-0.05, 0.05, size=4) for s in seeds])


def cartpole_step(state, action):
    x, x_dot, theta, theta_dot = state.T
    force = np.where(action == 1, _CP_F, -_CP_F)
    costheta, sintheta = np.cos(theta), np.sin(theta)
    temp = (force + _CP_PML * np.square(theta_dot) * sintheta) / _CP_TOTAL
    thetaacc = (_CP_G * sintheta - costheta * temp) / (_CP_L * (4.0 / 3.0 - _CP_MP * np.square(costheta) / _CP_TOTAL))
    xacc = temp - _CP_PML * thetaacc * costheta / _CP_TOTAL
    x = x + _CP_TAU * x_dot
    x_dot = x_dot + _CP_TAU * xacc
    theta = theta + _CP_TAU * theta_dot
    theta_dot = theta_dot + _CP_TAU * thetaacc
    state = np.stack([x, x_dot, theta, theta_dot], axis=1)
    terminated = (x < -_CP_X) | (x > _CP_X) | (theta < -_CP_THETA) | (theta > _CP_THETA)
    return state, state.astype(np.float32), np.ones(len(state)), terminated


def cartpole_obs(state):
    return state.astype(np.float32)


# -- Acrobot-v1 -----------------------------------------------------------------------------------
_AC_DT, _AC_V1, _AC_V2 = 0.2, 4 * np.pi, 9 * np.pi
_AC_TORQUE = np.array([-1.0, 0.0, 1.0])


def acrobot_reset(seeds):
    # the reference rounds its initial state to float32 (and steps in float64 from there)
    return np.stack([np.random.default_rng(int(s)).uniform(-0.1, 0.1, size=4).astype(np.float32)
                     for s in seeds]).astype(np.float64)


def _acrobot_dsdt(s, a):
    m1 = m2 = l1 = 1.0
    lc1 = lc2 = 0.5
    i1 = i2 = 1.0
    g = 9.8
    theta1, theta2, dtheta1, dtheta2 = s[:, 0], s[:, 1], s[:, 2], s[:, 3]
    d1 = m1 * lc1**2 + m2 * (l1**2 + lc2**2 + 2 * l1 * lc2 * np.cos(theta2)) + i1 + i2
    d2 = m2 * (lc2**2 + l1 * lc2 * np.cos(theta2)) + i2
    phi2 = m2 * lc2 * g * np.cos(theta1 + theta2 - np.pi / 2.0)
    phi1 = (-m2 * l1 * lc2 * dtheta2**2 * np.sin(theta2) - 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * np.sin(theta2)
            + (m1 * lc1 + m2 * l1) * g * np.cos(theta1 - np.pi / 2) + phi2)
    ddtheta2 = ((a + d2 / d1 * phi1 - m2 * l1 * lc2 * dtheta1**2 * np.sin(theta2) - phi2)
                / (m2 * lc2**2 + i2 - d2**2 / d1))
    ddtheta1 = -(d2 * ddtheta2 + phi1) / d1
    return np.stack([dtheta1, dtheta2, ddtheta1, ddtheta2], axis=1)


def _wrap(x, m, big):
    # the reference's while loops, as arithmetic on whole arrays (at most a few turns per step)
    diff = big - m
    for _ in range(8):
        x = np.where(x > big, x - diff, x)
    for _ in range(8):
        x = np.where(x < m, x + diff, x)
    return x


def acrobot_step(state, action):
    a = _AC_TORQUE[action.astype(np.int64)]
    dt, dt2 = _AC_DT, _AC_DT / 2.0
    k1 = _acrobot_dsdt(state, a)
    k2 = _acrobot_dsdt(state + dt2 * k1, a)
    k3 = _acrobot_dsdt(state + dt2 * k2, a)
    k4 = _acrobot_dsdt(state + dt * k3, a)
    ns = state + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    ns[:, 0] = _wrap(ns[:, 0], -np.pi, np.pi)
    ns[:, 1] = _wrap(ns[:, 1], -np.pi, np.pi)
    ns[:, 2] = np.minimum(np.maximum(ns[:, 2], -_AC_V1), _AC_V1)
    ns[:, 3] = np.minimum(np.maximum(ns[:, 3], -_AC_V2), _AC_V2)
    terminated = -np.cos(ns[:, 0]) - np.cos(ns[:, 1] + ns[:, 0]) > 1.0
    return ns, acrobot_obs(ns), np.where(terminated, 0.0, -1.0), terminated


def acrobot_obs(s):
    return np.stack([np.cos(s[:, 0]), np.sin(s[:, 0]), np.cos(s[:, 1]), np.sin(s[:, 1]), s[:, 2], s[:, 3]],
                    axis=1).astype(np.float32)


# -- MountainCar-v0 and MountainCarContinuous-v0 ---------------------------------------------------
_MC_MIN, _MC_MAX, _MC_SPEED = -1.2, 0.6, 0.07


def mountain_car_reset(seeds):
    return np.stack([[np.random.default_rng(int(s)).uniform(-0.6, -0.4), 0.0] for s in seeds])


def mountain_car_step(state, action):
    position, velocity = state[:, 0].copy(), state[:, 1].copy()
    velocity = velocity + (action - 1) * 0.001 + np.cos(3 * position) * (-0.0025)
    velocity = np.clip(velocity, -_MC_SPEED, _MC_SPEED)
    position = np.clip(position + velocity, _MC_MIN, _MC_MAX)
    velocity = np.where((position == _MC_MIN) & (velocity < 0), 0.0, velocity)
    terminated = (position >= 0.5) & (velocity >= 0.0)
    state = np.stack([position, velocity], axis=1)
    return state, state.astype(np.float32), -np.ones(len(state)), terminated


def mountain_car_continuous_step(state, action):
    position, velocity = state[:, 0], state[:, 1]
    force = np.minimum(np.maximum(action, -1.0), 1.0)
    velocity = velocity + force * 0.0015 - 0.0025 * np.cos(3 * position)
    velocity = np.minimum(np.maximum(velocity, -_MC_SPEED), _MC_SPEED)
    position = np.minimum(np.maximum(position + velocity, _MC_MIN), _MC_MAX)
    velocity = np.where((position == _MC_MIN) & (velocity < 0), 0.0, velocity)
    terminated = (position >= 0.45) & (velocity >= 0.0)
    # the reference keeps its state as float32 between steps
    state = np.stack([position, velocity], axis=1).astype(np.float32).astype(np.float64)
    reward = np.where(terminated, 100.0, 0.0) - np.power(action, 2) * 0.1
    return state, state.astype(np.float32), reward, terminated


def mountain_car_obs(state):
    return state.astype(np.float32)


# -- Pendulum-v1 ----------------------------------------------------------------------------------
_PD_G, _PD_DT, _PD_SPEED, _PD_TORQUE = 10.0, 0.05, 8.0, 2.0


def pendulum_reset(seeds):
    high = np.array([np.pi, 1.0])
    return np.stack([np.random.default_rng(int(s)).uniform(low=-high, high=high) for s in seeds])


def pendulum_step(state, action):
    th, thdot = state[:, 0], state[:, 1]
    u = np.clip(action.astype(np.float32), -_PD_TORQUE, _PD_TORQUE)        # float32, as the reference's
    costs = (((th + np.pi) % (2 * np.pi)) - np.pi) ** 2 + 0.1 * thdot**2 + (0.001 * (u**2)).astype(np.float64)
    newthdot = thdot + (3 * _PD_G / 2 * np.sin(th) + (3.0 * u).astype(np.float64)) * _PD_DT
    newthdot = np.clip(newthdot, -_PD_SPEED, _PD_SPEED)
    newth = th + newthdot * _PD_DT
    state = np.stack([newth, newthdot], axis=1)
    return state, pendulum_obs(state), -costs, np.zeros(len(state), dtype=bool)


def pendulum_obs(state):
    return np.stack([np.cos(state[:, 0]), np.sin(state[:, 0]), state[:, 1]], axis=1).astype(np.float32)


@dataclass(frozen=True)
class Port:
    """A vectorized port of one Gymnasium env id."""

    env_id: str
    reset: Callable[[np.ndarray], np.ndarray]        # int64 (N,) episode seeds -> float64 (N, k) states
    step: Callable                                   # (state (N, k), action (N,)) -> state, obs, reward, terminated
    obs: Callable[[np.ndarray], np.ndarray]          # state (N, k) -> float32 (N, obs_size)
    max_steps: int                                   # the registered TimeLimit


PORTS: dict[str, Port] = {p.env_id: p for p in (
    Port("CartPole-v1", cartpole_reset, cartpole_step, cartpole_obs, 500),
    Port("Acrobot-v1", acrobot_reset, acrobot_step, acrobot_obs, 500),
    Port("MountainCar-v0", mountain_car_reset, mountain_car_step, mountain_car_obs, 200),
    Port("MountainCarContinuous-v0", mountain_car_reset, mountain_car_continuous_step, mountain_car_obs, 999),
    Port("Pendulum-v1", pendulum_reset, pendulum_step, pendulum_obs, 200),
)}
