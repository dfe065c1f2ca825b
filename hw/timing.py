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
from .plan import EngineSpec, LayerPlan, group_rows, layer_plans, normalize_parallelism

__all__ = ["CONV_FILL", "PIPE", "PREP", "active_inputs", "cycles_per_image", "image_clocks", "image_cycles",
           "listed_inputs", "recurrent_spikes", "silent_positions", "slice_items"]

#: Clocks from an item entering the count pipeline's issue stage to its count being accumulated
#: (S0, S1, S2, S2b, S2c, S3).
PIPE = 5
#: Clocks the neuron unit spends on a block before its first timestep (bias read, prefetch).
PREP = 2


#: Clocks from a conv layer's start to its first item in the issue stage, beyond a dense layer's (the walk
#: fetches the first slice, then the issue stage takes it).
CONV_FILL = 2


def image_clocks(plans: tuple[LayerPlan, ...], T: int, lanes: int, tlanes: int, n_input: int, active,
                 *, trace: bool = False, items=None, silent=None, quiet=(), own=None) -> int:
    """Clocks of one image on the engine, given each layer's number of active inputs ``active[l]``.

    Blocks issue back to back one item per clock (``max(1, active)`` items); a block's counts
    reach the output register ``PIPE`` clocks after its last item issued, or when the neuron unit
    frees the register (the pipeline stalls until then); the neuron unit takes a full register,
    spends ``PREP`` clocks, then 1 clock per timestep (with tracing: one per neuron record), then
    hands the spikes to the writeback unit (hidden layers: one clock per neuron of the group, and
    the neuron unit waits for it to be free).  A layer starts 2 clocks after the previous one is done.
    A recurrent layer's blocks (``tlanes`` 1) run every group at one timestep before the next, issue the layer's
    neurons that spiked at the timestep before after the listed inputs (``own[l][t]``: the layer's spikes at ``t``,
    :func:`recurrent_spikes`; ``None``: every neuron), and the first block of a timestep ``t > 0`` issues only when
    the unit and the writeback are idle (the spikes of ``t - 1`` are written and listed).
    A conv layer's blocks walk the receptive field a kernel row at a time (a *slice*: ``(c, dy)`` for every channel
    ``c``), one item per listed input under the slice, one null item for a slice with none: ``items[l][pos]`` per
    output position (:func:`slice_items`; ``None``: every input listed); its first item issues
    :data:`CONV_FILL` clocks later than a dense layer's; its groups' valid lanes are their channels
    (:func:`~sc_neurocore.hw.plan.group_rows`).  A conv layer's writeback takes one clock per lane only for the
    group that closes a pooling window (the others OR their lanes in the clock they are handed over).  Without
    tracing, a block of a layer in ``quiet`` (``EngineSpec.quiet``) whose position is in ``silent[l]`` (no listed
    input under its receptive field: :func:`silent_positions`) is taken and handed over without steps.
    """
    passes = math.ceil(T / tlanes)
    n_layers = len(plans)
    now = n_input + 1  # LOAD (one code per clock), START
    for li, pl in enumerate(plans):
        now += 1  # LAYER_START
        rows = group_rows(plans, lanes, li)
        valids = [row.valid for row in rows]
        issue = now  # cycle the next item enters S0
        skip = [False] * pl.groups
        if pl.conv is None:
            block_items = [max(1, active[li])] * pl.groups
        else:
            geo = pl.conv
            per_pos = items[li] if items is not None else slice_items(np.ones((1, pl.n_in), dtype=bool), geo)[0]
            pos = [(r.yy0 + geo.padding) * geo.out_width + r.xx0 + geo.padding for r in rows]
            block_items = [int(per_pos[i]) for i in pos]
            if not trace and li < len(quiet) and quiet[li] and silent is not None:
                skip = [bool(silent[li][i]) for i in pos]
            issue += CONV_FILL
        unit_free = now  # first cycle the neuron unit is idle
        bank_free = now  # first cycle the output register may be written
        wb_free = now  # first cycle the writeback unit is idle
        # a feedforward layer: each group's passes in turn; a recurrent one: every group at one timestep, and the
        # first block of a timestep issues once the last one's spikes are written (the unit and writeback idle)
        order = ([(g, p) for p in range(passes) for g in range(pl.groups)] if pl.recurrent else
                 [(g, p) for g in range(pl.groups) for p in range(passes)])
        for g, p in order:
            valid, items_g, wb_clocks = valids[g], block_items[g], (valids[g] if rows[g].last else 0)
            nt = min(tlanes, T - p * tlanes)
            if pl.recurrent:  # the listed inputs and the layer's spikes of t - 1
                spiked = 0 if p == 0 else pl.n_out if own is None or own[li] is None else int(own[li][p - 1])
                items_g = max(1, active[li] + spiked)
                if g == 0 and p > 0:
                    issue = max(issue, unit_free, wb_free)
            write = max(issue + items_g - 1 + PIPE, bank_free)  # cycle the block's last item is in S3
            issue = write - PIPE + 1
            take = max(write + 1, unit_free)  # the idle neuron unit sees the full register
            if skip[g]:  # a silent block of a quiet layer: freed at once, handed over with no steps
                bank_free = take + 1
                hand = max(take + 1, wb_free)
                wb_free = hand + 1 + wb_clocks
                unit_free = hand + 1
                continue
            step_clocks = valid if trace else 1
            last_commit = take + PREP + nt * step_clocks  # the last of nt steps commits here
            bank_free = last_commit + 1  # released by the last commit, free from the next cycle
            if li < n_layers - 1:
                hand = max(last_commit + 1, wb_free)  # the hand-off waits for the writeback unit
                wb_free = hand + 1 + wb_clocks
                unit_free = hand + 1
            else:
                unit_free = last_commit + 1
        now = max(unit_free, wb_free, issue + PIPE)  # layer done: everything idle
        now += 1  # the cycle that sees it done
    n_out = plans[-1].n_out
    return now + max(0, n_out - 1) + 1  # argmax scan, OUT


