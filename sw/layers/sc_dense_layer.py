"""The documented SC layer: bipolar XNOR + popcount dot products feeding integer LIF neurons.

This is the path of the documentation's "Float vs SC inference comparison" snippet::

    layer = SCDenseLayer(n_neurons=128, x_inputs=sample.tolist(), weight_values=sc_w[0].tolist(),
                         x_min=0.0, x_max=1.0, w_min=0.0, w_max=1.0, length=2048, base_seed=42)
    layer.run(T=500)
    layer.summary()["avg_firing_rate_hz"]

Arithmetic (the contract of ``docs/sc-arithmetic.md``, polarity ``"bipolar"``):

* inputs and weights are min-max mapped to probabilities ``p = (v - v_min) / (v_max - v_min)``
  and quantised to k-bit codes (``quantize_probability``); the bipolar value of a stream is ``2p - 1``;
* every input lane shares the input source and every weight lane the weight source of layer 0
  (``source_values(config, 0, ROLE_INPUT | ROLE_WEIGHT, T*L)``); timestep ``t`` uses cycles
  ``t*L .. t*L+L-1``;
* per neuron and timestep the APC counts ``C = sum_i (2*popcount(xnor) - L)``, an estimate of
  ``L * sum_i x_b * w_b``;
* the current is the bipolar dot product ``I = C / L`` (``~= sum_i x_b * w_b``) in Q8.8 (one
  integer multiply and shift, :func:`~sc_neurocore.sc.contract.current_scale`), and a
  :class:`StochasticLIFNeuron` population integrates it.

``weight_values`` is one neuron's weights (shared by all neurons, as in the documentation) or an
``(n_neurons, n_inputs)`` matrix.
"""

from __future__ import annotations

import math

import numpy as np

from ..sc.contract import ROLE_INPUT, ROLE_WEIGHT, SCConfig, current_scale, quantize_probability
from ..sc.counting import LayerArith, counts_fast
from ..sc.fixed import lif_step, scale_count
from ..sc.sources import source_values

__all__ = ["StochasticLIFNeuron", "SCDenseLayer"]


class StochasticLIFNeuron:
    """A population of integer LIF neurons driven by (stochastic) Q8.8 currents.

    ``v = sat(((beta_q * v) >> 8) + I)``, ``spike = v > theta_q``, ``v -= spike * theta_q``
    (:func:`~sc_neurocore.sc.fixed.lif_step`); ``beta`` and ``threshold`` are quantised with the
    config's formats.

    Attributes
    ----------
    v : int64 (n,), membranes (Q8.8)
    beta_q : int, leak (unsigned Q0.8)
    threshold_q : int, threshold (Q8.8)
    """

    def __init__(self, n: int = 1, beta: float = 0.9, threshold: float = 1.0, config: SCConfig | None = None):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n must be a positive integer, not {n!r}")
        self.config = SCConfig() if config is None else config
        if not (isinstance(beta, (int, float)) and math.isfinite(beta) and 0.0 <= beta < 1.0):
            raise ValueError(f"beta must be in [0, 1), not {beta!r}")
        if not (isinstance(threshold, (int, float)) and math.isfinite(threshold) and threshold > 0):
            raise ValueError(f"threshold must be a positive number, not {threshold!r}")
        bfmt, fmt = self.config.beta_format, self.config.membrane
        self.beta_q = min(bfmt.from_float(beta), bfmt.max_int)
        self.threshold_q = fmt.from_float(threshold)
        if self.threshold_q < 1:
            raise ValueError(f"threshold {threshold} rounds to 0 in {fmt}")
        self.n = int(n)
        self.v = np.zeros(self.n, dtype=np.int64)

    def reset(self) -> None:
        self.v = np.zeros(self.n, dtype=np.int64)

    def step(self, current_q) -> np.ndarray:
        """One timestep with Q8.8 currents ``(n,)``; returns 0/1 spikes (int64)."""
        self.v, spikes = lif_step(self.v, np.broadcast_to(np.asarray(current_q), (self.n,)), self.beta_q,
                                  self.threshold_q, self.config.membrane, self.config.beta_format.frac_bits)
        return spikes


def _unit_interval(name: str, values, lo: float, hi: float) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if not (math.isfinite(lo) and math.isfinite(hi)) or not hi > lo:
        raise ValueError(f"{name}: need finite min < max, got min={lo!r}, max={hi!r}")
    if np.isnan(arr).any() or np.isinf(arr).any():
        raise ValueError(f"{name} contain NaN or inf")
    if arr.size and (arr.min() < lo or arr.max() > hi):
        raise ValueError(f"{name} must lie in [{lo}, {hi}]; got values in [{arr.min()}, {arr.max()}]")
    return (arr - lo) / (hi - lo)


