"""Run small dense linear algebra on one BLAS thread.

A strategy's matrices are small (a few hundred rows) and its calls are many. A multi-threaded
BLAS gains nothing there and, when the cores are busy (the simulator's own threads, other
processes), its threads can wait on each other for far longer than the work takes: a 105 x 105
``eigh`` measured 200 ms on two busy threads against 1.6 ms on one. The limit is scoped to the
decorated call, so the user's own NumPy keeps its settings.
"""

from __future__ import annotations

import functools

_controller = None


def one_blas_thread(func):
    """Decorator: run ``func`` with every BLAS library limited to one thread."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        global _controller
        if _controller is None:
            from threadpoolctl import ThreadpoolController
            _controller = ThreadpoolController()
        with _controller.limit(limits=1, user_api="blas"):
            return func(*args, **kwargs)

    return wrapper
