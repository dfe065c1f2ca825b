"""Gateware side of the serial protocol: UART, framing, CRC check, input buffer, network core hand-off.

:class:`Link` is the whole board behaviour minus the core, the clocks and the pins: a UART receiver
parses request frames (:mod:`sc_neurocore.boards.protocol`), checks the CRC-16 (``amaranth.lib.crc``,
the parameters :data:`~sc_neurocore.boards.protocol.CRC` the host uses too) before anything reaches
the core, streams the buffered input codes out on ``codes``, takes the core's result on ``results``
and answers with a result frame (or an error frame).

:class:`LinkEngine` is a network core and its link, joined with ``wiring.connect``: the core must
have a :class:`~sc_neurocore.hw.ports.NetworkSignature` (``SCNetworkCore``, or the board flow's
``StandInCore``), whose result layout the link's ``results`` stream takes.
:class:`~sc_neurocore.boards.top.BoardTop` adds the PLL and the platform's pins; the co-simulation
tests drive :class:`LinkEngine` directly.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Signal, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ..hw.checks import Validated, check_int
from ..hw.ports import NetworkSignature
from ..hw.uart import UARTRx, UARTTx, check_divisor
from . import protocol as P

__all__ = ["INFO_LAYOUT", "Link", "LinkEngine", "result_payload_layout"]

#: ``RSP_INFO`` payload, little-endian fields in order (``protocol.encode_info``).
INFO_LAYOUT = data.StructLayout({
    "version": 8, "n_input": 16, "n_output": 8, "prob_bits": 8, "timesteps": 16, "count_bytes": 8, "net_id": 16,
})


def result_payload_layout(info: P.BoardInfo) -> data.StructLayout:
    """``RSP_RESULT`` payload (``protocol.encode_result``): prediction byte, counts, cycles (little-endian)."""
    return data.StructLayout({
        "prediction": 8,
        "counts": data.ArrayLayout(8 * info.count_bytes, info.n_output),
        "cycles": 8 * P.CYCLES_BYTES,
    })


def _check_link_arguments(info, divisor, timeout, led_width) -> None:
    if not isinstance(info, P.BoardInfo):
        raise TypeError(f"info must be a protocol.BoardInfo, not {info!r}")
    if info.n_output > 256:
        raise ValueError(f"the protocol sends the prediction in one byte; {info.n_output} classes do not fit")
    check_divisor(divisor)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 12 * divisor:
        raise ValueError(f"timeout must be an integer of at least 12 bit times ({12 * divisor} cycles), not {timeout!r}")
    check_int("led_width", led_width, 0)


class _Registers:
    """The link's registers (request fields, answer buffer, feed position, cycle counter)."""

    def __init__(self, info: P.BoardInfo):
        max_payload = max(P.INFO_LENGTH, info.result_length, 1)
        self.cmd, self.length, self.cnt = Signal(8), Signal(16), Signal(16)
        self.low = Signal(8)  # low byte of a 2-byte code
        self.err = Signal(8)
        self.tx_buf = Signal(8 * max_payload)
        self.tx_cmd = Signal(8)
        self.tx_len = Signal(range(max_payload + 1))
        self.tx_idx = Signal(range(max_payload + 1))
        self.feed_idx = Signal(range(info.n_input + 1))
        self.cycles = Signal(8 * P.CYCLES_BYTES)


