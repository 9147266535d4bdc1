"""Input validation shared by the public API.

Every check raises before any work is done, with a message that says what was
expected, what came in and how to fix it.
"""

from __future__ import annotations

import numbers

import numpy as np


def check_int(name: str, value, *, minimum: int | None = None, maximum: int | None = None,
              owner: str = "") -> int:
    """Return ``value`` as an int, or raise if it is not an integer in range."""
    where = f"{owner}: " if owner else ""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{where}{name} must be an integer; got {value!r} ({type(value).__name__})")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{where}{name} must be >= {minimum}; got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{where}{name} must be <= {maximum}; got {value}")
    return value


def check_float(name: str, value, *, minimum: float | None = None, maximum: float | None = None,
                positive: bool = False, owner: str = "") -> float:
    """Return ``value`` as a finite float, or raise if it is not a real number in range.

    ``positive=True`` requires ``value > 0`` (strictly); ``minimum`` and ``maximum`` are inclusive.
    """
    where = f"{owner}: " if owner else ""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{where}{name} must be a real number; got {value!r} ({type(value).__name__})")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{where}{name} must be finite; got {value}")
    if positive and value <= 0:
        raise ValueError(f"{where}{name} must be > 0; got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{where}{name} must be >= {minimum}; got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{where}{name} must be <= {maximum}; got {value}")
    return value


def check_choice(name: str, value, choices, *, owner: str = "") -> str:
    """Return ``value`` if it is one of ``choices`` (exact match, no prefixes), else raise."""
    where = f"{owner}: " if owner else ""
    if not isinstance(value, str):
        raise TypeError(f"{where}{name} must be a string, one of {sorted(choices)}; got {value!r}")
    if value not in choices:
        raise ValueError(f"{where}unknown {name} {value!r}; choose one of {sorted(choices)}")
    return value


def is_numeric(arr: np.ndarray, *, allow_bool: bool = False) -> bool:
    """True for integer and floating arrays (and boolean ones when ``allow_bool``)."""
    kind = arr.dtype.kind
    return kind in "iuf" or (allow_bool and kind == "b")


def check_genomes(genomes, num_params: int, *, name: str = "genomes") -> np.ndarray:
    """Return ``genomes`` as a C-contiguous float64 ``(P, D)`` array of finite values.

    Raises:
        TypeError: if ``genomes`` is not numeric.
        ValueError: if it is not 2-D, has the wrong width, no rows, or holds NaN/inf.
    """
    arr = np.asarray(genomes)
    if not is_numeric(arr):
        raise TypeError(f"{name} must be a numeric array of shape (P, {num_params}); "
                        f"got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D with shape (P, {num_params}), one row per genome; "
                         f"got shape {arr.shape}. For a single genome use genome[None, :]")
    if arr.shape[1] != num_params:
        raise ValueError(f"{name} must have {num_params} columns (the network's num_params); "
                         f"got shape {arr.shape}. Check that the layer sizes match the genomes")
    if arr.shape[0] < 1:
        raise ValueError(f"{name} must hold at least one genome; got shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        bad = np.flatnonzero(~np.all(np.isfinite(arr), axis=1))
        raise ValueError(f"{name} must be finite; rows {bad[:10].tolist()} hold NaN or inf")
    return arr


def check_vector(name: str, value, size: int) -> np.ndarray:
    """Return ``value`` as a finite float64 ``(size,)`` array (copied), or raise."""
    arr = np.asarray(value)
    if not is_numeric(arr):
        raise TypeError(f"{name} must be a numeric array of shape ({size},); got dtype {arr.dtype}")
    if arr.shape != (size,):
        raise ValueError(f"{name} must have shape ({size},); got {arr.shape}")
    arr = np.array(arr, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite; got NaN or inf at {np.flatnonzero(~np.isfinite(arr))[:10].tolist()}")
    return arr
