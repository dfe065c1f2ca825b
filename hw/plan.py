"""The engine's build-time facts: one validated, frozen record shared by the core, its parts and the clock model.

:class:`EngineSpec` is what ``SCNetworkCore(qnet, T, parallelism=..., trace=...)`` is built from:
the net, the timesteps, the parallelism ``(lanes, tlanes)`` clamped to the net, and every number
derived from them (layer plans, memory depths, register widths).  It is validated when it is made,
before any gateware object exists, and every part of the engine (``hw/loader.py``,
``hw/count_pipeline.py``, ``hw/neuron_unit.py``, ...) reads its sizes from it, so no width is
computed twice.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..export import QuantizedNet
from ..sc.contract import NEURONS, NeuronModel, check_lif_constants, check_neuron_constants
from ..sc.geometry import ConvGeometry
from ..sc.network import MAX_SPIKE_T
from .checks import check_int
from .ports import bits
from .sc_dot import count_width

__all__ = ["EngineSpec", "GroupRow", "LayerPlan", "group_rows", "layer_plans", "normalize_parallelism"]


def normalize_parallelism(qnet: QuantizedNet, T: int, parallelism) -> tuple[int, int]:
    """``(lanes, tlanes)`` clamped to the net: neurons per clock (<= widest layer), timesteps per clock (<= T)."""
    if not isinstance(qnet, QuantizedNet):
        raise TypeError(f"qnet must be a QuantizedNet, not {qnet!r}")
    check_int("T", T, 1, 1 << 20)
    if not (isinstance(parallelism, Sequence) and len(parallelism) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in parallelism)):
        raise ValueError(f"parallelism must be one (lanes, tlanes) pair for the whole engine, not {parallelism!r}")
    lanes, tlanes = parallelism
    check_int("lanes", lanes, 1)
    check_int("tlanes", tlanes, 1)
    return min(lanes, max(layer.n_out for layer in qnet.layers)), min(tlanes, T)


@dataclass(frozen=True)
class LayerPlan:
    """Static facts of one layer for the engine (all derived from the ``QuantizedLayer``).

    A conv layer's neuron groups are (channel group ``cg``, output position): ``lanes`` output channels at one
    position, the positions walked window by window of its pooling (``hw.plan.group_rows``), channel groups
    outermost; its blocks walk the ``taps`` of the position's receptive field instead of an active list.
    """

    n_in: int
    n_out: int  #: values handed to the next layer (a conv layer's pooled spikes)
    groups: int  #: neuron groups of ``lanes`` neurons
    prob: bool  #: the layer's inputs are probability codes (else spikes of the layer before)
    wbase: int  #: first weight-memory row of the layer
    bbase: int  #: first bias-memory row of the layer
    conv: ConvGeometry | None = None
    channels: int = 0  #: a conv layer's output channels (its kernels)
    neurons: int = 0  #: neurons (states) of the layer: ``n_out`` for a dense layer
    n_rec: int = 0  #: a recurrent layer's own spike inputs (``n_out``; 0 for a feedforward layer)

    @property
    def recurrent(self) -> bool:
        """The layer reads its own spikes of the timestep before (``QuantizedLayer.recurrent_q``): its blocks run
        timestep by timestep over all its groups (``hw/count_pipeline.py``)."""
        return self.n_rec > 0

    @property
    def row_width(self) -> int:
        """Weight rows of one dense group: its inputs, then a recurrent layer's own spike inputs."""
        return self.n_in + self.n_rec

    @property
    def taps(self) -> int:
        """Items of a conv block: the kernel's ``C*k*k`` taps (0 for a dense layer, whose blocks walk a list)."""
        return 0 if self.conv is None else self.conv.taps


