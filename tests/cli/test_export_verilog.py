"""``sc-neurocore export-verilog`` (sw/cli/export_verilog.py): units, the network core from --export and --checkpoint."""

from __future__ import annotations

import pytest
from sc_neurocore.cli.export_verilog import parse_params
from sc_neurocore.sc.contract import SCConfig


@pytest.mark.parametrize("unit,params", [
    ("lfsr", ["width=12", "steps=4", "kind=galois", "seed=7"]),
    ("sobol", ["dimension=1", "window=4"]),
    ("sng", ["lanes=4"]),
    ("dot", ["n_inputs=6", "mult=999", "shift=9"]),
    ("lif", ["beta_q=200", "theta_q=300"]),
    ("lif", []),
])
def test_units_without_a_net(unit, params, tmp_path, cli):
    out = tmp_path / f"{unit}.v"
    argv = ["export-verilog", "--unit", unit, "--name", f"u_{unit}", "-o", out, "--length", "8"]
    for p in params:
        argv += ["--param", p]
    r = cli(*argv)
    assert r.code == 0, r.err
    assert f"module u_{unit}(" in out.read_text()
    assert "wrote" in r.out


def test_net_from_export(tmp_path, cli, make_qnet):
    from sc_neurocore.hw import cycles_per_image

    qnet = make_qnet((6, 5, 3), SCConfig(length=4, rng="sobol"), seed=1)
    npz = qnet.save(tmp_path / "q.npz")
    out = tmp_path / "net.v"
    r = cli("export-verilog", "--export", npz, "--T", "3", "--parallelism", "2x3", "--param", "trace=true", "-o", out)
    assert r.code == 0, r.err
    text = out.read_text()
    assert "module top(" in text and "trace__payload" in text
    assert f"at most {cycles_per_image(qnet, 3, (2, 3)):,} clocks per image" in r.out
    assert "parallelism 2x3" in r.out and "rng=sobol" in r.out


def test_net_from_checkpoint_uses_the_contract_default(checkpoint, tmp_path, cli):
    out = tmp_path / "net.v"
    r = cli("export-verilog", "--checkpoint", checkpoint, "--length", "4", "-o", out)
    assert r.code == 0, r.err
    assert "module top(" in out.read_text()
    assert f"rng={SCConfig().rng}" in r.out and "T=5" in r.out  # T from the checkpoint's metadata


@pytest.mark.parametrize("argv,msg", [
    (["--unit", "net"], "needs the net"),
    (["--unit", "dot", "--param", "bogus=1"], "no parameter 'bogus'"),
    (["--unit", "lfsr", "--param", "width=3"], "3"),
    (["--unit", "sng", "--param", "noequals"], "KEY=VALUE"),
    (["--unit", "lfsr", "--param", "T=3"], "no parameter 'T'"),
    (["--unit", "dot", "--parallelism", "2x2"], "applies to --unit net"),
])
def test_errors(argv, msg, tmp_path, cli):
    r = cli("export-verilog", *argv, "-o", tmp_path / "x.v")
    assert r.code == 2 and msg in r.err and r.err.startswith("sc-neurocore export-verilog: ")
    assert not (tmp_path / "x.v").exists()


def test_parallelism_has_one_syntax(export_npz, tmp_path, cli):
    for argv, msg in ((["--param", "parallelism=1x4"], "use --parallelism LANESxTLANES"),
                      (["--parallelism", "16"], "LANESxTLANES"),
                      (["--parallelism", "1,16"], "LANESxTLANES")):
        r = cli("export-verilog", "--export", export_npz, *argv, "-o", tmp_path / "x.v")
        assert r.code == 2 and msg in r.err, (argv, r.err)


def test_parse_params():
    assert parse_params(["width=0x10", "reciprocal=true", "kind=galois"], "lfsr") == {
        "width": 16, "reciprocal": True, "kind": "galois"}
    with pytest.raises(ValueError, match="use --rng"):
        parse_params(["rng=sobol"], "lfsr")
