"""Named, versioned track suites: a training distribution and held-out suites along every axis of difficulty.

Difficulty 1.0x is the seed test track's knobs (Gaussian smoothing sigma 10, amplitude 20, width
1, centred start, 4000 steps, one smoothing sigma for the whole track). Each held-out suite turns
one knob (``mixed`` turns all of them) by a multiplier ``m``, the suite's level:

========== ============================================ ===================================
suite      knob at level ``m``                          1.5x
========== ============================================ ===================================
twisty     smoothing sigma ``10 / m``                   sigma 6.67
swings     amplitude ``20 m``                           amplitude 30
narrow     width ``1 / m``                              width 0.67
offset     start ``1 - 1/m`` of half the width off      the start 1/6 of the width from a
           centre (the gap to the nearer barrier is     barrier, instead of 1/2
           ``(width / 2) / m``), up or down at random
long       length ``4000 m``                            6000 steps
varying    sigma swings between ``10 / m`` and ``10 m`` curvature changes 2.25x along it
           every 800 steps
mixed      every knob's multiplier drawn log-uniformly
           from ``[1, m]``, per track
========== ============================================ ===================================

A suite is a pure function of its name and version: the same tracks on every machine, forever
(``tests/tracks/test_suites.py`` pins a checksum of each suite's arrays). A new definition gets a
new version; old versions stay.

**Disjoint seed spaces, by construction.** The noise of a suite track comes from
``SeedSequence(ENTROPY, spawn_key=(space, ...))``: space 0 for training tracks (the ``train``
suite and the fresh tracks the ``suite`` task draws), space 1 for held-out suites, with the
suite, version, level and index after it. :func:`~tracks.seed_test_track` and
:func:`~tracks.random_track` seed ``default_rng(seed)``, a seed sequence without a spawn key. The
assembled entropy of the three kinds differs (numpy pads the entropy of a sequence with a spawn
key to four words before appending the key), so no two of them draw the same stream, and no
training track shares a stretch with a held-out track or a seed test track (tested).

**Feasible, checked.** Every held-out track is checked with :func:`tracks.feasibility.min_peak_force`:
the smallest force limit under which any driver at all (one that knew the whole track) could
finish it, a linear program over the car's update. A track that needs more than
:data:`tracks.feasibility.FEASIBLE_FORCE` is left out of its suite (:data:`EXCLUDED`, measured by
``benchmarks/suites/feasibility.py``, which also reports each level's largest needed force).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from neuroevo._checks import check_float, check_int
from tracks.generate import Track, corridor

#: Entropy shared by every suite's seed sequences (the spawn key says which track).
ENTROPY = 0x7E57_5017_E5
TRAINING_SPACE, HELD_OUT_SPACE = 0, 1
#: Difficulty 1.0x: the knobs of the seed test track.
BASE_KNOBS = {"length": 4000, "smoothness": 10.0, "amplitude": 20.0, "width": 1.0, "start": 0.0, "swing": 1.0}
#: The knob each held-out suite turns (``mixed`` turns all six).
AXES = ("twisty", "swings", "narrow", "offset", "long", "varying")
#: Levels of every held-out suite: 1.0x .. 4x.
LEVELS = (1.0, 1.25, 1.5, 2.0, 3.0, 4.0)
TRACKS_PER_LEVEL = 40

#: Tracks left out of a held-out suite because they need more force than the car has, as
#: ``(suite, version, level) -> candidate indices`` (from ``benchmarks/suites/feasibility.py``).
EXCLUDED: dict[tuple[str, int, float], tuple[int, ...]] = {
    ('twisty', 1, 4.0): (
        0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 14, 15, 16, 17, 18, 20, 21, 22, 23, 24, 26, 28, 30, 31, 32, 33, 34, 35, 36,
        37, 38, 39, 40, 42, 43, 44, 45, 46, 47, 48, 50, 51, 52, 53, 54, 55, 56, 57, 59, 61, 62, 63, 66, 67, 68, 69, 70,
        72, 73, 74, 76, 77, 78, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 94, 95, 96, 98, 99, 101, 102, 103,
        104, 105, 106, 107, 108, 109, 110, 111, 112, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126,
        127, 128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 140, 141, 142, 143, 144, 145, 146, 147, 148,
        149, 150, 151, 152, 153, 154, 155, 156, 157, 158, 159, 160, 161, 162, 163, 164, 165, 167, 168, 169, 170, 171,
        172, 174, 176, 178, 179, 180, 181, 182, 183, 184, 185, 186, 187, 188, 190, 191, 192, 193, 195, 197, 198, 199,
        200, 201, 203, 204, 205, 206, 209, 210, 211, 212, 213, 214, 215, 216, 217, 218, 220, 221, 222, 223, 224, 226,
        227, 228, 230, 231, 232, 233, 235, 236, 237, 238, 240, 241, 242, 243, 245, 246, 247, 248, 249, 252, 253, 254,
        255, 256, 258, 259, 260, 261, 262, 263, 264, 265, 266, 267, 268, 269, 270, 271, 272, 273, 274),
    ('varying', 1, 4.0): (
        14, 21),
    ('mixed', 1, 3.0): (
        1, 3, 6, 8, 13, 14, 15, 16, 17, 23, 29, 30, 33, 35, 36, 39, 42, 43, 45, 46, 47, 51, 58, 59, 62, 63, 65),
    ('mixed', 1, 4.0): (
        1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 19, 20, 21, 22, 23, 24, 25, 28, 29, 31, 32, 33, 34, 35,
        39, 42, 43, 44, 45, 46, 47, 48, 49, 50, 52, 53, 54, 56, 59, 60, 61, 62, 63, 64, 66, 69, 70, 72, 73, 74, 75, 77,
        78, 79, 81, 82, 84, 85, 87, 89, 90, 91, 93, 94, 95, 97, 98, 99, 101, 102, 104, 105, 106, 107, 108, 110, 111,
        112, 114, 115, 116, 117, 118, 122, 123, 124, 125, 127, 128, 129, 130, 131, 132, 134, 135, 136, 137, 141, 142,
        143, 144, 145, 146, 147, 149, 150, 151, 152),
}


def knobs_at(axis: str, m: float, rng: np.random.Generator) -> dict:
    """The knobs of a track at level ``m`` of ``axis`` (``rng`` draws the side of an offset start,
    and the multipliers of ``mixed``)."""
    k = dict(BASE_KNOBS)
    if axis == "mixed":
        u = np.exp(rng.uniform(0.0, math.log(m), size=len(AXES)))
        for a, mult in zip(AXES, u):
            k.update(_turn(a, float(mult), rng))
        return k
    k.update(_turn(axis, m, rng))
    return k


def _turn(axis: str, m: float, rng: np.random.Generator) -> dict:
    if axis == "twisty":
        return {"smoothness": 10.0 / m}
    if axis == "swings":
        return {"amplitude": 20.0 * m}
    if axis == "narrow":
        return {"width": 1.0 / m}
    if axis == "offset":
        side = 1.0 if rng.random() < 0.5 else -1.0
        return {"start": side * (1.0 - 1.0 / m)}
    if axis == "long":
        return {"length": int(round(4000 * m))}
    if axis == "varying":
        return {"swing": m}
    raise ValueError(f"unknown axis {axis!r}; choose one of {list(AXES) + ['mixed']}")


def _streams(space: int, *key: int) -> tuple[np.random.Generator, np.random.Generator]:
    """The knob stream and the noise stream of one track."""
    def stream(part: int) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence(ENTROPY, spawn_key=(space, *key, part)))
    return stream(0), stream(1)


def build(knobs: dict, noise_rng: np.random.Generator, name: str) -> Track:
    """The track of ``knobs`` on the noise ``noise_rng`` draws (``length`` uniforms)."""
    k = dict(knobs)
    length = int(k.pop("length"))
    return corridor(noise_rng.random(length), name=name, **k)


# -- training tracks -------------------------------------------------------------------------------
def training_knobs(rng: np.random.Generator, spread: float, length: int) -> dict:
    """Knobs of a training track: every axis's multiplier drawn log-uniformly from ``[1, spread]``."""
    u = np.exp(rng.uniform(0.0, math.log(spread), size=len(AXES)))
    k = dict(BASE_KNOBS)
    for a, mult in zip(AXES, u):
        if a != "long":
            k.update(_turn(a, float(mult), rng))
    k["length"] = length
    return k


