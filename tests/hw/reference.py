"""An independent plain-Python reference of the network timing contract (docs/interfaces.md).

Used next to ``SCNetwork.run_codes`` so that a gateware test cannot pass by sharing a bug
with one model: it recomputes every bit from ``source_values`` with explicit loops.
"""

from __future__ import annotations

import numpy as np
from sc_neurocore.export import QuantizedNet
from sc_neurocore.sc.contract import ROLE_INPUT, ROLE_WEIGHT
from sc_neurocore.sc.fixed import lif_step, scale_count
from sc_neurocore.sc.sources import source_values


def reference_run(qnet: QuantizedNet, xq, T: int) -> dict:
    """Per layer ``(T, n_l)`` arrays of counts, currents, membranes, spikes (and ``i_syn``) for one image.

    A Synaptic layer's current is written out here (``i = sat(((alpha_q i) >> 8) + I)``, then the LIF
    step on ``i``), not taken from ``sc.fixed.synaptic_step``."""
    cfg, L = qnet.config, qnet.config.length
    xq = np.asarray(xq, dtype=np.int64)
    out = {k: [] for k in ("sc_counts", "currents", "membranes", "spikes", "i_syn", "a")}
    v = [np.zeros(layer.n_out, np.int64) for layer in qnet.layers]
    syn = [np.zeros(layer.n_out, np.int64) for layer in qnet.layers]
    adapt = [np.zeros(layer.n_out, np.int64) for layer in qnet.layers]
    fmt = cfg.membrane
    for layer in qnet.layers:
        for k in out:
            out[k].append(np.zeros((T, layer.n_out), np.int64))
    for t in range(T):
        prev = None
        for li, layer in enumerate(qnet.layers):
            rw = source_values(cfg, li, ROLE_WEIGHT, T * L).astype(np.int64)[t * L:(t + 1) * L]
            wbits = rw[None, None, :] < np.abs(layer.weight_q)[:, :, None]  # (n_out, n_in, L)
            if layer.input_kind == "prob":
                rin = source_values(cfg, li, ROLE_INPUT, T * L).astype(np.int64)[t * L:(t + 1) * L]
                xbits = rin[None, :] < xq[:, None]  # (n_in, L)
            else:
                spk = (xq >> t) & 1 if li == 0 else prev  # a spike-input net's layer 0: bit t of the spike word
                xbits = np.repeat(spk[:, None].astype(bool), L, axis=1)
            prod = (wbits & xbits[None]).sum(axis=2) * np.where(layer.weight_q < 0, -1, 1)
            c = prod.sum(axis=1)
            cur = scale_count(c, layer.scale_mult, layer.scale_shift, layer.bias_q, cfg.membrane)
            drive = cur
            if layer.neuron == "synaptic":
                alpha_q = int(layer.neuron_params["alpha_q"])
                syn[li] = np.clip((alpha_q * syn[li]) // (1 << cfg.beta_format.frac_bits) + cur, fmt.min_int,
                                  fmt.max_int)
                drive = syn[li]
            if layer.neuron == "alif":  # the threshold of the adaptation before the step, reset by it
                p, bb = layer.neuron_params, cfg.beta_format.frac_bits
                th = np.clip(int(layer.threshold_q) + (p["adapt_strength_q"] * adapt[li]) // fmt.one, fmt.min_int,
                             fmt.max_int)
                vv = np.clip((int(layer.beta_q) * v[li]) // (1 << bb) + cur, fmt.min_int, fmt.max_int)
                s = (vv > th).astype(np.int64)
                v[li] = vv - s * th
                adapt[li] = np.clip(np.clip((p["adapt_decay_q"] * adapt[li]) // (1 << bb), fmt.min_int, fmt.max_int)
                                    + s * fmt.one, fmt.min_int, fmt.max_int)
            else:
                v[li], s = lif_step(v[li], drive, int(layer.beta_q), int(layer.threshold_q), cfg.membrane,
                                    cfg.beta_format.frac_bits, reset=layer.reset, reset_q=layer.reset_q)
            for k, val in zip(out, (c, cur, v[li], s, syn[li], adapt[li])):
                out[k][li][t] = val
            prev = s
    return out


def random_qnet(sizes, config, seed=0, *, bias=0.3, threshold=0.5, beta=0.85, **neurons):
    """A random QuantizedNet with enough drive that hidden neurons spike (``neurons``: ``neurons=``,
    ``neuron_params=``, ``resets=`` of :meth:`QuantizedNet.from_float`)."""
    g = np.random.default_rng(seed)
    ws = [g.normal(0.2, 1.0, (b, a)) / np.sqrt(a) * 2 for a, b in zip(sizes[:-1], sizes[1:])]
    for w in ws:
        w[0, 0] = 0.0
    bs = [g.normal(0, bias, b) for b in sizes[1:]]
    return QuantizedNet.from_float(ws, bs, [beta] * len(ws), [threshold] * len(ws), config, **neurons)