def layer_plans(qnet: QuantizedNet, lanes: int) -> tuple[LayerPlan, ...]:
    """One :class:`LayerPlan` per layer, for ``lanes`` neurons per group."""
    plans, wbase, bbase = [], 0, 0
    for layer in qnet.layers:
        g = layer.conv
        if g is None:
            groups = math.ceil(layer.n_out / lanes)
            n_rec = layer.n_out if layer.recurrent else 0
            plans.append(LayerPlan(layer.n_in, layer.n_out, groups, layer.input_kind == "prob", wbase, bbase,
                                   neurons=layer.n_out, n_rec=n_rec))
            wbase += groups * (layer.n_in + n_rec)
            bbase += groups
            continue
        out_c = int(layer.weight_q.shape[0])
        cgs = math.ceil(out_c / lanes)
        plans.append(LayerPlan(layer.n_in, layer.n_out, cgs * g.positions, layer.input_kind == "prob", wbase, bbase,
                               conv=g, channels=out_c, neurons=layer.n_neurons))
        wbase += cgs * g.taps
        bbase += cgs
    return tuple(plans)


@dataclass(frozen=True)
class GroupRow:
    """What the engine needs to know of one neuron group (a block's group), the same numbers the gateware's
    group table holds for a conv net (``hw/count_pipeline.py``).

    ``neuron0``/``stride``: the model's index (``SCTrace`` order) of lane 0's neuron and the step between lanes
    (1 dense; a conv layer's positions per channel); ``valid``: lanes that hold a neuron; ``brow``: the bias row
    (from the layer's ``bbase``); ``wrow``: the first weight row of the block; ``out0``/``out_stride``: where lane
    0's output goes in the next layer's input (dense: the neuron; conv: the pooled value) and the step between
    lanes; ``first``/``last``: the group opens/closes its pooling window (dense: both); ``yy0``/``xx0``: a conv
    position's top-left receptive-field row and column (may be negative with padding), ``idx0 = yy0 * W + xx0``.
    """

    neuron0: int
    stride: int
    valid: int
    brow: int
    wrow: int
    out0: int
    out_stride: int
    first: bool
    last: bool
    yy0: int = 0
    xx0: int = 0
    idx0: int = 0


def group_rows(plans: Sequence[LayerPlan], lanes: int, li: int) -> list[GroupRow]:
    """The :class:`GroupRow` of every group of layer ``li``, in the order the engine runs them."""
    pl = plans[li]
    if pl.conv is None:
        return [GroupRow(g * lanes, 1, min(lanes, pl.n_out - g * lanes), g, pl.wbase + g * pl.row_width, g * lanes,
                         1, True, True) for g in range(pl.groups)]
    geo, q = pl.conv, pl.conv.pool
    phw = geo.pooled_height * geo.pooled_width
    rows = []
    for cg in range(math.ceil(pl.channels / lanes)):
        for py in range(geo.pooled_height):
            for px in range(geo.pooled_width):
                for ey in range(q):
                    for ex in range(q):
                        y, x = py * q + ey, px * q + ex
                        yy0, xx0 = y - geo.padding, x - geo.padding
                        rows.append(GroupRow(cg * lanes * geo.positions + y * geo.out_width + x, geo.positions,
                                             min(lanes, pl.channels - cg * lanes), cg, pl.wbase + cg * geo.taps,
                                             cg * lanes * phw + py * geo.pooled_width + px, phw,
                                             ey == 0 and ex == 0, ey == q - 1 and ex == q - 1, yy0, xx0,
                                             yy0 * geo.width + xx0))
    return rows


