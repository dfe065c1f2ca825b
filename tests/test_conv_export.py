"""ConvSpikingNet -> QuantizedNet: the documented min-max weights, the conv layers' codes and geometry, and the
quantised first layer's current against the float convolution within the bound its roundings allow."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sc_neurocore.sc.contract import SCConfig
from sc_neurocore.sc.geometry import ConvGeometry
from sc_neurocore.sc.network import FixedPointNetwork, SCNetwork
from sc_neurocore.training.networks import ConvSpikingNet


def _net(**kw):
    torch.manual_seed(0)
    args = dict(n_output=10, input_shape=(1, 8, 8), channels=(4, 6), kernel_size=3, pool=2, padding=1)
    args.update(kw)
    return ConvSpikingNet(**args)


def test_to_sc_weights_min_max_scales_every_layer():
    m = _net()
    out = m.to_sc_weights()
    assert [tuple(w.shape) for w in out] == [(4, 1, 3, 3), (6, 4, 3, 3), (10, 6 * 2 * 2)]
    for w, mod in zip(out, (*m.convs, m.fc)):
        assert float(w.min()) == 0.0 and float(w.max()) == 1.0
        raw = mod.weight.detach()
        torch.testing.assert_close(w * (raw.max() - raw.min()) + raw.min(), raw)


def test_conv_layers_carry_their_geometry_and_codes():
    m = _net()
    q = m.to_quantized(SCConfig())
    assert [layer.conv for layer in q.layers] == [ConvGeometry(1, 8, 8, 3, 1, 2), ConvGeometry(4, 4, 4, 3, 1, 2), None]
    assert q.sizes == (64, 4 * 4 * 4, 6 * 2 * 2, 10)
    assert q.describe() == "1x8x8-4c3p1-pool2-6c3p1-pool2-10"
    assert _net(pool=1, padding=0).to_quantized(SCConfig()).describe() == "1x8x8-4c3-6c3-10"  # no pooling: no "pool"
    assert [layer.n_neurons for layer in q.layers] == [4 * 64, 6 * 16, 10]
    w = m.convs[1].weight.detach().double().numpy().reshape(6, -1)
    s = np.abs(w).max()
    want = np.floor(np.abs(w) / s * 255 + 0.5).astype(np.int64) * np.where(w < 0, -1, 1)
    assert np.array_equal(q.layers[1].weight_q, want)
    assert q.layers[1].bias_q.shape == (6,) and q.layers[1].input_kind == "spike"


def test_the_first_layer_current_follows_the_float_convolution():
    """|I_fxp / 256 - conv(x)| <= 9 taps * (s/510 + s/510) + 2/256: half a code of weight and input per tap,
    half an LSB for the bias and for the count scaling."""
    m = _net()
    q = m.to_quantized(SCConfig())
    x = np.random.default_rng(1).random((4, 64))
    cur = FixedPointNetwork(q).run(x, T=1).currents[0][0] / 256.0
    want = m.convs[0](torch.tensor(x, dtype=torch.float32).reshape(4, 1, 8, 8)).detach().double().numpy()
    s = q.layers[0].weight_scale
    bound = 9 * 2 * s / 510 + 2 / 256
    err = np.abs(cur - want.reshape(4, -1))
    assert err.max() <= bound, (err.max(), bound)


def test_a_conv_net_runs_from_spiking_net_and_traces_every_position():
    m = _net()
    net = SCNetwork.from_spiking_net(m, SCConfig(length=8))
    x = np.random.default_rng(2).random((3, 64))
    tr = net.run(x, T=4)
    assert tr.counts.shape == (3, 10) and tr.prediction.shape == (3,)
    assert [s.shape for s in tr.spikes] == [(4, 3, 256), (4, 3, 96), (4, 3, 10)]
    assert np.array_equal(net.predict(x, T=4), tr.counts)


def test_padding_is_checked():
    with pytest.raises(ValueError, match="padding must be an integer >= 0"):
        _net(padding=-1)
