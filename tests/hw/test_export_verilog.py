"""``sc-neurocore export-verilog`` (sw/cli/export_verilog.py): units, --export NPZ and --checkpoint."""

from __future__ import annotations

import pytest
from sc_neurocore.cli import main
from sc_neurocore.cli.export_verilog import parse_parallelism, parse_params
from sc_neurocore.sc.contract import SCConfig

from .reference import random_qnet


@pytest.mark.parametrize("unit,params", [
    ("lfsr", ["width=12", "steps=4", "kind=galois", "seed=7"]),
    ("sobol", ["dimension=1", "window=4", "seed=3"]),
    ("sng", ["lanes=4"]),
    ("dot", ["n_inputs=6", "mult=999", "shift=9"]),
    ("lif", ["beta_q=200", "theta_q=300"]),
    ("lif", []),
])
def test_units_without_checkpoint(unit, params, tmp_path, capsys):
    out = tmp_path / f"{unit}.v"
    argv = ["export-verilog", "--unit", unit, "--name", f"u_{unit}", "-o", str(out), "--length", "8"]
    for p in params:
        argv += ["--param", p]
    assert main(argv) == 0
    assert f"module u_{unit}(" in out.read_text()
    assert "wrote" in capsys.readouterr().out


def test_net_from_export(tmp_path, capsys):
    qnet = random_qnet([6, 5, 3], SCConfig(length=4, rng="sobol"), seed=1)
    npz = qnet.save(tmp_path / "q.npz")
    out = tmp_path / "net.v"
    assert main(["export-verilog", "--export", str(npz), "--unit", "net", "--param", "T=3",
                 "--param", "parallelism=2x3", "--param", "trace=true", "-o", str(out)]) == 0
    text = out.read_text()
    assert "module top(" in text and "trace__payload" in text
    from sc_neurocore.hw import cycles_per_image

    assert f"at most {cycles_per_image(qnet, 3, (2, 3))} clocks per image" in capsys.readouterr().out
    assert main(["export-verilog", "--export", str(npz), "--unit", "net", "--param", "parallelism=2x3,3x5",
                 "-o", str(out)]) == 2
    assert "one LANESxTLANES pair" in capsys.readouterr().err


def test_net_from_checkpoint(tmp_path):
    torch = pytest.importorskip("torch")
    from sc_neurocore.training import SpikingNet
    from sc_neurocore.training.checkpoint import save_checkpoint

    torch.manual_seed(0)
    ckpt = save_checkpoint(SpikingNet(n_input=8, n_hidden=6, n_output=3), tmp_path / "m.pt", dataset="none")
    out = tmp_path / "net.v"
    assert main(["export-verilog", "--checkpoint", str(ckpt), "--unit", "net", "--length", "4", "--rng", "sobol",
                 "--param", "T=2", "-o", str(out)]) == 0
    assert "module top(" in out.read_text()


@pytest.mark.parametrize("argv,msg", [
    (["--unit", "net"], "needs --checkpoint"),
    (["--unit", "dot", "--param", "bogus=1"], "bogus"),
    (["--unit", "lfsr", "--param", "width=3"], "3"),
    (["--unit", "sng", "--param", "noequals"], "KEY=VALUE"),
])
def test_bad_usage_exits_2_and_writes_nothing(argv, msg, tmp_path, capsys):
    assert main(["export-verilog", *argv, "-o", str(tmp_path / "x.v")]) == 2
    assert msg in capsys.readouterr().err
    assert not (tmp_path / "x.v").exists()


def test_parsers():
    assert parse_params(["a=0x10", "b=true", "c=fib"]) == {"a": 16, "b": True, "c": "fib"}
    assert parse_parallelism("16x16,10x32") == [(16, 16), (10, 32)]
    assert parse_parallelism("4x2") == (4, 2)
    with pytest.raises(ValueError, match="16y"):
        parse_parallelism("16y")
