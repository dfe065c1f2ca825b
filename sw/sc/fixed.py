"""Integer arithmetic of the contract: count -> current scaling and the neuron steps (LIF, Synaptic, ALIF, Alpha,
second-order LIF, ExpIF, AdEx).

These vectorised functions are the reference the gateware (``hw/sc_dot.py``,
``hw/lif.py``) is tested against, integer for integer.  All inputs and outputs are
int64 NumPy arrays (or Python ints); nothing wraps, everything saturates.
"""

from __future__ import annotations

import numpy as np

from .contract import (
    EXPIF_TABLE,
    Q8_8,
    FixedPoint,
    check_lif_constants,
    check_neuron_constants,
    expif_table,
)

__all__ = ["scale_count", "lif_step", "synaptic_step", "alif_step", "alpha_step", "second_order_step",
           "expif_table", "expif_step", "adex_step", "neuron_step"]


def _as_int64(name: str, value) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind not in "iub":
        raise TypeError(f"{name} must be integers, not dtype {arr.dtype}")
    return arr.astype(np.int64)


def scale_count(count, mult: int, shift: int, bias=0, fmt: FixedPoint = Q8_8):
    """Signed count -> saturated current: ``sat(((C * m + 2**(sh-1)) >> sh) + b)``.

    ``>>`` is an arithmetic (floor) shift, so the added half rounds half up.  ``mult`` is
    the unsigned per-layer multiplier, ``shift >= 1`` its shift (see
    :func:`sc_neurocore.sc.contract.current_scale`); ``bias`` is in ``fmt``.
    """
    if not isinstance(shift, (int, np.integer)) or shift < 1:
        raise ValueError(f"shift must be an integer >= 1, not {shift!r}")
    if not isinstance(mult, (int, np.integer)) or mult < 0:
        raise ValueError(f"mult must be a non-negative integer, not {mult!r}")
    c = _as_int64("count", count)
    scaled = (c * np.int64(mult) + np.int64(1 << (shift - 1))) >> np.int64(shift)
    out = fmt.saturate(scaled + _as_int64("bias", bias))
    return int(out) if np.ndim(out) == 0 else out


def lif_step(v, current, beta_q: int, theta_q: int, fmt: FixedPoint = Q8_8, beta_bits: int = 8, *,
             reset: str = "subtract", reset_q: int | None = None):
    """One LIF timestep in integers; returns ``(v_next, spike)``.

    ``v = sat(((beta_q * v) >> beta_bits) + I)``; ``spike = v > theta_q`` (strict: a tie does not
    fire); then the reset (:data:`~sc_neurocore.sc.contract.RESETS`): ``"subtract"``
    ``v = v - spike * reset_q`` (``reset_q`` defaults to ``theta_q``), ``"zero"`` ``v = 0`` where
    ``spike``.  ``beta_q`` is unsigned Q0.``beta_bits`` in ``[0, 2**beta_bits]`` (the top value: no
    leak, integrate-and-fire), ``theta_q > 0`` in ``fmt``.  Spikes are int64 0/1.  The subtraction
    never leaves the format (``v > theta_q >= 1`` before it), so it needs no saturation.
    """
    check_lif_constants(beta_q, theta_q, reset, reset_q, fmt=fmt, beta_bits=beta_bits)
    v = _as_int64("v", v)
    i = _as_int64("current", current)
    v = np.clip(((np.int64(beta_q) * v) >> np.int64(beta_bits)) + i, fmt.min_int, fmt.max_int)
    spike = (v > theta_q).astype(np.int64)
    if reset == "zero":
        v = v - spike * v
    else:
        v = v - spike * np.int64(theta_q if reset_q is None else reset_q)
    if np.ndim(v) == 0:
        return int(v), int(spike)
    return v, spike


