"""The fault model (sc.faults) and its use by SCNetwork and FixedPointNetwork: each site checked against an
independent bit-level or closed-form reference (every bit flipped at rate 1), rate 0 against the clean run, the
draws' statistics and repeatability."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from sc_neurocore.export import QuantizedNet
from sc_neurocore.sc.contract import ROLE_INPUT, ROLE_WEIGHT, SCConfig
from sc_neurocore.sc.faults import (
    SITES,
    FaultModel,
    _sparse_positions,
    binary_product_deltas,
    bitstream_deltas,
    corrupt_weights,
    flip_bits,
)
from sc_neurocore.sc.network import FixedPointNetwork, SCNetwork
from sc_neurocore.sc.sources import source_values


def _net(seed=0, sizes=(6, 5, 3), kind="prob"):
    g = np.random.default_rng(seed)
    ws = [g.normal(0, 1, (b, a)) for a, b in zip(sizes[:-1], sizes[1:])]
    return QuantizedNet.from_float(ws, [g.normal(0, 0.2, b) for b in sizes[1:]], [0.9] * len(ws), [0.7] * len(ws),
                                   SCConfig(length=8, rng="lfsr"), input_kind=kind)


def test_flip_every_bit_is_the_complement():
    v = np.array([-32768, -1, 0, 1, 1234, 32767])
    got = flip_bits(v, 16, 1.0, np.random.default_rng(0))
    assert got.tolist() == (-v - 1).tolist()  # ~v in two's complement
    assert flip_bits(v, 16, 0.0, np.random.default_rng(0)).tolist() == v.tolist()


def test_sparse_positions_are_a_bernoulli_process():
    """n = 10**6 bits at rate 0.01 (seed 3): distinct, ascending, in range; the count within 5 sigma of n*p."""
    pos = _sparse_positions(np.random.default_rng(3), 10 ** 6, 0.01)
    assert np.all(np.diff(pos) > 0) and pos[0] >= 0 and pos[-1] < 10 ** 6
    sigma = np.sqrt(10 ** 6 * 0.01 * 0.99)
    assert abs(pos.size - 10 ** 4) < 5 * sigma
    assert abs(np.mean(pos < 5 * 10 ** 5) - 0.5) < 0.02  # uniform over the range


def test_bitstream_deltas_equal_a_bit_level_reference():
    """The count changes of product-bit flips, recomputed from every product bit of the layer."""
    qnet = _net(1)
    cfg, layer = qnet.config, qnet.layers[0]
    L, k, T = cfg.length, cfg.prob_bits, 3
    codes = np.random.default_rng(2).integers(0, 256, (4, 6))
    mag, sign = np.abs(layer.weight_q), np.where(layer.weight_q < 0, -1, 1)
    for t in range(T):
        rin = source_values(cfg, 0, ROLE_INPUT, T * L).astype(np.int64)[t * L:(t + 1) * L]
        rw = source_values(cfg, 0, ROLE_WEIGHT, T * L).astype(np.int64)[t * L:(t + 1) * L]
        got = bitstream_deltas(np.random.default_rng(t), 0.2, codes, mag, sign, rin, rw, True, 1 << k)
        bits = (rin[None, None, None, :] < codes[:, None, :, None]) & (rw[None, None, None, :] < mag[None, :, :, None])
        flips = np.zeros(bits.size, bool)
        flips[_sparse_positions(np.random.default_rng(t), bits.size, 0.2)] = True
        flipped = bits ^ flips.reshape(bits.shape)
        want = ((flipped.sum(axis=3) - bits.sum(axis=3)) * sign[None]).sum(axis=2)
        assert np.array_equal(got, want)
        assert np.abs(got).sum() > 0


@pytest.mark.parametrize("kind", ["prob", "spike"])
def test_every_product_bit_flipped(kind):
    """Rate 1: every product bit flips, so each synapse counts L - popcount: C' = L * sum_i sign_ij - C."""
    qnet = _net(2, kind=kind)
    T = 3
    xq = (np.random.default_rng(4).integers(0, 256, (3, 6)) if kind == "prob"
          else np.random.default_rng(4).integers(0, 1 << T, (3, 6)))
    net = SCNetwork(qnet)
    clean = net.run_codes(xq, T)
    hit = net.run_codes(xq, T, faults=FaultModel("bitstream", 1.0))
    L = qnet.config.length
    signs0 = np.where(qnet.layers[0].weight_q < 0, -1, 1).sum(axis=1)
    assert np.array_equal(hit.sc_counts[0], L * signs0[None, None, :] - clean.sc_counts[0])


