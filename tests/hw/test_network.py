"""SCNetworkCore (the time-batched engine) against SCNetwork.run_codes(trace=True), and its exact clocks."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.hdl import Module, signed
from amaranth.lib import wiring
from sc_neurocore.hw.network import SCNetworkCore, active_inputs, cycles_per_image, image_cycles
from sc_neurocore.hw.neuron import NeuronSignature
from sc_neurocore.sc.contract import SCConfig
from sc_neurocore.sc.network import SCNetwork

from .helpers import check_against_model, run_core
from .reference import random_qnet


def _images(rng_seed, n, n_in, zero_frac=0.3, hi=256):
    rng = np.random.default_rng(rng_seed)
    img = rng.integers(1, hi, (n, n_in))
    img[rng.random((n, n_in)) < zero_frac] = 0
    return img


@pytest.mark.parametrize("rng,sizes,par,T", [
    ("lfsr", [6, 8, 4], (3, 2), 6),
    ("sobol", [5, 7, 6, 3], (2, 4), 5),
    ("lfsr", [4, 3], (1, 1), 3),
    ("sobol", [4, 3], (3, 3), 3),  # one layer counted in one pass: one (layer, pass) of random numbers
    ("sobol", [7, 9, 5], (4, 6), 6),
])
def test_core_equals_model_every_timestep(rng, sizes, par, T):
    cfg = SCConfig(rng=rng, seed=21, length=8, lfsr_steps=3)
    qnet = random_qnet(sizes, cfg, seed=len(sizes))
    images = _images(3, 2, sizes[0])
    core = SCNetworkCore(qnet, T, parallelism=par, trace=True)
    outs, words, _ = run_core(core, images, trace_ready_every=2)
    res = check_against_model(qnet, T, images, outs, words)
    if len(sizes) > 2:
        assert sum(r.sum() for r in res.spikes[:-1]) > 0  # hidden layers did spike


@pytest.mark.parametrize("par", [(4, 1), (3, 2)])
def test_a_hidden_layer_of_one_neuron_feeds_a_last_layer_of_one_input(par):
    """[4, 1, 3]: 5 weight rows, the last layer's one row at 4 (its first-row constant needs the width of 5 rows: a
    power of two plus one), the hidden layer's spikes read from a one-neuron spike memory."""
    cfg = SCConfig(rng="sobol", seed=5, length=8)
    qnet = random_qnet([4, 1, 3], cfg, seed=1)
    images = _images(2, 3, 4, zero_frac=0.1)
    core = SCNetworkCore(qnet, 4, parallelism=par, trace=True)
    assert core.spec.weight_rows == 5 and core.spec.plans[-1].wbase == 4
    outs, words, _ = run_core(core, images, trace_ready_every=1)
    res = check_against_model(qnet, 4, images, outs, words)
    assert 0 < res.spikes[0].sum() < res.spikes[0].size  # the one hidden neuron spikes at some timesteps only


@pytest.mark.parametrize("par", [(1, 1), (4, 3), (16, 16), (3, 2)])
def test_cycles_per_image_exact(par):
    cfg = SCConfig(rng="lfsr", seed=2, length=4)
    qnet = random_qnet([9, 10, 3], cfg, seed=1)
    T = 3
    images = _images(0, 3, 9)
    images[1] = 0  # nothing to count: every block still runs (one null item) and the LIF steps the bias
    core = SCNetworkCore(qnet, T, parallelism=par)
    outs, _, accepts = run_core(core, images, trace=False)
    check_against_model(qnet, T, images, outs, [])
    for b in range(2):
        got = accepts[9 * (b + 1)] - accepts[9 * b]
        assert got == cycles_per_image(qnet, T, par, xq=images[b]) == core.image_cycles(images[b])
        assert got <= core.cycles_per_image == cycles_per_image(qnet, T, par)


def test_cycles_per_image_with_trace():
    cfg = SCConfig(length=4)
    qnet = random_qnet([5, 6, 2], cfg, seed=4)
    core = SCNetworkCore(qnet, 2, parallelism=(4, 2), trace=True)
    images = _images(0, 3, 5, zero_frac=0.2)
    outs, words, accepts = run_core(core, images, trace=True)
    check_against_model(qnet, 2, images, outs, words)
    for b in range(2):
        assert accepts[5 * (b + 1)] - accepts[5 * b] == cycles_per_image(qnet, 2, (4, 2), trace=True, xq=images[b])
    outs, words, accepts = run_core(core, images, trace=True, trace_en=0)
    assert words == []
    check_against_model(qnet, 2, images, outs, words)
    assert accepts[5] - accepts[0] == cycles_per_image(qnet, 2, (4, 2), xq=images[0])


