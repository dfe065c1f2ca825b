"""The co-simulation on the hand-built tie net (``tests/exact_ties.py``): the RTL's integers on Icarus and
Verilator equal the values derived by hand there (theta reached exactly, saturation bounds, round-half-up
currents, argmax ties), and the testbench's scoreboard sees no mismatch with the NumPy model."""

import numpy as np
import pytest

pytest.importorskip("amaranth")
pytest.importorskip("cocotb")

from exact_ties import IMAGES, T, expected, tie_qnet  # noqa: E402
from sc_neurocore.sim import runner  # noqa: E402
from sc_neurocore.sim.rtl import run_rtl  # noqa: E402


@pytest.mark.sim
@pytest.mark.parametrize("sim", runner.SIMULATORS)
def test_rtl_lands_on_the_hand_derived_ties(sim):
    try:
        runner.check_simulator(sim)
    except runner.SimulatorNotFound as exc:
        pytest.skip(str(exc))
    run = run_rtl(tie_qnet(), IMAGES, T, sim=sim, parallelism=(2, 3))
    assert run.mismatches == 0, run.first_mismatch
    for b in range(len(IMAGES)):
        want = expected(b)
        for name in ("sc_counts", "currents", "membranes", "spikes"):
            for li in range(2):
                np.testing.assert_array_equal(getattr(run, name)[li][:, b], want[name][li],
                                              err_msg=f"{sim} image {b} {name}[{li}]")
        assert run.counts[b].tolist() == want["counts"]
        assert int(run.prediction[b]) == want["prediction"]