@pytest.mark.parametrize("x,wq", [
    ([[3, 0, 255], [17, 200, 1]], [[5, -7, 255], [-1, 0, 9]]),
    ([[3, 0], [17, 200], [255, 1]], [[5, -7], [-1, 0], [255, 9]]),  # 3 images x 3 outputs, 2 inputs
])
def test_binary_product_words_all_flipped(x, wq):
    x, wq = np.array(x), np.array(wq)
    got = binary_product_deltas(np.random.default_rng(0), 1.0, x, wq, 16)
    prod = x[:, None, :] * np.abs(wq)[None]
    want = (np.where(wq < 0, -1, 1)[None] * ((2 ** 16 - 1) - 2 * prod)).sum(axis=2)
    assert np.array_equal(got, want)


def test_weights_all_flipped_and_persistence():
    qnet = _net(3)
    k = qnet.config.prob_bits
    bad = corrupt_weights(qnet, FaultModel("weights", 1.0))
    for a, b in zip(qnet.layers, bad.layers):
        assert np.array_equal(np.abs(b.weight_q), (2 ** k - 1) - np.abs(a.weight_q))
        flipped_sign = np.where(a.weight_q < 0, 1, -1) * np.where(np.abs(b.weight_q) > 0, 1, 0)
        assert np.array_equal(np.sign(b.weight_q), flipped_sign)
    m = FaultModel("weights", 0.05, seed=1, persist="image")
    assert not np.array_equal(corrupt_weights(qnet, m, 0).layers[0].weight_q, corrupt_weights(qnet, m, 1).layers[0].weight_q)


@pytest.mark.parametrize("cls", [SCNetwork, FixedPointNetwork])
@pytest.mark.parametrize("site", SITES)
def test_rate_zero_is_the_clean_run_and_seeds_repeat(cls, site):
    qnet = _net(4)
    xq = np.random.default_rng(5).integers(0, 256, (5, 6))
    net = cls(qnet)
    clean = net.run_codes(xq, 4)
    zero = net.run_codes(xq, 4, faults=FaultModel(site, 0.0))
    assert np.array_equal(clean.membranes[1], zero.membranes[1])
    a = net.run_codes(xq, 4, faults=FaultModel(site, 0.2, seed=7))
    b = net.run_codes(xq, 4, faults=FaultModel(site, 0.2, seed=7))
    c = net.run_codes(xq, 4, faults=FaultModel(site, 0.2, seed=8))
    assert np.array_equal(a.membranes[0], b.membranes[0])
    assert not np.array_equal(a.membranes[0], c.membranes[0])
    assert not np.array_equal(a.membranes[0], clean.membranes[0])


def test_membrane_fault_flips_the_stored_state():
    """Rate 1 on the membrane: the trace holds each step's result, and the next step starts from its complement
    (checked against lif_step by hand)."""
    from sc_neurocore.sc.fixed import lif_step

    qnet = _net(6, sizes=(6, 3))
    layer, cfg = qnet.layers[0], qnet.config
    xq = np.random.default_rng(1).integers(0, 256, (2, 6))
    hit = SCNetwork(qnet).run_codes(xq, 3, faults=FaultModel("membrane", 1.0))
    clean = SCNetwork(qnet).run_codes(xq, 3)
    assert np.array_equal(hit.membranes[0][0], clean.membranes[0][0])  # the first step is untouched
    for t in (1, 2):
        v, _ = lif_step(-hit.membranes[0][t - 1] - 1, hit.currents[0][t], layer.beta_q, layer.threshold_q,
                        cfg.membrane, cfg.beta_format.frac_bits)
        assert np.array_equal(hit.membranes[0][t], v)


def test_bad_fault_models_raise():
    for kwargs, text in (({"site": "dram", "rate": 0.1}, "site"), ({"site": "count", "rate": 1.5}, "rate"),
                         ({"site": "count", "rate": float("nan")}, "rate"), ({"site": "count", "rate": 0.1, "seed": -1},
                                                                             "seed"),
                         ({"site": "weights", "rate": 0.1, "persist": "forever"}, "persist")):
        with pytest.raises(ValueError, match=text):
            FaultModel(**kwargs)
    with pytest.raises(TypeError):
        SCNetwork(_net()).run_codes(np.zeros((1, 6), int), 2, faults="count")


