"""Network spec: a list of layer sizes -> the layout of a flat genome.

A genome is a flat float64 vector. For each layer ``a -> b`` it holds the ``a*b``
weights (row-major ``(a, b)``: weight ``[i, o]`` links input ``i`` to output ``o``)
followed by the ``b`` biases. ``[7, 8, 4, 1]`` therefore has
``7*8+8 + 8*4+4 + 4*1+1 = 105`` parameters.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from neuroevo._checks import check_choice, check_int

#: Activation names -> the integer codes the kernels switch on.
ACTIVATION_CODES: dict[str, int] = {"identity": 0, "sigmoid": 1, "tanh": 2, "relu": 3}


@dataclass(frozen=True)
class Layer:
    """One dense layer inside a flat genome."""

    n_in: int
    n_out: int
    w: slice        # columns of the genome holding the (n_in, n_out) weights, row-major
    b: slice        # columns holding the n_out biases
    act: str        # activation name, a key of ACTIVATION_CODES


class NetworkSpec:
    """Layout of a feed-forward network whose parameters live in a flat genome.

    Args:
        layers: layer sizes, input first, output last, e.g. ``[7, 8, 4, 1]``.
        activation: one activation name for every layer, or one name per layer
            (``len(layers) - 1`` names). Names: identity, sigmoid, tanh, relu.

    Attributes:
        num_params: genome length ``D``.
        layout: int64 ``(L, 4)`` array, per layer ``[w_start, b_start, n_in, n_out]``;
            what the kernels read.
        act_codes: int64 ``(L,)`` activation codes.
        max_width: widest layer (input included), the scratch size a kernel needs.
        kernel_layers: per layer ``(w_start, b_start, n_out, activation)``, what
            :func:`neuroevo.network.forward.forward_blocks` reads.
        max_output_width: widest layer output (the input excluded).
        macs_per_case: multiply-adds of one forward pass, ``sum(n_in * n_out)``.
        activations_per_case: activated values of one forward pass, ``sum(n_out)``.
    """

    def __init__(self, layers: Sequence[int], activation: str | Sequence[str] = "sigmoid"):
        if isinstance(layers, (str, bytes)) or not isinstance(layers, Sequence | np.ndarray):
            raise TypeError(f"layers must be a list of layer sizes such as [7, 8, 4, 1]; got {layers!r}")
        sizes = [check_int(f"layers[{i}]", s, minimum=1, owner="NetworkSpec") for i, s in enumerate(layers)]
        if len(sizes) < 2:
            raise ValueError(f"NetworkSpec: layers needs at least 2 sizes (inputs and outputs), "
                             f"such as [7, 8, 4, 1]; got {list(layers)!r}")
        n_layers = len(sizes) - 1
        if isinstance(activation, str):
            acts = [activation] * n_layers
        else:
            acts = list(activation)
            if len(acts) != n_layers:
                raise ValueError(f"NetworkSpec: activation must be one name or {n_layers} names "
                                 f"(one per layer of {sizes}); got {len(acts)} names")
        for a in acts:
            check_choice("activation", a, ACTIVATION_CODES, owner="NetworkSpec")

        built, rows, start = [], [], 0
        for (a, b), act in zip(zip(sizes[:-1], sizes[1:]), acts):
            w = slice(start, start + a * b)
            bias = slice(w.stop, w.stop + b)
            built.append(Layer(a, b, w, bias, act))
            rows.append([w.start, bias.start, a, b])
            start = bias.stop
        self.sizes: tuple[int, ...] = tuple(sizes)
        self.activations: tuple[str, ...] = tuple(acts)
        self.layers: tuple[Layer, ...] = tuple(built)
        self.num_params: int = start
        self.layout = np.array(rows, dtype=np.int64)
        self.layout.setflags(write=False)
        self.act_codes = np.array([ACTIVATION_CODES[a] for a in acts], dtype=np.int64)
        self.act_codes.setflags(write=False)
        self.max_width: int = max(sizes)
        # what the blocked forward pass reads on every call, computed once:
        # per layer (w_start, b_start, n_out, activation), the widest layer output, and the
        # multiply-adds and activated values of one case
        self.kernel_layers: tuple[tuple[int, int, int, str], ...] = tuple(
            (layer.w.start, layer.b.start, layer.n_out, layer.act) for layer in built)
        self.max_output_width: int = max(sizes[1:])
        self.macs_per_case: int = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
        self.activations_per_case: int = sum(sizes[1:])

    @property
    def num_inputs(self) -> int:
        return self.sizes[0]

    @property
    def num_outputs(self) -> int:
        return self.sizes[-1]

    def to_dict(self) -> dict:
        """A JSON-ready description; ``NetworkSpec.from_dict`` inverts it."""
        return {"layers": list(self.sizes), "activation": list(self.activations)}

    @classmethod
    def from_dict(cls, d: dict) -> NetworkSpec:
        return cls(d["layers"], d["activation"])

    def __eq__(self, other) -> bool:
        return (isinstance(other, NetworkSpec) and self.sizes == other.sizes
                and self.activations == other.activations)

    def __hash__(self) -> int:
        return hash((self.sizes, self.activations))

    def __repr__(self) -> str:
        acts = self.activations[0] if len(set(self.activations)) == 1 else list(self.activations)
        return f"NetworkSpec({list(self.sizes)}, activation={acts!r})"

    def forward(self, genomes, x, backend: str = "numpy", threads: int | None = None) -> np.ndarray:
        """Shorthand for :func:`neuroevo.network.forward`."""
        from neuroevo.network.forward import forward
        return forward(genomes, self, x, backend=backend, threads=threads)


def as_spec(network) -> NetworkSpec:
    """Accept a NetworkSpec or a layer list and return a NetworkSpec.

    A list of ints is built into a spec once and reused (simulators are called with the same
    list every generation; building the layout costs tens of microseconds).
    """
    if isinstance(network, NetworkSpec):
        return network
    if isinstance(network, (list, tuple)) and all(type(n) is int for n in network):
        return _spec_of(tuple(network))
    return NetworkSpec(network)


@functools.lru_cache(maxsize=64)
def _spec_of(sizes: tuple[int, ...]) -> NetworkSpec:
    return NetworkSpec(list(sizes))
