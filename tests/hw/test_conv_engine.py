"""Conv layers on the engine: every traced integer equals the SC model's, the clock model is exact, and what the
engine does not build is refused by name."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sc_neurocore.export import QuantizedNet
from sc_neurocore.hw.network import SCNetworkCore, cycles_per_image
from sc_neurocore.hw.plan import EngineSpec, group_rows
from sc_neurocore.sc.contract import ROLE_INPUT, ROLE_WEIGHT, SCConfig
from sc_neurocore.sc.geometry import ConvGeometry
from sc_neurocore.sc.network import spike_words
from sc_neurocore.sc.sources import source_values
from sc_neurocore.sim.nets import random_conv_qnet

from .helpers import check_against_model, run_core


def conv_net(seed, in_shape=(1, 6, 6), channels=(3,), k=3, pad=1, pool=2, n_out=4, config=None, input_kind="prob",
             dense=()):
    """Conv blocks, optional dense hidden layers, a dense readout; thresholds low enough that every layer fires."""
    return random_conv_qnet(seed, config or SCConfig(length=8), in_shape=in_shape, channels=channels, k=k, pad=pad,
                            pool=pool, n_out=n_out, dense=dense, beta=0.8, theta=0.4, input_kind=input_kind)


def _images(seed, n, n_in, zero_frac=0.3):
    rng = np.random.default_rng(seed)
    img = rng.integers(1, 256, (n, n_in))
    img[rng.random((n, n_in)) < zero_frac] = 0
    return img


def _check(qnet, T, par, images, *, clocks=True, fire=True):
    core = SCNetworkCore(qnet, T, parallelism=par, trace=True)
    outs, words, _ = run_core(core, images, trace=True)
    res = check_against_model(qnet, T, images, outs, words)
    if fire:
        assert all(s.any() for s in res.spikes), "every layer should fire for the test to reach it"
    if clocks:  # without the trace: the clock model, image by image
        outs, _, accepts = run_core(SCNetworkCore(qnet, T, parallelism=par), images, trace=False)
        check_against_model(qnet, T, images, outs, [])
        n = qnet.n_input
        for b in range(len(images) - 1):
            assert accepts[n * (b + 1)] - accepts[n * b] == cycles_per_image(qnet, T, par, xq=images[b])


@pytest.mark.parametrize("kw, par, T", [
    (dict(), (2, 2), 4),  # channel groups of 2 over 3 channels, 2 passes, padding
    (dict(pad=0, in_shape=(2, 5, 5), k=2, channels=(4,)), (4, 3), 3),  # 2 input channels, 4x4 -> pool 2
    (dict(pool=1, channels=(2,), dense=(5,)), (3, 1), 3),  # no pooling, a dense hidden layer after the conv
    (dict(in_shape=(1, 8, 8), channels=(2, 3), k=3, pad=1, pool=2), (2, 4), 4),  # two conv blocks
    (dict(channels=(3,), n_out=3), (1, 2), 2),  # one lane: bias rows 0, 1, 2 (the group facts' brow reaches 2)
    # a kernel as large as the input: one position at row 0, whose walk reaches row 4 (the walker's row register
    # holds 4 past the largest first row, 0)
    (dict(in_shape=(1, 5, 5), k=5, pad=0, pool=1, channels=(2,)), (2, 1), 3),
])
def test_conv_core_equals_model(kw, par, T):
    qnet = conv_net(1, **kw)
    _check(qnet, T, par, _images(2, 3, qnet.n_input))


def test_a_kernel_wider_than_its_one_row_input():
    """A 1x1x2 input under a 3x3 kernel with padding 1: every layer reads at most 2 inputs (max_in 2), the walker
    steps a row by the width 2 from the padding row above to the input's one row, and a slice's tap at dx 2 has the
    offset 2 -- both as large as max_in."""
    qnet = conv_net(13, in_shape=(1, 1, 2), channels=(1,), k=3, pad=1, pool=1, n_out=2)
    assert EngineSpec.of(qnet, 4, (1, 1)).max_in == 2
    _check(qnet, 4, (1, 1), _images(2, 3, qnet.n_input, zero_frac=0.0))


def test_a_conv_layer_of_one_slice():
    """A 3x1x1 input, a 1x1 kernel, two channels on two lanes, one pass: the conv layer is one block of one slice,
    which the walker has fetched, and stopped walking, before the issue stage takes it -- the pipeline must still
    report itself busy in that clock, or the sequencer ends the layer before its one block is counted."""
    qnet = conv_net(5, in_shape=(3, 1, 1), channels=(2,), k=1, pad=0, pool=1, n_out=2)
    spec = EngineSpec.of(qnet, 2, (2, 2))
    assert spec.plans[0].groups == 1 and spec.passes == 1
    _check(qnet, 2, (2, 2), _images(2, 3, qnet.n_input, zero_frac=0.0))


def test_a_conv_layer_over_two_input_rows():
    """A 1x2x3 input (two rows: the row select is one bit of the walker's row), a 2x2 kernel, padding 1; the two rows
    list different inputs (a slice's taps are the listed inputs of its row)."""
    qnet = conv_net(3, in_shape=(1, 2, 3), channels=(2,), k=2, pad=1, pool=1, n_out=2)
    images = np.array([[200, 150, 100, 0, 0, 180], [0, 90, 0, 120, 220, 60], [0, 0, 0, 255, 0, 255],
                       [40, 0, 0, 0, 0, 0]])
    _check(qnet, 3, (2, 3), images)


@pytest.mark.parametrize("k, pad, pool", [((3, 1), (1, 0), (2, 1)), ((1, 3), (0, 1), (1, 2))])
def test_conv_layers_of_different_kernels(k, pad, pool):
    """Two conv blocks of different kernels, the larger first and then last: a slice holds ``kmax`` taps a channel,
    so the smaller kernel's slices carry ``kmax - k`` taps past its kernel that must stay clear (a set one would
    count an input twice)."""
    qnet = conv_net(3, in_shape=(1, 6, 6), channels=(3, 2), k=k, pad=pad, pool=pool)
    assert [layer.conv.kernel for layer in qnet.layers if layer.is_conv] == list(k)
    _check(qnet, 3, (2, 2), _images(4, 3, qnet.n_input))


def test_a_null_item_counts_no_input_where_a_random_number_is_0():
    """Sobol seed 101 puts a 0 in the first layer's input numbers (timestep 0, cycle 3) beside a weight number of 4
    (so that nearly every weight's bit is 1 in that cycle). A null item (the one item of a slice with no listed
    input) counts no input bits: its code is 0, and [r < 0] holds for no r -- a code of 1 would count a bit where
    r = 0."""
    config = SCConfig(length=8, seed=101)
    x, w = (source_values(config, 0, role, 3 * 8) for role in (ROLE_INPUT, ROLE_WEIGHT))
    assert x[3] == 0 and w[3] < 8
    qnet = conv_net(9, config=config)
    _check(qnet, 3, (2, 2), _images(5, 3, qnet.n_input, zero_frac=0.6))


def test_groups_handed_over_faster_than_a_window_is_written():
    """6 lanes, one timestep, a 1x1 kernel: without tracing the neuron unit hands over a group every 5 clocks, the
    writeback spends 6 on a window's last group, so the next window's first group waits for it (the clock model
    says how long), while the groups inside a window are taken in the clock they are handed over: the results and
    the clocks both show a writer that drops lanes or keeps the writeback busy for a group inside a window."""
    qnet = conv_net(5, in_shape=(1, 4, 4), channels=(6,), k=1, pad=0, pool=2)
    _check(qnet, 1, (6, 1), _images(3, 3, qnet.n_input))


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**16), k=st.integers(1, 3), pad=st.integers(0, 1), c_in=st.integers(1, 2),
       oc=st.integers(1, 3), lanes=st.integers(1, 4), tlanes=st.integers(1, 3), rng_kind=st.sampled_from(["lfsr", "sobol"]))