def training_track(index: int, *, spread: float = 2.5, length: int = 1000) -> Track:
    """Training track ``index`` of the training seed space (disjoint from every held-out track).

    Args:
        index: any integer in ``[0, 2**63)``; the noise depends on it only, the knobs on it and
            ``spread``.
        spread: the largest multiplier of each knob (see :func:`training_knobs`); 1 gives the
            seed test track's knobs.
        length: steps.
    """
    owner = "training_track"
    index = check_int("index", index, minimum=0, maximum=2**63 - 1, owner=owner)
    spread = check_float("spread", spread, minimum=1.0, owner=owner)
    length = check_int("length", length, minimum=20, owner=owner)
    knob_rng, noise_rng = _streams(TRAINING_SPACE, index)
    return build(training_knobs(knob_rng, spread, length), noise_rng, name=f"train-{index}")


def training_tracks(indices, *, spread: float = 2.5, length: int = 1000) -> list[Track]:
    """:func:`training_track` of each index."""
    return [training_track(int(i), spread=spread, length=length) for i in indices]


# -- the registry ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SuiteDef:
    """How one version of a suite is built.

    Attributes:
        name: the suite's name.
        version: its version.
        kind: ``"held-out"`` or ``"training"``.
        axis: the knob it turns (one of :data:`AXES`, ``"mixed"``), or ``"training"``.
        levels: its difficulty multipliers.
        tracks_per_level: tracks at each level.
        description: one line for ``neuroevo suites``.
    """

    name: str
    version: int
    kind: str
    axis: str
    levels: tuple[float, ...]
    tracks_per_level: int
    description: str
    code: int                                  # the suite's number in the seed space (never reused)


