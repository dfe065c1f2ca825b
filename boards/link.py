"""Gateware side of the serial protocol: UART, framing, CRC check, input buffer, network core hand-off.

:class:`LinkEngine` is the whole board behaviour minus clocks and pins: a UART receiver parses
request frames (:mod:`sc_neurocore.boards.protocol`), checks the CRC-16 before anything reaches the
network core, streams the buffered input codes into the core, waits for its result and answers
with a result frame (or an error frame).  :class:`~sc_neurocore.boards.top.BoardTop` adds the PLL
and the platform's pins; the co-simulation tests drive :class:`LinkEngine` directly.

The network core it wraps must offer (the interface of ``sc_neurocore.hw.SCNetworkCore``, see
:class:`CorePorts`):

* an input stream of k-bit codes, one transfer per input, in input order;
* an output stream whose payload carries the per-class spike ``counts`` and the ``prediction``.
"""

from __future__ import annotations

from dataclasses import dataclass

from amaranth.hdl import Cat, Const, Module, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ..hw.uart import UARTRx, UARTTx, check_divisor
from . import protocol as P

__all__ = ["LinkEngine", "CorePorts", "crc16_next"]


def _crc_columns() -> list[int]:
    """The CRC step is linear over GF(2): its effect of each input bit (16 of crc, then 8 of byte)."""
    return [P.crc16_update(1 << j, 0) ^ P.crc16_update(0, 0) for j in range(16)] + [
        P.crc16_update(0, 1 << j) ^ P.crc16_update(0, 0) for j in range(8)
    ]


def crc16_next(crc, byte):
    """Amaranth expression: :func:`sc_neurocore.boards.protocol.crc16_update` of one byte.

    Built as one XOR per output bit from the step's GF(2) matrix (derived from the software model,
    so the two cannot disagree); ``tests/boards/test_link.py`` checks it against the model.
    """
    cols = _crc_columns()
    inputs = [crc[j] for j in range(16)] + [byte[j] if j < len(byte) else Const(0, 1) for j in range(8)]
    bits = []
    for i in range(16):
        terms = [inputs[j] for j, col in enumerate(cols) if (col >> i) & 1]
        bit = terms[0]
        for t in terms[1:]:
            bit = bit ^ t
        bits.append(bit)
    return Cat(*bits)


def _as_bytes(value, nbytes):
    """``value`` zero-extended (or cut) to ``nbytes`` bytes."""
    v = value.as_unsigned()
    width = 8 * nbytes
    return v[:width] if len(v) >= width else Cat(v, Const(0, width - len(v)))


@dataclass(frozen=True)
class CorePorts:
    """Where :class:`LinkEngine` finds a network core's streams and result fields.

    ``inp``: the input-code stream (``valid``/``ready``/``payload``); ``out``: the result stream;
    ``counts(payload, i)`` and ``prediction(payload)`` pull the fields out of ``out.payload``.
    """

    inp: object
    out: object
    counts: object
    prediction: object

    @classmethod
    def of(cls, core) -> CorePorts:
        """``SCNetworkCore``'s mapping: streams ``core.i``/``core.o``, ``o.payload.counts[c]`` and ``.prediction``."""
        for name in ("i", "o"):
            if not hasattr(core, name):
                raise TypeError(f"{type(core).__name__} has no '{name}' stream; a network core needs 'i' and 'o'")
        return cls(core.i, core.o, lambda p, c: p.counts[c], lambda p: p.prediction)


