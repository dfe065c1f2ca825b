"""The fixed-point intermediate form: one integer program per neuron that every back-end reads.

:func:`lower` turns an :class:`~sc_neurocore.compiler.equation_compiler.EquationNeuron` into a
:class:`FixedNeuron`: a list of integer operations (:class:`Op`, in SSA order), the lookup tables
(:class:`Table`) and, per signal, its format (``FixedPoint``, signed ``Qm.n``).  The rules
(``docs/sc-arithmetic.md`` section 11):

* **Constants** (every folded coefficient and additive constant) are rounded once, half up, to
  ``coef_frac`` fraction bits: ``c -> m / 2**s`` with ``m = floor(c * 2**coef_frac + 1/2)``, then the
  trailing zero bits of ``m`` are moved into ``s`` (so ``0.5 * v`` is ``v`` with its point moved one
  bit: a shift, no multiplier; ``230/256 * v`` is ``115 * v`` at 7 more fraction bits).  A non-zero
  constant that rounds to 0 is refused.
* **Expressions are exact**: products, sums, ``min``/``max``/``abs`` and comparisons of integers, the
  operands aligned on the finest binary point by left shifts; nothing is rounded inside a statement.
* **One rounding per assignment**: the exact result, at ``D`` fraction bits, goes to the target's
  ``n`` fraction bits by ``>> (D - n)`` -- ``rounding="truncate"``: floor (arithmetic shift);
  ``"round"``: ``(x + 2**(D-n-1)) >> (D - n)`` (half up) -- then to its range: ``overflow="saturate"``
  clips to ``[min_int, max_int]``, ``"wrap"`` keeps the low ``m + n`` bits (two's complement).
* **Tables**: a function of a signal reads a table of ``f`` at the points ``(lo_i + j) / 2**k``,
  ``j = 0 .. N-1``, over the declared range: its input is rounded to ``k`` fraction bits (the finest
  step with ``N <= 2**lut_bits`` entries) as above, clamped to ``[lo_i, lo_i + N - 1]``; the entries are
  ``floor(f(x) * 2**coef_frac + 1/2)``.
* **Threshold**: ``lhs - rhs`` exactly, compared with 0; the reset statements are assignments whose
  result is selected where the neuron spiked.  Their range analysis knows that the threshold held: a
  signal that enters it alone (``v`` of ``v > theta``) reaches the resets with the bound the comparison
  gives (``v >= theta_lo + 2**-n``), so ``v - theta`` after a spike needs no saturation when ``theta``'s
  declared range (``runtime={"theta": (lo, hi)}``) keeps it in the format.

Every operation carries the interval of integers it can take (a range analysis from the formats
of the state and the input); an operation that could need more than 63 bits (the NumPy and torch
back-ends compute in int64) is refused, as is a constant assignment outside its format.
:attr:`FixedNeuron.ranges` reports, per assigned signal, the interval it can reach before and
after it is held to its format.

Imports of ours: :mod:`sc_neurocore.sc.contract` (``FixedPoint``) and this package.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np

from ..sc.contract import FixedPoint
from .equation_compiler import EquationError, EquationNeuron, Value
from .functions import lut_eval
from .symbolic import Poly

__all__ = ["Op", "Table", "RangeRow", "FixedNeuron", "lower", "input_only", "parse_format", "format_name", "OVERFLOW", "ROUNDING",
           "INT_LIMIT"]

OVERFLOW = ("saturate", "wrap")
ROUNDING = ("truncate", "round")
#: Every intermediate integer stays within [-INT_LIMIT, INT_LIMIT - 1] (int64 with a bit to spare).
INT_LIMIT = 1 << 62

_Q_RE = re.compile(r"^\s*[Qq]\s*(\d+)\s*\.\s*(\d+)\s*$")


def parse_format(fmt) -> FixedPoint:
    """``"Q8.8"`` (signed, ``m`` integer bits counting the sign, ``n`` fraction bits) or a signed
    ``FixedPoint`` -> ``FixedPoint``; anything else raises ``ValueError``."""
    if isinstance(fmt, FixedPoint):
        if not fmt.signed:
            raise ValueError(f"formats are signed; {fmt!r} is unsigned")
        return fmt
    m = _Q_RE.match(fmt) if isinstance(fmt, str) else None
    if not m:
        raise ValueError(f"a format is written Qm.n (m integer bits with the sign, n fraction bits, e.g. Q8.8), "
                         f"not {fmt!r}")
    ib, fb = int(m.group(1)), int(m.group(2))
    if ib < 1 or not 2 <= ib + fb <= 32:
        raise ValueError(f"format {fmt!r}: need m >= 1 and 2 <= m + n <= 32")
    return FixedPoint(ib, fb, True)


def format_name(fmt: FixedPoint) -> str:
    return f"Q{fmt.int_bits}.{fmt.frac_bits}"


@dataclass(frozen=True)
class Op:
    """One integer operation; its result is an integer in ``[lo, hi]`` meaning ``value / 2**frac``.

    ``kind`` and operands (``args`` are indices of earlier operations):

    ========  ===========================================================================
    state     state variable ``name`` at the start of the step
    input     the input current ``I``
    const     the integer ``k``
    mul       ``a * b``
    add/sub   ``a + b`` / ``a - b``
    neg       ``-a``
    shl       ``a << k``
    shr       ``a >> k`` (floor); with ``mode="round"``: ``(a + 2**(k-1)) >> k``
    min/max   of ``a`` and ``b``
    abs       ``|a|``
    fit       ``a`` held to ``k`` bits: ``mode="saturate"`` clips to ``[lo, hi]``, ``"wrap"`` keeps the low bits
    lut       ``table[k].entries[clip(a, lo_i, lo_i + N - 1) - lo_i]``
    cmp       ``a <mode> b`` (``mode`` one of ``> >= < <=``), 0 or 1
    select    ``b if a else c`` (``args = (cond, then, else)``)
    ========  ===========================================================================
    """

    kind: str
    args: tuple = ()
    k: int = 0
    lo: int = 0
    hi: int = 0
    frac: int = 0
    mode: str = ""
    name: str = ""

    @property
    def width(self) -> int:
        """Bits of a signed integer that holds ``[lo, hi]``."""
        return max(self.lo.bit_length() if self.lo >= 0 else (-self.lo - 1).bit_length(),
                   self.hi.bit_length() if self.hi >= 0 else (-self.hi - 1).bit_length()) + 1


@dataclass(frozen=True)
class Table:
    """A function's lookup table: ``entries[j] = floor(f((lo_i + j) / 2**step_frac) * 2**frac + 1/2)``."""

    function: str
    domain: tuple
    step_frac: int
    lo_i: int
    frac: int
    entries: tuple

    @property
    def hi_i(self) -> int:
        return self.lo_i + len(self.entries) - 1