def synaptic_step(i_syn, v, current, alpha_q: int, beta_q: int, theta_q: int, fmt: FixedPoint = Q8_8,
                  beta_bits: int = 8, *, reset: str = "subtract", reset_q: int | None = None):
    """One current-based (CUBA, ``SynapticCell``) timestep in integers; returns ``(i_syn, v, spike)``.

    ``i_syn = sat(((alpha_q * i_syn) >> beta_bits) + I)``, then :func:`lif_step` with ``i_syn`` as its
    current: ``v = sat(((beta_q * v) >> beta_bits) + i_syn)``, ``spike = v > theta_q``, the reset (of
    ``v`` only; the synaptic current keeps its value).  ``alpha_q`` in ``[0, 2**beta_bits]`` like
    ``beta_q`` (the top value: no decay).
    """
    check_neuron_constants("synaptic", {"alpha_q": alpha_q}, beta_bits=beta_bits)
    i = _as_int64("i_syn", i_syn)
    i = np.clip(((np.int64(alpha_q) * i) >> np.int64(beta_bits)) + _as_int64("current", current),
                fmt.min_int, fmt.max_int)
    v, spike = lif_step(v, i, beta_q, theta_q, fmt, beta_bits, reset=reset, reset_q=reset_q)
    return (int(i) if np.ndim(i) == 0 else i), v, spike


def alif_step(a, v, current, adapt_decay_q: int, adapt_strength_q: int, beta_q: int, theta_q: int,
              fmt: FixedPoint = Q8_8, beta_bits: int = 8):
    """One adaptive-threshold (``ALIFCell``) timestep in integers; returns ``(a, v, spike)``.

    ``th = sat(theta_q + ((adapt_strength_q * a) >> frac))`` (the threshold of the adaptation before the
    step); ``v = sat(((beta_q * v) >> beta_bits) + I)``; ``spike = v > th``; ``v = v - spike * th`` (a spiking
    ``v`` lies in ``(th, max_int]``: no saturation); ``a = sat(sat((adapt_decay_q * a) >> beta_bits) +
    spike * 2**frac)``.  ``adapt_decay_q`` in ``[0, 2**beta_bits]`` like ``beta_q``, ``adapt_strength_q`` in
    ``[0, max_int]`` in ``fmt``.
    """
    check_lif_constants(beta_q, theta_q, fmt=fmt, beta_bits=beta_bits)
    check_neuron_constants("alif", {"adapt_decay_q": adapt_decay_q, "adapt_strength_q": adapt_strength_q},
                           beta_bits=beta_bits, fmt=fmt)
    a0 = _as_int64("a", a)
    lo, hi = fmt.min_int, fmt.max_int
    th = np.clip(np.int64(theta_q) + ((np.int64(adapt_strength_q) * a0) >> np.int64(fmt.frac_bits)), lo, hi)
    v = np.clip(((np.int64(beta_q) * _as_int64("v", v)) >> np.int64(beta_bits)) + _as_int64("current", current),
                lo, hi)
    spike = (v > th).astype(np.int64)
    v = v - spike * th
    a1 = np.clip((np.int64(adapt_decay_q) * a0) >> np.int64(beta_bits), lo, hi)
    a1 = np.clip(a1 + spike * np.int64(fmt.one), lo, hi)
    if np.ndim(v) == 0:
        return int(a1), int(v), int(spike)
    return a1, v, spike


def alpha_step(i_exc, i_inh, v, current, alpha_exc_q: int, alpha_inh_q: int, beta_q: int, theta_q: int,
               fmt: FixedPoint = Q8_8, beta_bits: int = 8, *, reset: str = "subtract", reset_q: int | None = None):
    """One ``AlphaCell`` timestep (an excitatory and an inhibitory synaptic current) in integers; returns
    ``(i_exc, i_inh, v, spike)``.

    ``i_exc = sat(((alpha_exc_q * i_exc) >> beta_bits) + max(I, 0))``; ``i_inh = sat(((alpha_inh_q * i_inh) >>
    beta_bits) + max(-I, 0))`` (``-I`` exact: ``I = min_int`` gives ``max_int + 1`` before the saturation); then
    :func:`lif_step` with ``i_exc - i_inh`` (exact, not saturated) as its current:
    ``v = sat(((beta_q * v) >> beta_bits) + i_exc - i_inh)``, ``spike = v > theta_q``, the reset of ``v``.  Both
    currents stay ``>= 0``.  ``alpha_exc_q``, ``alpha_inh_q`` in ``[0, 2**beta_bits]`` like ``beta_q``.
    """
    check_neuron_constants("alpha", {"alpha_exc_q": alpha_exc_q, "alpha_inh_q": alpha_inh_q}, beta_bits=beta_bits,
                           fmt=fmt)
    cur = _as_int64("current", current)
    bb = np.int64(beta_bits)
    e = np.clip(((np.int64(alpha_exc_q) * _as_int64("i_exc", i_exc)) >> bb) + np.maximum(cur, 0),
                fmt.min_int, fmt.max_int)
    h = np.clip(((np.int64(alpha_inh_q) * _as_int64("i_inh", i_inh)) >> bb) + np.maximum(-cur, 0),
                fmt.min_int, fmt.max_int)
    v, spike = lif_step(v, e - h, beta_q, theta_q, fmt, beta_bits, reset=reset, reset_q=reset_q)
    if np.ndim(v) == 0:
        return int(e), int(h), v, spike
    return e, h, v, spike


