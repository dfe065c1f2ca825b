"""8N1 UART receiver and transmitter with a fixed baud divisor.

Both units take ``divisor``, the number of clock cycles per bit (``clock_hz / baud``, rounded by the
caller; :func:`baud_divisor` does it and refuses rates that land more than 2 % off).  Frames are 8N1:
one start bit (0), eight data bits LSB first, one stop bit (1); the line idles high.

The software model is :func:`uart_frame_bits` (the bits a byte puts on the line) and
:func:`uart_decode_bits` (the bytes a sampled line carries); ``tests/hw/test_uart.py`` drives both
units in simulation and checks them against the model.
"""

from __future__ import annotations

from amaranth.hdl import Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.cdc import FFSynchronizer
from amaranth.lib.wiring import In, Out

from .checks import Validated

__all__ = ["UARTRx", "UARTTx", "baud_divisor", "check_divisor", "uart_frame_bits", "uart_decode_bits", "MIN_DIVISOR"]

#: The receiver samples mid-bit; below 4 cycles per bit there is no middle to speak of.
MIN_DIVISOR = 4


def check_divisor(divisor) -> int:
    """``divisor`` if it is a valid cycles-per-bit count, else ``TypeError``/``ValueError``."""
    if isinstance(divisor, bool) or not isinstance(divisor, int):
        raise TypeError(f"UART divisor must be an integer number of clock cycles per bit, not {divisor!r}")
    if divisor < MIN_DIVISOR:
        raise ValueError(f"UART divisor must be at least {MIN_DIVISOR} cycles per bit, not {divisor!r}")
    return divisor


def baud_divisor(clock_hz: float, baud: int, *, tolerance: float = 0.02) -> int:
    """Cycles per bit for ``baud`` at ``clock_hz``; ``ValueError`` if the rate error exceeds ``tolerance``."""
    if not (isinstance(baud, int) and not isinstance(baud, bool)) or baud <= 0:
        raise ValueError(f"baud rate must be a positive integer, not {baud!r}")
    if not clock_hz > 0:
        raise ValueError(f"clock frequency must be positive, not {clock_hz!r}")
    divisor = round(clock_hz / baud)
    if divisor < MIN_DIVISOR:
        raise ValueError(
            f"{baud} baud needs at least {MIN_DIVISOR} cycles per bit; a {clock_hz / 1e6:g} MHz clock gives "
            f"{clock_hz / baud:.2f}"
        )
    error = abs(clock_hz / divisor - baud) / baud
    if error > tolerance:
        raise ValueError(
            f"{baud} baud at {clock_hz / 1e6:g} MHz is off by {100 * error:.1f} % (divisor {divisor}); "
            f"pick a rate within {100 * tolerance:g} %"
        )
    return divisor


def uart_frame_bits(byte: int) -> list[int]:
    """Line levels of one 8N1 frame: start bit, data LSB first, stop bit."""
    if not isinstance(byte, int) or not 0 <= byte <= 0xFF:
        raise ValueError(f"a UART frame carries one byte (0..255), not {byte!r}")
    return [0] + [(byte >> i) & 1 for i in range(8)] + [1]


def uart_decode_bits(bits) -> tuple[list[int], int]:
    """Bytes carried by a line sampled once per bit; returns ``(bytes, framing_errors)``.

    Idle (1) bits between frames are skipped; a frame whose stop bit is 0 counts as a framing
    error and yields no byte.
    """
    bits = list(bits)
    out, errors, i = [], 0, 0
    while i < len(bits):
        if bits[i]:
            i += 1
            continue
        if i + 10 > len(bits):
            break
        frame = bits[i : i + 10]
        if frame[9]:
            out.append(sum(b << n for n, b in enumerate(frame[1:9])))
        else:
            errors += 1
        i += 10
    return out, errors


