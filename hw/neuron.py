"""The engine's replaceable neuron: the interface a neuron model implements to run in ``SCNetworkCore``.

The neuron unit (``hw/neuron_unit.py``) holds, per neuron lane, the neuron's *state* register
and this timestep's *current*, and asks a neuron component for the step: **current in, state ->
next state + spike**, combinationally, with the parameters of the layer being run.  The unit
commits ``next_state`` into the state register (the trace reports it: the membrane, and a state
record's other fields by name) and the spike into the layer's spike words.  The state is the
membrane (``signed(16)``: LIF) or a record of the contract's neuron model
(:func:`state_shape`: Synaptic ``StructLayout({"i_syn": signed(16), "v": signed(16)})``).  A model may precompute from the *next* timestep's current,
a clock ahead, whatever takes its own logic off the state loop: ``load`` is high in each clock
in which the unit moves ``next_current`` into its current register.

A neuron model is a ``wiring.Component`` whose signature is a :class:`NeuronSignature`, plus the
NumPy function it equals (its ``model`` method).  :class:`~sc_neurocore.hw.lif.LIFStep` is the
hand-written LIF (``sc.fixed.lif_step``), :class:`~sc_neurocore.hw.equation.EquationNeuronStep` a neuron
compiled from equations (the engine's Synaptic neuron); ``SCNetworkCore(..., neuron=...)`` takes a factory
of another (``factory(spec) -> component``, one per neuron lane).
"""

from __future__ import annotations

from amaranth.hdl import Shape, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ..sc.contract import FixedPoint, NeuronModel
from .checks import check_int

__all__ = ["NeuronSignature", "state_shape", "membrane_of"]


def state_shape(model: NeuronModel, fmt: FixedPoint):
    """The engine's state of one neuron of ``model``: the membrane ``signed(fmt.width)`` for a one-state model
    (LIF), else ``StructLayout({state: signed(fmt.width)})`` in the model's order (the membrane ``v`` last)."""
    if len(model.states) == 1:
        return signed(fmt.width)
    return data.StructLayout({s: signed(fmt.width) for s in model.states})


def membrane_of(state):
    """The membrane of a state value (:func:`state_shape`): the value itself, or its ``v`` field."""
    return state["v"] if isinstance(state, data.View) else state


class NeuronSignature(wiring.Signature):
    """One neuron lane's step: current in, state -> next state + spike.

    Parameters
    ----------
    n_layers : int
        Layers whose parameters the model holds (``layer`` selects them).
    current : FixedPoint
        Format of the current (Q8.8: ``signed(16)``).
    state : shape or data.StructLayout
        The model's state (:func:`state_shape`; LIF: the membrane, ``signed(16)``; Synaptic: a record of
        ``i_syn`` and ``v``; every field starts at 0 for every image).

    Members (the neuron's side)
    ---------------------------
    layer : In(range(max(n_layers, 2)))
        Layer whose parameters apply; steady while the unit steps a block.
    current : In(signed(current.width))
        This timestep's current.
    next_current : In(signed(current.width))
        The next timestep's current, taken by the unit into ``current`` at the clock where ``load`` is high.
    load : In(1)
        ``current`` becomes ``next_current`` at this clock edge.
    prep : In(1)
        The unit is loading a block's first timestep (``load`` high, no step committed): ``state`` holds the
        state before that timestep, ``next_current`` the timestep's current.  A model that runs part of its
        step a timestep ahead (:class:`~sc_neurocore.hw.equation.LookaheadNeuronStep`) starts it from here.
    state : In(state)
        The state before this timestep.
    next_state : Out(state)
        The state after this timestep's step (and reset).  Combinational.
    spike : Out(1)
        This timestep's spike.  Combinational.
    """

    def __init__(self, n_layers: int, current: FixedPoint, state):
        check_int("n_layers", n_layers, 1)
        if not isinstance(current, FixedPoint) or not current.signed:
            raise TypeError(f"current must be a signed FixedPoint, not {current!r}")
        self._n_layers, self._current = n_layers, current
        self._state = state if isinstance(state, data.Layout) else Shape.cast(state)
        super().__init__({
            "layer": In(range(max(n_layers, 2))),
            "current": In(signed(current.width)),
            "next_current": In(signed(current.width)),
            "load": In(1),
            "prep": In(1),
            "state": In(self._state),
            "next_state": Out(self._state),
            "spike": Out(1),
        })

    @property
    def n_layers(self) -> int:
        return self._n_layers

    @property
    def current_format(self) -> FixedPoint:
        return self._current

    @property
    def state_shape(self):
        """A ``Shape`` (one state) or a ``data.StructLayout`` (a record of states)."""
        return self._state

    def __eq__(self, other):
        return (type(other) is type(self) and self._n_layers == other._n_layers and self._current == other._current
                and self._state == other._state)

    def __hash__(self):
        return hash((type(self), self._n_layers, Shape.cast(self._state).width))

    def __repr__(self):
        return f"NeuronSignature({self._n_layers}, {self._current!r}, {self._state!r})"
