"""Spiking neuron cells: one base class, one ``_step`` per model.

Every cell works on currents of any shape ``(batch, *neurons)`` and keeps its state in a named
tuple (``cell.State``, fields ``cell.state_names``).  Two ways to run it:

* single step: ``spike, state = cell(current, state)`` (``state=None`` starts from zeros);
* multi step: ``spikes, membranes, state = cell.sequence(currents, state)`` with ``currents`` of
  shape ``(T, batch, *neurons)``, or ``cell.sequence(current, steps=T)`` for one current applied
  at every step.  ``membranes`` is the post-reset membrane of every step.

``cell.init_state(batch, *neurons)`` builds the zero state explicitly.

Firing is ``s = surrogate_fn(v - theta)`` (Heaviside forward, surrogate backward); the reset
subtracts ``s * theta`` with ``s`` detached from the graph.  Decay factors (``beta``, ``alpha``,
...) lie in [0, 1]; ``learn_<name>=True`` makes one a trainable scalar (clamped to [0, 1] when
used), otherwise it is a buffer.  ``learn_threshold=True`` makes the threshold trainable.

With a :class:`~sc_neurocore.training.surrogates.Surrogate`, :class:`LIFCell` (and
:class:`IFCell`, :class:`LapicqueCell`) runs ``sequence`` through the fused kernel
(:mod:`~sc_neurocore.training.lif_kernel`); any other callable uses the generic step loop.
Both give the same spikes, membranes and gradients.

===================  =========================  ===================================================
cell                 state                      step (``H`` = fire, reset after firing)
===================  =========================  ===================================================
LIFCell              v                          ``v = beta v + I``
IFCell               v                          ``v = v + I``
LapicqueCell         v                          ``v = beta v + (1 - beta) R I``, ``beta = exp(-dt/tau)``
SynapticCell         i_syn, v                   ``i = alpha i + I``; ``v = beta v + i``
ALIFCell             v, a                       ``v = beta v + I``; fire at ``theta + gamma a``;
                                                ``a = rho a + s``
ExpIFCell            v                          ``v = beta v + (1-beta) dT exp((min(v,theta)-v_rh)/dT) + I``
AdExCell             v, w                       ExpIF drive ``- w``; ``w = rho w + (1-rho) a v_prev + b s``
AlphaCell            i_exc, i_inh, v            ``i_e = a_e i_e + relu(I)``; ``i_i = a_i i_i + relu(-I)``;
                                                ``v = beta v + i_e - i_i``
SecondOrderLIFCell   a, v                       ``a = alpha a + I - kappa v``; ``v = beta v + a``
RecurrentLIFCell     v, spike_prev              ``v = beta v + I + W_rec spike_prev``
===================  =========================  ===================================================
"""

from __future__ import annotations

import math
from collections import namedtuple
from collections.abc import Callable

import torch
from torch import nn

from .lif_kernel import lif_sequence
from .surrogates import Surrogate, atan_surrogate

__all__ = [
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
]