def test_every_position_is_equally_likely_across_draw_chunks(monkeypatch):
    """With draws split into chunks of 4 (so chunk boundaries fall everywhere), each of 40 positions is chosen in
    a share of 2,000 seeded draws (seeds 0..1999) within 0.5 +- 0.06 at rate 0.5 (about 5 sigma): the first
    position is reachable and no position after a chunk's end is skipped."""
    import sc_neurocore.sc.faults as faults

    monkeypatch.setattr(faults, "_CHUNK", 4)
    hits = np.zeros(40)
    for seed in range(2000):
        pos = _sparse_positions(np.random.default_rng(seed), 40, 0.5)
        assert np.all(np.diff(pos) > 0)
        hits[pos] += 1
    share = hits / 2000
    assert np.all(np.abs(share - 0.5) < 0.06), share


def test_the_default_seed_is_zero():
    """A contract constant: a FaultModel without a seed draws from seed 0 (runs and reports name it so)."""
    assert FaultModel("count", 0.5).seed == 0
    a = FaultModel("count", 0.5).rng(1, 2).integers(0, 1 << 30, 4)
    assert a.tolist() == FaultModel("count", 0.5, seed=0).rng(1, 2).integers(0, 1 << 30, 4).tolist()


def test_sparse_positions_at_the_edges():
    """No bits: no positions, at every rate; one bit at rate 1: position 0; rate 1: every position; rate 0:
    none."""
    for rate in (0.0, 0.5, 1.0):
        pos = _sparse_positions(np.random.default_rng(0), 0, rate)
        assert pos.dtype == np.int64 and pos.size == 0
    assert _sparse_positions(np.random.default_rng(0), 1, 1.0).tolist() == [0]
    assert _sparse_positions(np.random.default_rng(0), 7, 1.0).tolist() == list(range(7))
    assert _sparse_positions(np.random.default_rng(0), 7, 0.0).size == 0


@pytest.mark.parametrize("chunk", [1, 2, 5])
def test_chunked_draws_are_the_unchunked_draws(monkeypatch, chunk):
    """Chunks only split one sequence of geometric gaps: with chunks of 1, 2 or 5 flips the positions are those of
    one draw (seeds 0..19, rates 0.05 and 0.5, 300 bits)."""
    import sc_neurocore.sc.faults as faults

    want = {(s, r): _sparse_positions(np.random.default_rng(s), 300, r).tolist() for s in range(20) for r in (0.05, 0.5)}
    monkeypatch.setattr(faults, "_CHUNK", chunk)
    for (s, r), w in want.items():
        assert _sparse_positions(np.random.default_rng(s), 300, r).tolist() == w


def _flip_reference(values, width, positions):
    """Plain-Python two's complement: bit ``p % width`` of value ``p // width`` flipped for each position."""
    out = []
    for n, v in enumerate(values):
        word = v & ((1 << width) - 1)
        for p in positions:
            if p // width == n:
                word ^= 1 << (p % width)
        out.append(word - (1 << width) if word >= 1 << (width - 1) else word)
    return out


def test_flip_bits_equal_a_plain_python_reference():
    """Some bits of negative and positive words flipped (rate 0.3, seeds 0..4), and one bit of a 1-bit word
    (rate 1: 0 -> -1 and -1 -> 0, the two values of a 1-bit two's complement word)."""
    v = [-3, 5, -32768, 32767, 0, -1, 1234]
    for seed in range(5):
        pos = _sparse_positions(np.random.default_rng(seed), len(v) * 16, 0.3).tolist()
        got = flip_bits(np.array(v), 16, 0.3, np.random.default_rng(seed))
        assert got.tolist() == _flip_reference(v, 16, pos)
    assert flip_bits(np.array([0]), 1, 1.0, np.random.default_rng(0)).tolist() == [-1]
    assert flip_bits(np.array([[-1]]), 1, 1.0, np.random.default_rng(0)).tolist() == [[0]]


def test_weight_words_of_zero_and_minus_one():
    """Stored weight words by hand (k = 8: magnitude bits 0..7, the sign bit 8): rate 0 keeps every weight; rate 1
    flips all nine bits, so 0 -> -255 (sign 0 -> 1, magnitude 0 -> 255), -1 -> +254, 255 -> -0 = 0, -255 -> 0,
    3 -> -252."""
    qnet = _net(3, sizes=(5, 1))
    assert qnet.config.prob_bits == 8
    wq = np.array([[0, -1, 255, -255, 3]])
    hand = type(qnet)((replace(qnet.layers[0], weight_q=wq),), qnet.config)
    assert corrupt_weights(hand, FaultModel("weights", 0.0)).layers[0].weight_q.tolist() == wq.tolist()
    assert corrupt_weights(hand, FaultModel("weights", 1.0)).layers[0].weight_q.tolist() == [[-255, 254, 0, 0, -252]]


