"""Racing tracks: a corridor between an upper and a lower barrier, one column per step.

A track is a pure function of ``(seed, params)``. The two seed tracks reproduce the racing
example the package started from: a fixed 400-step training track, and a noisier 4000-step
track drawn from smoothed uniform noise for testing on terrain the genomes never saw.
:func:`random_track` is that second recipe with its difficulty knobs exposed.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from neuroevo._checks import check_float, check_int, is_numeric


def _barrier(name: str, value) -> np.ndarray:
    arr = np.asarray(value)
    if not is_numeric(arr):
        raise TypeError(f"Track: {name} must be a numeric 1-D array, one barrier height per step; "
                        f"got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"Track: {name} must be 1-D, one barrier height per step; got shape {arr.shape}")
    arr = np.array(arr, dtype=np.float64)          # a private copy, frozen below
    if not np.all(np.isfinite(arr)):
        bad = np.flatnonzero(~np.isfinite(arr))
        raise ValueError(f"Track: {name} must be finite; NaN or inf at steps {bad[:10].tolist()}")
    return arr


@dataclass(frozen=True, eq=False)
class Track:
    """A corridor: the player must stay in ``bottom[i] <= p <= top[i]`` at step ``i``.

    Args:
        top: float64 ``(L,)`` upper barrier.
        bottom: float64 ``(L,)`` lower barrier, ``bottom < top`` at every step.
        name: label used in plots and reports.

    Both arrays are copied and made read-only, so a Track never changes after it is built.
    """

    top: np.ndarray
    bottom: np.ndarray
    name: str = ""

    def __post_init__(self) -> None:
        top = _barrier("top", self.top)
        bottom = _barrier("bottom", self.bottom)
        if top.shape != bottom.shape:
            raise ValueError(f"Track: top and bottom must have the same length; got {top.size} and "
                             f"{bottom.size}")
        if top.size < 2:
            raise ValueError(f"Track: a track needs at least 2 steps; got {top.size}")
        crossed = np.flatnonzero(top <= bottom)
        if crossed.size:
            i = int(crossed[0])
            raise ValueError(f"Track: top must be above bottom at every step; at step {i} top={top[i]!r} "
                             f"and bottom={bottom[i]!r} ({crossed.size} steps fail). Widen the corridor "
                             f"or swap the barriers")
        if not isinstance(self.name, str):
            raise TypeError(f"Track: name must be a string; got {self.name!r}")
        top.setflags(write=False)
        bottom.setflags(write=False)
        object.__setattr__(self, "top", top)
        object.__setattr__(self, "bottom", bottom)

    @property
    def length(self) -> int:
        """Number of steps ``L``."""
        return int(self.top.size)

    def __eq__(self, other) -> bool:
        return (isinstance(other, Track) and self.name == other.name
                and np.array_equal(self.top, other.top) and np.array_equal(self.bottom, other.bottom))

    __hash__ = None   # arrays inside: equal tracks compare by value, so they are not hashable

    def __repr__(self) -> str:
        return f"Track(name={self.name!r}, length={self.length})"


def seed_training_track() -> Track:
    """The 400-step training track: a slow sine over a parabola, with a faster wiggle near step 200.

    Returns:
        Track with ``top[0] == 0.5`` and ``bottom == top - 1`` (a corridor of width 1
        centred on the start ``p = 0``).
    """
    xx = np.arange(400)
    freq = np.exp(-(xx / 10 - 20) ** 2 / 100)        # bump that speeds the wiggle up mid-track
    par = (xx / 10 - 25) ** 2 / 100                  # slow parabola underneath
    top = np.sin(xx / 10 * freq) * 0.5 + 0.1 + np.sin(xx / 10) + par
    top = top - top[0] + 0.5
    return Track(top, top - 1, name="training")


def reflect_indices(length: int, radius: int) -> np.ndarray:
    """int64 ``(length + 2 radius,)``: index ``i - radius`` of a line of ``length`` values mirrored
    at both ends about the half-sample (``d c b a | a b c d | d c b a``), repeated with period
    ``2 length`` when ``radius`` exceeds ``length`` (scipy.ndimage's ``mode="reflect"``)."""
    i = np.arange(-radius, length + radius) % (2 * length)
    return np.where(i < length, i, 2 * length - 1 - i)


def gaussian_filter1d(x: np.ndarray, sigma: float, truncate: float = 4.0) -> np.ndarray:
    """Gaussian smoothing of float64 ``x (L,)`` with mirrored edges: float64 ``(L,)``.

    Bit for bit ``scipy.ndimage.gaussian_filter1d(x, sigma, truncate=truncate)`` (order 0, mode
    ``"reflect"``) on float64 input, so importing scipy is not needed to build a track: the same
    kernel (``exp(-0.5 / sigma**2 * k**2)`` for ``|k| <= int(truncate * sigma + 0.5)``, divided by
    its sum) and the same operations in the same order as scipy's C loop for a symmetric kernel,
    ``out[i] = x[i] w[0]``, then ``out[i] += (x[i - k] + x[i + k]) w[k]`` for ``k = r .. 1``
    (no fused multiply-add: scipy's Linux and Windows wheels compute it that way; a build that
    fuses them, such as the macOS arm64 wheel, can differ in the last bit). The tests compare the
    two on many inputs.
    """
    x = np.asarray(x)
    if x.dtype != np.float64 or x.ndim != 1 or x.size == 0:
        raise ValueError(f"gaussian_filter1d smooths a non-empty float64 1-D array; got dtype {x.dtype}, "
                         f"shape {x.shape}")
    sigma = float(sigma)
    if not sigma > 0.0:
        raise ValueError(f"gaussian_filter1d: sigma must be positive; got {sigma}")
    radius = int(truncate * sigma + 0.5)
    k = np.arange(-radius, radius + 1)
    weights = np.exp(-0.5 / (sigma * sigma) * k ** 2)
    weights = weights / weights.sum()                       # (2r+1,), symmetric: w[r - k] == w[r + k]
    n = x.size
    padded = x[reflect_indices(n, radius)]                  # padded[j] = x[j - radius], mirrored
    out = padded[radius:radius + n] * weights[radius]
    for j in range(radius, 0, -1):
        out += (padded[radius - j:radius - j + n] + padded[radius + j:radius + j + n]) * weights[radius - j]
    return out


#: Steps of one full swing of the smoothing sigma when ``swing > 1`` (see :func:`random_track`).
SWING_PERIOD = 800


def smooth(noise: np.ndarray, smoothness: float, swing: float = 1.0) -> np.ndarray:
    """Gaussian smoothing of float64 ``noise (L,)``; with ``swing > 1`` the sigma changes along it.

    With ``swing == 1`` this is :func:`gaussian_filter1d` (``scipy.ndimage.gaussian_filter1d(noise,
    smoothness)``, bit for bit: the seed test track's recipe). Otherwise step ``i`` is smoothed with sigma
    ``smoothness * swing ** sin(2 pi i / SWING_PERIOD)``, between ``smoothness / swing`` (twisty) and
    ``smoothness * swing`` (gentle), with the same mirrored edges and 4-sigma truncation.
    """
    if swing == 1.0:
        return gaussian_filter1d(noise, smoothness)
    L = noise.size
    sigma = smoothness * swing ** np.sin(2 * np.pi * np.arange(L) / SWING_PERIOD)
    radius = int(4.0 * smoothness * swing + 0.5)
    padded = np.pad(noise, radius, mode="symmetric")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * radius + 1)      # (L, 2r+1)
    offsets = np.arange(-radius, radius + 1, dtype=np.float64)
    weights = np.exp(-0.5 * (offsets[None, :] / sigma[:, None]) ** 2)
    weights[np.abs(offsets)[None, :] > (4.0 * sigma + 0.5)[:, None]] = 0.0       # truncate at 4 sigma
    return np.sum(windows * weights, axis=1) / np.sum(weights, axis=1)


