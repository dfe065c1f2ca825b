"""Front end of the equation compiler: Brian2-style neuron equations -> an exact symbolic step.

The published names, on our semantics::

    from sc_neurocore.compiler.equation_compiler import from_equations

    lif = from_equations("dv/dt = -v/tau + I", threshold="v > 1", reset="v = 0",
                         params={"tau": 10.0}, init={"v": 0.0}, dt=1.0)
    fixed = lif.compile()                 # the fixed-point form (Q8.8, saturate, truncate)
    spikes, states = fixed.run(currents)  # the bit-exact NumPy stepper over a batch

``from_equations`` returns an :class:`EquationNeuron`: the step as a list of exact values
(:mod:`.symbolic`), its float64 dynamics (:meth:`EquationNeuron.run_float`) and
:meth:`EquationNeuron.compile`, which lowers it to the fixed-point form
(:class:`~sc_neurocore.compiler.ir.FixedNeuron`) that every back-end reads: the NumPy stepper
(:mod:`.numpy_backend`), the Amaranth component and its Verilog (``sc_neurocore.hw.equation``:
``compile_to_verilog``, ``equation_to_fpga``), the cocotb testbench
(``sc_neurocore.sim.equation``: ``generate_testbench``) and the torch cell
(``sc_neurocore.training.equation_cell``, which receives the compiled program as plain data).

Layering: this package is at the level of the number contract (``sc_neurocore.sc``): it imports
``sc_neurocore.sc.contract`` and nothing else of ours; ``hw`` and ``sim`` import it, never the
other way; ``training`` does not import it.

The language (``docs/sc-arithmetic.md`` section 11 gives the arithmetic):

* ``dx/dt = expr`` -- an ODE, integrated with ``method``: ``"euler"`` (``x += dt * expr``) or
  ``"exponential_euler"`` (exact for ``dx/dt = A x + B`` with a constant ``A``: ``x = x e^(A dt)
  + B (e^(A dt) - 1) / A``, the Lapicque form).  Consecutive ODE lines are one step: every
  right-hand side reads the values before any of them is written.
* ``x = expr`` (also ``x += expr``, ``x -= expr``, ``x *= expr``) -- a discrete update; statements run
  in the order written and read the latest values.  An optional ``: 1`` (dimensionless) may
  follow; other units are refused.
* ``threshold="lhs > rhs"`` (``>``, ``>=``, ``<``, ``<=``) after the updates; ``reset="x = ...; y = ..."``
  runs, in order, where the neuron spiked.
* Names: the input current ``I``; ``dt``; ``params`` and ``constants`` (numbers, folded at compile
  time) -- except the params named in ``runtime``, which stay inputs of the step (a per-layer value the
  engine holds in a register; their value in ``params`` is their default; ``runtime`` as a dict
  ``{name: (lo, hi)}`` also declares the range each takes, ``None`` for its format's edge: the range
  analysis then starts from it, and a value outside it is refused); state variables (an ODE's variable, a name in ``init``, a name read before it is assigned in
  a step, a name the reset assigns, a name assigned and never read; they start at ``init``
  or 0); every other assigned name is a temporary of the step (assigned, then read in the same step).
* Expressions: ``+ - * /``, ``**`` with a non-negative integer exponent, numbers, ``min``, ``max``,
  ``abs``, ``clip(x, lo, hi)`` and the table functions ``exp``, ``log``, ``sqrt``, ``tanh``,
  ``sigmoid``, ``sin``, ``cos`` -- each over an input range declared in ``domains`` (its input is
  clamped to that range in fixed point).  Division only by constants.

Whatever cannot be compiled raises :class:`EquationError` (a ``ValueError``) whose message names
the expression and the reason.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .functions import EXACT_FUNCTIONS, KNOWN_FUNCTIONS, LUT_FUNCTIONS, lut_eval
from .symbolic import Atom, AtomTable, Poly

__all__ = ["EquationError", "EquationNeuron", "Value", "from_equations", "METHODS", "THRESHOLD_OPS"]

#: Integration methods for ``dx/dt`` lines.
METHODS = ("euler", "exponential_euler")
#: Comparisons a threshold may use.
THRESHOLD_OPS = {ast.Gt: ">", ast.GtE: ">=", ast.Lt: "<", ast.LtE: "<="}
#: Names the language reserves.
INPUT_NAME = "I"
RESERVED = (INPUT_NAME, "dt")

_ODE_RE = re.compile(r"^d\s*([A-Za-z_]\w*)\s*/\s*dt\s*=(?!=)(.*)$", re.S)
_ASSIGN_RE = re.compile(r"^([A-Za-z_]\w*)\s*(\+=|-=|\*=|=)(?!=)(.*)$", re.S)
_UNIT_RE = re.compile(r"^(.*?)(?::\s*([^:]*))?$", re.S)


class EquationError(ValueError):
    """An equation the compiler refuses: ``expression`` (the text) and ``reason``."""

    def __init__(self, expression: str, reason: str):
        self.expression, self.reason = expression, reason
        super().__init__(f"{expression!r}: {reason}" if expression else reason)


@dataclass(frozen=True)
class Value:
    """One value of the step.

    ``kind``: ``"state"`` (a state variable at the start of the step), ``"input"`` (``I``), ``"param"`` (a
    runtime parameter, ``default`` its value),
    ``"assign"`` (``poly`` rounded into the format of signal ``name``), ``"select"`` (``spike ? a : b``,
    a reset statement), ``"spike"`` (``poly <op> 0``, the threshold).
    """

    kind: str
    name: str
    text: str = ""
    poly: Poly | None = None
    op: str = ""
    cond: int = -1
    a: int = -1
    b: int = -1
    default: float = 0.0


@dataclass(frozen=True)
class _Statement:
    kind: str  # "ode" | "assign"
    target: str
    expr: ast.expr
    text: str


def _number(name: str, value) -> Fraction:
    """A finite real number as the exact decimal it prints as (``0.1`` -> 1/10)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating, Fraction)):
        raise EquationError("", f"{name} must be a number, not {value!r}")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, (int, np.integer)):
        return Fraction(int(value))
    if not math.isfinite(float(value)):
        raise EquationError("", f"{name} must be finite, not {value!r}")
    return Fraction(repr(float(value)))