_DEFS = [
    SuiteDef("train", 1, "training", "training", (1.0,), 64,
             "training tracks of 1000 steps, every knob's multiplier log-uniform in [1, 2.5]", 0),
    SuiteDef("twisty", 1, "held-out", "twisty", LEVELS, TRACKS_PER_LEVEL, "smoothing sigma 10/m: twistier", 1),
    SuiteDef("swings", 1, "held-out", "swings", LEVELS, TRACKS_PER_LEVEL, "amplitude 20m: bigger swings", 2),
    SuiteDef("narrow", 1, "held-out", "narrow", LEVELS, TRACKS_PER_LEVEL, "width 1/m: a narrower corridor", 3),
    SuiteDef("offset", 1, "held-out", "offset", LEVELS, TRACKS_PER_LEVEL,
             "start off centre: (width/2)/m from a barrier, above or below", 4),
    SuiteDef("long", 1, "held-out", "long", LEVELS, TRACKS_PER_LEVEL, "length 4000m steps", 5),
    SuiteDef("varying", 1, "held-out", "varying", LEVELS, TRACKS_PER_LEVEL,
             "curvature that changes along the track: sigma swings between 10/m and 10m", 6),
    SuiteDef("mixed", 1, "held-out", "mixed", LEVELS, TRACKS_PER_LEVEL,
             "every knob's multiplier log-uniform in [1, m], per track", 7),
]
SUITES: dict[str, dict[int, SuiteDef]] = {}
for _d in _DEFS:
    SUITES.setdefault(_d.name, {})[_d.version] = _d
HELD_OUT = tuple(d.name for d in _DEFS if d.kind == "held-out")


def suite_names() -> list[str]:
    """Every suite's name, training suite first."""
    return list(SUITES)


