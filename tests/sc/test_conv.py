"""Conv layers in the SC model: patches, OR pooling, the export's conv codes, and every integer of a conv net
against a plain-Python per-cycle reference that builds each receptive field with loops."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sc_neurocore.export import QuantizedNet
from sc_neurocore.sc.contract import SCConfig
from sc_neurocore.sc.conv import conv_counts_gather, or_pool, patches
from sc_neurocore.sc.geometry import ConvGeometry
from sc_neurocore.sc.network import FixedPointNetwork, SCNetwork
from sc_neurocore.sim.nets import random_conv_qnet

from . import sc_reference as ref


def _loop_patches(img, geom):
    """img (C, H, W) -> list over positions (y, x) of tap lists (c, dy, dx), zero padded: plain loops."""
    c_n, h, w = geom.in_shape
    p, k = geom.padding, geom.kernel
    rows = []
    for y in range(geom.out_height):
        for x in range(geom.out_width):
            row = []
            for c in range(c_n):
                for dy in range(k):
                    for dx in range(k):
                        yy, xx = y + dy - p, x + dx - p
                        row.append(int(img[c][yy][xx]) if 0 <= yy < h and 0 <= xx < w else 0)
            rows.append(row)
    return rows


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), c=st.integers(1, 3), h=st.integers(1, 7), w=st.integers(1, 7),
       k=st.integers(1, 4), pad=st.integers(0, 2))
def test_patches_are_the_receptive_fields(seed, c, h, w, k, pad):
    if h + 2 * pad < k or w + 2 * pad < k:
        return
    geom = ConvGeometry(c, h, w, k, pad)
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 9, size=(2, c * h * w))
    got = patches(x, geom)
    assert got.shape == (2 * geom.positions, c * k * k)
    for b in range(2):
        want = _loop_patches(x[b].reshape(c, h, w).tolist(), geom)
        assert got[b * geom.positions:(b + 1) * geom.positions].tolist() == want


def test_or_pool_is_the_max_of_each_window():
    geom = ConvGeometry(1, 6, 7, 2, 0, pool=2)  # 5x6 conv output: the last row is dropped
    assert (geom.out_height, geom.out_width, geom.pooled_height, geom.pooled_width) == (5, 6, 2, 3)
    s = np.zeros((1, 2, 5, 6), dtype=np.int64)
    s[0, 0, 1, 1] = 1  # window (0, 0) of channel 0
    s[0, 0, 3, 5] = 1  # window (1, 2)
    s[0, 1, 4, 0] = 1  # the dropped row: no window
    s[0, 1, 2, 3] = 1  # window (1, 1) of channel 1
    got = or_pool(s.reshape(1, -1), 2, geom).reshape(2, 2, 3)
    assert got[0].tolist() == [[1, 0, 0], [0, 0, 1]]
    assert got[1].tolist() == [[0, 0, 0], [0, 1, 0]]


def test_the_worked_example_of_the_docs():
    """docs/sc-arithmetic.md section 13: k = 3, L = 4, counts (2, 1, -1, -1), computed there by hand."""
    x = np.array([[5, 2, 0, 0, 5, 7, 2, 0, 0]])
    wq = np.array([[3, -6, 0, 2]])
    rin = np.array([[3, 7, 0, 5]])
    rw = np.array([[1, 4, 6, 2]])
    geom = ConvGeometry(1, 3, 3, 2, 0, pool=2)
    got = conv_counts_gather(patches(x, geom), "and", np.abs(wq), np.where(wq < 0, -1, 1), rin, rw, 3)
    assert got[0, :, 0].tolist() == [2, 1, -1, -1]
    assert or_pool(np.array([[0, 1, 0, 0]]), 1, geom).tolist() == [[1]]


def _conv_net(rng, config, in_shape=(1, 5, 5), channels=(2,), k=3, pad=0, pool=2, n_out=3, theta=(0.3, 0.6)):
    """A random conv net (conv blocks, then a dense readout) with low thresholds so that every layer fires."""
    return random_conv_qnet(rng, config, in_shape=in_shape, channels=channels, k=k, pad=pad, pool=pool, n_out=n_out,
                            theta=theta)


def _reference(qnet, xq, T, polarity):
    """One image through a conv net, cycle by cycle, the receptive fields built with loops (plain ints)."""
    cfg = qnet.config
    k, L = cfg.prob_bits, cfg.length
    big_p, q = 1 << k, (1 << k) - 1
    fmt = cfg.membrane
    bb = cfg.beta_format.frac_bits
    rin = [ref.source(cfg, li, 0, T * L) for li in range(len(qnet.layers))]
    rw = [ref.source(cfg, li, 1, T * L) for li in range(len(qnet.layers))]
    v = [[0] * layer.n_neurons for layer in qnet.layers]
    rec = {"counts": [[] for _ in qnet.layers], "spikes": [[] for _ in qnet.layers], "out": [0] * qnet.n_output}
    for t in range(T):
        prev = None
        for li, layer in enumerate(qnet.layers):
            wq = [[int(x) for x in row] for row in layer.weight_q]
            flat = [x for row in wq for x in row]
            lo, hi = min(flat), max(flat)
            if li == 0:
                vals = [(x + q + 1) // 2 for x in xq] if polarity == "bipolar" else list(xq)
            else:
                vals = [(big_p if s else big_p // 2) if polarity == "bipolar" else (big_p if s else 0) for s in prev]
            g = layer.conv
            if g is None:
                fields = [(j, vals) for j in range(layer.n_neurons)]
            else:
                img = np.array(vals, dtype=object).reshape(g.in_shape).tolist()
                # padding is a zero input: code 0 (AND), the bipolar code of 0 (XNOR: P/2)
                rows = _loop_patches_pad(img, g, big_p // 2) if polarity == "bipolar" else _loop_patches(img, g)
                fields = [(o, rows[pos]) for o in range(len(wq)) for pos in range(g.positions)]
            counts, spikes = [], []
            for n_idx, (row_i, inputs) in enumerate(fields):
                acc = 0
                for cyc in range(t * L, t * L + L):
                    for i, code in enumerate(inputs):
                        wc, sg = ref.weight_codes(wq[row_i][i], polarity, k, lo, hi)
                        bx = 1 if rin[li][cyc] < code else 0
                        bw = 1 if rw[li][cyc] < wc else 0
                        acc += (1 if bx == bw else -1) if polarity == "bipolar" else sg * (bx & bw)
                m, sh = int(layer.scale_mult), int(layer.scale_shift)
                if polarity == "minmax":
                    m, sh = _minmax_scaling(layer, cfg)
                bias = int(layer.bias_q[row_i if g is not None else n_idx])
                cur = ref.sat(((acc * m + (1 << (sh - 1))) >> sh) + bias, fmt.min_int, fmt.max_int)
                vv = ref.sat(((int(layer.beta_q) * v[li][n_idx]) >> bb) + cur, fmt.min_int, fmt.max_int)
                s = 1 if vv > int(layer.threshold_q) else 0
                v[li][n_idx] = vv - s * int(layer.threshold_q)
                counts.append(acc)
                spikes.append(s)
            rec["counts"][li].append(counts)
            rec["spikes"][li].append(spikes)
            if g is None:
                prev = spikes
            else:  # OR pooling with loops
                oc = len(wq)
                prev = []
                for o in range(oc):
                    for py in range(g.pooled_height):
                        for px in range(g.pooled_width):
                            prev.append(max(spikes[o * g.positions + (py * g.pool + dy) * g.out_width + px * g.pool + dx]
                                            for dy in range(g.pool) for dx in range(g.pool)))
        rec["out"] = [a + b for a, b in zip(rec["out"], prev)]
    return rec


def _loop_patches_pad(img, geom, pad_code):
    rows = _loop_patches([[[x + 1 for x in r] for r in ch] for ch in img], geom)  # shift: padding reads 0
    return [[pad_code if x == 0 else x - 1 for x in row] for row in rows]


def _minmax_scaling(layer, cfg):
    from sc_neurocore.sc.contract import count_real_scale, current_scale

    span = int(layer.weight_q.max()) - int(layer.weight_q.min())
    return current_scale(count_real_scale(layer.weight_scale * span / cfg.prob_max, cfg, layer.input_kind),
                         cfg.scale_bits)


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 3), pad=st.integers(0, 1), pool=st.integers(1, 2),
       c_in=st.integers(1, 2), oc=st.integers(1, 2), length=st.integers(1, 6),
       rng_kind=st.sampled_from(["lfsr", "sobol"]), polarity=st.sampled_from(["signed", "bipolar", "minmax"]))
def test_conv_net_equals_the_plain_python_reference(seed, k, pad, pool, c_in, oc, length, rng_kind, polarity):
    rng = np.random.default_rng(seed)
    cfg = SCConfig(length=length, rng=rng_kind, polarity=polarity, seed=seed % 1000, prob_bits=4, lfsr_width=8)
    qnet = _conv_net(rng, cfg, in_shape=(c_in, 4, 4), channels=(oc,), k=k, pad=pad, pool=pool)
    T = 3
    xq = rng.integers(0, cfg.prob_max + 1, size=(2, qnet.n_input))
    tr = SCNetwork(qnet).run_codes(xq, T)
    for b in range(2):
        exp = _reference(qnet, [int(v) for v in xq[b]], T, polarity)
        for li in range(len(qnet.layers)):
            assert tr.sc_counts[li][:, b].tolist() == exp["counts"][li], (b, li)
            assert tr.spikes[li][:, b].tolist() == exp["spikes"][li], (b, li)
        assert tr.counts[b].tolist() == exp["out"]


@pytest.mark.parametrize("polarity", ["signed", "bipolar"])
def test_fast_counts_equal_the_packed_bits_on_two_conv_blocks(polarity):
    """The default shape in small: conv, pool, conv, pool, dense; padding on; every layer fires."""
    rng = np.random.default_rng(7)
    cfg = SCConfig(length=16, polarity=polarity)
    qnet = _conv_net(rng, cfg, in_shape=(1, 10, 10), channels=(3, 4), k=3, pad=1, pool=2, n_out=5,
                     theta=(0.1, 0.3))
    x = rng.random((3, qnet.n_input))
    fast = SCNetwork(qnet).run(x, T=6)
    bits = SCNetwork(qnet, exact_bits=True).run(x, T=6)
    for li in range(3):
        assert np.array_equal(fast.sc_counts[li], bits.sc_counts[li]), li
        assert np.array_equal(fast.membranes[li], bits.membranes[li]), li
    assert all(s.any() for s in fast.spikes), "every layer should fire for the test to reach it"
    assert np.array_equal(fast.counts, bits.counts)


def test_conv_codes_equal_a_direct_integer_convolution():
    """The fixed-point rung's count of a first conv layer is sum(weight_q * x_q) over each receptive field."""
    rng = np.random.default_rng(3)
    cfg = SCConfig()
    qnet = _conv_net(rng, cfg, in_shape=(2, 6, 5), channels=(3,), k=3, pad=1, pool=1, n_out=2)
    xq = rng.integers(0, 256, size=(2, qnet.n_input))
    tr = FixedPointNetwork(qnet).run_codes(xq, T=1)
    wq = qnet.layers[0].weight_q.reshape(3, 2, 3, 3)
    for b in range(2):
        img = xq[b].reshape(2, 6, 5)
        want = np.zeros((3, 6, 5), dtype=np.int64)
        for o in range(3):
            for y in range(6):
                for x in range(5):
                    for c in range(2):
                        for dy in range(3):
                            for dx in range(3):
                                yy, xx = y + dy - 1, x + dx - 1
                                if 0 <= yy < 6 and 0 <= xx < 5:
                                    want[o, y, x] += int(wq[o, c, dy, dx]) * int(img[c, yy, xx])
        assert tr.sc_counts[0][0, b].tolist() == want.reshape(-1).tolist()