class UARTTx(Validated, wiring.Component):
    """8N1 transmitter.

    Parameters
    ----------
    divisor : int
        Clock cycles per bit, at least :data:`MIN_DIVISOR`.

    Attributes
    ----------
    data : In(stream.Signature(8))
        Bytes to send.  ``ready`` is high while the transmitter is idle; a byte accepted in cycle
        ``n`` puts its start bit on ``tx`` from cycle ``n + 1`` for ``divisor`` cycles, each data bit
        and the stop bit follow for ``divisor`` cycles each; ``ready`` rises again in the last cycle
        of the stop bit, so back-to-back bytes leave no idle gap.
    tx : Out(1)
        Serial line, idle high (registered output).
    """

    @staticmethod
    def validate(divisor: int) -> None:
        check_divisor(divisor)

    def __init__(self, divisor: int):
        self._divisor = divisor
        super().__init__({"data": In(stream.Signature(8)), "tx": Out(1, init=1)})

    @property
    def divisor(self) -> int:
        return self._divisor

    def elaborate(self, platform) -> Module:
        m = Module()
        shreg = Signal(10, init=0x3FF)  # stop, data[7:0], start -- shifted out LSB first
        bits_left = Signal(range(11))
        timer = Signal(range(self._divisor))

        m.d.comb += self.tx.eq(shreg[0])
        last_cycle = (bits_left == 1) & (timer == 0)
        m.d.comb += self.data.ready.eq((bits_left == 0) | last_cycle)

        with m.If(self.data.valid & self.data.ready):
            m.d.sync += [
                shreg.eq((self.data.payload | 0x100) << 1),  # 1 stop bit, data, 0 start bit
                bits_left.eq(10),
                timer.eq(self._divisor - 1),
            ]
        with m.Elif(bits_left != 0):
            with m.If(timer == 0):
                m.d.sync += [
                    shreg.eq((shreg >> 1) | (1 << 9)),
                    bits_left.eq(bits_left - 1),
                    timer.eq(self._divisor - 1),
                ]
            with m.Else():
                m.d.sync += timer.eq(timer - 1)
        return m


class UARTRx(Validated, wiring.Component):
    """8N1 receiver with a two-flop input synchroniser.

    Parameters
    ----------
    divisor : int
        Clock cycles per bit, at least :data:`MIN_DIVISOR`.

    Attributes
    ----------
    rx : In(1)
        Serial line (asynchronous; synchronised inside, idle high).
    data : Out(stream.Signature(8))
        Received bytes, one transfer per good frame.  A byte is offered from the cycle after its
        stop bit is sampled (about 9.5 bit times after the start edge, plus 2 synchroniser cycles)
        until accepted.
    error : Out(1)
        One-cycle strobe: a frame ended with a 0 stop bit (framing error); its byte is dropped.
    overrun : Out(1)
        One-cycle strobe: a byte arrived while the previous one was still not accepted; the new byte
        is dropped.
    """

    @staticmethod
    def validate(divisor: int) -> None:
        check_divisor(divisor)

    def __init__(self, divisor: int):
        self._divisor = divisor
        super().__init__(
            {"rx": In(1, init=1), "data": Out(stream.Signature(8)), "error": Out(1), "overrun": Out(1)}
        )

    @property
    def divisor(self) -> int:
        return self._divisor

    def elaborate(self, platform) -> Module:
        m = Module()
        d = self._divisor
        rx = Signal(init=1)
        m.submodules.sync_rx = FFSynchronizer(self.rx, rx, init=1)

        timer = Signal(range(d + d // 2 + 1))
        shreg = Signal(8)
        nbit = Signal(range(9))

        with m.If(self.data.ready):
            m.d.sync += self.data.valid.eq(0)

        def deliver(byte):
            with m.If(self.data.valid & ~self.data.ready):
                m.d.comb += self.overrun.eq(1)
            with m.Else():
                m.d.sync += [self.data.payload.eq(byte), self.data.valid.eq(1)]

        with m.FSM():
            with m.State("IDLE"):
                with m.If(~rx):
                    m.d.sync += timer.eq(d // 2 - 1)
                    m.next = "START"
            with m.State("START"):
                with m.If(timer == 0):
                    with m.If(rx):  # a glitch, not a start bit
                        m.next = "IDLE"
                    with m.Else():
                        m.d.sync += [timer.eq(d - 1), nbit.eq(0)]
                        m.next = "DATA"
                with m.Else():
                    m.d.sync += timer.eq(timer - 1)
            with m.State("DATA"):
                with m.If(timer == 0):
                    m.d.sync += [shreg.eq((rx << 7) | (shreg >> 1)), timer.eq(d - 1), nbit.eq(nbit + 1)]
                    with m.If(nbit == 7):
                        m.next = "STOP"
                with m.Else():
                    m.d.sync += timer.eq(timer - 1)
            with m.State("STOP"):
                with m.If(timer == 0):
                    with m.If(rx):
                        deliver(shreg)
                        m.next = "IDLE"
                    with m.Else():
                        m.d.comb += self.error.eq(1)
                        m.next = "BREAK"
                with m.Else():
                    m.d.sync += timer.eq(timer - 1)
            with m.State("BREAK"):  # wait for the line to return high before hunting for a start bit
                with m.If(rx):
                    m.next = "IDLE"
        return m

