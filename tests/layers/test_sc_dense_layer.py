"""The documented SCDenseLayer: the snippet runs as written; integers against a plain-Python reference."""

from __future__ import annotations

import numpy as np
import pytest
from sc_neurocore.layers.sc_dense_layer import SCDenseLayer, StochasticLIFNeuron
from sc_neurocore.sc.contract import ROLE_INPUT, ROLE_WEIGHT
from sc_neurocore.sc.sources import source_values


def test_documented_snippet_runs():
    rng = np.random.default_rng(0)
    sc_w = rng.random((16, 64))  # to_sc_weights() output: [0, 1]
    sample = rng.random(64)
    layer = SCDenseLayer(
        n_neurons=sc_w.shape[0],
        x_inputs=sample.tolist(),
        weight_values=sc_w[0].tolist(),  # one neuron's weights
        x_min=0.0, x_max=1.0,
        w_min=0.0, w_max=1.0,
        length=256,
        base_seed=42,
    )
    layer.run(T=50)
    s = layer.summary()
    assert s["n_neurons"] == 16 and s["T"] == 50 and s["length"] == 256
    assert 0.0 <= s["avg_firing_rate_hz"] <= 1000.0
    assert s["avg_firing_rate_hz"] == pytest.approx(layer.spikes.mean() * 1000.0)
    # shared weights: every neuron sees the same streams and behaves the same
    assert (layer.spikes == layer.spikes[:, :1]).all()


def test_counts_and_spikes_against_plain_python():
    rng = np.random.default_rng(1)
    n, m, L, T = 3, 4, 20, 6
    x = rng.uniform(-1, 2, m)
    w = rng.uniform(-3, 3, (n, m))
    layer = SCDenseLayer(n, x.tolist(), w, -1.0, 2.0, -3.0, 3.0, L, 7, beta=0.8, threshold=0.6)
    spikes = layer.run(T)
    cfg = layer.config
    rin = [int(v) for v in source_values(cfg, 0, ROLE_INPUT, T * L)]
    rw = [int(v) for v in source_values(cfg, 0, ROLE_WEIGHT, T * L)]
    qx = [int(np.floor(255 * (xi + 1) / 3 + 0.5)) for xi in x]
    qw = [[int(np.floor(255 * (wij + 3) / 6 + 0.5)) for wij in row] for row in w]
    beta_q, theta_q = int(np.floor(0.8 * 256 + 0.5)), int(np.floor(0.6 * 256 + 0.5))
    m_, sh = layer.mult, layer.shift
    v = [0] * n
    for t in range(T):
        for j in range(n):
            acc = 0
            for c in range(t * L, (t + 1) * L):
                for i in range(m):
                    acc += 1 if (rin[c] < qx[i]) == (rw[c] < qw[j][i]) else -1
            assert layer.counts[t, j] == acc
            cur = max(-32768, min(32767, (acc * m_ + (1 << (sh - 1))) >> sh))
            vv = max(-32768, min(32767, ((beta_q * v[j]) >> 8) + cur))
            s = 1 if vv > theta_q else 0
            v[j] = vv - s * theta_q
            assert spikes[t, j] == s and layer.currents[t, j] == cur
    assert m_ / 2**sh == pytest.approx(256 / L, rel=1e-4)  # I = C / L in Q8.8


def test_bad_arguments():
    ok = dict(n_neurons=2, x_inputs=[0.5, 0.5], weight_values=[0.1, 0.2], x_min=0.0, x_max=1.0, w_min=0.0,
              w_max=1.0, length=8, base_seed=1)
    for key, value, exc, match in [
        ("x_inputs", [0.5, 1.5], ValueError, r"x_inputs must lie in \[0.0, 1.0\]"),
        ("x_inputs", [0.5, float("nan")], ValueError, "NaN"),
        ("weight_values", [0.1, 0.2, 0.3], ValueError, "3 entries for 2 inputs"),
        ("weight_values", [[0.1, 0.2]] * 3, ValueError, r"\(2, 2\)"),
        ("x_max", 0.0, ValueError, "min < max"),
        ("length", 0, ValueError, "length"),
        ("n_neurons", 0, ValueError, "n_neurons"),
        ("base_seed", -1, ValueError, "seed"),
    ]:
        with pytest.raises(exc, match=match):
            SCDenseLayer(**{**ok, key: value})
    layer = SCDenseLayer(**ok)
    with pytest.raises(RuntimeError, match="run"):
        layer.summary()
    with pytest.raises(ValueError, match="T"):
        layer.run(0)


def test_stochastic_lif_neuron():
    nrn = StochasticLIFNeuron(2, beta=0.9, threshold=1.0)
    assert (nrn.beta_q, nrn.threshold_q) == (230, 256)
    assert nrn.step(np.array([300, 10])).tolist() == [1, 0]
    assert nrn.v.tolist() == [44, 10]
    nrn.reset()
    assert nrn.v.tolist() == [0, 0]
    with pytest.raises(ValueError, match="beta"):
        StochasticLIFNeuron(1, beta=1.5)
    with pytest.raises(ValueError, match="threshold"):
        StochasticLIFNeuron(1, threshold=0.0)
