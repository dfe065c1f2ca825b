"""Stochastic-computing layers with the documented API (``sc_dense_layer.SCDenseLayer``)."""

from .sc_dense_layer import SCDenseLayer, StochasticLIFNeuron

__all__ = ["SCDenseLayer", "StochasticLIFNeuron"]
