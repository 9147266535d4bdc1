"""Named suites: pinned forever, disjoint from every training track, feasible; the new track knobs."""

import re

import numpy as np
import pytest

from neuroevo import GenerationKey
from tracks import random_track
from tracks.feasibility import FEASIBLE_FORCE, FORCE_LIMIT, drive, min_peak_force
from tracks.generate import Track, corridor
from tracks.suite_task import TrainingSuiteSimulator
from tracks.suites import (
    EXCLUDED,
    HELD_OUT,
    LEVELS,
    SUITES,
    candidate,
    checksum,
    level_indices,
    noise_stream,
    suite_def,
    suite_levels,
    suite_names,
    suite_tracks,
    training_track,
)

#: Each suite's arrays, every level, rounded to 1e-9 (tracks.suites.checksum). A change here is a new
#: suite version, never an edit of an old one.
CHECKSUMS = {
    "train": "b68e4cb95d22742f",
    "twisty": "e20ac11cefa4a4be",
    "swings": "25cc070b8e9a2814",
    "narrow": "5c1daf8f78593d69",
    "offset": "67afcdb065449038",
    "long": "9cd34e34423a365f",
    "varying": "7553d709232c6c33",
    "mixed": "f7ddac91897030e1",
}


@pytest.mark.parametrize("name", sorted(SUITES))
def test_each_suite_is_pinned(name):
    assert checksum(name, 1) == CHECKSUMS[name]


def test_suites_have_their_levels_and_tracks():
    assert suite_names()[0] == "train" and set(HELD_OUT) == set(SUITES) - {"train"}
    for name in HELD_OUT:
        levels = suite_levels(name)
        assert tuple(levels) == LEVELS and all(len(t) == 40 for t in levels.values())
        assert all(isinstance(t, Track) for t in levels[1.0])
    base = suite_tracks("twisty", 1.0)[0]
    assert base.length == 4000 and np.allclose(base.top - base.bottom, 1.0) and base.top[0] == 0.5
    assert suite_tracks("long", 2.0)[0].length == 8000
    assert np.allclose(np.diff(np.array([suite_tracks("narrow", 2.0)[0].top, suite_tracks("narrow", 2.0)[0].bottom]),
                               axis=0), -0.5)
    offsets = [t.top[0] for t in suite_tracks("offset", 2.0)]          # start (w/2)/2 from a barrier
    assert set(np.round(offsets, 12)) == {0.25, 0.75}
    assert suite_tracks("swings") is not suite_tracks("swings") and suite_tracks("swings") == suite_tracks("swings")


def test_unknown_suite_version_and_level_are_refused():
    with pytest.raises(ValueError, match=re.escape("unknown suite 'twisted'; choose one of ['train', 'twisty'")):
        suite_tracks("twisted")
    with pytest.raises(ValueError, match=re.escape("suite 'twisty' has no version 7; it has versions [1]")):
        suite_def("twisty", 7)
    with pytest.raises(ValueError, match=re.escape("suite 'twisty' has no level 1.75; its levels are ['1', '1.25'")):
        suite_tracks("twisty", 1.75)


def _held_out_noise() -> np.ndarray:
    parts = []
    for name in HELD_OUT:
        d = suite_def(name)
        for level, tracks in suite_levels(name).items():
            for index, track in zip(level_indices(d, level), tracks):
                parts.append(noise_stream(d, level, index).random(track.length))
    return np.concatenate(parts)


def test_no_training_track_shares_a_stretch_with_a_held_out_track():
    """Training noise (the train suite, fresh tracks of the suite task, the race's --track N) and
    held-out noise (every suite level, the seed test tracks 0..19) have no value in common, so no
    stretch of one track is a stretch of another."""
    d = suite_def("train")
    train = [noise_stream(d, 1.0, i).random(t.length) for i, t in enumerate(suite_tracks("train"))]
    sim = TrainingSuiteSimulator(tracks=16)
    for entropy in range(20):                              # fresh tracks of 20 generations' keys
        for index in sim.seeds_for(GenerationKey(entropy)):
            train.append(noise_stream(d, 1.0, int(index)).random(1000))
    train += [noise_stream(d, 1.0, n).random(1000) for n in range(20)]        # neuroevo race --track N
    train = np.concatenate(train)
    held = np.concatenate([_held_out_noise()] + [np.random.default_rng(s).random(4000) for s in range(20)])
    assert train.size > 300_000 and held.size > 8_000_000
    assert np.intersect1d(train, held).size == 0
    # and the tracks are built from these streams: training track 0 at the seed test knobs is its noise, smoothed
    t = training_track(0, spread=1.0, length=1000)
    noise = noise_stream(d, 1.0, 0).random(1000)
    assert np.allclose(t.top, corridor(noise, smoothness=10.0, amplitude=20.0, width=1.0, start=0.0, swing=1.0,
                                       name="").top)


