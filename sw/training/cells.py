"""Spiking neuron cells: per model a frozen parameter record, a state record and a pure step function;
the ``nn.Module`` cells are thin wrappers around them.

A step function is ``step(current, state, params) -> (spike, new_state)``: no module, no hidden
state, the same arithmetic whether a cell calls it or you do::

    p = LIFParameters(beta=0.9, threshold=1.0)
    spike, state = lif_step(current, LIFState(v=torch.zeros_like(current)), p)

Firing is ``s = surrogate_fn(v - theta)`` (Heaviside forward, surrogate backward); the reset
subtracts ``s * theta`` with ``s`` detached from the graph (:func:`fire_and_reset`).  The records
hold numbers or 0-dim tensors (a cell passes its parameters and buffers, so trainable values
receive gradients) and check nothing: the cells check their constructor arguments.

Every cell works on currents of any shape ``(batch, *neurons)`` and keeps its state in a named
tuple (``cell.State``, fields ``cell.state_names``).  Two ways to run it:

* single step: ``spike, state = cell(current, state)`` (``state=None`` starts from zeros);
* multi step: ``spikes, membranes, state = cell.sequence(currents, state)`` with ``currents`` of
  shape ``(T, batch, *neurons)``, or ``cell.sequence(current, steps=T)`` for one current applied
  at every step.  ``membranes`` is the post-reset membrane of every step.

``cell.init_state(batch, *neurons)`` builds the zero state explicitly; ``cell.step_parameters()``
is the record the cell passes to its step function.  Decay factors (``beta``, ``alpha``, ...) lie
in [0, 1]; ``learn_<name>=True`` makes one a trainable scalar (clamped to [0, 1] when used),
otherwise it is a buffer.  ``learn_threshold=True`` makes the threshold trainable.

With a :class:`~sc_neurocore.training.surrogates.Surrogate`, :class:`LIFCell` (and
:class:`IFCell`, :class:`LapicqueCell`) runs ``sequence`` through the fused kernel
(:mod:`~sc_neurocore.training.lif_kernel`); any other callable uses the step loop over
:func:`lif_step`.  Both give the same spikes, membranes and gradients.

===================  =========================  ==============  =====================================================
cell                 step function              state           step (``H`` = fire, reset after firing)
===================  =========================  ==============  =====================================================
LIFCell              ``lif_step``               v               ``v = beta v + I``
IFCell               ``lif_step``               v               ``v = v + I`` (``beta = 1``)
LapicqueCell         ``lif_step``               v               ``v = beta v + (1 - beta) R I``, ``beta = exp(-dt/tau)``
SynapticCell         ``synaptic_step``          i_syn, v        ``i = alpha i + I``; ``v = beta v + i``
ALIFCell             ``alif_step``              v, a            ``v = beta v + I``; fire at ``theta + gamma a``;
                                                                ``a = rho a + s``
ExpIFCell            ``expif_step``             v               ``v = beta v + (1-beta) dT exp((min(v,theta)-v_rh)/dT) + I``
AdExCell             ``adex_step``              v, w            ExpIF drive ``- w``; ``w = rho w + (1-rho) a v_prev + b s``
AlphaCell            ``alpha_step``             i_exc, i_inh,   ``i_e = a_e i_e + relu(I)``; ``i_i = a_i i_i + relu(-I)``;
                                                v               ``v = beta v + i_e - i_i``
SecondOrderLIFCell   ``second_order_lif_step``  a, v            ``a = alpha a + I - kappa v``; ``v = beta v + a``
RecurrentLIFCell     ``recurrent_lif_step``     v, spike_prev   ``v = beta v + I + W_rec spike_prev``
===================  =========================  ==============  =====================================================
"""

from __future__ import annotations

import dataclasses
import math
from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn

from .lif_kernel import lif_sequence
from .recurrent_kernel import recurrent_lif_sequence
from .surrogates import Surrogate, atan_surrogate