def test_random_conv_nets_equal_the_model(seed, k, pad, c_in, oc, lanes, tlanes, rng_kind):
    size = 4 + k - 1 - 2 * pad  # a 4x4 conv output, pooled to 2x2
    qnet = conv_net(seed, in_shape=(c_in, size, size), channels=(oc,), k=k, pad=pad, pool=2,
                    config=SCConfig(length=6, rng=rng_kind, seed=seed % 97))
    _check(qnet, 3, (lanes, tlanes), _images(seed, 2, qnet.n_input), clocks=False, fire=False)


def test_spike_input_conv_net_equals_model():
    qnet = conv_net(3, in_shape=(1, 6, 6), channels=(2,), input_kind="spike")
    T = 4
    raster = (np.random.default_rng(0).random((T, 3, qnet.n_input)) < 0.4).astype(np.int64)
    _check(qnet, T, (2, 2), spike_words(raster))


def test_group_rows_walk_windows_channel_groups_outermost():
    """Hand-worked: 3 channels on 2 lanes, a 4x4 output pooled 2: channel group 0's 16 positions window by window,
    then group 1's (one valid lane)."""
    qnet = conv_net(0, in_shape=(1, 4, 4), channels=(3,), k=3, pad=1, pool=2)
    spec = EngineSpec.of(qnet, 2, (2, 1))
    rows = group_rows(spec.plans, 2, 0)
    assert len(rows) == 32
    assert [(r.neuron0, r.first, r.last) for r in rows[:5]] == [(0, True, False), (1, False, False),
                                                               (4, False, False), (5, False, True),
                                                               (2, True, False)]
    assert (rows[16].neuron0, rows[16].valid, rows[16].brow, rows[16].out0) == (2 * 16, 1, 1, 2 * 4)
    assert (rows[0].valid, rows[0].stride, rows[0].out_stride, rows[4].out0) == (2, 16, 4, 1)
    assert (rows[0].yy0, rows[0].xx0, rows[0].idx0) == (-1, -1, -5)