def second_order_step(a, v, current, alpha_q: int, stiffness_q: int, beta_q: int, theta_q: int,
                      fmt: FixedPoint = Q8_8, beta_bits: int = 8, *, reset: str = "subtract",
                      reset_q: int | None = None):
    """One ``SecondOrderLIFCell`` (inertial LIF) timestep in integers; returns ``(a, v, spike)``.

    ``a = sat(floor((alpha_q * a) / 2**beta_bits - (stiffness_q * v) / 2**frac) + I)`` with ``v`` the membrane
    before the step: one floor over the exact difference of the two products (aligned on the finer of their
    binary points, ``beta_bits + frac`` and ``2 frac``; ``((alpha_q * a - stiffness_q * v) >> 8) + I`` in Q8.8),
    then :func:`lif_step` with ``a`` as its current.  ``alpha_q`` in ``[0, 2**beta_bits]`` like ``beta_q``,
    ``stiffness_q`` in ``[0, max_int]`` in ``fmt`` (a gain).
    """
    check_neuron_constants("second_order", {"alpha_q": alpha_q, "stiffness_q": stiffness_q}, beta_bits=beta_bits,
                           fmt=fmt)
    f = fmt.frac_bits
    d = max(beta_bits, f) + f  # the fraction bits of the exact difference
    v0 = _as_int64("v", v)
    num = (((np.int64(alpha_q) * _as_int64("a", a)) << np.int64(d - beta_bits - f))
           - ((np.int64(stiffness_q) * v0) << np.int64(d - 2 * f)))
    a1 = np.clip((num >> np.int64(d - f)) + _as_int64("current", current), fmt.min_int, fmt.max_int)
    v1, spike = lif_step(v0, a1, beta_q, theta_q, fmt, beta_bits, reset=reset, reset_q=reset_q)
    return (int(a1) if np.ndim(a1) == 0 else a1), v1, spike