def test_the_seed_spaces_differ_by_construction():
    """A suite's seed sequence has a spawn key (numpy pads its entropy to 4 words before the key);
    default_rng(seed) has none: their assembled entropies can never be equal."""
    ss = np.random.SeedSequence(5)
    suite_ss = np.random.SeedSequence(5, spawn_key=(0,))
    assert len(ss.spawn_key) == 0 and len(suite_ss.spawn_key) == 1
    assert not np.array_equal(np.random.default_rng(ss).random(8), np.random.default_rng(suite_ss).random(8))


def test_feasibility_is_a_bound_the_optimal_forces_reach():
    track = suite_tracks("twisty", 2.0)[0]
    peak, forces = min_peak_force(track, return_forces=True)
    assert 0 < peak < FEASIBLE_FORCE and np.max(np.abs(forces)) <= peak + 1e-9
    loose = Track(track.top + 1e-7, track.bottom - 1e-7)          # the solver's tolerance
    assert drive(loose, forces) == track.length - 9
    # a jump of 5 in 10 steps needs far more than the car's force
    top = np.concatenate([np.full(20, 0.5), np.full(30, 5.5)])
    assert min_peak_force(Track(top, top - 1)) > FORCE_LIMIT


def test_feasibility_matches_a_dense_reference():
    """The sparse linear program against the positions written out as sums of forces."""
    from scipy.optimize import linprog

    rng = np.random.default_rng(3)
    top = np.cumsum(rng.uniform(-0.3, 0.3, 40)) + 0.5
    track = Track(top, top - 0.6)
    n = track.length                                   # sensors (0,): every step counts
    # p_{i+1} = sum_{k <= i} (i - k + 1/2) f_k
    A = np.array([[(i - k + 0.5) if k <= i else 0.0 for k in range(n)] for i in range(n)])
    c = np.r_[np.zeros(n), 1.0]
    a_ub = np.block([[A, np.zeros((n, 1))], [-A, np.zeros((n, 1))],
                     [np.eye(n), -np.ones((n, 1))], [-np.eye(n), -np.ones((n, 1))]])
    b_ub = np.r_[track.top, -track.bottom, np.zeros(2 * n)]
    ref = linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=[(None, None)] * n + [(0, None)], method="highs")
    assert ref.status == 0
    assert min_peak_force(track, sensors=(0,)) == pytest.approx(ref.x[-1], rel=1e-6, abs=1e-9)


def test_excluded_tracks_need_more_force_than_allowed():
    for (name, version, level), indices in list(EXCLUDED.items())[:2]:
        d = suite_def(name, version)
        assert min_peak_force(candidate(d, level, indices[0])) > FEASIBLE_FORCE
        kept = level_indices(d, level)[0]
        assert min_peak_force(candidate(d, level, kept)) <= FEASIBLE_FORCE


def test_random_track_start_and_swing():
    t = random_track(2, length=500, start=0.5, width=0.8)
    assert t.top[0] == pytest.approx(0.2) and t.bottom[0] == pytest.approx(-0.6)
    assert random_track(2, length=500) == random_track(2, length=500, start=0.0, swing=1.0)
    wavy = random_track(2, length=2000, swing=3.0)
    assert not np.allclose(wavy.top, random_track(2, length=2000).top)
    for bad, msg in ((dict(start=1.0), "start must be strictly between -1 and 1"),
                     (dict(swing=0.5), "swing must be >= 1.0")):
        with pytest.raises(ValueError, match=re.escape(msg)):
            random_track(0, **bad)
