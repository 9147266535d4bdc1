"""Bad command lines and what neuroevo answers: a Markdown table ``| input | exit code | message |``.

Runs every command-line case of ``tests/bad_input_cases.py`` (the table ``tests/test_bad_inputs.py``
checks) as a real process, each in a scratch folder of its own, after two short xor runs that the
resume and evaluate cases copy. Prints the table and writes it to
``benchmarks/results/bad_inputs.md``. Paths in the messages are shown relative to the case's folder.
A case whose answer differs from what the table expects is marked in the exit code column and
listed under the table.

Usage::

    python benchmarks/bad_inputs.py          # about 20 s on 2 cores
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from bad_input_cases import CLI_CASES, make_finished_runs, problems, run_case  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "bad_inputs.md"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _input(case) -> str:
    what = case.prepared()
    return f"`{_cell(case.command_line())}`" + (f" ({_cell(what)})" if what else "")


def main() -> int:
    t0 = time.perf_counter()
    rows, misses = [], []
    work = Path(tempfile.mkdtemp(prefix="neuroevo-bad-inputs-"))
    try:
        runs = make_finished_runs(work / "finished")
        for i, case in enumerate(CLI_CASES):
            scratch = work / f"{i:02d}-{case.id}"
            outcome = run_case(case, scratch, runs)
            if outcome.skipped:
                rows.append((case, "skipped", outcome.skipped))
                continue
            found = problems(outcome)
            code = str(outcome.code) if outcome.code == case.code else f"{outcome.code} (expected {case.code})"
            if found:
                code += " *"
                misses.append((case, found))
            rows.append((case, code, outcome.shown_message(scratch)))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    lines = ["| input | exit code | message |", "|---|---|---|"]
    lines += [f"| {_input(case)} | {code} | {_cell(msg)} |" for case, code, msg in rows]
    if misses:
        lines += ["", f"\\* {len(misses)} of {len(rows)} answers differ from what tests/test_bad_inputs.py expects:",
                  ""]
        for case, found in misses:
            note = ""
            lines.append(f"- `{case.id}`: {'; '.join(found)}{note}")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(f"\n{len(rows)} cases in {time.perf_counter() - t0:.1f} s; wrote {RESULTS.relative_to(ROOT)}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