def test_a_conv_export_round_trips_and_refuses_mismatched_kernels(tmp_path):
    rng = np.random.default_rng(0)
    qnet = _conv_net(rng, SCConfig(length=8), in_shape=(1, 6, 6), channels=(2,), k=3, pad=0, pool=2)
    assert qnet.has_conv and qnet.sizes == (36, 8, 3)
    assert [layer.n_neurons for layer in qnet.layers] == [32, 3]
    back = QuantizedNet.load(qnet.save(tmp_path / "conv.npz"))
    assert back.layers[0].conv == qnet.layers[0].conv and back.layers[1].conv is None
    assert all(np.array_equal(a.weight_q, b.weight_q) for a, b in zip(qnet.layers, back.layers))
    x = rng.random((2, 36))
    assert np.array_equal(SCNetwork(back).predict(x, T=4), SCNetwork(qnet).predict(x, T=4))
    with pytest.raises(ValueError, match="kernels of 8 taps, the geometry has 9"):
        QuantizedNet.from_float([rng.normal(size=(2, 8)), rng.normal(size=(3, 8))], [None, None], [0.9, 0.9],
                                [1.0, 1.0], convs=[ConvGeometry(1, 6, 6, 3, 0, 2), None])
    with pytest.raises(ValueError, match="layer 1: takes 9 inputs but layer 0 has 8 outputs"):
        QuantizedNet.from_float([rng.normal(size=(2, 9)), rng.normal(size=(3, 9))], [None, None], [0.9, 0.9],
                                [1.0, 1.0], convs=[ConvGeometry(1, 6, 6, 3, 0, 2), None])