def test_what_the_engine_does_not_build_is_refused():
    rng = np.random.default_rng(0)
    odd = QuantizedNet.from_float([rng.normal(size=(2, 9)), rng.normal(size=(3, 8))], [None, None], [0.9, 0.9],
                                  [1.0, 1.0], convs=[ConvGeometry(1, 7, 7, 3, 0, 2), None])
    with pytest.raises(ValueError, match="layer 0: the engine pools whole windows: the 5x5 conv output"):
        SCNetworkCore(odd, 2)
    last = QuantizedNet.from_float([rng.normal(size=(2, 9))], [None], [0.9], [1.0],
                                   convs=[ConvGeometry(1, 4, 4, 3, 0, 2)])
    with pytest.raises(ValueError, match="layer 0: the engine's output layer must be dense"):
        SCNetworkCore(last, 2)


def test_slice_items_and_silent_positions_by_hand():
    """2 channels of 3x3, kernel 2: each output position costs, per kernel row, its listed inputs over both channels,
    or 1 for a row with none."""
    from sc_neurocore.hw.timing import silent_positions, slice_items

    geom = ConvGeometry(2, 3, 3, 2, 0, 1)
    listed = np.array([[1, 0, 0, 0, 0, 0, 0, 0, 1,    # channel 0
                        0, 1, 0, 0, 0, 0, 0, 0, 0]])  # channel 1
    assert slice_items(listed, geom).tolist() == [[3, 2, 2, 2]]
    assert silent_positions(listed, geom).tolist() == [[False, False, True, False]]


def _quiet_net(seed, bias=-0.05):
    """1x8x8 -> 3c3 (padding 1) -> pool 2 -> 4: conv biases ``bias`` (<= 0: the layer is quiet)."""
    rng = np.random.default_rng(seed)
    g = ConvGeometry(1, 8, 8, 3, 1, 2)
    weights = [rng.normal(size=(3, 9)), rng.normal(size=(4, 3 * 16))]
    biases = [np.full(3, bias), rng.normal(size=4) * 0.2]
    return QuantizedNet.from_float(weights, biases, [0.8, 0.8], [0.4, 0.4], SCConfig(length=8), convs=[g, None])


