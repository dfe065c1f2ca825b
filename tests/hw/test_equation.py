"""The compiled neuron's gateware (hw/equation.py) against the NumPy stepper, in Amaranth's simulator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from amaranth.sim import Simulator
from hypothesis import HealthCheck, given, settings
from sc_neurocore.compiler import from_equations
from sc_neurocore.compiler.numpy_backend import random_currents
from sc_neurocore.hw.equation import (
    EquationBank,
    EquationStep,
    EquationUnit,
    compile_to_verilog,
    equation_to_fpga,
    logic_depth,
)


def _strategies():
    """tests/compiler/strategies.py, loaded by path (the tests folder is not put on sys.path: it would shadow packages)."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "compiler" / "strategies.py"
    spec = importlib.util.spec_from_file_location("sc_neurocore_test_strategies", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


polynomial_neurons = _strategies().polynomial_neurons

EXPIF = dict(threshold="v > theta", reset="v = v - theta", params=dict(beta=0.9, theta=1.0, vr=0.8, dT=0.1),
             domains={"exp": (-8, 2)})
EXPIF_EQ = "v = beta*v + (1-beta)*dT*exp((min(v, theta) - vr)/dT) + I"


def run_bank(bank, currents, seed=0):
    """Drive a bank with ``currents`` (T, N), random gaps and backpressure; ``[(neuron, spike, {state})]``."""
    fixed, got = bank.fixed, []
    flat = currents.reshape(-1)

    async def bench(ctx):
        rng = np.random.default_rng(seed)
        k = 0
        while len(got) < flat.size:
            offer = k < flat.size and rng.random() < 0.8
            ctx.set(bank.i.valid, int(offer))
            if offer:
                ctx.set(bank.i.payload, int(flat[k]))
            ready = int(rng.random() < 0.75)
            ctx.set(bank.o.ready, ready)
            took = offer and ctx.get(bank.i.ready)
            if ready and ctx.get(bank.o.valid):
                p = ctx.get(bank.o.payload)
                got.append((int(p.neuron), int(p.spike), {s: int(p.state[s]) for s in fixed.states}))
            await ctx.tick()
            k += int(bool(took))

    sim = Simulator(bank)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return got


def expected(fixed, currents):
    spikes, states = fixed.run(currents)
    T, N = currents.shape
    return [(j, int(spikes[t, j]), {s: int(states[s][t, j]) for s in fixed.states}) for t in range(T) for j in range(N)]


#: The logic depth of one operation in rough adder delays, as hw/equation.py documents it (no entry: 0, wiring).
ADDER_DELAYS = {"mul": 4, "lut": 3, "add": 1, "sub": 1, "neg": 1, "min": 1, "max": 1, "abs": 1, "fit": 1, "cmp": 1,
                "select": 1}
#: neg, max, abs, a runtime parameter, shifts, a wrapping fit, the reset's select (depths below, by hand)
MIXED = ("v = beta*v + max(-I, 0) - abs(v)*0.25",
         dict(threshold="v > theta", reset="v = 0", params=dict(beta=0.5, theta=1.0), runtime=("beta",)))


def _depth_by_recursion(fixed):
    """The longest path into each operation's output, walked back from it (memoised), in ADDER_DELAYS."""
    memo = {}

    def depth(i):
        if i not in memo:
            op = fixed.ops[i]
            memo[i] = max((depth(a) for a in op.args), default=0) + ADDER_DELAYS.get(op.kind, 0)
        return memo[i]

    return [depth(i) for i in range(len(fixed.ops))]


def _pipeline_programs():
    return [from_equations(EXPIF_EQ, **EXPIF).compile(), from_equations(MIXED[0], **MIXED[1]).compile(overflow="wrap"),
            from_equations("v = max(I, 0)/2").compile()]  # max, then a free shift: ends at the longest path


def test_logic_depth_is_the_longest_path_in_adder_delays():
    programs = _pipeline_programs()
    assert set(ADDER_DELAYS) <= {op.kind for f in programs for op in f.ops}  # every costed kind is walked
    for fixed in programs:
        assert logic_depth(fixed) == _depth_by_recursion(fixed)
    # MIXED: param, state, input, beta*v (4), -I (1), 0, max (2), abs(v) (1), shl (2), add (5), shl (1), sub (6),
    # shr (6), fit (7), theta, cmp (8), 0, select (9)
    assert logic_depth(programs[1]) == [0, 0, 0, 4, 1, 0, 2, 1, 2, 5, 1, 6, 6, 7, 0, 8, 0, 9]
    # ExpIF's longest path: min, mul, sub, shr, lut, mul, add, add, shr, fit, cmp, select = 1+4+1+0+3+4+1+1+0+1+1+1
    assert max(logic_depth(programs[0])) == 18


@pytest.mark.parametrize("stages", [1, 2, 3, 4])
def test_pipeline_stages_cut_where_the_depth_crosses_k_over_stages(stages):
    """An operation's stage: how many of the cuts at k/stages of the longest path (k = 1 .. stages-1) lie at or
    before where its logic begins (its depth less its own delay); an operation of no logic that ends the longest
    path is in the last stage."""
    from sc_neurocore.hw.equation import _stages

    programs = _pipeline_programs()
    for fixed in programs:
        depth = _depth_by_recursion(fixed)
        total = max(depth)
        begins = [d - ADDER_DELAYS.get(op.kind, 0) for op, d in zip(fixed.ops, depth)]
        assert _stages(fixed, stages) == [sum(k * total <= b * stages for k in range(1, stages)) for b in begins]
    # MIXED by hand from its depths above (longest path 9): cuts at 4.5 (2 stages), at 3 and 6 (3 stages)
    by_hand = {2: [0] * 11 + [1, 1, 1, 0, 1, 0, 1], 3: [0] * 9 + [1, 0, 1, 2, 2, 0, 2, 0, 2]}
    if stages in by_hand:
        assert _stages(programs[1], stages) == by_hand[stages]
    assert _stages(programs[2], stages)[-1] == stages - 1  # the shift after max begins at the longest path, 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(polynomial_neurons())
def test_random_polynomial_neurons_equal_numpy(spec):
    eqs, kw, ckw, stages, n = spec
    fixed = from_equations(*eqs, **kw).compile(**ckw)
    cur = random_currents(fixed, 10, n, seed=len(fixed.ops))
    assert run_bank(EquationBank(fixed, n, stages), cur) == expected(fixed, cur)


@pytest.mark.parametrize("stages", [2, 3])
def test_shallow_neuron_in_a_deep_pipeline_keeps_its_steps_in_order(stages):
    """A step whose logic all fits the first stage (a shift only) still gives its result after ``stages`` clocks:
    the outputs are delayed to the last stage, not to the last stage an operation occupies (hypothesis found
    ``v = (1/64)*I`` with 2 stages one step early)."""
    fixed = from_equations("v = (1/64)*I").compile(formats={"v": "Q8.8", "I": "Q8.8"}, overflow="saturate",
                                                   rounding="truncate", split_saturation=False)
    cur = random_currents(fixed, 10, stages, seed=3)
    assert run_bank(EquationBank(fixed, stages, stages), cur) == expected(fixed, cur)


@pytest.mark.parametrize("stages,n", [(1, 1), (2, 2), (3, 3), (2, 5)])
def test_expif_bank_with_its_table(stages, n):
    fixed = from_equations(EXPIF_EQ, "w = 0.5*w + v", **EXPIF).compile(rounding="round")
    cur = random_currents(fixed, 20, n, seed=stages)
    assert run_bank(EquationBank(fixed, n, stages), cur, seed=n) == expected(fixed, cur)


def test_step_is_combinational_and_equals_numpy():
    fixed = from_equations(EXPIF_EQ, **EXPIF).compile()
    dut = EquationStep(fixed)
    g = np.random.default_rng(3)
    v = np.concatenate([g.integers(-32768, 32768, 300), [-32768, 32767, 256, 257, 0]])
    cur = np.concatenate([g.integers(-32768, 32768, 300), [-32768, 32767, 0, 0, 256]])
    nxt, spike = fixed.step({"v": v}, cur)
    got = []

    async def bench(ctx):
        for a, b in zip(v, cur):
            ctx.set(dut.state.v, int(a))
            ctx.set(dut.current, int(b))
            got.append((ctx.get(dut.next_state.v), ctx.get(dut.spike)))

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()
    assert got == list(zip(nxt["v"].tolist(), spike.tolist()))


#: one program per line, every operation kind and mode of the IR between them, with no threshold in the last
KINDS = [
    ("v = beta*v + max(-I, 0) - abs(v)*0.25", dict(threshold="v > theta", reset="v = 0",
                                                   params=dict(beta=0.5, theta=1.0), runtime=("beta",)),
     dict(overflow="wrap")),  # neg, max, abs, a parameter, fit that wraps, >
    ("v = min(v, I) - 0.375*v", dict(threshold="v >= 0.5", reset="v = v - 0.5"), dict(rounding="round")),  # min, >=
    ("v = 0.75*v + I", dict(threshold="v < -1", reset="v = 0"), {}),  # <
    ("v = 0.75*v + I", dict(threshold="v <= -1", reset="v = 0"), {}),  # <=
    ("v = v + I", dict(threshold="v >= 0.5", reset="v = v - 0.5"), {}),  # >= at its tie (v + I = 128)
    ("v = 0.5*v + 0.125*exp(v/4) + I", dict(domains={"exp": (-3, 1)}), {}),  # a table read past both ends
    ("v = abs(I) - abs(v)/2", {}, dict(rounding="round")),  # no threshold: no spike
]


@pytest.mark.parametrize("which", range(len(KINDS)))
def test_every_operation_kind_equals_numpy(which):
    """EquationStep against the NumPy step for each program of KINDS (neg, max, abs, min, a runtime parameter, a
    wrapping and a saturating fit, floor and round shifts, a table read past both ends of its domain, each comparison,
    no threshold), over random states and currents and every pair of edges (the ties v + I = 128, abs(0), -1)."""
    eq, kw, ckw = KINDS[which]
    fixed = from_equations(eq, **kw).compile(**ckw)
    dut = EquationStep(fixed)
    g = np.random.default_rng(which)
    edges = [-32768, -32767, -257, -256, -255, -1, 0, 1, 127, 128, 255, 256, 257, 32767]
    v = np.concatenate([g.integers(-32768, 32768, 200), np.repeat(edges, len(edges))])
    cur = np.concatenate([g.integers(-32768, 32768, 200), np.tile(edges, len(edges))])
    nxt, spike = fixed.step({"v": v}, cur)
    got = []

    async def bench(ctx):
        for a, b in zip(v, cur):
            ctx.set(dut.state.v, int(a))
            ctx.set(dut.current, int(b))
            got.append((ctx.get(dut.next_state.v), ctx.get(dut.spike)))

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()
    assert got == list(zip(nxt["v"].tolist(), np.broadcast_to(spike, v.shape).tolist()))


def test_unit_latency_is_its_stages():
    fixed = from_equations(EXPIF_EQ, **EXPIF).compile()
    for stages in (1, 2, 4):
        dut = EquationUnit(fixed, stages)
        assert dut.latency == stages
        seen = []

        async def bench(ctx, dut=dut, seen=seen):
            ctx.set(dut.o.ready, 1)
            ctx.set(dut.i.valid, 1)
            ctx.set(dut.i.payload.current, 300)
            await ctx.tick()
            ctx.set(dut.i.valid, 0)
            for c in range(1, 7):
                if ctx.get(dut.o.valid):
                    seen.append(c)
                await ctx.tick()

        sim = Simulator(dut)
        sim.add_clock(1e-6)
        sim.add_testbench(bench)
        sim.run()
        assert seen == [stages]


def test_logic_depth_places_registers_on_the_longest_path():
    fixed = from_equations(EXPIF_EQ, **EXPIF).compile()
    depth = logic_depth(fixed)
    assert max(depth) >= 4 + 3  # a multiply and a table on one path at least


def test_verilog_and_the_published_names():
    n, text = equation_to_fpga("dv/dt = -v/tau + I", threshold="v > 1", reset="v = 0", params={"tau": 10.0},
                               init={"v": 0.0}, dt=1.0, module_name="lif_neuron")
    assert n.states == ("v",) and "module lif_neuron" in text
    assert "i__payload" in text and "o__payload" in text
    from sc_neurocore.sim.verilog import module_ports

    narrow = compile_to_verilog(n, module_name="lif12", data_width=12, fraction=6)
    ports = {name: (d, r) for d, r, name in module_ports(narrow, "lif12")}
    assert ports["i__payload"] == ("input", "[11:0]")  # Q6.6 currents
    assert ports["o__payload"] == ("output", "[13:0]")  # neuron index 1 bit (of 2), spike, v 12 bits
    lut = compile_to_verilog(from_equations(EXPIF_EQ, **EXPIF), module_name="expif")
    assert "module expif" in lut


@pytest.mark.parametrize("call,exc,text", [
    (lambda f: EquationStep("lif"), TypeError, "compiled neuron"),
    (lambda f: EquationUnit(f, 0), ValueError, "stages"),
    (lambda f: EquationBank(f, 1, 2), ValueError, "n_neurons"),
    (lambda f: compile_to_verilog(from_equations("v = v + I"), data_width=40), ValueError, "data_width"),
    (lambda f: compile_to_verilog(from_equations("v = v + I"), data_width=8, fraction=8), ValueError, "fraction"),
    (lambda f: compile_to_verilog("v = v + I"), TypeError, "EquationNeuron"),
])
def test_bad_arguments(call, exc, text):
    fixed = from_equations("v = v + I").compile()
    with pytest.raises(exc, match=text):
        call(fixed)


# ------------------------------------------------------------------------------ the engine's neuron


@pytest.mark.parametrize("betas,resets", [
    ((0.85, 0.6, 0.9), None),  # subtract the threshold
    ((1.0, 0.7, 0.95), ("subtract-delayed",) * 3),  # IF (beta_q = 256) and subtract of theta / beta
    ((0.9, 1.0, 0.5), ("zero",) * 3),  # reset to zero
])
@pytest.mark.parametrize("leak", ["multiplier", "lut"])
def test_compiled_lif_is_the_engines_lif_step_at_every_input(betas, resets, leak):
    """EquationNeuronStep (the contract's LIF from equations) against LIFStep: same next state and spike for
    every layer over random states and currents plus the saturation edges, for each reset of the contract."""
    from amaranth.hdl import Module
    from sc_neurocore.export import QuantizedNet
    from sc_neurocore.hw.equation import EquationNeuronStep
    from sc_neurocore.hw.lif import LIFStep
    from sc_neurocore.hw.plan import EngineSpec
    from sc_neurocore.sc.contract import SCConfig

    g0 = np.random.default_rng(4)
    sizes = (6, 5, 4, 3)
    ws = [g0.normal(0.2, 1.0, (b, a)) for a, b in zip(sizes[:-1], sizes[1:])]
    qnet = QuantizedNet.from_float(ws, [None] * 3, list(betas), [0.5, 1.0, 1.5],
                                   SCConfig(rng="sobol", seed=3, length=8), resets=resets)
    spec = EngineSpec.of(qnet, 4, (1, 1))
    ours, theirs = EquationNeuronStep.lif_for_spec(spec, leak=leak), LIFStep.for_spec(spec)
    top = Module()
    top.submodules.ours, top.submodules.theirs = ours, theirs
    g = np.random.default_rng(1)
    cases = [(int(a), int(b)) for a, b in g.integers(-32768, 32768, (400, 2))] + [
        (32767, 32767), (-32768, -32768), (0, 0), (32767, -32768), (256, 1)]
    diffs = []

    async def bench(ctx):
        for layer in range(len(qnet.layers)):
            for v, i in cases:
                for dut in (ours, theirs):
                    ctx.set(dut.layer, layer)
                    ctx.set(dut.state, v)
                    ctx.set(dut.current, i)
                    ctx.set(dut.next_current, i)
                    ctx.set(dut.load, 1)
                await ctx.tick()  # LIFStep takes current - theta a clock ahead
                got = [(ctx.get(d.next_state), ctx.get(d.spike)) for d in (ours, theirs)]
                model = ours.model(np.array([v]), np.array([i]), layer)
                if got[0] != got[1] or got[0] != (int(model[0][0]), int(model[1][0])):
                    diffs.append((layer, v, i, got))

    sim = Simulator(top)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert diffs == []


def test_the_compiled_lifs_lut_leak_has_no_multiplier():
    """``leak="lut"``: the product by each layer's leak is shifts and adds (no ``*`` in the Verilog); the default
    multiplies (one ``*``)."""
    from sc_neurocore.export import QuantizedNet
    from sc_neurocore.hw import verilog
    from sc_neurocore.hw.equation import EquationNeuronStep
    from sc_neurocore.hw.plan import EngineSpec
    from sc_neurocore.sc.contract import SCConfig

    ws = [np.random.default_rng(4).normal(0.2, 1.0, (b, a)) for a, b in ((6, 5), (5, 4), (4, 3))]
    qnet = QuantizedNet.from_float(ws, [None] * 3, [0.9, 0.8, 0.5], [0.5, 1.0, 1.5], SCConfig(rng="sobol", length=8))
    spec = EngineSpec.of(qnet, 4, (1, 1))
    counts = {leak: verilog(EquationNeuronStep.lif_for_spec(spec, leak=leak), name="n").count(" * ")
              for leak in ("multiplier", "lut")}
    assert counts == {"multiplier": 1, "lut": 0}
    with pytest.raises(ValueError, match="leak must be one of"):
        EquationNeuronStep.lif_for_spec(spec, leak="dsp")


# ------------------------------------------------------------------------------ every kind: its compiled step, the engine


#: Every state of each neuron kind, in the order of its state record (the membrane last).
KIND_STATES = {"lif": ("v",), "synaptic": ("i_syn", "v"), "alif": ("a", "v"), "alpha": ("i_exc", "i_inh", "v"),
               "second_order": ("a", "v"), "expif": ("v",), "adex": ("w", "v")}


def _per_layer(**values):
    """``name=(x0, x1, x2)`` -> ``[{name: x0}, {name: x1}, {name: x2}]``: a net's neuron_params, one dict a layer."""
    return [dict(zip(values, row)) for row in zip(*values.values())]


def _rows(array):
    """The rows of an integer array as tuples of Python ints: (states..., current) cases of a step."""
    return [tuple(int(x) for x in row) for row in array]


def _synaptic_cases(qnet):
    g = np.random.default_rng(2)
    return _rows(g.integers(-32768, 32768, (300, 3))) + [
        (32767, 32767, 32767), (-32768, -32768, -32768), (0, 0, 0), (32767, -32768, 32767), (-32768, 32767, 256),
        (0, 256, 1)]


def _alif_cases(qnet):
    g = np.random.default_rng(3)  # the adaptation a in [0, max_int], as alif_step keeps it
    cols = [g.integers(0, 32768, 300), g.integers(-32768, 32768, 300), g.integers(-32768, 32768, 300)]
    return _rows(np.stack(cols, axis=1)) + [
        (32767, 32767, 32767), (0, -32768, -32768), (0, 0, 0), (32767, 32767, -32768), (256, 300, 67)]


def _alpha_cases(qnet):
    g = np.random.default_rng(4)  # both currents in [0, max_int], as alpha_step keeps them
    cols = [g.integers(0, 32768, 300), g.integers(0, 32768, 300), g.integers(-32768, 32768, 300),
            g.integers(-32768, 32768, 300)]
    return _rows(np.stack(cols, axis=1)) + [  # I = -32768: its -I is 32768
        (32767, 0, 32767, 32767), (0, 32767, -32768, -32768), (0, 0, 0, 0), (32767, 32767, 32767, -32768),
        (0, 0, 0, 300), (300, 0, 44, -100), (32767, 0, 0, -1), (0, 32767, 0, 1)]


def _second_order_cases(qnet):
    g = np.random.default_rng(5)
    return _rows(g.integers(-32768, 32768, (300, 3))) + [
        (32767, -32768, 32767), (-32768, 32767, -32768), (0, 0, 0), (32767, 32767, 32767), (0, 0, 300),
        (300, 44, 0), (-300, 100, 0), (1, -1, 0)]


def _expif_cases(qnet):
    """Random states and currents, membranes between the table's bottom and the threshold, the saturation edges and
    membranes at the threshold and at v_rheobase."""
    th, r = qnet.layers[0].threshold_q, qnet.layers[0].neuron_params["v_rheobase_q"]
    g = np.random.default_rng(5)
    return (_rows(g.integers(-32768, 32768, (200, 2)))
            + _rows(np.stack([g.integers(r - 600, th + 600, 200), g.integers(-300, 300, 200)], axis=1))
            + [(32767, 32767), (-32768, -32768), (0, 0), (th, 0), (th - 1, 0), (th + 1, 0), (r, 0), (32767, -32768)])


def _adex_cases(qnet):
    g = np.random.default_rng(5)
    return _rows(g.integers(-32768, 32768, (250, 3))) + _rows(g.integers(-400, 400, (100, 3))) + [
        (32767, -32768, 32767), (-32768, 32767, -32768), (0, 0, 0), (32767, 32767, 32767), (-32768, 300, 0),
        (100, 300, 0), (-100, 300, 0)]


@dataclass(frozen=True)
class CompiledKind:
    """What the compiled step of one neuron kind is checked with: the seed of the (6, 5, 4, 3) net's weights; its
    parameter sets (QuantizedNet.from_float's ``betas``, ``thresholds`` (defaults (0.9, 1.0, 0.6) and (0.5, 1.0,
    1.5)), ``resets`` and ``params``, the neuron_params of the three layers); the ``(states..., current)`` cases
    of a net (the states in KIND_STATES's order); the leaks compiled (None: for_spec's default); a further check of
    the step."""

    weight_seed: int
    nets: tuple[dict, ...]
    cases: Callable
    leaks: tuple[str | None, ...] = (None,)
    check: Callable = lambda dut: True


_ADEX_SHARED = dict(v_rheobase=(0.8,) * 3, delta_t=(0.1,) * 3)
#: Per neuron kind beyond LIF (LIF: test_compiled_lif_is_the_engines_lif_step_at_every_input, against LIFStep):
#: the contract's ranges of its constants (leaks 0 and 1, gains up to the format's top, a signed AdEx ``a``), each
#: reset where the kind takes more than subtract, the cases of its states (currents and adaptations kept
#: non-negative where the contract's step keeps them so).
COMPILED_KINDS = {
    "synaptic": CompiledKind(5, (
        dict(betas=(0.9, 1.0, 0.7), resets="subtract", params=_per_layer(alpha=(0.8, 0.5, 1.0))),
        dict(betas=(0.85, 0.6, 1.0), resets="zero", params=_per_layer(alpha=(0.0, 0.95, 0.6))),
        dict(betas=(0.9, 0.8, 0.95), resets="subtract-delayed", params=_per_layer(alpha=(0.9, 0.99, 1.0))),
    ), _synaptic_cases),
    "alif": CompiledKind(6, (
        dict(params=_per_layer(adapt_decay=(0.95, 0.5, 1.0), adapt_strength=(0.2, 3.0, 0.0))),
        dict(params=_per_layer(adapt_decay=(0.0, 0.99, 0.8), adapt_strength=(127.0, 1.0, 0.5))),
    ), _alif_cases),
    "alpha": CompiledKind(7, (
        dict(resets="subtract", params=_per_layer(alpha_exc=(0.9, 0.5, 1.0), alpha_inh=(0.8, 1.0, 0.0))),
        dict(resets="zero", params=_per_layer(alpha_exc=(0.0, 0.99, 0.6), alpha_inh=(0.3, 0.6, 1.0))),
        dict(resets="subtract-delayed", params=_per_layer(alpha_exc=(0.95, 1.0, 0.7), alpha_inh=(0.9, 0.0, 0.95))),
    ), _alpha_cases),
    "second_order": CompiledKind(8, (  # the stiffness a gain up to the format's top
        dict(resets="subtract", params=_per_layer(alpha=(0.8, 0.5, 1.0), stiffness=(0.1, 2.0, 0.0))),
        dict(resets="zero", params=_per_layer(alpha=(0.0, 0.95, 0.6), stiffness=(127.9, 0.3, 1.0))),
        dict(resets="subtract-delayed", params=_per_layer(alpha=(0.9, 1.0, 0.7), stiffness=(0.5, 0.05, 40.0))),
    ), _second_order_cases),
    # the net's threshold, v_rheobase and delta_t compiled in (exp's range from them), beta per layer (three
    # leaks, integrate-and-fire among them): beta the one runtime parameter, one exp table
    "expif": CompiledKind(8, tuple(
        dict(betas=(0.9, 1.0, 0.0), thresholds=(th,) * 3, params=_per_layer(v_rheobase=(r,) * 3, delta_t=(d,) * 3))
        for th, r, d in ((1.0, 0.8, 0.1), (0.5, -0.25, 0.0625), (3.0, 1.0, 2.0))
    ), _expif_cases, leaks=("multiplier", "lut"),
        check=lambda dut: list(dut.fixed.param_ops) == ["beta"] and len(dut.fixed.tables) == 1),
    # ExpIF's table for the net; beta, adapt_decay, a (signed, up to the format's ends) and b per layer
    "adex": CompiledKind(8, (
        dict(betas=(0.9, 1.0, 0.0), thresholds=(1.0,) * 3, params=_per_layer(
            **_ADEX_SHARED, adapt_decay=(0.95, 0.5, 1.0), a=(0.1, -2.0, 0.0), b=(0.05, 0.0, 3.0))),
        dict(betas=(0.9, 1.0, 0.0), thresholds=(1.0,) * 3, params=_per_layer(
            **_ADEX_SHARED, adapt_decay=(0.0, 0.9, 0.8), a=(127.9, 0.5, -128.0), b=(127.9, 0.2, 1.0))),
    ), _adex_cases, leaks=("multiplier", "lut"), check=lambda dut: len(dut.fixed.tables) == 1),
}


def test_compiled_kinds_cover_every_neuron_kind():
    from sc_neurocore.sc.contract import NEURONS

    assert sorted(COMPILED_KINDS) == sorted(set(NEURONS) - {"lif"})


@pytest.mark.parametrize(("kind", "net", "leak"), [
    pytest.param(kind, i, leak, id="-".join([kind, str(i)] + ([leak] if leak else [])))
    for kind, c in COMPILED_KINDS.items() for i in range(len(c.nets)) for leak in c.leaks])
def test_compiled_neuron_of_every_kind_is_the_contracts_step(kind, net, leak):
    """EquationNeuronStep.for_spec of a net of each neuron kind beyond LIF (the contract's equations of the kind,
    COMPILED_KINDS) against the contract's step of the kind (sc.fixed.neuron_step: synaptic_step, alif_step, ...):
    the same next states and spike for every layer over random states and currents plus the saturation edges, for
    each parameter set and leak; a record of 16 bits per state."""
    from amaranth.hdl import Module, Shape, Signal
    from sc_neurocore.export import QuantizedNet
    from sc_neurocore.hw.equation import EquationNeuronStep
    from sc_neurocore.hw.plan import EngineSpec
    from sc_neurocore.sc.contract import SCConfig
    from sc_neurocore.sc.fixed import neuron_step

    kc, states = COMPILED_KINDS[kind], KIND_STATES[kind]
    p = {"betas": (0.9, 1.0, 0.6), "thresholds": (0.5, 1.0, 1.5), "resets": None, **kc.nets[net]}
    g0 = np.random.default_rng(kc.weight_seed)
    sizes = (6, 5, 4, 3)
    ws = [g0.normal(0.2, 1.0, (b, a)) for a, b in zip(sizes[:-1], sizes[1:])]
    qnet = QuantizedNet.from_float(ws, [None] * 3, list(p["betas"]), list(p["thresholds"]), SCConfig(length=8),
                                   resets=p["resets"], neurons=kind, neuron_params=p["params"])
    dut = EquationNeuronStep.for_spec(EngineSpec.of(qnet, 4, (1, 1)), **({} if leak is None else {"leak": leak}))
    assert dut.states == states and Shape.cast(dut.signature.state_shape).width == 16 * len(states)
    assert kc.check(dut)
    one = len(states) == 1  # one state: the record is that state's signal
    state, next_state = ([rec] if one else [getattr(rec, s) for s in states] for rec in (dut.state, dut.next_state))
    cases = kc.cases(qnet)
    diffs = []

    async def bench(ctx):
        for li, layer in enumerate(qnet.layers):
            ctx.set(dut.layer, li)
            for *values, cur in cases:
                for sig, x in zip(state, values):
                    ctx.set(sig, x)
                ctx.set(dut.current, cur)
                ctx.set(dut.next_current, cur)
                ctx.set(dut.load, 1)
                await ctx.tick()  # the hoisted operations of the current are registered a clock ahead
                got = (*(ctx.get(s) for s in next_state), ctx.get(dut.spike))
                new, spike = neuron_step(kind, dict(zip(states, values)), cur, layer.beta_q, layer.threshold_q,
                                         layer.neuron_params, reset=layer.reset, reset_q=layer.reset_q)
                want = (*(int(new[s]) for s in states), int(spike))
                if got != want:
                    diffs.append((li, *values, cur, got, want))

    top = Module()  # a clock domain even when no operation of the step is hoisted into a register
    top.submodules.dut = dut
    tick = Signal()
    top.d.sync += tick.eq(~tick)
    sim = Simulator(top)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert diffs == []


@dataclass(frozen=True)
class EngineKind:
    """A net of one neuron kind in the engine: its two layers' neuron_params; the runs, ``(neuron, trace_ready_every,
    reset)`` (neuron: "default" for the engine's own choice, "one-program" for EquationNeuronStep.for_spec,
    "compiled-lif" for EquationNeuronStep.lif_for_spec; reset None: subtract); whether the default lane is a
    LookaheadNeuronStep (else an EquationNeuronStep); a further check of the lane."""

    params: list | None
    runs: tuple[tuple[str, int, str | None], ...]
    lookahead: bool = False
    check: Callable = lambda lane: True


_EXP_SHARED = {"v_rheobase": 0.3, "delta_t": 0.125}
#: Per neuron kind: the 7-6-3 net the engine runs (LIF: the compiled LIF in place of the engine's LIFStep), several
#: passes per group (T = 5, 2 time lanes), the trace stalled in some runs.
ENGINE_KINDS = {
    "lif": EngineKind(None, (("compiled-lif", 1, None),)),
    "synaptic": EngineKind([{"alpha": 0.8}, {"alpha": 0.6}], (
        ("default", 1, "subtract"), ("default", 3, "zero"), ("default", 2, "subtract-delayed"),
        ("one-program", 1, "subtract")), lookahead=True),
    "alif": EngineKind([{"adapt_decay": 0.9, "adapt_strength": 0.3}, {"adapt_decay": 0.7, "adapt_strength": 1.5}],
                       (("default", 1, None), ("default", 3, None))),
    "alpha": EngineKind([{"alpha_exc": 0.9, "alpha_inh": 0.7}, {"alpha_exc": 0.6, "alpha_inh": 0.95}], (
        ("default", 1, "subtract"), ("default", 3, "zero"), ("default", 2, "subtract-delayed"),
        ("one-program", 1, "subtract"), ("one-program", 3, "zero")), lookahead=True),
    "second_order": EngineKind([{"alpha": 0.8, "stiffness": 0.2}, {"alpha": 0.6, "stiffness": 1.5}],
                               (("default", 1, "subtract"), ("default", 3, "zero"))),
    # the compiled step with the net's exp table, its leaks as shifts and adds
    "expif": EngineKind([_EXP_SHARED] * 2, (("default", 1, None), ("default", 3, None)),
                        check=lambda lane: len(lane.fixed.tables) == 1 and lane.leak == "lut"),
    "adex": EngineKind([{**_EXP_SHARED, "adapt_decay": 0.9, "a": 0.5, "b": 0.2},
                        {**_EXP_SHARED, "adapt_decay": 0.7, "a": -0.3, "b": 0.5}],
                       (("default", 1, None), ("default", 3, None)), check=lambda lane: lane.leak == "lut"),
}


def test_engine_kinds_cover_every_neuron_kind():
    from sc_neurocore.sc.contract import NEURONS

    assert sorted(ENGINE_KINDS) == sorted(NEURONS)


@pytest.mark.parametrize(("kind", "neuron", "trace_ready_every", "reset"), [
    pytest.param(kind, *run, id="-".join([kind, run[0], str(run[1])] + ([run[2]] if run[2] else [])))
    for kind, e in ENGINE_KINDS.items() for run in e.runs])
def test_the_engine_runs_a_net_of_every_kind_like_the_model(kind, neuron, trace_ready_every, reset):
    """SCNetworkCore of a net of each neuron kind (ENGINE_KINDS: a record of the kind's states per lane; the engine's
    default neuron, the one-program compiled step or the compiled LIF), several passes, the trace stalled:
    every trace word, the kind's other states too, equals SCNetwork's and the independent reference; both layers
    spike and every layer uses each of its other states."""
    from amaranth.hdl import Fragment
    from sc_neurocore.hw.equation import EquationNeuronStep, LookaheadNeuronStep
    from sc_neurocore.hw.network import SCNetworkCore
    from sc_neurocore.sc.contract import SCConfig

    from .helpers import check_against_model, run_core
    from .reference import random_qnet

    ek = ENGINE_KINDS[kind]
    qnet = random_qnet([7, 6, 3], SCConfig(rng="sobol", seed=5, length=8), seed=2, neurons=kind, resets=reset,
                       neuron_params=ek.params)
    images = np.random.default_rng(3).integers(0, 256, (2, 7))
    factory = {"default": None, "one-program": EquationNeuronStep.for_spec,
               "compiled-lif": EquationNeuronStep.lif_for_spec}[neuron]
    core = SCNetworkCore(qnet, 5, parallelism=(2, 2), trace=True, neuron=factory)
    states = KIND_STATES[kind]
    extra = [s for s in states if s != "v"]
    assert set(extra) <= set(dict(core.signature.trace_layout))
    lane = core.neuron(core.spec)
    assert isinstance(lane, LookaheadNeuronStep if ek.lookahead and neuron == "default" else EquationNeuronStep)
    assert lane.states == states and ek.check(lane)
    Fragment.get(lane, None)  # it elaborates on its own (and is used)
    outs, words, _ = run_core(core, images, trace_ready_every=trace_ready_every)
    res = check_against_model(qnet, 5, images, outs, words)
    assert any(res.spikes[0].ravel()) and any(res.spikes[1].ravel())
    assert all(st[s].any() for st in res.states for s in extra)


def test_the_lookahead_neuron_without_trace_and_its_model():
    """Trace off (one step per clock, loads back to back): the results equal SCNetwork's; the component's NumPy
    model is sc.fixed.synaptic_step over random and saturating states and currents."""
    from amaranth.hdl import Fragment
    from sc_neurocore.hw.equation import LookaheadNeuronStep
    from sc_neurocore.hw.network import SCNetworkCore
    from sc_neurocore.sc.contract import SCConfig
    from sc_neurocore.sc.fixed import synaptic_step

    from .helpers import check_against_model, run_core
    from .reference import random_qnet

    qnet = random_qnet([7, 6, 3], SCConfig(rng="sobol", seed=6, length=8), seed=4, neurons="synaptic",
                       neuron_params=[{"alpha": 0.9}, {"alpha": 1.0}])
    images = np.random.default_rng(5).integers(0, 256, (3, 7))
    core = SCNetworkCore(qnet, 7, parallelism=(1, 3))
    outs, words, _ = run_core(core, images, trace=False)
    res = check_against_model(qnet, 7, images, outs, words)
    assert res.counts.sum() > 0
    dut = LookaheadNeuronStep.for_spec(core.spec)
    Fragment.get(dut, None)
    g = np.random.default_rng(9)
    i0, v0, cur = (np.concatenate([g.integers(-32768, 32768, 500), [32767, -32768, 0]]) for _ in range(3))
    for li, layer in enumerate(qnet.layers):
        got, spike = dut.model({"i_syn": i0, "v": v0}, cur, li)
        want = synaptic_step(i0, v0, cur, layer.neuron_params["alpha_q"], layer.beta_q, layer.threshold_q)
        assert (got["i_syn"].tolist(), got["v"].tolist(), spike.tolist()) == tuple(w.tolist() for w in want)


def test_the_alpha_lookahead_neuron_model_is_alpha_step():
    """LookaheadNeuronStep.for_spec of an Alpha net: its NumPy model (both currents' step, then the LIF on their
    exact difference) is sc.fixed.alpha_step for every layer and reset, over random states (the currents in
    [0, max_int], as alpha_step keeps them) and currents plus the saturation edges."""
    from amaranth.hdl import Fragment
    from sc_neurocore.hw.equation import LookaheadNeuronStep
    from sc_neurocore.hw.plan import EngineSpec
    from sc_neurocore.sc.contract import SCConfig
    from sc_neurocore.sc.fixed import alpha_step

    from .reference import random_qnet

    g = np.random.default_rng(11)
    n = 600
    e0, h0 = (np.concatenate([g.integers(0, 32768, n), [32767, 0, 32767, 0]]) for _ in range(2))
    v0, cur = (np.concatenate([g.integers(-32768, 32768, n), [32767, -32768, -32768, 0]]) for _ in range(2))
    for reset in ("subtract", "zero", "subtract-delayed"):
        qnet = random_qnet([5, 4, 3], SCConfig(length=8), seed=3, neurons="alpha", resets=reset,
                           neuron_params=[{"alpha_exc": 0.9, "alpha_inh": 0.5}, {"alpha_exc": 1.0, "alpha_inh": 0.0}])
        dut = LookaheadNeuronStep.for_spec(EngineSpec.of(qnet, 4, (1, 1)))
        Fragment.get(dut, None)
        assert dut.drive == (("i_exc", 1), ("i_inh", -1)) and dut.signature.state_shape.size == 48
        for li, layer in enumerate(qnet.layers):
            p = layer.neuron_params
            got, spike = dut.model({"i_exc": e0, "i_inh": h0, "v": v0}, cur, li)
            want = alpha_step(e0, h0, v0, cur, p["alpha_exc_q"], p["alpha_inh_q"], layer.beta_q, layer.threshold_q,
                              reset=layer.reset, reset_q=layer.reset_q)
            assert [got["i_exc"].tolist(), got["i_inh"].tolist(), got["v"].tolist(), spike.tolist()] == \
                [w.tolist() for w in want], (reset, li)


def test_lookahead_neuron_refuses_what_it_cannot_run():
    from sc_neurocore.compiler import from_equations
    from sc_neurocore.hw.equation import LookaheadNeuronStep

    filt = from_equations("i = 0.5*i + I").compile()
    core = from_equations("v = 0.9*v + I", threshold="v > 1", reset="v = 0").compile()
    with pytest.raises(ValueError, match="the filter has a threshold"):
        LookaheadNeuronStep(core, core, [{}])
    with pytest.raises(ValueError, match="the core holds one state"):
        LookaheadNeuronStep(filt, from_equations("v = 0.9*v + w; w = w + I", threshold="v > 1").compile(), [{}])
    two = from_equations("e = 0.5*e + max(I, 0)", "h = 0.25*h + max(-I, 0)").compile()
    with pytest.raises(ValueError, match="needs its drive"):
        LookaheadNeuronStep(two, core, [{}])
    for term in [("v", 1), ("e", 2), ("e", True), "e"]:
        with pytest.raises(ValueError, match="a drive term is"):
            LookaheadNeuronStep(two, core, [{}], drive=[term])
    with pytest.raises(ValueError, match="share one format"):
        LookaheadNeuronStep(filt, from_equations("v = 0.9*v + I", threshold="v > 1").compile("Q4.12"), [{}])
    with pytest.raises(ValueError, match="'alpha' is not a runtime parameter"):
        LookaheadNeuronStep(filt, core, [{"alpha": 3}])


def test_the_engine_refuses_a_net_of_mixed_neuron_models():
    from sc_neurocore.hw.network import SCNetworkCore
    from sc_neurocore.sc.contract import SCConfig

    from .reference import random_qnet

    qnet = random_qnet([7, 6, 3], SCConfig(length=8), seed=2, neurons=["synaptic", "lif"],
                       neuron_params=[{"alpha": 0.8}, None])
    with pytest.raises(ValueError, match=r"one neuron model in every layer .* not \['synaptic', 'lif'\]"):
        SCNetworkCore(qnet, 4)


def test_compiled_expif_refuses_a_net_whose_layers_differ():
    """One exp table per net: EquationNeuronStep.for_spec of an ExpIF net whose layers differ in delta_t (made past
    the export's own check) names the parameter."""
    import dataclasses

    from sc_neurocore.export import QuantizedNet
    from sc_neurocore.hw.equation import EquationNeuronStep
    from sc_neurocore.hw.plan import EngineSpec
    from sc_neurocore.sc.contract import SCConfig

    from .reference import random_qnet

    qnet = random_qnet([5, 4, 3], SCConfig(length=8), neurons="expif",
                       neuron_params=[{"v_rheobase": 0.3, "delta_t": 0.1}] * 2)
    odd = QuantizedNet((qnet.layers[0], dataclasses.replace(qnet.layers[1], neuron_params={
        "v_rheobase_q": qnet.layers[1].neuron_params["v_rheobase_q"], "delta_t_q": 30})), qnet.config)
    with pytest.raises(ValueError, match=r"every layer must share its delta_t, not \[26, 30\]"):
        EquationNeuronStep.for_spec(EngineSpec.of(odd, 4, (1, 1)))


def _lif_spec(thetas=(0.5, 1.0, 1.5), resets=None):
    from sc_neurocore.export import QuantizedNet
    from sc_neurocore.hw.plan import EngineSpec
    from sc_neurocore.sc.contract import SCConfig

    ws = [np.random.default_rng(4).normal(0.2, 1.0, (b, a)) for a, b in ((6, 5), (5, 4), (4, 3))]
    qnet = QuantizedNet.from_float(ws, [None] * 3, [0.9, 0.8, 0.5], list(thetas), SCConfig(length=8), resets=resets)
    return EngineSpec.of(qnet, 4, (1, 1))


@pytest.mark.parametrize("neuron", ["lif-subtract", "lif-zero", "no-state-read"])
def test_the_compiled_neuron_hoists_what_needs_no_state(neuron):
    """hoisted(): the operations that read no state, hold logic (not only wiring: the input, parameters, constants,
    shifts) and are read by an operation that reads a state or are an output -- for the LIF, I - theta among them
    (LIFStep's current - theta): the membrane's comparison then starts from a register; a next state that reads
    no state is hoisted whole."""
    from amaranth.hdl import Fragment
    from sc_neurocore.hw.equation import EquationNeuronStep

    if neuron == "no-state-read":
        dut = EquationNeuronStep(from_equations("v = I - 0.5").compile(), [{}])
    else:
        dut = EquationNeuronStep.lif_for_spec(_lif_spec(resets=None if neuron == "lif-subtract" else ("zero",) * 3))
    Fragment.get(dut, None)  # the hoisted operations' registers and what they read elaborate
    ops = dut.fixed.ops
    reads_state, wiring_only = [], []
    for op in ops:
        reads_state.append(op.kind == "state" or any(reads_state[a] for a in op.args))
        wiring_only.append(op.kind in ("input", "param", "const", "shl", "shr") and all(wiring_only[a] for a in op.args))
    outputs = set(dut.fixed.next_state.values()) | ({dut.fixed.spike} - {None})
    read_by_state = {a for i, op in enumerate(ops) if reads_state[i] for a in op.args}
    want = [i for i in range(len(ops))
            if not reads_state[i] and not wiring_only[i] and (i in read_by_state or i in outputs)]
    assert dut.hoisted() == want
    if neuron == "no-state-read":
        assert want == [dut.fixed.next_state["v"]]
        return
    theta, cur = dut.fixed.param_ops["theta"], dut.fixed.input_op
    shifted = {i: op.args[0] for i, op in enumerate(ops) if op.kind == "shl"}
    assert any(ops[i].kind == "sub" and [shifted.get(a, a) for a in ops[i].args] == [cur, theta] for i in want)


def _step_each_layer(dut, cases, n_layers):
    """``[(layer, v, i, next v, spike)]`` of a one-state EquationNeuronStep: next_current = current, load, a tick."""
    from amaranth.hdl import Module, Signal

    got = []

    async def bench(ctx):
        for li in range(n_layers):
            ctx.set(dut.layer, li)
            for v, i in cases:
                ctx.set(dut.state, v)
                ctx.set(dut.current, i)
                ctx.set(dut.next_current, i)
                ctx.set(dut.load, 1)
                await ctx.tick()  # the hoisted operations of the current are registered a clock ahead
                got.append((li, v, i, ctx.get(dut.next_state), ctx.get(dut.spike)))

    top = Module()  # a clock domain even when no operation is hoisted
    top.submodules.dut = dut
    tick = Signal()
    top.d.sync += tick.eq(~tick)
    sim = Simulator(top)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return got


@pytest.mark.parametrize("layers", [
    ((-1, 1), (0, -1), (1, 0), (-256, 256), (77, -77), (-3, 200)),  # (k, g) per layer
    ((-3, 77),),  # one layer
    ((5, -1), (-2, -1), (5, -1)),  # two values of k, one of g
])
@pytest.mark.parametrize("leak", ["multiplier", "lut"])
def test_per_layer_constants_of_either_sign(leak, layers):
    """Two runtime parameters that multiply the state (one the first operand of its product, one the second), set
    per layer to constants of either sign (-1, 0 and 1 LSB among them): with leak="lut" each layer's products are
    shifts and adds of its constants (no multiplier in the Verilog); every layer's step equals the NumPy step with
    that layer's parameters."""
    from sc_neurocore.hw import verilog
    from sc_neurocore.hw.equation import EquationNeuronStep

    fixed = from_equations("v = k*v + v*g + I", threshold="v > 1", reset="v = 0", params={"k": 0.5, "g": 0.25},
                           runtime={"k": (-1, 1), "g": (-1, 1)}).compile(formats={"k": "Q2.8", "g": "Q2.8"})
    muls = [op.args for op in fixed.ops if op.kind == "mul"]
    assert sorted(a.index(fixed.param_ops[p]) for a, p in zip(muls, "kg")) == [0, 1]  # k*v and v*g
    layers = [{"k": k, "g": g} for k, g in layers]
    text = verilog(EquationNeuronStep(fixed, layers, leak=leak), name="n")
    assert text.count(" * ") == (0 if leak == "lut" else 2)
    dut = EquationNeuronStep(fixed, layers, leak=leak)
    g = np.random.default_rng(7)
    cases = [(int(a), int(b)) for a, b in g.integers(-32768, 32768, (40, 2))] + [(32767, 32767), (-32768, -32768),
                                                                                 (-32768, 32767), (255, 1), (-1, 0)]
    v, cur = np.array(cases).T
    want = []
    for li, params in enumerate(layers):
        nxt, spike = fixed.step({"v": v}, cur, params)
        want += list(zip([li] * len(cases), v.tolist(), cur.tolist(), nxt["v"].tolist(), spike.tolist()))
    assert _step_each_layer(dut, cases, len(layers)) == want


def test_the_smallest_threshold_the_contract_allows():
    """theta = reset = one LSB (threshold_q = 1, what EngineSpec allows): the compiled LIF takes it and steps like
    the contract's LIF (sc.fixed.lif_step) at the tie v = theta and around it."""
    from sc_neurocore.hw.equation import EquationNeuronStep
    from sc_neurocore.sc.fixed import lif_step

    spec = _lif_spec(thetas=(1 / 256, 1.0, 1 / 256))
    assert [int(layer.threshold_q) for layer in spec.qnet.layers] == [1, 256, 1]
    dut = EquationNeuronStep.lif_for_spec(spec)
    cases = [(v, i) for v in (-2, -1, 0, 1, 2, 256, 32767) for i in (-1, 0, 1, 2)]
    got = _step_each_layer(dut, cases, 3)
    want = []
    for li, layer in enumerate(spec.qnet.layers):
        for v, i in cases:
            nv, s = lif_step(v, i, layer.beta_q, layer.threshold_q)
            want.append((li, v, i, int(nv), int(s)))
    assert got == want


def test_the_lookahead_neurons_default_drive_is_its_one_filter_state():
    """Without a drive, the core's current is the filter's one state, sign +1: the model is the filter's step, then
    the core's with the new filter state as its current."""
    from amaranth.hdl import Fragment
    from sc_neurocore.hw.equation import LookaheadNeuronStep

    filt = from_equations("i = 0.5*i + I").compile()
    core = from_equations("v = 0.75*v + I", threshold="v > 1", reset="v = 0").compile()
    dut = LookaheadNeuronStep(filt, core, [{}])
    assert dut.drive == (("i", 1),) and dut.states == ("i", "v")
    Fragment.get(dut, None)  # its one state is the drive's register
    g = np.random.default_rng(8)
    i0, v0, cur = (np.concatenate([g.integers(-32768, 32768, 200), [32767, -32768, 0]]) for _ in range(3))
    got, spike = dut.model({"i": i0, "v": v0}, cur, 0)
    f, _ = filt.step({"i": i0}, cur)
    c, s = core.step({"v": v0}, f["i"])
    assert (got["i"].tolist(), got["v"].tolist(), spike.tolist()) == (f["i"].tolist(), c["v"].tolist(), s.tolist())


def test_a_drive_of_one_filter_state_is_that_states_register():
    """The Synaptic neuron's drive is i_syn itself: its register ahead is the core's current, no drive register of its
    own; the Alpha neuron's drive, i_exc - i_inh, gets one (drive_ahead)."""
    from sc_neurocore.hw import verilog
    from sc_neurocore.hw.equation import LookaheadNeuronStep
    from sc_neurocore.hw.plan import EngineSpec
    from sc_neurocore.sc.contract import SCConfig

    from .reference import random_qnet

    names = {}
    for model, params in (("synaptic", {"alpha": 0.8}), ("alpha", {"alpha_exc": 0.9, "alpha_inh": 0.5})):
        qnet = random_qnet([5, 4, 3], SCConfig(length=8), seed=3, neurons=model, neuron_params=[params] * 2)
        names[model] = "drive_ahead" in verilog(LookaheadNeuronStep.for_spec(EngineSpec.of(qnet, 4, (1, 1))), name="n")
    assert names == {"synaptic": False, "alpha": True}
