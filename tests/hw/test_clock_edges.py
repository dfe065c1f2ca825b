"""The clock model at its edges, image by image against the core: one output class (the argmax scan takes
``n_output - 1 = 0`` clocks), and a writeback slower than the neuron unit (a short pass, silent blocks of a
quiet conv layer): the unit waits for it."""

from __future__ import annotations

import numpy as np
import pytest
from sc_neurocore.export import QuantizedNet
from sc_neurocore.hw.network import SCNetworkCore, cycles_per_image
from sc_neurocore.hw.plan import EngineSpec
from sc_neurocore.sc.contract import SCConfig
from sc_neurocore.sc.geometry import ConvGeometry

from .helpers import check_against_model, run_core
from .reference import random_qnet
from .test_network import _images


def _clocks(qnet, T, par, images):
    outs, _, accepts = run_core(SCNetworkCore(qnet, T, parallelism=par), images, trace=False)
    check_against_model(qnet, T, images, outs, [])
    n = qnet.n_input
    for b in range(len(images) - 1):
        assert accepts[n * (b + 1)] - accepts[n * b] == cycles_per_image(qnet, T, par, xq=images[b])


def test_one_class_clocks_equal_the_model():
    _clocks(random_qnet([5, 4, 1], SCConfig(length=8), seed=3), 3, (2, 2), _images(7, 4, 5))


def test_a_writeback_slower_than_a_short_pass():
    """6 lanes, passes of 5 and 1 timesteps: after a group's short last pass (PREP + 1 clocks of steps) the neuron
    unit waits for the writeback of its 6 lanes before the hand-off, and takes the next group's first pass (PREP + 5
    clocks, longer than that writeback) a clock after it: the next hand-off follows the neuron unit, not the
    writeback."""
    _clocks(random_qnet([6, 12, 3], SCConfig(length=8), seed=5), 6, (6, 5), _images(8, 4, 6))


def _quiet_1x1_net(seed):
    """1x8x8 -> 6 kernels of 1x1 (no padding) -> pool 2 -> 4, conv biases -0.05 (the layer is quiet)."""
    rng = np.random.default_rng(seed)
    g = ConvGeometry(1, 8, 8, 1, 0, 2)
    weights = [rng.normal(size=(6, 1)), rng.normal(size=(4, 6 * 16))]
    return QuantizedNet.from_float(weights, [np.full(6, -0.05), rng.normal(size=4) * 0.2], [0.8, 0.8], [0.4, 0.4],
                                   SCConfig(length=8), convs=[g, None])


@pytest.mark.parametrize("net, T, par", [("3x3", 4, (3, 4)), ("1x1", 4, (6, 4))])
def test_silent_blocks_behind_a_pooled_writeback(net, T, par):
    """A quiet conv layer's silent blocks (one null item per kernel row) behind a pooling window's writeback of all
    lanes: the neuron unit, which hands silent blocks over without steps, waits for the writeback."""
    from .test_conv_engine import _corner_images, _quiet_net

    qnet = _quiet_net(4) if net == "3x3" else _quiet_1x1_net(4)
    assert EngineSpec.of(qnet, T, par).quiet[0]
    images = np.concatenate([_corner_images(5, 2), np.zeros((2, 64), dtype=np.int64)])
    _clocks(qnet, T, par, images)


def test_one_image_as_a_1d_array_is_a_batch_of_one():
    """listed_inputs of one image's codes (1-D): layer 0 lists the non-zero codes (by hand), the hidden layer the
    same neurons as for the batch of that one image."""
    from sc_neurocore.hw.timing import active_inputs, listed_inputs

    qnet = random_qnet([5, 4, 3], SCConfig(length=8), seed=3)
    x = np.array([0, 17, 0, 200, 9])
    one = listed_inputs(qnet, 3, x)
    assert [a.shape for a in one] == [(1, 5), (1, 4)]
    assert one[0].tolist() == [[False, True, False, True, True]]
    assert one[1].tolist() == listed_inputs(qnet, 3, x[None])[1].tolist()
    assert active_inputs(qnet, 3, x).tolist() == [[3, int(one[1].sum())]]