class SCDenseLayer:
    """A dense layer of ``n_neurons`` stochastic LIF neurons on one input vector (see module docstring).

    Parameters are the documented ones; ``beta``, ``threshold``, ``dt_ms`` (simulated time per
    timestep, for firing rates in Hz) and ``config`` (``SCConfig``; ``length``, ``seed`` and
    ``polarity`` are taken from the arguments) are optional keywords.
    """

    def __init__(self, n_neurons, x_inputs, weight_values, x_min, x_max, w_min, w_max, length, base_seed, *,
                 beta: float = 0.9, threshold: float = 1.0, dt_ms: float = 1.0, config: SCConfig | None = None):
        if isinstance(n_neurons, bool) or not isinstance(n_neurons, (int, np.integer)) or n_neurons < 1:
            raise ValueError(f"n_neurons must be a positive integer, not {n_neurons!r}")
        if not (isinstance(dt_ms, (int, float)) and math.isfinite(dt_ms) and dt_ms > 0):
            raise ValueError(f"dt_ms must be a positive number, not {dt_ms!r}")
        base = SCConfig() if config is None else config
        self.config = base.replace(length=length, seed=base_seed, polarity="bipolar")
        px = _unit_interval("x_inputs", x_inputs, x_min, x_max)
        if px.ndim != 1 or px.size == 0:
            raise ValueError(f"x_inputs must be a non-empty 1-D sequence, got shape {px.shape}")
        pw = _unit_interval("weight_values", weight_values, w_min, w_max)
        n_inputs = px.size
        if pw.ndim == 1:
            if pw.size != n_inputs:
                raise ValueError(f"weight_values has {pw.size} entries for {n_inputs} inputs")
            pw = np.broadcast_to(pw, (n_neurons, n_inputs))
        elif pw.shape != (n_neurons, n_inputs):
            raise ValueError(f"weight_values must be ({n_inputs},) or ({n_neurons}, {n_inputs}), got {pw.shape}")
        k = self.config.prob_bits
        self.n_neurons, self.n_inputs = int(n_neurons), int(n_inputs)
        self.x_codes = quantize_probability(px, k).reshape(1, n_inputs)
        self.w_codes = np.ascontiguousarray(quantize_probability(pw, k)).reshape(n_neurons, n_inputs)
        mult, shift = current_scale(self.config.membrane.one / self.config.length,
                                    self.config.scale_bits)
        self.mult, self.shift = mult, shift
        self.neurons = StochasticLIFNeuron(n_neurons, beta, threshold, self.config)
        self.dt_ms = float(dt_ms)
        self._arith = LayerArith("xnor", self.w_codes, np.ones_like(self.w_codes), "prob", mult, shift,
                                 np.zeros(n_neurons, dtype=np.int64), self.neurons.beta_q, self.neurons.threshold_q)
        self.counts = self.currents = self.spikes = None

    def run(self, T: int) -> np.ndarray:
        """Simulate ``T`` timesteps from rest; returns spikes ``(T, n_neurons)`` (int64 0/1).

        Also keeps ``counts`` (APC counts) and ``currents`` (Q8.8), each ``(T, n_neurons)``.
        """
        if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < 1:
            raise ValueError(f"T must be a positive integer, not {T!r}")
        cfg, L = self.config, self.config.length
        rin = source_values(cfg, 0, ROLE_INPUT, T * L).astype(np.int64).reshape(T, L)
        rw = source_values(cfg, 0, ROLE_WEIGHT, T * L).astype(np.int64).reshape(T, L)
        self.counts = counts_fast(self.x_codes, self._arith, rin, rw, cfg.prob_bits)[:, 0, :]
        self.currents = scale_count(self.counts, self.mult, self.shift, 0, cfg.membrane)
        self.neurons.reset()
        self.spikes = np.stack([self.neurons.step(self.currents[t]) for t in range(T)])
        return self.spikes

    def summary(self) -> dict:
        """Firing statistics of the last :meth:`run` (``avg_firing_rate_hz`` uses ``dt_ms`` per step)."""
        if self.spikes is None:
            raise RuntimeError("call run(T) before summary()")
        T = self.spikes.shape[0]
        rates = self.spikes.sum(axis=0) / (T * self.dt_ms * 1e-3)
        return {
            "n_neurons": self.n_neurons,
            "n_inputs": self.n_inputs,
            "length": self.config.length,
            "T": T,
            "dt_ms": self.dt_ms,
            "total_spikes": int(self.spikes.sum()),
            "avg_firing_rate_hz": float(rates.mean()),
            "firing_rates_hz": rates.tolist(),
            "mean_current": float(self.config.membrane.to_float(self.currents).mean()),
        }
