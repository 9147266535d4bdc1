"""Shared conventions.

- ``genomes``: float64 ``(P, D)``, one flat genome per row (see :mod:`neuroevo.network.spec`).
- ``fitness``: float64 ``(P,)``, **higher is better**. NaN and +/-inf are ranked last by every
  strategy and never reach the genomes.
- ``population_size`` is ``P``, ``num_params`` is ``D``.
- One ``np.random.Generator`` per run, passed down; nothing uses NumPy's global random state.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

Genomes = NDArray[np.float64]
Fitness = NDArray[np.float64]

__all__ = ["ArrayLike", "Fitness", "Genomes"]
