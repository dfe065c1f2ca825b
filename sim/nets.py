"""Random networks and inputs for the equivalence tests (no torch needed)."""

from __future__ import annotations

import numpy as np

from ..export import QuantizedNet
from ..sc.contract import SCConfig

__all__ = ["random_qnet", "random_codes"]


def random_qnet(sizes, config: SCConfig | None = None, *, seed: int = 0, beta=None, threshold=None,
                bias_scale: float = 0.3, neuron: str = "lif", alpha=None, reset: str = "subtract") -> QuantizedNet:
    """A ``QuantizedNet`` with normal weights (``sizes = (n_input, n_1, ..., n_out)``).

    Weights ~ N(0, 1/sqrt(n_in)) scaled up so the layers fire; biases ~ N(0, bias_scale); betas
    in [0.5, 0.95] and thresholds in [0.5, 1.5] unless given.  ``neuron`` (every layer's model,
    ``"lif"``, ``"synaptic"`` (its ``alpha`` in [0.5, 0.95] unless given) or ``"alif"`` (``adapt_decay`` in
    [0.8, 0.98], ``adapt_strength`` in [0.1, 1.0])) and ``reset`` (one of the float models' resets) go to
    :meth:`QuantizedNet.from_float`.
    """
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"sizes must be at least (n_input, n_output), all >= 1, not {sizes!r}")
    rng = np.random.default_rng(seed)
    ws, bs, betas, thetas = [], [], [], []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        ws.append(rng.normal(0.0, 3.0 / np.sqrt(n_in), size=(n_out, n_in)))
        bs.append(rng.normal(0.0, bias_scale, size=n_out))
        betas.append(float(rng.uniform(0.5, 0.95)) if beta is None else float(beta))
        thetas.append(float(rng.uniform(0.5, 1.5)) if threshold is None else float(threshold))
    params = None
    if neuron == "synaptic":  # drawn after the others: a LIF net of a seed keeps its integers
        params = [{"alpha": float(rng.uniform(0.5, 0.95)) if alpha is None else float(alpha)} for _ in ws]
    if neuron == "alif":
        params = [{"adapt_decay": float(rng.uniform(0.8, 0.98)), "adapt_strength": float(rng.uniform(0.1, 1.0))}
                  for _ in ws]
    return QuantizedNet.from_float(ws, bs, betas, thetas, config or SCConfig(), resets=reset, neurons=neuron,
                                   neuron_params=params)


def random_codes(n_images: int, n_input: int, prob_bits: int = 8, *, seed: int = 0) -> np.ndarray:
    """Random k-bit input codes, with some exact 0 and full-scale entries."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 1 << prob_bits, size=(n_images, n_input))
    edge = rng.random(codes.shape)
    codes[edge < 0.1] = 0
    codes[edge > 0.9] = (1 << prob_bits) - 1
    return codes.astype(np.int64)