def suite_def(name: str, version: int | None = None) -> SuiteDef:
    """The definition of suite ``name`` at ``version`` (None: the newest).

    Raises:
        ValueError: an unknown suite or version.
    """
    if not isinstance(name, str) or name not in SUITES:
        raise ValueError(f"unknown suite {name!r}; choose one of {suite_names()} (`neuroevo suites` lists them)")
    versions = SUITES[name]
    if version is None:
        return versions[max(versions)]
    if isinstance(version, bool) or not isinstance(version, int) or version not in versions:
        raise ValueError(f"suite {name!r} has no version {version!r}; it has versions {sorted(versions)}")
    return versions[version]


def _level_code(level: float) -> int:
    return int(round(level * 100))


@lru_cache(maxsize=64)
def _level_tracks(name: str, version: int, level: float) -> tuple[Track, ...]:
    d = suite_def(name, version)
    if d.kind == "training":
        return tuple(training_track(i) for i in range(d.tracks_per_level))
    return tuple(candidate(d, level, i) for i in level_indices(d, level))


def level_indices(d: SuiteDef, level: float) -> list[int]:
    """The candidate indices a held-out level keeps: the first ones not in :data:`EXCLUDED`."""
    skip = set(EXCLUDED.get((d.name, d.version, level), ()))
    out, index = [], 0
    while len(out) < d.tracks_per_level:
        if index not in skip:
            out.append(index)
        index += 1
    return out


def noise_stream(d: SuiteDef, level: float, index: int) -> np.random.Generator:
    """The generator that draws the noise of candidate ``index`` (training suite: of training track ``index``)."""
    if d.kind == "training":
        return _streams(TRAINING_SPACE, index)[1]
    return _streams(HELD_OUT_SPACE, d.code, d.version, _level_code(level), index)[1]


def candidate(d: SuiteDef, level: float, index: int) -> Track:
    """Candidate track ``index`` of a held-out suite's level (before the feasibility check)."""
    knob_rng = _streams(HELD_OUT_SPACE, d.code, d.version, _level_code(level), index)[0]
    return build(knobs_at(d.axis, level, knob_rng), noise_stream(d, level, index),
                 name=f"{d.name}-v{d.version}-{level:g}x-{index}")


def suite_tracks(name: str, level: float | None = None, *, version: int | None = None) -> list[Track]:
    """The tracks of one level of a suite.

    Args:
        name: a suite name (:func:`suite_names`).
        level: one of the suite's levels (None: its first, 1.0x).
        version: None for the newest.

    Returns:
        list of :class:`Track`, the same on every machine.
    """
    d = suite_def(name, version)
    if level is None:
        level = d.levels[0]
    level = check_float("level", level, owner=f"suite {name!r}")
    if level not in d.levels:
        raise ValueError(f"suite {name!r} has no level {level:g}; its levels are {[f'{x:g}' for x in d.levels]}")
    return list(_level_tracks(d.name, d.version, level))


def suite_levels(name: str, *, version: int | None = None) -> dict[float, list[Track]]:
    """Every level of a suite: ``{level: tracks}``."""
    d = suite_def(name, version)
    return {lv: suite_tracks(name, lv, version=d.version) for lv in d.levels}


def describe() -> list[str]:
    """Lines of ``neuroevo suites``."""
    lines = []
    for name, versions in SUITES.items():
        for v, d in sorted(versions.items()):
            levels = ", ".join(f"{x:g}x" for x in d.levels)
            lines.append(f"{name:8s} v{v}  {d.kind:8s}  {d.tracks_per_level} tracks per level, levels {levels}")
            lines.append(f"{'':8s}      {d.description}")
    return lines


def checksum(name: str, version: int | None = None) -> str:
    """SHA-256 of a suite's barriers (every level, rounded to 1e-9), pinned by the tests."""
    import hashlib

    h = hashlib.sha256()
    for level, tracks in suite_levels(name, version=version).items():
        h.update(f"{level:g}".encode())
        for t in tracks:
            h.update(np.round(t.top, 9).tobytes())
            h.update(np.round(t.bottom, 9).tobytes())
    return h.hexdigest()[:16]
