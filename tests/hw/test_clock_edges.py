"""The engine with one output class: the argmax scan takes no clock (``n_output - 1 = 0``), and the clock model
says so, image by image."""

from __future__ import annotations

from sc_neurocore.hw.network import SCNetworkCore, cycles_per_image
from sc_neurocore.sc.contract import SCConfig

from .helpers import check_against_model, run_core
from .reference import random_qnet
from .test_network import _images


def test_one_class_clocks_equal_the_model():
    qnet = random_qnet([5, 4, 1], SCConfig(length=8), seed=3)
    T, par = 3, (2, 2)
    images = _images(7, 4, 5)
    outs, _, accepts = run_core(SCNetworkCore(qnet, T, parallelism=par), images, trace=False)
    check_against_model(qnet, T, images, outs, [])
    n = qnet.n_input
    for b in range(len(images) - 1):
        assert accepts[n * (b + 1)] - accepts[n * b] == cycles_per_image(qnet, T, par, xq=images[b])
