"""The number contract: the one place where widths, seeds, rounding and saturation are defined.

Every other part of sc-neurocore -- the NumPy SC model (``sc_neurocore.sc``), the
Amaranth gateware (``sc_neurocore.hw``) and the co-simulation (``sc_neurocore.sim``) --
reads these frozen dataclasses and helper functions; nothing re-types a constant.
``docs/sc-arithmetic.md`` states every rule with a worked example.

Summary of the defaults (each one a parameter):

* membrane, threshold, current and bias: signed Q8.8 in 16 bits, saturating;
* ``beta``: unsigned Q0.8 (``beta_q = round(beta * 256)``, at most 255);
* random source: Sobol (``rng="sobol"``), L = 16 cycles per timestep;
* probabilities: ``k = prob_bits = 8`` bit unsigned, ``q = round((2**k - 1) * p)``,
  a stochastic number generator emits ``bit = r < q`` for a k-bit random ``r``;
* weights: sign + k-bit magnitude, ``q = round((2**k - 1) * |w| / s)`` with the
  per-layer scale ``s = max |W|``;
* count -> current: ``I = sat(((C * m + 2**(sh-1)) >> sh) + b_q)`` with the per-layer
  unsigned ``scale_bits``-wide multiplier ``m`` and shift ``sh`` (:func:`current_scale`);
* LIF step: ``v = sat(((beta_q * v) >> 8) + I)``; ``s = v > theta_q``; ``v = v - s * theta_q``
  (floor shift, strict ``>``, subtract reset).  Per layer (:func:`check_lif_constants`): ``beta_q``
  in ``[0, 256]``, 256 being no leak at all (``(256 v) >> 8 == v``: integrate-and-fire, beta = 1
  exactly); ``reset`` (:data:`RESETS`) ``"subtract"`` (``v - s * reset_q``, ``reset_q = theta_q``
  unless given: snnTorch's delayed reset is ``reset_q = theta / beta``) or ``"zero"`` (``v = 0``
  where ``s``).  Ties: a membrane equal to the threshold does not fire (strict ``>``).
* neuron models (:data:`NEURONS`, per layer): ``"lif"`` (the step above), ``"synaptic"`` (CUBA: a
  synaptic current ``i = sat(((alpha_q * i) >> 8) + I)`` first, then the LIF step with ``i`` as its
  current; ``alpha_q`` per layer, in the leak's format), ``"alif"`` (an adaptive threshold
  ``th = sat(theta_q + ((adapt_strength_q * a) >> 8))``, the subtract reset by ``th``, and the adaptation
  ``a = sat(sat((adapt_decay_q * a) >> 8) + s * 2**8)``) or ``"alpha"`` (``AlphaCell``: an excitatory and an
  inhibitory current, ``i_exc = sat(((alpha_exc_q * i_exc) >> 8) + max(I, 0))``, ``i_inh`` likewise of
  ``max(-I, 0)``, then the LIF step with ``i_exc - i_inh`` as its current) or ``"second_order"``
  (``SecondOrderLIFCell``: an inertial term ``a = sat(((alpha_q * a - stiffness_q * v) >> 8) + I)`` of the membrane
  before the step, then the LIF step with ``a`` as its current; ``stiffness_q`` a gain in the membrane format) or
  ``"expif"`` (``ExpIFCell``: ``v = sat(floor(beta v + (1 - beta) delta_t E) + I)`` with ``E`` an ``exp`` table of
  ``(min(v, theta) - v_rheobase) / delta_t``; ``v_rheobase_q``, ``delta_t_q`` in the membrane format, shared with
  ``theta_q`` by every layer of a net: :func:`expif_table_bounds`) or ``"adex"`` (``AdExCell``: ExpIF's drive minus
  an adaptation ``w``, ``w = sat(floor(adapt_decay w + (1 - adapt_decay) a v)) (+ b on a spike)``; ``adapt_decay_q``
  a leak, ``a_q`` a signed level, ``b_q`` a gain, per layer; the table's constants shared as ExpIF's).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

__all__ = [
    "FixedPoint",
    "SCConfig",
    "Q8_8",
    "UQ0_8",
    "RNG_KINDS",
    "POLARITIES",
    "LFSR_KINDS",
    "INPUT_KINDS",
    "ROLE_INPUT",
    "ROLE_WEIGHT",
    "derive_seed",
    "quantize_probability",
    "RESETS",
    "quantize_beta",
    "check_lif_constants",
    "NeuronModel",
    "NEURONS",
    "check_neuron_constants",
    "EXPIF_TABLE",
    "expif_table_bounds",
    "expif_table",
    "current_scale",
    "count_real_scale",
]

RNG_KINDS = ("lfsr", "sobol")
POLARITIES = ("signed", "bipolar", "minmax")
LFSR_KINDS = ("fibonacci", "galois")
#: How a layer's input bits are made: ``"prob"`` -- k-bit probabilities through an SNG
#: (the first layer, pixels); ``"spike"`` -- the previous layer's spikes, 1 for all L cycles.
INPUT_KINDS = ("prob", "spike")

#: Source roles inside one layer.  Input and weight streams never share a source.
ROLE_INPUT = 0
ROLE_WEIGHT = 1


def _check_int(name: str, value, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, not {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be in [{lo}, {hi}], not {value!r}")


@dataclass(frozen=True)
class FixedPoint:
    """A two's-complement (``signed=True``) or unsigned fixed-point format.

    ``int_bits`` counts the sign bit of a signed format: signed Q8.8 is
    ``FixedPoint(8, 8)``, 16 bits wide, range ``[-128.0, 127.99609375]``, one LSB = 1/256.
    Conversions from float round half up (``floor(x * 2**frac_bits + 0.5)``) and then
    saturate; integer results saturate too -- nothing ever wraps.
    """

    int_bits: int = 8
    frac_bits: int = 8
    signed: bool = True

    def __post_init__(self):
        _check_int("int_bits", self.int_bits, 0, 64)
        _check_int("frac_bits", self.frac_bits, 0, 64)
        if not isinstance(self.signed, bool):
            raise TypeError(f"signed must be a bool, not {self.signed!r}")
        if not 1 <= self.width <= 62:
            raise ValueError(f"FixedPoint width (int_bits + frac_bits) must be in [1, 62], not {self.width}")
        if self.signed and self.int_bits < 1:
            raise ValueError("a signed FixedPoint needs int_bits >= 1 (the sign bit)")

    @property
    def width(self) -> int:
        """Total width in bits."""
        return self.int_bits + self.frac_bits

    @property
    def one(self) -> int:
        """The integer that represents 1.0 (``2**frac_bits``)."""
        return 1 << self.frac_bits

    @property
    def min_int(self) -> int:
        return -(1 << (self.width - 1)) if self.signed else 0

    @property
    def max_int(self) -> int:
        return (1 << (self.width - 1)) - 1 if self.signed else (1 << self.width) - 1

    def saturate(self, value):
        """Clip integers to ``[min_int, max_int]`` (int or integer array -> same kind, int64)."""
        if isinstance(value, (int, np.integer)):
            return int(min(max(int(value), self.min_int), self.max_int))
        arr = np.asarray(value)
        if arr.dtype.kind not in "iu":
            raise TypeError(f"saturate expects integers, not dtype {arr.dtype}")
        return np.clip(arr.astype(np.int64), self.min_int, self.max_int)

    def from_float(self, x):
        """Quantise real values: round half up, then saturate.  NaN raises ``ValueError``."""
        arr = np.asarray(x, dtype=np.float64)
        if np.isnan(arr).any():
            raise ValueError("cannot quantise NaN to fixed point")
        with np.errstate(over="ignore", invalid="ignore"):
            q = np.floor(np.clip(arr, -(2.0**62), 2.0**62) * self.one + 0.5)
        q = np.clip(q, self.min_int, self.max_int).astype(np.int64)
        return int(q) if q.ndim == 0 else q

    def to_float(self, q):
        """Integers -> real values (float64)."""
        arr = np.asarray(q, dtype=np.float64) / self.one
        return float(arr) if arr.ndim == 0 else arr


#: Membrane, threshold, current and bias format.
Q8_8 = FixedPoint(8, 8, True)
#: Leak factor format.
UQ0_8 = FixedPoint(0, 8, False)


@dataclass(frozen=True)
class SCConfig:
    """Everything that fixes the integers of an SC run; the model and the gateware read it.

    Attributes
    ----------
    length : int
        ``L``, SC clock cycles per timestep (bitstream length), 1 .. 65536.
    prob_bits : int
        ``k``, width of probabilities, weight magnitudes and random numbers, 1 .. 16.
    rng : ``"sobol"`` | ``"lfsr"``
        Random source kind (see :mod:`sc_neurocore.sc.sources`); Sobol by default, chosen from
        measurements on nets the contract was not tuned for (``docs/sc-arithmetic.md`` section 10).
    polarity : ``"signed"`` | ``"bipolar"`` | ``"minmax"``
        ``signed``: sign + magnitude weights, AND multiply, counter adds +-1 (the default and
        the only mode the gateware builds).  ``bipolar``: XNOR on ``(v+1)/2`` streams.
        ``minmax``: the documentation's per-layer min-max to [0, 1], unipolar AND.
    seed : int
        Base seed, 0 .. 2**48 - 1; every source's seed is :func:`derive_seed` of it, its layer and its role.
    lfsr_width : int
        LFSR width ``n`` (4 .. 32, from one polynomial table), ``n >= prob_bits``.
    lfsr_kind : ``"fibonacci"`` | ``"galois"``
    lfsr_steps : int
        LFSR shifts per SC cycle (1 .. lfsr_width); the random number is the low ``k``
        bits of the state.  ``lfsr_steps >= k`` makes consecutive numbers share no bits.
    membrane : FixedPoint
        Membrane / threshold / current / bias format (Q8.8).
    beta_format : FixedPoint
        Leak format (unsigned Q0.8).
    scale_bits : int
        Width of the unsigned per-layer count -> current multiplier ``m`` (2 .. 32).
    """

    length: int = 16
    prob_bits: int = 8
    rng: Literal["lfsr", "sobol"] = "sobol"
    polarity: Literal["signed", "bipolar", "minmax"] = "signed"
    seed: int = 1
    lfsr_width: int = 16
    lfsr_kind: Literal["fibonacci", "galois"] = "fibonacci"
    lfsr_steps: int = 1
    membrane: FixedPoint = field(default_factory=lambda: Q8_8)
    beta_format: FixedPoint = field(default_factory=lambda: UQ0_8)
    scale_bits: int = 16

    def __post_init__(self):
        _check_int("length", self.length, 1, 1 << 16)
        _check_int("prob_bits", self.prob_bits, 1, 16)
        if self.rng not in RNG_KINDS:
            raise ValueError(f"rng must be one of {RNG_KINDS}, not {self.rng!r}")
        if self.polarity not in POLARITIES:
            raise ValueError(f"polarity must be one of {POLARITIES}, not {self.polarity!r}")
        _check_int("seed", self.seed, 0, (1 << 48) - 1)
        _check_int("lfsr_width", self.lfsr_width, 4, 32)
        if self.lfsr_width < self.prob_bits:
            raise ValueError(f"lfsr_width ({self.lfsr_width}) must be >= prob_bits ({self.prob_bits})")
        if self.lfsr_kind not in LFSR_KINDS:
            raise ValueError(f"lfsr_kind must be one of {LFSR_KINDS}, not {self.lfsr_kind!r}")
        _check_int("lfsr_steps", self.lfsr_steps, 1, self.lfsr_width)
        if not isinstance(self.membrane, FixedPoint) or not self.membrane.signed:
            raise TypeError(f"membrane must be a signed FixedPoint, not {self.membrane!r}")
        if not isinstance(self.beta_format, FixedPoint) or self.beta_format.signed or self.beta_format.int_bits:
            raise TypeError(f"beta_format must be an unsigned FixedPoint with int_bits=0, not {self.beta_format!r}")
        _check_int("scale_bits", self.scale_bits, 2, 32)

    @property
    def prob_max(self) -> int:
        """The largest k-bit probability code, ``2**k - 1``."""
        return (1 << self.prob_bits) - 1

    def replace(self, **changes) -> SCConfig:
        """A copy with some fields changed (validated again)."""
        from dataclasses import replace

        return replace(self, **changes)


def _splitmix64(x: int) -> int:
    mask = (1 << 64) - 1
    x = (x + 0x9E3779B97F4A7C15) & mask
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & mask
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & mask
    return x ^ (x >> 31)


def derive_seed(base_seed: int, layer: int, role: int, bits: int, *, nonzero: bool = True) -> int:
    """The seed of the source of ``role`` (:data:`ROLE_INPUT` / :data:`ROLE_WEIGHT`) in ``layer``.

    ``splitmix64(base_seed * 2**16 + layer * 2 + role)`` reduced to ``bits`` bits; with
    ``nonzero`` (LFSRs, whose state is never 0) a zero result becomes 1.  Every input lane
    of a layer shares that layer's input source, every weight lane its weight source.
    """
    _check_int("base_seed", base_seed, 0, (1 << 48) - 1)
    _check_int("layer", layer, 0, (1 << 15) - 1)
    _check_int("role", role, 0, 1)
    _check_int("bits", bits, 1, 64)
    x = _splitmix64(((base_seed << 16) + layer * 2 + role) & ((1 << 64) - 1)) & ((1 << bits) - 1)
    if nonzero and x == 0:
        x = 1
    return x


def quantize_probability(p, prob_bits: int):
    """``q = round((2**k - 1) * p)`` (round half up) for ``p`` in [0, 1]; outside or NaN raises."""
    _check_int("prob_bits", prob_bits, 1, 16)
    arr = np.asarray(p, dtype=np.float64)
    bad = ~np.isfinite(arr)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        finite = arr[~bad]
        span = f"; its finite values lie in [{finite.min()}, {finite.max()}]" if finite.size else ""
        raise ValueError(f"probabilities must be finite numbers in [0, 1]; the input holds {int(bad.sum())} NaN or "
                         f"inf (the first at index {first}){span}")
    if (arr < 0).any() or (arr > 1).any():
        lo, hi = float(arr.min()), float(arr.max())
        raise ValueError(f"probabilities must lie in [0, 1]; got values in [{lo}, {hi}]")
    q = np.floor(arr * ((1 << prob_bits) - 1) + 0.5).astype(np.int64)
    return int(q) if q.ndim == 0 else q


#: What a spike does to the membrane in integers (per layer): ``"subtract"`` -- ``v - s * reset_q``;
#: ``"zero"`` -- ``v = 0`` where ``s``.
RESETS = ("subtract", "zero")


def quantize_beta(beta: float, fmt: FixedPoint = UQ0_8) -> int:
    """``beta_q = floor(beta * 2**frac_bits + 0.5)`` for ``beta`` in [0, 1]: ``[0, 2**frac_bits]``.

    ``2**frac_bits`` (any ``beta >= 1 - 2**-(frac_bits+1)``, and beta = 1 exactly) is no leak at all:
    ``(2**frac_bits * v) >> frac_bits == v``, the integrate-and-fire neuron, not a leak of ``255/256``.
    """
    if not isinstance(fmt, FixedPoint) or fmt.signed or fmt.int_bits:
        raise TypeError(f"the leak format must be an unsigned FixedPoint with int_bits=0, not {fmt!r}")
    b = float(beta)
    if not (math.isfinite(b) and 0.0 <= b <= 1.0):
        raise ValueError(f"beta must be a number in [0, 1], not {beta!r}")
    return int(math.floor(b * fmt.one + 0.5))


def check_lif_constants(beta_q, theta_q, reset: str = "subtract", reset_q=None, *, fmt: FixedPoint = Q8_8,
                        beta_bits: int = 8, where: str = "") -> None:
    """Raise ``ValueError`` unless the integers of one LIF population are in the contract's ranges.

    ``beta_q`` in ``[0, 2**beta_bits]`` (the top value: no leak), ``theta_q`` in ``[1, fmt.max_int]``,
    ``reset`` one of :data:`RESETS`, ``reset_q`` ``None`` (``theta_q``) or in ``[1, fmt.max_int]``
    (``"subtract"`` only).  ``where`` prefixes the messages (``"layer 2: "``).
    """
    def is_int(x):
        return isinstance(x, (int, np.integer)) and not isinstance(x, bool)

    if not is_int(beta_q) or not 0 <= beta_q <= (1 << beta_bits):
        raise ValueError(f"{where}beta_q must be an integer in [0, {1 << beta_bits}], not {beta_q!r}")
    if not is_int(theta_q) or not 1 <= theta_q <= fmt.max_int:
        raise ValueError(f"{where}theta_q must be an integer in [1, {fmt.max_int}], not {theta_q!r}")
    if reset not in RESETS:
        raise ValueError(f"{where}reset must be one of {RESETS}, not {reset!r}")
    if reset_q is not None:
        if reset != "subtract":
            raise ValueError(f"{where}reset_q is the amount a subtract reset subtracts; a {reset!r} reset takes none")
        if not is_int(reset_q) or not 1 <= reset_q <= fmt.max_int:
            raise ValueError(f"{where}reset_q must be None or an integer in [1, {fmt.max_int}], not {reset_q!r}")


@dataclass(frozen=True)
class NeuronModel:
    """A neuron model of the contract: the states each neuron carries and the extra per-layer constants.

    ``states``: every state, each in the membrane format and 0 at the start of an image, the membrane
    ``"v"`` last (what traces report as the membrane, what the threshold reads); ``decays``: leaks beyond
    ``beta`` (their float names; in integers ``<name>_q`` in the leak's format, ``[0, 2**beta_bits]``);
    ``gains``: non-negative factors (``<name>_q`` in the membrane format, ``[0, max_int]``);
    ``resets``: the resets (:data:`RESETS`) it takes (ALIF: the subtraction of its adaptive threshold);
    ``levels``: signed values in the membrane format (``[min_int, max_int]``; ExpIF's ``v_rheobase``);
    ``shared``: the float names of the constants every layer of a net must share (``"threshold"`` among them: the
    threshold ``theta_q``), because the engine compiles them into one program (ExpIF's ``exp`` table).
    """

    name: str
    states: tuple[str, ...]
    decays: tuple[str, ...] = ()
    gains: tuple[str, ...] = ()
    resets: tuple[str, ...] = ("subtract", "zero")
    levels: tuple[str, ...] = ()
    shared: tuple[str, ...] = ()

    @property
    def extra_states(self) -> tuple[str, ...]:
        """The states other than the membrane."""
        return tuple(s for s in self.states if s != "v")

    @property
    def param_names(self) -> tuple[str, ...]:
        """The names of the extra integer constants of a layer (``QuantizedLayer.neuron_params``)."""
        return tuple(f"{d}_q" for d in self.decays + self.gains + self.levels)


#: The neuron models a layer may use (``QuantizedLayer.neuron``), by name; ``"lif"`` is the default.
NEURONS: dict[str, NeuronModel] = {
    "lif": NeuronModel("lif", ("v",)),
    "synaptic": NeuronModel("synaptic", ("i_syn", "v"), ("alpha",)),
    "alif": NeuronModel("alif", ("a", "v"), ("adapt_decay",), ("adapt_strength",), ("subtract",)),
    "alpha": NeuronModel("alpha", ("i_exc", "i_inh", "v"), ("alpha_exc", "alpha_inh")),
    "second_order": NeuronModel("second_order", ("a", "v"), ("alpha",), ("stiffness",)),
    "expif": NeuronModel("expif", ("v",), (), ("delta_t",), ("subtract",), ("v_rheobase",),
                         ("threshold", "v_rheobase", "delta_t")),
    "adex": NeuronModel("adex", ("w", "v"), ("adapt_decay",), ("delta_t", "b"), ("subtract",), ("v_rheobase", "a"),
                        ("threshold", "v_rheobase", "delta_t")),
}

#: ExpIF's ``exp`` table (``docs/sc-arithmetic.md`` section 8): ``step_bits`` -- its points are ``2**-step_bits``
#: apart; ``span`` -- it covers ``span`` units below its top; ``frac`` -- its entries' fraction bits (also those of
#: the constants ``1 / delta_t`` and ``v_rheobase / delta_t``, rounded half up); ``top`` -- the largest top
#: ``(theta - v_rheobase) / delta_t`` (``e**16 * 2**16`` fits 40 bits; every product stays within 63 bits).
EXPIF_TABLE = {"step_bits": 4, "span": 10, "frac": 16, "top": 16}


def expif_table_bounds(theta_q, v_rheobase_q, delta_t_q, fmt: FixedPoint = Q8_8, where: str = "") -> tuple[int, int]:
    """``(lo_i, hi_i)``: ExpIF's table reads ``exp`` at ``x_j = j / 2**step_bits`` for ``j`` in ``[lo_i, hi_i]``,
    ``hi_i = ceil((theta_q - v_rheobase_q) * 2**step_bits / delta_t_q)`` (exact), ``lo_i = hi_i - span *
    2**step_bits`` (161 entries).  ``ValueError`` unless ``delta_t_q >= 2**(frac_bits - step_bits)`` (a finer
    ``delta_t`` than the table's step would make its input coarser than the step), ``fmt.frac_bits`` in ``[8,
    16]``, and the top ``hi_i <= top * 2**step_bits``."""
    k = EXPIF_TABLE["step_bits"]
    if not 8 <= fmt.frac_bits <= EXPIF_TABLE["frac"]:
        raise ValueError(f"{where}an ExpIF neuron needs a membrane format of 8 to 16 fraction bits, not {fmt}")
    for name, q, lo in (("theta_q", theta_q, 1), ("v_rheobase_q", v_rheobase_q, fmt.min_int),
                        ("delta_t_q", delta_t_q, fmt.one >> k)):
        if isinstance(q, bool) or not isinstance(q, (int, np.integer)) or not lo <= q <= fmt.max_int:
            raise ValueError(f"{where}{name} must be an integer in [{lo}, {fmt.max_int}], not {q!r}"
                             + (f" (delta_t >= 2**-{k})" if name == "delta_t_q" else ""))
    hi_i = -((-(int(theta_q) - int(v_rheobase_q)) << k) // int(delta_t_q))
    if hi_i > EXPIF_TABLE["top"] << k:
        raise ValueError(f"{where}ExpIF's table top (threshold - v_rheobase) / delta_t = "
                         f"{(int(theta_q) - int(v_rheobase_q)) / int(delta_t_q):g} is beyond {EXPIF_TABLE['top']}")
    return hi_i - (EXPIF_TABLE["span"] << k), hi_i


def expif_table(theta_q: int, v_rheobase_q: int, delta_t_q: int, fmt: FixedPoint = Q8_8) -> tuple[int, np.ndarray]:
    """ExpIF's ``exp`` table: ``(lo_i, entries)``, ``entries[j] = floor(exp((lo_i + j) / 2**step_bits) * 2**frac +
    1/2)`` (float64 ``exp``; :data:`EXPIF_TABLE`), ``j = 0 .. 160``, int64; the bounds of
    :func:`expif_table_bounds`. Part of the contract (the SC model, the engine and SC-aware fine-tuning read it);
    ``sc.fixed`` re-exports it."""
    lo_i, hi_i = expif_table_bounds(theta_q, v_rheobase_q, delta_t_q, fmt)
    xs = np.arange(lo_i, hi_i + 1, dtype=np.float64) * 2.0 ** -EXPIF_TABLE["step_bits"]
    return lo_i, np.floor(np.exp(xs) * 2.0 ** EXPIF_TABLE["frac"] + 0.5).astype(np.int64)


def check_neuron_constants(neuron, params, *, beta_bits: int = 8, fmt: FixedPoint = Q8_8,
                           where: str = "") -> NeuronModel:
    """The :class:`NeuronModel` named ``neuron`` once ``params`` (``{"alpha_q": int, ...}``) are exactly its
    extra constants, each decay an integer in ``[0, 2**beta_bits]``, each gain in ``[0, fmt.max_int]``, each level
    in ``[fmt.min_int, fmt.max_int]``; ``ValueError`` otherwise."""
    model = NEURONS.get(neuron) if isinstance(neuron, str) else None
    if model is None:
        raise ValueError(f"{where}neuron must be one of {tuple(NEURONS)}, not {neuron!r}")
    if not isinstance(params, dict) or set(params) != set(model.param_names):
        got = sorted(params) if isinstance(params, dict) else params
        raise ValueError(f"{where}a {neuron!r} neuron takes the constants {list(model.param_names)}, not {got!r}")
    for name in model.param_names:
        q = params[name]
        top = (1 << beta_bits) if name[:-2] in model.decays else fmt.max_int
        bottom = fmt.min_int if name[:-2] in model.levels else 0
        if isinstance(q, bool) or not isinstance(q, (int, np.integer)) or not bottom <= q <= top:
            raise ValueError(f"{where}{name} must be an integer in [{bottom}, {top}], not {q!r}")
    return model


def current_scale(real_scale: float, scale_bits: int) -> tuple[int, int]:
    """Integer multiplier and shift for ``I = (C * m + 2**(sh-1)) >> sh`` ~= ``C * real_scale``.

    ``real_scale`` is the Q-format current per unit of count (already multiplied by
    ``2**frac_bits``).  ``sh`` is the largest shift in [1, 62] that keeps ``m`` below
    ``2**scale_bits``; ``m = round(real_scale * 2**sh)``, at least 1 for a positive scale.
    """
    if not (isinstance(real_scale, (int, float, np.floating)) and math.isfinite(real_scale)) or real_scale < 0:
        raise ValueError(f"real_scale must be a finite non-negative number, not {real_scale!r}")
    _check_int("scale_bits", scale_bits, 2, 32)
    if real_scale == 0:
        return 0, 1
    limit = 1 << scale_bits
    sh = 62
    while sh > 1 and math.floor(real_scale * (1 << sh) + 0.5) >= limit:
        sh -= 1
    m = int(math.floor(real_scale * (1 << sh) + 0.5))
    if m >= limit:
        raise ValueError(
            f"a count scale of {real_scale!r} needs a multiplier of at least {m} at shift 1, "
            f"which does not fit in scale_bits={scale_bits}; raise scale_bits"
        )
    return max(m, 1), sh


def count_real_scale(weight_scale: float, config: SCConfig, input_kind: str, *, stochastic: bool = True) -> float:
    """Q-format current per unit of a layer's signed count (before :func:`current_scale`).

    ``weight_scale`` is the layer's ``s = max |W|``.  With ``k = prob_bits``, ``P = 2**k``,
    ``Q = 2**k - 1`` and ``F = 2**frac_bits``:

    * SC count (``stochastic=True``), ``E[C] = L * sum(sign * qx/P * qw/P)``:
      ``prob`` input -> ``s * F * (P/Q)**2 / L``; ``spike`` input -> ``s * F * (P/Q) / L``.
    * exact integer count of :class:`FixedPointNetwork` (``stochastic=False``),
      ``C = sum(sign * qx * qw)``: ``prob`` -> ``s * F / Q**2``; ``spike`` -> ``s * F / Q``.
    """
    if input_kind not in INPUT_KINDS:
        raise ValueError(f"input_kind must be one of {INPUT_KINDS}, not {input_kind!r}")
    if not math.isfinite(weight_scale) or weight_scale < 0:
        raise ValueError(f"weight scale must be finite and >= 0, not {weight_scale!r}")
    big_p = float(1 << config.prob_bits)
    q = float(config.prob_max)
    f = float(config.membrane.one)
    if stochastic:
        factor = (big_p / q) ** 2 if input_kind == "prob" else big_p / q
        return weight_scale * f * factor / config.length
    return weight_scale * f / (q * q if input_kind == "prob" else q)
