"""Helpers for the run-engine tests: a slow user simulator in a file, and real `neuroevo` processes."""

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

NEUROEVO = str(Path(sys.executable).with_name("neuroevo"))

SLOW_SIM = textwrap.dedent('''
    """A user's simulator in a file of its own: a bowl, with a pause each generation so that a
    test can stop a run part way, common draws from the generation's stream, and a state."""
    import os
    import time

    import numpy as np

    from neuroevo import Simulator


    class Slow(Simulator):
        """Bowl around 0.5 with a little shared noise; counts its calls as state."""

        layers = (3, 4, 1)
        generations = 40
        num_inputs = 3

        def __init__(self):
            self.calls = 0

        def _evaluate(self, genomes, spec, rng):
            time.sleep(float(os.environ.get("SLOW_SIM_SLEEP", "0.03")))
            self.calls += 1
            shift = 0.5 + 0.01 * rng.normal(size=genomes.shape[1])
            return -np.sum((genomes - shift) ** 2, axis=1) - 1e-3 * (self.calls % 7)

        def get_state(self):
            return {"calls": np.array([self.calls])}

        def set_state(self, state):
            self.calls = int(state["calls"][0])
''')


def write_slow_sim(folder: Path) -> str:
    """Write the slow simulator into ``folder/slow_sim.py``; returns its TASK string."""
    path = folder / "slow_sim.py"
    path.parent.mkdir(exist_ok=True)
    path.write_text(SLOW_SIM)
    return f"{path}:Slow"


def neuroevo(*args, env=None, cwd=None, timeout=120) -> subprocess.CompletedProcess:
    full_env = os.environ | {"MPLBACKEND": "Agg"} | (env or {})
    return subprocess.run([NEUROEVO, *map(str, args)], capture_output=True, text=True, env=full_env,
                          cwd=cwd, timeout=timeout)


def start(*args, env=None, cwd=None) -> subprocess.Popen:
    full_env = os.environ | {"MPLBACKEND": "Agg"} | (env or {})
    return subprocess.Popen([NEUROEVO, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=full_env, cwd=cwd)


def only_run(root: Path) -> Path:
    runs = [p for p in Path(root).iterdir() if p.is_dir()]
    assert len(runs) == 1, runs
    return runs[0]


def wait_for_rows(root: Path, n: int, proc: subprocess.Popen, timeout: float = 60) -> Path:
    """Wait until the one run folder under ``root`` has at least ``n`` metrics rows."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc.poll() is not None:
            raise AssertionError(f"the run ended early: rc {proc.returncode}, {proc.stderr.read()}")
        runs = [p for p in Path(root).iterdir() if p.is_dir()] if Path(root).is_dir() else []
        if runs and (runs[0] / "metrics.jsonl").is_file():
            if len((runs[0] / "metrics.jsonl").read_text().splitlines()) >= n:
                return runs[0]
        time.sleep(0.005)
    raise AssertionError(f"no {n} rows after {timeout} s")


def rows_of(run: Path) -> list[dict]:
    return [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]


def timeless(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "time_s"} for r in rows]


def summary_of(run: Path) -> dict:
    s = json.loads((run / "summary.json").read_text())
    return {k: v for k, v in s.items() if not k.endswith("_s")}


def assert_same_run(a: Path, b: Path) -> None:
    """Two run folders hold the same run: metrics (timings aside), genomes and summary, bit for bit."""
    assert timeless(rows_of(a)) == timeless(rows_of(b))
    for name in ("best_genome.npy", "top_genomes.npy"):
        assert np.array_equal(np.load(a / name), np.load(b / name)), name
    assert summary_of(a) == summary_of(b)
