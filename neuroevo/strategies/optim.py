"""Gradient-ascent optimizers for the centre of a search distribution: Adam, ClipUp, SGD.

Each optimizer is a pure function on arrays: it takes the estimated fitness gradient (the
*ascent* direction, since higher fitness is better) and the optimizer's moments, and returns the
update to **add** to the parameters together with new moment arrays. Nothing is modified in place,
so the moments can live in a strategy's immutable State and a resumed run continues exactly.

- Adam: Kingma & Ba (2015), "Adam: A Method for Stochastic Optimization", Algorithm 1.
- ClipUp: Toklu, Liskowski & Srivastava (2020), "ClipUp: A Simple and Powerful Optimizer for
  Distribution-based Policy Evolution", Algorithm 1: normalised gradient, heavy-ball momentum,
  velocity norm clipped to ``max_speed`` (default ``2 * lr``, the paper's recommendation).
- SGD: heavy-ball momentum (Polyak 1964); ``momentum = 0`` is plain gradient ascent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neuroevo._checks import check_choice, check_float

#: Optimizer names accepted by the configs that use one.
OPTIMIZERS = ("adam", "clipup", "sgd")

#: Adam's denominator offset (Kingma & Ba 2015 use 1e-8).
ADAM_EPS = 1e-8


def adam(grad: np.ndarray, m: np.ndarray, v: np.ndarray, step: int, *, lr: float,
         beta1: float = 0.9, beta2: float = 0.999, eps: float = ADAM_EPS,
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One Adam step (Kingma & Ba 2015, Algorithm 1), as ascent.

    Args:
        grad: float64 ``(D,)`` gradient of the fitness (direction of improvement).
        m: float64 ``(D,)`` first-moment estimate from the previous step (zeros at first).
        v: float64 ``(D,)`` second-moment estimate from the previous step (zeros at first).
        step: 1-based index of this step (``t`` in the paper), used for the bias correction.
        lr: step size ``alpha``.
        beta1: decay of the first moment.
        beta2: decay of the second moment.
        eps: denominator offset.

    Returns:
        ``(update, m, v)``: float64 ``(D,)`` update to add to the parameters and the new moments.
    """
    m = beta1 * m + (1.0 - beta1) * grad                 # m_t = b1 m_{t-1} + (1 - b1) g_t
    v = beta2 * v + (1.0 - beta2) * grad * grad          # v_t = b2 v_{t-1} + (1 - b2) g_t^2
    m_hat = m / (1.0 - beta1 ** step)                    # bias-corrected moments
    v_hat = v / (1.0 - beta2 ** step)
    return lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def clipup(grad: np.ndarray, velocity: np.ndarray, *, lr: float, max_speed: float,
           momentum: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
    """One ClipUp step (Toklu et al. 2020, Algorithm 1), as ascent.

    The gradient is normalised to unit length, so ``lr`` is the distance a single step would
    travel; momentum accumulates it and the velocity's norm is clipped to ``max_speed``.

    Args:
        grad: float64 ``(D,)`` fitness gradient. A zero gradient adds nothing (momentum carries on).
        velocity: float64 ``(D,)`` velocity from the previous step (zeros at first).
        lr: step size (length of the normalised gradient step).
        max_speed: largest allowed norm of the velocity.
        momentum: velocity decay per step.

    Returns:
        ``(update, velocity)``: the update to add to the parameters and the new velocity, which are
        equal (two separate float64 ``(D,)`` arrays).
    """
    norm = float(np.linalg.norm(grad))
    direction = grad / norm if norm > 0 else np.zeros_like(grad)
    velocity = momentum * velocity + lr * direction      # v <- m v + alpha g / ||g||
    speed = float(np.linalg.norm(velocity))
    if speed > max_speed:                                # clip ||v|| to max_speed
        velocity = velocity * (max_speed / speed)
    return velocity.copy(), velocity


def sgd(grad: np.ndarray, velocity: np.ndarray, *, lr: float, momentum: float = 0.9,
        ) -> tuple[np.ndarray, np.ndarray]:
    """One step of gradient ascent with heavy-ball momentum.

    Args:
        grad: float64 ``(D,)`` fitness gradient.
        velocity: float64 ``(D,)`` velocity from the previous step (zeros at first).
        lr: step size.
        momentum: velocity decay per step; 0 gives plain gradient ascent.

    Returns:
        ``(update, velocity)``: the update to add and the new velocity (equal, separate arrays).
    """
    velocity = momentum * velocity + lr * grad           # v <- m v + lr g
    return velocity.copy(), velocity


def check_optimizer_settings(*, optimizer: str, lr: float, momentum: float, max_speed: float | None,
                             beta1: float, beta2: float, owner: str, lr_name: str = "lr") -> None:
    """Validate the optimizer fields of a strategy config; raise TypeError/ValueError on bad values."""
    check_choice("optimizer", optimizer, OPTIMIZERS, owner=owner)
    check_float(lr_name, lr, positive=True, owner=owner)
    _check_unit_interval("momentum", momentum, owner)
    _check_unit_interval("beta1", beta1, owner)
    _check_unit_interval("beta2", beta2, owner)
    if max_speed is not None:
        check_float("max_speed", max_speed, positive=True, owner=owner)


def _check_unit_interval(name: str, value, owner: str) -> None:
    value = check_float(name, value, minimum=0.0, owner=owner)
    if value >= 1.0:
        raise ValueError(f"{owner}: {name} must be in [0, 1) (a decay factor); got {value}")


@dataclass(frozen=True)
class Optimizer:
    """An optimizer chosen by name, with its settings resolved once by a strategy's ``__init__``.

    The moments live in the strategy's State as ``m`` (Adam's first moment, or the velocity of
    ClipUp and SGD) and ``v`` (Adam's second moment; ``None`` for the others).

    Args:
        name: one of :data:`OPTIMIZERS`.
        lr: step size.
        momentum: velocity decay (ClipUp, SGD).
        max_speed: ClipUp's velocity cap; None means ``2 * lr`` (Toklu et al. 2020, Sec. 3).
        beta1: Adam's first-moment decay.
        beta2: Adam's second-moment decay.
    """

    name: str
    lr: float
    momentum: float = 0.9
    max_speed: float | None = None
    beta1: float = 0.9
    beta2: float = 0.999

    def __post_init__(self) -> None:
        check_optimizer_settings(optimizer=self.name, lr=self.lr, momentum=self.momentum,
                                 max_speed=self.max_speed, beta1=self.beta1, beta2=self.beta2,
                                 owner="Optimizer")
        if self.max_speed is None:
            object.__setattr__(self, "max_speed", 2.0 * self.lr)

    def init_moments(self, num_params: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Zero moments: ``(m, v)`` with ``m`` float64 ``(D,)`` and ``v`` ``(D,)`` for Adam, else None."""
        return np.zeros(num_params), (np.zeros(num_params) if self.name == "adam" else None)

    def step(self, grad: np.ndarray, m: np.ndarray, v: np.ndarray | None, step: int,
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """One ascent step.

        Args:
            grad: float64 ``(D,)`` fitness gradient.
            m: float64 ``(D,)`` first moment / velocity.
            v: float64 ``(D,)`` Adam second moment, or None for ClipUp and SGD.
            step: 1-based index of this step (Adam's bias correction).

        Returns:
            ``(update, m, v)``: the float64 ``(D,)`` update to add, and the new moments.
        """
        if self.name == "adam":
            return adam(grad, m, v, step, lr=self.lr, beta1=self.beta1, beta2=self.beta2)
        if self.name == "clipup":
            update, m = clipup(grad, m, lr=self.lr, max_speed=self.max_speed, momentum=self.momentum)
        else:
            update, m = sgd(grad, m, lr=self.lr, momentum=self.momentum)
        return update, m, None
