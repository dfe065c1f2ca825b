"""Co-simulation of compiled neurons: the RTL of :class:`~sc_neurocore.hw.equation.EquationBank` s against
the NumPy stepper (``sc_neurocore.compiler``), every integer, on Icarus or Verilator.

Host side: :func:`generate_testbench` (the published name, on our semantics) takes a neuron
(``from_equations(...)`` or its compiled ``FixedNeuron``) and a seeded random current trace, computes
the expected states and spikes with :func:`sc_neurocore.compiler.numpy_backend.run`, and returns an
:class:`EquationTestbench` whose :meth:`~EquationTestbench.run` builds the bank through
:func:`sc_neurocore.sim.runner.build` (``cocotb_tools.runner``, hash-keyed, cached) and runs the cocotb
test below in the simulator.

Several testbenches combine into one simulated top (:meth:`EquationTestbench.combine`: bank ``k``'s
streams are the ports ``b<k>_i``, ``b<k>_o``), so that one simulator build checks several neurons.

Simulator side (the cocotb test :func:`equation_matches_model`): driver -> monitor -> scoreboard, one
driver and monitor per bank, concurrently.  A driver offers the currents (neuron 0 .. n-1 of step 0, then step 1, ...) on ``i`` with random gaps,
the monitor takes ``o`` with random backpressure, and a :class:`~sc_neurocore.sim.scoreboard.Scoreboard`
compares each step's neuron index, spike and every state with the model's (from the vectors file
``$SC_EQ_VECTORS``; the testbench computes nothing itself).  ``$SC_SIM_INJECT=equation`` corrupts one
value read, to prove the scoreboard fails.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cocotb
import numpy as np

from .scoreboard import Scoreboard
from .tb import reset, write_report

__all__ = ["EquationCase", "EquationTestbench", "EquationResult", "generate_testbench", "equation_matches_model"]


# ------------------------------------------------------------------------------- cocotb side


def _field(word: int, offset: int, width: int, is_signed: bool) -> int:
    x = (word >> offset) & ((1 << width) - 1)
    return x - (1 << width) if is_signed and x >> (width - 1) else x


async def _drive_bank(dut, k: int, vec) -> dict:
    """Driver and monitor of bank ``k``: offer its currents with random gaps, take its outputs with random
    backpressure; returns what the monitor read, per field."""
    from cocotb.triggers import FallingEdge, ReadOnly

    port = lambda name: getattr(dut, f"b{k}_{name}")  # noqa: E731
    currents = vec[f"b{k}_currents"]
    names = [str(x) for x in vec[f"b{k}_state_names"]]
    fields = vec[f"b{k}_fields"]
    in_width = int(vec[f"b{k}_in_width"])
    flat = currents.reshape(-1)
    rng = np.random.default_rng(int(vec[f"b{k}_seed"]) + 7919 * k)
    got = {"neuron": [], "spike": [], **{x: [] for x in names}}
    sent = 0
    for _ in range(4 * flat.size + 100):
        if len(got["spike"]) == flat.size:
            break
        offer = sent < flat.size and rng.random() < 0.85
        port("i__valid").value = int(offer)
        port("i__payload").value = int(flat[sent]) & ((1 << in_width) - 1) if offer else 0
        port("o__ready").value = int(rng.random() < 0.8)
        await ReadOnly()
        if offer and int(port("i__ready").value):
            sent += 1
        if int(port("o__valid").value) and int(port("o__ready").value):
            word = port("o__payload").value.to_unsigned()
            for key, (off, width, sgn) in zip(["neuron", "spike", *names], fields):
                got[key].append(_field(word, int(off), int(width), bool(sgn)))
        await FallingEdge(dut.clk)
    return got


@cocotb.test()
async def equation_matches_model(dut):
    """Every step's neuron, spike and states of each bank against the NumPy stepper's (the vectors file)."""
    vec = np.load(os.environ["SC_EQ_VECTORS"])
    banks = int(vec["banks"])
    for k in range(banks):
        getattr(dut, f"b{k}_i__valid").value = 0
        getattr(dut, f"b{k}_o__ready").value = 0
    await reset(dut)
    tasks = [cocotb.start_soon(_drive_bank(dut, k, vec)) for k in range(banks)]
    results = [await t for t in tasks]
    sb = Scoreboard("equation")
    for k, got in enumerate(results):
        steps, n = vec[f"b{k}_currents"].shape
        expect = {"neuron": np.broadcast_to(np.arange(n), (steps, n)), "spike": vec[f"b{k}_spikes"],
                  **{x: vec[f"b{k}_state_{x}"] for x in got if x not in ("neuron", "spike")}}
        taken = len(got["spike"])
        if taken != steps * n:
            sb.compare("steps taken", [steps * n], [taken], bank=k)
            continue
        for key, values in got.items():
            arr = np.array(values, dtype=np.int64).reshape(steps, n)
            if key == "spike" and k == 0 and os.environ.get("SC_SIM_INJECT") == "equation":
                arr[1, 0] ^= 1
            sb.compare(key, expect[key], arr, axes=("step", "neuron"), bank=k)
    write_report({"equation": sb.as_dict()})
    sb.check()


# ------------------------------------------------------------------------------- host side


@dataclass
class EquationResult:
    """One co-simulation: ``mismatches`` of ``compared`` integers (neuron indices, spikes, states)."""

    sim: str
    passed: bool
    compared: int
    mismatches: int
    first: dict | None  # the first mismatch: quantity, expected, got, bank, step, neuron
    wall_s: float
    build_s: float
    rebuilt: bool

    def line(self) -> str:
        return f"mismatches: {self.mismatches} of {self.compared} integers"

    def first_text(self) -> str:
        """The first mismatch in words (empty without one)."""
        if not self.first:
            return ""
        f = dict(self.first)
        q, e, g = f.pop("quantity"), f.pop("expected"), f.pop("got")
        return f"{q} at {', '.join(f'{k} {v}' for k, v in f.items())}: NumPy model {e}, RTL {g}"


@dataclass
class EquationCase:
    """One bank: a compiled neuron, the bank's settings, a current trace and the model's answer."""

    fixed: object
    currents: np.ndarray
    n_neurons: int
    stages: int
    seed: int
    spikes: np.ndarray
    states: dict

    def key(self) -> str:
        prog = json.dumps(self.fixed.program(), sort_keys=True)
        return f"{hashlib.sha256(prog.encode()).hexdigest()}:{self.n_neurons}:{self.stages}"


def _harness(cases):
    """The simulated top: bank ``k`` of each case with its streams as ports ``b<k>_i``, ``b<k>_o``."""
    from amaranth.hdl import Module, signed
    from amaranth.lib import stream, wiring
    from amaranth.lib.wiring import In, Out

    from ..hw.equation import EquationBank, bank_layout

    class EquationHarness(wiring.Component):
        def __init__(self):
            members = {}
            for k, c in enumerate(cases):
                members[f"b{k}_i"] = In(stream.Signature(signed(c.fixed.input_format.width)))
                members[f"b{k}_o"] = Out(stream.Signature(bank_layout(c.fixed, c.n_neurons)))
            super().__init__(members)

        def elaborate(self, platform):
            m = Module()
            for k, c in enumerate(cases):
                bank = m.submodules[f"bank{k}"] = EquationBank(c.fixed, c.n_neurons, c.stages)
                wiring.connect(m, wiring.flipped(getattr(self, f"b{k}_i")), bank.i)
                wiring.connect(m, bank.o, wiring.flipped(getattr(self, f"b{k}_o")))
            return m

    return EquationHarness()


@dataclass
class EquationTestbench:
    """Banks of compiled neurons in one simulated top, with their traces and the model's answers
    (:func:`generate_testbench`; :meth:`combine` puts several in one build)."""

    cases: list

    @property
    def key(self) -> str:
        """What fixes the RTL: each bank's program, size and pipeline depth."""
        return "equation:" + ";".join(c.key() for c in self.cases)

    @staticmethod
    def combine(benches) -> EquationTestbench:
        return EquationTestbench([c for b in benches for c in b.cases])

    def component(self):
        return _harness(self.cases)

    def write_vectors(self, path) -> Path:
        """The vectors file the cocotb test reads: per bank the currents, the expected spikes and states and
        where each output field lies in the bank's output word."""
        from ..hw.equation import bank_layout, state_layout

        arrays = {"banks": len(self.cases)}
        for k, c in enumerate(self.cases):
            lay, st = bank_layout(c.fixed, c.n_neurons), state_layout(c.fixed)
            rows = [(lay["neuron"].offset, lay["neuron"].width, 0), (lay["spike"].offset, 1, 0)]
            rows += [(lay["state"].offset + st[s].offset, st[s].width, 1) for s in c.fixed.states]
            arrays.update({f"b{k}_currents": c.currents, f"b{k}_spikes": c.spikes,
                           f"b{k}_state_names": np.array(c.fixed.states), f"b{k}_fields": np.array(rows, np.int64),
                           f"b{k}_in_width": c.fixed.input_format.width, f"b{k}_seed": c.seed,
                           **{f"b{k}_state_{s}": v for s, v in c.states.items()}})
        from ..fileio import atomic_output

        with atomic_output(path) as tmp, open(tmp, "wb") as fh:  # np.savez(name) would add .npz
            np.savez(fh, **arrays)
        return Path(path)

    def run(self, sim: str | None = None, *, inject: bool = False, progress=None) -> EquationResult:
        """Build (cached) and simulate; the result counts the compared integers and the mismatches."""
        from . import runner

        design = runner.build(self.component, "equation_bench", sim=sim, key=self.key, progress=progress)
        with tempfile.TemporaryDirectory(prefix="sc_eq_") as tmp:
            vectors = self.write_vectors(Path(tmp) / "vectors.npz")
            env = {"SC_EQ_VECTORS": str(vectors), **({"SC_SIM_INJECT": "equation"} if inject else {})}
            res = design.run(__name__, extra_env=env, test_dir=Path(tmp) / "run", check=False)
        board = res.report.get("equation", {})
        if not board:
            raise runner.SimulationFailed(f"{design.sim} run of the equation banks reported nothing\n{res.log[-3000:]}")
        return EquationResult(design.sim, res.passed, int(board["compared"]), int(board["mismatches"]),
                              board.get("first_where"), res.wall_s, design.build_s, design.rebuilt)


