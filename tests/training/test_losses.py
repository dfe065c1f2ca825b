import math

import pytest
import torch
from sc_neurocore.training import membrane_loss, spike_count_loss, spike_l1_loss, spike_l2_loss, spike_rate_loss


def test_spike_count_loss_hand_value():
    counts = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    targets = torch.tensor([0, 1])
    expected = (-math.log(math.e**2 / (math.e**2 + 1)) - math.log(math.e / (math.e + 1))) / 2
    assert spike_count_loss(counts, targets).item() == pytest.approx(expected)
    assert membrane_loss(counts, targets).item() == pytest.approx(expected)


def test_spike_rate_loss_hand_value():
    counts = torch.tensor([[8.0, 2.0, 0.0]])
    # rates 0.8, 0.2, 0.0 against 0.8 / 0 / 0 -> (0 + 0.04 + 0) / 3
    assert spike_rate_loss(counts, torch.tensor([0]), T=10).item() == pytest.approx(0.04 / 3)
    # against target class 1 with off_rate 0.1: (0.7^2 + 0.6^2 + 0.1^2) / 3
    value = spike_rate_loss(counts, torch.tensor([1]), 10, target_rate=0.8, off_rate=0.1).item()
    assert value == pytest.approx((0.49 + 0.36 + 0.01) / 3)


def test_regularisers_hand_values():
    spikes = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    assert spike_l1_loss(spikes).item() == pytest.approx(0.75)
    assert spike_l2_loss(spikes * 2, weight=0.5).item() == pytest.approx(0.5 * 3)


def test_gradients_flow():
    counts = torch.tensor([[3.0, 1.0]], requires_grad=True)
    spike_count_loss(counts, torch.tensor([1])).backward()
    assert counts.grad[0, 1] < 0 < counts.grad[0, 0]


def test_errors():
    c = torch.zeros(2, 3)
    with pytest.raises(ValueError, match="shape"):
        spike_count_loss(torch.zeros(3), torch.tensor([0, 1, 2]))
    with pytest.raises(TypeError, match="int64"):
        spike_count_loss(c, torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="targets have shape"):
        spike_count_loss(c, torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        membrane_loss(c, torch.tensor([0, 3]))
    with pytest.raises(ValueError, match="T must"):
        spike_rate_loss(c, torch.tensor([0, 1]), T=0)
    with pytest.raises(ValueError, match="target_rate"):
        spike_rate_loss(c, torch.tensor([0, 1]), T=5, target_rate=1.5)
    with pytest.raises(ValueError, match="weight"):
        spike_l1_loss(c, weight=-1)
    with pytest.raises(TypeError, match="floating-point"):
        spike_l2_loss(torch.ones(2, dtype=torch.long))
