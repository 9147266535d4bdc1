"""Test functions for the benchmarks, and the two optimisers they are run with.

Every function is minimised and maps float64 ``(P, D)`` points to ``(P,)`` values. The BBOB
functions come from COCO's ``cocoex`` (the ``bench`` extra), with their optimal value subtracted
so that every target is a precision ``f - f_opt``.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


def sphere(x: np.ndarray) -> np.ndarray:
    return np.sum(x**2, axis=1)


def rosenbrock(x: np.ndarray) -> np.ndarray:
    return np.sum(100.0 * (x[:, 1:] - x[:, :-1] ** 2) ** 2 + (1.0 - x[:, :-1]) ** 2, axis=1)


def rastrigin(x: np.ndarray) -> np.ndarray:
    return 10.0 * x.shape[1] + np.sum(x**2 - 10.0 * np.cos(2 * np.pi * x), axis=1)


FUNCTIONS = {"sphere": sphere, "rosenbrock": rosenbrock, "rastrigin": rastrigin}


class BudgetUsed(Exception):
    """Raised by :class:`Counted` when the evaluation budget is used (ends a pycma run early)."""


@dataclass
class Counted:
    """A function wrapped to count its evaluations and record when each target was first reached.

    Attributes:
        f: the function, ``(P, D) -> (P,)``.
        budget: evaluations allowed; the generation that would pass it raises :class:`BudgetUsed`.
        targets: precisions, largest first; ``hits[i]`` is the evaluation count at which
            ``targets[i]`` was first reached (None until then).
    """

    f: Callable[[np.ndarray], np.ndarray]
    budget: int
    targets: tuple[float, ...] = (1e-8,)
    evaluations: int = 0
    best: float = math.inf
    hits: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self.hits = [None] * len(self.targets)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        if self.evaluations + x.shape[0] > self.budget:
            raise BudgetUsed
        values = np.asarray(self.f(x), dtype=np.float64)
        self.evaluations += x.shape[0]
        low = float(np.min(np.where(np.isfinite(values), values, np.inf)))
        if low < self.best:
            self.best = low
            for i, t in enumerate(self.targets):
                if self.hits[i] is None and low <= t:
                    self.hits[i] = self.evaluations
        return values

    def pycma_batch(self, xs: list) -> list[float]:
        """pycma's ``parallel_objective``: a list of points in, a list of values out."""
        return [float(v) for v in self(np.array(xs))]

    @property
    def solved(self) -> bool:
        return self.hits[-1] is not None


def run_neuroevo(counted: Counted, x0: np.ndarray, sigma0: float, seed: int, restarts: str | None,
                 strategy: str = "cmaes", max_restarts: int | None = None, **settings) -> dict:
    """Minimise ``counted`` with :func:`neuroevo.minimize`; returns the figures of the run."""
    from neuroevo.minimize import minimize

    t0 = time.perf_counter()
    res = minimize(counted, x0, sigma0, strategy=strategy, restarts=restarts, seed=seed, max_evals=counted.budget,
                   target=counted.targets[-1], max_restarts=max_restarts, **settings)
    return {"evaluations": counted.evaluations, "solved": counted.solved, "hits": list(counted.hits),
            "best": counted.best, "stop": res.stop_reason, "restarts": res.restarts,
            "seconds": time.perf_counter() - t0, "runs": res.runs}


def run_pycma(counted: Counted, x0: np.ndarray, sigma0: float, seed: int, restarts: str | None,
              max_restarts: int = 9, **options) -> dict:
    """Minimise ``counted`` with pycma's ``fmin2`` (IPOP, BIPOP or one run); the same figures."""
    import cma

    opts = {"ftarget": counted.targets[-1], "maxfevals": counted.budget, "seed": seed + 1, "verbose": -9,
            "verb_log": 0, "verb_disp": 0} | options
    t0 = time.perf_counter()
    stop = None
    try:
        with _quiet():
            _, es = cma.fmin2(None, np.array(x0, dtype=np.float64), sigma0, opts,
                              restarts=max_restarts if restarts else 0, bipop=restarts == "bipop",
                              parallel_objective=counted.pycma_batch)
        stop = "+".join(sorted(es.stop()))
    except BudgetUsed:
        stop = "max_evals"
    if counted.solved:
        stop = "target"
    return {"evaluations": counted.evaluations, "solved": counted.solved, "hits": list(counted.hits),
            "best": counted.best, "stop": stop, "seconds": time.perf_counter() - t0}


@contextlib.contextmanager
def _quiet():
    """pycma warns on stderr about ill-conditioning and flat fitness; keep a benchmark's output clean."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# -- BBOB through COCO -----------------------------------------------------------------------------------
def have_cocoex() -> bool:
    try:
        import cocoex  # noqa: F401
    except Exception:
        return False
    return True


def have_pycma() -> bool:
    try:
        import cma  # noqa: F401
    except Exception:
        return False
    return True


def bbob_suite(functions, dimensions, instances):
    """COCO's bbob problems with these function ids, dimensions and instance ids (any ids >= 1).

    ``instance_indices`` would index the suite's default instance list (1-5, 71-80), so the
    instances are given as the suite's own ``instances`` option instead.
    """
    import cocoex

    def ids(values):
        return ",".join(str(int(v)) for v in values)

    return cocoex.Suite("bbob", f"instances: {ids(instances)}",
                        f"dimensions: {ids(dimensions)} function_indices: {ids(functions)}")


def bbob_problem(function: int, dimension: int, instance: int):
    """One COCO bbob problem, checked to be the one asked for."""
    problem = next(iter(bbob_suite([function], [dimension], [instance])))
    if (problem.id_function, problem.dimension, problem.id_instance) != (function, dimension, instance):
        raise ValueError(f"COCO gave {problem.id} for bbob f{function} in {dimension}-D, instance {instance}")
    return problem


def bbob_optimum(function: int, dimension: int, instance: int) -> float:
    """``f_opt`` of a BBOB problem (COCO writes the optimal point to a file; ``f`` there is ``f_opt``)."""
    problem = bbob_problem(function, dimension, instance)
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            problem._best_parameter("print")
            x_opt = np.atleast_1d(np.loadtxt("._bbob_problem_best_parameter.txt"))
        finally:
            os.chdir(here)
    value = float(problem(x_opt))
    problem.free()
    return value


class BBOBFunction:
    """A BBOB problem as a ``(P, D) -> (P,)`` function of the precision ``f - f_opt``.

    Args:
        problem: a ``cocoex`` problem (possibly observed, so that COCO logs every evaluation).
        f_opt: its optimal value, from :func:`bbob_optimum`.
    """

    def __init__(self, problem, f_opt: float):
        self.problem, self.f_opt = problem, f_opt

    def __call__(self, x: np.ndarray) -> np.ndarray:
        p = self.problem
        return np.array([p(row) for row in x]) - self.f_opt
