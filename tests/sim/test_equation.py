"""Compiled neurons: NumPy stepper == RTL on Verilator and Icarus (cocotb), every integer of every step.

Random bounded polynomial neurons (hypothesis, derandomized so that the simulator builds are cached)
go into one simulated top per example (``EquationTestbench.combine``: one build checks several
neurons); the ExpIF neuron brings a lookup table, the scoreboard is shown able to fail.
"""

from pathlib import Path

import pytest

pytest.importorskip("amaranth")
pytest.importorskip("cocotb")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from sc_neurocore.compiler import from_equations  # noqa: E402
from sc_neurocore.sim import runner  # noqa: E402
from sc_neurocore.sim.equation import EquationTestbench, generate_testbench  # noqa: E402


def _strategies():
    """tests/compiler/strategies.py, loaded by path (the tests folder is not put on sys.path: it would shadow packages)."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "compiler" / "strategies.py"
    spec = importlib.util.spec_from_file_location("sc_neurocore_test_strategies", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


polynomial_neurons = _strategies().polynomial_neurons

EXPIF = dict(threshold="v > theta", reset="v = v - theta", params=dict(beta=0.9, theta=1.0, vr=0.8, dT=0.1),
             domains={"exp": (-8, 2)})
EXPIF_EQ = "v = beta*v + (1-beta)*dT*exp((min(v, theta) - vr)/dT) + I"


def _need(sim):
    try:
        runner.check_simulator(sim)
    except runner.SimulatorNotFound as exc:
        pytest.skip(str(exc))


def _bench(specs, steps, seed):
    benches = []
    for k, (eqs, kw, ckw, stages, n) in enumerate(specs):
        benches.append(generate_testbench(from_equations(*eqs, **kw), steps=steps, n_neurons=n, seed=seed + k,
                                          stages=stages, **ckw))
    return EquationTestbench.combine(benches)


@pytest.mark.sim
@settings(max_examples=2, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.lists(polynomial_neurons(), min_size=6, max_size=6))
def test_random_polynomial_neurons_verilator(specs):
    _need("verilator")
    bench = _bench(specs, steps=60, seed=11)
    result = bench.run("verilator")
    expect = sum(c.currents.size * (2 + len(c.fixed.states)) for c in bench.cases)
    assert result.passed and result.mismatches == 0 and result.compared == expect, result.first


@pytest.mark.sim
@settings(max_examples=1, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.lists(polynomial_neurons(), min_size=3, max_size=3))
def test_random_polynomial_neurons_icarus(specs):
    _need("icarus")
    bench = _bench(specs, steps=30, seed=5)
    result = bench.run("icarus")
    assert result.passed and result.mismatches == 0 and result.compared > 0, result.first


@pytest.mark.sim
@pytest.mark.parametrize("sim", runner.SIMULATORS)
def test_expif_with_its_table_and_the_scoreboard_fails_on_a_fault(sim):
    _need(sim)
    bench = generate_testbench(from_equations(EXPIF_EQ, "w = 0.5*w + v", **EXPIF), steps=50, n_neurons=3,
                               stages=2, seed=3, rounding="round")
    ok = bench.run(sim)
    assert ok.passed and ok.mismatches == 0 and ok.compared == 50 * 3 * 4
    assert ok.line() == "mismatches: 0 of 600 integers"
    bad = bench.run(sim, inject=True)
    assert not bad.passed and bad.mismatches == 1
    assert bad.first["quantity"] == "spike" and bad.first["step"] == 1 and bad.first["neuron"] == 0


def cells_and_examples_bench(steps=80, n_neurons=2):
    """One bank per cell of ``compiler.cells.CELLS`` (defaults, Q8.8) and per published example neuron."""
    from sc_neurocore.compiler.cells import CELLS, EXAMPLES, cell_neuron, example_neuron

    benches = [generate_testbench(cell_neuron(name), steps=steps, n_neurons=n_neurons, seed=k)
               for k, name in enumerate(CELLS)]
    for k, name in enumerate(EXAMPLES):
        neuron, ckw = example_neuron(name)
        benches.append(generate_testbench(neuron, steps=steps, n_neurons=n_neurons, seed=100 + k, **ckw))
    return EquationTestbench.combine(benches)


@pytest.mark.sim
@pytest.mark.parametrize("sim", runner.SIMULATORS)
def test_the_ten_cells_and_the_published_examples_numpy_equals_rtl(sim):
    _need(sim)
    bench = cells_and_examples_bench()
    assert len(bench.cases) == 12
    assert sum(c.spikes.sum() > 0 for c in bench.cases) >= 10  # the traces make (nearly) every neuron fire
    result = bench.run(sim)
    assert result.passed and result.mismatches == 0, result.first_text()
    assert result.compared == sum(c.currents.size * (2 + len(c.fixed.states)) for c in bench.cases)
