"""The engine's clock model: exact clocks of each image on ``SCNetworkCore``.

:func:`image_clocks` is an event model of the engine's parts (``docs/gateware.md``, "Schedule of
one image"); ``tests/hw/test_network.py`` holds the core to it clock for clock, with and without
tracing.  The latencies it uses are those the parts document:

* the input loader takes one code per clock (``n_input`` clocks), then one clock to start;
* the count pipeline (``hw/count_pipeline.py``) issues one active input per clock and a block's
  last item reaches its output register :data:`PIPE` clocks after it issued;
* the neuron unit (``hw/neuron_unit.py``) takes 2 clocks to read the biases and prefetch, then one
  clock per timestep (one per neuron record while tracing);
* the spike writeback (``hw/writeback.py``) takes one clock per neuron of a group;
* the output unit (``hw/argmax.py``) scans the classes in ``n_output - 1`` clocks.
"""

from __future__ import annotations

import math

import numpy as np

from ..export import QuantizedNet
from .plan import LayerPlan, group_rows, layer_plans, normalize_parallelism

__all__ = ["PIPE", "PREP", "active_inputs", "cycles_per_image", "image_clocks", "image_cycles"]

#: Clocks from an item entering the count pipeline's issue stage to its count being accumulated
#: (S0, S1, S2, S2b, S2c, S3).
PIPE = 5
#: Clocks the neuron unit spends on a block before its first timestep (bias read, prefetch).
PREP = 2


def image_clocks(plans: tuple[LayerPlan, ...], T: int, lanes: int, tlanes: int, n_input: int, active,
                 *, trace: bool = False) -> int:
    """Clocks of one image on the engine, given each layer's number of active inputs ``active[l]``.

    Blocks issue back to back one item per clock (``max(1, active)`` items); a block's counts
    reach the output register ``PIPE`` clocks after its last item issued, or when the neuron unit
    frees the register (the pipeline stalls until then); the neuron unit takes a full register,
    spends ``PREP`` clocks, then 1 clock per timestep (with tracing: one per neuron record), then
    hands the spikes to the writeback unit (hidden layers: one clock per neuron of the group, and
    the neuron unit waits for it to be free).  A layer starts 2 clocks after the previous one is done.
    A conv layer's blocks walk the receptive field: ``taps`` items each, whatever ``active[l]`` says; its groups'
    valid lanes are their channels (:func:`~sc_neurocore.hw.plan.group_rows`).
    """
    passes = math.ceil(T / tlanes)
    n_layers = len(plans)
    now = n_input + 1  # LOAD (one code per clock), START
    for li, pl in enumerate(plans):
        now += 1  # LAYER_START
        items = pl.taps if pl.conv is not None else max(1, active[li])
        valids = [row.valid for row in group_rows(plans, lanes, li)]
        issue = now  # cycle the next item enters S0
        unit_free = now  # first cycle the neuron unit is idle
        bank_free = now  # first cycle the output register may be written
        wb_free = now  # first cycle the writeback unit is idle
        for g in range(pl.groups):
            valid = valids[g]
            for p in range(passes):
                nt = min(tlanes, T - p * tlanes)
                write = max(issue + items - 1 + PIPE, bank_free)  # cycle the block's last item is in S3
                issue = write - PIPE + 1
                take = max(write + 1, unit_free)  # the idle neuron unit sees the full register
                step_clocks = valid if trace else 1
                last_commit = take + PREP + nt * step_clocks  # the last of nt steps commits here
                bank_free = last_commit + 1  # released by the last commit, free from the next cycle
                if li < n_layers - 1:
                    hand = max(last_commit + 1, wb_free)  # the hand-off waits for the writeback unit
                    wb_free = hand + 1 + valid
                    unit_free = hand + 1
                else:
                    unit_free = last_commit + 1
        now = max(unit_free, wb_free, issue + PIPE)  # layer done: everything idle
        now += 1  # the cycle that sees it done
    n_out = plans[-1].n_out
    return now + max(0, n_out - 1) + 1  # argmax scan, OUT


def active_inputs(qnet: QuantizedNet, T: int, xq) -> np.ndarray:
    """``(B, n_layers)`` active inputs per image and layer: non-zero codes, then neurons of the
    previous layer that spiked at least once in the image (from ``SCNetwork.run_codes``)."""
    from ..sc.conv import or_pool
    from ..sc.network import SCNetwork

    codes = np.asarray(xq, dtype=np.int64)
    codes = codes.reshape(1, -1) if codes.ndim == 1 else codes
    if codes.ndim != 2 or codes.shape[1] != qnet.n_input:
        raise ValueError(f"xq must hold {qnet.n_input} codes per image, not shape {np.shape(xq)}")
    cols = [(codes != 0).sum(axis=1)]
    if len(qnet.layers) > 1:
        spikes = SCNetwork.from_quantized(qnet).run_codes(codes, T, trace=True).spikes
        for li, layer in enumerate(qnet.layers[:-1]):
            fired = np.asarray(spikes[li]).any(axis=0)
            if layer.conv is not None:  # the pooled values that spiked: what the next layer's list holds
                fired = or_pool(fired, int(layer.weight_q.shape[0]), layer.conv)
            cols.append(fired.sum(axis=1))
    return np.stack(cols, axis=1).astype(np.int64)


def cycles_per_image(qnet: QuantizedNet, T: int, parallelism=(1, 1), *, trace: bool = False, xq=None) -> int:
    """Clocks per image with the input always valid and the outputs always ready (images back to back).

    With ``xq`` (the image's ``n_input`` codes) the exact count for that image (its hidden spikes
    come from ``SCNetwork.run_codes``, the model the core equals); without, the worst case: every
    input non-zero and every hidden neuron spiking.  ``trace=True``: the trace stream on and
    always ready.
    """
    lanes, tlanes = normalize_parallelism(qnet, T, parallelism)
    plans = layer_plans(qnet, lanes)
    if xq is not None and np.ndim(xq) != 1:
        raise ValueError(f"xq must be one image's {qnet.n_input} codes; use image_cycles for a batch")
    active = [pl.n_in for pl in plans] if xq is None else active_inputs(qnet, T, xq)[0].tolist()
    return image_clocks(plans, T, lanes, tlanes, qnet.n_input, active, trace=trace)


def image_cycles(qnet: QuantizedNet, T: int, parallelism, xq, *, trace: bool = False) -> np.ndarray:
    """Exact clocks of each image of the batch ``xq`` ``(B, n_input)`` (one model run for the batch)."""
    lanes, tlanes = normalize_parallelism(qnet, T, parallelism)
    plans = layer_plans(qnet, lanes)
    act = active_inputs(qnet, T, xq)
    return np.array([image_clocks(plans, T, lanes, tlanes, qnet.n_input, row.tolist(), trace=trace) for row in act],
                    dtype=np.int64)
