"""The engine with a hidden layer of one neuron: the spike memory has 2 rows (one per region), a 1-bit address."""

from __future__ import annotations

from sc_neurocore.hw.network import SCNetworkCore
from sc_neurocore.hw.plan import EngineSpec
from sc_neurocore.hw.writeback import spike_read_signature
from sc_neurocore.sc.contract import SCConfig

from .helpers import check_against_model, run_core
from .reference import random_qnet
from .test_network import _images


def test_a_hidden_layer_of_one_neuron():
    cfg = SCConfig(length=8)
    qnet = random_qnet([5, 1, 3], cfg, seed=6, bias=1.0, threshold=0.2)
    spec = EngineSpec.of(qnet, 3, (2, 2))
    assert spec.max_hidden == 1
    assert spike_read_signature(spec).addr_width == 1  # rows 0 and 1
    images = _images(6, 3, 5)
    outs, words, _ = run_core(SCNetworkCore(qnet, 3, parallelism=(2, 2), trace=True), images)
    res = check_against_model(qnet, 3, images, outs, words)
    assert res.spikes[0].any()  # the hidden neuron fires, so its row is written and read