def _expif_drive(v0, beta_q: int, theta_q: int, v_rheobase_q: int, delta_t_q: int, fmt: FixedPoint, beta_bits: int):
    """``floor(beta v + (1 - beta) delta_t E[x])`` in ``fmt``'s LSBs (int64, not saturated): :func:`expif_step`."""
    lo_i, table = expif_table(theta_q, v_rheobase_q, delta_t_q, fmt)
    c, f, k = EXPIF_TABLE["frac"], fmt.frac_bits, EXPIF_TABLE["step_bits"]
    m_inv = ((1 << (c + f + 1)) // int(delta_t_q) + 1) // 2  # floor(2**(c+f) / d + 1/2), exact
    m_off = ((-int(v_rheobase_q) << (c + 1)) // int(delta_t_q) + 1) // 2  # floor(-r 2**c / d + 1/2), exact
    x = (np.minimum(v0, np.int64(theta_q)) * np.int64(m_inv) + np.int64(m_off << f)) >> np.int64(c + f - k)
    e = table[np.clip(x, lo_i, lo_i + len(table) - 1) - lo_i]
    exact = ((np.int64(beta_q) * v0) << np.int64(c)) + np.int64(delta_t_q) * np.int64((1 << beta_bits) - beta_q) * e
    return exact >> np.int64(beta_bits + c)


def expif_step(v, current, v_rheobase_q: int, delta_t_q: int, beta_q: int, theta_q: int, fmt: FixedPoint = Q8_8,
               beta_bits: int = 8):
    """One exponential integrate-and-fire (``ExpIFCell``) timestep in integers; returns ``(v, spike)``.

    With ``f = fmt.frac_bits``, ``c = frac`` (16) and ``k = step_bits`` (4) of
    :data:`~sc_neurocore.sc.contract.EXPIF_TABLE`, the two constants ``m_inv = floor(2**(c+f) / delta_t_q + 1/2)``
    (``1 / delta_t`` at ``c`` fraction bits) and ``m_off = floor(-v_rheobase_q * 2**c / delta_t_q + 1/2)``
    (``-v_rheobase / delta_t``), and :func:`expif_table` ``(lo_i, E)``:

    * the table index ``x = clip((min(v, theta_q) * m_inv + m_off * 2**f) >> (c + f - k), lo_i, lo_i + 160)``
      (``(min(v, theta) - v_rheobase) / delta_t`` floored to ``2**-k``) of the membrane before the step;
    * ``v = sat(floor((beta_q v 2**c + delta_t_q (2**beta_bits - beta_q) E[x - lo_i]) / 2**(beta_bits + c)) + I)``
      -- ``beta v + (1 - beta) delta_t exp(...)``, exact, floored once (as the equation compiler does);
    * ``spike = v > theta_q``; ``v = v - spike * theta_q`` (the subtract reset, the cell's only one).

    ``v_rheobase_q`` (any value of ``fmt``), ``delta_t_q`` (``>= 2**(f - k)``) and ``theta_q`` in ``fmt``; ``beta_q``
    in ``[0, 2**beta_bits]``.
    """
    check_lif_constants(beta_q, theta_q, fmt=fmt, beta_bits=beta_bits)
    check_neuron_constants("expif", {"v_rheobase_q": v_rheobase_q, "delta_t_q": delta_t_q}, beta_bits=beta_bits,
                           fmt=fmt)
    drive = _expif_drive(_as_int64("v", v), beta_q, theta_q, v_rheobase_q, delta_t_q, fmt, beta_bits)
    v1 = np.clip(drive + _as_int64("current", current), fmt.min_int, fmt.max_int)
    spike = (v1 > theta_q).astype(np.int64)
    v1 = v1 - spike * np.int64(theta_q)
    if np.ndim(v1) == 0:
        return int(v1), int(spike)
    return v1, spike


def adex_step(w, v, current, v_rheobase_q: int, delta_t_q: int, adapt_decay_q: int, a_q: int, b_q: int, beta_q: int,
              theta_q: int, fmt: FixedPoint = Q8_8, beta_bits: int = 8):
    """One adaptive exponential integrate-and-fire (``AdExCell``) timestep in integers; returns ``(w, v, spike)``.

    With ``v``, ``w`` the states before the step (``f = fmt.frac_bits``):

    * ``w' = sat(floor((adapt_decay_q w 2**f + (2**beta_bits - adapt_decay_q) a_q v) / 2**(beta_bits + f)))``
      (``adapt_decay w + (1 - adapt_decay) a v``, exact, one floor);
    * ``v = sat(D - w + I)`` with ``D`` :func:`expif_step`'s floored drive of ``v``;
    * ``spike = v > theta_q``; ``v = v - spike * theta_q``; ``w = sat(w' + b_q)`` where it spiked, else ``w'``.

    ``adapt_decay_q`` in ``[0, 2**beta_bits]``, ``a_q`` any value of ``fmt`` (signed), ``b_q`` in ``[0, max_int]``;
    the rest as :func:`expif_step`.
    """
    check_lif_constants(beta_q, theta_q, fmt=fmt, beta_bits=beta_bits)
    check_neuron_constants("adex", {"v_rheobase_q": v_rheobase_q, "delta_t_q": delta_t_q,
                                    "adapt_decay_q": adapt_decay_q, "a_q": a_q, "b_q": b_q},
                           beta_bits=beta_bits, fmt=fmt)
    lo, hi = fmt.min_int, fmt.max_int
    w0, v0 = _as_int64("w", w), _as_int64("v", v)
    f = fmt.frac_bits
    exact = ((np.int64(adapt_decay_q) * w0) << np.int64(f)) + np.int64(((1 << beta_bits) - adapt_decay_q) * a_q) * v0
    w1 = np.clip(exact >> np.int64(beta_bits + f), lo, hi)
    drive = _expif_drive(v0, beta_q, theta_q, v_rheobase_q, delta_t_q, fmt, beta_bits)
    v1 = np.clip(drive - w0 + _as_int64("current", current), lo, hi)
    spike = (v1 > theta_q).astype(np.int64)
    v1 = v1 - spike * np.int64(theta_q)
    w1 = np.where(spike == 1, np.clip(w1 + np.int64(b_q), lo, hi), w1)
    if np.ndim(v1) == 0:
        return int(w1), int(v1), int(spike)
    return w1, v1, spike


def neuron_step(neuron: str, states: dict, current, beta_q: int, theta_q: int, params: dict | None = None,
                fmt: FixedPoint = Q8_8, beta_bits: int = 8, *, reset: str = "subtract", reset_q: int | None = None):
    """One timestep of the contract's neuron model ``neuron`` (:data:`~sc_neurocore.sc.contract.NEURONS`):
    ``states`` ``{name: ints}`` (every state of the model), ``params`` its extra constants
    (``{"alpha_q": ...}``) -> ``({name: ints}, spike)``.  ``"lif"``: :func:`lif_step`; ``"synaptic"``:
    :func:`synaptic_step`; ``"alif"``: :func:`alif_step` (subtract reset of its threshold only); ``"alpha"``:
    :func:`alpha_step`; ``"second_order"``: :func:`second_order_step`; ``"expif"``: :func:`expif_step`, ``"adex"``:
    :func:`adex_step` (subtract reset only)."""
    params = {} if params is None else params
    model = check_neuron_constants(neuron, params, beta_bits=beta_bits, fmt=fmt)
    if set(states) != set(model.states):
        raise ValueError(f"a {neuron!r} neuron has the states {list(model.states)}, not {sorted(states)}")
    if neuron == "alif":
        if reset != "subtract" or reset_q is not None:
            raise ValueError(f"an ALIF neuron resets by subtracting its adaptive threshold, not by {reset!r} "
                             f"(reset_q {reset_q!r})")
        a, v, spike = alif_step(states["a"], states["v"], current, params["adapt_decay_q"],
                                params["adapt_strength_q"], beta_q, theta_q, fmt, beta_bits)
        return {"a": a, "v": v}, spike
    if neuron in ("expif", "adex") and (reset != "subtract" or reset_q is not None):
        raise ValueError(f"an {neuron} neuron resets by subtracting its threshold, not by {reset!r} (reset_q {reset_q!r})")
    if neuron == "adex":
        w, v, spike = adex_step(states["w"], states["v"], current, params["v_rheobase_q"], params["delta_t_q"],
                                params["adapt_decay_q"], params["a_q"], params["b_q"], beta_q, theta_q, fmt, beta_bits)
        return {"w": w, "v": v}, spike
    if neuron == "expif":
        v, spike = expif_step(states["v"], current, params["v_rheobase_q"], params["delta_t_q"], beta_q, theta_q, fmt,
                              beta_bits)
        return {"v": v}, spike
    if neuron == "alpha":
        e, h, v, spike = alpha_step(states["i_exc"], states["i_inh"], states["v"], current, params["alpha_exc_q"],
                                    params["alpha_inh_q"], beta_q, theta_q, fmt, beta_bits, reset=reset,
                                    reset_q=reset_q)
        return {"i_exc": e, "i_inh": h, "v": v}, spike
    if neuron == "second_order":
        a, v, spike = second_order_step(states["a"], states["v"], current, params["alpha_q"], params["stiffness_q"],
                                        beta_q, theta_q, fmt, beta_bits, reset=reset, reset_q=reset_q)
        return {"a": a, "v": v}, spike
    if neuron == "synaptic":
        i, v, spike = synaptic_step(states["i_syn"], states["v"], current, params["alpha_q"], beta_q, theta_q, fmt,
                                    beta_bits, reset=reset, reset_q=reset_q)
        return {"i_syn": i, "v": v}, spike
    v, spike = lif_step(states["v"], current, beta_q, theta_q, fmt, beta_bits, reset=reset, reset_q=reset_q)
    return {"v": v}, spike
