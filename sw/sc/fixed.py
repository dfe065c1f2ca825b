"""Integer arithmetic of the contract: count -> current scaling and the LIF step.

These vectorised functions are the reference the gateware (``hw/sc_dot.py``,
``hw/lif.py``) is tested against, integer for integer.  All inputs and outputs are
int64 NumPy arrays (or Python ints); nothing wraps, everything saturates.
"""

from __future__ import annotations

import numpy as np

from .contract import Q8_8, FixedPoint

__all__ = ["scale_count", "lif_step"]


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


def lif_step(v, current, beta_q: int, theta_q: int, fmt: FixedPoint = Q8_8, beta_bits: int = 8):
    """One LIF timestep in integers; returns ``(v_next, spike)``.

    ``v = sat(((beta_q * v) >> beta_bits) + I)``; ``spike = v > theta_q``;
    ``v = v - spike * theta_q``.  ``beta_q`` is unsigned Q0.``beta_bits``, ``theta_q > 0`` in
    ``fmt``.  Spikes are int64 0/1.
    """
    if not isinstance(beta_q, (int, np.integer)) or not 0 <= beta_q < (1 << beta_bits):
        raise ValueError(f"beta_q must be in [0, {(1 << beta_bits) - 1}], not {beta_q!r}")
    if not isinstance(theta_q, (int, np.integer)) or not 0 < theta_q <= fmt.max_int:
        raise ValueError(f"theta_q must be in [1, {fmt.max_int}], not {theta_q!r}")
    v = _as_int64("v", v)
    i = _as_int64("current", current)
    v = np.clip(((np.int64(beta_q) * v) >> np.int64(beta_bits)) + i, fmt.min_int, fmt.max_int)
    spike = (v > theta_q).astype(np.int64)
    v = v - spike * np.int64(theta_q)
    if np.ndim(v) == 0:
        return int(v), int(spike)
    return v, spike
