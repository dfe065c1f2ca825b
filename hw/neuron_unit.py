"""The engine's neuron unit: a finished block's counts -> currents -> neuron steps over the pass's timesteps.

Model, per layer ``l``, neuron ``j`` and timestep ``t`` (``SCNetwork.run_codes(trace=True)``):
``current = sc.fixed.scale_count(C[j, t], scale_mult, scale_shift, bias_q[j], fmt)`` (``SCTrace.currents``),
then the neuron model's step (``SCTrace.membranes``, ``SCTrace.spikes`` and ``SCTrace.states``, the other
states of a neuron that carries more than its membrane): ``sc.fixed.neuron_step`` (LIF: ``lif_step``).

The unit takes the count pipeline's output register (``hw/count_pipeline.py``) when it is full,
reads the group's biases (one word per group, ``lanes`` Q8.8 values), prefetches two timesteps
(the head time lane's current and count into ``next``, ``next`` into the step registers), then
steps the ``lanes`` neurons one timestep per clock: each neuron lane is a replaceable neuron
model (``hw/neuron.py``; by default :func:`default_neuron`: the compiled LIF for a LIF net (``LIFStep`` when
its layers mix reset kinds), the compiled :class:`~sc_neurocore.hw.equation.LookaheadNeuronStep` for a Synaptic
or an Alpha one, the compiled :class:`~sc_neurocore.hw.equation.EquationNeuronStep` for the others) that turns
this timestep's current and the lane's state (one register per lane, as wide as the model's state
record: 16 bits for LIF and ExpIF, 32 for Synaptic, ALIF, the second-order LIF and AdEx, 48 for Alpha) into the
next state and a spike.  With tracing on it
emits one record per neuron and timestep and waits for each to be taken.  After the pass's last
timestep it frees the register and, for a hidden layer, hands the pass's spikes to the writeback.

Latency per block: ``hw.timing.PREP`` clocks, then one per timestep (``valid lanes`` per timestep
while tracing), then one to hand over (hidden layers, when the writeback is free).  A silent block of a quiet
conv layer (``EngineSpec.quiet``: no listed input under the receptive field, and the layer's neurons do not
spike on their bias alone) is handed on without steps when not tracing: its spikes are none, as the model's.
"""

from __future__ import annotations

from types import SimpleNamespace

from amaranth.hdl import Array, Cat, Const, Module, Mux, Signal, Value, signed, unsigned
from amaranth.lib import data, memory, stream, wiring
from amaranth.lib.wiring import In, Out

from .argmax import step_layout
from .count_pipeline import block_signature
from .equation import EquationNeuronStep, LookaheadNeuronStep
from .faults import image_counter
from .lif import LIFStep
from .neuron import NeuronSignature, membrane_of, state_shape
from .plan import EngineSpec
from .ports import bits, trace_layout
from .sc_dot import saturate
from .writeback import hand_layout

__all__ = ["NeuronUnit", "bias_image", "unit_control", "default_neuron"]