@dataclass(frozen=True)
class RangeRow:
    """Range analysis of one assignment: the exact result's real interval and the held one."""

    name: str
    text: str
    format: str
    exact: tuple
    held: tuple
    overflows: bool


@dataclass
class _Ctx:
    neuron: EquationNeuron
    formats: dict
    overflow: str
    rounding: str
    coef_frac: int
    lut_bits: int
    ops: list
    tables: list
    atom_cache: dict
    value_ops: dict
    text: str = ""
    memo: dict | None = None
    original: dict | None = None  # op index -> its Op outside the reset statements (refined inside them)


def _interval(kind, a, b, k, mode, ops, tables):
    """``(lo, hi)`` of an operation from its operands' intervals."""
    if kind == "mul":
        corners = [x * y for x in (a.lo, a.hi) for y in (b.lo, b.hi)]
        return min(corners), max(corners)
    if kind == "add":
        return a.lo + b.lo, a.hi + b.hi
    if kind == "sub":
        return a.lo - b.hi, a.hi - b.lo
    if kind == "neg":
        return -a.hi, -a.lo
    if kind == "shl":
        return a.lo << k, a.hi << k
    if kind == "shr":
        half = (1 << (k - 1)) if mode == "round" else 0
        return (a.lo + half) >> k, (a.hi + half) >> k
    if kind == "min":
        return min(a.lo, b.lo), min(a.hi, b.hi)
    if kind == "max":
        return max(a.lo, b.lo), max(a.hi, b.hi)
    if kind == "abs":
        if a.lo >= 0:
            return a.lo, a.hi
        if a.hi <= 0:
            return -a.hi, -a.lo
        return 0, max(-a.lo, a.hi)
    if kind == "lut":
        t = tables[k]
        j0 = min(max(a.lo, t.lo_i), t.hi_i) - t.lo_i
        j1 = min(max(a.hi, t.lo_i), t.hi_i) - t.lo_i
        seg = t.entries[j0:j1 + 1]
        return min(seg), max(seg)
    raise AssertionError(kind)


