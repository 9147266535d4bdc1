"""``neuroevo bench``: named benchmark suites, each against a baseline measured in the same run.

A run writes one results folder, ``OUT/bench__{time}[__quick]/``, holding ``results.json``
(every figure, the settings, the machine: CPU model, vector extensions, cores, load and library
versions), ``results.md`` (the tables) and a folder per suite with its plots and files (COCO's
``exdata`` for ``bbob``). Suites are modules named here as strings and imported only when run.

    neuroevo bench --quick                 # every suite, about two minutes on 2 cores
    neuroevo bench cmaes bbob --out bench  # full mode: at most 15 minutes a suite, bbob 60
"""

from __future__ import annotations

import importlib
import time
from pathlib import Path
from typing import Any

from neuroevo.bench.common import SuiteResult, Table, machine, machine_line

#: suite name -> module with ``run(quick, folder) -> SuiteResult`` (imported when the suite runs)
SUITES: dict[str, str] = {
    "throughput": "neuroevo.bench.throughput",
    "cmaes": "neuroevo.bench.cmaes",
    "bbob": "neuroevo.bench.bbob",
    "race": "neuroevo.bench.race",
    "generalization": "neuroevo.bench.tasks:generalization",
    "gym": "neuroevo.bench.tasks:gym",
}


def check_suites(names) -> list[str]:
    """The suites to run, in registry order (all of them for an empty list), or a one-line error."""
    names = list(names or [])
    unknown = [n for n in names if n not in SUITES]
    if unknown:
        raise ValueError(f"unknown benchmark suite {unknown[0]!r}; choose from {list(SUITES)} "
                         f"(or give none to run them all)")
    return [n for n in SUITES if not names or n in names]


def _suite_runner(name: str):
    module, _, attr = SUITES[name].partition(":")
    mod = importlib.import_module(module)
    return getattr(mod, attr).run if attr else mod.run


def _folder(out: Path, quick: bool) -> Path:
    from neuroevo.io.runlog import make_unique_dir

    return make_unique_dir(out, f"bench__{time.strftime('%Y%m%d-%H%M%S')}" + ("__quick" if quick else ""))


def run_bench(suites=None, *, quick: bool = False, out: str | Path = "bench", echo=print) -> Path:
    """Run benchmark suites and write their results folder.

    Args:
        suites: suite names (see ``SUITES``); None or empty runs every suite.
        quick: the short version of every suite (about two minutes for all of them on 2 cores).
        out: folder under which the results folder is made.
        echo: where the tables and progress lines go.

    Returns:
        The results folder.

    Raises:
        ValueError: an unknown suite, or ``out`` is a file; raised before any work.
    """
    from neuroevo.io.runlog import write_json

    names = check_suites(suites)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {str(out)!r} is a file, not a folder; choose a folder for the results")
    folder = _folder(out, quick)
    report: dict[str, Any] = {"quick": quick, "suites": {}, "machine": machine()}
    write_json(folder / "results.json", report)
    t_start = time.perf_counter()
    for name in names:
        echo(f"neuroevo bench: {name}{' (quick)' if quick else ''} ...", flush=True)
        sub = folder / name
        sub.mkdir()
        t0 = time.perf_counter()
        res: SuiteResult = _suite_runner(name)(quick, sub)
        seconds = time.perf_counter() - t0
        report["suites"][name] = {"seconds": round(seconds, 2), "skipped": res.skipped, "notes": res.notes,
                                  "plots": [f"{name}/{p}" for p in res.plots],
                                  "tables": [t.to_dict() for t in res.tables], "figures": res.figures}
        if not any(sub.iterdir()):
            sub.rmdir()
        write_json(folder / "results.json", report)       # after each suite: a crash keeps what was measured
        echo(_suite_markdown(name, report["suites"][name]), flush=True)
    report["seconds"] = round(time.perf_counter() - t_start, 2)
    report["machine_end"] = {"load_average": machine()["load_average"]}
    write_json(folder / "results.json", report)
    (folder / "results.md").write_text(markdown(report))
    echo(f"neuroevo bench: wrote {folder} in {report['seconds']:.0f} s", flush=True)
    return folder


def _suite_markdown(name: str, suite: dict) -> str:
    lines = [f"### {name} ({suite['seconds']:.0f} s)", ""]
    if suite["skipped"]:
        lines.append(f"Skipped: {suite['skipped']}.")
    for t in suite["tables"]:
        lines += [Table(t["title"], t["columns"], t["rows"], t["note"]).markdown(), ""]
    lines += [f"Plot: `{p}`" for p in suite["plots"]]
    lines += [f"Note: {n}" for n in suite["notes"]]
    return "\n".join(lines).rstrip() + "\n"


def markdown(report: dict) -> str:
    """The tables of a results report as Markdown, headed by the machine they were measured on."""
    head = [f"## neuroevo bench{' --quick' if report['quick'] else ''}", "",
            f"Machine: {machine_line(report['machine'])}.", ""]
    return "\n".join(head) + "\n".join(_suite_markdown(n, s) for n, s in report["suites"].items())


__all__ = ["SUITES", "check_suites", "markdown", "run_bench"]
