"""``sc-neurocore verify``: models only, JSON written, a mismatch is exit 1 with where to look."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

pytest.importorskip("sklearn")


def test_models_only_with_json(export_npz, tmp_path, cli):
    out = tmp_path / "r.json"
    r = cli("verify", "--export", export_npz, "--sim", "none", "--limit", "5", "--T", "3", "--json", out)
    assert r.code == 0, r.err
    assert "RTL: not simulated" in r.out and f"wrote {out}" in r.out
    rep = json.loads(out.read_text())
    assert rep["ok"] and rep["rows"][0]["images"] == 5 and rep["T"] == 3
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temporary file left


def test_a_mismatch_is_a_failed_check(export_npz, tmp_path, cli, monkeypatch):
    import sc_neurocore.sim.verify as sim_verify

    seen = {}

    def fake(qnet, x, y=None, **kw):
        seen.update(kw)
        row = SimpleNamespace(simulator="verilator", mismatches=3, first_mismatch="x")
        first = {"sim": "verilator", "message": "image 1, t 4, layer 0, neuron 2: membrane 17 != 18"}
        return SimpleNamespace(rows=[row], ok=False, first_mismatch=first, waves="/tmp/w/image1.fst",
                               table=lambda: "the table", as_dict=lambda: {"ok": False})

    monkeypatch.setattr(sim_verify, "verify_chain", fake)
    out = tmp_path / "r.json"
    r = cli("verify", "--export", export_npz, "--limit", "2", "--parallelism", "1x5", "--waves", "--json", out)
    assert r.code == 1
    assert r.err.startswith("sc-neurocore verify: RTL differs from the SC model: 3 mismatches on verilator; ")
    assert "layer 0, neuron 2: membrane 17 != 18" in r.err and "waves: /tmp/w/image1.fst" in r.err
    assert json.loads(out.read_text()) == {"ok": False}  # the report is kept for a failed check
    assert seen["parallelism"] == (1, 5) and seen["waves"] == "always" and seen["sim"] == "verilator"


@pytest.mark.sim
@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_a_conv_checkpoint_verifies_on_both_simulators(conv_checkpoint, tmp_path, cli, sim):
    """A ConvSpikingNet checkpoint through the RTL: every integer equal to the SC model's (0 mismatches)."""
    from sc_neurocore.sim import runner

    try:
        runner.check_simulator(sim)
    except runner.SimulatorNotFound as exc:
        pytest.skip(str(exc))
    out = tmp_path / "r.json"
    r = cli("verify", "--checkpoint", conv_checkpoint, "--sim", sim, "--limit", "2", "--T", "3", "--parallelism",
            "2x3", "--json", out)
    assert r.code == 0, r.err
    rep = json.loads(out.read_text())
    row = rep["rows"][0]
    assert rep["ok"] and row["simulator"] == sim and row["mismatches"] == 0
    assert row["compared"] >= 2 * 3 * (2 * 36 + 10) * 4  # every count, current, membrane and spike of both layers
    assert "net 1x8x8-2c3-pool2-10" in r.out
