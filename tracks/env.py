"""The racing track as a Gymnasium env: ``gymnasium.make("neuroevo/Track-v0")``.

Registered on ``import tracks`` when Gymnasium is installed. The observation is what
:class:`~tracks.sim.TrackSimulator` feeds its network (the speed, then the distances to the top
and bottom barriers at each sensor offset), the action is the steering force, and the episode
return is the simulator's score: one reward per step inside the corridor, the episode ending at
the first step outside it (``terminated``) or at the end of the track (``terminated``, the track
is done).

Args of ``gymnasium.make("neuroevo/Track-v0", ...)``:
    track: a :class:`tracks.Track`; None picks one from ``track_seed``.
    track_seed: -1 for the 400-step reference training track, N for procedural track N.
    length: length of procedural tracks.
    sensors: look-ahead offsets of the barrier sensors.

``reset(options={"track_seed": N})`` switches to procedural track N for that episode and the
ones after it (the dynamics are deterministic: the episode seed changes nothing else).
"""

from __future__ import annotations

from collections.abc import Sequence

import gymnasium as gym
import numpy as np

from neuroevo._checks import check_int
from tracks.generate import Track, random_track, seed_training_track
from tracks.sim import DEFAULT_SENSORS, check_sensors, check_track

ENV_ID = "neuroevo/Track-v0"
OBS_BOUND = 1e6


class TrackEnv(gym.Env):
    """Steer a dot along a corridor; see the module docstring."""

    metadata = {"render_modes": []}

    def __init__(self, track: Track | None = None, track_seed: int = -1, length: int = 1000,
                 sensors: Sequence[int] = DEFAULT_SENSORS, render_mode: str | None = None):
        owner = ENV_ID
        if render_mode is not None:
            raise ValueError(f"{owner}: render_mode {render_mode!r} is not supported; the env has no rendering "
                             f"(tracks.plot_paths draws drivers' paths)")
        self.length = check_int("length", length, minimum=2, owner=owner)
        self.track = check_track(track, owner) if track is not None else self._track(track_seed)
        self.sensors = check_sensors(sensors, self.track, owner)
        n = 1 + 2 * len(self.sensors)
        # finite bounds no observation reaches (the corridor keeps positions and speeds small)
        self.observation_space = gym.spaces.Box(-OBS_BOUND, OBS_BOUND, (n,), dtype=np.float64)
        self.action_space = gym.spaces.Box(-0.5, 0.5, (1,), dtype=np.float64)
        self._p = self._v = 0.0
        self._index = 0

    def _track(self, track_seed) -> Track:
        seed = check_int("track_seed", track_seed, minimum=-1, owner=ENV_ID)
        return seed_training_track() if seed < 0 else random_track(seed, length=self.length)

    @property
    def max_score(self) -> int:
        return self.track.length - max(self.sensors)

    def _obs(self) -> np.ndarray:
        i, p = min(self._index, self.max_score - 1), self._p       # the last step's view at the end
        cols = [self._v]
        for s in self.sensors:
            cols += [p - self.track.top[i + s], p - self.track.bottom[i + s]]
        return np.clip(np.array(cols, dtype=np.float64), -OBS_BOUND, OBS_BOUND)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if options and "track_seed" in options:
            self.track = self._track(options["track_seed"])
            self.sensors = check_sensors(self.sensors, self.track, ENV_ID)
        self._p, self._v, self._index = 0.0, 0.0, 0
        return self._obs(), {"step": 0}

    def step(self, action):
        force = float(np.clip(np.asarray(action, dtype=np.float64).reshape(-1)[0], -0.5, 0.5))
        i = self._index
        p = self._p + self._v / 2              # the simulator's physics, step for step
        v = self._v + force
        p = p + v / 2
        self._p, self._v = p, v
        inside = bool(p <= self.track.top[i] and p >= self.track.bottom[i])   # NaN counts as out
        self._index = i + 1
        done = not inside or self._index >= self.max_score
        return self._obs(), (1.0 if inside else 0.0), done, False, {"step": self._index}


def register() -> None:
    """Register ``neuroevo/Track-v0`` with Gymnasium (done by ``import tracks``)."""
    if ENV_ID not in gym.registry:
        gym.register(id=ENV_ID, entry_point="tracks.env:TrackEnv")