class Link(Validated, wiring.Component):
    """UART protocol front end of a network core.

    Parameters
    ----------
    info : protocol.BoardInfo
        What the board answers to ``CMD_INFO``; also fixes the request and result sizes.
    result : data.StructLayout
        The core's result word (``counts``, ``prediction``): ``NetworkSignature.output_layout``.
    divisor : int
        UART clock cycles per bit (``clock_hz / baud``).
    timeout : int
        Idle cycles after which a frame in progress counts as truncated (answered with
        ``ERR_TRUNCATED``) and after which a rejected over-long frame's remaining bytes stop being
        drained.  Set it well above one byte time (the board tops use 20 ms).
    led_width : int
        Width of ``leds``.

    Attributes
    ----------
    rx : In(1)
        UART receive line (from the host), idle high.
    tx : Out(1)
        UART transmit line (to the host), idle high.
    leds : Out(led_width)
        The last prediction, binary (low bits).
    busy : Out(1)
        High from a good request until its answer has been sent.
    codes : Out(stream.Signature(unsigned(prob_bits)))
        A request's input codes, in order, to the core's ``i``.
    results : In(stream.Signature(result))
        The core's ``o``.

    Latency: the answer's first byte starts one cycle after the request's last CRC bit (error, info)
    or one cycle after the core's result (``RSP_RESULT``).  Bytes that arrive while the link is
    busy are ignored (the host waits for each answer).
    """

    @staticmethod
    def validate(info: P.BoardInfo, result: data.StructLayout, *, divisor: int, timeout: int,
                 led_width: int = 4) -> None:
        _check_link_arguments(info, divisor, timeout, led_width)
        if not isinstance(result, data.StructLayout) or {"counts", "prediction"} - {n for n, _ in result}:
            raise TypeError(f"result must be a StructLayout with 'counts' and 'prediction', not {result!r}")

    def __init__(self, info: P.BoardInfo, result: data.StructLayout, *, divisor: int, timeout: int,
                 led_width: int = 4):
        self.info, self.divisor, self.timeout = info, divisor, timeout
        super().__init__({
            "rx": In(1, init=1), "tx": Out(1, init=1), "leds": Out(led_width), "busy": Out(1),
            "codes": Out(stream.Signature(unsigned(info.prob_bits))),
            "results": In(stream.Signature(result)),
        })

    def elaborate(self, platform) -> Module:
        m = Module()
        info = self.info
        m.submodules.uart_rx = urx = UARTRx(self.divisor)
        m.submodules.uart_tx = utx = UARTTx(self.divisor)
        m.submodules.rx_crc = rx_crc = P.CRC.create()
        m.submodules.tx_crc = tx_crc = P.CRC.create()
        m.d.comb += [urx.rx.eq(self.rx), self.tx.eq(utx.tx), urx.data.ready.eq(1)]

        # ---- idle timer: cycles since the last byte (saturating)
        idle = Signal(range(self.timeout + 1))
        timed_out = idle == self.timeout
        with m.If(urx.data.valid | urx.error):
            m.d.sync += idle.eq(0)
        with m.Elif(~timed_out):
            m.d.sync += idle.eq(idle + 1)
        # a line error reaches the frame parser a clock late, from a flip-flop: the UART's stop-bit decode
        # and the parser's answer logic then never share a clock period (no byte can follow that closely)
        line_error = Signal()
        m.d.sync += line_error.eq(urx.error)

        # ---- input code buffer: written by the request's payload, read out to the core
        m.submodules.buf = buf = Memory(shape=unsigned(info.prob_bits), depth=info.n_input, init=[])
        r = _Registers(info)
        leds = Signal(len(self.leds))
        m.d.comb += self.leds.eq(leds)
        rd = buf.read_port()
        m.d.comb += rd.addr.eq(r.feed_idx)

        def answer(code_cmd, payload, n):
            m.d.sync += [r.tx_cmd.eq(code_cmd), r.tx_buf.eq(payload), r.tx_len.eq(n), r.tx_idx.eq(0)]
            m.next = "TX_SYNC"

        with m.FSM(name="link"):
            self._receive(m, r, urx, line_error, rx_crc, buf.write_port(), timed_out, answer)
            self._run_core(m, r, rd, leds, answer)
            self._send(m, r, utx, tx_crc)
        return m

    def _receive(self, m, r, urx, line_error, crc, wr, timed_out, answer):
        """IDLE .. CHECK: parse a request frame; the CRC bytes go through the CRC unit too (residue 0 = good)."""
        info = self.info
        got, byte = urx.data.valid, urx.data.payload
        expected = info.request_length

        def fail(code):
            answer(P.RSP_ERROR, code, 1)

        with m.State("IDLE"):
            with m.If(got & (byte == P.SYNC)):
                m.d.comb += crc.start.eq(1)
                m.next = "CMD"
        for state, nxt in (("CMD", "LEN0"), ("LEN0", "LEN1"), ("LEN1", None), ("PAYLOAD", None),
                           ("CRC0", "CRC1"), ("CRC1", "CHECK")):
            with m.State(state):
                with m.If(line_error):
                    m.d.sync += r.err.eq(P.ERR_LINE)
                    m.next = "DRAIN"
                with m.Elif(got):
                    m.d.comb += [crc.valid.eq(1), crc.data.eq(byte)]
                    if state == "CMD":
                        m.d.sync += r.cmd.eq(byte)
                    elif state == "LEN0":
                        m.d.sync += r.length[:8].eq(byte)
                    elif state == "LEN1":
                        full = Cat(r.length[:8], byte)
                        m.d.sync += [r.length[8:].eq(byte), r.cnt.eq(0)]
                        with m.If(full > max(expected, 0)):
                            m.d.sync += r.err.eq(P.ERR_LENGTH)
                            m.next = "DRAIN"
                        with m.Elif(full == 0):
                            m.next = "CRC0"
                        with m.Else():
                            m.next = "PAYLOAD"
                    elif state == "PAYLOAD":
                        m.d.sync += r.cnt.eq(r.cnt + 1)
                        if info.code_bytes == 1:
                            m.d.comb += [wr.addr.eq(r.cnt), wr.data.eq(byte), wr.en.eq(r.cmd == P.CMD_INFER)]
                        else:
                            m.d.sync += r.low.eq(byte)
                            m.d.comb += [wr.addr.eq(r.cnt >> 1), wr.data.eq(Cat(r.low, byte)),
                                         wr.en.eq((r.cmd == P.CMD_INFER) & r.cnt[0])]
                        with m.If(r.cnt == r.length - 1):
                            m.next = "CRC0"
                    if nxt is not None:
                        m.next = nxt
                with m.Elif(timed_out):
                    fail(P.ERR_TRUNCATED)
        with m.State("DRAIN"):
            # a frame that cannot be trusted: let its remaining bytes pass, then answer
            with m.If(timed_out):
                fail(r.err)
        with m.State("CHECK"):
            with m.If(~crc.match_detected):
                fail(P.ERR_CRC)
            with m.Elif(r.cmd == P.CMD_INFO):
                with m.If(r.length == 0):
                    answer(P.RSP_INFO, INFO_LAYOUT.const(vars(info)).as_value(), P.INFO_LENGTH)
                with m.Else():
                    fail(P.ERR_LENGTH)
            with m.Elif(r.cmd == P.CMD_INFER):
                with m.If(r.length == expected):
                    m.d.sync += [r.feed_idx.eq(0), r.cycles.eq(0)]
                    m.next = "FEED_ADDR"
                with m.Else():
                    fail(P.ERR_LENGTH)
            with m.Else():
                fail(P.ERR_COMMAND)

    def _run_core(self, m, r, rd, leds, answer):
        """FEED_ADDR, FEED_DATA, WAIT: codes out to the core, its result back, the cycles counted."""
        info = self.info
        with m.State("FEED_ADDR"):  # rd.addr = feed_idx; data valid next cycle
            m.d.comb += self.busy.eq(1)
            m.d.sync += r.cycles.eq(r.cycles + 1)
            m.next = "FEED_DATA"
        with m.State("FEED_DATA"):
            m.d.comb += [self.busy.eq(1), self.codes.valid.eq(1), self.codes.payload.eq(rd.data)]
            m.d.sync += r.cycles.eq(r.cycles + 1)
            with m.If(self.codes.ready):
                m.d.sync += r.feed_idx.eq(r.feed_idx + 1)
                with m.If(r.feed_idx == info.n_input - 1):
                    m.next = "WAIT"
                with m.Else():
                    m.next = "FEED_ADDR"
        with m.State("WAIT"):
            m.d.comb += [self.busy.eq(1), self.results.ready.eq(1)]
            with m.If(self.results.valid):
                got = self.results.payload
                payload = Signal(result_payload_layout(info))
                m.d.comb += [payload.prediction.eq(got.prediction), payload.cycles.eq(r.cycles)]
                m.d.comb += [payload.counts[c].eq(got.counts[c]) for c in range(info.n_output)]
                m.d.sync += leds.eq(got.prediction)
                answer(P.RSP_RESULT, payload.as_value(), info.result_length)
            with m.Else():
                m.d.sync += r.cycles.eq(r.cycles + 1)

    def _send(self, m, r, utx, crc):
        """TX_SYNC .. TX_CRC1: an answer frame; the CRC unit follows every byte after SYNC."""
        send = utx.data.valid & utx.data.ready
        with m.State("TX_SYNC"):
            m.d.comb += [utx.data.valid.eq(1), utx.data.payload.eq(P.SYNC), self.busy.eq(1), crc.start.eq(1)]
            with m.If(send):
                m.next = "TX_CMD"
        for state, value, nxt in (("TX_CMD", r.tx_cmd, "TX_LEN0"), ("TX_LEN0", r.tx_len, "TX_LEN1"),
                                  ("TX_LEN1", Const(0, 8), "TX_PAY"),
                                  ("TX_PAY", r.tx_buf.word_select(r.tx_idx, 8), None)):
            with m.State(state):
                m.d.comb += [utx.data.valid.eq(1), utx.data.payload.eq(value), self.busy.eq(1)]
                with m.If(send):
                    m.d.comb += [crc.valid.eq(1), crc.data.eq(value)]
                    if nxt is not None:
                        m.next = nxt
                    else:
                        m.d.sync += r.tx_idx.eq(r.tx_idx + 1)
                        with m.If(r.tx_idx == r.tx_len - 1):
                            m.next = "TX_CRC0"
        for state, value, nxt in (("TX_CRC0", crc.crc[8:], "TX_CRC1"), ("TX_CRC1", crc.crc[:8], "IDLE")):
            with m.State(state):
                m.d.comb += [utx.data.valid.eq(1), utx.data.payload.eq(value), self.busy.eq(1)]
                with m.If(send):
                    m.next = nxt