class LinkEngine(wiring.Component):
    """UART protocol front end around a network core.

    Parameters
    ----------
    core : wiring.Component
        The network core (added as submodule ``core``); its streams are found by ``ports``.
    info : protocol.BoardInfo
        What the board answers to ``CMD_INFO``; also fixes the request and result sizes.
    divisor : int
        UART clock cycles per bit (``clock_hz / baud``).
    timeout : int
        Idle cycles after which a frame in progress counts as truncated (answered with
        ``ERR_TRUNCATED``) and after which a rejected over-long frame's remaining bytes stop being
        drained.  Set it well above one byte time (the board tops use 20 ms).
    ports : CorePorts, optional
        How to reach the core's streams (default :meth:`CorePorts.of`).
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

    Latency: the answer's first byte starts one cycle after the request's last CRC bit (error, info)
    or one cycle after the core's result (``RSP_RESULT``).  Bytes that arrive while the engine is
    busy are ignored (the host waits for each answer).
    """

    def __init__(self, core, info: P.BoardInfo, *, divisor: int, timeout: int, ports: CorePorts | None = None,
                 led_width: int = 4):
        if not isinstance(info, P.BoardInfo):
            raise TypeError(f"info must be a protocol.BoardInfo, not {info!r}")
        if info.n_output > 256:
            raise ValueError(f"the protocol sends the prediction in one byte; {info.n_output} classes do not fit")
        check_divisor(divisor)
        if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 12 * divisor:
            raise ValueError(f"timeout must be an integer of at least 12 bit times ({12 * divisor} cycles), not {timeout!r}")
        if isinstance(led_width, bool) or not isinstance(led_width, int) or led_width < 0:
            raise ValueError(f"led_width must be a non-negative integer, not {led_width!r}")
        self.uart_rx = UARTRx(divisor)
        self.uart_tx = UARTTx(divisor)
        self.core = core
        self.info = info
        self.divisor = divisor
        self.timeout = timeout
        self.ports = CorePorts.of(core) if ports is None else ports
        super().__init__({"rx": In(1, init=1), "tx": Out(1, init=1), "leds": Out(led_width), "busy": Out(1)})

    def elaborate(self, platform) -> Module:
        m = Module()
        info = self.info
        ports = self.ports
        m.submodules.core = self.core
        m.submodules.uart_rx = urx = self.uart_rx
        m.submodules.uart_tx = utx = self.uart_tx
        m.d.comb += [urx.rx.eq(self.rx), self.tx.eq(utx.tx), urx.data.ready.eq(1)]

        got = urx.data.valid
        byte = urx.data.payload
        cbytes = info.code_bytes
        expected = info.request_length
        k = info.prob_bits

        # ---- idle timer: cycles since the last byte (saturating)
        idle = Signal(range(self.timeout + 1))
        timed_out = idle == self.timeout
        with m.If(got | urx.error):
            m.d.sync += idle.eq(0)
        with m.Elif(~timed_out):
            m.d.sync += idle.eq(idle + 1)

        # ---- input code buffer
        m.submodules.buf = buf = Memory(shape=unsigned(k), depth=info.n_input, init=[])
        wr = buf.write_port()
        rd = buf.read_port()

        cmd = Signal(8)
        length = Signal(16)
        cnt = Signal(16)
        crc = Signal(16)
        crc_rx = Signal(16)
        low = Signal(8)  # low byte of a 2-byte code
        err = Signal(8)

        # ---- answer sequencer registers
        max_payload = max(P.INFO_LENGTH, info.result_length, 1)
        tx_buf = Signal(8 * max_payload)
        tx_cmd = Signal(8)
        tx_len = Signal(range(max_payload + 1))
        tx_idx = Signal(range(max_payload + 1))
        tx_crc = Signal(16)

        feed_idx = Signal(range(info.n_input + 1))
        cycles = Signal(32)
        prediction = Signal(8)
        leds = Signal(len(self.leds))
        m.d.comb += self.leds.eq(leds)

        info_bytes = P.encode_info(info)
        info_const = Const(int.from_bytes(info_bytes, "little"), 8 * len(info_bytes))

        def answer(code_cmd, payload, n):
            m.d.sync += [tx_cmd.eq(code_cmd), tx_buf.eq(payload), tx_len.eq(n), tx_idx.eq(0)]
            m.next = "TX_SYNC"

        def fail(code):
            answer(P.RSP_ERROR, code, 1)

        m.d.comb += rd.addr.eq(feed_idx)

        with m.FSM(name="link"):
            with m.State("IDLE"):
                with m.If(got & (byte == P.SYNC)):
                    m.d.sync += crc.eq(P.CRC_INIT)
                    m.next = "CMD"
            # -- request frame
            for state, nxt in (("CMD", "LEN0"), ("LEN0", "LEN1"), ("LEN1", None), ("PAYLOAD", None),
                               ("CRC0", "CRC1"), ("CRC1", "CHECK")):
                with m.State(state):
                    with m.If(urx.error):
                        m.d.sync += err.eq(P.ERR_LINE)
                        m.next = "DRAIN"
                    with m.Elif(got):
                        if state in ("CMD", "LEN0", "LEN1", "PAYLOAD"):
                            m.d.sync += crc.eq(crc16_next(crc, byte))
                        if state == "CMD":
                            m.d.sync += cmd.eq(byte)
                        elif state == "LEN0":
                            m.d.sync += length[:8].eq(byte)
                        elif state == "LEN1":
                            full = Cat(length[:8], byte)
                            m.d.sync += [length[8:].eq(byte), cnt.eq(0)]
                            with m.If(full > max(expected, 0)):
                                m.d.sync += err.eq(P.ERR_LENGTH)
                                m.next = "DRAIN"
                            with m.Elif(full == 0):
                                m.next = "CRC0"
                            with m.Else():
                                m.next = "PAYLOAD"
                        elif state == "PAYLOAD":
                            m.d.sync += cnt.eq(cnt + 1)
                            if cbytes == 1:
                                m.d.comb += [wr.addr.eq(cnt), wr.data.eq(byte)]
                                m.d.comb += wr.en.eq(cmd == P.CMD_INFER)
                            else:
                                m.d.sync += low.eq(byte)
                                m.d.comb += [wr.addr.eq(cnt >> 1), wr.data.eq(Cat(low, byte))]
                                m.d.comb += wr.en.eq((cmd == P.CMD_INFER) & cnt[0])
                            with m.If(cnt == length - 1):
                                m.next = "CRC0"
                        elif state == "CRC0":
                            m.d.sync += crc_rx[8:].eq(byte)
                        elif state == "CRC1":
                            m.d.sync += crc_rx[:8].eq(byte)
                        if nxt is not None:
                            m.next = nxt
                    with m.Elif(timed_out):
                        fail(P.ERR_TRUNCATED)
            with m.State("DRAIN"):
                # a frame that cannot be trusted: let its remaining bytes pass, then answer
                with m.If(timed_out):
                    fail(err)
            with m.State("CHECK"):
                with m.If(crc_rx != crc):
                    fail(P.ERR_CRC)
                with m.Elif(cmd == P.CMD_INFO):
                    with m.If(length == 0):
                        answer(P.RSP_INFO, info_const, P.INFO_LENGTH)
                    with m.Else():
                        fail(P.ERR_LENGTH)
                with m.Elif(cmd == P.CMD_INFER):
                    with m.If(length == expected):
                        m.d.sync += [feed_idx.eq(0), cycles.eq(0)]
                        m.next = "FEED_ADDR"
                    with m.Else():
                        fail(P.ERR_LENGTH)
                with m.Else():
                    fail(P.ERR_COMMAND)
            # -- run the core
            with m.State("FEED_ADDR"):  # rd.addr = feed_idx; data valid next cycle
                m.d.comb += self.busy.eq(1)
                m.d.sync += cycles.eq(cycles + 1)
                m.next = "FEED_DATA"
            with m.State("FEED_DATA"):
                m.d.comb += [self.busy.eq(1), ports.inp.valid.eq(1), ports.inp.payload.eq(rd.data)]
                m.d.sync += cycles.eq(cycles + 1)
                with m.If(ports.inp.ready):
                    m.d.sync += feed_idx.eq(feed_idx + 1)
                    with m.If(feed_idx == info.n_input - 1):
                        m.next = "WAIT"
                    with m.Else():
                        m.next = "FEED_ADDR"
            with m.State("WAIT"):
                m.d.comb += [self.busy.eq(1), ports.out.ready.eq(1)]
                with m.If(ports.out.valid):
                    payload = ports.out.payload
                    pred = ports.prediction(payload)
                    counts = [ports.counts(payload, i) for i in range(info.n_output)]
                    pieces = [_as_bytes(pred, 1)] + [_as_bytes(c, info.count_bytes) for c in counts]
                    pieces.append(cycles)
                    m.d.sync += [prediction.eq(pred), leds.eq(pred)]
                    answer(P.RSP_RESULT, Cat(*pieces), info.result_length)
                with m.Else():
                    m.d.sync += cycles.eq(cycles + 1)
            # -- answer
            send = utx.data.valid & utx.data.ready
            with m.State("TX_SYNC"):
                m.d.comb += [utx.data.valid.eq(1), utx.data.payload.eq(P.SYNC), self.busy.eq(1)]
                m.d.sync += tx_crc.eq(P.CRC_INIT)
                with m.If(send):
                    m.next = "TX_CMD"
            for state, value, nxt in (("TX_CMD", tx_cmd, "TX_LEN0"), ("TX_LEN0", tx_len, "TX_LEN1"),
                                      ("TX_LEN1", Const(0, 8), None)):
                with m.State(state):
                    m.d.comb += [utx.data.valid.eq(1), utx.data.payload.eq(value), self.busy.eq(1)]
                    with m.If(send):
                        m.d.sync += tx_crc.eq(crc16_next(tx_crc, value))
                        if nxt is not None:
                            m.next = nxt
                        else:
                            m.next = "TX_PAY"
            with m.State("TX_PAY"):
                value = tx_buf.word_select(tx_idx, 8)
                m.d.comb += [utx.data.valid.eq(1), utx.data.payload.eq(value), self.busy.eq(1)]
                with m.If(send):
                    m.d.sync += [tx_crc.eq(crc16_next(tx_crc, value)), tx_idx.eq(tx_idx + 1)]
                    with m.If(tx_idx == tx_len - 1):
                        m.next = "TX_CRC0"
            with m.State("TX_CRC0"):
                m.d.comb += [utx.data.valid.eq(1), utx.data.payload.eq(tx_crc[8:]), self.busy.eq(1)]
                with m.If(send):
                    m.next = "TX_CRC1"
            with m.State("TX_CRC1"):
                m.d.comb += [utx.data.valid.eq(1), utx.data.payload.eq(tx_crc[:8]), self.busy.eq(1)]
                with m.If(send):
                    m.next = "IDLE"
        return m