def _model_spikes(qnet: QuantizedNet, T: int, xq) -> tuple[np.ndarray, list]:
    """``(codes (B, n_input), per layer spikes (T, B, n_l))`` of ``SCNetwork.run_codes``."""
    from ..sc.network import SCNetwork

    codes = np.asarray(xq, dtype=np.int64)
    codes = codes.reshape(1, -1) if codes.ndim == 1 else codes
    if codes.ndim != 2 or codes.shape[1] != qnet.n_input:
        raise ValueError(f"xq must hold {qnet.n_input} codes per image, not shape {np.shape(xq)}")
    return codes, SCNetwork.from_quantized(qnet).run_codes(codes, T, trace=True).spikes


def recurrent_spikes(qnet: QuantizedNet, T: int, xq) -> dict[int, np.ndarray]:
    """``{layer: (B, T)}``: each recurrent layer's spikes per timestep (what its blocks of the next timestep issue
    as own spike inputs; from ``SCNetwork.run_codes``)."""
    _, spikes = _model_spikes(qnet, T, xq)
    return {li: np.asarray(spikes[li]).sum(axis=2).T for li, layer in enumerate(qnet.layers) if layer.recurrent}


def listed_inputs(qnet: QuantizedNet, T: int, xq) -> list[np.ndarray]:
    """Per layer, ``(B, n_in)`` bool: the inputs in the layer's active list (its bit set): non-zero codes (or
    spike words), then the previous layer's neurons that spiked at least once in the image, a conv layer's
    OR-pooled (from ``SCNetwork.run_codes``)."""
    return _listed(qnet, *_model_spikes(qnet, T, xq))


def _listed(qnet: QuantizedNet, codes, spikes) -> list[np.ndarray]:
    from ..sc.conv import or_pool

    listed = [codes != 0]
    if len(qnet.layers) > 1:
        for li, layer in enumerate(qnet.layers[:-1]):
            fired = np.asarray(spikes[li]).any(axis=0)
            if layer.conv is not None:  # the pooled values that spiked: what the next layer's list holds
                fired = or_pool(fired, int(layer.weight_q.shape[0]), layer.conv)
            listed.append(fired)
    return listed


def active_inputs(qnet: QuantizedNet, T: int, xq) -> np.ndarray:
    """``(B, n_layers)`` active inputs per image and layer: non-zero codes, then neurons of the
    previous layer that spiked at least once in the image (from ``SCNetwork.run_codes``)."""
    return np.stack([a.sum(axis=1) for a in listed_inputs(qnet, T, xq)], axis=1).astype(np.int64)


def slice_items(listed, geom) -> np.ndarray:
    """``(B, positions)``: a conv layer's items per output position from its listed inputs ``(B, n_in)``: per
    kernel row ``dy``, the listed inputs of the receptive field's row over every channel, or 1 if none
    (``sum_dy max(1, a_dy)``)."""
    from ..sc.conv import patches

    a = np.asarray(listed)
    pt = patches(a.astype(np.int64), geom).reshape(a.shape[0], geom.positions, geom.in_channels, geom.kernel,
                                                   geom.kernel)
    return np.maximum(1, pt.sum(axis=(2, 4))).sum(axis=2)


def silent_positions(listed, geom) -> np.ndarray:
    """``(B, positions)`` bool: a conv layer's output positions with no listed input under their receptive field."""
    from ..sc.conv import patches

    a = np.asarray(listed)
    return patches(a.astype(np.int64), geom).reshape(a.shape[0], geom.positions, geom.taps).sum(axis=2) == 0


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
    if xq is None:
        return image_clocks(plans, T, lanes, tlanes, qnet.n_input, [pl.n_in for pl in plans], trace=trace)
    return int(image_cycles(qnet, T, parallelism, np.asarray(xq).reshape(1, -1), trace=trace)[0])


def image_cycles(qnet: QuantizedNet, T: int, parallelism, xq, *, trace: bool = False) -> np.ndarray:
    """Exact clocks of each image of the batch ``xq`` ``(B, n_input)`` (one model run for the batch)."""
    lanes, tlanes = normalize_parallelism(qnet, T, parallelism)
    plans = layer_plans(qnet, lanes)
    codes, spikes = _model_spikes(qnet, T, xq)
    listed = _listed(qnet, codes, spikes)
    own = [np.asarray(spikes[li]).sum(axis=2).T if layer.recurrent else None for li, layer in enumerate(qnet.layers)]
    act = np.stack([a.sum(axis=1) for a in listed], axis=1)
    convs = [li for li, pl in enumerate(plans) if pl.conv is not None]
    items = {li: slice_items(listed[li], plans[li].conv) for li in convs}
    silent = {li: silent_positions(listed[li], plans[li].conv) for li in convs}
    quiet = EngineSpec.of(qnet, T, parallelism, trace=trace).quiet if convs else ()
    return np.array([image_clocks(plans, T, lanes, tlanes, qnet.n_input, row.tolist(), trace=trace,
                                  items={li: v[b] for li, v in items.items()},
                                  silent={li: v[b] for li, v in silent.items()}, quiet=quiet,
                                  own=[None if o is None else o[b] for o in own])
                     for b, row in enumerate(act)], dtype=np.int64)
