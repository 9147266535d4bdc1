"""Bad inputs, one parameter each, and what each gets.

The command-line cases (the table in ``bad_input_cases.py``, shared with
``benchmarks/bad_inputs.py``) run real ``neuroevo`` processes: each must exit with its code, print
exactly one non-empty line on stderr (never a traceback) holding its pinned fragments, and leave
its folder as it was. The API cases below call neuroevo in this process: each must raise its
exception with a one-line message holding its fragments, and write nothing.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from bad_input_cases import CLI_CASES, make_finished_runs, problems, run_case, snapshot

import neuroevo
from neuroevo import XOR, NetworkSpec, Population, Simulator
from neuroevo.io.checkpoint import CheckpointError
from neuroevo.tasks import XORTask


@pytest.fixture(scope="session")
def finished_runs(tmp_path_factory) -> dict[str, Path]:
    """Finished three-generation xor runs (the default [2, 3, 1] network and a [2, 4, 1] one), made once."""
    return make_finished_runs(tmp_path_factory.mktemp("finished_runs"))


def _param(case):
    return pytest.param(case, id=case.id)


# -- command line -----------------------------------------------------------------------------------
@pytest.mark.parametrize("case", [_param(c) for c in CLI_CASES])
def test_cli_bad_input(case, tmp_path, finished_runs):
    outcome = run_case(case, tmp_path / "case", finished_runs)
    if outcome.skipped:
        pytest.skip(outcome.skipped)
    found = problems(outcome)
    assert not found, f"{case.shown()}: " + "; ".join(found) + f"\nstderr: {outcome.stderr}"


def test_the_table_is_large_enough():
    assert len(CLI_CASES) >= 25 and len(CLI_CASES) + len(API_CASES) >= 45
    assert len({c.id for c in CLI_CASES} | {c.id for c in API_CASES}) == len(CLI_CASES) + len(API_CASES)


# -- Python API -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ApiCase:
    id: str
    call: Callable[[Path], object]                 # (scratch folder) -> never returns
    error: type[BaseException]
    fragments: tuple[str, ...]
    absent: tuple[str, ...] = ()                   # must not appear in the message
    prepare: Callable[[Path, dict[str, Path]], None] | None = None   # (scratch, finished runs): files first


def _run(**settings):
    return lambda tmp: neuroevo.run("xor", out=str(tmp / "out"), generations=3, plots=False, progress=False,
                                    **settings)


def _bad_checkpoint(content: Callable[[bytes], bytes]):
    """Write ``bad.npz``, made from the bytes of a whole Population checkpoint."""
    def prepare(tmp: Path, runs) -> None:
        whole = tmp / "whole.npz"
        Population([2, 3, 1], "rank_ga", seed=1, population_size=8).save(whole)
        (tmp / "bad.npz").write_bytes(content(whole.read_bytes()))
        whole.unlink()
    return prepare


def _pickled_npz(tmp: Path, runs) -> None:
    np.savez(tmp / "bad.npz", genomes=np.array([{"a": 1}], dtype=object),
             __meta__=np.array('{"format_version": 2}'))


def _load_bad(tmp: Path):
    return Population.load(tmp / "bad.npz")


SPEC = NetworkSpec([2, 3, 1])       # 13 parameters


def _sphere(x):
    return np.sum(x**2, axis=1)


def _evaluate(genomes):
    return lambda tmp: XOR().evaluate(genomes, SPEC)


def _nan_genomes() -> np.ndarray:
    g = np.zeros((4, SPEC.num_params))
    g[1, 2] = np.nan
    return g


class _Writer(Simulator):
    """Writes into the genomes it is given."""

    def _evaluate(self, genomes, spec, rng):
        genomes[:, 0] = 1.0
        return genomes.sum(axis=1)


def _copy_run(tmp: Path, runs) -> None:
    shutil.copytree(runs["xor"], tmp / "run")


def _copy_run_damage_best_genome(tmp: Path, runs) -> None:
    _copy_run(tmp, runs)
    path = tmp / "run" / "best_genome.npy"
    path.write_bytes(path.read_bytes()[:100])


API_CASES: list[ApiCase] = [
    ApiCase("api-run-seed-negative", _run(seed=-1), ValueError, ("seed must be >= 0; got -1",)),
    ApiCase("api-run-seed-float", _run(seed=1.5), TypeError, ("seed must be an integer; got 1.5",)),
    ApiCase("api-run-unknown-setting", _run(bogus=1), ValueError,
            ("unknown setting ['bogus'] for task 'xor'", "rank_ga settings: ['population_size'")),
    ApiCase("api-run-layers-one-size", _run(layers=(2,)), ValueError, ("layers needs at least 2 sizes",)),
    ApiCase("api-run-layers-string", _run(layers="2,3,1"), TypeError,
            ("layers must be a sequence of layer sizes such as (7, 8, 4, 1)",)),
    ApiCase("api-run-population-size-1", _run(population_size=1), ValueError, ("population_size must be >= 2",)),
    ApiCase("api-run-task-instance", lambda tmp: neuroevo.run(XORTask(), out=str(tmp / "out")), TypeError,
            ("pass the task's name or class and its settings as keywords",)),
    ApiCase("api-run-task-not-a-name", lambda tmp: neuroevo.run(42, out=str(tmp / "out")), TypeError,
            ("task must be a task name such as 'xor'",)),
    ApiCase("api-load-text-file", _load_bad, CheckpointError,
            ("is not a neuroevo checkpoint: it is not an .npz archive",),
            prepare=_bad_checkpoint(lambda b: b"generation 3, best -0.25\n")),
    ApiCase("api-load-empty-file", _load_bad, CheckpointError, ("is empty (0 bytes)",),
            prepare=_bad_checkpoint(lambda b: b"")),
    ApiCase("api-load-truncated-npz", _load_bad, CheckpointError, ("is damaged or truncated",),
            absent=("allow_pickle", "pickle"), prepare=_bad_checkpoint(lambda b: b[: len(b) // 2])),
    ApiCase("api-load-pickled-npz", _load_bad, CheckpointError, ("pickled Python objects, which neuroevo never loads",),
            absent=("allow_pickle",), prepare=_pickled_npz),
    ApiCase("api-load-missing-file", lambda tmp: Population.load(tmp / "nope.npz"), FileNotFoundError,
            ("no checkpoint at",)),
    ApiCase("api-evaluate-nan-genomes", _evaluate(_nan_genomes()), ValueError,
            ("genomes must be finite; rows [1] hold NaN or inf",)),
    ApiCase("api-evaluate-wrong-width", _evaluate(np.zeros((4, 5))), ValueError,
            ("must have 13 columns (the network's num_params); got shape (4, 5)",)),
    ApiCase("api-evaluate-one-genome-1d", _evaluate(np.zeros(13)), ValueError, ("use genome[None, :]",)),
    ApiCase("api-simulator-writes-genomes", lambda tmp: _Writer().evaluate(np.zeros((3, 13)), SPEC), ValueError,
            ("read-only",)),
    ApiCase("api-run-workers-0", _run(workers=0), ValueError, ("workers must be >= 1",)),
    ApiCase("api-run-scheduler-not-a-string", _run(scheduler=8786), TypeError,
            ("scheduler must be an address such as tcp://10.0.0.5:8786; got 8786",)),
    ApiCase("api-population-unknown-evaluator",
            lambda tmp: Population([2, 3, 1], "rank_ga", evaluator="ray"), TypeError,
            ("evaluator must be 'local', 'dask', a distributed.Client or an Evaluator instance; got 'ray'",)),
    ApiCase("api-resume-missing-folder", lambda tmp: neuroevo.resume(tmp / "nowhere"), neuroevo.RunError,
            ("no run folder at",)),
    ApiCase("api-load-run-damaged-best-genome", lambda tmp: neuroevo.load_run(tmp / "run"), neuroevo.RunError,
            ("best_genome.npy' is damaged", "neuroevo resume"), prepare=_copy_run_damage_best_genome),
    ApiCase("api-evaluate-run-unknown-held-out-setting", lambda tmp: neuroevo.evaluate_run(tmp / "run", test_seed=3),
            ValueError, ("task 'xor' has no evaluate options; got ['test_seed']",), prepare=_copy_run),
    # minimize and the termination settings
    ApiCase("api-minimize-f-not-callable", lambda tmp: neuroevo.minimize(3, np.ones(2), 0.5), TypeError,
            ("f must be a function of (P, D) points; got int",)),
    ApiCase("api-minimize-sigma0-zero", lambda tmp: neuroevo.minimize(_sphere, np.ones(2), 0.0), ValueError,
            ("sigma0 must be > 0; got 0.0",)),
    ApiCase("api-minimize-unknown-strategy", lambda tmp: neuroevo.minimize(_sphere, np.ones(2), 0.5, strategy="bfgs"),
            ValueError, ("strategy must be one of cmaes, openai_es, pgpe, sep_cmaes, snes; got 'bfgs'",)),
    ApiCase("api-minimize-restarts-with-snes",
            lambda tmp: neuroevo.minimize(_sphere, np.ones(2), 0.5, strategy="snes"), ValueError,
            ("IPOP/BIPOP restarts need a strategy with population_size and sigma0", "restarts='none'")),
    ApiCase("api-minimize-x0-matrix", lambda tmp: neuroevo.minimize(_sphere, np.ones((2, 2)), 0.5), ValueError,
            ("x0 must be a (D,) starting point", "got shape (2, 2)")),
    ApiCase("api-minimize-f-shape", lambda tmp: neuroevo.minimize(lambda x: x, np.ones(3), 0.5), ValueError,
            ("f must map (7, 3) points to (7,) values; got shape (7, 3)", "vectorized=False")),
    ApiCase("api-minimize-bounds-crossed", lambda tmp: neuroevo.minimize(_sphere, np.ones(2), 0.5, bounds=(1, -1)),
            ValueError, ("bounds must be finite with lower < upper in every coordinate",)),
    ApiCase("api-minimize-budget-below-one-generation",
            lambda tmp: neuroevo.minimize(_sphere, np.ones(2), 0.5, max_evals=3), ValueError,
            ("max_evals=3 is smaller than one generation (6 evaluations)",)),
    ApiCase("api-cmaes-tolfun-negative", lambda tmp: neuroevo.CMAES(num_params=2, tolfun=-1.0), ValueError,
            ("CMAESConfig: tolfun must be >= 0.0; got -1.0",)),
    ApiCase("api-snes-patience-zero", lambda tmp: neuroevo.SNES(num_params=2, patience=0), ValueError,
            ("SNESConfig: patience must be >= 1",)),
    ApiCase("api-load-policy-not-a-gym-run", lambda tmp: neuroevo.load_policy(tmp / "run"), neuroevo.RunError,
            ("is a run of task 'xor', not of a Gymnasium env", "load_policy needs a gym run"), prepare=_copy_run),
    ApiCase("api-gym-episodes-zero", lambda tmp: neuroevo.GymSimulator("CartPole-v1", episodes=0), ValueError,
            ("GymSimulator: episodes must be >= 1; got 0",)),
]


@pytest.mark.parametrize("case", [_param(c) for c in API_CASES])
def test_api_bad_input(case, tmp_path, finished_runs):
    scratch = tmp_path / "case"
    scratch.mkdir()
    if case.prepare is not None:
        case.prepare(scratch, finished_runs)
    before = snapshot(scratch)
    with pytest.raises(case.error) as info:
        case.call(scratch)
    message = str(info.value).strip()
    assert message and "\n" not in message, f"not one non-empty line: {message!r}"
    for fragment in case.fragments:
        assert fragment in message
    for word in case.absent:
        assert word not in message
    after = snapshot(scratch)
    assert after == before, f"files added, removed or changed: {sorted(set(after) ^ set(before))}"
    assert not (scratch / "out").exists()