def corridor(noise: np.ndarray, *, smoothness: float, amplitude: float, width: float, start: float,
             swing: float, name: str) -> Track:
    """The track that smoothed ``noise`` gives with these knobs (see :func:`random_track`)."""
    top = smooth(noise, smoothness, swing) * amplitude
    top = top - top[0] + (1.0 - start) * width / 2
    return Track(top, top - width, name=name)


def _smoothed_noise_top(seed: int, length: int, smoothness: float, amplitude: float,
                        width: float) -> np.ndarray:
    noise = np.random.default_rng(seed).random(length)
    top = gaussian_filter1d(noise, smoothness) * amplitude
    return top - top[0] + width / 2


def seed_test_track(seed: int = 0) -> Track:
    """The 4000-step test track: uniform noise smoothed with a Gaussian of sigma 10, times 20.

    Args:
        seed: seed of ``np.random.default_rng`` that draws the noise.

    Returns:
        Track of length 4000 with ``top[0] == 0.5`` and ``bottom == top - 1``; the same
        track as ``random_track(seed, length=4000)`` under another name.
    """
    seed = check_int("seed", seed, minimum=0, owner="seed_test_track")
    top = _smoothed_noise_top(seed, 4000, 10.0, 20.0, 1.0)
    return Track(top, top - 1, name=f"test-{seed}")