@dataclass(frozen=True, eq=False)
class EngineSpec:
    """A net, its timesteps and the engine's parallelism, checked; the sizes every part reads.

    Build it with :meth:`of` (which clamps the parallelism to the net); the constructor checks the
    rest: ``polarity == "signed"``, layer input kinds, weight codes within ``prob_bits``, thresholds
    in ``[1, max_int]`` and leaks in the leak format (what the neuron unit's LIF step assumes), one neuron
    model for every layer (the neuron lanes' state registers hold its record) with its constants.
    """

    qnet: QuantizedNet
    T: int
    lanes: int
    tlanes: int
    trace: bool = False
    faults: object = None  #: a :class:`~sc_neurocore.hw.faults.FaultPlan` (a fault build), or None

    def __post_init__(self):
        if not isinstance(self.qnet, QuantizedNet):
            raise TypeError(f"qnet must be a QuantizedNet, not {self.qnet!r}")
        check_int("T", self.T, 1, 1 << 20)
        check_int("lanes", self.lanes, 1)
        check_int("tlanes", self.tlanes, 1, self.T)
        if not isinstance(self.trace, bool):
            raise TypeError(f"trace must be a bool, not {self.trace!r}")
        cfg = self.qnet.config
        if cfg.polarity != "signed":
            raise ValueError(f"the gateware builds polarity 'signed' only, not {cfg.polarity!r}")
        for idx, layer in enumerate(self.qnet.layers):
            if layer.input_kind not in ("prob", "spike"):
                raise ValueError(f"layer {idx}: input_kind must be 'prob' or 'spike', not {layer.input_kind!r}")
            if layer.weight_q.size and int(abs(layer.weight_q).max()) > cfg.prob_max:
                raise ValueError(f"layer {idx}: weight codes exceed {cfg.prob_bits} bits")
            if not 1 <= layer.threshold_q <= cfg.membrane.max_int:
                raise ValueError(f"layer {idx}: threshold_q must be in [1, {cfg.membrane.max_int}], "
                                 f"not {layer.threshold_q}")
            check_lif_constants(layer.beta_q, layer.threshold_q, layer.reset, layer.reset_q, fmt=cfg.membrane,
                                beta_bits=cfg.beta_format.frac_bits, where=f"layer {idx}: ")
            check_neuron_constants(layer.neuron, layer.neuron_params, beta_bits=cfg.beta_format.frac_bits,
                                   fmt=cfg.membrane, where=f"layer {idx}: ")
        if self.qnet.spike_input and self.T > MAX_SPIKE_T:
            raise ValueError(f"a spike-input net's input word holds T bits: T must be at most {MAX_SPIKE_T}, "
                             f"not {self.T}")
        if self.faults is not None:
            from .faults import FaultPlan

            if not isinstance(self.faults, FaultPlan):
                raise TypeError(f"faults must be a hw.faults.FaultPlan or None, not {self.faults!r}")
            self.faults.check(self.qnet, self.T)
            if any(layer.neuron != "lif" for layer in self.qnet.layers):
                raise ValueError("a fault build injects membrane upsets into LIF neurons only")
        for idx, layer in enumerate(self.qnet.layers):
            g = layer.conv
            if g is None:
                continue
            if idx == len(self.qnet.layers) - 1:
                raise ValueError(f"layer {idx}: the engine's output layer must be dense, not a conv layer")
            if g.out_height % g.pool or g.out_width % g.pool:
                raise ValueError(f"layer {idx}: the engine pools whole windows: the {g.out_height}x{g.out_width} conv "
                                 f"output is not a multiple of pool {g.pool} (the SC model runs it)")
            if self.faults is not None:
                raise ValueError("a fault build of a conv net is not supported")
        self._check_recurrent()
        kinds = [layer.neuron for layer in self.qnet.layers]
        if len(set(kinds)) != 1:
            raise ValueError(f"the engine runs one neuron model in every layer (a lane's state register holds its "
                             f"record), not {kinds}")

    def _check_recurrent(self) -> None:
        """What the engine's recurrent mode (``hw/count_pipeline.py``) takes: hidden dense LIF layers, one timestep
        per block, no fault build, no conv layer in the net."""
        which = [i for i, layer in enumerate(self.qnet.layers) if layer.recurrent]
        if not which:
            return
        li = which[0]
        if which[-1] == len(self.qnet.layers) - 1:
            raise ValueError(f"layer {which[-1]}: the engine's output layer cannot be recurrent (the engine keeps only "
                             "hidden layers' spikes); make the output layer feedforward")
        if self.tlanes != 1:
            raise ValueError(f"layer {li} is recurrent: its timestep t reads its own spikes of t - 1, so the engine "
                             f"counts one timestep per block: parallelism ({self.lanes}, 1), not "
                             f"({self.lanes}, {self.tlanes})")
        if self.faults is not None:
            raise ValueError("a fault build of a net with recurrent layers is not supported")
        if self.qnet.has_conv:
            raise ValueError(f"layer {li} is recurrent: the engine runs recurrent layers in dense nets only")
        if any(self.qnet.layers[i].neuron != "lif" for i in which):
            raise ValueError(f"layer {li} is recurrent: the engine runs recurrent layers of LIF neurons only "
                             f"(RecurrentLIFCell), not {self.qnet.layers[li].neuron!r}")

    @classmethod
    def of(cls, qnet: QuantizedNet, T: int, parallelism=(1, 1), trace: bool = False, faults=None) -> EngineSpec:
        """The spec of ``SCNetworkCore(qnet, T, parallelism=parallelism, trace=trace, faults=faults)``."""
        lanes, tlanes = normalize_parallelism(qnet, T, parallelism)
        return cls(qnet, T, lanes, tlanes, trace, faults)

    @property
    def config(self):
        return self.qnet.config

    @property
    def neuron_model(self) -> NeuronModel:
        """The neuron model of every layer (:data:`~sc_neurocore.sc.contract.NEURONS`)."""
        return NEURONS[self.qnet.layers[0].neuron]

    @property
    def parallelism(self) -> tuple[int, int]:
        return self.lanes, self.tlanes

    @cached_property
    def plans(self) -> tuple[LayerPlan, ...]:
        return layer_plans(self.qnet, self.lanes)

    @property
    def n_layers(self) -> int:
        return len(self.plans)

    @property
    def passes(self) -> int:
        """Passes over a layer's weights per neuron group: ``ceil(T / tlanes)``."""
        return math.ceil(self.T / self.tlanes)

    @property
    def max_in(self) -> int:
        """Longest active-input list (the widest layer input)."""
        return max(pl.n_in for pl in self.plans)

    @property
    def max_items(self) -> int:
        """Most inputs one block counts: a layer's inputs and a recurrent layer's own spikes."""
        return max(pl.row_width for pl in self.plans)

    @property
    def has_recurrent(self) -> bool:
        """Some layer is recurrent (:attr:`LayerPlan.recurrent`)."""
        return any(pl.recurrent for pl in self.plans)

    @property
    def state_groups(self) -> int:
        """Groups whose neuron states the neuron unit keeps in its state memory between a recurrent layer's
        timesteps (the most groups of a recurrent layer; 0 when every recurrent layer is one group, or none)."""
        return max([pl.groups for pl in self.plans if pl.recurrent and pl.groups > 1], default=0)

    @property
    def max_out(self) -> int:
        return max(pl.n_out for pl in self.plans)

    @property
    def spike_input(self) -> bool:
        """The first layer takes spike words (``QuantizedNet.spike_input``), stored in the spike memory at LOAD."""
        return self.qnet.spike_input

    @property
    def has_conv(self) -> bool:
        """Some layer is a conv layer (the pipeline walks receptive fields, the groups come from a table)."""
        return any(pl.conv is not None for pl in self.plans)

    @property
    def loads_spike_memory(self) -> bool:
        """The loader writes the image into the spike memory's region 1: spike words, or a first conv layer's
        codes (which it reads by position)."""
        return self.spike_input or self.plans[0].conv is not None

    @property
    def has_spike_memory(self) -> bool:
        """The engine has a spike memory (and its writeback): hidden layers, or an image the loader stores."""
        return self.n_layers > 1 or self.loads_spike_memory

    @property
    def spike_word_bits(self) -> int:
        """Width of a spike-memory row: ``passes * tlanes`` spike bits (and a first conv layer's code)."""
        w = self.passes * self.tlanes
        if self.plans[0].conv is not None and not self.spike_input and self.config.prob_bits > w:
            return self.tlanes * math.ceil(self.config.prob_bits / self.tlanes)  # whole time-lane slices
        return w

    @property
    def input_bits(self) -> int:
        """Width of an input word: ``prob_bits``, or ``T`` for a spike-input net (``hw.ports.input_bits``)."""
        return self.T if self.spike_input else self.config.prob_bits

    @property
    def max_hidden(self) -> int:
        """Rows of one spike-memory region: the widest hidden layer, and for a spike-input net the inputs
        (their spike words sit in region 1, which layer 0 reads); 1 if neither."""
        return max([pl.n_out for pl in self.plans[:-1]] + ([self.qnet.n_input] if self.loads_spike_memory else []),
                   default=1)

    @property
    def index_bits(self) -> int:
        """Bits of an input index."""
        return bits(self.max_in - 1)

    @property
    def count_bits(self) -> int:
        """Width of a signed SC count (the trace's ``count``)."""
        return count_width(self.max_items, self.config.length)

    @property
    def weight_rows(self) -> int:
        """Rows of each lane's weight memory (every layer's groups x inputs; a conv layer's channel groups x
        taps).  The output layer is dense."""
        last = self.plans[-1]
        return last.wbase + last.groups * last.row_width

    @property
    def bias_rows(self) -> int:
        last = self.plans[-1]
        return last.bbase + last.groups

    @property
    def max_neurons(self) -> int:
        """Neurons of the largest layer (a conv layer's output positions x channels)."""
        return max(pl.neurons for pl in self.plans)

    @cached_property
    def quiet(self) -> tuple[bool, ...]:
        """Per layer: a hidden conv layer whose neurons, with a count of 0 at every timestep (a receptive field with
        no listed input), never spike in ``T`` timesteps from rest (``sc.fixed.scale_count`` and ``neuron_step``
        with the channel's bias).  Without tracing the neuron unit hands such a *silent* block's spikes (none) on
        without stepping it (``hw/neuron_unit.py``)."""
        from ..sc.fixed import neuron_step, scale_count

        cfg, out = self.config, []
        for li, layer in enumerate(self.qnet.layers):
            if layer.conv is None or li == self.n_layers - 1:
                out.append(False)
                continue
            current = scale_count(np.zeros(len(layer.bias_q), dtype=np.int64), layer.scale_mult, layer.scale_shift,
                                  np.asarray(layer.bias_q, dtype=np.int64), cfg.membrane)
            states = {name: np.zeros(len(layer.bias_q), dtype=np.int64) for name in NEURONS[layer.neuron].states}
            fired = False
            for _ in range(self.T):
                states, spike = neuron_step(layer.neuron, states, current, int(layer.beta_q), int(layer.threshold_q),
                                            layer.neuron_params, cfg.membrane, cfg.beta_format.frac_bits,
                                            reset=layer.reset, reset_q=layer.reset_q)
                fired |= bool(np.any(spike))
            out.append(not fired)
        return tuple(out)

    @cached_property
    def groups(self) -> tuple[tuple[GroupRow, ...], ...]:
        """Per layer, its :class:`GroupRow` list (:func:`group_rows`)."""
        return tuple(tuple(group_rows(self.plans, self.lanes, li)) for li in range(self.n_layers))

    # shapes of the registers that name a layer, a neuron group, a pass
    @property
    def layer_shape(self) -> range:
        return range(max(self.n_layers, 2))

    @property
    def group_shape(self) -> range:
        return range(max(pl.groups for pl in self.plans) + 1)

    @property
    def pass_shape(self) -> range:
        return range(max(self.passes, 2))