@pytest.mark.parametrize("kwargs, match", [
    (dict(in_channels=0, height=4, width=4, kernel=3), "in_channels must be an integer >= 1"),
    (dict(in_channels=1, height=2, width=4, kernel=3), "leaves no output position"),
    (dict(in_channels=1, height=4, width=4, kernel=3, pool=3), "pool 3 is larger than the 2x2 conv output"),
    (dict(in_channels=1, height=4, width=4, kernel=3, padding=-1), "padding must be an integer >= 0"),
])
def test_bad_geometries_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ConvGeometry(**kwargs)


def test_faults_on_a_conv_net_are_refused():
    from sc_neurocore.sc.faults import FaultModel

    qnet = _conv_net(np.random.default_rng(0), SCConfig(length=8), in_shape=(1, 5, 5))
    with pytest.raises(ValueError, match="not modelled for conv layers"):
        SCNetwork(qnet).run_codes(np.zeros((1, 25), dtype=np.int64), 2, faults=FaultModel("count", 0.01))


def _gather_reference(codes, wq, rin, rw, big_p):
    """AND counts of patch rows by plain loops: window t, row n, kernel o: sum over taps and cycles of
    sign * [input bit] * [rw_c < |w|], the input bit [rin_c < u] (or, with no input source, u == 2**k)."""
    out = []
    for t in range(len(rw)):
        out.append([[sum((-1 if w < 0 else 1) * sum(1 for c in range(len(rw[t]))
                                                   if (u == big_p if rin is None else rin[t][c] < u)
                                                   and rw[t][c] < abs(w))
                         for u, w in zip(row, kern)) for kern in wq] for row in codes])
    return out