def generate_testbench(neuron, *, steps: int = 200, n_neurons: int = 4, seed: int = 0, stages: int = 1,
                       currents=None, **compile_kw) -> EquationTestbench:
    """A cocotb testbench of ours for ``neuron`` (an ``EquationNeuron``, compiled with ``compile_kw``, or a
    ``FixedNeuron``): ``currents`` (``(steps, n_neurons)`` integers of ``I``'s format) or a seeded random
    trace (:func:`~sc_neurocore.compiler.numpy_backend.random_currents`), the model's answer computed here."""
    from ..compiler.equation_compiler import EquationNeuron
    from ..compiler.ir import FixedNeuron
    from ..compiler.numpy_backend import random_currents, run

    if isinstance(neuron, EquationNeuron):
        neuron = neuron.compile(**compile_kw)
    elif compile_kw:
        raise ValueError(f"a compiled neuron takes no compile options ({', '.join(compile_kw)})")
    if not isinstance(neuron, FixedNeuron):
        raise TypeError(f"neuron must be an EquationNeuron or a FixedNeuron, not {neuron!r}")
    cur = random_currents(neuron, steps, n_neurons, seed) if currents is None else np.asarray(currents)
    if cur.ndim != 2 or cur.shape[1] != n_neurons:
        raise ValueError(f"currents must be (steps, {n_neurons}), not shape {cur.shape}")
    spikes, states = run(neuron, cur)
    return EquationTestbench([EquationCase(neuron, cur.astype(np.int64), n_neurons, stages, seed, spikes, states)])
