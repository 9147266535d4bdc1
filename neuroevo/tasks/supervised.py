"""The supervised tasks: ``xor`` and ``sin`` (function fitting)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from neuroevo._checks import check_float, check_int
from neuroevo.network.spec import NetworkSpec
from neuroevo.simulators.supervised import XOR, FunctionFit
from neuroevo.tasks.base import Selection, StopRule, TargetRule, Task
from neuroevo.tasks.registry import register_task


@dataclass(frozen=True)
class XORTask(Task):
    """The four XOR cases; solved when every output is on the right side of 0.5."""

    target: float = -0.01     # stop when the best fitness (minus the mean squared error) reaches this

    name: ClassVar[str] = "xor"
    description: ClassVar[str] = "learn XOR (solved: all four cases on the right side of 0.5)"
    # 2-2-1 can solve XOR but has local optima the GA gets stuck in (32 of 40 seeds solved);
    # one more hidden unit removes them (40 of 40, median 40 generations)
    default_layers: ClassVar[tuple[int, ...]] = (2, 3, 1)
    default_activation: ClassVar[str] = "sigmoid"
    default_strategy: ClassVar[str] = "rank_ga"
    default_generations: ClassVar[int] = 300
    strategy_defaults: ClassVar[dict[str, dict]] = {"rank_ga": {"population_size": 50, "rate": 0.5}}

    def __post_init__(self) -> None:
        check_float("target", self.target, maximum=0.0, owner="xor")

    def simulator(self) -> XOR:
        return XOR()

    def max_fitness(self) -> float:
        return 0.0

    def stop_rule(self) -> StopRule:
        return TargetRule(self.target, f"mean squared error below {-self.target:g}")

    def held_out(self, selection: Selection, network: NetworkSpec) -> dict[str, Any]:
        sim = XOR()
        out = sim.predict(selection.best[None], network)[0, :, 0]
        return {"solved": bool(sim.solved(selection.best[None], network)[0]),
                "mse": float(np.mean((out - sim.targets[:, 0]) ** 2)),
                "outputs": [round(float(v), 4) for v in out]}

    def report(self, summary: dict[str, Any]) -> list[str]:
        cases = ", ".join(f"{a}{b} -> {v:.3f}" for (a, b), v in zip([(0, 0), (0, 1), (1, 0), (1, 1)],
                                                                    summary["outputs"]))
        return [f"  best genome   {'solves' if summary['solved'] else 'does not solve'} XOR "
                f"(mean squared error {summary['mse']:.3g})",
                f"  outputs       {cases}"]

    def plots(self, selection: Selection, network: NetworkSpec, summary: dict[str, Any], folder: Path) -> None:
        from neuroevo.plots import plot_surface
        plot_surface(selection.best, network, folder / "xor_surface.png",
                     title="best genome: output over the input square")


@dataclass(frozen=True)
class SinTask(Task):
    """Fit sin(x) on evenly spaced points of [-pi, pi]; held out: the points half way between them."""

    points: int = 32          # training points, evenly spaced on [-pi, pi] (end points included)
    target_mse: float = 1e-4  # stop when the training mean squared error falls below this

    name: ClassVar[str] = "sin"
    description: ClassVar[str] = "fit sin(x) on [-pi, pi]; held out: the points between the training points"
    default_layers: ClassVar[tuple[int, ...]] = (1, 8, 1)
    default_activation: ClassVar[str] = "tanh,identity"
    default_strategy: ClassVar[str] = "cmaes"
    default_generations: ClassVar[int] = 1500
    strategy_defaults: ClassVar[dict[str, dict]] = {"cmaes": {"sigma0": 0.5}}

    def __post_init__(self) -> None:
        check_int("points", self.points, minimum=2, maximum=100_000, owner="sin")
        check_float("target_mse", self.target_mse, positive=True, owner="sin")

    def simulator(self) -> FunctionFit:
        return FunctionFit(np.sin, -np.pi, np.pi, self.points)

    def held_out_points(self) -> np.ndarray:
        x = np.linspace(-np.pi, np.pi, self.points)
        return (x[:-1] + x[1:]) / 2

    def max_fitness(self) -> float:
        return 0.0

    def stop_rule(self) -> StopRule:
        return TargetRule(-self.target_mse, f"training mean squared error below {self.target_mse:g}")

    def held_out(self, selection: Selection, network: NetworkSpec) -> dict[str, Any]:
        x = self.held_out_points()
        pred = network.forward(selection.best[None], x[None, :, None])[0, :, 0]
        train = self.simulator()
        return {"train_mse": float(-train.evaluate(selection.best[None], network)[0]),
                "held_out_mse": float(np.mean((pred - np.sin(x)) ** 2)),
                "held_out_points": int(x.size)}

    def report(self, summary: dict[str, Any]) -> list[str]:
        return [f"  best genome   mean squared error {summary['train_mse']:.3g} on the {self.points} training "
                f"points, {summary['held_out_mse']:.3g} on the {summary['held_out_points']} held-out points"]

    def plots(self, selection: Selection, network: NetworkSpec, summary: dict[str, Any], folder: Path) -> None:
        from neuroevo.plots import plot_fit
        x = np.linspace(-np.pi, np.pi, self.points)
        plot_fit(selection.best, network, np.sin, x, self.held_out_points(), folder / "fit.png",
                 title=f"best genome: held-out MSE {summary['held_out_mse']:.2g}")


register_task(XORTask)
register_task(SinTask)