class LinkEngine(Validated, wiring.Component):
    """A network core behind its :class:`Link`, joined with ``wiring.connect`` (the core is submodule ``core``).

    Parameters
    ----------
    core : wiring.Component
        A network core: its signature is a :class:`~sc_neurocore.hw.ports.NetworkSignature` whose
        ``prob_bits`` and number of classes match ``info``.
    info, divisor, timeout, led_width
        As :class:`Link`.

    Attributes
    ----------
    rx, tx, leds, busy
        The link's (see :class:`Link`).
    """

    @staticmethod
    def validate(core, info: P.BoardInfo, *, divisor: int, timeout: int, led_width: int = 4) -> None:
        _check_link_arguments(info, divisor, timeout, led_width)
        sig = getattr(core, "signature", None)
        if not isinstance(sig, NetworkSignature):
            raise TypeError(f"core must be a network core (a component with a NetworkSignature: i, o), not {core!r}")
        if (sig.prob_bits, sig.n_output) != (info.prob_bits, info.n_output):
            raise ValueError(f"the core takes {sig.prob_bits}-bit codes into {sig.n_output} classes; "
                             f"info says {info.prob_bits} and {info.n_output}")

    def __init__(self, core, info: P.BoardInfo, *, divisor: int, timeout: int, led_width: int = 4):
        self.core = core
        self.link = Link(info, core.signature.output_layout, divisor=divisor, timeout=timeout, led_width=led_width)
        super().__init__({"rx": In(1, init=1), "tx": Out(1, init=1), "leds": Out(led_width), "busy": Out(1)})

    def elaborate(self, platform) -> Module:
        m = Module()
        m.submodules.core = core = self.core
        m.submodules.link = link = self.link
        wiring.connect(m, link.codes, core.i)
        wiring.connect(m, core.o, link.results)
        m.d.comb += [link.rx.eq(self.rx), self.tx.eq(link.tx), self.leds.eq(link.leds), self.busy.eq(link.busy)]
        return m