def test_sparse_deltas_equal_bit_level_references_when_outputs_go_unhit():
    """Product-bit flips at rate 0.01 (seeds 0..9), SC and binary, on 3 images x 2 outputs (so B * n_out != B +
    n_out), against references built from every product bit; some seeds leave the last output without a flip
    (checked), where the per-output sums must still have every output."""
    qnet = _net(7, sizes=(4, 2))
    cfg, layer = qnet.config, qnet.layers[0]
    L, k = cfg.length, cfg.prob_bits
    codes = np.random.default_rng(8).integers(0, 256, (3, 4))
    wq = np.asarray(layer.weight_q)
    mag, sign = np.abs(wq), np.where(wq < 0, -1, 1)
    rin = source_values(cfg, 0, ROLE_INPUT, L).astype(np.int64)
    rw = source_values(cfg, 0, ROLE_WEIGHT, L).astype(np.int64)
    unhit = 0
    for seed in range(10):
        bits = (rin[None, None, None, :] < codes[:, None, :, None]) & (rw[None, None, None, :] < mag[None, :, :, None])
        flips = np.zeros(bits.size, bool)
        flips[_sparse_positions(np.random.default_rng(seed), bits.size, 0.01)] = True
        flips = flips.reshape(bits.shape)
        want = (((bits ^ flips).sum(axis=3) - bits.sum(axis=3)) * sign[None]).sum(axis=2)
        got = bitstream_deltas(np.random.default_rng(seed), 0.01, codes, mag, sign, rin, rw, True, 1 << k)
        assert got.tolist() == want.tolist()
        unhit += not flips[-1, -1].any()
        # the binary rung: 16-bit product words codes * |w|, bit b flipped adds +-2**b (sign of the weight)
        words = np.zeros(3 * 2 * 4 * 16, bool)
        words[_sparse_positions(np.random.default_rng(seed), words.size, 0.01)] = True
        words = words.reshape(3, 2, 4, 16)
        want_b = [[sum(int(sign[j, i]) * (1 << b) * (1 - 2 * ((int(codes[n, i]) * int(mag[j, i]) >> b) & 1))
                       for i in range(4) for b in range(16) if words[n, j, i, b]) for j in range(2)] for n in range(3)]
        got_b = binary_product_deltas(np.random.default_rng(seed), 0.01, codes, wq, 16)
        assert got_b.tolist() == want_b
        unhit += not words[-1, -1].any()
    assert unhit >= 2


def test_weights_drawn_per_image_run_each_image_on_its_own_upset_net():
    """persist="image": image b runs on corrupt_weights(qnet, faults, b), the net its own draw upsets."""
    qnet = _net(6)
    xq = np.random.default_rng(7).integers(0, 256, (3, 6))
    m = FaultModel("weights", 0.2, seed=3, persist="image")
    hit = SCNetwork(qnet).run_codes(xq, 4, faults=m)
    for b in range(3):
        alone = SCNetwork(corrupt_weights(qnet, m, b)).run_codes(xq[b : b + 1], 4)
        assert np.array_equal(hit.counts[b], alone.counts[0]), b
    assert not all(np.array_equal(hit.counts[b], hit.counts[0]) for b in (1, 2))  # not one draw for all


def test_count_delta_of_the_first_layer_is_the_recorded_minus_the_clean_count():
    """Layer 0 takes the same inputs with and without faults: its count_delta is the traced count minus the clean
    run's, and it is not all zero at rate 0.3."""
    qnet = _net(8)
    xq = np.random.default_rng(9).integers(0, 256, (2, 6))
    hit = SCNetwork(qnet).run_codes(xq, 3, faults=FaultModel("bitstream", 0.3, seed=2))
    clean = SCNetwork(qnet).run_codes(xq, 3)
    delta = hit.faults["count_delta"][0]
    assert delta.any() and np.array_equal(delta, hit.sc_counts[0] - clean.sc_counts[0])


def test_state_xor_is_the_membrane_upset_the_next_step_starts_from():
    """One layer, membrane upsets at rate 0.3: state_xor[t] (16-bit, not all zero) XOR the traced membrane of step t
    is the value step t + 1 starts from, which lif_step takes to the traced membrane of step t + 1."""
    from sc_neurocore.sc.fixed import lif_step

    qnet = _net(6, sizes=(6, 3))
    layer, cfg = qnet.layers[0], qnet.config
    xq = np.random.default_rng(1).integers(0, 256, (2, 6))
    hit = SCNetwork(qnet).run_codes(xq, 4, faults=FaultModel("membrane", 0.3, seed=5))
    xor = hit.faults["state_xor"][0]
    assert xor.any() and xor.min() >= 0 and xor.max() < 1 << 16
    for t in (1, 2, 3):
        upset = (hit.membranes[0][t - 1] & 0xFFFF) ^ xor[t - 1]
        upset = np.where(upset >= 1 << 15, upset - (1 << 16), upset)
        v, _ = lif_step(upset, hit.currents[0][t], layer.beta_q, layer.threshold_q, cfg.membrane,
                        cfg.beta_format.frac_bits)
        assert np.array_equal(hit.membranes[0][t], v), t


