"""The whole SC spiking net in gateware: a time-batched, event-driven inference engine.

Model: :meth:`sc_neurocore.sc.network.SCNetwork.run_codes` ``(xq, T, trace=True)``: every
timestep's per-layer ``sc_counts``, ``currents``, ``membranes``, ``spikes``, the output
``counts`` and ``prediction`` are the same integers (``tests/hw/test_network.py``).

Why it is built this way
------------------------
The contract's sources restart at every image and every lane of a role shares its layer's
source (``docs/sc-arithmetic.md`` sections 4-6), so the ``L`` random numbers of timestep ``t``
of layer ``l`` are the same for every image: they are **constants** of the build, taken from
:func:`~sc_neurocore.sc.sources.source_values`.  A product stream bit ``[r_in < x] & [r_w < |w|]``
is then a comparison of the weight (or input code) against a constant, which synthesis reduces
to a few LUTs, and a layer's count ``C[j, t]`` depends only on its inputs, not on the membrane.
The engine therefore reads each weight once per *pass* and counts it for ``tlanes`` timesteps
at once (one *time lane* per timestep, each wired to its own constants), and runs the LIF
recurrence over the finished counts afterwards.

Schedule of one image
---------------------
``LOAD`` takes the ``n_input`` codes (one per clock) and lists the non-zero ones.  Then each
layer ``l`` in turn: for each neuron group ``g`` (``lanes`` neurons) and pass ``p``
(timesteps ``p*tlanes .. p*tlanes+tlanes-1``), a *block* streams the layer's **active inputs**
(non-zero codes; for a spike layer, the neurons of layer ``l-1`` that spiked at least once in
this image) through a 6-stage pipeline, one input per clock, ``lanes x tlanes`` signed counts
per clock.  Zero inputs add nothing to any count, so they take no clocks.  A finished block's
counts go to the neuron unit, which scales them to currents and steps the ``lanes`` neurons
through the pass's timesteps while the next block counts; a writeback unit stores the spikes
for the next layer and lists the neurons that spiked.  After the last layer an argmax scan
offers the class counts and the prediction.  :func:`~sc_neurocore.hw.timing.cycles_per_image`
gives the clocks of an image exactly (the tests hold the core to it).

Parts (each its own component and module, joined here with ``wiring.connect``)::

    i ─▶ InputLoader ─load─▶ ActiveLists ◀─spikes─ SpikeWriteback ◀─hand─┐
                               │ read                  │ read            │
                               ▼                       │                 │
                         CountPipeline ◀───────────────┘                 │
                               │ block (output register)                 │
                               ▼                                         │
                          NeuronUnit (neuron_0 .. neuron_{lanes-1}) ─────┘
                           │ steps   └─ trace ─▶ trace
                           ▼
                         Argmax ─▶ o
    Sequencer ─control─▶ every part (load an image, run the layers one by one, hand over the result)
"""

from __future__ import annotations

from amaranth.hdl import Module
from amaranth.lib import wiring

from ..export import QuantizedNet
from .active_list import ActiveLists
from .argmax import Argmax
from .checks import Validated
from .count_pipeline import CountPipeline
from .loader import InputLoader
from .neuron_unit import NeuronUnit, default_neuron
from .plan import EngineSpec, normalize_parallelism
from .ports import NetworkSignature, output_layout, trace_layout
from .sequencer import Sequencer
from .timing import active_inputs, cycles_per_image, image_cycles
from .writeback import SpikeWriteback

__all__ = [
    "SCNetworkCore",
    # the clock model and the word layouts, also importable from here (hw.timing, hw.ports)
    "active_inputs",
    "cycles_per_image",
    "image_cycles",
    "normalize_parallelism",
    "output_layout",
    "trace_layout",
]


