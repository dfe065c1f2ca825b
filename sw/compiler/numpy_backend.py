"""NumPy back-end: the fixed-point program (:class:`~sc_neurocore.compiler.ir.FixedNeuron`) stepped over a
batch of neurons in int64, bit-exact.  This is the model the Amaranth component
(``sc_neurocore.hw.equation``), its Verilog and the torch cell's quantised forward are tested against.

Every operation is the integer rule of :class:`~sc_neurocore.compiler.ir.Op`; ``>>`` on int64 is the
arithmetic (floor) shift.  The range analysis guarantees that no intermediate leaves int64.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["step", "run", "random_currents"]

_CMP = {">": np.greater, ">=": np.greater_equal, "<": np.less, "<=": np.less_equal}


def _ints(name: str, value) -> np.ndarray:
    """``value`` as int64 (any shape); a float array is refused, not rounded."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must be integers, not dtype {arr.dtype}")
    return arr.astype(np.int64)


def _check_range(name: str, arr: np.ndarray, lo: int, hi: int) -> None:
    if arr.size and (arr.min() < lo or arr.max() > hi):
        raise ValueError(f"{name} holds values in [{int(arr.min())}, {int(arr.max())}], outside its format's "
                         f"[{lo}, {hi}]")


def step(fixed, state: Mapping[str, np.ndarray], current, params: Mapping[str, int] | None = None
         ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """One step of ``fixed`` over a batch: ``state`` ``{name: int array (N,)}``, ``current`` int ``(N,)``
    -> ``({name: next state}, spike 0/1)``, all int64.  ``params``: runtime parameters (integers of their
    formats; default ``fixed.params``)."""
    cur = _ints("current", current)
    f_in = fixed.input_format
    _check_range("current", cur, f_in.min_int, f_in.max_int)
    vals: list = [None] * len(fixed.ops)
    for name, idx in fixed.state_ops.items():
        if name not in state:
            raise ValueError(f"state is missing {name!r} (the states are {', '.join(fixed.states)})")
        arr = _ints(f"state[{name!r}]", state[name])
        f = fixed.formats[name]
        _check_range(f"state[{name!r}]", arr, f.min_int, f.max_int)
        vals[idx] = arr
    vals[fixed.input_op] = cur
    given = dict(params or {})
    for name in given:
        if name not in fixed.param_ops:
            raise ValueError(f"{name!r} is not a runtime parameter ({', '.join(fixed.param_ops) or 'none'})")
    for name, idx in fixed.param_ops.items():
        arr = _ints(f"params[{name!r}]", given.get(name, fixed.params[name]))
        f = fixed.formats[name]
        _check_range(f"params[{name!r}]", arr, f.min_int, f.max_int)
        op = fixed.ops[idx]
        if arr.size and (arr.min() < op.lo or arr.max() > op.hi):  # a declared range narrows the format's
            raise ValueError(f"params[{name!r}] holds values in [{int(arr.min())}, {int(arr.max())}], outside its "
                             f"declared range [{op.lo}, {op.hi}]")
        vals[idx] = arr
    for i, op in enumerate(fixed.ops):
        if vals[i] is None:
            vals[i] = _op(op, vals, fixed.tables)
    shape = np.broadcast_shapes(cur.shape, *(np.shape(vals[i]) for i in fixed.state_ops.values()))
    nxt = {s: np.broadcast_to(vals[i], shape).astype(np.int64) for s, i in fixed.next_state.items()}
    spike = (np.broadcast_to(vals[fixed.spike], shape).astype(np.int64) if fixed.spike is not None
             else np.zeros(shape, np.int64))
    return nxt, spike


def _op(op, vals, tables):
    a = vals[op.args[0]] if op.args else None
    b = vals[op.args[1]] if len(op.args) > 1 else None
    kind = op.kind
    if kind == "const":
        return np.int64(op.k)
    if kind == "mul":
        return a * b
    if kind == "add":
        return a + b
    if kind == "sub":
        return a - b
    if kind == "neg":
        return -a
    if kind == "shl":
        return a << np.int64(op.k)
    if kind == "shr":
        if op.mode == "round":
            a = a + np.int64(1 << (op.k - 1))
        return a >> np.int64(op.k)
    if kind == "min":
        return np.minimum(a, b)
    if kind == "max":
        return np.maximum(a, b)
    if kind == "abs":
        return np.abs(a)
    if kind == "fit":
        if op.mode == "saturate":
            return np.clip(a, -(1 << (op.k - 1)), (1 << (op.k - 1)) - 1)
        half = np.int64(1 << (op.k - 1))
        return ((a + half) & np.int64((1 << op.k) - 1)) - half
    if kind == "lut":
        t = tables[op.k]
        entries = np.asarray(t.entries, dtype=np.int64)
        return entries[np.clip(a, t.lo_i, t.hi_i) - t.lo_i]
    if kind == "cmp":
        return _CMP[op.mode](a, b).astype(np.int64)
    if kind == "select":
        return np.where(a != 0, b, vals[op.args[2]])
    raise AssertionError(f"unknown operation {kind!r}")


def run(fixed, currents, init: Mapping[str, int] | None = None, params: Mapping[str, int] | None = None):
    """``T`` steps of a batch: ``currents`` int ``(T, N)`` (or ``(T,)``) -> ``(spikes (T, N), {state: (T, N)})``.

    The states start at ``fixed.init`` (``init`` overrides some, as integers of their formats); the
    trace holds each step's state after the reset.
    """
    cur = _ints("currents", currents)
    if cur.ndim == 1:
        cur = cur[:, None]
    if cur.ndim != 2:
        raise ValueError(f"currents must be (T, N), not shape {cur.shape}")
    T, n = cur.shape
    state = fixed.initial_state(n)
    for k, x in (init or {}).items():
        if k not in state:
            raise ValueError(f"init names {k!r}, which is not a state ({', '.join(fixed.states)})")
        state[k] = np.broadcast_to(_ints(f"init[{k!r}]", x), (n,)).copy()
    spikes = np.zeros((T, n), np.int64)
    trace = {s: np.zeros((T, n), np.int64) for s in fixed.states}
    for t in range(T):
        state, spikes[t] = step(fixed, state, cur[t], params)
        for s in fixed.states:
            trace[s][t] = state[s]
    return spikes, trace


def random_currents(fixed, steps: int, n: int = 1, seed: int = 0) -> np.ndarray:
    """A seeded random current trace ``(steps, n)`` in ``I``'s integers: most steps drawn uniformly over
    ``[-2, 2)`` (real units, clipped to the format), one in ten over the whole format, one in twenty at
    its two ends (the saturation edges).  What ``compile-neuron --verify`` and the RTL tests drive."""
    for name, value, lo in (("steps", steps, 1), ("n", n, 1), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < lo:
            raise ValueError(f"{name} must be an integer >= {lo}, not {value!r}")
    f = fixed.input_format
    g = np.random.default_rng(int(seed))
    small = g.integers(max(-2 * f.one, f.min_int), min(2 * f.one, f.max_int + 1), (steps, n))
    full = g.integers(f.min_int, f.max_int + 1, (steps, n))
    ends = np.where(g.random((steps, n)) < 0.5, f.min_int, f.max_int)
    pick = g.random((steps, n))
    return np.where(pick < 0.05, ends, np.where(pick < 0.15, full, small)).astype(np.int64)
