"""Slow plain-Python bit-level reference of the SC contract, written from docs/sc-arithmetic.md.

It shares no code with ``sc_neurocore.sc`` beyond reading the constants of the contract
(``SCConfig`` fields, ``LFSR_TAPS``, a layer's exported integers): every random number, every
bit, every count, scaling and neuron step (LIF; the Synaptic neuron's current first; ALIF's adaptive threshold;
the Alpha neuron's two currents first) is recomputed here with Python ints, one cycle at a time.
"""

from __future__ import annotations

import math
from fractions import Fraction

from sc_neurocore.sc.sources import LFSR_TAPS

MASK64 = (1 << 64) - 1


def splitmix64(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


def derive_seed(base: int, layer: int, role: int, bits: int, nonzero: bool) -> int:
    x = splitmix64((base * 65536 + layer * 2 + role) & MASK64) % (1 << bits)
    return 1 if (nonzero and x == 0) else x


def taps(width: int, reciprocal: bool) -> list[int]:
    t = list(LFSR_TAPS[width])
    if reciprocal:
        t = [width] + [width - x for x in t if x != width]
    return t


def lfsr_step(state: int, width: int, tap_list: list[int], kind: str) -> int:
    if kind == "fibonacci":
        fb = 0
        for t in tap_list:
            fb ^= (state >> (t - 1)) & 1
        return ((state << 1) | fb) % (1 << width)
    tap_mask = sum(1 << (t - 1) for t in tap_list)
    out = state >> 1
    if state & 1:
        out ^= tap_mask
    return out


def lfsr_numbers(seed, width, kind, steps, reciprocal, k, n) -> list[int]:
    tl = taps(width, reciprocal)
    s, out = seed, []
    for _ in range(n):
        out.append(s % (1 << k))
        for _ in range(steps):
            s = lfsr_step(s, width, tl, kind)
    return out


def sobol_numbers(k: int, dim: int, mask: int, n: int) -> list[int]:
    if dim == 0:
        v = [1 << (k - 1 - j) for j in range(k)]
    else:
        v = [1 << (k - 1)]
        for _ in range(1, k):
            v.append(v[-1] ^ (v[-1] >> 1))
    out = []
    for i in range(n):
        idx, x = i % (1 << k), mask
        for j in range(k):
            if (idx >> j) & 1:
                x ^= v[j]
        out.append(x)
    return out


def source(config, layer: int, role: int, n: int) -> list[int]:
    k = config.prob_bits
    if config.rng == "lfsr":
        seed = derive_seed(config.seed, layer, role, config.lfsr_width, True)
        return lfsr_numbers(seed, config.lfsr_width, config.lfsr_kind, config.lfsr_steps, role == 1, k, n)
    return sobol_numbers(k, role, derive_seed(config.seed, layer, role, k, False), n)


def sat(x: int, lo: int, hi: int) -> int:
    return lo if x < lo else hi if x > hi else x


def weight_codes(wq: int, polarity: str, k: int, lo: int, hi: int) -> tuple[int, int]:
    """(stream code, sign) of one exported weight code under a polarity."""
    q = (1 << k) - 1
    if polarity == "signed":
        return abs(wq), (-1 if wq < 0 else 1)
    if polarity == "bipolar":
        return (wq + q + 1) // 2, 1
    span = hi - lo
    return (0 if span == 0 else (2 * q * (wq - lo) + span) // (2 * span)), 1


def run_reference(qnet, xq: list[int], T: int, polarity: str, scalings: list[tuple[int, int]]):
    """One image: per layer lists [t][j] of counts, currents, membranes, spikes, i_syn (plain ints).

    ``scalings`` are each layer's (mult, shift) for the polarity (signed/bipolar: the export's
    ``scale_mult``/``scale_shift``; minmax: recomputed by the caller from the contract).
    """
    cfg = qnet.config
    k, L = cfg.prob_bits, cfg.length
    big_p, q = 1 << k, (1 << k) - 1
    fmt = cfg.membrane
    lo_v, hi_v = fmt.min_int, fmt.max_int
    bb = cfg.beta_format.frac_bits
    rin = [source(cfg, li, 0, T * L) for li in range(len(qnet.layers))]
    rw = [source(cfg, li, 1, T * L) for li in range(len(qnet.layers))]
    # every extra state of the contract's models (ALIF's adaptation and the second-order LIF's inertial term are both
    # "a"; AdEx's adaptation "w"), each a list per layer
    names = ["i_syn", "a", "i_exc", "i_inh", "w"]
    st = [{name: [0] * layer.n_out for name in (*names, "v")} for layer in qnet.layers]
    rec = {name: [[] for _ in qnet.layers] for name in ("counts", "currents", "membranes", "spikes", *names)}
    for t in range(T):
        prev = None
        for li, layer in enumerate(qnet.layers):
            wq = [[int(x) for x in row] for row in layer.weight_q]
            flat = [x for row in wq for x in row]
            lo, hi = min(flat), max(flat)
            if li == 0:
                if polarity == "bipolar":
                    codes = [(x + q + 1) // 2 for x in xq]
                else:
                    codes = list(xq)
            else:
                if polarity == "bipolar":
                    codes = [big_p if s else big_p // 2 for s in prev]
                else:
                    codes = [big_p if s else 0 for s in prev]
            m, sh = scalings[li]
            counts, currents, spikes = [], [], []
            for j in range(layer.n_out):
                acc = 0
                for c in range(t * L, t * L + L):
                    lane_sum = 0  # the parallel counter of this cycle
                    for i in range(layer.n_in):
                        wc, sg = weight_codes(wq[j][i], polarity, k, lo, hi)
                        bx = 1 if rin[li][c] < codes[i] else 0
                        bw = 1 if rw[li][c] < wc else 0
                        if polarity == "bipolar":
                            lane_sum += 1 if bx == bw else -1
                        else:
                            lane_sum += sg * (bx & bw)
                    acc += lane_sum
                cur = sat(((acc * m + (1 << (sh - 1))) >> sh) + int(layer.bias_q[j]), lo_v, hi_v)
                s, after = neuron_reference(layer, {name: x[j] for name, x in st[li].items()}, cur, fmt, bb)
                for name, x in after.items():
                    st[li][name][j] = x
                counts.append(acc)
                currents.append(cur)
                spikes.append(s)
            rec["counts"][li].append(counts)
            rec["currents"][li].append(currents)
            rec["membranes"][li].append(list(st[li]["v"]))
            for name in names:
                rec[name][li].append(list(st[li][name]))
            rec["spikes"][li].append(spikes)
            prev = spikes
    return rec


def neuron_reference(layer, state: dict, cur: int, fmt, bb: int) -> tuple[int, dict]:
    """One neuron's step of ``layer``'s model (docs/sc-arithmetic.md section 8) on plain ints:
    ``(spike, {state: new value})``."""
    lo_v, hi_v = fmt.min_int, fmt.max_int
    p = layer.neuron_params
    new = {}
    drive = cur
    if layer.neuron == "synaptic":  # i = sat(((alpha_q i) >> 8) + I) drives the membrane
        new["i_syn"] = drive = sat(((int(p["alpha_q"]) * state["i_syn"]) >> bb) + cur, lo_v, hi_v)
    if layer.neuron == "alpha":  # two currents, of the positive and the negative part; their difference drives
        new["i_exc"] = sat(((int(p["alpha_exc_q"]) * state["i_exc"]) >> bb) + max(cur, 0), lo_v, hi_v)
        new["i_inh"] = sat(((int(p["alpha_inh_q"]) * state["i_inh"]) >> bb) + max(-cur, 0), lo_v, hi_v)
        drive = new["i_exc"] - new["i_inh"]
    if layer.neuron == "second_order":  # a = alpha a + I - stiffness v_before: one floor of the exact difference
        f = fmt.frac_bits
        exact = p["alpha_q"] * state["a"] * 2**f - p["stiffness_q"] * state["v"] * 2**bb  # units of 2**-(bb + 2 f)
        new["a"] = drive = sat(exact // 2 ** (bb + f) + cur, lo_v, hi_v)
    vv = sat(((int(layer.beta_q) * state["v"]) >> bb) + drive, lo_v, hi_v)
    if layer.neuron in ("expif", "adex"):  # beta v + (1 - beta) delta_t exp(x) exact, one floor; x on a 1/16 grid
        w_old = state["w"] if layer.neuron == "adex" else 0  # AdEx: minus the adaptation before the step
        vv = sat(expif_drive(state["v"], int(layer.beta_q), int(layer.threshold_q), int(p["v_rheobase_q"]),
                             int(p["delta_t_q"]), fmt.frac_bits, bb) - w_old + cur, lo_v, hi_v)
    if layer.neuron == "adex":  # w = adapt_decay w + (1 - adapt_decay) a v_before, one floor; + b on a spike
        ad, f = Fraction(p["adapt_decay_q"], 2**bb), fmt.frac_bits
        w_new = sat(math.floor(ad * state["w"] + (1 - ad) * Fraction(p["a_q"], 2**f) * state["v"]), lo_v, hi_v)
        s = 1 if vv > int(layer.threshold_q) else 0
        new["w"] = sat(w_new + p["b_q"], lo_v, hi_v) if s else w_new
        new["v"] = vv - s * int(layer.threshold_q)
        return s, new
    if layer.neuron == "alif":  # the threshold of the adaptation before the step; a decays, +1 on spikes
        th = sat(int(layer.threshold_q) + ((p["adapt_strength_q"] * state["a"]) >> fmt.frac_bits), lo_v, hi_v)
        s = 1 if vv > th else 0
        new["a"] = sat(sat((p["adapt_decay_q"] * state["a"]) >> bb, lo_v, hi_v) + s * fmt.one, lo_v, hi_v)
        new["v"] = vv - s * th
        return s, new
    s = 1 if vv > int(layer.threshold_q) else 0
    if layer.reset == "zero":
        new["v"] = 0 if s else vv
    else:
        new["v"] = vv - s * int(layer.threshold_q if layer.reset_q is None else layer.reset_q)
    return s, new


def expif_drive(v: int, beta_q: int, theta_q: int, r: int, d: int, f: int, bb: int) -> int:
    """``floor(beta v + (1 - beta) delta_t exp(x))`` in membrane LSBs (docs/sc-arithmetic.md section 8), from the
    written rules on Fractions: the constants ``1 / delta_t`` and ``-v_rheobase / delta_t`` rounded half up to 16
    fraction bits, ``x = (min(v, theta) - v_rheobase) / delta_t`` with them, floored to 1/16 and clamped to the
    table's 161 points below ``ceil(16 (theta - v_rheobase) / delta_t) / 16``, ``exp`` rounded to 16 bits."""
    half = Fraction(1, 2)
    inv = Fraction(math.floor(Fraction(2**f, d) * 2**16 + half), 2**16)  # 1 / delta_t, delta_t = d / 2**f
    off = Fraction(math.floor(Fraction(-r, d) * 2**16 + half), 2**16)  # -v_rheobase / delta_t
    x = Fraction(min(v, theta_q), 2**f) * inv + off
    top = math.ceil(Fraction(16 * (theta_q - r), d))
    j = min(max(math.floor(16 * x), top - 160), top)
    e = Fraction(math.floor(math.exp(j / 16) * 2**16 + half), 2**16)
    beta = Fraction(beta_q, 2**bb)
    return math.floor(beta * v + (1 - beta) * Fraction(d, 2**f) * e * 2**f)