class SCNetworkCore(Validated, wiring.Component):
    """A QuantizedNet as a streaming inference core (see the module docstring).

    Model: ``SCNetwork.from_quantized(qnet).run_codes(xq, T, trace=True)`` (``xq``: codes, or spike words).

    Parameters
    ----------
    qnet : QuantizedNet
        Any number of layers; ``config.polarity`` must be ``"signed"``.
    T : int
        Timesteps per image.
    parallelism : (lanes, tlanes)
        ``lanes`` neurons x ``tlanes`` timesteps counted per clock (``lanes * tlanes`` signed
        input/weight counts).  Every time lane holds the comparisons of its own timesteps: with
        ``tlanes = T`` (or a multiple of a Sobol source's window period) each lane is wired to one
        set of constants, the cheapest form; fewer lanes mean ``ceil(T / tlanes)`` passes over
        the weights.
    trace : bool
        Build the trace stream.
    faults : FaultPlan or None
        A fault build (:mod:`~sc_neurocore.hw.faults`): the count changes and membrane upsets of a NumPy run
        under faults, injected image by image, so that the core equals ``run_codes(..., faults=model)``.
    neuron : callable or None
        Factory of the neuron model of each lane (``hw/neuron.py``); ``None``:
        :func:`~sc_neurocore.hw.neuron_unit.default_neuron` (the compiled LIF, the model's
        ``sc.fixed.lif_step``, for a LIF net; the compiled Synaptic neuron of ``sc.fixed.synaptic_step``
        for a Synaptic one).  Another model makes the core equal another NumPy model.

    Attributes
    ----------
    signature : NetworkSignature
        ``i``, ``o`` (and ``trace_en``, ``trace``), with their word layouts and decoders.
    i : In(stream.Signature(unsigned(input_bits)))
        Input codes of one image, ``n_input`` transfers in input order; for a spike-input net
        (``qnet.spike_input``) spike words of ``T`` bits instead (bit ``t``: the input's spike at timestep
        ``t``; ``sc.network.spike_words``), stored in the spike memory and read by layer 0 as a hidden layer
        reads the spikes of the layer before.
    o : Out(stream.Signature(output_layout(n_output, T)))
        One transfer per image: ``counts[c]`` output spikes of class ``c`` over T, and
        ``prediction`` (argmax, lowest index on ties).
    trace_en : In(1)   (``trace`` only)
        Stream the records of the image(s) run while high.
    trace : Out(stream.Signature(trace_layout(qnet, T)))   (``trace`` only)
        One word ``(layer, t, neuron, count, current, membrane, spike)`` (and the neuron's other states:
        ``i_syn`` for Synaptic neurons) per neuron and timestep,
        produced as the neuron unit steps (layer by layer; inside a layer by neuron group, then
        time); the core waits for ``ready``.

    Throughput: :func:`~sc_neurocore.hw.timing.cycles_per_image` clocks per image (depends on the
    image: zero inputs and silent neurons cost nothing); :attr:`cycles_per_image` is the worst case.
    """

    @staticmethod
    def validate(qnet: QuantizedNet, T: int, *, parallelism=(1, 1), trace: bool = False, neuron=None,
                 faults=None) -> None:
        EngineSpec.of(qnet, T, parallelism, trace, faults)
        if neuron is not None and not callable(neuron):
            raise TypeError(f"neuron must be None or a factory neuron(spec) -> component, not {neuron!r}")

    def __init__(self, qnet: QuantizedNet, T: int, *, parallelism=(1, 1), trace: bool = False, neuron=None,
                 faults=None):
        self.spec = EngineSpec.of(qnet, T, parallelism, trace, faults)
        self.neuron = default_neuron if neuron is None else neuron
        super().__init__(NetworkSignature.for_net(qnet, T, trace=trace))

    qnet = property(lambda self: self.spec.qnet)
    T = property(lambda self: self.spec.T)
    parallelism = property(lambda self: self.spec.parallelism, doc="``(lanes, tlanes)`` clamped to the net.")
    trace_enabled = property(lambda self: self.spec.trace)

    @property
    def cycles_per_image(self) -> int:
        """Worst-case :func:`~sc_neurocore.hw.timing.cycles_per_image` (every input active, trace off)."""
        return cycles_per_image(self.qnet, self.T, self.parallelism)

    def image_cycles(self, xq, *, trace: bool = False) -> int:
        """Exact clocks of the image with codes ``xq`` (``cycles_per_image`` with ``xq``)."""
        return cycles_per_image(self.qnet, self.T, self.parallelism, trace=trace, xq=xq)

    def elaborate(self, platform):
        m = Module()
        spec = self.spec
        m.submodules.sequencer = seq = Sequencer(spec)
        m.submodules.loader = loader = InputLoader(spec)
        m.submodules.lists = lists = ActiveLists(spec)
        m.submodules.pipeline = pipeline = CountPipeline(spec)
        m.submodules.unit = unit = NeuronUnit(spec, self.neuron)
        m.submodules.argmax = argmax = Argmax(spec)

        wiring.connect(m, wiring.flipped(self.i), loader.i)
        wiring.connect(m, loader.append, lists.load)
        wiring.connect(m, lists.read, pipeline.lists)
        wiring.connect(m, pipeline.o, unit.i)
        wiring.connect(m, unit.steps, argmax.steps)
        wiring.connect(m, argmax.o, wiring.flipped(self.o))
        if spec.has_spike_memory:
            m.submodules.writeback = writeback = SpikeWriteback(spec)
            wiring.connect(m, writeback.read, pipeline.spikes)
        if spec.loads_spike_memory:
            wiring.connect(m, loader.spikes, writeback.load)
        if spec.has_recurrent:
            wiring.connect(m, writeback.own, pipeline.own)
        if spec.n_layers > 1:
            wiring.connect(m, unit.hand, writeback.hand)
            wiring.connect(m, writeback.append, lists.spikes)
            wiring.connect(m, seq.writeback, writeback.control)
        if spec.trace:
            wiring.connect(m, unit.trace, wiring.flipped(self.trace))
            m.d.comb += unit.trace_en.eq(self.trace_en)

        wiring.connect(m, seq.loader, loader.control)
        wiring.connect(m, seq.lists, lists.control)
        wiring.connect(m, seq.pipeline, pipeline.control)
        wiring.connect(m, seq.unit, unit.control)
        wiring.connect(m, seq.output, argmax.control)
        return m