def test_gather_of_spike_codes_without_an_input_source():
    """A first conv layer of spikes has no input source: codes 0 or 2**k, the count table's row 2**k the weight
    stream's counts (k = 3, L = 6, two windows), against plain loops."""
    g = np.random.default_rng(11)
    codes = g.choice([0, 8], size=(7, 4))
    wq = [[3, -8, 0, 5], [-1, 7, 8, -2]]
    rw = g.integers(0, 8, (2, 6)).tolist()
    got = conv_counts_gather(codes, "and", np.abs(wq), np.where(np.array(wq) < 0, -1, 1), None, rw, 3)
    assert got.tolist() == _gather_reference(codes.tolist(), wq, None, rw, 8)
    assert got.any()


def test_gather_in_blocks_of_one_and_with_no_kernels(monkeypatch):
    """Rows gathered one at a time (the block bound set to one element) give the loops' counts; a layer of no
    kernels gives a (windows, rows, 0) array."""
    import sc_neurocore.sc.conv as conv

    g = np.random.default_rng(12)
    codes = g.integers(0, 9, size=(5, 3))
    wq = [[3, -8, 1], [-1, 7, 8]]
    rin, rw = g.integers(0, 8, (2, 5)).tolist(), g.integers(0, 8, (2, 5)).tolist()
    mag, sign = np.abs(wq), np.where(np.array(wq) < 0, -1, 1)
    monkeypatch.setattr(conv, "_BLOCK_ELEMS", 1)
    got = conv_counts_gather(codes, "and", mag, sign, rin, rw, 3)
    assert got.tolist() == _gather_reference(codes.tolist(), wq, rin, rw, 8)
    monkeypatch.undo()
    none = conv_counts_gather(codes, "and", np.zeros((0, 3), int), np.ones((0, 3), int), rin, rw, 3)
    assert none.shape == (2, 5, 0)


def test_a_conv_run_past_the_batch_bound_still_runs_one_image_at_a_time():
    """T * widest > 2**24 (256 timesteps x a 256 x 257 conv output = 16842752): the batch bound (1 << 24) // (T * widest)
    is 0, and the run still takes batches of one image. Non-negative weights and inputs, biases (1.0) above the
    thresholds (0.5): every count is >= 0, so every current is >= the threshold and every neuron fires at every step
    (a subtractive reset leaves v >= theta - theta + 1.0): each output counts T = 256 spikes."""
    g = np.random.default_rng(0)
    geom = ConvGeometry(1, 258, 259, 3, 0, pool=2)  # 256 x 257 positions, pooled to 128 x 128
    qnet = QuantizedNet.from_float([np.abs(g.normal(size=(1, 9))), np.abs(g.normal(size=(2, 128 * 128)))],
                                   [np.ones(1), np.ones(2)], [0.9, 0.9], [0.5, 0.5], SCConfig(length=8),
                                   convs=[geom, None])
    assert 256 * qnet.layers[0].n_neurons > 1 << 24
    xq = g.integers(0, 256, (2, 258 * 259))
    assert FixedPointNetwork(qnet).predict_codes(xq, 256).tolist() == [[256, 256], [256, 256]]