def _split(text: str, what: str) -> list[str]:
    if not isinstance(text, str):
        raise EquationError("", f"{what} must be a string, not {text!r}")
    parts = [p.strip() for p in re.split(r"[;\n]", text)]
    return [p for p in parts if p and not p.startswith("#")]


def _parse_expr(src: str, text: str) -> ast.expr:
    try:
        tree = ast.parse(src.strip(), mode="eval")
    except SyntaxError as exc:
        raise EquationError(text, f"not an expression ({exc.msg})") from None
    return tree.body


def _parse_statement(text: str) -> _Statement:
    body, unit = _UNIT_RE.match(text).groups()
    if unit is not None and unit.strip() not in ("1", ""):
        raise EquationError(text, f"units are not supported ({unit.strip()!r}): values are dimensionless, "
                                  "write ': 1' or nothing")
    body = body.strip()
    m = _ODE_RE.match(body)
    if m:
        return _Statement("ode", m.group(1), _parse_expr(m.group(2), text), text)
    m = _ASSIGN_RE.match(body)
    if m:
        target, op, rhs = m.groups()
        expr = _parse_expr(rhs, text)
        if op != "=":
            binop = {"+=": ast.Add(), "-=": ast.Sub(), "*=": ast.Mult()}[op]
            expr = ast.BinOp(ast.Name(target, ast.Load()), binop, expr)
        return _Statement("assign", target, expr, text)
    raise EquationError(text, "not an equation: write 'dx/dt = expression' or 'x = expression'")


def _reads(node: ast.AST) -> list[str]:
    """Names an expression reads (function names excluded), each once."""
    funcs = {id(c.func) for c in ast.walk(node) if isinstance(c, ast.Call)}
    out: list[str] = []
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and id(n) not in funcs and n.id not in out:
            out.append(n.id)
    return out