def test_count_faults_flip_a_word_of_the_counts_width():
    """Count faults at rate 0.5 (seed 4): layer 0's count words are (n_in * length).bit_length() + 1 = 7 bits wide
    (6 inputs x 8 cycles = 48 < 2**6, plus the sign), so the upset counts fill [-64, 63] and no more: over
    8 images x 4 timesteps x 5 neurons the extremes reach below -32 and above 31."""
    qnet = _net(2)
    assert qnet.layers[0].n_in * qnet.config.length == 48
    xq = np.random.default_rng(3).integers(0, 256, (8, 6))
    c = SCNetwork(qnet).run_codes(xq, 4, faults=FaultModel("count", 0.5, seed=4)).sc_counts[0]
    assert -64 <= c.min() < -32 and 31 < c.max() <= 63


def test_a_traced_run_without_faults_keeps_no_fault_arrays():
    """SCTrace.faults is filled only by a traced run under a fault model: a traced fault-free run leaves it {}."""
    qnet = _net(8)
    xq = np.random.default_rng(9).integers(0, 256, (2, 6))
    for cls in (SCNetwork, FixedPointNetwork):
        assert cls(qnet).run_codes(xq, 3).faults == {}


@pytest.mark.parametrize("n_in,width0", [(129, 24), (259, 26)])
def test_fixed_point_count_faults_flip_words_of_the_exact_counts_width(n_in, width0):
    """FixedPointNetwork's count word holds n_in products of 2k bits (a probability layer) or k bits (a spike layer),
    plus the sign. By hand, k = 8: 129 * 255 * 255 = 8388225 < 2**23, so 24 bits; 259 * 255 * 255 = 16841475 >= 2**24,
    so 26 bits (chosen so that a factor 254, 256 or 257 in place of 255 changes the width); the spike layer's
    4 * 255 = 1020 < 2**10, so 11 bits. Each recorded count is the clean count (layer 0: x . w; layer 1: the traced
    spikes of layer 0 . w) with the bits the layer's draw picks flipped (plain-Python reference), rate 0.3, seed 2."""
    qnet = _net(5, sizes=(n_in, 4, 2))
    xq = np.random.default_rng(6).integers(0, 256, (2, n_in))
    model = FaultModel("count", 0.3, seed=2)
    hit = FixedPointNetwork(qnet).run_codes(xq, 2, faults=model)
    w0, w1 = (np.asarray(layer.weight_q, dtype=np.int64) for layer in qnet.layers)
    for t in range(2):
        for li, width, clean in ((0, width0, xq @ w0.T), (1, 11, hit.spikes[0][t] @ w1.T)):
            flat = [int(v) for v in clean.reshape(-1)]
            pos = _sparse_positions(model.rng(li, t), len(flat) * width, 0.3).tolist()
            want = np.array(_flip_reference(flat, width, pos)).reshape(clean.shape)
            assert np.array_equal(hit.sc_counts[li][t], want), (li, t)
            assert not np.array_equal(want, clean)


def test_fixed_point_bitstream_faults_flip_every_product_word_bit():
    """Rate 1 at FixedPointNetwork's product words (2k = 16 bits for layer 0's codes, k = 8 for layer 1's spikes):
    each product p becomes (2**w - 1) - p, so C' = (2**w - 1) * sum_i sign_ij - C (C: x . w, and the traced spikes of
    layer 0 . w for layer 1)."""
    qnet = _net(2)
    xq = np.random.default_rng(4).integers(0, 256, (3, 6))
    hit = FixedPointNetwork(qnet).run_codes(xq, 3, faults=FaultModel("bitstream", 1.0))
    w0, w1 = (np.asarray(layer.weight_q, dtype=np.int64) for layer in qnet.layers)
    s0, s1 = (np.where(w < 0, -1, 1).sum(axis=1) for w in (w0, w1))
    for t in range(3):
        assert np.array_equal(hit.sc_counts[0][t], (2 ** 16 - 1) * s0[None] - xq @ w0.T), t
        assert np.array_equal(hit.sc_counts[1][t], (2 ** 8 - 1) * s1[None] - hit.spikes[0][t] @ w1.T), t