def default_neuron(spec: EngineSpec, *, leak: str = "lut") -> wiring.Component:
    """The neuron model of one lane for ``spec``'s net: for a LIF net the compiled LIF
    (:meth:`EquationNeuronStep.lif_for_spec`, equal to the hand-split :class:`LIFStep` at every input; on the
    reference digits net 62.79 against 59.71 MHz on the ULX3S, 32.21 against 31.76 MHz on the iCEBreaker,
    docs/neurons.md), or :meth:`LIFStep.for_spec` when its layers mix reset kinds (the compiled LIF has one reset
    statement per net); for a Synaptic or an Alpha one :meth:`LookaheadNeuronStep.for_spec` (compiled from its
    equations, the synaptic current -- or both of Alpha's currents, their difference registered as the membrane's
    current -- a timestep ahead of the membrane's loop; ``EquationNeuronStep.for_spec``, the one-program form, has
    the same integers and a longer loop); for the others (ALIF, second-order LIF, ExpIF, AdEx)
    :meth:`EquationNeuronStep.for_spec`, the one-program compiled step (ALIF's threshold reads its adaptation: no
    input filter to run ahead; the second-order LIF's inertial term reads the membrane; ExpIF's exp table reads the
    membrane, one table compiled in for the net; its products with a layer's parameter -- ``beta v``, ``beta E``,
    AdEx's ``a v`` -- are shifts and adds of each layer's constant, ``leak="lut"``, on every board: with
    multipliers the ExpIF digits net needed 9 of the iCEBreaker's 8 DSPs).  ``leak``: how a LIF lane multiplies by the
    leak (:data:`~sc_neurocore.hw.lif.LEAKS`; the boards choose, ``BoardSpec.leak``)."""
    if spec.neuron_model.name == "lif":
        if len({layer.reset for layer in spec.qnet.layers}) == 1:
            return EquationNeuronStep.lif_for_spec(spec, leak=leak)
        return LIFStep.for_spec(spec, leak=leak)
    if spec.neuron_model.name in ("synaptic", "alpha"):
        return LookaheadNeuronStep.for_spec(spec)
    if spec.neuron_model.name in ("expif", "adex"):  # the table's path holds two constant multipliers already
        return EquationNeuronStep.for_spec(spec, leak="lut")
    return EquationNeuronStep.for_spec(spec)


def unit_control() -> wiring.Signature:
    """The sequencer's side: ``idle`` while no block is being stepped or handed over."""
    return wiring.Signature({"idle": In(1)})