class EquationNeuron:
    """A neuron model compiled from equations: an exact symbolic step, its float dynamics and its
    fixed-point compilation.  Built by :func:`from_equations`; see the module docstring.

    Attributes
    ----------
    states : tuple of str
        State variables, in the order they were first seen.
    temporaries : tuple of str
        Names assigned in a step that do not persist.
    init : dict
        Initial value of every state (float).
    params, constants : dict
        The folded numbers (exact ``Fraction``).
    dt : Fraction
    method : str
    domains : dict
        Declared input range ``(lo, hi)`` of each table function used.
    values : list of :class:`Value`
        The step, in evaluation order; ``atoms`` interns the monomials' factors.
    next_state : dict
        State name -> index of the value it holds after the step.
    spike : int or None
        Index of the threshold's value (``None``: the neuron never spikes).
    runtime : dict
        Runtime parameters (inputs of the step) and their defaults (float).
    bounds : dict
        Declared range ``(lo, hi)`` (``Fraction`` or ``None``) of each runtime parameter.
    """

    def __init__(self, *, equations, threshold, reset, params, constants, init, dt, method, domains):
        self.equations = tuple(equations)
        self.threshold_text = threshold
        self.reset_text = reset
        self.params = dict(params)
        self.constants = dict(constants)
        self.dt = dt
        self.method = method
        self.domains = dict(domains)
        self.atoms = AtomTable()
        self.values: list[Value] = []
        self.next_state: dict[str, int] = {}
        self.spike: int | None = None
        self.states: tuple[str, ...] = ()
        self.temporaries: tuple[str, ...] = ()
        self.init: dict[str, float] = {}
        self.runtime: dict[str, float] = {}
        self.bounds: dict[str, tuple] = {}
        self.used_functions: set[str] = set()

    # ----------------------------------------------------------------- float dynamics
    def initial_state(self, n: int = 1) -> dict[str, np.ndarray]:
        """``{state: float64 array of n}`` at the initial values."""
        return {s: np.full(n, float(self.init[s])) for s in self.states}

    def step_float(self, state: Mapping[str, np.ndarray], current,
                   params: Mapping[str, float] | None = None) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """One step in float64 over a batch: ``(next_state, spike)`` (spikes 0.0 / 1.0); ``params`` sets
        runtime parameters (default: their values in ``params`` of :func:`from_equations`).

        The exact folded coefficients as float64 and the table functions as their exact maths (no
        input clamp: the declared range is a matter of the fixed-point form).
        """
        cur = np.asarray(current, dtype=np.float64)
        vals: list = []
        atom_cache: dict[int, np.ndarray] = {}
        given = dict(params or {})
        for k in given:
            if k not in self.runtime:
                raise ValueError(f"{k!r} is not a runtime parameter of this neuron ({', '.join(self.runtime) or 'none'})")
        for v in self.values:
            if v.kind == "param":
                vals.append(np.asarray(given.get(v.name, v.default), dtype=np.float64))
                continue
            vals.append(self._float_value(v, state, cur, vals, atom_cache))
        nxt = {s: np.broadcast_to(vals[i], cur.shape).astype(np.float64) for s, i in self.next_state.items()}
        spike = (np.broadcast_to(vals[self.spike], cur.shape).astype(np.float64) if self.spike is not None
                 else np.zeros(cur.shape))
        return nxt, spike

    def _float_value(self, v: Value, state, cur, vals, cache):
        if v.kind == "state":
            return np.asarray(state[v.name], dtype=np.float64)
        if v.kind == "input":
            return cur
        if v.kind == "select":
            return np.where(vals[v.cond] > 0, vals[v.a], vals[v.b])
        x = self._float_poly(v.poly, vals, cache)
        if v.kind == "assign":
            return x
        return {">": x > 0, ">=": x >= 0, "<": x < 0, "<=": x <= 0}[v.op].astype(np.float64)

    def _float_poly(self, poly: Poly, vals, cache):
        total = 0.0
        for mono, c in poly.terms:
            term = float(c)
            for a in mono:
                term = term * self._float_atom(a, vals, cache)
            total = total + term
        return total

    def _float_atom(self, atom_id: int, vals, cache):
        atom = self.atoms.atoms[atom_id]
        if atom.kind == "value":
            return vals[atom.ref]
        if atom_id in cache:
            return cache[atom_id]
        args = [self._float_poly(p, vals, cache) for p in atom.args]
        if atom.kind == "min":
            out = np.minimum(args[0], args[1])
        elif atom.kind == "max":
            out = np.maximum(args[0], args[1])
        elif atom.kind == "abs":
            out = np.abs(args[0])
        else:
            out = lut_eval(atom.name, args[0])
        cache[atom_id] = out
        return out

    def run_float(self, currents, init: Mapping[str, float] | None = None, params: Mapping[str, float] | None = None):
        """``T`` steps of a batch: ``currents`` ``(T, N)`` float -> ``(spikes (T, N), {state: (T, N)})``.

        ``init`` overrides the initial values, ``params`` the runtime parameters.
        """
        cur = np.asarray(currents, dtype=np.float64)
        if cur.ndim == 1:
            cur = cur[:, None]
        if cur.ndim != 2 or not np.isfinite(cur).all():
            raise ValueError(f"currents must be a finite (T, N) array, not shape {cur.shape}")
        state = self.initial_state(cur.shape[1])
        for k, x in (init or {}).items():
            if k not in state:
                raise ValueError(f"init names {k!r}, which is not a state of this neuron ({', '.join(self.states)})")
            state[k] = np.full(cur.shape[1], float(x))
        spikes = np.zeros(cur.shape)
        trace = {s: np.zeros(cur.shape) for s in self.states}
        for t in range(cur.shape[0]):
            state, spikes[t] = self.step_float(state, cur[t], params)
            for s in self.states:
                trace[s][t] = state[s]
        return spikes, trace

    # ----------------------------------------------------------------- fixed point
    def compile(self, fmt="Q8.8", *, formats: Mapping[str, object] | None = None, overflow: str = "saturate",
                rounding: str = "truncate", coef_frac: int = 16, lut_bits: int = 8, split_saturation: bool = False):
        """The fixed-point form (:class:`~sc_neurocore.compiler.ir.FixedNeuron`): every signal in ``fmt``
        (``"Q8.8"`` or a :class:`~sc_neurocore.sc.contract.FixedPoint`) unless ``formats`` names it
        (``{"v": "Q4.12", "I": "Q8.8"}``); ``overflow`` ``"saturate"`` | ``"wrap"``; ``rounding``
        ``"truncate"`` (floor) | ``"round"`` (half up); constants with ``coef_frac`` fraction bits;
        tables of at most ``2**lut_bits`` entries; ``split_saturation``: the threshold rearranged for a
        back-end that precomputes what needs no state (the same integers).  Rules: ``docs/sc-arithmetic.md``
        section 11."""
        from .ir import lower

        return lower(self, fmt, formats=formats, overflow=overflow, rounding=rounding, coef_frac=coef_frac,
                     lut_bits=lut_bits, split_saturation=split_saturation)

    def float_program(self) -> dict:
        """The float step as plain data (what the torch cell of ``sc_neurocore.training`` interprets).

        ``{"states", "init", "values": [...], "atoms": [...], "next_state", "spike"}``; a value is a
        dict with ``kind``, ``name`` and, by kind, ``poly`` (a list of ``[coefficient, [atom ids]]``),
        ``op``, ``cond``, ``a``, ``b``; an atom ``{"kind", "ref" | "name", "args": [poly, ...]}``.
        """
        def poly(p: Poly):
            return [[float(c), list(m)] for m, c in p.terms]

        values = []
        for v in self.values:
            d = {"kind": v.kind, "name": v.name}
            if v.kind == "param":
                d["default"] = v.default
            if v.poly is not None:
                d["poly"] = poly(v.poly)
            if v.kind == "spike":
                d["op"] = v.op
            if v.kind == "select":
                d.update(cond=v.cond, a=v.a, b=v.b)
            values.append(d)
        atoms = [{"kind": a.kind, "ref": a.ref, "name": a.name, "args": [poly(p) for p in a.args]}
                 for a in self.atoms.atoms]
        return {"states": list(self.states), "init": dict(self.init), "values": values, "atoms": atoms,
                "next_state": dict(self.next_state), "spike": self.spike}

    def __repr__(self):
        eqs = "; ".join(self.equations)
        return (f"EquationNeuron({eqs!r}, threshold={self.threshold_text!r}, reset={self.reset_text!r}, "
                f"states={self.states})")


