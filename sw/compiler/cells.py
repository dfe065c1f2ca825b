"""The ten neuron cells of the training library (``sc_neurocore.training.cells``) as equations, in one place.

Each entry of :data:`CELLS` writes one cell's step in the equation language, with the cell's own
parameter names and defaults; :func:`cell_neuron` builds it (``from_equations``).  The float dynamics
are the training cells' step functions exactly (``tests/compiler/test_cells.py`` holds them equal);
the fixed-point form is whatever ``.compile(...)`` makes of them.

==================  ==========================================================================================
cell                equations (``H`` = threshold, reset where it fired)
==================  ==========================================================================================
LIF                 ``v = beta*v + I``; ``v > threshold``; ``v = v - threshold``
IF                  ``v = v + I``; same
Lapicque            ``dv/dt = (R*I - v)/tau``, exponential Euler (``v = e^(-dt/tau) v + (1 - e^(-dt/tau)) R I``)
Synaptic            ``i_syn = alpha*i_syn + I``; ``v = beta*v + i_syn``
ALIF                ``th = threshold + adapt_strength*a``; ``a = adapt_decay*a``; ``v = beta*v + I``; ``v > th``;
                    reset ``v = v - th; a = a + 1``
ExpIF               ``v = beta*v + (1-beta)*delta_t*exp((min(v, threshold) - v_rheobase)/delta_t) + I``
AdEx                ``w_next = adapt_decay*w + (1-adapt_decay)*a*v``; the ExpIF drive ``- w``; ``w = w_next``;
                    reset ``v = v - threshold; w = w + b``
Alpha               ``i_exc = alpha_exc*i_exc + max(I, 0)``; ``i_inh = alpha_inh*i_inh + max(-I, 0)``;
                    ``v = beta*v + i_exc - i_inh``
SecondOrderLIF      ``a = alpha*a + I - stiffness*v``; ``v = beta*v + a``
RecurrentLIF        LIF; the recurrent drive ``W_rec spike_prev`` is part of the net's input ``I``
==================  ==========================================================================================

The table function of ExpIF and AdEx reads ``(min(v, threshold) - v_rheobase)/delta_t``, at most
``(threshold - v_rheobase)/delta_t``; its declared range is the 10 units below that (``exp`` of the
bottom is ``e^-10`` of the top: the table's step, not its floor, is what limits it).

No imports of ours outside this package.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .equation_compiler import EquationNeuron, from_equations

__all__ = ["CellEquations", "CELLS", "EXAMPLES", "cell_neuron", "example_neuron"]


@dataclass(frozen=True)
class CellEquations:
    """One cell: its training class, equations, threshold, reset, parameters (defaults) and method."""

    training_class: str
    equations: tuple
    threshold: str
    reset: str
    defaults: dict = field(default_factory=dict)
    method: str = "euler"
    uses_dt: bool = False  # dt is one of the cell's parameters (Lapicque)
    exp_range: bool = False  # declares exp's range from threshold, v_rheobase and delta_t

    def domains(self, params: dict) -> dict:
        if not self.exp_range:
            return {}
        hi = (params["threshold"] - params["v_rheobase"]) / params["delta_t"]
        return {"exp": (hi - 10.0, hi)}


_FIRE = ("v > threshold", "v = v - threshold")
_EXP = "(1 - beta)*delta_t*exp((min(v, threshold) - v_rheobase)/delta_t)"

#: The ten cells, by the short name of their training class (``"LIF"`` -> ``LIFCell``).
CELLS: dict[str, CellEquations] = {
    "LIF": CellEquations("LIFCell", ("v = beta*v + I",), *_FIRE, {"beta": 0.9, "threshold": 1.0}),
    "IF": CellEquations("IFCell", ("v = v + I",), *_FIRE, {"threshold": 1.0}),
    "Lapicque": CellEquations("LapicqueCell", ("dv/dt = (R*I - v)/tau",), *_FIRE,
                              {"tau": 5.0, "R": 1.0, "dt": 1.0, "threshold": 1.0}, method="exponential_euler",
                              uses_dt=True),
    "Synaptic": CellEquations("SynapticCell", ("i_syn = alpha*i_syn + I", "v = beta*v + i_syn"), *_FIRE,
                              {"alpha": 0.8, "beta": 0.9, "threshold": 1.0}),
    "ALIF": CellEquations("ALIFCell", ("th = threshold + adapt_strength*a", "a = adapt_decay*a", "v = beta*v + I"),
                          "v > th", "v = v - th; a = a + 1",
                          {"beta": 0.9, "threshold": 1.0, "adapt_decay": 0.95, "adapt_strength": 0.2}),
    "ExpIF": CellEquations("ExpIFCell", (f"v = beta*v + {_EXP} + I",), *_FIRE,
                           {"beta": 0.9, "threshold": 1.0, "v_rheobase": 0.8, "delta_t": 0.1}, exp_range=True),
    "AdEx": CellEquations("AdExCell", ("w_next = adapt_decay*w + (1 - adapt_decay)*a*v", f"v = beta*v + {_EXP} - w + I",
                                       "w = w_next"), "v > threshold", "v = v - threshold; w = w + b",
                          {"beta": 0.9, "threshold": 1.0, "v_rheobase": 0.8, "delta_t": 0.1, "adapt_decay": 0.95,
                           "a": 0.1, "b": 0.05}, exp_range=True),
    "Alpha": CellEquations("AlphaCell", ("i_exc = alpha_exc*i_exc + max(I, 0)", "i_inh = alpha_inh*i_inh + max(-I, 0)",
                                         "v = beta*v + i_exc - i_inh"), *_FIRE,
                           {"alpha_exc": 0.9, "alpha_inh": 0.8, "beta": 0.9, "threshold": 1.0}),
    "SecondOrderLIF": CellEquations("SecondOrderLIFCell", ("a = alpha*a + I - stiffness*v", "v = beta*v + a"), *_FIRE,
                                    {"alpha": 0.8, "beta": 0.9, "threshold": 1.0, "stiffness": 0.1}),
    "RecurrentLIF": CellEquations("RecurrentLIFCell", ("v = beta*v + I",), *_FIRE, {"beta": 0.9, "threshold": 1.0}),
}


def cell_neuron(name: str, **params) -> EquationNeuron:
    """The :class:`EquationNeuron` of cell ``name`` (a key of :data:`CELLS`) with ``params`` over its defaults."""
    if name not in CELLS:
        raise ValueError(f"unknown cell {name!r} (the cells are: {', '.join(CELLS)})")
    spec = CELLS[name]
    unknown = sorted(set(params) - set(spec.defaults))
    if unknown:
        raise ValueError(f"cell {name} has no parameter {unknown[0]!r} (it takes: {', '.join(spec.defaults)})")
    p = {**spec.defaults, **params}
    dt = p.pop("dt") if spec.uses_dt else 1.0
    return from_equations(*spec.equations, threshold=spec.threshold, reset=spec.reset, params=p, dt=dt,
                          method=spec.method, domains=spec.domains({**spec.defaults, **params}))


#: The published system's example neurons, compiled by ours: name -> (``from_equations`` arguments, ``compile``
#: options).  Its docstring's LIF, and a FitzHugh-Nagumo-like two-variable model (v^3 in a temporary of its
#: own, wide enough for it; v, w and I at 12 fraction bits).
EXAMPLES: dict[str, tuple[dict, dict]] = {
    "docstring LIF": (dict(equations=("dv/dt = -v/tau + I",), threshold="v > 1", reset="v = 0",
                           params={"tau": 10.0}, init={"v": 0.0}, dt=1.0), {}),
    "FitzHugh-Nagumo": (dict(equations=("v3 = v*v*v", "dv/dt = v - v3/3 - w + I", "dw/dt = (v + a - b*w)/tau"),
                             threshold="v > 1", params={"a": 0.7, "b": 0.8, "tau": 12.5}, init={"v": -1.0, "w": -0.5},
                             dt=0.1),
                        {"fmt": "Q4.12", "formats": {"v3": "Q11.12"}}),
}


def example_neuron(name: str) -> tuple[EquationNeuron, dict]:
    """``(neuron, compile options)`` of an entry of :data:`EXAMPLES`."""
    if name not in EXAMPLES:
        raise ValueError(f"unknown example {name!r} (the examples are: {', '.join(EXAMPLES)})")
    args, ckw = EXAMPLES[name]
    args = dict(args)
    return from_equations(*args.pop("equations"), **args), dict(ckw)
