"""Leaky integrate-and-fire neuron in the contract's fixed point.

Model: :func:`sc_neurocore.sc.fixed.lif_step`:
``v = sat(((beta_q * v) >> beta_bits) + I)``; ``s = v > theta_q``; ``v = v - s * theta_q``
(floor shift, strict ``>``, subtract reset, saturating).  :class:`LIFNeuron` is one neuron with
its membrane register (:func:`lif_update`; subtract reset, a leak below 1); :class:`LIFStep` is the
network engine's neuron model (a :class:`~sc_neurocore.hw.neuron.NeuronSignature` with per-layer
constants), built on :func:`lif_update_split`, the same step with the threshold subtraction moved off
the membrane loop, or, for a net whose layers use the contract's other conventions (``reset="zero"``,
a subtract of ``reset_q`` other than the threshold, :func:`~sc_neurocore.sc.contract.check_lif_constants`),
on :func:`lif_update_reset`.  A leak of ``beta_q = 2**beta_bits`` (no leak: integrate-and-fire) widens
the leak constant by one bit.
"""

from __future__ import annotations

from collections.abc import Sequence

from amaranth.hdl import Array, Const, Module, Mux, Signal, Value, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..sc.contract import Q8_8, UQ0_8, FixedPoint, check_lif_constants
from ..sc.fixed import lif_step
from .checks import Validated
from .neuron import NeuronSignature
from .sc_dot import saturate

#: How :class:`LIFStep` multiplies the membrane by the leak.
LEAKS = ("lut", "multiplier")

__all__ = ["LEAKS", "LIFNeuron", "LIFStep", "constant_leak", "constant_product", "csd_digits", "lif_update", "lif_update_split",
           "lif_update_reset"]