class _Builder:
    """Turns parsed statements into the values of an :class:`EquationNeuron`."""

    def __init__(self, neuron: EquationNeuron, numbers: dict[str, Fraction]):
        self.n = neuron
        self.numbers = numbers  # folded names; runtime parameters are bound values instead
        self.bound: dict[str, int] = {}

    def add(self, value: Value) -> int:
        self.n.values.append(value)
        return len(self.n.values) - 1

    def value_atom(self, index: int) -> Poly:
        return Poly.atom(self.n.atoms.intern(Atom("value", ref=index)))

    # ----------------------------------------------------------------- expressions
    def expr(self, node: ast.expr, text: str) -> Poly:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise EquationError(text, f"{node.value!r} is not a number")
            return Poly.const(_number("a number", node.value))
        if isinstance(node, ast.Name):
            return self.name(node.id, text)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            x = self.expr(node.operand, text)
            return -x if isinstance(node.op, ast.USub) else x
        if isinstance(node, ast.BinOp):
            return self.binop(node, text)
        if isinstance(node, ast.Call):
            return self.call(node, text)
        if isinstance(node, ast.Compare):
            raise EquationError(text, "a comparison belongs in threshold=, not in an equation")
        raise EquationError(text, f"{ast.unparse(node)!r} is not supported (use + - * / **, numbers, names and "
                                  f"the functions {', '.join(KNOWN_FUNCTIONS)})")

    def name(self, name: str, text: str) -> Poly:
        if name in self.numbers:
            return Poly.const(self.numbers[name])
        if name in self.bound:
            return self.value_atom(self.bound[name])
        if name in KNOWN_FUNCTIONS:
            raise EquationError(text, f"{name} is a function: call it, {name}(...)")
        known = sorted(set(self.numbers) | set(self.bound))
        raise EquationError(text, f"unknown name {name!r} (known here: {', '.join(known)}; declare numbers in "
                                  "params= or constants=)")

    def binop(self, node: ast.BinOp, text: str) -> Poly:
        a = self.expr(node.left, text)
        if isinstance(node.op, ast.Pow):
            b = self.expr(node.right, text)
            if not b.is_const():
                raise EquationError(text, f"the exponent {ast.unparse(node.right)!r} is not a constant")
            e = b.const_value()
            if a.is_const():
                return self.fold(lambda x: x ** float(e), a, text, f"{ast.unparse(node)!r}")
            if e.denominator != 1 or e < 0:
                raise EquationError(text, f"{ast.unparse(node)!r}: a signal's power must be a non-negative integer, "
                                          f"not {float(e)!r} (use sqrt with a declared range, or a temporary)")
            if e > 8:
                raise EquationError(text, f"{ast.unparse(node)!r}: powers above 8 are not supported")
            return a.power(int(e))
        b = self.expr(node.right, text)
        if isinstance(node.op, ast.Add):
            return a + b
        if isinstance(node.op, ast.Sub):
            return a - b
        if isinstance(node.op, ast.Mult):
            return a * b
        if isinstance(node.op, ast.Div):
            if not b.is_const():
                raise EquationError(text, f"division by {self.describe(b)} ({ast.unparse(node.right)!r}): the "
                                          "fixed-point form divides only by constants")
            d = b.const_value()
            if d == 0:
                raise EquationError(text, f"division by zero ({ast.unparse(node.right)!r} is 0)")
            return a.scale(1 / d)
        raise EquationError(text, f"the operator in {ast.unparse(node)!r} is not supported (use + - * / **)")

    def describe(self, poly: Poly) -> str:
        """'the state variable v' / 'the input I' / 'the signal x' for the first value a poly reads."""
        for aid in sorted(poly.atom_ids()):
            for ref in sorted(self.n.atoms.atoms[aid].values()):
                v = self.n.values[ref]
                if v.kind == "state":
                    return f"the state variable {v.name!r}"
                if v.kind == "input":
                    return f"the input {v.name!r}"
                if v.kind == "param":
                    return f"the runtime parameter {v.name!r}"
                return f"the signal {v.name!r}"
        return "a signal"

    def fold(self, fn, arg: Poly, text: str, what: str) -> Poly:
        try:
            value = float(fn(float(arg.const_value())))
        except (OverflowError, ValueError, ZeroDivisionError):
            value = math.nan
        if not math.isfinite(value):
            raise EquationError(text, f"{what} of the constant {float(arg.const_value())!r} is not a finite number")
        return Poly.const(_number(what, value))

    def call(self, node: ast.Call, text: str) -> Poly:
        if not isinstance(node.func, ast.Name) or node.keywords:
            raise EquationError(text, f"{ast.unparse(node)!r}: call a function by name with positional arguments")
        fname = node.func.id
        if fname not in KNOWN_FUNCTIONS:
            raise EquationError(text, f"unknown function {fname!r} (the compiler knows: {', '.join(KNOWN_FUNCTIONS)})")
        want = EXACT_FUNCTIONS.get(fname, 1)
        if len(node.args) != want:
            raise EquationError(text, f"{fname} takes {want} argument{'s' if want > 1 else ''}, not {len(node.args)}")
        args = [self.expr(a, text) for a in node.args]
        if fname == "clip":
            lo, hi = args[1], args[2]
            return self.minmax("min", self.minmax("max", args[0], lo), hi)
        if fname in ("min", "max"):
            return self.minmax(fname, *args)
        if fname == "abs":
            if args[0].is_const():
                return Poly.const(abs(args[0].const_value()))
            return Poly.atom(self.n.atoms.intern(Atom("abs", args=(args[0],))))
        # a table function
        if args[0].is_const():
            return self.fold(lambda x: lut_eval(fname, x), args[0], text, f"{fname}(...)")
        if fname not in self.n.domains:
            raise EquationError(text, f"{ast.unparse(node)!r}: {fname} of a signal needs a declared input range: "
                                      f"pass domains={{'{fname}': (lo, hi)}} (its input is clamped to it)")
        self.n.used_functions.add(fname)
        return Poly.atom(self.n.atoms.intern(Atom("lut", name=fname, args=(args[0],))))

    def minmax(self, kind: str, a: Poly, b: Poly) -> Poly:
        if a.is_const() and b.is_const():
            pick = min if kind == "min" else max
            return Poly.const(pick(a.const_value(), b.const_value()))
        return Poly.atom(self.n.atoms.intern(Atom(kind, args=(a, b))))