def _corner_images(seed, n):
    """Images whose non-zero pixels sit in the top-left 3x3 corner: most positions see no listed input."""
    rng = np.random.default_rng(seed)
    img = np.zeros((n, 8, 8), dtype=np.int64)
    img[:, :3, :3] = rng.integers(1, 256, (n, 3, 3))
    return img.reshape(n, 64)


def test_silent_blocks_of_a_quiet_layer_skip_their_steps():
    """Without tracing, a quiet layer's silent positions are handed on without steps: the results equal the model's,
    the clocks equal the clock model's, and that model is cheaper than stepping them (the skip is exercised)."""
    from sc_neurocore.hw.timing import image_clocks, listed_inputs, silent_positions, slice_items

    qnet, T, par = _quiet_net(4), 4, (2, 2)
    spec = EngineSpec.of(qnet, T, par)
    assert spec.quiet == (True, False)
    images = np.concatenate([np.zeros((1, 64), dtype=np.int64), _corner_images(5, 3)])  # the last one's clocks
    listed = listed_inputs(qnet, T, images)                                                # are not measured
    silent = silent_positions(listed[0], qnet.layers[0].conv)
    assert silent[0].all() and silent[1:].sum(axis=1).min() >= 30
    _check(qnet, T, par, images, fire=False)
    items = slice_items(listed[0], qnet.layers[0].conv)
    for b in range(len(images)):
        act = [int(a[b].sum()) for a in listed]
        kw = dict(items={0: items[b]}, silent={0: silent[b]})
        skipped = image_clocks(spec.plans, T, spec.lanes, spec.tlanes, 64, act, quiet=spec.quiet, **kw)
        stepped = image_clocks(spec.plans, T, spec.lanes, spec.tlanes, 64, act, quiet=(), **kw)
        assert skipped == cycles_per_image(qnet, T, par, xq=images[b])
        assert stepped - skipped >= 30 * T  # at least 30 silent positions, T steps each


def test_a_silent_block_frees_the_count_register_the_clock_after_it_is_taken():
    """1x4x4 -> 4c3 (padding 1, no pooling) -> 4, a quiet conv layer (bias -0.05), one timestep, 3 lanes, sparse
    images (85 % zero pixels, seed 103): a silent block frees the count register in the clock after the neuron unit
    takes it, and the blocks right behind it wait for that. The engine's clocks equal the clock model's image by
    image; the first image is one where a release one or two clocks earlier would change the count (found by
    search over seeds 0-199 of this construction)."""
    rng = np.random.default_rng(3)
    g = ConvGeometry(1, 4, 4, 3, 1, 1)
    qnet = QuantizedNet.from_float([rng.normal(size=(4, 9)), rng.normal(size=(4, 64))],
                                   [np.full(4, -0.05), rng.normal(size=4) * 0.2], [0.8, 0.8], [0.4, 0.4],
                                   SCConfig(length=8), convs=[g, None])
    assert EngineSpec.of(qnet, 1, (3, 1)).quiet == (True, False)
    rng = np.random.default_rng(103)
    images = rng.integers(1, 256, (3, 16))
    images[rng.random(images.shape) < 0.85] = 0
    _check(qnet, 1, (3, 1), images, fire=False)


def test_a_layer_that_fires_on_its_bias_alone_is_not_quiet():
    # bias 0.6 > theta 0.4: the neurons fire with no input, so a silent position is not silent
    assert EngineSpec.of(_quiet_net(4, bias=0.6), 4, (2, 2)).quiet == (False, False)
    qnet = _quiet_net(4, bias=0.6)
    _check(qnet, 4, (2, 2), np.concatenate([_corner_images(6, 2), np.zeros((1, 64), dtype=np.int64)]), fire=False)
