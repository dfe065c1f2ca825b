"""The engine's sequencer: load an image, run the layers one after another, hand over the result.

States: ``LOAD`` (the input loader takes the image) -> ``START`` -> per layer ``LAYER_START``
(the count pipeline starts issuing the layer's blocks; the next layer's list region is emptied)
-> ``LAYER_RUN`` (until the pipeline, the neuron unit and the writeback are all idle) -> after the
last layer ``OUTPUT`` (the argmax scan, then until the result is taken) -> ``LOAD``.  Its clocks
are part of ``hw.timing.image_clocks`` (one for ``START``, one per ``LAYER_START``, one that sees
a layer done).
"""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import Out

from .active_list import list_control
from .argmax import output_control
from .count_pipeline import pipeline_control
from .loader import loader_control
from .neuron_unit import unit_control
from .plan import EngineSpec
from .writeback import writeback_control

__all__ = ["Sequencer"]


class Sequencer(wiring.Component):
    """Control of one image through the engine's parts.

    Parameters
    ----------
    spec : EngineSpec

    Attributes
    ----------
    loader : Out(loader_control)
    lists : Out(list_control)
    pipeline : Out(pipeline_control)
    unit : Out(unit_control)
    writeback : Out(writeback_control)   (nets with hidden layers only)
    output : Out(output_control)
    """

    def __init__(self, spec: EngineSpec):
        self.spec = spec
        members = {
            "loader": Out(loader_control()),
            "lists": Out(list_control()),
            "pipeline": Out(pipeline_control(spec)),
            "unit": Out(unit_control()),
            "output": Out(output_control()),
        }
        if spec.n_layers > 1:
            members["writeback"] = Out(writeback_control())
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        spec = self.spec
        last = spec.n_layers - 1
        layer = Signal(spec.layer_shape)
        m.d.comb += self.pipeline.layer.eq(layer)
        layer_done = ~self.pipeline.busy & self.unit.idle
        if spec.n_layers > 1:
            layer_done &= ~self.writeback.busy
        if spec.has_recurrent:  # the spikes handed over are written: a recurrent layer's next timestep may start
            m.d.comb += self.pipeline.drained.eq(self.unit.idle & ~self.writeback.busy)
        with m.FSM(name="control"):
            with m.State("LOAD"):
                m.d.comb += self.loader.en.eq(1)
                with m.If(self.loader.done):
                    m.next = "START"
            with m.State("START"):
                m.d.sync += layer.eq(0)
                m.d.comb += self.output.clear.eq(1)
                m.next = "LAYER_START"
            with m.State("LAYER_START"):
                m.d.comb += self.pipeline.start.eq(1)
                if spec.n_layers > 1:  # empty the next layer's list region
                    m.d.comb += self.lists.clear.eq(Mux(layer[0], 0b01, 0b10))
                m.next = "LAYER_RUN"
            with m.State("LAYER_RUN"):
                with m.If(layer_done):
                    with m.If(layer == last):
                        m.d.comb += self.output.start.eq(1)
                        m.next = "OUTPUT"
                    with m.Else():
                        m.d.sync += layer.eq(layer + 1)
                        m.next = "LAYER_START"
            with m.State("OUTPUT"):
                with m.If(self.output.done):
                    m.d.comb += self.lists.clear.eq(0b01)
                    m.next = "LOAD"
        return m
