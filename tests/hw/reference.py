"""An independent plain-Python reference of the network timing contract (docs/interfaces.md).

Used next to ``SCNetwork.run_codes`` so that a gateware test cannot pass by sharing a bug
with one model: it recomputes every bit from ``source_values`` with explicit loops.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from sc_neurocore.export import QuantizedNet
from sc_neurocore.sc.contract import ROLE_INPUT, ROLE_WEIGHT
from sc_neurocore.sc.fixed import lif_step, scale_count
from sc_neurocore.sc.sources import source_values


def reference_run(qnet: QuantizedNet, xq, T: int) -> dict:
    """Per layer ``(T, n_l)`` arrays of counts, currents, membranes, spikes (a recurrent layer's counts with its own
    spikes of the timestep before) (and each other state of the contract's models: ``i_syn``, ``a`` (ALIF's adaptation, the second-order LIF's inertial term), ``i_exc``, ``i_inh``) for one
    image.

    The models' steps beyond the LIF are written out here (:func:`neuron_reference`), not taken from ``sc.fixed``."""
    cfg, L = qnet.config, qnet.config.length
    xq = np.asarray(xq, dtype=np.int64)
    names = ("i_syn", "a", "i_exc", "i_inh", "w")
    out = {k: [] for k in ("sc_counts", "currents", "membranes", "spikes", *names)}
    st = [{k: np.zeros(layer.n_out, np.int64) for k in (*names, "v")} for layer in qnet.layers]
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
            if layer.recurrent_q is not None:  # the layer's own spikes of t - 1, each a stream of L ones
                own = out["spikes"][li][t - 1] if t > 0 else np.zeros(layer.n_out, np.int64)
                rbits = rw[None, None, :] < np.abs(layer.recurrent_q)[:, :, None]  # (n_out, n_out, L)
                rprod = (rbits & own.astype(bool)[None, :, None]).sum(axis=2) * np.where(layer.recurrent_q < 0, -1, 1)
                c = c + rprod.sum(axis=1)
            cur = scale_count(c, layer.scale_mult, layer.scale_shift, layer.bias_q, cfg.membrane)
            s, new = neuron_reference(layer, st[li], cur, cfg)
            st[li].update(new)
            for k, val in zip(("sc_counts", "currents", "membranes", "spikes"), (c, cur, st[li]["v"], s)):
                out[k][li][t] = val
            for k in names:
                out[k][li][t] = st[li][k]
            prev = s
    return out


def neuron_reference(layer, state: dict, cur, cfg) -> tuple:
    """One step of ``layer``'s neuron model over arrays: ``(spikes, {state: new values})``; the LIF step of the
    membrane is ``sc.fixed.lif_step``, what feeds it and ALIF's threshold are written out here."""
    fmt, bb = cfg.membrane, cfg.beta_format.frac_bits
    lo, hi = fmt.min_int, fmt.max_int
    p = layer.neuron_params
    new = {}
    drive = cur
    if layer.neuron == "synaptic":
        new["i_syn"] = drive = np.clip((p["alpha_q"] * state["i_syn"]) // (1 << bb) + cur, lo, hi)
    if layer.neuron == "alpha":  # the positive part of the current excites, the negative part inhibits
        new["i_exc"] = np.clip((p["alpha_exc_q"] * state["i_exc"]) // (1 << bb) + np.maximum(cur, 0), lo, hi)
        new["i_inh"] = np.clip((p["alpha_inh_q"] * state["i_inh"]) // (1 << bb) + np.maximum(-cur, 0), lo, hi)
        drive = new["i_exc"] - new["i_inh"]
    if layer.neuron == "second_order":  # alpha a + I - stiffness v_before, exact, then one floor (to 2**-frac)
        f = fmt.frac_bits
        exact = p["alpha_q"] * state["a"] * 2**f - p["stiffness_q"] * state["v"] * 2**bb
        new["a"] = drive = np.clip(exact // 2 ** (bb + f) + cur, lo, hi)
    if layer.neuron in ("expif", "adex"):  # beta v + (1 - beta) delta_t exp(x) exact, one floor (AdEx: - w); the
        # LIF step of it with beta 0
        d_q, r_q, th_q, b_q = p["delta_t_q"], p["v_rheobase_q"], int(layer.threshold_q), int(layer.beta_q)
        f = fmt.frac_bits
        m_inv = math.floor(Fraction(2 ** (16 + f), d_q) + Fraction(1, 2))  # 1 / delta_t at 16 fraction bits
        m_off = math.floor(Fraction(-r_q * 2**16, d_q) + Fraction(1, 2))  # -v_rheobase / delta_t
        top = math.ceil(Fraction(16 * (th_q - r_q), d_q))
        drive = []
        for v, c in zip(state["v"].tolist(), np.broadcast_to(cur, state["v"].shape).tolist()):
            x = min(max((min(v, th_q) * m_inv + m_off * 2**f) // 2 ** (f + 12), top - 160), top)
            e = math.floor(math.exp(x / 16) * 2**16 + 0.5)
            drive.append((b_q * v * 2**16 + d_q * (2**bb - b_q) * e) // 2 ** (bb + 16) + c)
        w_old = state["w"] if layer.neuron == "adex" else 0
        new["v"], s = lif_step(state["v"] * 0, np.clip(np.array(drive, np.int64) - w_old, lo, hi), 0, th_q, fmt, bb)
        if layer.neuron == "adex":  # adapt_decay w + (1 - adapt_decay) a v_before, one floor; + b (saturated) on spikes
            ad, a_q = p["adapt_decay_q"], p["a_q"]
            w_new = np.clip((ad * state["w"] * 2**f + (2**bb - ad) * a_q * state["v"]) // 2 ** (bb + f), lo, hi)
            new["w"] = np.where(s == 1, np.clip(w_new + p["b_q"], lo, hi), w_new)
        return s, new
    if layer.neuron == "alif":  # the threshold of the adaptation before the step, reset by it
        th = np.clip(int(layer.threshold_q) + (p["adapt_strength_q"] * state["a"]) // fmt.one, lo, hi)
        vv = np.clip((int(layer.beta_q) * state["v"]) // (1 << bb) + cur, lo, hi)
        s = (vv > th).astype(np.int64)
        new["v"] = vv - s * th
        new["a"] = np.clip(np.clip((p["adapt_decay_q"] * state["a"]) // (1 << bb), lo, hi) + s * fmt.one, lo, hi)
        return s, new
    new["v"], s = lif_step(state["v"], drive, int(layer.beta_q), int(layer.threshold_q), fmt, bb, reset=layer.reset,
                           reset_q=layer.reset_q)
    return s, new


def random_qnet(sizes, config, seed=0, *, bias=0.3, threshold=0.5, beta=0.85, **neurons):
    """A random QuantizedNet with enough drive that hidden neurons spike (``neurons``: ``neurons=``,
    ``neuron_params=``, ``resets=`` of :meth:`QuantizedNet.from_float`)."""
    g = np.random.default_rng(seed)
    ws = [g.normal(0.2, 1.0, (b, a)) / np.sqrt(a) * 2 for a, b in zip(sizes[:-1], sizes[1:])]
    for w in ws:
        w[0, 0] = 0.0
    bs = [g.normal(0, bias, b) for b in sizes[1:]]
    return QuantizedNet.from_float(ws, bs, [beta] * len(ws), [threshold] * len(ws), config, **neurons)
