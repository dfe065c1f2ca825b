"""The clock model at its edges, image by image against the core: one output class (the argmax scan takes
``n_output - 1 = 0`` clocks) and a writeback slower than a short pass of the neuron unit (the unit waits for it)."""

from __future__ import annotations

from sc_neurocore.hw.network import SCNetworkCore, cycles_per_image
from sc_neurocore.sc.contract import SCConfig

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