def test_bad_arguments_raise():
    cfg = SCConfig(length=4)
    qnet = random_qnet([3, 2], cfg)
    with pytest.raises(TypeError, match="QuantizedNet"):
        SCNetworkCore("net", 3)
    with pytest.raises(ValueError, match="0"):
        SCNetworkCore(qnet, 0)
    with pytest.raises(ValueError, match="parallelism"):
        SCNetworkCore(qnet, 3, parallelism=(1, 2, 3))
    with pytest.raises(ValueError, match="-1"):
        cycles_per_image(qnet, 3, (-1, 2))
    with pytest.raises(ValueError, match="codes"):
        cycles_per_image(qnet, 3, (1, 2), xq=[1, 2])


def test_image_cycles_batch_matches_single():
    cfg = SCConfig(rng="sobol", length=4)
    qnet = random_qnet([6, 5, 3], cfg, seed=3)
    images = _images(2, 4, 6)
    batch = image_cycles(qnet, 4, (2, 3), images)
    assert batch.tolist() == [cycles_per_image(qnet, 4, (2, 3), xq=img) for img in images]
    act = active_inputs(qnet, 4, images)
    assert act[:, 0].tolist() == (images != 0).sum(axis=1).tolist()
    with pytest.raises(ValueError, match="batch"):
        cycles_per_image(qnet, 4, (2, 3), xq=images)


def test_parallelism_is_one_pair():
    qnet = random_qnet([3, 2], SCConfig(length=4))
    with pytest.raises(ValueError, match="one \\(lanes, tlanes\\) pair"):
        SCNetworkCore(qnet, 3, parallelism=[(2, 3), (1, 1)])


@pytest.mark.slow
def test_digits_sized_core_equals_model():
    """A 64-128-10 net (the digits shape) at T=2, 4 neurons x 2 timesteps per clock: every trace word and clock."""
    cfg = SCConfig(rng="sobol", seed=1, length=16)
    qnet = random_qnet([64, 128, 10], cfg, seed=5)
    images = _images(9, 1, 64, zero_frac=0.5)
    core = SCNetworkCore(qnet, 2, parallelism=(4, 2), trace=True)
    outs, words, accepts = run_core(core, np.concatenate([images, images]), trace_en=1)
    check_against_model(qnet, 2, np.concatenate([images, images]), outs, words)
    assert accepts[64] - accepts[0] == cycles_per_image(qnet, 2, (4, 2), trace=True, xq=images[0])


class _ReluSpike(wiring.Component):
    """A toy neuron model for the interface test: state = this step's current, spike = current > 0."""

    def __init__(self, spec):
        fmt = spec.config.membrane
        super().__init__(NeuronSignature(spec.n_layers, fmt, signed(fmt.width)))

    def elaborate(self, platform):
        m = Module()
        m.d.comb += [self.next_state.eq(self.current), self.spike.eq(self.current > 0)]
        return m


def test_another_neuron_model_plugs_in():
    """The neuron is a replaceable part: counts and currents stay the model's, states and spikes follow the plug-in."""
    cfg = SCConfig(rng="sobol", seed=4, length=8)
    qnet = random_qnet([7, 5], cfg, seed=6, bias=0.5)
    T = 4
    images = _images(1, 2, 7)
    core = SCNetworkCore(qnet, T, parallelism=(2, 3), trace=True, neuron=_ReluSpike)
    outs, words, _ = run_core(core, images)
    res = SCNetwork.from_quantized(qnet).run_codes(images, T, trace=True)
    assert len(words) == 2 * T * 5
    for b in range(2):
        spikes = np.zeros((T, 5), np.int64)
        for layer, t, j, count, current, state, spike in words[b * T * 5:(b + 1) * T * 5]:
            assert layer == 0
            assert (count, current) == (res.sc_counts[0][t, b, j], res.currents[0][t, b, j])
            assert (state, spike) == (current, int(current > 0))
            spikes[t, j] = spike
        assert outs[b][0] == spikes.sum(axis=0).tolist()
        assert outs[b][1] == int(np.argmax(spikes.sum(axis=0)))
    assert any(w[-1] for w in words) and not all(w[-1] for w in words)


def _spike_words(seed, n, n_in, T, rate=0.3):
    """Random spike words (bit t: the input's spike at timestep t), some inputs silent for the whole image."""
    g = np.random.default_rng(seed)
    raster = (g.random((T, n, n_in)) < rate).astype(np.int64)
    raster[:, g.random((n, n_in)) < 0.3] = 0
    return (raster << np.arange(T).reshape(T, 1, 1)).sum(axis=0)