def _fold(kind: str, xs: list[int], k: int, mode: str, tables) -> int:
    """The value of an operation on constants (Python integers, the rules of :class:`Op`)."""
    a = xs[0]
    b = xs[1] if len(xs) > 1 else 0
    if kind == "shr":
        return (a + ((1 << (k - 1)) if mode == "round" else 0)) >> k
    if kind == "fit":
        half = 1 << (k - 1)
        return min(max(a, -half), half - 1) if mode == "saturate" else ((a + half) & ((1 << k) - 1)) - half
    if kind == "lut":
        t = tables[k]
        return t.entries[min(max(a, t.lo_i), t.hi_i) - t.lo_i]
    if kind == "cmp":
        return int({">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b}[mode])
    if kind == "select":
        return b if a else xs[2]
    return {"mul": lambda: a * b, "add": lambda: a + b, "sub": lambda: a - b, "neg": lambda: -a,
            "shl": lambda: a << k, "min": lambda: min(a, b), "max": lambda: max(a, b), "abs": lambda: abs(a)}[kind]()


def _emit(ctx: _Ctx, kind: str, args=(), *, k: int = 0, frac: int = 0, mode: str = "", name: str = "",
          lo: int | None = None, hi: int | None = None) -> int:
    if args and all(ctx.ops[i].kind == "const" for i in args):  # constants fold at compile time
        value = _fold(kind, [ctx.ops[i].k for i in args], k, mode, ctx.tables)
        kind, args, k, lo, hi, mode = "const", (), value, value, value, ""
    if lo is None:
        a = ctx.ops[args[0]] if args else None
        b = ctx.ops[args[1]] if len(args) > 1 else None
        lo, hi = _interval(kind, a, b, k, mode, ctx.ops, ctx.tables)
    if lo < -INT_LIMIT or hi > INT_LIMIT - 1:
        bits = Op(kind, lo=lo, hi=hi).width
        raise EquationError(ctx.text, f"an intermediate value needs {bits} bits, more than the 63 of the NumPy and "
                                      "torch back-ends (int64): give a product its own temporary (its own format) "
                                      "or use narrower formats")
    if args or kind == "const":  # the same operation on the same operands is one operation
        key = (kind, tuple(args), k, mode)
        memo = ctx.memo if ctx.memo is not None else {}
        ctx.memo = memo
        if key in memo:
            return memo[key]
        memo[key] = len(ctx.ops)
    ctx.ops.append(Op(kind, tuple(args), k, lo, hi, frac, mode, name))
    return len(ctx.ops) - 1


def _const(ctx: _Ctx, value: int, frac: int = 0) -> int:
    return _emit(ctx, "const", k=value, frac=frac, lo=value, hi=value)


def _quantise(ctx: _Ctx, c: Fraction, what: str) -> tuple[int, int]:
    """``c -> (m, s)`` with ``c ~= m / 2**s``, ``m`` odd (or 0 refused)."""
    m = math.floor(c * (1 << ctx.coef_frac) + Fraction(1, 2))
    if m == 0:
        raise EquationError(ctx.text, f"the constant {float(c)!r} ({what}) rounds to 0 at coef_frac={ctx.coef_frac} "
                                      "fraction bits: raise coef_frac")
    s = ctx.coef_frac
    while m % 2 == 0:
        m //= 2
        s -= 1
    return m, s


def _to_frac(ctx: _Ctx, idx: int, frac: int, to: int) -> int:
    """Bring an exact value to ``to`` fraction bits: a left shift, or the rounding right shift."""
    if frac <= to:
        return _align_frac(ctx, idx, frac, to)
    mode = "round" if ctx.rounding == "round" else "floor"
    return _emit(ctx, "shr", (idx,), k=frac - to, frac=to, mode=mode)


def _poly(ctx: _Ctx, poly: Poly) -> tuple[int, int]:
    """The exact value of a polynomial: ``(op index, fraction bits)``."""
    terms = []  # (op, frac, negative)
    for mono, c in poly.terms:
        what = "a constant term" if mono == () else f"the coefficient of {_describe(ctx, mono)}"
        m, s = _quantise(ctx, c, what)
        if mono == ():
            terms.append((_const(ctx, abs(m), s), s, m < 0))
            continue
        prod, f = _atom(ctx, mono[0])
        for aid in mono[1:]:
            other, g = _atom(ctx, aid)
            prod, f = _emit(ctx, "mul", (prod, other), frac=f + g), f + g
        if abs(m) != 1:
            prod = _emit(ctx, "mul", (prod, _const(ctx, abs(m))), frac=f + s)
        terms.append((prod, f + s, m < 0))
    if not terms:
        return _const(ctx, 0), 0
    d = max(f for _, f, _ in terms)
    acc = None
    for idx, f, neg in terms:
        idx = _align_frac(ctx, idx, f, d)
        if acc is None:
            acc = _emit(ctx, "neg", (idx,), frac=d) if neg else idx
        else:
            acc = _emit(ctx, "sub" if neg else "add", (acc, idx), frac=d)
    return acc, d


def _align_frac(ctx: _Ctx, idx: int, frac: int, to: int) -> int:
    """``idx`` holds an integer whose binary point is ``frac`` (the op's own ``frac`` may differ when a
    power-of-two coefficient moved it): left-shift it to ``to``."""
    return idx if frac == to else _emit(ctx, "shl", (idx,), k=to - frac, frac=to)


def _describe(ctx: _Ctx, mono: tuple) -> str:
    parts = []
    for aid in mono:
        atom = ctx.neuron.atoms.atoms[aid]
        parts.append(ctx.neuron.values[atom.ref].name if atom.kind == "value" else
                     f"{atom.name or atom.kind}(...)")
    return "*".join(parts)


def _atom(ctx: _Ctx, aid: int) -> tuple[int, int]:
    if aid in ctx.atom_cache:
        return ctx.atom_cache[aid]
    atom = ctx.neuron.atoms.atoms[aid]
    if atom.kind == "value":
        out = ctx.value_ops[atom.ref]
    elif atom.kind in ("min", "max"):
        (ia, fa), (ib, fb) = (_poly(ctx, p) for p in atom.args)
        d = max(fa, fb)
        out = _emit(ctx, atom.kind, (_align_frac(ctx, ia, fa, d), _align_frac(ctx, ib, fb, d)), frac=d), d
    elif atom.kind == "abs":
        ia, fa = _poly(ctx, atom.args[0])
        out = _emit(ctx, "abs", (ia,), frac=fa), fa
    else:
        out = _lut(ctx, atom)
    ctx.atom_cache[aid] = out
    return out


def _lut(ctx: _Ctx, atom) -> tuple[int, int]:
    ia, fa = _poly(ctx, atom.args[0])
    lo, hi = ctx.neuron.domains[atom.name]
    lo_f, hi_f = Fraction(repr(lo)), Fraction(repr(hi))
    step = None
    for k in range(max(fa, 0), -1, -1):
        lo_i, hi_i = math.floor(lo_f * 2**k), math.ceil(hi_f * 2**k)
        if hi_i - lo_i + 1 <= 1 << ctx.lut_bits:
            step = k, lo_i, hi_i
            break
    if step is None:
        raise EquationError(ctx.text, f"{atom.name} over ({lo}, {hi}) needs more than 2**{ctx.lut_bits} entries even "
                                      "at a step of 1: raise lut_bits or narrow domains")
    k, lo_i, hi_i = step
    xs = np.arange(lo_i, hi_i + 1, dtype=np.float64) * 2.0**-k
    ys = lut_eval(atom.name, xs)
    scaled = np.floor(ys * 2.0**ctx.coef_frac + 0.5)
    if not np.isfinite(scaled).all() or np.abs(scaled).max() >= INT_LIMIT:
        raise EquationError(ctx.text, f"{atom.name} over ({lo}, {hi}) reaches {float(np.abs(ys).max())!r}, which "
                                      f"does not fit 63 bits at coef_frac={ctx.coef_frac}: narrow domains")
    table = Table(atom.name, (lo, hi), k, lo_i, ctx.coef_frac, tuple(int(x) for x in scaled))
    ctx.tables.append(table)
    idx = _to_frac(ctx, ia, fa, k)
    return _emit(ctx, "lut", (idx,), k=len(ctx.tables) - 1, frac=ctx.coef_frac, name=atom.name), ctx.coef_frac


def _hold(ctx: _Ctx, idx: int, frac: int, fmt: FixedPoint, name: str) -> tuple[int, tuple, bool]:
    """Round an exact value into ``fmt`` and hold it to its range: ``(op, exact interval, overflows)``."""
    idx = _to_frac(ctx, idx, frac, fmt.frac_bits)
    op = ctx.ops[idx]
    exact = (op.lo, op.hi)
    overflows = op.lo < fmt.min_int or op.hi > fmt.max_int
    if overflows:
        if op.lo == op.hi:
            raise EquationError(ctx.text, f"the constant {op.lo / fmt.one!r} assigned to {name} does not fit "
                                          f"{format_name(fmt)} [{fmt.min_int / fmt.one}, {fmt.max_int / fmt.one}]")
        # saturate clips each end into the format (a value always below it holds min_int alone, not [min, below])
        lo, hi = ((min(max(op.lo, fmt.min_int), fmt.max_int), max(min(op.hi, fmt.max_int), fmt.min_int))
                  if ctx.overflow == "saturate" else (fmt.min_int, fmt.max_int))
        idx = _emit(ctx, "fit", (idx,), k=fmt.width, frac=fmt.frac_bits, mode=ctx.overflow, lo=lo, hi=hi, name=name)
    return idx, exact, overflows


class FixedNeuron:
    """The fixed-point form of an :class:`EquationNeuron` (built by :func:`lower`; see the module docstring).

    Attributes
    ----------
    neuron : EquationNeuron
    formats : dict[str, FixedPoint]
        Format of every state, temporary and of ``I``.
    overflow, rounding : str
    coef_frac, lut_bits : int
    ops : tuple of :class:`Op`
    tables : tuple of :class:`Table`
    states : tuple of str
    state_ops : dict[str, int]; input_op : int; param_ops : dict[str, int]
        The operations that read the state, ``I`` and the runtime parameters.
    next_state : dict[str, int]; spike : int or None
        The operations whose results are the step's outputs.
    init : dict[str, int]
        Initial state integers (``init`` rounded half up into each format).
    params : dict[str, int]
        Default of each runtime parameter, an integer of its format.
    ranges : tuple of :class:`RangeRow`
    """

    def __init__(self, neuron, formats, overflow, rounding, coef_frac, lut_bits, ops, tables, state_ops, input_op,
                 next_state, spike, init, ranges):
        self.neuron, self.formats = neuron, formats
        self.overflow, self.rounding, self.coef_frac, self.lut_bits = overflow, rounding, coef_frac, lut_bits
        self.ops, self.tables = tuple(ops), tuple(tables)
        self.states = neuron.states
        self.state_ops, self.input_op = state_ops, input_op
        self.next_state, self.spike = next_state, spike
        self.init, self.ranges = init, tuple(ranges)
        self.param_ops: dict[str, int] = {}
        self.params: dict[str, int] = {}

    @property
    def input_format(self) -> FixedPoint:
        return self.formats["I"]

    def state_format(self, name: str) -> FixedPoint:
        return self.formats[name]

    def param_range(self, name: str) -> tuple[int, int]:
        """The integers runtime parameter ``name`` may take: its format, narrowed by a declared range."""
        op = self.ops[self.param_ops[name]]
        return op.lo, op.hi

    def quantize_current(self, x):
        """Real currents -> integers of ``I``'s format (half up, saturating; NaN raises)."""
        return self.input_format.from_float(x)

    def initial_state(self, n: int = 1) -> dict[str, np.ndarray]:
        return {s: np.full(n, self.init[s], dtype=np.int64) for s in self.states}

    def quantize_params(self, params) -> dict[str, int]:
        """Runtime parameter values (real) -> integers of their formats; a value outside its format raises."""
        out = {}
        for k, x in dict(params).items():
            if k not in self.param_ops:
                raise ValueError(f"{k!r} is not a runtime parameter ({', '.join(self.param_ops) or 'none'})")
            out[k] = _fit_number(f"params[{k!r}]", x, self.formats[k])
            lo, hi = self.param_range(k)
            if not lo <= out[k] <= hi:
                raise ValueError(f"params[{k!r}] = {x!r} lies outside its declared range "
                                 f"[{lo / self.formats[k].one}, {hi / self.formats[k].one}]")
        return out

    def step(self, state, current, params=None):
        """One step over a batch (:func:`~sc_neurocore.compiler.numpy_backend.step`): ``(next_state, spike)``."""
        from .numpy_backend import step

        return step(self, state, current, params)

    def run(self, currents, init=None, params=None):
        """``T`` steps (:func:`~sc_neurocore.compiler.numpy_backend.run`): ``(spikes (T, N), {state: (T, N)})``."""
        from .numpy_backend import run

        return run(self, currents, init, params)

    def program(self) -> dict:
        """The integer program as plain data (what the torch cell's quantised forward interprets)."""
        return {
            "states": list(self.states),
            "ops": [{"kind": o.kind, "args": list(o.args), "k": o.k, "lo": o.lo, "hi": o.hi, "mode": o.mode,
                     "name": o.name} for o in self.ops],
            "tables": [{"lo_i": t.lo_i, "entries": list(t.entries)} for t in self.tables],
            "state_ops": dict(self.state_ops), "input_op": self.input_op, "next_state": dict(self.next_state),
            "param_ops": dict(self.param_ops), "params": dict(self.params),
            "spike": self.spike, "init": dict(self.init),
            "formats": {k: [f.int_bits, f.frac_bits] for k, f in self.formats.items()},
        }

    def report(self) -> str:
        """The range analysis as a text table: each assignment's exact and held interval (real units)."""
        lines = [f"{'signal':10s} {'format':8s} {'reaches (exact)':>32s} {'held':>32s}  statement"]
        for r in self.ranges:
            ex = f"[{r.exact[0]:.6g}, {r.exact[1]:.6g}]"
            held = f"[{r.held[0]:.6g}, {r.held[1]:.6g}]" + (f" ({self.overflow}s)" if r.overflows else "")
            lines.append(f"{r.name:10s} {r.format:8s} {ex:>32s} {held:>32s}  {r.text}")
        return "\n".join(lines)

    def __repr__(self):
        fmts = ", ".join(f"{k}: {format_name(v)}" for k, v in self.formats.items())
        return f"FixedNeuron({self.neuron!r}, {{{fmts}}}, {self.overflow}, {self.rounding}, {len(self.ops)} ops)"


def _check_option(name, value, allowed):
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, not {value!r}")


def _resolve_formats(neuron: EquationNeuron, fmt, formats) -> dict[str, FixedPoint]:
    default = parse_format(fmt)
    names = list(neuron.states) + list(neuron.temporaries) + ["I"] + list(neuron.runtime)
    out = {n: default for n in names}
    if formats is None:
        return out
    if not isinstance(formats, Mapping):
        raise ValueError(f"formats must be a dict of signal -> 'Qm.n', not {formats!r}")
    for name, f in formats.items():
        if name not in out:
            raise ValueError(f"formats names {name!r}, which is not a signal of this neuron ({', '.join(names)})")
        out[name] = parse_format(f)
    return out


def lower(neuron: EquationNeuron, fmt="Q8.8", *, formats=None, overflow: str = "saturate", rounding: str = "truncate",
          coef_frac: int = 16, lut_bits: int = 8, split_saturation: bool = False) -> FixedNeuron:
    """The :class:`FixedNeuron` of ``neuron`` (see :meth:`EquationNeuron.compile`); ``split_saturation``
    rearranges a threshold through a saturation (:func:`_through_saturation`: more logic, the state-free part
    of which a back-end that precomputes it -- the engine's neuron -- takes off the state's loop)."""
    if not isinstance(neuron, EquationNeuron):
        raise TypeError(f"neuron must be an EquationNeuron (from_equations(...)), not {neuron!r}")
    _check_option("overflow", overflow, OVERFLOW)
    _check_option("rounding", rounding, ROUNDING)
    for name, value, lo, hi in (("coef_frac", coef_frac, 0, 40), ("lut_bits", lut_bits, 1, 16)):
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise ValueError(f"{name} must be an integer in [{lo}, {hi}], not {value!r}")
    fmts = _resolve_formats(neuron, fmt, formats)
    ctx = _Ctx(neuron, fmts, overflow, rounding, coef_frac, lut_bits, [], [], {}, {})
    state_ops, ranges, input_op, param_ops = {}, [], -1, {}
    for i, v in enumerate(neuron.values):
        ctx.text = v.text
        ctx.value_ops[i] = _lower_value(ctx, v, state_ops, ranges)
        if v.kind == "input":
            input_op = ctx.value_ops[i][0]
        if v.kind == "param":
            param_ops[v.name] = ctx.value_ops[i][0]
        if v.kind == "spike":  # the reset statements follow: they run where the threshold held
            _enter_resets(ctx, v)
    if ctx.original is not None:  # what the resets' analysis narrowed stays narrowed for them alone
        for j, op in ctx.original.items():
            ctx.ops[j] = op
        ctx.original = None
    next_state = {s: ctx.value_ops[i][0] for s, i in neuron.next_state.items()}
    spike = ctx.value_ops[neuron.spike][0] if neuron.spike is not None else None
    init = {s: _fit_number(f"init[{s!r}]", neuron.init[s], fmts[s]) for s in neuron.states}
    defaults = {r: _fit_number(f"params[{r!r}] (a runtime parameter)", x, fmts[r]) for r, x in neuron.runtime.items()}
    for r, q in defaults.items():
        op = ctx.ops[param_ops[r]]
        if not op.lo <= q <= op.hi:
            raise EquationError("", f"params[{r!r}] = {neuron.runtime[r]!r} rounds to {q} in {format_name(fmts[r])}, "
                                    f"outside its declared range [{op.lo}, {op.hi}] (integers)")
    if not isinstance(split_saturation, bool):
        raise TypeError(f"split_saturation must be a bool, not {split_saturation!r}")
    remap = _through_saturation(ctx) if split_saturation else {i: i for i in range(len(ctx.ops))}
    state_ops = {k: remap[i] for k, i in state_ops.items()}
    param_ops = {k: remap[i] for k, i in param_ops.items()}
    next_state = {k: remap[i] for k, i in next_state.items()}
    input_op = remap[input_op]
    spike = remap[spike] if spike is not None else None
    keep = _live(ctx.ops, [*state_ops.values(), input_op, *param_ops.values(), *next_state.values(),
                           *([spike] if spike is not None else [])])
    new = {old: i for i, old in enumerate(keep)}
    ops = [Op(o.kind, tuple(new[a] for a in o.args), o.k, o.lo, o.hi, o.frac, o.mode, o.name)
           for o in (ctx.ops[i] for i in keep)]
    used = sorted({o.k for o in ops if o.kind == "lut"})  # tables of dead lookups go too
    tables = [ctx.tables[t] for t in used]
    ops = [Op(o.kind, o.args, used.index(o.k), o.lo, o.hi, o.frac, o.mode, o.name) if o.kind == "lut" else o
           for o in ops]
    fixed = FixedNeuron(neuron, fmts, overflow, rounding, coef_frac, lut_bits, ops, tables,
                        {s: new[i] for s, i in state_ops.items()}, new[input_op],
                        {s: new[i] for s, i in next_state.items()}, new[spike] if spike is not None else None, init,
                        ranges)
    fixed.param_ops = {r: new[i] for r, i in param_ops.items()}
    fixed.params = defaults
    return fixed


def _fit_number(what: str, x: float, f: FixedPoint) -> int:
    """``floor(x * 2**n + 1/2)`` if it fits ``f``; else :class:`EquationError`."""
    if not f.min_int <= math.floor(x * f.one + 0.5) <= f.max_int:
        raise EquationError("", f"{what} = {x!r} does not fit {format_name(f)} [{f.min_int / f.one}, {f.max_int / f.one}]")
    return int(f.from_float(x))


def input_only(ops: list[Op]) -> list[bool]:
    """Per operation: it reads only ``I``, runtime parameters and constants (no state)."""
    out: list[bool] = []
    for op in ops:
        out.append(op.kind in ("input", "param", "const") or (op.kind != "state" and bool(op.args)
                                                              and all(out[a] for a in op.args)))
    return out


def _saturated_sum(ops: list[Op], only: list[bool], f: int):
    """``(R, A, B)`` if ``ops[f]`` saturates ``R = (A + B) >> k`` (or round) with ``B`` input-only, ``A`` not."""
    fit = ops[f]
    if fit.kind != "fit" or fit.mode != "saturate" or ops[fit.args[0]].kind != "shr":
        return None
    r = fit.args[0]
    y = ops[ops[r].args[0]]
    if y.kind != "add":
        return None
    a, b = y.args
    if only[a] and not only[b]:
        a, b = b, a
    return (r, a, b) if only[b] and not only[a] else None


def _through_saturation(ctx: _Ctx) -> dict[int, int]:
    """Take the threshold's subtraction and comparisons off the path through a saturation; returns old -> new
    operation indices.  The same integers, rearranged the way ``hw.lif.lif_update_split`` is by hand:

    * ``sat(R) - C`` (``R = (A + B) >> k``, ``B`` and ``C`` input-only) is
      ``R > hi ? hi - C : R < lo ? lo - C : (A + (B - (C << k))) >> k`` -- ``floor(Y / 2**k) - C`` is
      ``floor((Y - C 2**k) / 2**k)``, and ``B - (C << k)`` needs no state (a back-end may compute it early);
    * a comparison of that (or of ``sat(R)``) with a constant is made in each branch, side by side.
    """
    old, ctx.ops, ctx.memo = ctx.ops, [], {}
    only = input_only(old)
    new: dict[int, int] = {}
    split: dict[int, tuple] = {}  # old index -> (R > hi, value there, R < lo, value there, middle value)
    for i, op in enumerate(old):
        if op.kind == "sub" and only[op.args[1]] and (m := _saturated_sum(old, only, op.args[0])):
            r, a, b = m
            fit, rr, c = old[op.args[0]], old[r], new[op.args[1]]
            hi, lo = (1 << (fit.k - 1)) - 1, -(1 << (fit.k - 1))
            nr = new[r]
            gt = _emit(ctx, "cmp", (nr, _const(ctx, hi, rr.frac)), mode=">", lo=0, hi=1)
            lt = _emit(ctx, "cmp", (nr, _const(ctx, lo, rr.frac)), mode="<", lo=0, hi=1)
            hi_d = _emit(ctx, "sub", (_const(ctx, hi, rr.frac), c), frac=rr.frac)
            lo_d = _emit(ctx, "sub", (_const(ctx, lo, rr.frac), c), frac=rr.frac)
            y = old[rr.args[0]]
            b2 = _emit(ctx, "sub", (new[b], _emit(ctx, "shl", (c,), k=rr.k, frac=y.frac)), frac=y.frac)
            mid = _emit(ctx, "shr", (_emit(ctx, "add", (new[a], b2), frac=y.frac),), k=rr.k, frac=rr.frac,
                        mode=rr.mode)
            parts = [ctx.ops[j] for j in (hi_d, lo_d, mid)]
            inner = _emit(ctx, "select", (lt, lo_d, mid), frac=rr.frac, lo=min(p.lo for p in parts[1:]),
                          hi=max(p.hi for p in parts[1:]))
            # the same integers as the subtraction: its range (narrowed in a reset by the threshold) holds
            new[i] = _emit(ctx, "select", (gt, hi_d, inner), frac=rr.frac, lo=max(min(p.lo for p in parts), op.lo),
                           hi=min(max(p.hi for p in parts), op.hi), name=op.name)
            split[i] = (gt, hi_d, lt, lo_d, mid)
            continue
        if op.kind == "cmp" and old[op.args[1]].kind == "const":
            parts = split.get(op.args[0])
            if parts is None and (m := _saturated_sum(old, only, op.args[0])):
                fit, nr = old[op.args[0]], new[m[0]]
                hi, lo = (1 << (fit.k - 1)) - 1, -(1 << (fit.k - 1))
                f = old[m[0]].frac
                parts = (_emit(ctx, "cmp", (nr, _const(ctx, hi, f)), mode=">", lo=0, hi=1), _const(ctx, hi, f),
                         _emit(ctx, "cmp", (nr, _const(ctx, lo, f)), mode="<", lo=0, hi=1), _const(ctx, lo, f), nr)
            if parts is not None:
                gt, hi_v, lt, lo_v, mid = parts
                k = new[op.args[1]]
                c_hi, c_lo, c_mid = (_emit(ctx, "cmp", (v, k), mode=op.mode, lo=0, hi=1) for v in (hi_v, lo_v, mid))
                inner = _emit(ctx, "select", (lt, c_lo, c_mid), lo=0, hi=1)
                new[i] = _emit(ctx, "select", (gt, c_hi, inner), lo=0, hi=1, name=op.name)
                continue
        ctx.ops.append(Op(op.kind, tuple(new[a] for a in op.args), op.k, op.lo, op.hi, op.frac, op.mode, op.name))
        new[i] = len(ctx.ops) - 1
    return new


def _live(ops: list[Op], roots: list[int]) -> list[int]:
    """Indices of the operations the roots need, in order (dead code -- folded constants -- removed)."""
    live = set(roots)
    for i in range(len(ops) - 1, -1, -1):
        if i in live:
            live.update(ops[i].args)
    return sorted(live)


def _lower_value(ctx: _Ctx, v: Value, state_ops, ranges) -> tuple[int, int]:
    if v.kind in ("state", "input", "param"):
        f = ctx.formats[v.name]
        lo, hi = f.min_int, f.max_int
        if v.kind == "param" and v.name in ctx.neuron.bounds:  # a declared range narrows the format's
            blo, bhi = ctx.neuron.bounds[v.name]
            lo = lo if blo is None else max(lo, math.ceil(blo * f.one))
            hi = hi if bhi is None else min(hi, math.floor(bhi * f.one))
            if lo > hi:
                raise EquationError("", f"the declared range of {v.name!r} holds no integer of {format_name(f)}")
        idx = _emit(ctx, v.kind, k=0, frac=f.frac_bits, lo=lo, hi=hi, name=v.name)
        if v.kind == "state":
            state_ops[v.name] = idx
        return idx, f.frac_bits
    if v.kind == "select":
        cond, a, b = (ctx.value_ops[j][0] for j in (v.cond, v.a, v.b))
        oa, ob = ctx.ops[a], (ctx.original or {}).get(b, ctx.ops[b])  # b: the value where no spike came
        idx = _emit(ctx, "select", (cond, a, b), frac=oa.frac, lo=min(oa.lo, ob.lo), hi=max(oa.hi, ob.hi),
                    name=v.name)
        return idx, oa.frac
    if v.kind == "spike":
        return _threshold(ctx, v), 0
    exact, d = _poly(ctx, v.poly)
    fmt = ctx.formats[v.name]
    idx, span, overflows = _hold(ctx, exact, d, fmt, v.name)
    op = ctx.ops[idx]
    ranges.append(RangeRow(v.name, v.text, format_name(fmt), (span[0] / fmt.one, span[1] / fmt.one),
                           (op.lo / fmt.one, op.hi / fmt.one), overflows))
    return idx, fmt.frac_bits


def _threshold_constant(ctx: _Ctx, c: Fraction, d: int, op: str) -> int:
    """The integer ``K`` at ``d`` fraction bits with ``P <op> K`` the same test as ``P + c <op> 0``."""
    if c == 0:
        return 0
    m, s = _quantise(ctx, -c, "the threshold's constant")
    if s <= d:
        return m << (d - s)
    e = s - d  # P > m / 2**e  <=>  P > floor(m / 2**e), P >= x <=> P >= ceil(x), ...
    return m >> e if op in (">", "<=") else -((-m) >> e)


def _threshold(ctx: _Ctx, v: Value) -> int:
    """``lhs - rhs <op> 0`` as ``P <op> K``: the signal part ``P`` exact at ``d`` fraction bits, the constant
    part moved to the right and rounded the way that keeps the comparison of integers exact."""
    p, d = _poly(ctx, v.poly.without(()))
    rhs = _threshold_constant(ctx, v.poly.const_value(), d, v.op)
    return _emit(ctx, "cmp", (p, _const(ctx, rhs, d)), frac=0, mode=v.op, lo=0, hi=1, name="spike")


def _under_threshold(ctx: _Ctx, v: Value) -> dict[int, tuple[int, int]]:
    """Where the threshold ``v`` holds: ``{op: (lo, hi)}`` for each signal ``X`` that enters it alone, with
    coefficient +-1 (``P = +-X + R``, ``R`` the rest), from ``+-X + R <op> K`` over ``R``'s interval."""
    sig = v.poly.without(())
    out = {}
    for mono, coef in sig.terms:
        atom = ctx.neuron.atoms.atoms[mono[0]] if len(mono) == 1 else None
        if atom is None or atom.kind != "value" or coef not in (1, -1):
            continue
        rest = sig.without(mono)
        if mono[0] in rest.atom_ids():
            continue
        xi, fx = ctx.value_ops[atom.ref]
        ri, dr = _poly(ctx, rest) if rest.terms else (None, fx)  # dead when unused: _live drops it
        d = max(fx, dr)
        k = _threshold_constant(ctx, v.poly.const_value(), d, v.op)
        r_lo, r_hi = (ctx.ops[ri].lo << (d - dr), ctx.ops[ri].hi << (d - dr)) if ri is not None else (0, 0)
        step = 1 << (d - fx)  # X at d fraction bits is X * step
        x = ctx.ops[xi]
        lo, hi = x.lo, x.hi
        op = v.op if coef == 1 else {">": "<", ">=": "<=", "<": ">", "<=": ">="}[v.op]
        if coef == 1:  # X <op> K - R
            bound_lo, bound_hi = k - r_hi, k - r_lo
        else:  # -X + R <op> K  <=>  X <op'> R - K
            bound_lo, bound_hi = r_lo - k, r_hi - k
        if op == ">":
            lo = max(lo, -((-(bound_lo + 1)) // step))
        elif op == ">=":
            lo = max(lo, -((-bound_lo) // step))
        elif op == "<":
            hi = min(hi, (bound_hi - 1) // step)
        else:
            hi = min(hi, bound_hi // step)
        if lo <= hi and (lo, hi) != (x.lo, x.hi):
            out[xi] = (lo, hi)
    return out


def _enter_resets(ctx: _Ctx, v: Value) -> None:
    """From here on (the reset statements) the signals the threshold bounds carry the narrower range
    (:func:`_under_threshold`); :func:`lower` puts the originals back after the last statement.  An operation
    made in a reset is valid only where the neuron spiked, which is the only place its value is used."""
    narrowed = _under_threshold(ctx, v)
    ctx.original = {i: ctx.ops[i] for i in narrowed}
    for i, (lo, hi) in narrowed.items():
        ctx.ops[i] = replace(ctx.ops[i], lo=lo, hi=hi)
    ctx.memo, ctx.atom_cache = {}, {}  # no reuse of wider operations of the update, nor theirs after