def _number(name: str, value) -> float:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, not {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, not {value!r}")
    return value


class SpikingCell(nn.Module):
    """Base class: parameters, firing, reset, state handling and the generic step loop.

    Subclasses set ``state_names`` and implement ``_step(current, state) -> (spike, state)``
    and (when the membrane is not ``state.v``) ``_membrane(state)``.
    """

    state_names: tuple[str, ...] = ("v",)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.State = namedtuple(f"{cls.__name__}State", cls.state_names)

    def __init__(self, *, threshold=1.0, surrogate_fn: Callable = atan_surrogate, learn_threshold: bool = False):
        super().__init__()
        if not callable(surrogate_fn):
            raise TypeError(f"surrogate_fn must be callable, not {surrogate_fn!r}")
        self.surrogate_fn = surrogate_fn
        self._scalar("threshold", threshold, learn_threshold, positive=True)

    # ---------------------------------------------------------------- parameters
    def _scalar(self, name: str, value, learn: bool, *, unit: bool = False, positive: bool = False) -> None:
        """Register a scalar as a trainable parameter (``learn``) or a buffer, after checking it."""
        if not isinstance(learn, bool):
            raise TypeError(f"learn_{name} must be a bool, not {learn!r}")
        value = _number(name, value)
        if unit and not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be in [0, 1], not {value!r}")
        if positive and not value > 0:
            raise ValueError(f"{name} must be > 0, not {value!r}")
        tensor = torch.tensor(value, dtype=torch.float32)
        if learn:
            setattr(self, name, nn.Parameter(tensor))
        else:
            self.register_buffer(name, tensor)
        if unit:
            self._unit_params = getattr(self, "_unit_params", ()) + (name,)

    def param(self, name: str) -> torch.Tensor:
        """The value used in the dynamics (trainable decays clamped to [0, 1])."""
        value = getattr(self, name)
        if isinstance(value, nn.Parameter) and name in getattr(self, "_unit_params", ()):
            return value.clamp(0.0, 1.0)
        return value

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
    def _step(self, current: torch.Tensor, state):  # pragma: no cover - abstract
        raise NotImplementedError

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
            inputs, shape = (currents,) * steps, currents.shape
        else:
            if currents.dim() < 2:
                raise ValueError(f"currents must be (T, batch, ...), got shape {tuple(currents.shape)}")
            inputs, shape = currents.unbind(0), currents.shape[1:]
        state = self._check_state(state, shape)
        return self._sequence(inputs, state, currents)

    def _sequence(self, inputs, state, like):
        if state is None:
            state = self._zero_state(inputs[0])
        spikes, membranes = [], []
        for current in inputs:
            spike, state = self._step(current, state)
            spikes.append(spike)
            membranes.append(self._membrane(state))
        return torch.stack(spikes), torch.stack(membranes), state


class LIFCell(SpikingCell):
    """Leaky integrate-and-fire: ``v = beta v + I; s = H(v - theta); v -= s theta``."""

    state_names = ("v",)
    #: Multiplies the input current (``LapicqueCell`` sets ``(1 - beta) R``).
    input_gain = 1.0

    def __init__(
        self,
        beta=0.9,
        threshold=1.0,
        surrogate_fn: Callable = atan_surrogate,
        learn_beta: bool = False,
        learn_threshold: bool = False,
        fused: bool = True,
    ):
        super().__init__(threshold=threshold, surrogate_fn=surrogate_fn, learn_threshold=learn_threshold)
        self._scalar("beta", beta, learn_beta, unit=True)
        if not isinstance(fused, bool):
            raise TypeError(f"fused must be a bool, not {fused!r}")
        self.fused = fused

    def _step(self, current, state):
        theta = self.threshold
        v = self.param("beta") * state.v + self.input_gain * current
        spike = self.fire(v, theta)
        return spike, self.State(self.reset(v, spike, theta))

    def _sequence(self, inputs, state, like):
        if not (self.fused and isinstance(self.surrogate_fn, Surrogate)):
            return super()._sequence(inputs, state, like)
        steps = len(inputs) if inputs[0] is like else None
        current = like if self.input_gain == 1.0 else like * self.input_gain
        spikes, membranes = lif_sequence(
            current,
            self.param("beta"),
            self.threshold,
            self.surrogate_fn,
            v0=None if state is None else state.v,
            steps=steps,
        )
        return spikes, membranes, self.State(membranes[-1])


class IFCell(LIFCell):
    """Integrate-and-fire, no leak (``beta = 1``)."""

    def __init__(self, threshold=1.0, surrogate_fn: Callable = atan_surrogate, learn_threshold: bool = False, fused=True):
        super().__init__(1.0, threshold, surrogate_fn, False, learn_threshold, fused)


class LapicqueCell(LIFCell):
    """RC membrane with explicit ``tau``, ``R`` and ``dt``: ``beta = exp(-dt / tau)``,
    ``v = beta v + (1 - beta) R I`` (the exact solution for a current held over ``dt``)."""

    def __init__(
        self,
        tau=5.0,
        R=1.0,
        dt=1.0,
        threshold=1.0,
        surrogate_fn: Callable = atan_surrogate,
        learn_threshold: bool = False,
        fused: bool = True,
    ):
        for name, value in (("tau", tau), ("R", R), ("dt", dt)):
            if not _number(name, value) > 0:
                raise ValueError(f"{name} must be > 0, not {value!r}")
        beta = math.exp(-float(dt) / float(tau))
        super().__init__(beta, threshold, surrogate_fn, False, learn_threshold, fused)
        self.tau, self.R, self.dt = float(tau), float(R), float(dt)
        self.input_gain = (1.0 - beta) * self.R


class SynapticCell(SpikingCell):
    """Current-based synapse: ``i = alpha i + I; v = beta v + i``, then fire and reset."""

    state_names = ("i_syn", "v")

    def __init__(
        self,
        alpha=0.8,
        beta=0.9,
        threshold=1.0,
        surrogate_fn: Callable = atan_surrogate,
        learn_alpha: bool = False,
        learn_beta: bool = False,
        learn_threshold: bool = False,
    ):
        super().__init__(threshold=threshold, surrogate_fn=surrogate_fn, learn_threshold=learn_threshold)
        self._scalar("alpha", alpha, learn_alpha, unit=True)
        self._scalar("beta", beta, learn_beta, unit=True)

    def _step(self, current, state):
        i_syn = self.param("alpha") * state.i_syn + current
        v = self.param("beta") * state.v + i_syn
        spike = self.fire(v, self.threshold)
        return spike, self.State(i_syn, self.reset(v, spike, self.threshold))


class ALIFCell(SpikingCell):
    """Adaptive threshold (Bellec et al. 2020): fires at ``theta + adapt_strength * a``,
    resets by that threshold, then ``a = adapt_decay * a + s``."""

    state_names = ("v", "a")

    def __init__(
        self,
        beta=0.9,
        threshold=1.0,
        adapt_decay=0.95,
        adapt_strength=0.2,
        surrogate_fn: Callable = atan_surrogate,
        learn_beta: bool = False,
        learn_threshold: bool = False,
    ):
        super().__init__(threshold=threshold, surrogate_fn=surrogate_fn, learn_threshold=learn_threshold)
        self._scalar("beta", beta, learn_beta, unit=True)
        self._scalar("adapt_decay", adapt_decay, False, unit=True)
        if not _number("adapt_strength", adapt_strength) >= 0:
            raise ValueError(f"adapt_strength must be >= 0, not {adapt_strength!r}")
        self._scalar("adapt_strength", adapt_strength, False)

    def _step(self, current, state):
        theta = self.threshold + self.adapt_strength * state.a
        v = self.param("beta") * state.v + current
        spike = self.fire(v, theta)
        a = self.adapt_decay * state.a + spike
        return spike, self.State(self.reset(v, spike, theta), a)


class ExpIFCell(SpikingCell):
    """Exponential integrate-and-fire: ``v = beta v + (1 - beta) delta_t exp((min(v, theta) - v_rheobase)
    / delta_t) + I`` (the previous ``v``, clipped at the threshold so the drive stays finite)."""

    state_names = ("v",)

    def __init__(
        self,
        beta=0.9,
        threshold=1.0,
        v_rheobase=0.8,
        delta_t=0.1,
        surrogate_fn: Callable = atan_surrogate,
        learn_beta: bool = False,
        learn_threshold: bool = False,
    ):
        super().__init__(threshold=threshold, surrogate_fn=surrogate_fn, learn_threshold=learn_threshold)
        self._scalar("beta", beta, learn_beta, unit=True)
        self._scalar("v_rheobase", v_rheobase, False)
        self._scalar("delta_t", delta_t, False, positive=True)

    def _drive(self, v: torch.Tensor, beta) -> torch.Tensor:
        upstroke = torch.exp((torch.minimum(v, self.threshold) - self.v_rheobase) / self.delta_t)
        return beta * v + (1 - beta) * self.delta_t * upstroke

    def _step(self, current, state):
        v = self._drive(state.v, self.param("beta")) + current
        spike = self.fire(v, self.threshold)
        return spike, self.State(self.reset(v, spike, self.threshold))


class AdExCell(ExpIFCell):
    """Adaptive exponential IF (Brette & Gerstner 2005): the ExpIF drive minus ``w``;
    ``w = adapt_decay w + (1 - adapt_decay) a v_prev + b s``."""

    state_names = ("v", "w")

    def __init__(
        self,
        beta=0.9,
        threshold=1.0,
        v_rheobase=0.8,
        delta_t=0.1,
        adapt_decay=0.95,
        a=0.1,
        b=0.05,
        surrogate_fn: Callable = atan_surrogate,
        learn_beta: bool = False,
        learn_threshold: bool = False,
    ):
        super().__init__(beta, threshold, v_rheobase, delta_t, surrogate_fn, learn_beta, learn_threshold)
        self._scalar("adapt_decay", adapt_decay, False, unit=True)
        self._scalar("a", a, False)
        if not _number("b", b) >= 0:
            raise ValueError(f"b must be >= 0, not {b!r}")
        self._scalar("b", b, False)

    def _step(self, current, state):
        v = self._drive(state.v, self.param("beta")) - state.w + current
        spike = self.fire(v, self.threshold)
        w = self.adapt_decay * state.w + (1 - self.adapt_decay) * self.a * state.v + self.b * spike
        return spike, self.State(self.reset(v, spike, self.threshold), w)


class AlphaCell(SpikingCell):
    """Separate excitatory / inhibitory synapses: ``i_exc = alpha_exc i_exc + relu(I)``,
    ``i_inh = alpha_inh i_inh + relu(-I)``, ``v = beta v + i_exc - i_inh``."""

    state_names = ("i_exc", "i_inh", "v")

    def __init__(
        self,
        alpha_exc=0.9,
        alpha_inh=0.8,
        beta=0.9,
        threshold=1.0,
        surrogate_fn: Callable = atan_surrogate,
        learn_beta: bool = False,
        learn_threshold: bool = False,
    ):
        super().__init__(threshold=threshold, surrogate_fn=surrogate_fn, learn_threshold=learn_threshold)
        self._scalar("alpha_exc", alpha_exc, False, unit=True)
        self._scalar("alpha_inh", alpha_inh, False, unit=True)
        self._scalar("beta", beta, learn_beta, unit=True)

    def _step(self, current, state):
        i_exc = self.alpha_exc * state.i_exc + torch.relu(current)
        i_inh = self.alpha_inh * state.i_inh + torch.relu(-current)
        v = self.param("beta") * state.v + i_exc - i_inh
        spike = self.fire(v, self.threshold)
        return spike, self.State(i_exc, i_inh, self.reset(v, spike, self.threshold))


class SecondOrderLIFCell(SpikingCell):
    """Inertial LIF: ``a = alpha a + I - stiffness v_prev; v = beta v + a`` (``stiffness=0``
    is :class:`SynapticCell`)."""

    state_names = ("a", "v")

    def __init__(
        self,
        alpha=0.8,
        beta=0.9,
        threshold=1.0,
        stiffness=0.1,
        surrogate_fn: Callable = atan_surrogate,
        learn_beta: bool = False,
        learn_threshold: bool = False,
    ):
        super().__init__(threshold=threshold, surrogate_fn=surrogate_fn, learn_threshold=learn_threshold)
        self._scalar("alpha", alpha, False, unit=True)
        self._scalar("beta", beta, learn_beta, unit=True)
        if not _number("stiffness", stiffness) >= 0:
            raise ValueError(f"stiffness must be >= 0, not {stiffness!r}")
        self._scalar("stiffness", stiffness, False)

    def _step(self, current, state):
        a = self.alpha * state.a + current - self.stiffness * state.v
        v = self.param("beta") * state.v + a
        spike = self.fire(v, self.threshold)
        return spike, self.State(a, self.reset(v, spike, self.threshold))


class RecurrentLIFCell(SpikingCell):
    """LIF with trainable all-to-all recurrent weights: ``v = beta v + I + W_rec spike_prev``."""

    state_names = ("v", "spike_prev")

    def __init__(
        self,
        n_neurons: int,
        beta=0.9,
        threshold=1.0,
        surrogate_fn: Callable = atan_surrogate,
        learn_beta: bool = False,
        learn_threshold: bool = False,
    ):
        if isinstance(n_neurons, bool) or not isinstance(n_neurons, int) or n_neurons < 1:
            raise ValueError(f"n_neurons must be a positive integer, not {n_neurons!r}")
        super().__init__(threshold=threshold, surrogate_fn=surrogate_fn, learn_threshold=learn_threshold)
        self._scalar("beta", beta, learn_beta, unit=True)
        self.n_neurons = n_neurons
        self.recurrent = nn.Linear(n_neurons, n_neurons, bias=False)

    def init_state(self, batch_size: int, *shape: int, device=None, dtype=None):
        return super().init_state(batch_size, *(shape or (self.n_neurons,)), device=device, dtype=dtype)

    def _check_current(self, current) -> None:
        super()._check_current(current)
        if current.shape[-1] != self.n_neurons:
            raise ValueError(f"current's last axis is {current.shape[-1]}, this cell has {self.n_neurons} neurons")

    def _step(self, current, state):
        v = self.param("beta") * state.v + current + self.recurrent(state.spike_prev)
        spike = self.fire(v, self.threshold)
        return spike, self.State(self.reset(v, spike, self.threshold), spike)