@pytest.mark.parametrize("rng,sizes,par,T", [
    ("lfsr", [6, 8, 4], (3, 2), 6),     # a hidden layer (its spikes in region 0), three passes
    ("sobol", [9, 5, 3], (2, 4), 5),    # more inputs than hidden neurons: region 1 sized by the inputs
    ("lfsr", [7, 3], (1, 1), 4),        # no hidden layer: the spike memory holds only the input words
    ("sobol", [5, 7, 6, 3], (4, 5), 5),  # one pass
])
def test_spike_input_core_equals_model(rng, sizes, par, T):
    """A spike-input net (rate-encoded inputs): the core takes T-bit spike words and equals the model and the
    independent reference at every timestep, with exact clocks."""
    cfg = SCConfig(rng=rng, seed=5, length=8, lfsr_steps=3)
    qnet = random_qnet(sizes, cfg, seed=len(sizes), input_kind="spike")
    assert qnet.spike_input
    words = _spike_words(7, 3, sizes[0], T)
    words[1] = 0  # an image without a spike: every block still runs one null item
    core = SCNetworkCore(qnet, T, parallelism=par, trace=True)
    assert core.signature.input_bits == T
    outs, trace_words, accepts = run_core(core, words, trace_ready_every=1)
    res = check_against_model(qnet, T, words, outs, trace_words)
    assert res.sc_counts[0].any()  # the input spikes reached layer 0's counts
    assert not res.sc_counts[0][:, 1].any()  # the silent image counts nothing
    core_plain = SCNetworkCore(qnet, T, parallelism=par)
    _, _, acc = run_core(core_plain, words, trace=False)
    n = sizes[0]
    for b in range(2):
        assert acc[n * (b + 1)] - acc[n * b] == core_plain.image_cycles(words[b])


def test_spike_input_words_are_checked():
    cfg = SCConfig(length=8)
    qnet = random_qnet([4, 3], cfg, seed=1, input_kind="spike")
    with pytest.raises(ValueError, match="at most 62"):
        SCNetworkCore(qnet, 63)
    with pytest.raises(ValueError, match=r"2\*\*4 - 1"):
        SCNetwork(qnet).run_codes(np.array([[16, 0, 0, 0]]), 4)


@pytest.mark.parametrize("resets", [("subtract", "zero"), ("zero", "zero")])
@pytest.mark.parametrize("leak", ["lut", "multiplier"])
def test_both_leak_forms_equal_the_model(leak, resets):
    """The LIF lane's leak in LUTs (shift-adds of the layers' constants) or in a multiplier: the same integers,
    with per-layer leaks that differ (one of them no leak at all) and zero resets -- in a net of two reset kinds
    (the hand-split ``LIFStep``) and of one (the compiled LIF, the default)."""
    from functools import partial

    from sc_neurocore.export import QuantizedNet
    from sc_neurocore.hw.neuron_unit import default_neuron

    g = np.random.default_rng(3)
    ws = [g.normal(0.2, 1.0, (7, 6)), g.normal(0.2, 1.0, (3, 7))]
    qnet = QuantizedNet.from_float(ws, [g.normal(0, 0.3, 7), None], [0.83, 1.0], [0.6, 0.8], SCConfig(length=8),
                                   resets=list(resets))
    images = _images(1, 2, 6)
    core = SCNetworkCore(qnet, 5, parallelism=(3, 5), trace=True, neuron=partial(default_neuron, leak=leak))
    outs, words, _ = run_core(core, images)
    check_against_model(qnet, 5, images, outs, words)


@pytest.mark.parametrize("resets, kind", [(["subtract", "subtract"], "EquationNeuronStep"),
                                          (["zero", "zero"], "EquationNeuronStep"),
                                          (["subtract", "zero"], "LIFStep")])
def test_default_lif_neuron_is_the_compiled_one(resets, kind):
    """A LIF net of one reset kind runs the compiled LIF (``EquationNeuronStep.lif_for_spec``: no loss on either
    board, docs/neurons.md); a net that mixes reset kinds the hand-split ``LIFStep``."""
    from amaranth.hdl import Fragment
    from sc_neurocore.export import QuantizedNet
    from sc_neurocore.hw.neuron_unit import default_neuron
    from sc_neurocore.hw.plan import EngineSpec

    g = np.random.default_rng(4)
    qnet = QuantizedNet.from_float([g.normal(0, 1, (4, 3)), g.normal(0, 1, (2, 4))], [None, None], [0.9, 0.9],
                                   [1.0, 1.0], SCConfig(length=8), resets=resets)
    for leak in ("lut", "multiplier"):
        neuron = default_neuron(EngineSpec.of(qnet, 5, (2, 5)), leak=leak)
        Fragment.get(neuron, None)  # elaborated, as the core does (amaranth warns about an unused one)
        assert type(neuron).__name__ == kind