__all__ = [
    # modules
    "SpikingCell",
    "LIFCell",
    "IFCell",
    "LapicqueCell",
    "SynapticCell",
    "ALIFCell",
    "ExpIFCell",
    "AdExCell",
    "AlphaCell",
    "SecondOrderLIFCell",
    "RecurrentLIFCell",
    # parameter records (keyword-only, frozen)
    "LeakyParameters",
    "LIFParameters",
    "SynapticParameters",
    "ALIFParameters",
    "ExpIFParameters",
    "AdExParameters",
    "AlphaParameters",
    "SecondOrderLIFParameters",
    "RecurrentLIFParameters",
    # state records
    "LIFState",
    "SynapticState",
    "ALIFState",
    "AdExState",
    "AlphaState",
    "SecondOrderLIFState",
    "RecurrentLIFState",
    # step functions
    "fire_and_reset",
    "RESET_MODES",
    "lif_reset",
    "lif_step",
    "synaptic_step",
    "alif_step",
    "expif_step",
    "adex_step",
    "alpha_step",
    "second_order_lif_step",
    "recurrent_lif_step",
]

Scalar = torch.Tensor | float


# =============================================================================== states


class LIFState(NamedTuple):
    """Membrane ``v`` (post-reset).  Also the state of IF, Lapicque and ExpIF."""

    v: torch.Tensor


class SynapticState(NamedTuple):
    i_syn: torch.Tensor
    v: torch.Tensor


class ALIFState(NamedTuple):
    v: torch.Tensor
    a: torch.Tensor  # adaptation trace


class AdExState(NamedTuple):
    v: torch.Tensor
    w: torch.Tensor  # adaptation current


class AlphaState(NamedTuple):
    i_exc: torch.Tensor
    i_inh: torch.Tensor
    v: torch.Tensor


class SecondOrderLIFState(NamedTuple):
    a: torch.Tensor  # the inertial term
    v: torch.Tensor


class RecurrentLIFState(NamedTuple):
    v: torch.Tensor
    spike_prev: torch.Tensor


# =============================================================================== parameter records


@dataclass(frozen=True, eq=False, kw_only=True)
class LeakyParameters:
    """What every model has: a leak ``beta``, a ``threshold`` and the ``surrogate_fn`` it fires through."""

    beta: Scalar = 0.9
    threshold: Scalar = 1.0
    surrogate_fn: Callable = atan_surrogate


@dataclass(frozen=True, eq=False, kw_only=True)
class LIFParameters(LeakyParameters):
    """``v = beta v + input_gain I`` (``input_gain``: 1 for LIF and IF, ``(1 - beta) R`` for Lapicque).

    ``reset_mode`` (one of :data:`RESET_MODES`) is what a spike does to the membrane: see :func:`lif_reset`.
    """

    input_gain: float = 1.0
    reset_mode: str = "subtract"


@dataclass(frozen=True, eq=False, kw_only=True)
class SynapticParameters(LeakyParameters):
    alpha: Scalar = 0.8


@dataclass(frozen=True, eq=False, kw_only=True)
class ALIFParameters(LeakyParameters):
    adapt_decay: Scalar = 0.95
    adapt_strength: Scalar = 0.2


@dataclass(frozen=True, eq=False, kw_only=True)
class ExpIFParameters(LeakyParameters):
    v_rheobase: Scalar = 0.8
    delta_t: Scalar = 0.1


@dataclass(frozen=True, eq=False, kw_only=True)
class AdExParameters(ExpIFParameters):
    adapt_decay: Scalar = 0.95
    a: Scalar = 0.1
    b: Scalar = 0.05


@dataclass(frozen=True, eq=False, kw_only=True)
class AlphaParameters(LeakyParameters):
    alpha_exc: Scalar = 0.9
    alpha_inh: Scalar = 0.8


@dataclass(frozen=True, eq=False, kw_only=True)
class SecondOrderLIFParameters(LeakyParameters):
    alpha: Scalar = 0.8
    stiffness: Scalar = 0.1


@dataclass(frozen=True, eq=False, kw_only=True)
class RecurrentLIFParameters(LeakyParameters):
    """``recurrent_weight``: the ``(n, n)`` matrix ``W_rec`` (``W_rec @ spike_prev`` per sample); ``reset_mode``
    (one of :data:`RESET_MODES`) as for :class:`LIFParameters`."""

    recurrent_weight: torch.Tensor
    reset_mode: str = "subtract"


# =============================================================================== step functions


def fire_and_reset(v: torch.Tensor, threshold, surrogate_fn: Callable) -> tuple[torch.Tensor, torch.Tensor]:
    """``(s, v - s.detach() * threshold)`` with ``s = surrogate_fn(v - threshold)``."""
    spike = surrogate_fn(v - threshold)
    return spike, v - spike.detach() * threshold


