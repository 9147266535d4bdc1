import re

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter1d

from tracks import Track, generate, random_track, seed_test_track, seed_training_track, track_suite
from tracks.suites import LEVELS


def test_training_track_follows_its_formula():
    track = seed_training_track()
    xx = np.arange(400)
    freq = np.exp(-(xx / 10 - 20) ** 2 / 100)
    top = np.sin(xx / 10 * freq) * 0.5 + 0.1 + np.sin(xx / 10) + (xx / 10 - 25) ** 2 / 100
    top = top - top[0] + 0.5
    assert track.length == 400 and track.name == "training"
    assert track.top[0] == 0.5
    np.testing.assert_array_equal(track.top, top)
    np.testing.assert_array_equal(track.bottom, track.top - 1)


def test_test_track_is_smoothed_noise_of_length_4000():
    track = seed_test_track()
    noise = np.random.default_rng(0).random(4000)
    top = gaussian_filter1d(noise, 10) * 20
    assert track.length == 4000 and track.top[0] == 0.5
    np.testing.assert_array_equal(track.top, top - top[0] + 0.5)
    np.testing.assert_array_equal(track.bottom, track.top - 1)
    np.testing.assert_array_equal(track.top, random_track(0, length=4000).top)


def test_our_gaussian_filter_is_scipys_bit_for_bit():
    # every sigma the tracks use (10 / m for the suites' levels), others, and radii longer than the line
    rng = np.random.default_rng(7)
    sigmas = [10.0 / m for m in LEVELS] + [0.05, 0.3, 1.0, 2.5, 37.3, 100.0] + list(rng.uniform(0.1, 60.0, 6))
    for length in (1, 2, 3, 17, 400, 1000, 4000):
        for sigma in sigmas:
            for x in (rng.random(length), rng.standard_normal(length) * 1e3):
                np.testing.assert_array_equal(generate.gaussian_filter1d(x, sigma), gaussian_filter1d(x, sigma),
                                              err_msg=f"length {length}, sigma {sigma}")


def test_reflect_indices_mirror_about_the_half_sample_and_repeat():
    assert generate.reflect_indices(4, 3).tolist() == [2, 1, 0, 0, 1, 2, 3, 3, 2, 1]
    assert generate.reflect_indices(2, 5).tolist() == [0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1]
    with pytest.raises(ValueError, match=re.escape("a non-empty float64 1-D array; got dtype int64")):
        generate.gaussian_filter1d(np.arange(5), 1.0)


def test_same_seed_same_track_and_different_seeds_differ():
    assert seed_test_track(3) == seed_test_track(3)
    assert random_track(5) == random_track(5)
    assert not np.array_equal(seed_test_track(0).top, seed_test_track(1).top)
    assert not np.array_equal(random_track(0).top, random_track(1).top)


def test_width_sets_the_corridor_and_centres_the_start():
    track = random_track(2, width=0.4)
    np.testing.assert_allclose(track.top - track.bottom, 0.4, rtol=0, atol=1e-12)
    assert track.top[0] == 0.2


def test_amplitude_scales_the_swings():
    base, double, flat = (random_track(4, amplitude=a) for a in (20.0, 40.0, 0.0))
    np.testing.assert_allclose(double.top - double.top[0], 2 * (base.top - base.top[0]), atol=1e-12)
    np.testing.assert_array_equal(flat.top, np.full(1000, 0.5))


def test_more_smoothness_means_gentler_turns():
    bends = [np.mean(np.abs(np.diff(random_track(1, smoothness=s, amplitude=1.0).top, 2)))
             for s in (3.0, 10.0, 30.0)]
    assert bends[0] > bends[1] > bends[2]


def test_length_knob():
    assert random_track(0, length=123).length == 123
    assert random_track(0).length == 1000


def test_track_suite_from_count_and_from_list():
    suite = track_suite(3, length=200)
    assert [t.name for t in suite] == ["random-0", "random-1", "random-2"]
    assert all(t.length == 200 for t in suite)
    assert suite[1] == random_track(1, length=200)
    assert [t.name for t in track_suite([7, 2])] == ["random-7", "random-2"]
    tops = [t.top for t in track_suite(5)]
    assert all(not np.array_equal(a, b) for i, a in enumerate(tops) for b in tops[i + 1:])


def test_track_suite_rejects_bad_seeds_and_knobs():
    with pytest.raises(ValueError, match=re.escape("seeds must be distinct (equal seeds give equal tracks); "
                                                   "repeated: [1]")):
        track_suite([1, 2, 1])
    with pytest.raises(ValueError, match=re.escape("seeds is empty")):
        track_suite([])
    with pytest.raises(TypeError, match=re.escape("unknown knobs ['smooth']")):
        track_suite(2, smooth=3.0)


@pytest.mark.parametrize("knob, value, msg", [
    ("smoothness", 0.0, "random_track: smoothness must be > 0; got 0.0"),
    ("width", -1.0, "random_track: width must be > 0; got -1.0"),
    ("amplitude", -2.0, "random_track: amplitude must be >= 0.0; got -2.0"),
    ("length", 1, "random_track: length must be >= 2; got 1"),
])
def test_random_track_rejects_bad_knobs(knob, value, msg):
    with pytest.raises(ValueError, match=re.escape(msg)):
        random_track(0, **{knob: value})


def test_track_copies_and_freezes_its_arrays():
    top = np.array([1.0, 2.0, 3.0])
    track = Track(top, top - 1, name="t")
    top[0] = 99.0
    assert track.top[0] == 1.0 and track.top.dtype == np.float64
    with pytest.raises(ValueError, match="read-only"):
        track.top[1] = 0.0
    assert repr(track) == "Track(name='t', length=3)"


def test_track_accepts_integer_barriers():
    assert Track([1, 2], [0, 0]).top.dtype == np.float64


@pytest.mark.parametrize("top, bottom, error, msg", [
    ([1.0, 0.0, 1.0], [0.0, 0.5, 0.0], ValueError, "top must be above bottom at every step; at step 1"),
    ([1.0, 1.0], [0.0, 0.0, 0.0], ValueError, "top and bottom must have the same length; got 2 and 3"),
    ([1.0], [0.0], ValueError, "a track needs at least 2 steps; got 1"),
    ([1.0, np.nan], [0.0, 0.0], ValueError, "top must be finite; NaN or inf at steps [1]"),
    ([[1.0, 2.0]], [[0.0, 0.0]], ValueError, "top must be 1-D, one barrier height per step; got shape (1, 2)"),
    (["a", "b"], [0.0, 0.0], TypeError, "top must be a numeric 1-D array"),
])
def test_track_validation(top, bottom, error, msg):
    with pytest.raises(error, match=re.escape(msg)):
        Track(top, bottom)
