"""Named tasks, imported lazily so that neuroevo never imports the packages built on it."""

from __future__ import annotations

import importlib

#: task id -> the module that runs it (it provides ``RaceConfig``-style config and ``run_*``).
TASKS: dict[str, str] = {
    "race": "tracks.experiment",
}


def load(target: str):
    """Import ``"module"`` or ``"module:attribute"`` and return the module or the attribute."""
    module, _, attr = target.partition(":")
    mod = importlib.import_module(module)
    return getattr(mod, attr) if attr else mod