#: The knobs of :func:`random_track` besides the seed.
KNOBS = ("length", "smoothness", "amplitude", "width", "start", "swing")


def random_track(seed: int, *, length: int = 1000, smoothness: float = 10.0, amplitude: float = 20.0,
                 width: float = 1.0, start: float = 0.0, swing: float = 1.0) -> Track:
    """A procedural track: smoothed uniform noise, the recipe of :func:`seed_test_track`.

    Args:
        seed: seed of ``np.random.default_rng`` that draws the noise; the track is a pure
            function of ``seed`` and the knobs below.
        length: number of steps ``L``.
        smoothness: sigma (in steps) of the Gaussian that smooths the noise; smaller is twistier.
        amplitude: factor on the smoothed noise; larger means bigger swings (0 gives a straight track).
        width: corridor width, ``top - bottom``.
        start: where the start ``p = 0`` sits in the corridor, as a fraction of half the width
            from its centre, in ``(-1, 1)``: 0 is centred, 0.5 halfway up to the top barrier,
            -0.5 halfway down to the bottom one.
        swing: 1 smooths every step alike; above 1 the smoothing sigma swings between
            ``smoothness / swing`` and ``smoothness * swing`` every :data:`SWING_PERIOD` steps,
            so the curvature changes along the track.

    Returns:
        Track with ``top[0] == (1 - start) * width / 2`` and ``bottom == top - width``.
    """
    owner = "random_track"
    seed = check_int("seed", seed, minimum=0, owner=owner)
    length = check_int("length", length, minimum=2, owner=owner)
    smoothness = check_float("smoothness", smoothness, positive=True, owner=owner)
    amplitude = check_float("amplitude", amplitude, minimum=0.0, owner=owner)
    width = check_float("width", width, positive=True, owner=owner)
    start = check_float("start", start, owner=owner)
    if not -1.0 < start < 1.0:
        raise ValueError(f"{owner}: start must be strictly between -1 and 1 (a fraction of half the width "
                         f"from the corridor's centre; 0 is centred); got {start}")
    swing = check_float("swing", swing, minimum=1.0, owner=owner)
    noise = np.random.default_rng(seed).random(length)
    return corridor(noise, smoothness=smoothness, amplitude=amplitude, width=width, start=start, swing=swing,
                    name=f"random-{seed}")


def track_suite(seeds: int | Iterable[int], **knobs) -> list[Track]:
    """Many distinct procedural tracks, one per seed.

    Args:
        seeds: an int ``n`` (seeds ``0 .. n-1``) or an iterable of distinct non-negative ints.
        **knobs: keyword arguments of :func:`random_track` (``length``, ``smoothness``,
            ``amplitude``, ``width``), shared by every track.

    Returns:
        list of Track, in seed order.
    """
    if isinstance(seeds, numbers.Integral) and not isinstance(seeds, bool):
        seeds = range(check_int("seeds", seeds, minimum=1, owner="track_suite"))
    elif isinstance(seeds, (str, bytes)) or not isinstance(seeds, Iterable):
        raise TypeError(f"track_suite: seeds must be an int n (seeds 0..n-1) or a list of ints; got {seeds!r}")
    seeds = [check_int("seed", s, minimum=0, owner="track_suite") for s in seeds]
    if not seeds:
        raise ValueError("track_suite: seeds is empty; pass at least one seed, e.g. track_suite(10)")
    if len(set(seeds)) != len(seeds):
        dupes = sorted({s for s in seeds if seeds.count(s) > 1})
        raise ValueError(f"track_suite: seeds must be distinct (equal seeds give equal tracks); "
                         f"repeated: {dupes}")
    unknown = set(knobs) - set(KNOBS)
    if unknown:
        raise TypeError(f"track_suite: unknown knobs {sorted(unknown)}; choose from {sorted(KNOBS)}")
    return [random_track(s, **knobs) for s in seeds]
