"""Stochastic-computing layers with the documented API (sc_dense_layer.SCDenseLayer)."""
