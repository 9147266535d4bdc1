"""Evolution strategies behind one ask/tell interface, and the registry that names them.

Adding a strategy = its module + one line in ``STRATEGIES``; the CLI, the tests and the
docs read the registry.
"""

from __future__ import annotations

from neuroevo._checks import check_choice
from neuroevo.strategies.base import Strategy
from neuroevo.strategies.cmaes import CMAES
from neuroevo.strategies.crossover_ga import CrossoverGA
from neuroevo.strategies.openai_es import OpenAIES
from neuroevo.strategies.pgpe import PGPE
from neuroevo.strategies.rank_ga import RankGA, RankGAConfig, RankGAState
from neuroevo.strategies.sep_cmaes import SepCMAES
from neuroevo.strategies.snes import SNES

STRATEGIES: dict[str, type[Strategy]] = {
    "rank_ga": RankGA,
    "cmaes": CMAES,
    "sep_cmaes": SepCMAES,
    "crossover_ga": CrossoverGA,
    "openai_es": OpenAIES,
    "pgpe": PGPE,
    "snes": SNES,
}


def make_strategy(strategy, num_params: int, **settings) -> Strategy:
    """Build a strategy from a registry name, a Strategy class, or pass an instance through.

    Args:
        strategy: ``"rank_ga"``, ``"cmaes"``... (see ``STRATEGIES``), a class, or an instance.
        num_params: genome length ``D``.
        **settings: fields of the strategy's Config (only with a name or a class).
    """
    if isinstance(strategy, Strategy):
        if settings:
            raise TypeError(f"settings {sorted(settings)} cannot be applied to an existing "
                            f"{type(strategy).__name__}; pass the strategy name or class instead")
        if strategy.num_params != num_params:
            raise ValueError(f"strategy was built for num_params={strategy.num_params} but the network "
                             f"has {num_params}; build it with num_params={num_params}")
        return strategy
    if isinstance(strategy, type) and issubclass(strategy, Strategy):
        return strategy(num_params=num_params, **settings)
    if isinstance(strategy, str):
        check_choice("strategy", strategy, STRATEGIES)
        return STRATEGIES[strategy](num_params=num_params, **settings)
    raise TypeError(f"strategy must be a name from {sorted(STRATEGIES)}, a Strategy class or instance; "
                    f"got {strategy!r}")


def strategy_name(strategy: Strategy) -> str:
    """Registry id of a strategy instance (its class name if it is not registered)."""
    for name, cls in STRATEGIES.items():
        if type(strategy) is cls:
            return name
    return type(strategy).__name__


__all__ = ["CMAES", "PGPE", "SNES", "STRATEGIES", "CrossoverGA", "OpenAIES", "RankGA", "RankGAConfig", "RankGAState",
           "SepCMAES", "Strategy", "make_strategy", "strategy_name"]