def csd_digits(value: int) -> list[tuple[int, int]]:
    """The canonical signed-digit form of ``value >= 0``: ``[(shift, +1 or -1), ...]`` with
    ``value == sum(d << k for k, d in digits)`` and no two adjacent non-zero digits (the fewest adders)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"csd_digits takes a non-negative int, not {value!r}")
    out, k = [], 0
    while value:
        if value & 1:
            d = 2 - (value & 3)  # +1 if the next bit is 0, else -1 (a run of ones becomes 2**n - 1)
            out.append((k, d))
            value -= d
        value >>= 1
        k += 1
    return out


def constant_product(v, constant: int):
    """``v * constant`` for a constant ``>= 0`` as shifts and adds of its signed digits (:func:`csd_digits`), a
    balanced tree of adders in LUTs: no multiplier block, so the membrane loop of a lane does not travel to a
    DSP tile and back (on the ECP5 that trip cost up to 8 ns of routing and made the loop net-dependent)."""
    v = Value.cast(v).as_signed()
    terms = [(v << k) if d > 0 else -(v << k) for k, d in csd_digits(int(constant))]
    if not terms:
        return Const(0, signed(2))
    while len(terms) > 1:
        terms = [terms[i] + terms[i + 1] if i + 1 < len(terms) else terms[i] for i in range(0, len(terms), 2)]
    return terms[0]


def constant_leak(v, betas: Sequence[int], layer, beta_bits: int = 8):
    """``(v * betas[layer]) >> beta_bits`` with per-layer constant leaks: one :func:`constant_product` per
    distinct leak, chosen by ``layer`` (floor shift: the integers of ``sc.fixed.lif_step``'s leak)."""
    distinct = sorted(set(int(b) for b in betas))
    products = {b: constant_product(v, b) for b in distinct}
    if len(distinct) == 1:
        return products[distinct[0]] >> beta_bits
    return Array([products[int(b)] for b in betas])[layer] >> beta_bits


def lif_update(v, current, beta, theta, fmt: FixedPoint = Q8_8, beta_bits: int = 8):
    """Expressions ``(v_next, spike)`` of one LIF step (see the module docstring).

    ``v``, ``current`` signed values in ``fmt``; ``beta`` an unsigned ``beta_bits`` value or
    int; ``theta`` a positive int or a signed value in ``fmt``.
    """
    v = Value.cast(v).as_signed()
    beta = Const(beta, beta_bits) if isinstance(beta, int) else Value.cast(beta)
    theta = Const(theta, signed(fmt.width)) if isinstance(theta, int) else Value.cast(theta).as_signed()
    leak = (v * beta.as_unsigned()) >> beta_bits
    v1 = saturate(leak + Value.cast(current).as_signed(), fmt)
    spike = v1 > theta
    v2 = (v1 - Mux(spike, theta, 0))[: fmt.width].as_signed()
    return v2, spike


def lif_update_split(v, current, current_minus_theta, beta, theta, fmt: FixedPoint = Q8_8, beta_bits: int = 8, *,
                     leak=None):
    """:func:`lif_update` with ``current - theta`` supplied (computed a clock earlier): ``(v_next, spike)``.

    The membrane loop then holds one multiply, two adders side by side and a multiplexer, not
    an adder, a clamp, a subtractor and a multiplexer in a row:
    ``sum = leak + I`` and ``sum_t = leak + (I - theta) = sum - theta``; above the format the
    clamped value is ``max_int`` (it spikes iff ``max_int > theta``), below it ``min_int`` (no
    spike, ``theta > 0``), else it spikes iff ``sum_t > 0`` and becomes ``sum_t``.  The same
    integers as :func:`lif_update` for ``theta`` in ``[1, max_int]`` (``tests/hw/test_lif.py``).
    ``leak``: ``(v * beta) >> beta_bits`` computed by the caller (:func:`constant_leak`), or ``None``.
    """
    v = Value.cast(v).as_signed()
    beta = Const(beta, beta_bits) if isinstance(beta, int) else Value.cast(beta)
    theta = Const(theta, signed(fmt.width)) if isinstance(theta, int) else Value.cast(theta).as_signed()
    leak = (v * beta.as_unsigned()) >> beta_bits if leak is None else Value.cast(leak)
    total = leak + Value.cast(current).as_signed()
    total_t = leak + Value.cast(current_minus_theta).as_signed()
    high, low = total > fmt.max_int, total < fmt.min_int
    fire_high = theta < fmt.max_int
    above = total_t > 0
    spike = Mux(high, fire_high, ~low & above)
    v_high = Mux(fire_high, Const(fmt.max_int, signed(fmt.width + 1)) - theta, fmt.max_int)
    v_next = Mux(high, v_high, Mux(low, fmt.min_int, Mux(above, total_t, total)))
    return v_next[: fmt.width].as_signed(), spike


def lif_update_reset(v, current, current_minus_theta, current_minus_reset, beta, theta, reset_q, zero,
                     fmt: FixedPoint = Q8_8, beta_bits: int = 8, *, leak=None):
    """:func:`lif_update_split` with the reset chosen per layer: ``(v_next, spike)``.

    ``zero`` (1 bit): a spike sets the membrane to 0; else it subtracts ``reset_q`` (for which
    ``current - reset_q`` is supplied, computed a clock earlier, like ``current - theta``).  The spike
    is the one of :func:`lif_update_split`; a spiking membrane lies in ``(theta, max_int]`` (``max_int``
    when the sum saturated high), so the subtraction stays in the format.  The integers of
    :func:`sc_neurocore.sc.fixed.lif_step` with ``reset="zero"`` or ``reset_q`` (``tests/hw/test_lif.py``).
    """
    v = Value.cast(v).as_signed()
    beta = Value.cast(beta)
    theta = Value.cast(theta).as_signed()
    reset_q = Value.cast(reset_q).as_signed()
    leak = (v * beta.as_unsigned()) >> beta_bits if leak is None else Value.cast(leak)
    total = leak + Value.cast(current).as_signed()
    total_t = leak + Value.cast(current_minus_theta).as_signed()
    total_r = leak + Value.cast(current_minus_reset).as_signed()
    high, low = total > fmt.max_int, total < fmt.min_int
    spike = Mux(high, theta < fmt.max_int, ~low & (total_t > 0))
    clamped = Mux(high, fmt.max_int, Mux(low, fmt.min_int, total))
    subtracted = Mux(high, Const(fmt.max_int, signed(fmt.width + 1)) - reset_q, total_r)
    v_next = Mux(spike, Mux(zero, 0, subtracted), clamped)
    return v_next[: fmt.width].as_signed(), spike


class LIFNeuron(Validated, wiring.Component):
    """One LIF neuron with its membrane register.

    Model: :func:`sc_neurocore.sc.fixed.lif_step` ``(v, current, beta_q, theta_q, fmt, beta_bits)``.

    Parameters
    ----------
    beta_q, theta_q : int or None
        Constants (``beta_q`` in ``[0, 2**beta_bits)``, ``theta_q`` in ``[1, fmt.max_int]``), or
        ``None`` for a port of that name (then a register the user drives).
    fmt : FixedPoint
        Membrane / current / threshold format (Q8.8).
    beta_bits : int
        Fraction bits of the unsigned leak (8).

    Attributes
    ----------
    en : In(1)
        Do one timestep at the clock edge.
    reset : In(1)
        Membrane to 0 (precedence over ``en``).
    current : In(signed(fmt.width))
        ``I`` of this timestep.
    beta : In(beta_bits)
        Only with ``beta_q=None``.
    theta : In(signed(fmt.width))
        Only with ``theta_q=None``; must be > 0.
    v : Out(signed(fmt.width))
        Membrane after the last step (after reset-by-subtraction).
    spike : Out(1)
        Spike of the last step (cleared by ``reset``).

    Latency: 1 cycle (``v``/``spike`` update at the edge where ``en`` is high).
    """

    @staticmethod
    def validate(beta_q: int | None = None, theta_q: int | None = None, *, fmt: FixedPoint = Q8_8,
                 beta_bits: int = 8) -> None:
        if not isinstance(fmt, FixedPoint) or not fmt.signed:
            raise TypeError(f"fmt must be a signed FixedPoint, not {fmt!r}")
        if isinstance(beta_bits, bool) or not isinstance(beta_bits, int) or not 1 <= beta_bits <= 32:
            raise ValueError(f"beta_bits must be an integer in [1, 32], not {beta_bits!r}")
        if beta_q is not None and (isinstance(beta_q, bool) or not isinstance(beta_q, int)
                                   or not 0 <= beta_q < (1 << beta_bits)):
            raise ValueError(f"beta_q must be None or in [0, {(1 << beta_bits) - 1}], not {beta_q!r}")
        if theta_q is not None and (isinstance(theta_q, bool) or not isinstance(theta_q, int)
                                    or not 1 <= theta_q <= fmt.max_int):
            raise ValueError(f"theta_q must be None or in [1, {fmt.max_int}], not {theta_q!r}")

    def __init__(self, beta_q: int | None = None, theta_q: int | None = None, *, fmt: FixedPoint = Q8_8,
                 beta_bits: int = 8):
        self.beta_q, self.theta_q, self.fmt, self.beta_bits = beta_q, theta_q, fmt, beta_bits
        sig = {
            "en": In(1),
            "reset": In(1),
            "current": In(signed(fmt.width)),
            "v": Out(signed(fmt.width)),
            "spike": Out(1),
        }
        if beta_q is None:
            sig["beta"] = In(beta_bits)
        if theta_q is None:
            sig["theta"] = In(signed(fmt.width))
        super().__init__(sig)

    def elaborate(self, platform):
        m = Module()
        beta = self.beta if self.beta_q is None else self.beta_q
        theta = self.theta if self.theta_q is None else self.theta_q
        v_next, spike = lif_update(self.v, self.current, beta, theta, self.fmt, self.beta_bits)
        with m.If(self.reset):
            m.d.sync += [self.v.eq(0), self.spike.eq(0)]
        with m.Elif(self.en):
            m.d.sync += [self.v.eq(v_next), self.spike.eq(spike)]
        return m


class LIFStep(Validated, wiring.Component):
    """The engine's LIF neuron model: one lane's step with each layer's ``beta_q`` and ``theta_q``.

    Model: :meth:`model`, i.e. :func:`sc_neurocore.sc.fixed.lif_step`
    ``(state, current, betas[layer], thetas[layer], fmt, beta_fmt.frac_bits)``.

    Parameters
    ----------
    betas, thetas : sequences of int
        Per layer: leak in ``beta_fmt`` (``[0, 2**beta_fmt.width]``, the top value: no leak) and threshold
        in ``[1, fmt.max_int]``.
    fmt : FixedPoint
        Membrane / current / threshold format (Q8.8).
    beta_fmt : FixedPoint
        Leak format (unsigned Q0.8).
    resets, reset_qs : sequences or None
        Per layer: :data:`~sc_neurocore.sc.contract.RESETS` (``None``: all ``"subtract"``) and the amount a
        subtract reset subtracts (``None`` entries or ``None``: the threshold).  Only a net that uses them
        gets the logic of :func:`lif_update_reset`; the others get exactly the gateware they had.

    Attributes
    ----------
    The members of :class:`~sc_neurocore.hw.neuron.NeuronSignature` ``(len(betas), fmt, signed(fmt.width))``:
    the state is the membrane.

    Latency: at each ``load`` a register takes ``next_current - theta`` (:func:`lif_update_split`);
    ``next_state`` and ``spike`` are combinational from ``state``, ``current`` and that register.
    ``leak="lut"`` (the default) multiplies by the layers' constants in LUTs (:func:`constant_leak`): on the
    ECP5 the membrane loop then stays in its lane's slices instead of travelling to a DSP tile and back;
    ``leak="multiplier"`` multiplies ``v`` by the layer's leak (a DSP block), the faster form on the iCE40,
    whose carry chains are slow and whose ``SB_MAC16`` sits beside the lane.  The same integers either way.
    """

    @staticmethod
    def validate(betas: Sequence[int], thetas: Sequence[int], *, fmt: FixedPoint = Q8_8,
                 beta_fmt: FixedPoint = UQ0_8, resets=None, reset_qs=None, leak: str = "lut") -> None:
        if leak not in LEAKS:
            raise ValueError(f"leak must be one of {LEAKS}, not {leak!r}")
        if not isinstance(fmt, FixedPoint) or not fmt.signed:
            raise TypeError(f"fmt must be a signed FixedPoint, not {fmt!r}")
        if not isinstance(beta_fmt, FixedPoint) or beta_fmt.signed:
            raise TypeError(f"beta_fmt must be an unsigned FixedPoint, not {beta_fmt!r}")
        betas, thetas = list(betas), list(thetas)
        if not betas or len(betas) != len(thetas):
            raise ValueError(f"betas and thetas need one entry per layer, not {len(betas)} and {len(thetas)}")
        resets = ["subtract"] * len(betas) if resets is None else list(resets)
        reset_qs = [None] * len(betas) if reset_qs is None else list(reset_qs)
        if len(resets) != len(betas) or len(reset_qs) != len(betas):
            raise ValueError(f"resets and reset_qs need one entry per layer ({len(betas)}), not {len(resets)} and "
                             f"{len(reset_qs)}")
        for li, (b, t, r, rq) in enumerate(zip(betas, thetas, resets, reset_qs)):
            check_lif_constants(b, t, r, rq, fmt=fmt, beta_bits=beta_fmt.width, where=f"layer {li}: ")

    def __init__(self, betas: Sequence[int], thetas: Sequence[int], *, fmt: FixedPoint = Q8_8,
                 beta_fmt: FixedPoint = UQ0_8, resets=None, reset_qs=None, leak: str = "lut"):
        self.leak = leak
        self.betas = tuple(int(b) for b in betas)
        self.thetas = tuple(int(t) for t in thetas)
        self.resets = ("subtract",) * len(self.betas) if resets is None else tuple(resets)
        self.reset_qs = (None,) * len(self.betas) if reset_qs is None else tuple(
            None if q is None else int(q) for q in reset_qs)
        self.fmt, self.beta_fmt = fmt, beta_fmt
        super().__init__(NeuronSignature(len(self.betas), fmt, signed(fmt.width)))

    @classmethod
    def for_spec(cls, spec, *, leak: str = "lut") -> LIFStep:
        """The LIF step of every layer of an :class:`~sc_neurocore.hw.plan.EngineSpec`'s net."""
        cfg, layers = spec.config, spec.qnet.layers
        return cls([layer.beta_q for layer in layers], [layer.threshold_q for layer in layers], fmt=cfg.membrane,
                   beta_fmt=cfg.beta_format, resets=[layer.reset for layer in layers],
                   reset_qs=[layer.reset_q for layer in layers], leak=leak)

    def model(self, state, current, layer: int):
        """``(next_state, spike)`` in NumPy: :func:`~sc_neurocore.sc.fixed.lif_step` with the layer's constants."""
        return lif_step(state, current, self.betas[layer], self.thetas[layer], self.fmt, self.beta_fmt.frac_bits,
                        reset=self.resets[layer], reset_q=self.reset_qs[layer])

    @property
    def amounts(self) -> tuple[int, ...]:
        """Per layer, what a subtract reset subtracts (the threshold unless ``reset_qs`` says otherwise)."""
        return tuple(t if q is None else q for t, q in zip(self.thetas, self.reset_qs))

    @property
    def plain(self) -> bool:
        """Every layer resets by subtracting its threshold (the gateware of :func:`lif_update_split`)."""
        return all(r == "subtract" for r in self.resets) and self.amounts == self.thetas

    def elaborate(self, platform):
        m = Module()
        fw, bw = self.fmt.width, self.beta_fmt.width
        bw += int(max(self.betas) >> bw > 0)  # beta_q = 2**width: no leak, one bit more
        beta = Array([Const(b, unsigned(bw)) for b in self.betas])[self.layer]
        theta = Array([Const(t, signed(fw)) for t in self.thetas])[self.layer]
        current_minus_theta = Signal(signed(fw + 1))
        with m.If(self.load):
            m.d.sync += current_minus_theta.eq(self.next_current - theta)
        leak = (constant_leak(self.state, self.betas, self.layer, self.beta_fmt.frac_bits) if self.leak == "lut"
                else None)  # None: the multiplier of lif_update_split / lif_update_reset
        if self.plain:
            v_next, spike = lif_update_split(self.state, self.current, current_minus_theta, beta, theta, self.fmt,
                                             self.beta_fmt.frac_bits, leak=leak)
        else:
            amount = Array([Const(a, signed(fw)) for a in self.amounts])[self.layer]
            zero = Array([Const(r == "zero", 1) for r in self.resets])[self.layer]
            current_minus_reset = Signal(signed(fw + 1))
            with m.If(self.load):
                m.d.sync += current_minus_reset.eq(self.next_current - amount)
            v_next, spike = lif_update_reset(self.state, self.current, current_minus_theta, current_minus_reset, beta,
                                             theta, amount, zero, self.fmt, self.beta_fmt.frac_bits, leak=leak)
        m.d.comb += [self.next_state.eq(v_next), self.spike.eq(spike)]
        return m
