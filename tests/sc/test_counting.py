"""Layer counts: table/matmul path == packed bits == unpacked APC, for every polarity and input kind."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sc_neurocore.export import QuantizedNet
from sc_neurocore.sc.contract import SCConfig
from sc_neurocore.sc.counting import (
    counts_fast,
    counts_from_spikes,
    counts_packed,
    counts_unpacked,
    input_codes,
    prepare_layer,
    spike_weight_counts,
)


def _layer(rng, n_out, n_in, cfg, kind):
    w = rng.normal(size=(n_out, n_in))
    if kind == "spike":
        q = QuantizedNet.from_float([rng.normal(size=(n_in, 2)), w], [None, None], [0.9, 0.9], [1.0, 1.0], cfg)
        return q.layers[1]
    return QuantizedNet.from_float([w], [None], [0.9], [1.0], cfg).layers[0]


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    n_in=st.integers(1, 6),
    n_out=st.integers(1, 4),
    batch=st.integers(1, 4),
    length=st.integers(1, 80),
    n_win=st.integers(1, 3),
    prob_bits=st.integers(1, 8),
    polarity=st.sampled_from(["signed", "bipolar", "minmax"]),
    kind=st.sampled_from(["prob", "spike"]),
)
def test_fast_equals_packed_equals_unpacked(seed, n_in, n_out, batch, length, n_win, prob_bits, polarity, kind):
    rng = np.random.default_rng(seed)
    cfg = SCConfig(length=length, prob_bits=prob_bits, polarity=polarity)
    arith = prepare_layer(_layer(rng, n_out, n_in, cfg, kind), cfg)
    big_p = 1 << prob_bits
    if kind == "prob":
        values = rng.integers(0, big_p, size=(batch, n_in))
    else:
        values = rng.integers(0, 2, size=(batch, n_in))
    codes = input_codes(arith, values, prob_bits)
    rin = rng.integers(0, big_p, size=(n_win, length))
    rw = rng.integers(0, big_p, size=(n_win, length))
    if not arith.needs_input_source:
        rin_used = None
    else:
        rin_used = rin
    fast = counts_fast(codes, arith, rin_used, rw, prob_bits)
    packed = counts_packed(codes, arith, rin_used, rw, prob_bits)
    unpacked = counts_unpacked(codes, arith, rin_used, rw, prob_bits)
    np.testing.assert_array_equal(fast, packed)
    np.testing.assert_array_equal(fast, unpacked)
    # plain Python per synapse and cycle
    for t in range(n_win):
        for b in range(batch):
            for j in range(n_out):
                acc = 0
                for i in range(n_in):
                    for c in range(length):
                        bx = 1 if (rin[t, c] if rin_used is not None else 0) < codes[b, i] else 0
                        bw = 1 if rw[t, c] < arith.mag[j, i] else 0
                        if arith.op == "xnor":
                            acc += 1 if bx == bw else -1
                        else:
                            acc += int(arith.sign[j, i]) * (bx & bw)
                assert fast[t, b, j] == acc
    if kind == "spike" and arith.op == "and":
        m = spike_weight_counts(arith, rw, prob_bits)
        for t in range(n_win):
            np.testing.assert_array_equal(counts_from_spikes(values, m[t]), fast[t])


def test_both_bases_used_and_agree():
    """Few distinct codes (code basis) and many distinct codes with short windows (cycle basis)."""
    rng = np.random.default_rng(0)
    cfg = SCConfig(length=8)
    arith = prepare_layer(_layer(rng, 5, 40, cfg, "prob"), cfg)
    rin = rng.integers(0, 256, size=(2, 8))
    rw = rng.integers(0, 256, size=(2, 8))
    for codes in (rng.choice([0, 64, 255], size=(3, 40)), rng.integers(0, 256, size=(3, 40))):
        np.testing.assert_array_equal(counts_fast(codes, arith, rin, rw, 8), counts_packed(codes, arith, rin, rw, 8))


def test_input_codes_mapping():
    cfg = SCConfig(prob_bits=8, polarity="bipolar")
    rng = np.random.default_rng(1)
    a_in = prepare_layer(_layer(rng, 2, 3, cfg, "prob"), cfg)
    a_sp = prepare_layer(_layer(rng, 2, 3, cfg, "spike"), cfg)
    assert input_codes(a_in, [0, 255, 128], 8).tolist() == [128, 255, 192]
    assert input_codes(a_sp, [0, 1, 1], 8).tolist() == [128, 256, 256]
    s = prepare_layer(_layer(rng, 2, 3, cfg, "spike"), cfg.replace(polarity="signed"))
    assert input_codes(s, [0, 1, 1], 8).tolist() == [0, 256, 256]


def test_prepare_layer_polarities():
    cfg = SCConfig(prob_bits=8)
    w = np.array([[-1.0, 0.0, 0.5, 1.0]])
    layer = QuantizedNet.from_float([w], [None], [0.9], [1.0], cfg).layers[0]
    assert layer.weight_q.tolist() == [[-255, 0, 128, 255]]
    s = prepare_layer(layer, cfg, "signed")
    assert s.mag.tolist() == [[255, 0, 128, 255]] and s.sign.tolist() == [[-1, 1, 1, 1]] and s.op == "and"
    b = prepare_layer(layer, cfg, "bipolar")
    assert b.mag.tolist() == [[0, 128, 192, 255]] and b.op == "xnor"  # (wq + 256) >> 1
    m = prepare_layer(layer, cfg, "minmax")
    # (2*255*(wq+255) + 510) // 1020: round(255 * (wq + 255) / 510)
    assert m.mag.tolist() == [[0, 128, 192, 255]] and m.sign.tolist() == [[1, 1, 1, 1]] and m.op == "and"
    with pytest.raises(ValueError, match="polarity"):
        prepare_layer(layer, cfg, "nope")


def test_count_errors():
    rng = np.random.default_rng(2)
    cfg = SCConfig(length=4)
    arith = prepare_layer(_layer(rng, 2, 3, cfg, "prob"), cfg)
    rw = rng.integers(0, 256, size=(1, 4))
    with pytest.raises(ValueError, match="batch, 3"):
        counts_fast(np.zeros((2, 4), dtype=np.int64), arith, rw, rw, 8)
    with pytest.raises(ValueError, match="input source"):
        counts_fast(np.full((1, 3), 5), arith, None, rw, 8)
    with pytest.raises(ValueError, match=r"\[0, 256\]"):
        counts_fast(np.full((1, 3), 300), arith, rw, rw, 8)
    with pytest.raises(ValueError, match="differ"):
        counts_fast(np.zeros((1, 3), dtype=np.int64), arith, rw[:, :2], rw, 8)


def _unpacked_reference(codes, arith, rin, rw):
    """Plain NumPy bits, summed in int64: sum_i sign_ij sum_c [rin_c < x_bi][rw_c < mag_ij]."""
    out = np.zeros((rw.shape[0], codes.shape[0], arith.n_out), dtype=np.int64)
    for t in range(rw.shape[0]):
        xb = (rin[t][None, None, :] < codes[:, :, None]).astype(np.int64)  # (B, n_in, L)
        wb = (rw[t][None, None, :] < arith.mag[:, :, None]).astype(np.int64)  # (n_out, n_in, L)
        out[t] = np.einsum("bic,jic,ji->bj", xb, wb, arith.sign)
    return out


@pytest.mark.parametrize("codes_kind", ["few codes (code basis)", "many codes (cycle basis)"])
def test_blocks_of_one_give_the_same_counts(monkeypatch, codes_kind):
    """The matmuls run in blocks bounded by _BLOCK_ELEMS; blocks of one window / one random value add up the same."""
    import sc_neurocore.sc.counting as counting

    rng = np.random.default_rng(7)
    cfg = SCConfig(length=8)
    arith = prepare_layer(_layer(rng, 3, 12, cfg, "prob"), cfg)
    rin, rw = rng.integers(0, 256, size=(3, 8)), rng.integers(0, 256, size=(3, 8))
    codes = rng.choice([0, 64, 255], size=(2, 12)) if codes_kind.startswith("few") else rng.integers(0, 256, (2, 12))
    want = _unpacked_reference(codes, arith, rin, rw)
    monkeypatch.setattr(counting, "_BLOCK_ELEMS", 1)
    np.testing.assert_array_equal(counts_fast(codes, arith, rin, rw, 8), want)


def test_counts_stay_exact_past_float32():
    """4096 inputs x 5000 cycles: sums near 1.8e7 > 2**24, where float32 loses integers; every count exact."""
    from sc_neurocore.sc.counting import LayerArith

    rng = np.random.default_rng(8)  # seed 8
    n_in, length = 4096, 5000
    rin, rw = rng.integers(0, 256, size=(1, length)), rng.integers(0, 256, size=(1, length))
    codes = np.full((1, n_in), 255)
    mag = (200 + np.arange(n_in) % 56)[None, :].astype(np.int64)

    def exact(m):
        return int(((rin[0] < 255)[None, :] & (rw[0][None, :] < m[0][:, None])).sum())

    while exact(mag) % 2 == 0:  # an odd total above 2**24: float32 cannot hold it, so a float32 sum shows
        mag[0, 0] += 1
    arith = LayerArith("and", mag, np.ones_like(mag), "prob", 1, 1, np.zeros(1, np.int64), 0, 1)
    assert exact(mag) > 2**24
    assert counts_fast(codes, arith, rin, rw, 8)[0, 0, 0] == exact(mag)
    # the spike path: one spike per input, each input's weight count of the window (odd total as well)
    per_input = (rw[0][None, :] < mag[0][:, None]).sum(axis=1).astype(np.int64)[:, None]
    per_input[0, 0] += 1 - int(per_input.sum()) % 2
    assert int(per_input.sum()) > 2**24 and int(per_input.sum()) % 2 == 1
    assert counts_from_spikes(np.ones((1, n_in), dtype=np.int64), per_input)[0, 0] == int(per_input.sum())


def test_signs_and_minmax_of_the_smallest_codes():
    cfg = SCConfig(prob_bits=8)
    layer = QuantizedNet.from_float([np.array([[-1 / 255, 0.0, 1.0]])], [None], [0.9], [1.0], cfg).layers[0]
    assert layer.weight_q.tolist() == [[-1, 0, 255]]
    assert prepare_layer(layer, cfg, "signed").sign.tolist() == [[-1, 1, 1]]  # a code of -1 is negative
    two = QuantizedNet.from_float([np.array([[0.0, 1.0]])], [None], [0.9], [1.0], cfg).layers[0]
    two = type(two)(**{**two.__dict__, "weight_q": np.array([[0, 1]])})  # codes spanning exactly 1
    assert prepare_layer(two, cfg, "minmax").mag.tolist() == [[0, 255]]  # (2*255*w + 1) // 2
    flat = type(two)(**{**two.__dict__, "weight_q": np.array([[3, 3]])})
    assert prepare_layer(flat, cfg, "minmax").mag.tolist() == [[0, 0]]  # no span: all zero
