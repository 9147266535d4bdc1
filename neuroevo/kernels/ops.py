"""Scalar primitives for kernels: a fused multiply-add and float64 <-> int64 bit casts.

Numba compiles ``a * b + c`` as a multiply and an add, each rounded, unless fastmath lets LLVM fuse
them wherever it likes, and then the results depend on what LLVM chose. :func:`fma` asks for the
fused operation explicitly (LLVM's ``llvm.fma.f64``): ``a * b + c`` rounded once, to nearest. It
is one instruction on every x86-64 CPU with FMA3 and a correctly rounded library call elsewhere,
so a kernel written with it gives the same bits on every machine, and only where it says so.

:func:`float_bits` and :func:`bits_float` reinterpret the 64 bits of a float64 as an int64 and
back (no conversion); kernels use them to build powers of two from an exponent.

Reference: :func:`fma_reference`, the same fused operation in NumPy arithmetic (exact, tested
against rational arithmetic), so NumPy transcriptions of kernels reproduce them bit for bit.
With ``NUMBA_DISABLE_JIT=1`` the three primitives are plain Python and equally exact.
"""

from __future__ import annotations

from fractions import Fraction

import numba
import numpy as np
from numba import njit

# |a|, |b| below this: the Veltkamp split of the exact product cannot overflow.
_SPLIT_MAX = 2.0 ** 995
# |a * b| at least this: the product's rounding error is a normal float64, so it is exact.
_PRODUCT_MIN = 2.0 ** -969


def _fma_exact(a: float, b: float, c: float) -> float:
    """``a * b + c`` rounded once, by rational arithmetic (slow, obviously right)."""
    a, b, c = float(a), float(b), float(c)
    if not (np.isfinite(a) and np.isfinite(b)) or a == 0.0 or b == 0.0:
        return a * b + c                  # the product is exact (zero) or not finite
    if not np.isfinite(c):
        return c                          # the exact product is finite, however large
    exact = Fraction(a) * Fraction(b) + Fraction(c)
    if exact == 0:
        return 0.0                        # an exact zero sum of nonzero terms is +0 when rounding to nearest
    try:
        return float(exact)               # int / int in Python rounds correctly, to nearest even
    except OverflowError:
        return np.inf if exact > 0 else -np.inf


def _libm_fma():
    """The C library's ``fma`` through ctypes (correctly rounded by C99), or None."""
    import ctypes
    import ctypes.util
    try:
        libm = ctypes.CDLL(ctypes.util.find_library("m") or None)
        f = libm.fma
    except (OSError, AttributeError):
        return None
    f.argtypes = (ctypes.c_double, ctypes.c_double, ctypes.c_double)
    f.restype = ctypes.c_double
    return f


if numba.config.DISABLE_JIT:
    # the kernels run as Python: the C library's fma is exact and far quicker than fractions
    fma = _libm_fma() or _fma_exact

    def float_bits(x: float) -> int:
        """The bits of float64 ``x`` as an int64."""
        return int(np.float64(x).view(np.int64))

    def bits_float(i: int) -> float:
        """The int64 ``i`` read as the bits of a float64 (wrapped to 64 bits, as compiled shifts are)."""
        return float(np.int64((int(i) + 2 ** 63) % 2 ** 64 - 2 ** 63).view(np.float64))
else:
    from numba.core import types
    from numba.extending import intrinsic

    @intrinsic
    def _fma(typingctx, a, b, c):
        sig = types.float64(types.float64, types.float64, types.float64)

        def codegen(context, builder, signature, args):
            return builder.fma(*args)
        return sig, codegen

    def _bitcast(src, dst):
        """An intrinsic that reads the bits of a ``src`` value as a ``dst`` (same width, no conversion)."""
        @intrinsic
        def cast(typingctx, x):
            def codegen(context, builder, signature, args):
                return builder.bitcast(args[0], context.get_value_type(dst))
            return dst(src), codegen
        return cast

    _float_bits = _bitcast(types.float64, types.int64)
    _bits_float = _bitcast(types.int64, types.float64)

    @njit(cache=True, nogil=True, inline="always")
    def fma(a, b, c):
        """float64 ``a * b + c`` rounded once (LLVM ``llvm.fma.f64``)."""
        return _fma(a, b, c)

    @njit(cache=True, nogil=True, inline="always")
    def float_bits(x):
        """The bits of float64 ``x`` as an int64 (a bit cast, no conversion)."""
        return _float_bits(x)

    @njit(cache=True, nogil=True, inline="always")
    def bits_float(i):
        """The int64 ``i`` read as the bits of a float64 (a bit cast, no conversion)."""
        return _bits_float(i)


@njit(cache=True, nogil=True)
def fma_many(a, b, c, out):
    """float64 ``(N,)`` arrays -> ``out[i] = fma(a[i], b[i], c[i])``; lets tests check :func:`fma`."""
    for i in range(a.shape[0]):
        out[i] = fma(a[i], b[i], c[i])


def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _split(a):
    t = 134217729.0 * a                   # 2**27 + 1 (Veltkamp)
    hi = t - (t - a)
    return hi, a - hi


def fma_reference(a, b, c) -> np.ndarray:
    """``a * b + c`` rounded once, elementwise, in NumPy float64 arithmetic.

    The exact product is split into two floats (Dekker), added to ``c`` without error (Knuth's
    two-sum), and the two low parts are added with rounding to odd before the final rounding to
    nearest, which makes that last rounding correct (Boldo and Melquiond, "Emulation of FMA and
    correctly rounded sums: proved algorithms using rounding to odd", IEEE TC 2008). Elements
    outside the range where those steps are exact (non-finite, zero, tiny or huge operands) are
    computed by rational arithmetic instead.

    Args:
        a, b, c: float64 arrays (broadcast together).

    Returns:
        float64 array of the broadcast shape.
    """
    a, b, c = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (a, b, c)))
    shape = a.shape
    a, b, c = a.reshape(-1), b.reshape(-1), c.reshape(-1)
    with np.errstate(all="ignore"):
        p = a * b
        ah, al = _split(a)
        bh, bl = _split(b)
        err = ((ah * bh - p) + ah * bl + al * bh) + al * bl          # p + err == a * b exactly
        hi, lo = _two_sum(c, p)                                        # c + p == hi + lo exactly
        s, e = _two_sum(lo, err)                                       # lo + err == s + e exactly
        even = (s.view(np.int64) & 1) == 0
        s = np.where((e != 0.0) & even, np.nextafter(s, np.where(e > 0.0, np.inf, -np.inf)), s)
        out = hi + s
        hard = ~(np.isfinite(a) & np.isfinite(b) & np.isfinite(c) & np.isfinite(out)
                 & (np.abs(a) < _SPLIT_MAX) & (np.abs(b) < _SPLIT_MAX) & (np.abs(p) >= _PRODUCT_MIN)
                 & (np.abs(p) < 2.0 ** 1022) & (np.abs(c) < 2.0 ** 1022))
        hard |= out == 0.0                                             # the sign of a zero result
    for i in np.flatnonzero(hard):
        out[i] = _fma_exact(a[i], b[i], c[i])
    return out.reshape(shape)
