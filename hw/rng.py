"""Random sources for the stochastic number generators: maximal-length LFSRs and a Sobol source.

Both are generated from :mod:`sc_neurocore.sc.sources` (the polynomial table, the Sobol
direction numbers) and tested against its functions, value for value:

* :class:`LFSR` equals :func:`sc_neurocore.sc.sources.lfsr_states`;
* :class:`SobolSource` equals :func:`sc_neurocore.sc.sources.sobol_values`;
* :func:`contract_source` builds the source of one layer and role exactly as
  :func:`sc_neurocore.sc.sources.source_values` defines it.

Both sources can present a *window* of ``window`` consecutive SC cycles at once (the
values of cycles ``c .. c+window-1``) and advance by the whole window in one enabled clock
cycle; the network core uses ``window = L`` so that one timestep's random numbers sit
side by side and a layer never has to replay its sources for a second neuron group.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ..sc.contract import ROLE_INPUT, ROLE_WEIGHT, SCConfig
from ..sc.sources import LFSR_TAPS, lfsr_next, lfsr_tap_mask, sobol_directions, source_seed
from .checks import Validated, check_int

__all__ = ["LFSR", "SobolSource", "lfsr_matrix", "contract_source"]


def lfsr_matrix(width: int, kind: str, shifts: int, reciprocal: bool = False) -> tuple[int, ...]:
    """The GF(2) matrix of ``shifts`` LFSR shifts: row ``b`` is the mask of state bits whose XOR is bit ``b``.

    Both LFSR forms are linear over GF(2), so any number of shifts is one XOR network;
    the rows are found by pushing each basis state through :func:`lfsr_next`.
    """
    tap_mask = lfsr_tap_mask(width, reciprocal)
    columns = []
    for i in range(width):
        s = 1 << i
        for _ in range(shifts):
            s = lfsr_next(s, width, kind, tap_mask)
        columns.append(s)
    return tuple(sum(1 << i for i in range(width) if (columns[i] >> b) & 1) for b in range(width))


def _apply_matrix(rows, state):
    width = len(rows)
    return Cat(*[(state & Const(rows[b], width)).xor() if rows[b] else Const(0, 1) for b in range(width)])


class LFSR(Validated, wiring.Component):
    """Maximal-length LFSR (Fibonacci or Galois) from :data:`~sc_neurocore.sc.sources.LFSR_TAPS`.

    Model: :func:`sc_neurocore.sc.sources.lfsr_states` (``seed``, ``width``, ``kind``,
    ``steps``, ``reciprocal``); the random number of an SC cycle is the low ``out_bits``
    bits of the state.

    Parameters
    ----------
    width : int
        State width, a key of ``LFSR_TAPS`` (4..32).
    kind : ``"fibonacci"`` | ``"galois"``
    steps : int
        Shifts per SC cycle (1..width), unrolled into one XOR network.
    reciprocal : bool
        Use the reciprocal polynomial (the contract's weight sources).
    seed : int
        Reset state, 1..2**width-1.
    out_bits : int
        Width of the random numbers (``prob_bits``), 1..width.
    window : int
        SC cycles presented at once; one enabled clock advances ``window * steps`` shifts.

    Attributes
    ----------
    en : In(1)
        Advance one window (``window * steps`` shifts) at the clock edge.
    load : In(1)
        Load ``load_value`` into the state (takes precedence over ``en``); never load 0.
    load_value : In(width)
    state : Out(width)
        The state of the window's first SC cycle.
    value : Out(out_bits)
        Random number of the window's first cycle, ``state[:out_bits]``.
    values : Out(ArrayLayout(out_bits, window))
        Random numbers of cycles ``0 .. window-1`` of the window (combinational from ``state``).

    Latency: outputs are combinational from the state register; ``en``/``load`` act at the next edge.
    """

    @staticmethod
    def validate(width: int, *, kind: str = "fibonacci", steps: int = 1, reciprocal: bool = False,
                 seed: int = 1, out_bits: int | None = None, window: int = 1) -> None:
        if isinstance(width, bool) or not isinstance(width, int) or width not in LFSR_TAPS:
            raise ValueError(f"LFSR width must be one of {min(LFSR_TAPS)}..{max(LFSR_TAPS)}, not {width!r}")
        if kind not in ("fibonacci", "galois"):
            raise ValueError(f"LFSR kind must be 'fibonacci' or 'galois', not {kind!r}")
        check_int("steps", steps, 1, width)
        if not isinstance(reciprocal, bool):
            raise TypeError(f"reciprocal must be a bool, not {reciprocal!r}")
        check_int("seed", seed, 1, (1 << width) - 1)
        out_bits = width if out_bits is None else out_bits
        check_int("out_bits", out_bits, 1, width)
        check_int("window", window, 1, 1 << 16)

    def __init__(self, width: int, *, kind: str = "fibonacci", steps: int = 1, reciprocal: bool = False,
                 seed: int = 1, out_bits: int | None = None, window: int = 1):
        out_bits = width if out_bits is None else out_bits
        self.width, self.kind, self.steps, self.reciprocal = width, kind, steps, reciprocal
        self.seed, self.out_bits, self.window = seed, out_bits, window
        super().__init__({
            "en": In(1),
            "load": In(1),
            "load_value": In(width),
            "state": Out(width),
            "value": Out(out_bits),
            "values": Out(data.ArrayLayout(out_bits, window)),
        })

    def elaborate(self, platform):
        m = Module()
        state = Signal(self.width, init=self.seed)
        m.d.comb += self.state.eq(state)
        for c in range(self.window):
            if c == 0:
                vc = state
            else:
                vc = _apply_matrix(lfsr_matrix(self.width, self.kind, c * self.steps, self.reciprocal), state)
            m.d.comb += self.values[c].eq(vc[: self.out_bits])
        m.d.comb += self.value.eq(self.values[0])
        advance = _apply_matrix(lfsr_matrix(self.width, self.kind, self.window * self.steps, self.reciprocal), state)
        with m.If(self.load):
            m.d.sync += state.eq(self.load_value)
        with m.Elif(self.en):
            m.d.sync += state.eq(advance)
        return m


class SobolSource(Validated, wiring.Component):
    """k-bit Sobol source, dimension 0 (inputs) or 1 (weights), with a digital-shift mask.

    Model: :func:`sc_neurocore.sc.sources.sobol_values` (``n``, ``bits``, ``dimension``,
    ``mask``, ``start``): ``x_i = mask ^ XOR(v_j for set bits j of i mod 2**bits)``.

    Attributes
    ----------
    en : In(1)
        Advance the index by ``window`` (mod ``2**bits``) at the clock edge.
    load : In(1)
        Load ``load_index`` (precedence over ``en``).
    load_index : In(bits)
    index : Out(bits)
        Index of the window's first SC cycle (resets to 0).
    value : Out(bits)
        Sobol number of ``index``.
    values : Out(ArrayLayout(bits, window))
        Sobol numbers of indices ``index .. index+window-1`` (combinational).

    Latency: combinational outputs; ``en``/``load`` act at the next edge.
    """

    @staticmethod
    def validate(bits: int, dimension: int, *, mask: int = 0, window: int = 1) -> None:
        check_int("bits", bits, 1, 32)
        if dimension not in (0, 1) or isinstance(dimension, bool):
            raise ValueError(f"Sobol dimension must be 0 (inputs) or 1 (weights), not {dimension!r}")
        check_int("mask", mask, 0, (1 << bits) - 1)
        check_int("window", window, 1, 1 << 16)

    def __init__(self, bits: int, dimension: int, *, mask: int = 0, window: int = 1):
        self.bits, self.dimension, self.mask, self.window = bits, dimension, mask, window
        self.directions = sobol_directions(bits, dimension)
        super().__init__({
            "en": In(1),
            "load": In(1),
            "load_index": In(bits),
            "index": Out(bits),
            "value": Out(bits),
            "values": Out(data.ArrayLayout(bits, window)),
        })

    def elaborate(self, platform):
        m = Module()
        index = Signal(self.bits)
        m.d.comb += self.index.eq(index)
        for c in range(self.window):
            ic = Signal(self.bits, name=f"index_{c}")
            m.d.comb += ic.eq(index + c)
            x = Const(self.mask, self.bits)
            for j, v in enumerate(self.directions):
                x = x ^ Mux(ic[j], Const(v, self.bits), Const(0, self.bits))
            m.d.comb += self.values[c].eq(x)
        m.d.comb += self.value.eq(self.values[0])
        with m.If(self.load):
            m.d.sync += index.eq(self.load_index)
        with m.Elif(self.en):
            m.d.sync += index.eq(index + self.window)
        return m


def contract_source(config: SCConfig, layer: int, role: int, window: int = 1):
    """The source of ``role`` in ``layer`` as the contract defines it (``source_values``).

    Returns ``(source, restart_value)``: an :class:`LFSR` (seed from :func:`source_seed`,
    reciprocal polynomial for weights, ``config.lfsr_steps`` shifts per cycle) or a
    :class:`SobolSource` (dimension = role, mask from :func:`source_seed`), and the value to
    put on its ``load_value``/``load_index`` port to restart it at an image start.
    """
    if not isinstance(config, SCConfig):
        raise TypeError(f"config must be an SCConfig, not {config!r}")
    if role not in (ROLE_INPUT, ROLE_WEIGHT):
        raise ValueError(f"role must be ROLE_INPUT (0) or ROLE_WEIGHT (1), not {role!r}")
    seed = source_seed(config, layer, role)
    if config.rng == "lfsr":
        src = LFSR(config.lfsr_width, kind=config.lfsr_kind, steps=config.lfsr_steps,
                   reciprocal=(role == ROLE_WEIGHT), seed=seed, out_bits=config.prob_bits, window=window)
        return src, seed
    if config.rng == "sobol":
        return SobolSource(config.prob_bits, role, mask=seed, window=window), 0
    raise ValueError(f"unsupported rng {config.rng!r}")  # pragma: no cover (SCConfig validates)


def restart_port(src):
    """The port that takes a source's restart value (``load_value`` or ``load_index``)."""
    return src.load_value if isinstance(src, LFSR) else src.load_index

