"""EngineSpec's sizes against hand counts: what each part of the engine is built with (issue 18: the sizes no
engine test reaches by its results alone -- a default, a memory the net does not need, the memories' depths)."""

from __future__ import annotations

import numpy as np
import pytest
from sc_neurocore.export import QuantizedNet
from sc_neurocore.hw.plan import EngineSpec
from sc_neurocore.sc.contract import SCConfig


def _net(sizes, recurrent=()):
    """A dense net of ``sizes``; the layers in ``recurrent`` recurrent (seed 0)."""
    g = np.random.default_rng(0)
    ws = [g.normal(0.0, 1.0, (b, a)) for a, b in zip(sizes[:-1], sizes[1:])]
    rec = [g.normal(0.0, 1.0, (b, b)) if i in recurrent else None for i, b in enumerate(sizes[1:])]
    return QuantizedNet.from_float(ws, [None] * len(ws), [0.9] * len(ws), [1.0] * len(ws), SCConfig(length=8),
                                   recurrent=rec)


def test_a_spec_built_without_trace_does_not_trace():
    """Tracing costs clocks and ports: a spec built without saying so has none (the constructor and ``of``)."""
    qnet = _net([4, 3, 2])
    assert EngineSpec(qnet, 4, 2, 1).trace is False
    assert EngineSpec.of(qnet, 4, (2, 1)).trace is False


@pytest.mark.parametrize("sizes,recurrent,lanes,want", [
    ([4, 6, 2], (0,), 2, 3),  # a recurrent layer of three groups: their states wait in the state memory
    ([4, 6, 2], (0,), 3, 2),  # two groups
    ([4, 6, 2], (0,), 6, 0),  # one group: the unit keeps its states in its registers, no state memory
    ([4, 8, 5, 2], (1,), 2, 3),  # a feedforward layer of four groups before it counts for nothing
    ([4, 6, 8, 2], (0,), 2, 3),  # nor one of four groups after it
    ([4, 6, 2], (), 2, 0),  # no recurrent layer: no state memory
])
def test_state_groups_are_the_groups_of_the_largest_multi_group_recurrent_layer(sizes, recurrent, lanes, want):
    assert EngineSpec.of(_net(sizes, recurrent), 4, (lanes, 1)).state_groups == want


def test_a_one_layer_net_has_no_spike_memory():
    """Probability codes in, one layer: nothing is written back or read by position, so no spike memory."""
    assert EngineSpec.of(_net([5, 3]), 4, (2, 1)).has_spike_memory is False
    assert EngineSpec.of(_net([5, 4, 3]), 4, (2, 1)).has_spike_memory is True


@pytest.mark.parametrize("sizes,recurrent,lanes,rows", [
    ([5, 4, 3], (), 2, 2 * 5 + 2 * 4),  # two groups of 5 inputs, then two groups of 4
    ([5, 4, 3], (), 4, 1 * 5 + 1 * 4),
    ([5, 4, 6, 3], (1,), 2, 2 * 5 + 3 * (4 + 6) + 2 * 6),  # the recurrent layer's rows hold its own 6 spike inputs
])
def test_weight_and_bias_rows_by_hand(sizes, recurrent, lanes, rows):
    """Each lane's weight memory holds, per layer, its groups times its row width (inputs, and a recurrent
    layer's own spikes); the bias memory one row per group."""
    spec = EngineSpec.of(_net(sizes, recurrent), 4, (lanes, 1))
    assert spec.weight_rows == rows
    assert spec.bias_rows == sum(-(-n // lanes) for n in sizes[1:])


def test_layer_plans_and_group_rows_of_a_dense_net_by_hand():
    """A dense net's plans and group rows, every field written out: lane 0's neuron and the step between lanes (1),
    the valid lanes, the bias and first weight rows, where the outputs go, a window of one group, and no receptive
    field (the conv fields stay 0)."""
    from sc_neurocore.hw.plan import GroupRow, LayerPlan, group_rows

    spec = EngineSpec.of(_net([5, 4, 6, 3], recurrent=(1,)), 4, (3, 1))
    assert spec.plans == (
        LayerPlan(5, 4, 2, True, 0, 0, conv=None, channels=0, neurons=4, n_rec=0),
        LayerPlan(4, 6, 2, False, 2 * 5, 2, conv=None, channels=0, neurons=6, n_rec=6),
        LayerPlan(6, 3, 1, False, 2 * 5 + 2 * (4 + 6), 4, conv=None, channels=0, neurons=3, n_rec=0),
    )
    assert [pl.taps for pl in spec.plans] == [0, 0, 0]
    assert group_rows(spec.plans, 3, 1) == [
        GroupRow(0, 1, 3, 0, 10, 0, 1, True, True, yy0=0, xx0=0, idx0=0),
        GroupRow(3, 1, 3, 1, 10 + 10, 3, 1, True, True, yy0=0, xx0=0, idx0=0),
    ]
    assert group_rows(spec.plans, 3, 0)[1] == GroupRow(3, 1, 1, 1, 5, 3, 1, True, True, 0, 0, 0)  # 4 = 3 + 1 lanes