def bias_image(spec: EngineSpec) -> list[list[int]]:
    """Bias memory rows: row ``bbase_l + g`` holds the Q8.8 biases of neurons ``g*lanes .. g*lanes+lanes-1``
    of layer ``l`` (0 past the layer's last neuron), one ``ArrayLayout(signed(16), lanes)`` word; a conv layer has
    a row per channel group (``brow`` of :class:`~sc_neurocore.hw.plan.GroupRow`)."""
    rows = []
    for layer, pl in zip(spec.qnet.layers, spec.plans):
        n_rows, n_valid = (pl.groups, pl.n_out) if pl.conv is None else (-(-pl.channels // spec.lanes), pl.channels)
        for g in range(n_rows):
            rows.append([int(layer.bias_q[j]) if (j := g * spec.lanes + p) < n_valid else 0
                         for p in range(spec.lanes)])
    return rows


class NeuronUnit(wiring.Component):
    """Steps ``lanes`` neurons over the timesteps of a finished block (see the module docstring).

    Parameters
    ----------
    spec : EngineSpec
    neuron : callable or None
        ``neuron(spec) -> wiring.Component`` whose signature is
        ``NeuronSignature(n_layers, membrane format, state_shape(spec.neuron_model, membrane format))``
        (the state, or its ``v`` field, is what the trace reports as the membrane; a record's other fields
        are traced by name); called once per neuron lane.  ``None``: :func:`default_neuron`.

    Attributes
    ----------
    i : In(block_signature)
        The count pipeline's output register.
    steps : Out(stream.Signature(step_layout, always_ready=True))
        Each committed timestep's spikes (to the class counters).
    hand : Out(stream.Signature(hand_layout))   (nets with hidden layers only)
        A group's spikes after each pass (to the spike writeback).
    trace_en : In(1), trace : Out(stream.Signature(trace_layout))   (``spec.trace`` only)
        One record per neuron and timestep while ``trace_en`` is high.
    control : In(unit_control)
    """

    def __init__(self, spec: EngineSpec, neuron=None):
        neuron = default_neuron if neuron is None else neuron
        if not callable(neuron):
            raise TypeError(f"neuron must be a factory neuron(spec) -> component, not {neuron!r}")
        self.spec, self.neuron = spec, neuron
        members = {
            "i": In(block_signature(spec)),
            "steps": Out(stream.Signature(step_layout(spec), always_ready=True)),
            "control": In(unit_control()),
        }
        if spec.n_layers > 1:
            members["hand"] = Out(stream.Signature(hand_layout(spec)))
        if spec.trace:
            members["trace_en"] = In(1)
            members["trace"] = Out(stream.Signature(trace_layout(spec.qnet, spec.T, spec.count_bits)))
        super().__init__(members)

    def _neurons(self, m):
        """One neuron model per lane, checked against the interface the unit drives."""
        spec = self.spec
        want = NeuronSignature(spec.n_layers, spec.config.membrane, self.state_shape)
        lanes = []
        for p in range(spec.lanes):
            n = self.neuron(spec)
            if getattr(n, "signature", None) != want:
                raise TypeError(f"the neuron factory must build components with the signature {want!r}, not {n!r}")
            m.submodules[f"neuron_{p}"] = n
            lanes.append(n)
        return lanes

    @property
    def state_shape(self):
        """One lane's state register (:func:`~sc_neurocore.hw.neuron.state_shape` of the net's neuron model)."""
        return state_shape(self.spec.neuron_model, self.spec.config.membrane)

    def elaborate(self, platform):
        m = Module()
        spec, cfg = self.spec, self.spec.config
        P, TL, fw, cb = spec.lanes, spec.tlanes, cfg.membrane.width, spec.count_bits
        block = self.i.payload
        m.submodules.bias = bias_mem = memory.Memory(shape=data.ArrayLayout(signed(fw), P),
                                                     depth=max(spec.bias_rows, 2), init=bias_image(spec))
        bias_rd = bias_mem.read_port()
        bbase = Array([Const(pl.bbase, range(spec.bias_rows + 1)) for pl in spec.plans])
        m.d.comb += bias_rd.addr.eq(bbase[block.layer] + (block.grp.brow if spec.has_conv else block.group))

        lay, grp, ps = Signal(spec.layer_shape), Signal(spec.group_shape), Signal(spec.pass_shape)
        facts = Signal(block.grp.shape()) if spec.has_conv else None  # a conv net's group facts, held
        k = Signal(range(max(TL, 2)))  # time lane being stepped
        state = [Signal(self.state_shape, name=f"v_{p}") for p in range(P)]
        current = [Signal(signed(fw), name=f"current_{p}") for p in range(P)]
        count = [Signal(signed(cb), name=f"count_{p}") for p in range(P)]
        next_current = [Signal(signed(fw), name=f"next_current_{p}", reset_less=True) for p in range(P)]
        next_count = [Signal(signed(cb), name=f"next_count_{p}", reset_less=True) for p in range(P)]
        spikes = [Signal(TL, name=f"spk_{p}") for p in range(P)]
        fired = [Signal(name=f"any_{p}") for p in range(P)]
        load, commit, last_step, prep = Signal(), Signal(), Signal(), Signal()
        loads = self._lane_loads(m, load, last_step)
        kept = self._state_memory(m, block, lay, grp, state, fired) if spec.state_groups else None

        neurons = self._neurons(m)
        for p, n in enumerate(neurons):
            m.d.comb += [n.layer.eq(lay), n.current.eq(current[p]), n.next_current.eq(next_current[p]),
                         n.load.eq(loads[p]), n.prep.eq(prep), n.state.eq(state[p])]

        # the product count * scale of the time lane at the head of the output register, one clock ahead: on a
        # shift it takes the lane behind the head (cuts the multiplier out of the path to next_current)
        products = self._products(m, block, loads)
        # load: the head time lane's current and count into next, next into the step registers; shift the register
        for p in range(P):
            with m.If(loads[p]):
                m.d.sync += [next_current[p].eq(self._current(products[p], bias_rd.data[p], lay)),
                             next_count[p].eq(block.counts[p]), current[p].eq(next_current[p]),
                             count[p].eq(next_count[p])]
        m.d.comb += self.i.shift.eq(Cat(*loads))

        steps = self.steps.payload
        m.d.comb += [self.steps.valid.eq(commit), steps.layer.eq(lay), steps.group.eq(grp),
                     steps.spikes.eq(Cat(*[n.spike for n in neurons]))]
        n_steps = Array([Const(min(TL, spec.T - pp * TL), range(TL + 1)) for pp in range(spec.passes)])[ps]
        # a silent block of a quiet layer (``EngineSpec.quiet``; never while tracing): its neurons would not spike,
        # so the unit frees the register and hands on no spikes without stepping them
        skip = Signal()
        skips = spec.has_conv and not spec.trace and any(spec.quiet)  # (a conv net has a hidden layer: HAND exists)
        if skips:
            quiet = Array([Const(int(q), 1) for q in spec.quiet])[block.layer]
            m.d.comb += skip.eq(block.silent & quiet)
        m.d.comb += [last_step.eq(commit & (k == n_steps - 1)), self.i.ready.eq(last_step)]
        upset = self._fault_masks(m, lay, grp, ps, k, commit, last_step) if spec.faults is not None else None
        with m.If(commit):
            for p, n in enumerate(neurons):
                # shifted in at the top (the spike reaches one flip-flop, not one per time lane); the hand-off
                # shifts the pass's steps back down to bits 0 .. n_steps - 1
                nxt = n.next_state if upset is None else Value.cast(n.next_state) ^ upset[p]
                m.d.sync += [state[p].eq(nxt), spikes[p].eq(Cat(spikes[p][1:], n.spike)),
                             fired[p].eq(fired[p] | n.spike)]
            m.d.sync += k.eq(k + 1)

        with m.FSM(name="unit") as fsm:
            with m.State("IDLE"):
                with m.If(self.i.valid):
                    m.d.comb += bias_rd.en.eq(1)
                    m.d.sync += [lay.eq(block.layer), grp.eq(block.group), ps.eq(block.pass_), k.eq(0)]
                    if facts is not None:
                        m.d.sync += facts.eq(block.grp)
                    with m.If(block.pass_ == 0):  # a new group: its neurons start the image from rest
                        m.d.sync += [Value.cast(x).eq(0) for x in state] + [x.eq(0) for x in fired]
                    m.next = "PREP"
                    if skips:
                        with m.If(skip):
                            m.d.comb += self.i.ready.eq(1)
                            m.d.sync += [x.eq(0) for x in spikes]
                            m.next = "HAND"
            with m.State("PREP"):
                m.d.comb += [load.eq(1), prep.eq(1)]
                m.next = "PREP2"
                if kept is not None:  # a recurrent layer's group after its first timestep: its states, kept
                    with m.If(kept.rec & (ps != 0)):
                        m.d.sync += [Value.cast(x).eq(kept.read.data.state[p]) for p, x in enumerate(state)]
                        m.d.sync += [x.eq(kept.read.data.fired[p]) for p, x in enumerate(fired)]
            with m.State("PREP2"):
                m.d.comb += [load.eq(1), prep.eq(1)]
                m.next = "STEP"
            with m.State("STEP"):
                self._emit(m, neurons, lay, grp, ps, k, current, count, commit, facts)
                m.d.comb += load.eq(commit)
                with m.If(last_step):
                    m.next = "HAND" if spec.n_layers > 1 else "IDLE"
                    if spec.n_layers > 1:
                        with m.If(lay == spec.n_layers - 1):
                            m.next = "IDLE"
            if spec.n_layers > 1:
                with m.State("HAND"):
                    hand = self.hand.payload
                    if kept is not None:
                        m.d.comb += kept.write.en.eq(kept.rec)
                    m.d.comb += [self.hand.valid.eq(1), hand.layer.eq(lay), hand.group.eq(grp), hand.pass_.eq(ps),
                                 hand.fired.eq(Cat(*fired))]
                    if facts is not None:
                        m.d.comb += hand.grp.eq(facts)
                    last_unused = TL - (spec.T - (spec.passes - 1) * TL)  # time lanes the last pass leaves idle
                    m.d.comb += [hand.spikes[p].eq(Mux(ps == spec.passes - 1, spikes[p] >> last_unused, spikes[p]))
                                 for p in range(P)]
                    with m.If(self.hand.ready):
                        m.next = "IDLE"
        m.d.comb += self.control.idle.eq(fsm.ongoing("IDLE"))
        if not spec.trace:
            # without tracing every STEP clock commits, so the next clock's load is known now: PREP and PREP2
            # follow IDLE with a block, STEP follows PREP2 and itself until the last step
            load_next = ((fsm.ongoing("IDLE") & self.i.valid & ~skip) | fsm.ongoing("PREP") | fsm.ongoing("PREP2")
                         | (fsm.ongoing("STEP") & ~last_step))
            m.d.sync += [x.eq(load_next) for x in loads]
        return m

    def _state_memory(self, m, block, lay, grp, state, fired):
        """A recurrent layer of several groups runs them all at one timestep before the next (``hw/count_pipeline.py``):
        a memory row per group keeps its lanes' states and ``fired`` bits between its blocks.  Read at the block's
        group while the block is held (the data arrives in ``PREP``, which restores them after the first timestep),
        written from the registers while the block is handed over (``HAND``)."""
        spec = self.spec
        row = data.StructLayout({"state": data.ArrayLayout(self.state_shape, spec.lanes), "fired": spec.lanes})
        m.submodules.kept = mem = memory.Memory(shape=row, depth=max(spec.state_groups, 2), init=[])
        rd, wr = mem.read_port(), mem.write_port()
        is_rec = Array([Const(int(pl.recurrent and pl.groups > 1), 1) for pl in spec.plans])[lay]
        m.d.comb += [rd.addr.eq(block.group), wr.addr.eq(grp),
                     wr.data.fired.eq(Cat(*fired))] + [wr.data.state[p].eq(x) for p, x in enumerate(state)]
        return SimpleNamespace(read=rd, write=wr, rec=is_rec)

    def _fault_masks(self, m, lay, grp, ps, k, commit, last_step):
        """A fault build (``hw/faults.py``): the membrane bits an upset flips after this step, per lane, from a ROM
        row per (image, layer, group, pass, time lane); the image counter steps after the image's last step."""
        spec, plan = self.spec, self.spec.faults
        P, TL, NL, passes = spec.lanes, spec.tlanes, spec.n_layers, spec.passes
        G = max(pl.groups for pl in spec.plans)
        rows = [[plan.value("state_xor", spec, li, img, g, p, pp * TL + q) for p in range(P)]
                for img in range(plan.images) for li in range(NL) for g in range(G) for pp in range(passes)
                for q in range(TL)]
        rom = memory.Memory(shape=data.ArrayLayout(unsigned(spec.config.membrane.width), P), depth=len(rows),
                            init=rows)
        m.submodules.fault_upsets = rom
        rd = rom.read_port(domain="comb")
        last = spec.plans[-1]
        img = image_counter(m, last_step & (lay == NL - 1) & (grp == last.groups - 1) & (ps == passes - 1),
                            plan.images)
        m.d.comb += rd.addr.eq((((img * NL + lay) * G + grp) * passes + ps) * TL + k)
        return [rd.data[p] for p in range(P)]

    def _lane_loads(self, m, load, last_step):
        """Per neuron lane, the signal that loads its current registers and shifts its time lanes.

        With tracing, ``load`` itself (a STEP commits when the trace is taken, which no register can
        know a clock ahead).  Without, one register per lane holding the same decision (``keep``:
        synthesis must not merge them), set a clock ahead in :meth:`elaborate`, so that no single net
        reaches every register of every lane (issue 19).
        """
        if self.spec.trace:
            return [load] * self.spec.lanes
        return [Signal(name=f"load_{p}", attrs={"keep": 1}) for p in range(self.spec.lanes)]

    def _products(self, m, block, shifts):
        """Per lane, a register holding ``count * mult_l`` of the count at the head of the output register
        (the first factor of :func:`sc.fixed.scale_count`), of layer ``block.layer``.

        The register follows the head one clock ahead: it takes ``ahead`` when the lane's head shifts
        this clock (``shifts[p]``), else ``counts``.  A new block is written into the output register at least one clock
        before the unit's first ``load`` (the unit sees ``valid`` in IDLE first), so the product of
        its first time lane is in place for that load.  The multiplier then sits between two
        registers only, away from the rounding, the bias and the saturation.
        """
        spec, cfg = self.spec, self.spec.config
        mult = Signal(unsigned(cfg.scale_bits + 1))
        m.d.comb += mult.eq(Array([Const(layer.scale_mult, unsigned(cfg.scale_bits + 1))
                                   for layer in spec.qnet.layers])[block.layer])
        products = []
        for p in range(spec.lanes):
            head = Mux(shifts[p], block.ahead[p], block.counts[p])
            prod = Signal(signed(spec.count_bits + cfg.scale_bits + 2), name=f"product_{p}", reset_less=True)
            m.d.sync += prod.eq(head.as_signed() * mult.as_signed())
            products.append(prod)
        return products

    def _current(self, prod, bias, lay):
        """``scale_count(count, mult_l, shift_l, bias)`` of the layer ``lay`` (:func:`sc.fixed.scale_count`),
        from the registered product ``prod = count * mult_l``."""
        layers, cfg = self.spec.qnet.layers, self.spec.config
        shifted = Array([(prod + Const(1 << (layer.scale_shift - 1), layer.scale_shift + 1).as_signed())
                         >> layer.scale_shift for layer in layers])[lay]
        return saturate(shifted + bias, cfg.membrane)

    def _emit(self, m, neurons, lay, grp, ps, k, current, count, commit, facts=None):
        """STEP: with tracing on, one record per valid lane (waiting for each), then commit; else commit."""
        spec = self.spec
        if not spec.trace:
            m.d.comb += commit.eq(1)
            return
        P, cfg = spec.lanes, spec.config
        extra = spec.neuron_model.extra_states
        record = data.StructLayout({"count": signed(spec.count_bits), "current": signed(cfg.membrane.width),
                                    "membrane": signed(cfg.membrane.width), "spike": 1,
                                    **{name: signed(cfg.membrane.width) for name in extra}})
        lane = Signal(range(max(P, 2)))
        rec = Signal(record)
        m.d.comb += rec.eq(Array([Cat(count[p], current[p], membrane_of(n.next_state), n.spike,
                                      *[n.next_state[name] for name in extra])
                                  for p, n in enumerate(neurons)])[lane])
        n_valid = Signal(range(P + 1))
        if facts is None:
            left = Signal(signed(bits(spec.max_out) + 2))  # neurons of the group still in the layer
            n_out = Array([Const(pl.n_out, range(spec.max_out + 1)) for pl in spec.plans])[lay]
            m.d.comb += [left.eq(n_out - grp * P), n_valid.eq(Mux(left >= P, P, left))]
            neuron = grp * P + lane
        else:  # a conv net: the model's index of lane 0's neuron, and the step between lanes, from the group facts
            stride = Array([Const(1 if pl.conv is None else pl.conv.positions, range(spec.max_neurons + 1))
                            for pl in spec.plans])[lay]
            m.d.comb += n_valid.eq(facts.valid)
            neuron = facts.neuron0 + lane * stride
        out = self.trace.payload
        m.d.comb += [out.layer.eq(lay), out.t.eq(ps * spec.tlanes + k), out.neuron.eq(neuron),
                     out.count.eq(rec.count), out.current.eq(rec.current), out.membrane.eq(rec.membrane),
                     out.spike.eq(rec.spike)]
        m.d.comb += [out[name].eq(rec[name]) for name in extra]
        with m.If(self.trace_en):
            m.d.comb += self.trace.valid.eq(1)
            with m.If(self.trace.ready):
                with m.If(lane == n_valid - 1):
                    m.d.comb += commit.eq(1)
                with m.Else():
                    m.d.sync += lane.eq(lane + 1)
        with m.Else():
            m.d.comb += commit.eq(1)
        with m.If(commit):
            m.d.sync += lane.eq(0)
