import math

import numpy as np
import pytest
import torch
from sc_neurocore.training import SURROGATES, Surrogate, get_surrogate
from sc_neurocore.training import surrogates as S

X = np.linspace(-3.0, 3.0, 601)

# Closed forms written out independently of the module (float64 NumPy).
CLOSED = {
    "atan_surrogate": lambda x, alpha=2.0: alpha / (2 * (1 + (math.pi * alpha * x / 2) ** 2)),
    "fast_sigmoid": lambda x, slope=25.0: slope / (1 + slope * np.abs(x)) ** 2,
    "superspike": lambda x, beta=10.0: 1 / (1 + beta * np.abs(x)) ** 2,
    "sigmoid_surrogate": lambda x, slope=5.0: slope * np.exp(-slope * x) / (1 + np.exp(-slope * x)) ** 2,
    "straight_through": lambda x: np.ones_like(x),
    "triangular": lambda x, width=1.0: np.maximum(0.0, 1 - np.abs(x) / width) / width,
    "boxcar": lambda x, width=1.0: (np.abs(x) < width / 2) / width,
}


def backward_at(surrogate, x, **params):
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    weights = torch.linspace(0.5, 1.5, len(x), dtype=torch.float64)
    (surrogate(xt, **params) * weights).sum().backward()
    return xt.grad.numpy() / weights.numpy()


def test_seven_surrogates_are_registered():
    assert set(SURROGATES) == set(CLOSED)
    assert len(SURROGATES) == 7


@pytest.mark.parametrize("name", sorted(CLOSED))
def test_backward_equals_closed_form(name):
    np.testing.assert_allclose(backward_at(SURROGATES[name], X), CLOSED[name](X), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(CLOSED))
def test_forward_is_strict_heaviside(name):
    x = torch.tensor([-1.0, -1e-7, 0.0, 1e-7, 2.0])
    assert SURROGATES[name](x).tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]


def test_documented_peak_values():
    zero = torch.zeros(1)
    assert S.atan_surrogate.grad(zero).item() == pytest.approx(1.0)  # alpha / 2
    assert S.fast_sigmoid.grad(zero).item() == pytest.approx(25.0)
    assert S.superspike.grad(zero).item() == pytest.approx(1.0)
    # superspike at x = 0.1: 1 / (1 + 10 * 0.1)**2 = 1/4
    assert S.superspike.grad(torch.tensor([0.1])).item() == pytest.approx(0.25)


@pytest.mark.parametrize(
    "name,params", [("atan_surrogate", {"alpha": 3.0}), ("fast_sigmoid", {"slope": 4.0}), ("triangular", {"width": 0.5})]
)
def test_parameters_by_with_params_and_by_call(name, params):
    expected = CLOSED[name](X, **params)
    np.testing.assert_allclose(backward_at(SURROGATES[name].with_params(**params), X), expected, rtol=1e-12)
    np.testing.assert_allclose(backward_at(SURROGATES[name], X, **params), expected, rtol=1e-12)
    assert get_surrogate(name, **params) == SURROGATES[name].with_params(**params)
    assert SURROGATES[name].with_params(**params) != SURROGATES[name]  # the original is unchanged


def test_bad_parameters_and_inputs():
    with pytest.raises(TypeError, match="alpha"):
        S.fast_sigmoid.with_params(alpha=1.0)
    with pytest.raises(ValueError, match="positive"):
        S.atan_surrogate.with_params(alpha=-1.0)
    with pytest.raises(ValueError, match="positive"):
        S.superspike.with_params(beta=float("nan"))
    with pytest.raises(TypeError, match="number"):
        S.superspike.with_params(beta="2")
    with pytest.raises(TypeError, match="floating-point"):
        S.atan_surrogate(torch.tensor([1, 2]))
    with pytest.raises(TypeError, match="torch.Tensor"):
        S.atan_surrogate([0.1])
    with pytest.raises(ValueError, match="unknown surrogate"):
        get_surrogate("nope")


def test_to_dict_and_repr():
    s = S.atan_surrogate.with_params(alpha=4.0)
    assert s.to_dict() == {"name": "atan_surrogate", "params": {"alpha": 4.0}}
    assert "alpha=4.0" in repr(s)
    assert isinstance(s, Surrogate)