def _check_names(kind: str, mapping, taken: dict[str, str]) -> dict[str, Fraction]:
    if mapping is None:
        return {}
    if not isinstance(mapping, Mapping):
        raise EquationError("", f"{kind} must be a dict of name -> number, not {mapping!r}")
    out = {}
    for name, value in mapping.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise EquationError("", f"{kind} name {name!r} is not an identifier")
        if name in taken:
            raise EquationError("", f"{name!r} is given twice: in {taken[name]} and in {kind}")
        if name in RESERVED or name in KNOWN_FUNCTIONS:
            raise EquationError("", f"{name!r} in {kind} is reserved (the input I, dt, and the function names)")
        out[name] = _number(f"{kind}[{name!r}]", value)
        taken[name] = kind
    return out


def _check_domains(domains) -> dict[str, tuple[float, float]]:
    if domains is None:
        return {}
    if not isinstance(domains, Mapping):
        raise EquationError("", f"domains must be a dict of function -> (lo, hi), not {domains!r}")
    out = {}
    for fname, span in domains.items():
        if fname not in LUT_FUNCTIONS:
            raise EquationError("", f"domains[{fname!r}]: not a table function (those are: "
                                    f"{', '.join(LUT_FUNCTIONS)})")
        try:
            lo, hi = (float(x) for x in span)
        except (TypeError, ValueError):
            raise EquationError("", f"domains[{fname!r}] must be a pair (lo, hi), not {span!r}") from None
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise EquationError("", f"domains[{fname!r}] = {span!r}: need finite lo < hi")
        f_lo, f_hi = (float(lut_eval(fname, x)) for x in (lo, hi))
        acc_lo, acc_hi = LUT_FUNCTIONS[fname][1]
        if lo < acc_lo or hi > acc_hi or not (math.isfinite(f_lo) and math.isfinite(f_hi)):
            raise EquationError("", f"domains[{fname!r}] = ({lo}, {hi}): {fname} is not finite over it")
        out[fname] = (lo, hi)
    return out


