"""Amaranth gateware: RNG, SNG, SC dot product, LIF neuron, dense layer and network core."""
