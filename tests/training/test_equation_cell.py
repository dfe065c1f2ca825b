"""The torch back-end: EquationCell's quantised forward equals the NumPy stepper integer for integer; its float
forward equals the compiled neuron's float dynamics and trains through the surrogate."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from sc_neurocore.compiler import from_equations  # noqa: E402
from sc_neurocore.compiler.numpy_backend import random_currents  # noqa: E402
from sc_neurocore.training import atan_surrogate, fast_sigmoid  # noqa: E402
from sc_neurocore.training.equation_cell import EquationCell  # noqa: E402


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


def cell_of(neuron, **ckw):
    fixed = neuron.compile(**ckw)
    return fixed, EquationCell(neuron.float_program(), fixed.program())


def test_quantised_forward_equals_numpy_with_a_table():
    fixed, cell = cell_of(from_equations(EXPIF_EQ, "w = 0.5*w + v", **EXPIF), rounding="round")
    cur = random_currents(fixed, 60, 16, seed=4)
    spikes, states = fixed.run(cur)
    ts, tstates, _ = cell.sequence(torch.tensor(cur), quantized=True)
    assert ts.dtype == torch.float32 and np.array_equal(ts.numpy(), spikes)
    for s in fixed.states:
        assert tstates[s].dtype == torch.int64 and np.array_equal(tstates[s].numpy(), states[s])


def test_quantised_forward_rounds_float_currents_like_the_compiler():
    fixed, cell = cell_of(from_equations(EXPIF_EQ, **EXPIF))
    x = torch.tensor([[0.3, -0.5, 200.0, -1e9, 1 / 512]], dtype=torch.float64)
    assert cell.quantize_current(x).tolist() == fixed.quantize_current(x.numpy()).tolist()
    with pytest.raises(ValueError, match="NaN"):
        cell.quantize_current(torch.tensor([float("nan")]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(polynomial_neurons())
def test_random_polynomial_neurons_quantised_forward(spec):
    eqs, kw, ckw, _, n = spec
    fixed, cell = cell_of(from_equations(*eqs, **kw), **ckw)
    cur = random_currents(fixed, 12, n, seed=1)
    spikes, states = fixed.run(cur)
    ts, tstates, _ = cell.sequence(torch.tensor(cur), quantized=True)
    assert np.array_equal(ts.numpy(), spikes)
    assert all(np.array_equal(tstates[s].numpy(), states[s]) for s in fixed.states)


def test_float_forward_equals_the_float_dynamics():
    neuron = from_equations(EXPIF_EQ, "w = 0.5*w + v", **EXPIF)
    cell = EquationCell(neuron.float_program())
    cur = np.random.default_rng(0).normal(0.3, 0.5, (50, 6))
    spikes, states = neuron.run_float(cur)
    ts, tstates, _ = cell.sequence(torch.tensor(cur))
    assert np.array_equal(ts.numpy(), spikes)
    np.testing.assert_allclose(tstates["v"].numpy(), states["v"], rtol=1e-12, atol=1e-12)


def test_surrogate_gradient_and_detached_reset():
    """v = 0.5 v + I, threshold v > 1, reset v -= 1: dv/dI through the step is 1 (the spike's reset is
    detached), and the spike's gradient is the surrogate's at v - 1."""
    neuron = from_equations("v = 0.5*v + I", threshold="v > 1", reset="v = v - 1")
    cell = EquationCell(neuron.float_program(), surrogate_fn=atan_surrogate)
    x = torch.tensor([1.5, 0.5], requires_grad=True)
    spike, state = cell(x)
    assert spike.tolist() == [1.0, 0.0]
    state.v.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    x.grad = None
    spike, _ = cell(x)
    spike.sum().backward()
    expect = atan_surrogate.grad(torch.tensor([0.5, -0.5]))
    torch.testing.assert_close(x.grad, expect)


def test_a_layer_of_equation_cells_trains():
    """Linear -> EquationCell (synaptic neuron), 25 steps, spike counts towards a target: the loss falls."""
    torch.manual_seed(0)
    neuron = from_equations("i = 0.8*i + I; v = 0.9*v + i", threshold="v > 1", reset="v = v - 1")
    cell = EquationCell(neuron.float_program(), neuron.compile().program(), surrogate_fn=fast_sigmoid)
    lin = torch.nn.Linear(8, 4)
    opt = torch.optim.Adam(lin.parameters(), lr=0.05)
    x = torch.rand(16, 8)
    target = torch.tensor([2.0, 8.0, 0.0, 5.0])
    losses = []
    for _ in range(30):
        spikes, _, _ = cell.sequence(lin(x)[None].expand(12, -1, -1))
        loss = ((spikes.sum(0) - target) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    with torch.no_grad():  # the trained layer runs quantised too
        q, _, _ = cell.sequence(lin(x)[None].expand(12, -1, -1), quantized=True)
    assert q.shape == (12, 16, 4)


def test_bad_arguments():
    neuron = from_equations("v = v + I", threshold="v > 1", reset="v = 0")
    with pytest.raises(TypeError, match="float_program"):
        EquationCell({"nope": 1})
    with pytest.raises(TypeError, match="fixed_program"):
        EquationCell(neuron.float_program(), {"nope": 1})
    with pytest.raises(ValueError, match="different neurons"):
        EquationCell(neuron.float_program(), from_equations("w = w + I").compile().program())
    with pytest.raises(ValueError, match="needs the compiled program"):
        EquationCell(neuron.float_program())(torch.zeros(2), quantized=True)
    with pytest.raises(TypeError, match="floating-point"):
        EquationCell(neuron.float_program())(torch.zeros(2, dtype=torch.int64))


def test_the_training_side_imports_nothing_of_ours():
    src = Path(__file__).resolve().parents[2] / "sw" / "training" / "equation_cell.py"
    for node in ast.walk(ast.parse(src.read_text())):
        if isinstance(node, ast.ImportFrom):
            assert node.level > 0 or not (node.module or "").startswith("sc_neurocore"), node.module
        if isinstance(node, ast.Import):
            assert not any(a.name.startswith("sc_neurocore") for a in node.names)
