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

from ..export import QuantizedNet
from ..sc.contract import NEURONS, NeuronModel, check_lif_constants, check_neuron_constants
from ..sc.network import MAX_SPIKE_T
from .checks import check_int
from .ports import bits
from .sc_dot import count_width

__all__ = ["EngineSpec", "LayerPlan", "layer_plans", "normalize_parallelism"]


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
    """Static facts of one layer for the engine (all derived from the ``QuantizedLayer``)."""

    n_in: int
    n_out: int
    groups: int  #: neuron groups of ``lanes`` neurons
    prob: bool  #: the layer's inputs are probability codes (else spikes of the layer before)
    wbase: int  #: first weight-memory row of the layer
    bbase: int  #: first bias-memory row of the layer


def layer_plans(qnet: QuantizedNet, lanes: int) -> tuple[LayerPlan, ...]:
    """One :class:`LayerPlan` per layer, for ``lanes`` neurons per group."""
    plans, wbase, bbase = [], 0, 0
    for layer in qnet.layers:
        groups = math.ceil(layer.n_out / lanes)
        plans.append(LayerPlan(layer.n_in, layer.n_out, groups, layer.input_kind == "prob", wbase, bbase))
        wbase += groups * layer.n_in
        bbase += groups
    return tuple(plans)


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
        kinds = [layer.neuron for layer in self.qnet.layers]
        if len(set(kinds)) != 1:
            raise ValueError(f"the engine runs one neuron model in every layer (a lane's state register holds its "
                             f"record), not {kinds}")

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
    def max_out(self) -> int:
        return max(pl.n_out for pl in self.plans)

    @property
    def spike_input(self) -> bool:
        """The first layer takes spike words (``QuantizedNet.spike_input``), stored in the spike memory at LOAD."""
        return self.qnet.spike_input

    @property
    def has_spike_memory(self) -> bool:
        """The engine has a spike memory (and its writeback): hidden layers, or a spike-input first layer."""
        return self.n_layers > 1 or self.spike_input

    @property
    def input_bits(self) -> int:
        """Width of an input word: ``prob_bits``, or ``T`` for a spike-input net (``hw.ports.input_bits``)."""
        return self.T if self.spike_input else self.config.prob_bits

    @property
    def max_hidden(self) -> int:
        """Rows of one spike-memory region: the widest hidden layer, and for a spike-input net the inputs
        (their spike words sit in region 1, which layer 0 reads); 1 if neither."""
        return max([pl.n_out for pl in self.plans[:-1]] + ([self.qnet.n_input] if self.spike_input else []),
                   default=1)

    @property
    def index_bits(self) -> int:
        """Bits of an input index."""
        return bits(self.max_in - 1)

    @property
    def count_bits(self) -> int:
        """Width of a signed SC count (the trace's ``count``)."""
        return count_width(self.max_in, self.config.length)

    @property
    def weight_rows(self) -> int:
        """Rows of each lane's weight memory (every layer's groups x inputs)."""
        last = self.plans[-1]
        return last.wbase + last.groups * last.n_in

    @property
    def bias_rows(self) -> int:
        last = self.plans[-1]
        return last.bbase + last.groups

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
