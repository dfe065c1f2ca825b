"""The generic board top: clock (PLL where asked), UART pins, LEDs, and the protocol engine around a core.

``BoardTop(core_factory, info, clock_hz=..., baud=...)`` is an ``Elaboratable`` for any
amaranth-boards platform with a ``uart`` resource: it makes the ``sync`` domain (through
:func:`~sc_neurocore.boards.clocks.add_pll_domain` when ``clock_hz`` differs from the board's
clock), joins ``core_factory()`` and its protocol :class:`~sc_neurocore.boards.link.Link` in a
:class:`~sc_neurocore.boards.link.LinkEngine` (``wiring.connect``), wires ``uart.rx``/``uart.tx`` and
shows the last prediction in binary on the first ``led_count`` ``led`` resources (LED 0 = bit 0).
"""

from __future__ import annotations

from amaranth.build import ResourceError
from amaranth.hdl import Elaboratable, Module
from amaranth.lib import io

from ..hw.checks import Validated, check_int
from ..hw.uart import baud_divisor
from . import protocol as P
from .clocks import achieved_clock, add_pll_domain
from .link import LinkEngine

__all__ = ["BoardTop", "DEFAULT_BAUD", "LINK_TIMEOUT_S"]

#: Default serial rate: an exact divisor of the FTDI bridges' 3 MHz / 12 MHz bases and of the clocks used here.
DEFAULT_BAUD = 1_000_000
#: Idle time that ends a frame in progress (covers USB scheduling gaps inside one request).
LINK_TIMEOUT_S = 0.02


class BoardTop(Validated, Elaboratable):
    """Board top around a network core.

    Parameters
    ----------
    core_factory : callable
        ``core_factory() -> core`` with a ``NetworkSignature`` (``SCNetworkCore``, ``StandInCore``).
    info : protocol.BoardInfo
        The ``CMD_INFO`` answer (net shape, k, T, net id).
    clock_hz : float or None
        Target ``sync`` clock; ``None`` or the board clock: no PLL.
    baud : int
        UART rate.
    led_count : int
        How many ``led`` resources show the prediction (fewer if the board has fewer).
    """

    @staticmethod
    def validate(core_factory, info: P.BoardInfo, *, clock_hz: float | None = None, baud: int = DEFAULT_BAUD,
                 led_count: int = 4) -> None:
        if not callable(core_factory):
            raise TypeError(f"core_factory must be callable, not {core_factory!r}")
        if not isinstance(info, P.BoardInfo):
            raise TypeError(f"info must be a protocol.BoardInfo, not {info!r}")
        if clock_hz is not None and not (isinstance(clock_hz, (int, float)) and clock_hz > 0):
            raise ValueError(f"clock_hz must be a positive frequency in Hz or None, not {clock_hz!r}")
        check_int("baud", baud, 1)
        check_int("led_count", led_count, 0)

    def __init__(self, core_factory, info: P.BoardInfo, *, clock_hz: float | None = None, baud: int = DEFAULT_BAUD,
                 led_count: int = 4):
        self.core_factory = core_factory
        self.info = info
        self.clock_hz = clock_hz
        self.baud = baud
        self.led_count = led_count
        self.core = None

    def uses_pll(self, platform) -> bool:
        return self.clock_hz is not None and abs(self.clock_hz - platform.default_clk_frequency) > 1.0

    def achieved_clock(self, platform) -> float:
        """The ``sync`` frequency this top will run at on ``platform`` (PLL output or board clock)."""
        return achieved_clock(platform, self.clock_hz)

    def elaborate(self, platform) -> Module:
        if platform is None:
            raise TypeError("BoardTop needs a platform; simulate LinkEngine directly instead")
        m = Module()
        if self.uses_pll(platform):
            f = add_pll_domain(m, platform, self.clock_hz)
        else:
            f = float(platform.default_clk_frequency)
        leds = []
        for n in range(self.led_count):
            try:
                leds.append(platform.request("led", n, dir="-"))
            except ResourceError:
                break
        self.core = self.core_factory()
        m.submodules.link = link = LinkEngine(
            self.core,
            self.info,
            divisor=baud_divisor(f, self.baud),
            timeout=max(12 * round(f / self.baud), round(f * LINK_TIMEOUT_S)),
            led_width=len(leds),
        )
        # pads as bare ports (dir="-"), buffered by amaranth.lib.io (inversion of active-low pins included)
        uart = platform.request("uart", 0, dir="-")
        m.submodules.uart_rx = rx = io.Buffer("i", uart.rx)
        m.submodules.uart_tx = tx = io.Buffer("o", uart.tx)
        m.d.comb += [link.rx.eq(rx.i), tx.o.eq(link.tx)]
        for n, led in enumerate(leds):
            m.submodules[f"led{n}"] = buf = io.Buffer("o", led)
            m.d.comb += buf.o.eq(link.leds[n])
        return m
