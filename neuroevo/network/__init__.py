"""Flat-genome feed-forward networks."""

from neuroevo.network.forward import ACTIVATIONS, BACKENDS, forward, sigmoid
from neuroevo.network.spec import ACTIVATION_CODES, Layer, NetworkSpec, as_spec

__all__ = ["ACTIVATIONS", "ACTIVATION_CODES", "BACKENDS", "Layer", "NetworkSpec", "as_spec",
           "forward", "sigmoid"]
