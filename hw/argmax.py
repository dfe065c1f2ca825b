"""The engine's output unit: class spike counters, the argmax scan and the result stream.

Model: ``SCNetwork.run_codes(xq, T)``'s ``counts`` (output spikes per class over the T timesteps)
and ``prediction`` (``np.argmax(counts)``: the lowest index on ties).
"""

from __future__ import annotations

from amaranth.hdl import Array, Cat, Module, Signal, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from .plan import EngineSpec
from .ports import bits, output_layout

__all__ = ["Argmax", "output_control", "step_layout"]


def step_layout(spec: EngineSpec) -> data.StructLayout:
    """One timestep's spikes of a neuron group: ``spikes`` bit ``p`` = neuron ``group * lanes + p``."""
    return data.StructLayout({"layer": spec.layer_shape, "group": spec.group_shape, "spikes": unsigned(spec.lanes)})


def output_control() -> wiring.Signature:
    """The sequencer's side: ``clear`` the counters (image start), ``start`` the scan (last layer done);
    ``done`` in the clock the result is taken."""
    return wiring.Signature({"clear": Out(1), "start": Out(1), "done": In(1)})


class Argmax(wiring.Component):
    """Counts the output layer's spikes per class, then offers ``counts`` and their argmax.

    Parameters
    ----------
    spec : EngineSpec

    Attributes
    ----------
    steps : In(stream.Signature(step_layout, always_ready=True))
        Every committed timestep of every layer from the neuron unit; the last layer's spikes count.
    o : Out(stream.Signature(output_layout(n_output, T)))
        The result, from the end of the scan until taken.
    control : In(output_control)

    Latency: a step's spikes are in ``counts`` two clocks after it (the scan may start one clock after
    it); ``start`` -> ``n_output - 1`` clocks of scan -> ``o.valid``.
    """

    def __init__(self, spec: EngineSpec):
        self.spec = spec
        super().__init__({
            "steps": In(stream.Signature(step_layout(spec), always_ready=True)),
            "o": Out(stream.Signature(output_layout(spec.qnet.n_output, spec.T))),
            "control": In(output_control()),
        })

    def elaborate(self, platform):
        m = Module()
        spec = self.spec
        n_out, P, last = spec.qnet.n_output, spec.lanes, spec.n_layers - 1
        counts = [Signal(bits(spec.T), name=f"class_count_{c}") for c in range(n_out)]
        # a step's spikes are added a clock later, from a register: the neuron step's spike then ends at
        # a flip-flop, not at every counter's enable; the scan's first read adds a hit still pending
        hits = Signal(n_out)
        step = self.steps.payload
        m.d.sync += hits.eq(Cat(*[self.steps.valid & (step.layer == last) & (step.group == c // P) & step.spikes[c % P]
                                  for c in range(n_out)]))
        for c in range(n_out):
            with m.If(hits[c]):
                m.d.sync += counts[c].eq(counts[c] + 1)
        with m.If(self.control.clear):
            m.d.sync += [c.eq(0) for c in counts]

        best = Signal(range(max(n_out, 2)))
        best_count = Signal(bits(spec.T))
        scan = Signal(range(max(n_out, 2)))
        m.d.comb += [self.o.payload.counts[c].eq(counts[c]) for c in range(n_out)]
        m.d.comb += self.o.payload.prediction.eq(best)
        with m.FSM(name="argmax"):
            with m.State("IDLE"):
                with m.If(self.control.start):
                    m.d.sync += [best.eq(0), best_count.eq(counts[0] + hits[0]), scan.eq(1)]
                    m.next = "SCAN" if n_out > 1 else "OUT"
            if n_out > 1:
                with m.State("SCAN"):
                    candidate = Array(counts)[scan]
                    with m.If(candidate > best_count):
                        m.d.sync += [best.eq(scan), best_count.eq(candidate)]
                    m.d.sync += scan.eq(scan + 1)
                    with m.If(scan == n_out - 1):
                        m.next = "OUT"
            with m.State("OUT"):
                m.d.comb += self.o.valid.eq(1)
                with m.If(self.o.ready):
                    m.d.comb += self.control.done.eq(1)
                    m.next = "IDLE"
        return m
