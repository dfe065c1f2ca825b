"""``sc-neurocore compile-neuron``: Verilog written, the NumPy == RTL line and its exit code, synthesis figures."""

from __future__ import annotations

import pytest

pytest.importorskip("amaranth")

LIF = ["--equations", "dv/dt = -v/tau + I", "--threshold", "v > 1", "--reset", "v = 0", "--param", "tau=10"]


def _need(sim):
    from sc_neurocore.sim import runner

    try:
        runner.check_simulator(sim)
    except runner.SimulatorNotFound as exc:
        pytest.skip(str(exc))


def test_writes_the_verilog_and_the_range_report(cli, tmp_path):
    out = tmp_path / "lif.v"
    r = cli("compile-neuron", *LIF, "--neurons", "3", "--stages", "2", "--name", "lif3", "-o", out)
    assert r.code == 0, r.err
    text = out.read_text()
    assert "module lif3" in text and "o__payload" in text
    assert f"wrote {out}" in r.out and "3 neuron(s), 2 stage(s)" in r.out and "v Q8.8, I Q8.8" in r.out
    assert "dv/dt = -v/tau + I" in r.out and "(saturates)" in r.out


def test_formats_domains_and_several_equation_options(cli, tmp_path):
    out = tmp_path / "expif.v"
    r = cli("compile-neuron", "--equations", "v = beta*v + 0.01*exp(10*min(v, 1) - 8) + I", "--param", "beta=0.9",
            "--domain", "exp=-8:2", "--threshold", "v > 1", "--reset", "v -= 1", "--format", "Q6.10",
            "--signal-format", "I=Q8.8", "--rounding", "round", "-o", out)
    assert r.code == 0, r.err
    assert "1 table(s); v Q6.10, I Q8.8; saturate, round" in r.out


@pytest.mark.sim
def test_verify_prints_the_mismatch_line_and_fails_on_a_fault(cli, tmp_path, monkeypatch):
    _need("icarus")
    out = tmp_path / "fhn.v"
    fhn = ["--equations", "v3 = v*v*v", "--equations", "dv/dt = v - v3/3 - w + I; dw/dt = (v + 0.7 - 0.8*w)/12.5",
           "--threshold", "v > 1", "--dt", "0.1", "--format", "Q4.12", "--signal-format", "v3=Q11.12", "--init",
           "v=-1", "--neurons", "2", "-o", out, "--verify", "icarus", "--steps", "150", "--seed", "3"]
    r = cli("compile-neuron", *fhn)
    assert r.code == 0, r.err
    assert "icarus: 150 steps x 2 neuron(s), seed 3: mismatches: 0 of 1200 integers" in r.out
    monkeypatch.setenv("SC_SIM_INJECT", "equation")  # the testbench corrupts one value it reads
    r = cli("compile-neuron", *fhn)
    assert r.code == 1
    assert "mismatches: 1 of 1200 integers" in r.out
    assert r.err.splitlines()[-1].startswith("sc-neurocore compile-neuron: RTL differs from the NumPy model on icarus")
    assert "spike at bank 0, step 1, neuron 0" in r.err


@pytest.mark.synth
def test_synth_prints_resources_and_fmax(cli, tmp_path):
    from sc_neurocore.boards.unit_synth import check_synth_tools
    from sc_neurocore.errors import MissingTool

    try:
        check_synth_tools("ice40")
    except MissingTool as exc:
        pytest.skip(str(exc))
    r = cli("compile-neuron", *LIF, "-o", tmp_path / "lif.v", "--synth", "ice40")
    assert r.code == 0, r.err
    line = next(x for x in r.out.splitlines() if x.startswith("ice40: one neuron unit"))
    assert "iCE40 UP5K" in line and "LUT4" in line and "1 DSP" in line and "MHz" in line
