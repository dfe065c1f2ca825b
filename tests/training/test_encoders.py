import math

import numpy as np
import pytest
import torch
from sc_neurocore.training import delta_encode, latency_encode, rate_encode


def test_rate_encode_statistics():
    x = torch.tensor([0.0, 0.1, 0.3, 0.5, 0.9, 1.0]).repeat(2000, 1)  # (2000, 6)
    spikes = rate_encode(x, 50, seed=7)
    assert spikes.shape == (50, 2000, 6)
    assert set(spikes.unique().tolist()) <= {0.0, 1.0}
    rates = spikes.mean(dim=(0, 1))
    p = x[0]
    # 100,000 Bernoulli draws per column: 5 standard deviations
    bound = 5 * torch.sqrt(p * (1 - p) / 100_000) + 1e-12
    assert torch.all((rates - p).abs() <= bound), (rates, p)
    assert float(rates[0]) == 0.0 and float(rates[-1]) == 1.0


def test_rate_encode_reproducible():
    x = torch.rand(4, 8)
    assert torch.equal(rate_encode(x, 10, seed=3), rate_encode(x, 10, seed=3))
    assert not torch.equal(rate_encode(x, 10, seed=3), rate_encode(x, 10, seed=4))
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    assert torch.equal(rate_encode(x, 10, generator=g1), rate_encode(x, 10, generator=g2))
    assert rate_encode(np.full((2, 3), 0.5), 4, seed=0).shape == (4, 2, 3)


def test_latency_encode_hand_values():
    x = torch.tensor([1.0, 0.5, 0.1, 0.0, 0.01])
    out = latency_encode(x, 25, tau=5)
    assert out.shape == (25, 5)
    # t = floor(5 ln(1/x)): 0, floor(3.47) = 3, floor(11.51) = 11, never, floor(23.03) = 23
    expected_times = [0, 3, 11, None, 23]
    for i, t in enumerate(expected_times):
        column = out[:, i]
        if t is None:
            assert float(column.sum()) == 0
        else:
            assert column.nonzero().flatten().tolist() == [t]
    assert math.floor(5 * math.log(10)) == 11
    short = latency_encode(x, 10, tau=5)
    assert short[:, 2].sum() == 0 and short[:, 4].sum() == 0  # too late for T=10


def test_delta_encode_hand_values():
    x = torch.tensor([[0.0], [0.5], [0.55], [0.3], [0.3], [0.9]])
    on = delta_encode(x, threshold=0.1)
    assert on.flatten().tolist() == [0, 1, 0, 0, 0, 1]
    both = delta_encode(x, threshold=0.1, off_spikes=True)
    assert both.flatten().tolist() == [0, 1, 0, -1, 0, 1]
    first = delta_encode(torch.tensor([[0.5, 0.05]]), threshold=0.1)
    assert first.tolist() == [[1.0, 0.0]]  # the step before the first is 0


def test_errors():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        rate_encode(torch.tensor([1.5]), 5)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        latency_encode(torch.tensor([-0.1]), 5)
    with pytest.raises(ValueError, match="T must"):
        rate_encode(torch.rand(3), 0)
    with pytest.raises(ValueError, match="tau"):
        latency_encode(torch.rand(3), 5, tau=0)
    with pytest.raises(ValueError, match="threshold"):
        delta_encode(torch.rand(3, 2), threshold=0)
    with pytest.raises(ValueError, match="not both"):
        rate_encode(torch.rand(3), 5, seed=1, generator=torch.Generator())
    with pytest.raises(TypeError, match="floating-point"):
        rate_encode(torch.ones(3, dtype=torch.long), 5)
    with pytest.raises(TypeError, match="array-like"):
        rate_encode("abc", 5)


def test_nan_and_inf_are_named_with_the_finite_range():
    # the case: a NaN next to 0.5 used to read "got values in [nan, nan]"
    with pytest.raises(ValueError, match=r"rate_encode: the input holds 1 NaN \(the first at index \(1,\)\) of 3 "
                                         r"values; its finite values lie in \[0.25, 0.5\]"):
        rate_encode(torch.tensor([0.5, float("nan"), 0.25]), 5)
    with pytest.raises(ValueError, match=r"latency_encode: the input holds 1 inf .*finite values lie in \[0.5, 0.5\]"):
        latency_encode(torch.tensor([[0.5], [float("-inf")]]), 5)
    with pytest.raises(ValueError, match=r"holds 2 NaN .*finite values lie in \(none\)"):
        rate_encode([float("nan"), float("nan")], 5)
