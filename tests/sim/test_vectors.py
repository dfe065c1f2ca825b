"""Vector files: round trip, schema check, and the export-vectors command (no simulator needed)."""

import json

import numpy as np
import pytest
from sc_neurocore.sc.contract import SCConfig
from sc_neurocore.sim.nets import random_codes, random_qnet
from sc_neurocore.sim.scoreboard import MismatchError, Scoreboard
from sc_neurocore.sim.vectors import VECTORS_SCHEMA, load_vectors, make_vectors, save_vectors


def test_round_trip(tmp_path):
    qnet = random_qnet((5, 4, 3), SCConfig(length=4, rng="lfsr", seed=9), seed=1)
    vec = make_vectors(qnet, random_codes(3, 5, seed=1), T=6, labels=[0, 1, 2], note="x")
    path = save_vectors(vec, tmp_path / "v.npz")
    back = load_vectors(path)
    assert back.T == 6 and back.meta["note"] == "x" and back.labels.tolist() == [0, 1, 2]
    assert back.qnet.config == qnet.config
    np.testing.assert_array_equal(back.codes, vec.codes)
    for name in ("sc_counts", "currents", "membranes", "spikes"):
        for a, b in zip(getattr(back.expected, name), getattr(vec.expected, name)):
            np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(back.expected.counts, vec.expected.counts)


def test_round_trip_of_a_synaptic_net_keeps_its_synaptic_currents(tmp_path):
    qnet = random_qnet((5, 4, 3), SCConfig(length=4), seed=2, neuron="synaptic")
    vec = make_vectors(qnet, random_codes(3, 5, seed=2), T=6)
    assert [set(st) for st in vec.expected.states] == [{"i_syn"}, {"i_syn"}]
    assert any(st["i_syn"].any() for st in vec.expected.states)
    back = load_vectors(save_vectors(vec, tmp_path / "v.npz"))
    assert [layer.neuron for layer in back.qnet.layers] == ["synaptic", "synaptic"]
    for a, b in zip(back.expected.states, vec.expected.states):
        np.testing.assert_array_equal(a["i_syn"], b["i_syn"])
    sub = back.subset(1, 3)
    np.testing.assert_array_equal(sub.expected.states[1]["i_syn"], vec.expected.states[1]["i_syn"][:, 1:3])


def test_a_schema_1_vector_file_still_loads(tmp_path):
    qnet = random_qnet((3, 2), seed=0)
    path = save_vectors(make_vectors(qnet, random_codes(2, 3), T=2), tmp_path / "v.npz")
    with np.load(path) as data:
        arrays = dict(data)
    meta = json.loads(bytes(arrays["meta"]).decode())
    meta["schema"] = 1
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(tmp_path / "old.npz", **arrays)
    back = load_vectors(tmp_path / "old.npz")
    assert back.expected.states == [{}] and back.expected.membranes[0].shape == (2, 2, 2)


def test_schema_is_checked(tmp_path):
    qnet = random_qnet((3, 2), seed=0)
    path = save_vectors(make_vectors(qnet, random_codes(1, 3), T=2), tmp_path / "v.npz")
    with np.load(path) as data:
        arrays = dict(data)
    meta = json.loads(bytes(arrays["meta"]).decode())
    meta["schema"] = VECTORS_SCHEMA + 1
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValueError, match="schema"):
        load_vectors(tmp_path / "bad.npz")
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    with pytest.raises(ValueError, match="not an sc-neurocore vector file"):
        load_vectors(tmp_path / "other.npz")


def test_scoreboard_reports_first_mismatch_with_place():
    sb = Scoreboard("t")
    exp = np.zeros((2, 3, 4), dtype=np.int64)
    got = exp.copy()
    got[1, 2, 3] = 7
    got[1, 2, 1] = 5
    assert sb.compare("membrane", exp, got, axes=("image", "timestep", "neuron"), offsets={"image": 10}, layer=1) == 2
    assert str(sb.first) == "membrane at layer 1, image 11, timestep 2, neuron 1: NumPy model 0, RTL 5"
    with pytest.raises(MismatchError, match="2 mismatches in 24"):
        sb.check()
    with pytest.raises(TypeError):
        sb.compare("x", np.zeros(2), np.zeros(2))


def test_export_vectors_cli_from_export(tmp_path):
    pytest.importorskip("sklearn")
    from sc_neurocore.cli import main

    qnet = random_qnet((64, 6, 10), SCConfig(length=4), seed=0)
    qnet.save(tmp_path / "net.npz")
    rc = main(["export-vectors", "--export", str(tmp_path / "net.npz"), "--limit", "3", "--T", "4",
               "-o", str(tmp_path / "vec.npz")])
    assert rc == 0
    vec = load_vectors(tmp_path / "vec.npz")
    assert vec.n_images == 3 and vec.T == 4 and vec.labels is not None and vec.meta["split"] == "test"
    # a config change cannot be applied to an export
    assert main(["export-vectors", "--export", str(tmp_path / "net.npz"), "--length", "8", "-o",
                 str(tmp_path / "v2.npz")]) == 2


def test_verify_cli_models_only(tmp_path, capsys):
    """``sc-neurocore verify --sim none``: the table without a simulator (fixed and SC columns)."""
    pytest.importorskip("sklearn")
    from sc_neurocore.cli import main

    qnet = random_qnet((64, 6, 10), SCConfig(length=4), seed=0)
    qnet.save(tmp_path / "net.npz")
    rc = main(["verify", "--export", str(tmp_path / "net.npz"), "--sim", "none", "--limit", "5", "--T", "3",
               "--json", str(tmp_path / "r.json")])
    assert rc == 0
    out = capsys.readouterr().out
    assert "net 64-6-10, T=3, L=4" in out and "accuracy: fixed" in out and "RTL: not simulated" in out
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["ok"] and rep["rows"][0]["images"] == 5