#: What a spike does to a LIF membrane (:func:`lif_reset`); ``docs/interop.md`` maps them to the peers' names.
RESET_MODES = ("subtract", "zero", "subtract-delayed")


def lif_reset(v: torch.Tensor, spike: torch.Tensor, threshold, beta, reset_mode: str) -> torch.Tensor:
    """The post-reset membrane (the spike detached from the graph):

    * ``"subtract"``: ``v - s theta`` (reset by subtraction, this step);
    * ``"zero"``: ``v - s v`` (reset to zero);
    * ``"subtract-delayed"``: ``v - s theta / beta``: snnTorch's default ``reset_delay=True``, which
      subtracts ``theta`` from the *next* step's membrane; ``beta (v - theta/beta) = beta v - theta``, so
      firing at ``theta`` and subtracting ``theta / beta`` now gives the same spikes (``beta > 0``).
    """
    s = spike.detach()
    if reset_mode == "subtract":
        return v - s * threshold
    if reset_mode == "zero":
        return v - s * v
    if reset_mode == "subtract-delayed":
        return v - s * (threshold / beta)
    raise ValueError(f"reset_mode must be one of {RESET_MODES}, not {reset_mode!r}")


def lif_step(current, state: LIFState, p: LIFParameters) -> tuple[torch.Tensor, LIFState]:
    v = p.beta * state.v + p.input_gain * current
    if p.reset_mode == "subtract":
        spike, v = fire_and_reset(v, p.threshold, p.surrogate_fn)
        return spike, LIFState(v)
    spike = p.surrogate_fn(v - p.threshold)
    return spike, LIFState(lif_reset(v, spike, p.threshold, p.beta, p.reset_mode))


def synaptic_step(current, state: SynapticState, p: SynapticParameters) -> tuple[torch.Tensor, SynapticState]:
    i_syn = p.alpha * state.i_syn + current
    spike, v = fire_and_reset(p.beta * state.v + i_syn, p.threshold, p.surrogate_fn)
    return spike, SynapticState(i_syn, v)


def alif_step(current, state: ALIFState, p: ALIFParameters) -> tuple[torch.Tensor, ALIFState]:
    theta = p.threshold + p.adapt_strength * state.a
    spike, v = fire_and_reset(p.beta * state.v + current, theta, p.surrogate_fn)
    return spike, ALIFState(v, p.adapt_decay * state.a + spike)


def _exp_drive(v, p: ExpIFParameters):
    """``beta v + (1 - beta) delta_t exp((min(v, theta) - v_rheobase) / delta_t)``."""
    theta = p.threshold if isinstance(p.threshold, torch.Tensor) else torch.tensor(p.threshold, dtype=v.dtype)
    upstroke = torch.exp((torch.minimum(v, theta) - p.v_rheobase) / p.delta_t)
    return p.beta * v + (1 - p.beta) * p.delta_t * upstroke


def expif_step(current, state: LIFState, p: ExpIFParameters) -> tuple[torch.Tensor, LIFState]:
    spike, v = fire_and_reset(_exp_drive(state.v, p) + current, p.threshold, p.surrogate_fn)
    return spike, LIFState(v)


def adex_step(current, state: AdExState, p: AdExParameters) -> tuple[torch.Tensor, AdExState]:
    spike, v = fire_and_reset(_exp_drive(state.v, p) - state.w + current, p.threshold, p.surrogate_fn)
    w = p.adapt_decay * state.w + (1 - p.adapt_decay) * p.a * state.v + p.b * spike
    return spike, AdExState(v, w)


def alpha_step(current, state: AlphaState, p: AlphaParameters) -> tuple[torch.Tensor, AlphaState]:
    i_exc = p.alpha_exc * state.i_exc + torch.relu(current)
    i_inh = p.alpha_inh * state.i_inh + torch.relu(-current)
    spike, v = fire_and_reset(p.beta * state.v + i_exc - i_inh, p.threshold, p.surrogate_fn)
    return spike, AlphaState(i_exc, i_inh, v)


