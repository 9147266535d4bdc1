"""Can a track be driven at all? The smallest force limit under which some driver finishes it.

The car's update is linear: with force ``f_i`` at step ``i``, ``p_{i+1} = p_i + v_i + f_i / 2`` and
``v_{i+1} = v_i + f_i``, from ``p_0 = v_0 = 0`` (:mod:`tracks.sim`). A driver finishes the track
when ``bottom[i] <= p_{i+1} <= top[i]`` for every step ``i < max_score``. The smallest ``F`` with
``|f_i| <= F`` for which such forces exist is a linear program (minimise ``F``; the positions and
speeds are variables tied by the update), solved exactly by HiGHS. It is a bound no driver can
beat, whatever it senses: a network's force is ``sigmoid - 0.5``, strictly inside
``(-0.5, 0.5)``, so a track that needs ``F >= 0.5`` cannot be finished by any network.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tracks.generate import Track
from tracks.sim import DEFAULT_SENSORS, check_sensors, check_track

#: The car's force limit: the network's output minus 0.5 lies in (-0.5, 0.5).
FORCE_LIMIT = 0.5
#: A suite keeps a track only if it needs at most this force (a tenth of headroom below the limit).
FEASIBLE_FORCE = 0.45


def min_peak_force(track: Track, sensors: Sequence[int] = DEFAULT_SENSORS, *,
                   return_forces: bool = False):
    """The smallest peak force that finishes ``track``, and (optionally) forces that do it.

    Args:
        track: the corridor.
        sensors: the look-ahead offsets; they set how many steps must be survived
            (``track.length - max(sensors)``).
        return_forces: also return the forces of an optimal driver.

    Returns:
        float ``F`` (``inf`` if the linear program finds no solution), or ``(F, forces)`` with
        float64 ``forces (max_score,)`` and ``max|forces| == F`` (up to the solver's tolerance).
    """
    import scipy.sparse as sp
    from scipy.optimize import linprog

    track = check_track(track, "min_peak_force")
    n = track.length - max(check_sensors(sensors, track, "min_peak_force"))
    # variables: f_0..f_{n-1}, p_1..p_n, v_1..v_n, F
    k = np.arange(n)
    f, p, v, F = k, n + k, 2 * n + k, 3 * n
    # p_{k+1} - p_k - v_k - f_k / 2 = 0 and v_{k+1} - v_k - f_k = 0 (p_0 = v_0 = 0 drop out)
    later = k[1:]
    rows = np.concatenate([k, later, later, k, n + k, n + later, n + k])
    cols = np.concatenate([p, p[:-1], v[:-1], f, v, v[:-1], f])
    vals = np.concatenate([np.ones(n), -np.ones(n - 1), -np.ones(n - 1), -0.5 * np.ones(n),
                           np.ones(n), -np.ones(n - 1), -np.ones(n)])
    a_eq = sp.csr_matrix((vals, (rows, cols)), shape=(2 * n, 3 * n + 1))
    # f_k - F <= 0 and -f_k - F <= 0
    rows = np.concatenate([k, k, n + k, n + k])
    cols = np.concatenate([f, np.full(n, F), f, np.full(n, F)])
    vals = np.concatenate([np.ones(n), -np.ones(n), -np.ones(n), -np.ones(n)])
    a_ub = sp.csr_matrix((vals, (rows, cols)), shape=(2 * n, 3 * n + 1))
    lower = np.concatenate([np.full(n, -np.inf), track.bottom[:n], np.full(n, -np.inf), [0.0]])
    upper = np.concatenate([np.full(n, np.inf), track.top[:n], np.full(n, np.inf), [np.inf]])
    c = np.zeros(3 * n + 1)
    c[F] = 1.0
    res = linprog(c, A_ub=a_ub, b_ub=np.zeros(2 * n), A_eq=a_eq, b_eq=np.zeros(2 * n),
                  bounds=np.stack([lower, upper], axis=1), method="highs")
    peak = float(res.x[F]) if res.status == 0 else float("inf")
    if return_forces:
        return peak, (np.array(res.x[:n]) if res.status == 0 else np.full(n, np.nan))
    return peak


def drive(track: Track, forces: np.ndarray) -> int:
    """Steps survived by a car that applies ``forces`` (the simulator's physics, in plain Python).

    Reference for :func:`min_peak_force`'s forces: an optimal driver survives every step.
    """
    p = v = 0.0
    for i, force in enumerate(forces):
        p = p + v / 2
        v = v + float(force)
        p = p + v / 2
        if not (track.bottom[i] <= p <= track.top[i]):
            return i
    return len(forces)
