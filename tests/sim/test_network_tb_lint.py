"""The network testbench's SystemVerilog half (``network_tb.sv``, package data) passes ``verilator --lint-only -Wall``.

Linted around a real ``SCNetworkCore`` (with and without its trace stream), with every Verilator
warning on and fatal; only the generated core's own file is waived (Amaranth's output is not
ours to lint here).
"""

import subprocess
from importlib.resources import files

import pytest

pytest.importorskip("amaranth")
pytest.importorskip("cocotb")

from sc_neurocore.hw.network import SCNetworkCore  # noqa: E402
from sc_neurocore.sc.contract import SCConfig  # noqa: E402
from sc_neurocore.sim import runner, tb_network  # noqa: E402
from sc_neurocore.sim.nets import random_qnet  # noqa: E402


def test_testbench_ships_inside_the_package():
    text = files("sc_neurocore.sim").joinpath(tb_network.TB_SOURCE).read_text()
    assert f"module {tb_network.TB_MODULE} #(" in text and f"{tb_network.CORE_MODULE} dut (" in text
    assert text == tb_network.tb_source_text()


@pytest.mark.sim
@pytest.mark.parametrize("trace", [True, False])
def test_testbench_lints_clean(tmp_path, trace):
    try:
        runner.check_simulator("verilator")
    except runner.SimulatorNotFound as exc:
        pytest.skip(str(exc))
    qnet = random_qnet((7, 6, 3), SCConfig(length=8, rng="sobol", seed=5), seed=2)
    core = tmp_path / "sc_net.v"
    core.write_text(runner.verilog_of(SCNetworkCore(qnet, 5, parallelism=(2, 3), trace=trace), tb_network.CORE_MODULE))
    tb = tmp_path / tb_network.TB_SOURCE
    tb.write_text(tb_network.tb_source_text())
    waiver = tmp_path / "waive.vlt"
    waiver.write_text('`verilator_config\nlint_off -file "*/sc_net.v"\n')
    params = [f"-G{k}={v}" for k, v in tb_network.network_parameters(qnet, 5).items()]
    cmd = ["verilator", "--lint-only", "-Wall", "--timing", "--timescale", "1ns/1ps", "--top-module",
           tb_network.TB_MODULE, *params, *(["-DSC_TRACE"] if trace else []), str(waiver), str(core), str(tb)]
    proc = subprocess.run(cmd, cwd=tmp_path, env=runner.tool_env("verilator"), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "%Warning" not in proc.stderr


@pytest.mark.sim
def test_lint_catches_a_fault(tmp_path):
    """The same command fails on a testbench with a width bug: the lint check can fail."""
    try:
        runner.check_simulator("verilator")
    except runner.SimulatorNotFound as exc:
        pytest.skip(str(exc))
    bad = tb_network.tb_source_text().replace("rd_ptr <= rd_ptr + 32'd1;", "rd_ptr <= rd_ptr + 8'd1;")
    assert bad != tb_network.tb_source_text()
    (tmp_path / "sc_net.v").write_text("module sc_net(input clk, input rst, input [7:0] i__payload, input i__valid,\n"
                                       "  output i__ready, output [10:0] o__payload, output o__valid, input o__ready);\n"
                                       "  assign i__ready = 1'b0; assign o__payload = 11'd0; assign o__valid = 1'b0;\n"
                                       "endmodule\n")
    (tmp_path / "waive.vlt").write_text('`verilator_config\nlint_off -file "*/sc_net.v"\n')
    (tmp_path / "tb.sv").write_text(bad)
    cmd = ["verilator", "--lint-only", "-Wall", "--timing", "--timescale", "1ns/1ps", "--top-module",
           tb_network.TB_MODULE, "-GO_BITS=11", "waive.vlt", "sc_net.v", "tb.sv"]
    proc = subprocess.run(cmd, cwd=tmp_path, env=runner.tool_env("verilator"), capture_output=True, text=True)
    assert proc.returncode != 0 and "WIDTH" in proc.stderr