def _find_states(updates: list[_Statement], resets: list[_Statement], threshold_reads: list[str],
                 init: Mapping) -> list[str]:
    """State variables, in first-seen order (see the module docstring)."""
    assigned = [s.target for s in updates] + [s.target for s in resets]
    order: list[str] = []

    def mark(name):
        if name not in order:
            order.append(name)

    for s in updates:
        if s.kind == "ode":
            mark(s.target)
    for name in init:
        mark(name)
    done: set[str] = set()
    i = 0
    while i < len(updates):
        group = [updates[i]]
        if updates[i].kind == "ode":
            while i + len(group) < len(updates) and updates[i + len(group)].kind == "ode":
                group.append(updates[i + len(group)])
        for s in group:
            for name in _reads(s.expr):
                if name in assigned and name not in done:
                    mark(name)
        done |= {s.target for s in group}
        i += len(group)
    for name in threshold_reads:
        if name in assigned and name not in done:
            mark(name)
    read_anywhere = set(threshold_reads)
    for s in resets:
        for name in _reads(s.expr):
            if name in assigned and name not in done:
                mark(name)
        mark(s.target)  # a reset writes what persists
    for s in updates + resets:
        read_anywhere.update(_reads(s.expr))
    for name in assigned:  # assigned and never read: an output, kept as a state
        if name not in read_anywhere:
            mark(name)
    return [n for n in order if n in assigned]