def second_order_lif_step(current, state: SecondOrderLIFState,
                          p: SecondOrderLIFParameters) -> tuple[torch.Tensor, SecondOrderLIFState]:
    a = p.alpha * state.a + current - p.stiffness * state.v
    spike, v = fire_and_reset(p.beta * state.v + a, p.threshold, p.surrogate_fn)
    return spike, SecondOrderLIFState(a, v)


def recurrent_lif_step(current, state: RecurrentLIFState,
                       p: RecurrentLIFParameters) -> tuple[torch.Tensor, RecurrentLIFState]:
    drive = p.beta * state.v + current + nn.functional.linear(state.spike_prev, p.recurrent_weight)
    if p.reset_mode == "subtract":
        spike, v = fire_and_reset(drive, p.threshold, p.surrogate_fn)
    else:
        spike = p.surrogate_fn(drive - p.threshold)
        v = lif_reset(drive, spike, p.threshold, p.beta, p.reset_mode)
    return spike, RecurrentLIFState(v, spike)


# =============================================================================== modules


def _number(name: str, value) -> float:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, not {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, not {value!r}")
    return value


#: The range of every scalar parameter, by name (one meaning per name across the cells).
_RANGES = {
    "beta": "unit", "alpha": "unit", "alpha_exc": "unit", "alpha_inh": "unit", "adapt_decay": "unit",
    "threshold": "positive", "delta_t": "positive",
    "adapt_strength": "non-negative", "b": "non-negative", "stiffness": "non-negative",
}


class SpikingCell(nn.Module):
    """Base class: parameters, state handling and the step loop around a pure step function.

    A cell names its model with three class attributes: ``State`` (the state record; its fields are
    ``state_names``), ``Parameters`` (the frozen parameter record) and ``step`` (the pure step
    function).  :meth:`step_parameters` fills the record from the cell's scalars (trainable decays
    clamped to [0, 1]) and attributes.  A subclass may instead set ``state_names`` and override
    ``_step(current, state) -> (spike, state)``.
    """

    state_names: tuple[str, ...] = ("v",)
    State = LIFState
    Parameters = LIFParameters
    step = staticmethod(lif_step)
    _parameter_names = tuple(f.name for f in dataclasses.fields(LIFParameters))

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._parameter_names = tuple(f.name for f in dataclasses.fields(cls.Parameters))
        if "State" in cls.__dict__:
            cls.state_names = cls.State._fields
        elif "state_names" in cls.__dict__:
            cls.State = namedtuple(f"{cls.__name__}State", cls.state_names)

    def __init__(self, *, threshold=1.0, surrogate_fn: Callable = atan_surrogate, learn_threshold: bool = False,
                 **scalars):
        """``scalars``: ``name=value`` (a buffer) or ``name=(value, learn)``; ranges from :data:`_RANGES`."""
        super().__init__()
        if not callable(surrogate_fn):
            raise TypeError(f"surrogate_fn must be callable, not {surrogate_fn!r}")
        self.surrogate_fn = surrogate_fn
        self._scalar("threshold", threshold, learn_threshold)
        for name, spec in scalars.items():
            value, learn = spec if isinstance(spec, tuple) else (spec, False)
            self._scalar(name, value, learn)

    # ---------------------------------------------------------------- parameters
    def _scalar(self, name: str, value, learn: bool) -> None:
        """Register a scalar as a trainable parameter (``learn``) or a buffer, after checking it."""
        if not isinstance(learn, bool):
            raise TypeError(f"learn_{name} must be a bool, not {learn!r}")
        value = _number(name, value)
        kind = _RANGES.get(name)
        if kind == "unit" and not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be in [0, 1], not {value!r}")
        if kind == "positive" and not value > 0:
            raise ValueError(f"{name} must be > 0, not {value!r}")
        if kind == "non-negative" and not value >= 0:
            raise ValueError(f"{name} must be >= 0, not {value!r}")
        tensor = torch.tensor(value, dtype=torch.float32)
        if learn:
            setattr(self, name, nn.Parameter(tensor))
        else:
            self.register_buffer(name, tensor)
        if kind == "unit":
            self._unit_params = getattr(self, "_unit_params", ()) + (name,)

    def param(self, name: str) -> torch.Tensor:
        """The value used in the dynamics (trainable decays clamped to [0, 1])."""
        value = getattr(self, name)
        if isinstance(value, nn.Parameter) and name in getattr(self, "_unit_params", ()):
            return value.clamp(0.0, 1.0)
        return value

    def step_parameters(self):
        """The frozen record (``self.Parameters``) of the values used now: what ``step`` receives."""
        return self.Parameters(**{name: self.param(name) for name in self._parameter_names})

    # ---------------------------------------------------------------- firing
    def fire(self, v: torch.Tensor, threshold) -> torch.Tensor:
        """``surrogate_fn(v - threshold)``."""
        return self.surrogate_fn(v - threshold)

    @staticmethod
    def reset(v: torch.Tensor, spike: torch.Tensor, threshold) -> torch.Tensor:
        """Subtract reset with the spike detached: ``v - spike.detach() * threshold``."""
        return v - spike.detach() * threshold

    # ---------------------------------------------------------------- state
    def init_state(self, batch_size: int, *shape: int, device=None, dtype=None):
        """The zero state for ``(batch_size, *shape)`` neurons (device and dtype default to the cell's)."""
        device = self.threshold.device if device is None else device
        dtype = self.threshold.dtype if dtype is None else dtype
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, not {batch_size!r}")
        for n in shape:
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise ValueError(f"neuron shape must be positive integers, not {shape!r}")
        full = (batch_size, *shape)
        return self.State(*(torch.zeros(full, device=device, dtype=dtype) for _ in self.state_names))

    def _check_current(self, current) -> None:
        if not isinstance(current, torch.Tensor):
            raise TypeError(f"{type(self).__name__} expects a torch.Tensor current, not {type(current).__name__}")
        if not current.is_floating_point():
            raise TypeError(f"{type(self).__name__} expects a floating-point current, not dtype {current.dtype}")

    def _check_state(self, state, shape) -> tuple:
        if state is None:
            return None
        if not isinstance(state, tuple) or len(state) != len(self.state_names):
            raise TypeError(f"state must be a {type(self).__name__}.State {self.state_names}, not {type(state).__name__}")
        for name, value in zip(self.state_names, state):
            if tuple(value.shape) != tuple(shape):
                raise ValueError(f"state {name} has shape {tuple(value.shape)}, current has {tuple(shape)}")
        return self.State(*state)

    def _zero_state(self, current: torch.Tensor):
        return self.State(*(torch.zeros_like(current) for _ in self.state_names))

    @staticmethod
    def _membrane(state) -> torch.Tensor:
        return state.v

    # ---------------------------------------------------------------- running
    def _step(self, current: torch.Tensor, state):
        return self.step(current, state, self.step_parameters())

    def forward(self, current: torch.Tensor, state=None):
        """One step: ``(spike, new_state)``."""
        self._check_current(current)
        state = self._check_state(state, current.shape)
        if state is None:
            state = self._zero_state(current)
        return self._step(current, state)

    def sequence(self, currents: torch.Tensor, state=None, *, steps: int | None = None):
        """``T`` steps: ``(spikes (T, ...), membranes (T, ...), final_state)``.

        ``currents`` is ``(T, batch, ...)``; or, with ``steps=T``, one ``(batch, ...)`` current
        applied at every step.
        """
        self._check_current(currents)
        if steps is not None:
            if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
                raise ValueError(f"steps must be a positive integer, not {steps!r}")
            shape = currents.shape
        else:
            if currents.dim() < 2:
                raise ValueError(f"currents must be (T, batch, ...), got shape {tuple(currents.shape)}")
            shape = currents.shape[1:]
        state = self._check_state(state, shape)
        return self._sequence(_Steps(currents, steps), state, currents)

    def _sequence(self, inputs, state, like):
        if state is None:
            state = self._zero_state(inputs[0])
        spikes, membranes = [], []
        for current in inputs:
            spike, state = self._step(current, state)
            spikes.append(spike)
            membranes.append(self._membrane(state))
        return torch.stack(spikes), torch.stack(membranes), state


class _Steps:
    """The per-step inputs of :meth:`SpikingCell.sequence`: one current ``steps`` times (``const``), or the rows of
    a ``(T, ...)`` tensor, split only when a step loop reads them (the fused kernels take the whole tensor)."""

    def __init__(self, currents: torch.Tensor, steps: int | None):
        self.currents, self.steps, self._rows = currents, steps, None

    @property
    def const(self) -> bool:
        return self.steps is not None

    def __len__(self) -> int:
        return self.steps if self.const else self.currents.shape[0]

    def __getitem__(self, t: int) -> torch.Tensor:
        if self.const:
            if not -self.steps <= t < self.steps:
                raise IndexError(f"step {t} of {self.steps}")
            return self.currents
        if self._rows is None:
            self._rows = self.currents.unbind(0)
        return self._rows[t]

    def __iter__(self):
        return (self[t] for t in range(len(self)))


class LIFCell(SpikingCell):
    """Leaky integrate-and-fire (:func:`lif_step`): ``v = beta v + I; s = H(v - theta); v -= s theta``.

    ``reset_mode`` (:data:`RESET_MODES`, :func:`lif_reset`): ``"subtract"`` (the default, above),
    ``"zero"`` or ``"subtract-delayed"`` (snnTorch's default; needs ``beta > 0``).  Only ``"subtract"``
    runs through the fused kernel.
    """

    #: Multiplies the input current (``LapicqueCell`` sets ``(1 - beta) R``).
    input_gain = 1.0
    reset_mode = "subtract"

    def __init__(self, beta=0.9, threshold=1.0, surrogate_fn: Callable = atan_surrogate, learn_beta: bool = False,
                 learn_threshold: bool = False, fused: bool = True, *, reset_mode: str = "subtract"):
        super().__init__(threshold=threshold, surrogate_fn=surrogate_fn, learn_threshold=learn_threshold,
                         beta=(beta, learn_beta))
        if not isinstance(fused, bool):
            raise TypeError(f"fused must be a bool, not {fused!r}")
        if reset_mode not in RESET_MODES:
            raise ValueError(f"reset_mode must be one of {RESET_MODES}, not {reset_mode!r}")
        if reset_mode == "subtract-delayed" and not float(self.beta) > 0:
            raise ValueError("reset_mode='subtract-delayed' subtracts threshold / beta: beta must be > 0")
        self.fused = fused
        self.reset_mode = reset_mode

    def _sequence(self, inputs, state, like):
        if not (self.fused and self.reset_mode == "subtract" and isinstance(self.surrogate_fn, Surrogate)):
            return super()._sequence(inputs, state, like)
        p = self.step_parameters()
        steps = len(inputs) if inputs.const else None
        current = like if p.input_gain == 1.0 else like * p.input_gain
        v0 = None if state is None else state.v
        spikes, membranes = lif_sequence(current, p.beta, p.threshold, p.surrogate_fn, v0=v0, steps=steps)
        return spikes, membranes, self.State(membranes[-1])


class IFCell(LIFCell):
    """Integrate-and-fire, no leak (``beta = 1``)."""

    def __init__(self, threshold=1.0, surrogate_fn: Callable = atan_surrogate, learn_threshold: bool = False, fused=True):
        super().__init__(1.0, threshold, surrogate_fn, False, learn_threshold, fused)


class LapicqueCell(LIFCell):
    """RC membrane with explicit ``tau``, ``R`` and ``dt``: ``beta = exp(-dt / tau)``,
    ``v = beta v + (1 - beta) R I`` (the exact solution for a current held over ``dt``)."""

    def __init__(self, tau=5.0, R=1.0, dt=1.0, threshold=1.0, surrogate_fn: Callable = atan_surrogate,
                 learn_threshold: bool = False, fused: bool = True):
        for name, value in (("tau", tau), ("R", R), ("dt", dt)):
            if not _number(name, value) > 0:
                raise ValueError(f"{name} must be > 0, not {value!r}")
        beta = math.exp(-float(dt) / float(tau))
        super().__init__(beta, threshold, surrogate_fn, False, learn_threshold, fused)
        self.tau, self.R, self.dt = float(tau), float(R), float(dt)
        self.input_gain = (1.0 - beta) * self.R


class SynapticCell(SpikingCell):
    """Current-based synapse (:func:`synaptic_step`): ``i = alpha i + I; v = beta v + i``, then fire and reset."""

    State, Parameters, step = SynapticState, SynapticParameters, staticmethod(synaptic_step)

    def __init__(self, alpha=0.8, beta=0.9, threshold=1.0, surrogate_fn: Callable = atan_surrogate,
                 learn_alpha: bool = False, learn_beta: bool = False, learn_threshold: bool = False):
        super().__init__(threshold=threshold, surrogate_fn=surrogate_fn, learn_threshold=learn_threshold,
                         alpha=(alpha, learn_alpha), beta=(beta, learn_beta))


class ALIFCell(SpikingCell):
    """Adaptive threshold (Bellec et al. 2020; :func:`alif_step`): fires at ``theta + adapt_strength * a``,
    resets by that threshold, then ``a = adapt_decay * a + s``."""

    State, Parameters, step = ALIFState, ALIFParameters, staticmethod(alif_step)

    def __init__(self, beta=0.9, threshold=1.0, adapt_decay=0.95, adapt_strength=0.2,
                 surrogate_fn: Callable = atan_surrogate, learn_beta: bool = False, learn_threshold: bool = False):
        super().__init__(threshold=threshold, surrogate_fn=surrogate_fn, learn_threshold=learn_threshold,
                         beta=(beta, learn_beta), adapt_decay=adapt_decay, adapt_strength=adapt_strength)


class ExpIFCell(SpikingCell):
    """Exponential integrate-and-fire (:func:`expif_step`): ``v = beta v + (1 - beta) delta_t
    exp((min(v, theta) - v_rheobase) / delta_t) + I`` (the previous ``v``, clipped at the threshold
    so the drive stays finite)."""

    Parameters, step = ExpIFParameters, staticmethod(expif_step)

    def __init__(self, beta=0.9, threshold=1.0, v_rheobase=0.8, delta_t=0.1, surrogate_fn: Callable = atan_surrogate,
                 learn_beta: bool = False, learn_threshold: bool = False):
        super().__init__(threshold=threshold, surrogate_fn=surrogate_fn, learn_threshold=learn_threshold,
                         beta=(beta, learn_beta), v_rheobase=v_rheobase, delta_t=delta_t)


class AdExCell(ExpIFCell):
    """Adaptive exponential IF (Brette & Gerstner 2005; :func:`adex_step`): the ExpIF drive minus ``w``;
    ``w = adapt_decay w + (1 - adapt_decay) a v_prev + b s``."""

    State, Parameters, step = AdExState, AdExParameters, staticmethod(adex_step)

    def __init__(self, beta=0.9, threshold=1.0, v_rheobase=0.8, delta_t=0.1, adapt_decay=0.95, a=0.1, b=0.05,
                 surrogate_fn: Callable = atan_surrogate, learn_beta: bool = False, learn_threshold: bool = False):
        SpikingCell.__init__(self, threshold=threshold, surrogate_fn=surrogate_fn, learn_threshold=learn_threshold,
                             beta=(beta, learn_beta), v_rheobase=v_rheobase, delta_t=delta_t,
                             adapt_decay=adapt_decay, a=a, b=b)


class AlphaCell(SpikingCell):
    """Separate excitatory / inhibitory synapses (:func:`alpha_step`): ``i_exc = alpha_exc i_exc + relu(I)``,
    ``i_inh = alpha_inh i_inh + relu(-I)``, ``v = beta v + i_exc - i_inh``."""

    State, Parameters, step = AlphaState, AlphaParameters, staticmethod(alpha_step)

    def __init__(self, alpha_exc=0.9, alpha_inh=0.8, beta=0.9, threshold=1.0, surrogate_fn: Callable = atan_surrogate,
                 learn_beta: bool = False, learn_threshold: bool = False):
        super().__init__(threshold=threshold, surrogate_fn=surrogate_fn, learn_threshold=learn_threshold,
                         alpha_exc=alpha_exc, alpha_inh=alpha_inh, beta=(beta, learn_beta))


class SecondOrderLIFCell(SpikingCell):
    """Inertial LIF (:func:`second_order_lif_step`): ``a = alpha a + I - stiffness v_prev; v = beta v + a``
    (``stiffness=0`` is :class:`SynapticCell`)."""

    State, Parameters, step = SecondOrderLIFState, SecondOrderLIFParameters, staticmethod(second_order_lif_step)

    def __init__(self, alpha=0.8, beta=0.9, threshold=1.0, stiffness=0.1, surrogate_fn: Callable = atan_surrogate,
                 learn_beta: bool = False, learn_threshold: bool = False):
        super().__init__(threshold=threshold, surrogate_fn=surrogate_fn, learn_threshold=learn_threshold,
                         alpha=alpha, beta=(beta, learn_beta), stiffness=stiffness)


class RecurrentLIFCell(SpikingCell):
    """LIF with trainable all-to-all recurrent weights (:func:`recurrent_lif_step`):
    ``v = beta v + I + W_rec spike_prev``, then the LIF reset ``reset_mode`` (:data:`RESET_MODES`).

    ``recurrent_init``: ``"uniform"`` (the default: ``nn.Linear``'s, ``U(-1/sqrt(n), 1/sqrt(n))``) or ``"zeros"``
    (``W_rec = 0``: the cell starts as a LIF cell, and no random number is drawn for it).  The spikes of the step
    before stay in the graph: gradients flow through time along ``W_rec`` as well as along the membrane.

    With a :class:`~sc_neurocore.training.surrogates.Surrogate`, the subtract reset and ``fused=True`` (the
    default), ``sequence`` runs through the fused recurrent kernel (:mod:`~sc_neurocore.training.recurrent_kernel`:
    one autograd node for all ``T`` steps, the same spikes and membranes bit for bit and the same gradients);
    otherwise the step loop over :func:`recurrent_lif_step`.
    """

    State, Parameters, step = RecurrentLIFState, RecurrentLIFParameters, staticmethod(recurrent_lif_step)
    #: ``recurrent_init`` choices.
    RECURRENT_INITS = ("uniform", "zeros")

    def __init__(self, n_neurons: int, beta=0.9, threshold=1.0, surrogate_fn: Callable = atan_surrogate,
                 learn_beta: bool = False, learn_threshold: bool = False, *, reset_mode: str = "subtract",
                 recurrent_init: str = "uniform", fused: bool = True):
        if isinstance(n_neurons, bool) or not isinstance(n_neurons, int) or n_neurons < 1:
            raise ValueError(f"n_neurons must be a positive integer, not {n_neurons!r}")
        if reset_mode not in RESET_MODES:
            raise ValueError(f"reset_mode must be one of {RESET_MODES}, not {reset_mode!r}")
        if recurrent_init not in self.RECURRENT_INITS:
            raise ValueError(f"recurrent_init must be one of {self.RECURRENT_INITS}, not {recurrent_init!r}")
        if not isinstance(fused, bool):
            raise TypeError(f"fused must be a bool, not {fused!r}")
        super().__init__(threshold=threshold, surrogate_fn=surrogate_fn, learn_threshold=learn_threshold,
                         beta=(beta, learn_beta))
        if reset_mode == "subtract-delayed" and not float(self.beta) > 0:
            raise ValueError("reset_mode='subtract-delayed' subtracts threshold / beta: beta must be > 0")
        self.n_neurons = n_neurons
        self.reset_mode = reset_mode
        self.fused = fused
        if recurrent_init == "zeros":  # skip_init: the weight is not drawn, so the global generator does not move
            self.recurrent = nn.utils.skip_init(nn.Linear, n_neurons, n_neurons, bias=False)
            nn.init.zeros_(self.recurrent.weight)
        else:
            self.recurrent = nn.Linear(n_neurons, n_neurons, bias=False)

    @property
    def recurrent_weight(self) -> torch.Tensor:
        """``W_rec`` (``self.recurrent.weight``), what :class:`RecurrentLIFParameters` carries."""
        return self.recurrent.weight

    def init_state(self, batch_size: int, *shape: int, device=None, dtype=None):
        return super().init_state(batch_size, *(shape or (self.n_neurons,)), device=device, dtype=dtype)

    def _check_current(self, current) -> None:
        super()._check_current(current)
        if current.shape[-1] != self.n_neurons:
            raise ValueError(f"current's last axis is {current.shape[-1]}, this cell has {self.n_neurons} neurons")

    def _sequence(self, inputs, state, like):
        if not (self.fused and self.reset_mode == "subtract" and isinstance(self.surrogate_fn, Surrogate)):
            return super()._sequence(inputs, state, like)
        p = self.step_parameters()
        current = like.expand(len(inputs), *like.shape) if inputs.const else like
        v0, s0 = (None, None) if state is None else state
        spikes, membranes = recurrent_lif_sequence(current, p.recurrent_weight, p.beta, p.threshold, p.surrogate_fn,
                                                   v0=v0, s0=s0)
        return spikes, membranes, self.State(membranes[-1], spikes[-1])
