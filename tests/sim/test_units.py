"""Unit testbenches (LFSR, Sobol, SNG, SC dot, LIF) against the NumPy model, on both simulators.

The cocotb tests live in :mod:`sc_neurocore.sim.tb_units` (the regression runs them too);
this file is their pytest entry point.
"""

import pytest

pytest.importorskip("amaranth")
pytest.importorskip("cocotb")

from sc_neurocore.sim import runner  # noqa: E402
from sc_neurocore.sim.tb_units import UNITS, run_units  # noqa: E402


def _need(sim):
    try:
        runner.check_simulator(sim)
    except runner.SimulatorNotFound as exc:
        pytest.skip(str(exc))


@pytest.mark.sim
@pytest.mark.parametrize("sim", runner.SIMULATORS)
def test_units_match_model(sim):
    _need(sim)
    result = run_units(sim)
    assert result.passed and result.tests == 10
    for unit in UNITS:
        assert result.report[unit]["mismatches"] == 0, result.report[unit]
        assert result.report[unit]["compared"] > 0


@pytest.mark.sim
@pytest.mark.parametrize("unit", ["lfsr_g", "dot", "lif"])
def test_unit_scoreboards_catch_injected_mismatch(unit):
    sims = runner.available_simulators()
    if not sims:
        pytest.skip("no simulator installed")
    result = run_units(sims[0], inject=unit, check=False)
    assert not result.passed
    assert result.failures == 1
    assert result.report[unit]["mismatches"] == 1, result.report[unit]
    others = [u for u in UNITS if u != unit]
    assert all(result.report[u]["mismatches"] == 0 for u in others)
