"""``sc-neurocore faults``: the JSON the issue names, the plot, and bad options refused with exit 2."""

from __future__ import annotations

import json

import pytest


def test_json_rows_and_plot(export_npz, cli, tmp_path):
    r = cli("faults", "--export", export_npz, "--limit", "12", "--rates", "1e-3,0.5", "--sites", "count,membrane",
            "--json", "--plot", tmp_path / "f.png")
    assert r.code == 0, r.err
    out = json.loads(r.out)
    assert set(out["clean"]) == {"sc_accuracy", "binary_accuracy"}
    assert [(row["site"], row["rate"]) for row in out["rows"]] == [("count", 1e-3), ("count", 0.5),
                                                                 ("membrane", 1e-3), ("membrane", 0.5)]
    for row in out["rows"]:
        assert set(row) == {"site", "rate", "sc_accuracy", "binary_accuracy", "rtl_mismatches"}
        assert row["rtl_mismatches"] is None and 0.0 <= row["sc_accuracy"] <= 1.0
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"


def test_table(export_npz, cli):
    r = cli("faults", "--export", export_npz, "--limit", "5", "--rates", "0.01", "--sites", "weights")
    assert r.code == 0, r.err
    assert "| weights | 0.01 |" in r.out and "clean: SC" in r.out


@pytest.mark.parametrize("argv,text", [
    (["--rates", "0.1,abc"], "--rates"),
    (["--rates", "0,0.1"], "--rates"),
    (["--rates", "0.1,0.1"], "--rates"),
    (["--sites", "cache"], "--sites"),
    (["--repeats", "0"], "--repeats"),
])
def test_bad_options(export_npz, cli, argv, text):
    r = cli("faults", "--export", export_npz, *argv)
    assert r.code == 2 and text in r.err
