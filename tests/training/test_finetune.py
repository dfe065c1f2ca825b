"""SC-aware fine-tuning: its forward is the SC model, integer for integer; training runs and validates."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from sc_neurocore.progress import ProgressEvent
from sc_neurocore.sc.contract import SCConfig
from sc_neurocore.sc.network import SCNetwork
from sc_neurocore.training import ConvSpikingNet, sc_finetune, sc_forward
from sc_neurocore.training import finetune as finetune_module


def test_public_names_are_reexported():
    assert sc_finetune is finetune_module.sc_finetune and sc_forward is finetune_module.sc_forward


@pytest.mark.parametrize("cfg", [SCConfig(length=16), SCConfig(length=5, rng="sobol", seed=3),
                                 SCConfig(length=8, lfsr_steps=8, lfsr_kind="galois")])
def test_sc_forward_equals_scnetwork(trained_digits_net, digits, cfg):
    model, _ = trained_digits_net
    x = digits[1][:40]
    with torch.no_grad():
        counts = sc_forward(model, torch.tensor(x), 25, cfg).numpy()
    np.testing.assert_array_equal(counts.astype(np.int64), SCNetwork.from_spiking_net(model, cfg).predict(x, 25))


def test_finetune_runs_and_keeps_accuracy(trained_digits_net, digits):
    model, float_pred = trained_digits_net
    x_tr, x_te, y_tr, y_te = digits
    m2 = copy.deepcopy(model)
    cfg = SCConfig(length=16)
    events = []
    losses = sc_finetune(m2, cfg, x_tr[:256], y_tr[:256], epochs=1, T=25, seed=0, progress=events.append)
    assert len(losses) == 1 and np.isfinite(losses[0])
    assert any(not torch.equal(a, b) for a, b in zip(model.parameters(), m2.parameters()))
    pred = SCNetwork.from_spiking_net(m2, cfg).run(x_te, 25, trace=False).prediction
    assert (pred == y_te).mean() >= 0.9
    # 256 images in batches of 64: four events, the last one finished and carrying the epoch's loss
    assert all(isinstance(e, ProgressEvent) and e.stage == "sc-finetune" for e in events)
    assert [(e.done, e.total) for e in events] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert events[-1].finished and f"{losses[0]:.4f}" in events[-1].note


def test_finetune_errors(trained_digits_net, digits):
    model, _ = trained_digits_net
    m2 = copy.deepcopy(model)
    x, y = digits[0][:8], digits[2][:8]
    with pytest.raises(TypeError, match="SCConfig"):
        sc_finetune(m2, "L16", x, y)
    with pytest.raises(ValueError, match="epochs"):
        sc_finetune(m2, SCConfig(), x, y, epochs=0)
    with pytest.raises(ValueError, match="y_train"):
        sc_finetune(m2, SCConfig(), x, y[:3])
    with pytest.raises(ValueError, match="signed"):
        sc_forward(m2, torch.tensor(x), 2, SCConfig(polarity="bipolar"))
    bad = x.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        sc_finetune(m2, SCConfig(), bad, y)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        sc_finetune(m2, SCConfig(), x * 2, y)
    with pytest.raises(TypeError, match="dense SpikingNet"):
        sc_finetune(ConvSpikingNet(input_shape=(1, 8, 8), channels=(4,), kernel_size=3), SCConfig(), x, y)
    # the failed calls left the weights alone
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), m2.parameters()))
