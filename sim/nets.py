"""Random networks and inputs for the equivalence tests (no torch needed)."""

from __future__ import annotations

import numpy as np

from ..export import QuantizedNet
from ..sc.contract import SCConfig
from ..sc.geometry import ConvGeometry

__all__ = ["random_qnet", "random_conv_qnet", "random_codes"]


def random_qnet(sizes, config: SCConfig | None = None, *, seed: int = 0, beta=None, threshold=None,
                bias_scale: float = 0.3, neuron: str = "lif", alpha=None, reset: str = "subtract",
                recurrent: bool = False) -> QuantizedNet:
    """A ``QuantizedNet`` with normal weights (``sizes = (n_input, n_1, ..., n_out)``).

    Weights ~ N(0, 1/sqrt(n_in)) scaled up so the layers fire; biases ~ N(0, bias_scale); betas
    in [0.5, 0.95] and thresholds in [0.5, 1.5] unless given.  ``neuron`` (every layer's model,
    ``"lif"``, ``"synaptic"`` (its ``alpha`` in [0.5, 0.95] unless given), ``"alif"`` (``adapt_decay`` in
    [0.8, 0.98], ``adapt_strength`` in [0.1, 1.0]), ``"alpha"`` (``alpha_exc`` in [0.6, 0.95], ``alpha_inh`` in
    [0.4, 0.9]), ``"second_order"`` (``alpha`` in [0.5, 0.9], ``stiffness`` in [0.05, 0.5]), ``"expif"`` (one
    threshold for the net, the first layer's; ``v_rheobase`` in [0.5, 0.9] of it, ``delta_t`` in [0.0625, 0.3]) or
    ``"adex"`` (ExpIF's, and per layer ``adapt_decay`` in [0.7, 0.95], ``a`` in [-0.5, 1], ``b`` in [0, 0.5])) and
    ``reset`` (one of the float models' resets) go to :meth:`QuantizedNet.from_float`.  ``recurrent``: every hidden
    layer gets a ``W_rec`` ~ N(0, 2/sqrt(n)) (a RecurrentLIF net; drawn last, so the rest stays the seed's).
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
    if neuron == "alpha":
        params = [{"alpha_exc": float(rng.uniform(0.6, 0.95)), "alpha_inh": float(rng.uniform(0.4, 0.9))} for _ in ws]
    if neuron == "second_order":
        params = [{"alpha": float(rng.uniform(0.5, 0.9)), "stiffness": float(rng.uniform(0.05, 0.5))} for _ in ws]
    if neuron in ("expif", "adex"):  # one exp table per net: the net shares its threshold, v_rheobase and delta_t
        thetas = [thetas[0]] * len(ws)
        shared = {"v_rheobase": thetas[0] * float(rng.uniform(0.5, 0.9)), "delta_t": float(rng.uniform(0.0625, 0.3))}
        params = [shared] * len(ws)
    if neuron == "adex":
        params = [{**shared, "adapt_decay": float(rng.uniform(0.7, 0.95)), "a": float(rng.uniform(-0.5, 1.0)),
                   "b": float(rng.uniform(0.0, 0.5))} for _ in ws]
    rec = ([rng.normal(0.0, 2.0 / np.sqrt(n), size=(n, n)) for n in sizes[1:-1]] + [None]) if recurrent else None
    return QuantizedNet.from_float(ws, bs, betas, thetas, config or SCConfig(), resets=reset, neurons=neuron,
                                   neuron_params=params, recurrent=rec)


def random_conv_qnet(seed, config: SCConfig | None = None, *, in_shape=(1, 6, 6), channels=(3,), k=3,
                     pad=1, pool=2, n_out: int = 4, dense=(), beta=None, theta=(0.3, 0.6),
                     input_kind: str = "prob") -> QuantizedNet:
    """A conv net with N(0, 1) weights: conv blocks (``channels``, a ``k x k`` kernel, ``pad``, ``pool``: each one int
    for every block or a tuple of one per block), dense hidden layers ``dense``, a dense readout of ``n_out``.  Biases
    ~ N(0, 0.2); ``beta`` one number, or ``None`` (each in [0.5, 0.95]); ``theta`` one number or a ``(lo, hi)`` range
    (low, so that every layer fires).  ``seed``: an int or a ``numpy.random.Generator``."""
    rng = np.random.default_rng(seed)
    c, h, w = in_shape
    weights, convs = [], []
    per_block = [tuple(x) if isinstance(x, (tuple, list)) else (x,) * len(channels) for x in (k, pad, pool)]
    if any(len(x) != len(channels) for x in per_block):
        raise ValueError(f"k, pad and pool take one value or one per conv block ({len(channels)}), not {k, pad, pool}")
    for oc, kb, pb, qb in zip(channels, *per_block):
        g = ConvGeometry(c, h, w, kb, pb, qb)
        convs.append(g)
        weights.append(rng.normal(size=(oc, c * kb * kb)))
        c, h, w = oc, g.pooled_height, g.pooled_width
    n_prev = c * h * w
    for n in (*dense, n_out):
        weights.append(rng.normal(size=(n, n_prev)))
        convs.append(None)
        n_prev = n
    biases = [rng.normal(size=x.shape[0]) * 0.2 for x in weights]
    betas = [float(rng.uniform(0.5, 0.95)) if beta is None else float(beta) for _ in weights]
    thetas = [float(rng.uniform(*theta)) if isinstance(theta, tuple) else float(theta) for _ in weights]
    return QuantizedNet.from_float(weights, biases, betas, thetas, config or SCConfig(), convs=convs,
                                   input_kind=input_kind)


def random_codes(n_images: int, n_input: int, prob_bits: int = 8, *, seed: int = 0) -> np.ndarray:
    """Random k-bit input codes, with some exact 0 and full-scale entries."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 1 << prob_bits, size=(n_images, n_input))
    edge = rng.random(codes.shape)
    codes[edge < 0.1] = 0
    codes[edge > 0.9] = (1 << prob_bits) - 1
    return codes.astype(np.int64)
