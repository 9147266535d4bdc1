"""Progress of a run: a tqdm bar on a terminal, a log line every few seconds anywhere else.

The bar's total follows the task's stop rule (a race that completes its track early shows the
generations it will really run), and the phases after the evolution say what they are doing.
"""

from __future__ import annotations

import os
import sys
import time

#: Seconds between two log lines when stderr is not a terminal.
LOG_INTERVAL = float(os.environ.get("NEUROEVO_LOG_INTERVAL", "5"))


class Progress:
    """Shows how far a run is.

    Args:
        enabled: False shows nothing.
        label: prefix of every line (``neuroevo xor``).
        total: generations the run will probably take in all.
        initial: generations already done (a resumed run).
        stream: where to write (stderr).
    """

    def __init__(self, enabled: bool, label: str, total: int, initial: int = 0, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.label = label
        self.total = total
        self.bar = None
        self.tty = enabled and _isatty(self.stream)
        self._t0 = self._last = time.monotonic()
        self._evals0: int | None = None
        if self.tty:
            from tqdm.auto import tqdm
            self.bar = tqdm(total=total, initial=initial, desc="evolving", unit="gen", leave=False,
                            file=self.stream, dynamic_ncols=True)
        elif enabled:
            self._line(f"evolving, generation {initial} of at most {total}")

    def _line(self, text: str) -> None:
        say(self.label, text, self.stream)

    def update(self, row: dict, total: int) -> None:
        if not self.enabled:
            return
        if self._evals0 is None:
            self._evals0 = row["evaluations"] - (row["evaluations"] // max(row["generation"], 1))
            self._t0 = time.monotonic() - row["time_s"]
        if self.bar is not None:
            if total != self.bar.total:
                self.bar.total = total
            self.bar.update(row["generation"] - self.bar.n)
            self.bar.set_postfix(best=f"{row['best_so_far']:.4g}", mean=f"{row['fitness_mean']:.4g}",
                                 refresh=False)
            return
        now = time.monotonic()
        if now - self._last >= LOG_INTERVAL:
            self._last = now
            rate = (row["evaluations"] - self._evals0) / max(now - self._t0, 1e-9)
            self._line(f"generation {row['generation']}/{total}  best {row['best_so_far']:.6g}  "
                       f"mean {row['fitness_mean']:.6g}  {rate:,.0f} evaluations/s")

    def phase(self, text: str) -> None:
        """Close the bar and say what the run does next."""
        self.close()
        if self.enabled:
            self._line(text)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.total = self.bar.n       # a run that stopped early ends at 100 %
            self.bar.refresh()
            self.bar.close()
            self.bar = None


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def say(label: str, text: str, stream=None) -> None:
    """One line of progress on stderr: ``label: text``."""
    print(f"{label}: {text}", file=stream or sys.stderr, flush=True)
