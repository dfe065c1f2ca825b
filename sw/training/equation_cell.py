"""The torch back-end of the equation compiler: a cell that trains in float through a surrogate and whose
quantised forward is the compiled integer program, bit for bit.

The cell receives the compiled neuron as **plain data** -- ``neuron.float_program()`` and
``neuron.compile(...).program()`` of ``sc_neurocore.compiler`` -- and imports nothing of ours outside
this package (the training side imports no other part of sc-neurocore)::

    neuron = from_equations("v = beta*v + I", threshold="v > 1", reset="v -= 1", params={"beta": 0.9})
    cell = EquationCell(neuron.float_program(), neuron.compile().program(), surrogate_fn=atan_surrogate)
    spike, state = cell(current)                  # float: Heaviside forward, surrogate backward
    spike, state = cell(current, quantized=True)  # integers: equals FixedNeuron.step

Float forward: the statements in float (the exact folded coefficients as floats, the table
functions as their exact maths); the threshold ``lhs <op> rhs`` fires ``surrogate_fn(lhs - rhs)``
(``rhs - lhs`` for ``<``/``<=``); a reset statement ``x = r`` becomes ``x + s.detach() * (r - x)``
(the subtract reset of :func:`~sc_neurocore.training.cells.fire_and_reset` for ``v = v - theta``).

Quantised forward: float currents are rounded half up into ``I``'s format and saturated, then the
integer program runs on int64 tensors (``>>`` is the arithmetic shift, as in NumPy); the state holds
the integers, the spikes are 0.0 / 1.0.  No gradient flows through it.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping

import torch
from torch import nn

from .surrogates import atan_surrogate

__all__ = ["EquationCell"]

_LUT = {"exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
        "sin": torch.sin, "cos": torch.cos}


class EquationCell(nn.Module):
    """A neuron compiled from equations as a torch cell (see the module docstring).

    Parameters
    ----------
    float_program : dict
        ``EquationNeuron.float_program()``.
    fixed_program : dict or None
        ``FixedNeuron.program()``; needed for ``quantized=True``.
    surrogate_fn : callable
        ``f(x) -> spikes`` with ``x = lhs - rhs`` (any surrogate of :mod:`.surrogates`).

    Attributes
    ----------
    state_names : tuple of str
    State : namedtuple of the states
    """

    def __init__(self, float_program: Mapping, fixed_program: Mapping | None = None,
                 surrogate_fn: Callable = atan_surrogate):
        super().__init__()
        if not isinstance(float_program, Mapping) or "values" not in float_program:
            raise TypeError("float_program must be EquationNeuron.float_program() (a dict with 'values')")
        if fixed_program is not None and (not isinstance(fixed_program, Mapping) or "ops" not in fixed_program):
            raise TypeError("fixed_program must be FixedNeuron.program() (a dict with 'ops') or None")
        if not callable(surrogate_fn):
            raise TypeError(f"surrogate_fn must be callable, not {surrogate_fn!r}")
        self.prog, self.fixed, self.surrogate_fn = float_program, fixed_program, surrogate_fn
        self.state_names = tuple(float_program["states"])
        self.State = namedtuple("EquationState", self.state_names)
        if fixed_program is not None:
            if tuple(fixed_program["states"]) != self.state_names:
                raise ValueError("the float and fixed programs are of different neurons (their states differ)")
            for i, t in enumerate(fixed_program["tables"]):
                self.register_buffer(f"table{i}", torch.tensor(t["entries"], dtype=torch.int64), persistent=False)

    # ----------------------------------------------------------------- state
    def init_state(self, like: torch.Tensor, quantized: bool = False):
        """The initial state, shaped like ``like`` (floats, or the integers of the formats)."""
        if quantized:
            self._need_fixed()
            return self.State(*(torch.full_like(like, self.fixed["init"][s], dtype=torch.int64)
                                for s in self.state_names))
        return self.State(*(torch.full_like(like, float(self.prog["init"][s])) for s in self.state_names))

    def _need_fixed(self):
        if self.fixed is None:
            raise ValueError("quantized=True needs the compiled program: EquationCell(float_program, "
                             "neuron.compile().program())")

    # ----------------------------------------------------------------- float
    def _poly(self, poly, vals, atoms, cache):
        total = None
        for coef, mono in poly:
            term = None
            for a in mono:
                x = self._atom(a, vals, atoms, cache)
                term = x if term is None else term * x
            term = torch.as_tensor(coef, dtype=vals[0].dtype, device=vals[0].device) if term is None else coef * term
            total = term if total is None else total + term
        return total if total is not None else torch.zeros((), dtype=vals[0].dtype, device=vals[0].device)

    def _atom(self, a, vals, atoms, cache):
        atom = atoms[a]
        if atom["kind"] == "value":
            return vals[atom["ref"]]
        if a not in cache:
            args = [self._poly(p, vals, atoms, cache) for p in atom["args"]]
            kind = atom["kind"]
            if kind == "min":
                out = torch.minimum(*torch.broadcast_tensors(*args))
            elif kind == "max":
                out = torch.maximum(*torch.broadcast_tensors(*args))
            elif kind == "abs":
                out = torch.abs(args[0])
            else:
                out = _LUT[atom["name"]](args[0])
            cache[a] = out
        return cache[a]

    def _float_step(self, current, state):
        vals, atoms, cache = [], self.prog["atoms"], {}
        for v in self.prog["values"]:
            kind = v["kind"]
            if kind == "state":
                vals.append(getattr(state, v["name"]))
            elif kind == "param":
                vals.append(torch.as_tensor(v["default"], dtype=current.dtype, device=current.device))
            elif kind == "input":
                vals.append(current)
            elif kind == "assign":
                vals.append(self._poly(v["poly"], vals, atoms, cache))
            elif kind == "spike":
                x = self._poly(v["poly"], vals, atoms, cache)
                vals.append(self.surrogate_fn(x if v["op"] in (">", ">=") else -x))
            else:  # select: x + s (r - x), the spike detached
                s, r, old = vals[v["cond"]], vals[v["a"]], vals[v["b"]]
                vals.append(old + s.detach() * (r - old))
        spike = vals[self.prog["spike"]] if self.prog["spike"] is not None else torch.zeros_like(current)
        nxt = self.State(*(vals[self.prog["next_state"][s]] + torch.zeros_like(current) for s in self.state_names))
        return spike + torch.zeros_like(current), nxt

    # ----------------------------------------------------------------- integers
    def quantize_current(self, current: torch.Tensor) -> torch.Tensor:
        """Float currents -> integers of ``I``'s format: ``floor(x * 2**n + 0.5)``, saturated; NaN raises."""
        self._need_fixed()
        if torch.isnan(current).any():
            raise ValueError("cannot quantise NaN currents")
        ib, fb = self.fixed["formats"]["I"]
        lo, hi = -(1 << (ib + fb - 1)), (1 << (ib + fb - 1)) - 1
        q = torch.floor(current.double().clamp(-(2.0**62), 2.0**62) * (1 << fb) + 0.5)
        return q.clamp(lo, hi).to(torch.int64)

    def _int_step(self, current: torch.Tensor, state):
        ops = self.fixed["ops"]
        vals: list = [None] * len(ops)
        for name, idx in self.fixed["state_ops"].items():
            vals[idx] = getattr(state, name).to(torch.int64)
        vals[self.fixed["input_op"]] = current
        for name, idx in self.fixed.get("param_ops", {}).items():
            vals[idx] = torch.tensor(self.fixed["params"][name], dtype=torch.int64, device=current.device)
        for i, op in enumerate(ops):
            if vals[i] is None:
                vals[i] = self._int_op(op, vals, current)
        shape = current.shape
        nxt = self.State(*(torch.broadcast_to(vals[self.fixed["next_state"][s]], shape).clone()
                           for s in self.state_names))
        spike = (torch.broadcast_to(vals[self.fixed["spike"]], shape).to(current.dtype if current.is_floating_point()
                                                                          else torch.float32)
                 if self.fixed["spike"] is not None else torch.zeros(shape))
        return spike.float(), nxt

    def _int_op(self, op, vals, like):
        kind, k, args = op["kind"], op["k"], op["args"]
        a = vals[args[0]] if args else None
        b = vals[args[1]] if len(args) > 1 else None
        if kind == "const":
            return torch.tensor(k, dtype=torch.int64, device=like.device)
        if kind == "mul":
            return a * b
        if kind == "add":
            return a + b
        if kind == "sub":
            return a - b
        if kind == "neg":
            return -a
        if kind == "shl":
            return torch.bitwise_left_shift(a, k)
        if kind == "shr":
            return torch.bitwise_right_shift(a + (1 << (k - 1)) if op["mode"] == "round" else a, k)
        if kind == "min":
            return torch.minimum(*torch.broadcast_tensors(a, b))
        if kind == "max":
            return torch.maximum(*torch.broadcast_tensors(a, b))
        if kind == "abs":
            return torch.abs(a)
        if kind == "fit":
            half = 1 << (k - 1)
            if op["mode"] == "saturate":
                return torch.clamp(a, -half, half - 1)
            return torch.bitwise_and(a + half, (1 << k) - 1) - half
        if kind == "lut":
            t = self.fixed["tables"][k]
            idx = torch.clamp(a, t["lo_i"], t["lo_i"] + len(t["entries"]) - 1) - t["lo_i"]
            return getattr(self, f"table{k}").to(idx.device)[idx]
        if kind == "cmp":
            return {">": torch.gt, ">=": torch.ge, "<": torch.lt, "<=": torch.le}[op["mode"]](a, b).to(torch.int64)
        if kind == "select":
            return torch.where(a != 0, b, vals[args[2]])
        raise AssertionError(f"unknown operation {kind!r}")

    # ----------------------------------------------------------------- running
    def forward(self, current: torch.Tensor, state=None, *, quantized: bool = False):
        """One step: ``(spike, new_state)``.  ``quantized``: ``current`` float (rounded into ``I``'s format)
        or already integers; the state holds integers."""
        if not isinstance(current, torch.Tensor):
            raise TypeError(f"EquationCell expects a torch.Tensor current, not {type(current).__name__}")
        if quantized:
            self._need_fixed()
            cur = current if not current.is_floating_point() else self.quantize_current(current)
            state = self.init_state(cur, quantized=True) if state is None else self.State(*state)
            with torch.no_grad():
                return self._int_step(cur.to(torch.int64), state)
        if not current.is_floating_point():
            raise TypeError(f"the float forward expects floating-point currents, not {current.dtype}")
        state = self.init_state(current) if state is None else self.State(*state)
        return self._float_step(current, state)

    def sequence(self, currents: torch.Tensor, state=None, *, quantized: bool = False):
        """``T`` steps over ``currents`` ``(T, ...)``: ``(spikes (T, ...), {state: (T, ...)}, final state)``."""
        spikes, trace = [], {s: [] for s in self.state_names}
        for current in currents.unbind(0):
            spike, state = self(current, state, quantized=quantized)
            spikes.append(spike)
            for s in self.state_names:
                trace[s].append(getattr(state, s))
        return torch.stack(spikes), {s: torch.stack(v) for s, v in trace.items()}, state