def from_equations(*equations: str, threshold: str | None = None, reset: str | None = None,
                   params: Mapping[str, float] | None = None, init: Mapping[str, float] | None = None,
                   constants: Mapping[str, float] | None = None, dt: float = 1.0, method: str = "euler",
                   domains: Mapping[str, tuple[float, float]] | None = None, runtime=()) -> EquationNeuron:
    """An :class:`EquationNeuron` from Brian2-style equations (see the module docstring).

    ``equations``: one or more strings, each with one or more statements (separated by ``;`` or
    new lines).  ``threshold``: a comparison or ``None`` (never spikes).  ``reset``: statements run
    where the neuron spiked.  ``params``/``constants``: ``name -> number``.  ``init``: initial
    state values (default 0).  ``dt``: the step (> 0).  ``method``: one of :data:`METHODS`.
    ``domains``: ``function -> (lo, hi)``, the input range of each table function used.
    ``runtime``: names of ``params`` that stay inputs of the step (not folded), or a dict of those names to
    their declared ranges ``(lo, hi)`` (either ``None``: the format's edge).
    """
    taken: dict[str, str] = {}
    pars = _check_names("params", params, taken)
    consts = _check_names("constants", constants, taken)
    if method not in METHODS:
        raise EquationError("", f"method must be one of {METHODS}, not {method!r}")
    dt_q = _number("dt", dt)
    if dt_q <= 0:
        raise EquationError("", f"dt must be > 0, not {dt!r}")
    doms = _check_domains(domains)
    if init is not None and not isinstance(init, Mapping):
        raise EquationError("", f"init must be a dict of state -> number, not {init!r}")
    init = dict(init or {})
    init_q = {}
    for name, value in init.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise EquationError("", f"init name {name!r} is not an identifier")
        if name in taken or name in RESERVED:
            raise EquationError("", f"init[{name!r}]: {name!r} is {taken.get(name, 'reserved')}, not a state")
        init_q[name] = _number(f"init[{name!r}]", value)

    texts = [t for e in equations for t in _split(e, "an equation")]
    if not texts:
        raise EquationError("", "no equations given")
    updates = [_parse_statement(t) for t in texts]
    resets = [_parse_statement(t) for t in _split(reset, "reset")] if reset is not None else []
    for s in resets:
        if s.kind == "ode":
            raise EquationError(s.text, "a reset is a discrete update ('x = ...'), not an ODE")
    seen_ode: set[str] = set()
    for s in updates + resets:
        if s.target in taken or s.target in RESERVED:
            what = taken.get(s.target, "the input current" if s.target == INPUT_NAME else "the time step")
            raise EquationError(s.text, f"{s.target!r} is {what}: it cannot be assigned")
        if s.kind == "ode":
            if s.target in seen_ode:
                raise EquationError(s.text, f"a second ODE for {s.target!r}")
            seen_ode.add(s.target)
    th_expr = None
    if threshold is not None:
        if not isinstance(threshold, str):
            raise EquationError("", f"threshold must be a string, not {threshold!r}")
        th_expr = _parse_expr(threshold, threshold)
        if not (isinstance(th_expr, ast.Compare) and len(th_expr.ops) == 1
                and type(th_expr.ops[0]) in THRESHOLD_OPS):
            raise EquationError(threshold, "a threshold is one comparison: 'lhs > rhs' (or >=, <, <=)")

    assigned = {s.target for s in updates + resets}
    for name in init_q:
        if name not in assigned:
            raise EquationError("", f"init names {name!r}, which no equation assigns (a number belongs in params=)")
    neuron = EquationNeuron(equations=texts, threshold=threshold, reset=reset, params=pars, constants=consts,
                            init=init, dt=dt_q, method=method, domains=doms)
    states = _find_states(updates, resets, _reads(th_expr) if th_expr is not None else [], init_q)
    neuron.states = tuple(states)
    if isinstance(runtime, str) or not all(isinstance(r, str) for r in runtime):
        raise EquationError("", f"runtime must be a sequence of parameter names, not {runtime!r}")
    for r in runtime:
        if r not in pars:
            raise EquationError("", f"runtime names {r!r}, which is not in params")
    bounds = _check_bounds(runtime, pars) if isinstance(runtime, Mapping) else {}
    numbers = {k: v for k, v in {**pars, **consts, "dt": dt_q}.items() if k not in runtime}
    b = _Builder(neuron, numbers)
    for r in dict.fromkeys(runtime):
        b.bound[r] = b.add(Value("param", r, default=float(pars[r])))
        neuron.runtime[r] = float(pars[r])
    neuron.bounds = bounds
    for s in states:
        b.bound[s] = b.add(Value("state", s))
    b.bound[INPUT_NAME] = b.add(Value("input", INPUT_NAME))
    _build_updates(b, updates, method, dt_q)
    if th_expr is not None:
        op = THRESHOLD_OPS[type(th_expr.ops[0])]
        diff = b.expr(th_expr.left, threshold) - b.expr(th_expr.comparators[0], threshold)
        if diff.is_const():
            raise EquationError(threshold, "the threshold reads no signal: it is always "
                                           f"{'true' if _compare(op, diff.const_value()) else 'false'}")
        neuron.spike = b.add(Value("spike", "spike", threshold, diff, op=op))
    elif resets:
        raise EquationError(reset, "a reset needs a threshold")
    for s in resets:
        poly = b.expr(s.expr, s.text)
        new = b.add(Value("assign", s.target, s.text, poly))
        old = b.bound.get(s.target)
        b.bound[s.target] = b.add(Value("select", s.target, s.text, cond=neuron.spike, a=new,
                                        b=old if old is not None else new))
    neuron.next_state = {s: b.bound[s] for s in states}
    neuron.temporaries = tuple(dict.fromkeys(v.name for v in neuron.values
                                             if v.kind == "assign" and v.name not in states))
    neuron.init = {s: float(init_q.get(s, 0)) for s in states}
    return neuron


