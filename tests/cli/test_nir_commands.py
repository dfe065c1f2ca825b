"""``import-nir`` and ``export-nir``: a checkpoint out to NIR and back gives the same predictions in every command."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("nir")
torch = pytest.importorskip("torch")


def test_checkpoint_out_and_back(checkpoint, tmp_path, cli):
    r = cli("export-nir", "--checkpoint", checkpoint, "-o", tmp_path / "n.nir")
    assert r.code == 0, r.err
    assert "net 64-8-10" in r.out and "T=5" in r.out
    r = cli("import-nir", tmp_path / "n.nir", "-o", tmp_path / "back.pt")
    assert r.code == 0, r.err
    assert "note:" not in r.err  # our own file says everything
    a = json.loads(cli("sc-eval", "--checkpoint", checkpoint, "--limit", "40", "--json").out)
    b = json.loads(cli("sc-eval", "--checkpoint", tmp_path / "back.pt", "--limit", "40", "--json").out)
    assert a["T"] == b["T"] == 5
    for key in ("float_accuracy", "fixed_accuracy", "sc_accuracy", "sc_predictions_sha"):
        assert a[key] == b[key], key


def test_import_to_an_export_and_the_notes(nir_files, tmp_path, cli):
    import nir
    from sc_neurocore.export import QuantizedNet

    g = nir.read(nir_files["nir"])
    g.metadata = {}  # as snnTorch writes it: no dt, no reset, no T
    nir.write(tmp_path / "bare.nir", g)
    r = cli("import-nir", tmp_path / "bare.nir", "--reset", "subtract", "-o", tmp_path / "q.npz")
    assert r.code == 0, r.err
    notes = [line for line in r.err.splitlines() if "note:" in line]
    assert all(line.startswith("sc-neurocore import-nir: note: ") for line in notes)
    assert any("no dt" in line for line in notes) and any("no T" in line for line in notes)
    assert not any("NIR #63" in line for line in notes)  # --reset was given
    q = QuantizedNet.load(tmp_path / "q.npz")
    assert q.sizes == (64, 6, 10)
    r = cli("export-nir", "--export", tmp_path / "q.npz", "--dt", "0.001", "-o", tmp_path / "again.nir")
    assert r.code == 0, r.err
    assert float(np.asarray(nir.read(tmp_path / "again.nir").metadata["dt"])) == 1e-3
