"""hw.ports: the network signature's layouts, and the word decoders against words packed by data.Layout.const."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.hdl import Fragment, signed, unsigned
from amaranth.lib import data, stream
from sc_neurocore.export import QuantizedNet
from sc_neurocore.hw import SCNetworkCore
from sc_neurocore.hw.ports import NetworkSignature, bits, decode_word, decode_words, output_layout, trace_layout
from sc_neurocore.sc.contract import SCConfig

from .reference import random_qnet

WIDE = data.StructLayout({
    "a": signed(5),
    "arr": data.ArrayLayout(signed(7), 4),
    "u": unsigned(40),
    "s": signed(33),  # the word is wider than 64 bits
    "flag": 1,
})


def _random_fields(rng, n):
    return [{"a": int(rng.integers(-16, 16)), "arr": [int(v) for v in rng.integers(-64, 64, 4)],
             "u": int(rng.integers(0, 1 << 40)), "s": int(rng.integers(-(1 << 32), 1 << 32)),
             "flag": int(rng.integers(0, 2))} for _ in range(n)]


def test_decoders_invert_layout_const():
    rng = np.random.default_rng(3)  # seed 3
    fields = _random_fields(rng, 200)
    fields.append({"a": -16, "arr": [-64, 63, -1, 0], "u": (1 << 40) - 1, "s": -(1 << 32), "flag": 1})
    words = [WIDE.const(f).as_bits() for f in fields]
    assert max(words).bit_length() > 64
    assert [decode_word(WIDE, w) for w in words] == fields
    batch = decode_words(WIDE, words)
    for name in ("a", "u", "s", "flag"):
        assert batch[name].tolist() == [f[name] for f in fields]
    assert batch["arr"].shape == (len(fields), 4)
    assert batch["arr"].tolist() == [f["arr"] for f in fields]
    assert decode_words(WIDE, [])["arr"].shape == (0, 4)


def test_decoders_reject_words_that_do_not_fit():
    with pytest.raises(ValueError, match=f"{WIDE.size}-bit word"):
        decode_word(WIDE, 1 << WIDE.size)
    with pytest.raises(ValueError, match=f"wider than the {WIDE.size} bits"):
        decode_words(WIDE, [1, 1 << WIDE.size])
    with pytest.raises(ValueError, match="negative"):
        decode_words(WIDE, [-1])
    with pytest.raises(TypeError, match="StructLayout"):
        decode_words(data.ArrayLayout(4, 3), [5])


def test_network_signature_carries_the_core_layouts():
    cfg = SCConfig(length=8)
    qnet = random_qnet([6, 9, 3], cfg, seed=1)
    core = SCNetworkCore(qnet, 5, parallelism=(2, 3), trace=True)
    Fragment.get(core, None)  # it elaborates with this signature
    sig = core.signature
    assert isinstance(sig, NetworkSignature)
    assert sig == NetworkSignature.for_net(qnet, 5, trace=True) != NetworkSignature.for_net(qnet, 5)
    assert sig.output_layout == output_layout(3, 5) and sig.trace_layout == trace_layout(qnet, 5)
    assert sig.prob_bits == 8 and sig.n_output == 3
    assert sig.members["i"].signature == stream.Signature(unsigned(8)).flip()
    assert sig.members["o"].signature == stream.Signature(sig.output_layout)
    assert sig.members["trace"].signature == stream.Signature(sig.trace_layout)
    assert dict(sig.trace_layout)["count"].shape == signed(core.spec.count_bits)
    assert set(NetworkSignature.for_net(qnet, 5).members) == {"i", "o"}
    word = sig.output_layout.const({"counts": [5, 0, 3], "prediction": 0}).as_bits()
    assert sig.decode_output(word) == ([5, 0, 3], 0)
    assert sig.decode_outputs([word, word])["counts"].tolist() == [[5, 0, 3]] * 2
    rec = {"layer": 1, "t": 4, "neuron": 8, "count": -37, "current": -300, "membrane": 77, "spike": 1}
    tword = sig.trace_layout.const(rec).as_bits()
    assert sig.decode_trace(tword) == rec
    assert {k: v.tolist() for k, v in sig.decode_traces([tword]).items()} == {k: [v] for k, v in rec.items()}
    with pytest.raises(ValueError, match="no trace"):
        NetworkSignature.for_net(qnet, 5).decode_trace(0)


@pytest.mark.parametrize("args,exc,text", [((0, output_layout(2, 3)), ValueError, "input_bits"),
                                           ((65, output_layout(2, 3)), ValueError, "input_bits"),
                                           ((8, data.StructLayout({"x": 1})), TypeError, "counts"),
                                           ((8, output_layout(2, 3), "t"), TypeError, "trace")])
def test_network_signature_bad_arguments_raise(args, exc, text):
    with pytest.raises(exc, match=text):
        NetworkSignature(*args)


def test_trace_word_of_a_synaptic_net_carries_its_synaptic_current():
    """A LIF net's word is unchanged; a Synaptic net's word gains i_syn after the spike (the old fields stay put)."""
    cfg = SCConfig(length=8)
    lif = random_qnet([6, 9, 3], cfg, seed=1)
    syn = random_qnet([6, 9, 3], cfg, seed=1, neurons="synaptic", neuron_params=[{"alpha": 0.8}] * 2)
    a, b = dict(trace_layout(lif, 5)), dict(trace_layout(syn, 5))
    assert list(b) == list(a) + ["i_syn"] and b["i_syn"].shape == signed(16)
    assert all(a[k].offset == b[k].offset for k in a)
    rec = {"layer": 1, "t": 4, "neuron": 8, "count": -37, "current": -300, "membrane": 77, "spike": 1, "i_syn": -32768}
    word = trace_layout(syn, 5).const(rec).as_bits()
    assert decode_word(trace_layout(syn, 5), word) == rec


def test_spike_input_net_takes_T_bit_words():
    """A spike-input net's input word is T bits (one spike per timestep); a probability net's is prob_bits."""
    cfg = SCConfig(length=8, prob_bits=6)
    w = [np.ones((3, 4)) * 0.5]
    for kind, width in (("prob", 6), ("spike", 13)):
        qnet = QuantizedNet.from_float(w, [None], [0.9], [1.0], cfg, input_kind=kind)
        assert NetworkSignature.for_net(qnet, 13).input_bits == width


def test_bits_is_the_unsigned_width_and_at_least_one():
    """bits(n): the width of an unsigned value up to n, never 0 (a one-class prediction, a one-layer net's layer
    index, a one-timestep t still get one bit of the word)."""
    assert [bits(n) for n in (0, 1, 2, 3, 4, 255, 256)] == [1, 1, 2, 2, 3, 8, 9]
    assert output_layout(1, 1).size == 1 + 1  # counts: one class up to T = 1, prediction: one bit


def test_decode_words_of_an_empty_array_field():
    """An array of no elements (a layer of no extra state, say) decodes to shape (n, 0) beside the other fields."""
    layout = data.StructLayout({"a": data.ArrayLayout(4, 0), "b": 3})
    out = decode_words(layout, [5, 2])
    assert out["a"].shape == (2, 0) and out["b"].tolist() == [5, 2]