def _check_bounds(runtime: Mapping, pars: dict) -> dict[str, tuple]:
    """``{name: (lo, hi)}`` of declared runtime ranges, as Fractions or None; the default inside each."""
    out = {}
    for r, span in runtime.items():
        if span is None:
            span = (None, None)
        if isinstance(span, str) or not hasattr(span, "__len__") or len(span) != 2:
            raise EquationError("", f"runtime[{r!r}] must be a range (lo, hi), not {span!r}")
        lo, hi = (None if x is None else _number(f"runtime[{r!r}]", x) for x in span)
        if lo is not None and hi is not None and lo > hi:
            raise EquationError("", f"runtime[{r!r}] = {span!r} is an empty range")
        if (lo is not None and pars[r] < lo) or (hi is not None and pars[r] > hi):
            raise EquationError("", f"params[{r!r}] = {float(pars[r])!r} lies outside its declared range {span!r}")
        out[r] = (lo, hi)
    return out


def _compare(op: str, x) -> bool:
    return {">": x > 0, ">=": x >= 0, "<": x < 0, "<=": x <= 0}[op]


def _build_updates(b: _Builder, updates: list[_Statement], method: str, dt: Fraction) -> None:
    i = 0
    while i < len(updates):
        s = updates[i]
        if s.kind == "assign":
            b.bound[s.target] = b.add(Value("assign", s.target, s.text, b.expr(s.expr, s.text)))
            i += 1
            continue
        group = [s]
        while i + len(group) < len(updates) and updates[i + len(group)].kind == "ode":
            group.append(updates[i + len(group)])
        new = [(g, _integrate(b, g, method, dt)) for g in group]  # every right-hand side before any write
        for g, poly in new:
            b.bound[g.target] = b.add(Value("assign", g.target, g.text, poly))
        i += len(group)


def _integrate(b: _Builder, s: _Statement, method: str, dt: Fraction) -> Poly:
    rhs = b.expr(s.expr, s.text)
    x = b.name(s.target, s.text)
    if method == "euler":
        return x + rhs.scale(dt)
    # exponential Euler: rhs = A x + B, A constant, B free of x
    (x_atom,) = x.terms[0][0]
    a = rhs.coefficient((x_atom,))
    rest = rhs.without((x_atom,))
    x_ref = b.n.atoms.atoms[x_atom].ref
    for mono, _ in rest.terms:
        for aid in mono:
            if x_ref in b.n.atoms.atoms[aid].values():
                raise EquationError(s.text, f"exponential_euler needs dx/dt = A*{s.target} + B with a constant A and "
                                            f"B free of {s.target}; this right-hand side is not linear in {s.target}")
    if a == 0:
        return x + rest.scale(dt)
    e = _number("exp(A dt)", math.exp(float(a * dt)))
    return x.scale(e) + rest.scale((e - 1) / a)
