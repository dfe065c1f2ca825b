"""CI's cut of the co-simulation regression (``python -m sc_neurocore.sim.regression --quick``), inside pytest.

A module of its own so that ``pytest -n auto --dist loadfile`` gives it a worker while the rest of the suite
runs on the other: the shipped digits net at the default setting on Verilator (60 images) and Icarus (2), and
at the iCEBreaker setting on Icarus (2); every integer of every layer and timestep compared with the NumPy
model.  ``nox -s sim`` runs the full regression (``docs/cosim.md``: what runs where).
"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.sim


def test_quick_regression_zero_mismatches(tmp_path, capsys):
    from sc_neurocore.sim import runner
    from sc_neurocore.sim.regression import QUICK, main

    for sim in ("icarus", "verilator"):
        try:
            runner.check_simulator(sim)
        except runner.SimulatorNotFound as exc:
            pytest.skip(str(exc))
    report = tmp_path / "regression.md"
    rc = main(["--quick", "--report", str(report)])
    out = capsys.readouterr().out
    assert rc == 0, out
    text = report.read_text()
    assert "the shipped digits reference net" in text and "--quick" in text
    rows = [line for line in text.splitlines() if line.startswith("| digits")]
    # net | simulator | images | cycles | integers compared | mismatches | ...
    cells = [[c.strip() for c in row.strip("|").split("|")] for row in rows]
    got = {(c[0], c[1]): (int(c[2]), int(c[4].replace(",", "")), int(c[5])) for c in cells}
    assert got.keys() == {("digits (sobol)", "verilator"), ("digits (sobol)", "icarus"),
                          ("digits at the icebreaker setting (sobol, 1x16)", "icarus")}
    assert got[("digits (sobol)", "verilator")][0] == QUICK["limit"]
    assert got[("digits (sobol)", "icarus")][0] == QUICK["icarus_limit"]
    for images, integers, mismatches in got.values():
        # per image: the result counts and prediction plus, per timestep, every neuron's count, current,
        # membrane and spike (64-128-10 net, T = 25): far more than 10,000 integers
        assert mismatches == 0 and integers > 10_000 * images
    assert re.search(r"all RTL integers equal the NumPy model's", out)
