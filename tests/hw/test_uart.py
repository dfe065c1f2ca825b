"""UARTTx / UARTRx in Amaranth simulation against the line model (uart_frame_bits / uart_decode_bits)."""

from __future__ import annotations

import random

import pytest
from amaranth.hdl import Module
from amaranth.sim import Simulator
from sc_neurocore.hw.uart import (
    MIN_DIVISOR,
    UARTRx,
    UARTTx,
    baud_divisor,
    uart_decode_bits,
    uart_frame_bits,
)


def test_frame_model():
    assert uart_frame_bits(0x01) == [0, 1, 0, 0, 0, 0, 0, 0, 0, 1]
    assert uart_frame_bits(0xA5) == [0, 1, 0, 1, 0, 0, 1, 0, 1, 1]
    data = [0x00, 0xFF, 0x5A, 0x80]
    line = [1, 1] + sum((uart_frame_bits(b) + [1] * i for i, b in enumerate(data)), [])
    assert uart_decode_bits(line) == (data, 0)
    bad = uart_frame_bits(0x33)
    bad[-1] = 0
    assert uart_decode_bits(bad + [1]) == ([], 1)
    with pytest.raises(ValueError, match="256"):
        uart_frame_bits(256)


@pytest.mark.parametrize("bad", [3, 0, -5])
def test_divisor_checked(bad):
    with pytest.raises(ValueError, match=str(bad)):
        UARTTx(bad)
    with pytest.raises(ValueError, match=str(bad)):
        UARTRx(bad)


def test_divisor_type_checked():
    with pytest.raises(TypeError, match="4.5"):
        UARTRx(4.5)


def test_baud_divisor():
    assert baud_divisor(12e6, 1_000_000) == 12
    assert baud_divisor(25e6, 115200) == 217
    assert baud_divisor(12e6, 921600) == 13  # 923,077 baud: 0.16 % fast, within tolerance
    with pytest.raises(ValueError, match="off by"):
        baud_divisor(12e6, 2_500_000)  # 4.8 -> 5 cycles: 4 % slow
    # 12 MHz / 3 Mbaud = 4 cycles per bit exactly, allowed; 5 Mbaud is too fast.
    assert baud_divisor(12e6, 3_000_000) == MIN_DIVISOR
    with pytest.raises(ValueError, match="at least"):
        baud_divisor(12e6, 5_000_000)


def _tx_line(divisor, data, gap_cycles=0):
    """Run UARTTx on ``data``; return the line sampled every cycle."""
    dut = UARTTx(divisor)
    line = []

    async def bench(ctx):
        for byte in data:
            ctx.set(dut.data.payload, byte)
            ctx.set(dut.data.valid, 1)
            while True:
                line.append(ctx.get(dut.tx))
                ready = ctx.get(dut.data.ready)
                await ctx.tick()
                if ready:
                    break
            ctx.set(dut.data.valid, 0)
            for _ in range(gap_cycles):
                line.append(ctx.get(dut.tx))
                await ctx.tick()
        for _ in range(11 * divisor):
            line.append(ctx.get(dut.tx))
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return line


@pytest.mark.parametrize("divisor", [4, 7, 12])
def test_tx_matches_model(divisor):
    rng = random.Random(divisor)
    data = [rng.randrange(256) for _ in range(6)] + [0x00, 0xFF]
    line = _tx_line(divisor, data)
    assert line[0] == 1  # idle before the first start bit
    # Every bit lasts exactly `divisor` cycles: sample in the middle of each bit cell after the first edge.
    start = line.index(0)
    cells = [line[start + divisor // 2 + i * divisor] for i in range((len(line) - start - divisor // 2 - 1) // divisor)]
    decoded, errors = uart_decode_bits(cells)
    assert (decoded, errors) == (data, 0)
    # Back to back: frame n+1's start bit follows frame n's stop bit with no idle cell.
    expect = sum((uart_frame_bits(b) for b in data), [])
    assert cells[: len(expect)] == expect


def _rx_run(divisor, line_bits, *, cell=None, ready_always=True):
    """Drive UARTRx with ``line_bits`` (one level per bit cell of ``cell`` cycles)."""
    cell = divisor if cell is None else cell
    dut = UARTRx(divisor)
    got, errors, overruns = [], [0], [0]

    async def bench(ctx):
        ctx.set(dut.data.ready, 1 if ready_always else 0)
        for level in line_bits + [1] * 3:
            for _ in range(cell):
                ctx.set(dut.rx, level)
                await ctx.tick()
        for _ in range(4 * divisor):
            await ctx.tick()

    async def monitor(ctx):
        async for _clk, _rst, valid, payload, ready, err, ovr in ctx.tick().sample(
            dut.data.valid, dut.data.payload, dut.data.ready, dut.error, dut.overrun
        ):
            if valid and ready:
                got.append(payload)
            errors[0] += err
            overruns[0] += ovr

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.add_process(monitor)
    sim.run()
    return got, errors[0], overruns[0]


@pytest.mark.parametrize("divisor", [4, 5, 12])
def test_rx_matches_model(divisor):
    rng = random.Random(100 + divisor)
    data = [rng.randrange(256) for _ in range(8)] + [0x00, 0xFF]
    line = [1, 1]
    for i, b in enumerate(data):
        line += uart_frame_bits(b) + [1] * (i % 2)
    got, errors, _ = _rx_run(divisor, line)
    assert got == uart_decode_bits(line)[0] == data
    assert errors == 0


def test_rx_tolerates_clock_mismatch():
    # The sender's bit cells are 25 cycles against a receiver expecting 24 (4 % slow).
    data = [0x55, 0xC3, 0x0F]
    line = [1] + sum((uart_frame_bits(b) for b in data), [])
    got, errors, _ = _rx_run(24, line, cell=25)
    assert got == data and errors == 0


def test_rx_framing_error():
    bad = uart_frame_bits(0x3C)
    bad[-1] = 0  # stop bit low
    line = [1, 1] + bad + [1, 1] + uart_frame_bits(0x42)
    got, errors, _ = _rx_run(8, line)
    assert errors == 1
    assert got == [0x42]  # the bad frame yields nothing; the next one is read


def test_rx_rejects_glitch():
    # A low pulse shorter than half a bit is not a start bit.
    dut_div = 16
    line_cycles = [1] * 20 + [0] * 3 + [1] * 40
    dut = UARTRx(dut_div)
    seen = _rx_strobes(dut, line_cycles + [1] * (12 * dut_div))
    assert not any(v or e for v, e in seen)


def test_rx_overrun():
    data = [0x11, 0x22]
    line = [1] + sum((uart_frame_bits(b) for b in data), [])
    got, errors, overruns = _rx_run(6, line, ready_always=False)
    assert got == [] and overruns == 1


def test_loopback():
    divisor = 5
    m = Module()
    m.submodules.tx = tx = UARTTx(divisor)
    m.submodules.rx = rx = UARTRx(divisor)
    m.d.comb += rx.rx.eq(tx.tx)
    data = list(range(0, 256, 37))
    got = []

    async def bench(ctx):
        ctx.set(rx.data.ready, 1)
        for byte in data:
            ctx.set(tx.data.payload, byte)
            ctx.set(tx.data.valid, 1)
            await ctx.tick().until(tx.data.ready)
        ctx.set(tx.data.valid, 0)
        await ctx.tick().repeat(12 * divisor)

    async def monitor(ctx):
        async for _clk, _rst, valid, payload in ctx.tick().sample(rx.data.valid, rx.data.payload):
            if valid:
                got.append(payload)

    sim = Simulator(m)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.add_process(monitor)
    sim.run()
    assert got == data


# ------------------------------------------------------------- edges the mutation run found untested (issue 18)

def test_decode_bits_at_the_end_of_the_line():
    """A frame that ends exactly at the end of the line is read; one cut short (9 of 10 bits) is dropped without an
    error; idle bits before, between and after frames are skipped; back-to-back frames realign on each start bit."""
    a, b = uart_frame_bits(0xA5), uart_frame_bits(0x3C)
    assert uart_decode_bits(a) == ([0xA5], 0)  # exactly ten bits, nothing after
    assert uart_decode_bits(a[:9]) == ([], 0)  # the stop bit is missing: no byte, no error
    assert uart_decode_bits([1, 1] + a + b) == ([0xA5, 0x3C], 0)  # back to back: the next start bit follows
    assert uart_decode_bits([1] + a + [1] + b[:5]) == ([0xA5], 0)
    assert uart_decode_bits(a + [0]) == ([0xA5], 0)  # a line that ends low after a frame: a truncated start
    assert uart_decode_bits([]) == ([], 0)
    bad = a[:9] + [0]
    assert uart_decode_bits(bad + b) == ([0x3C], 1)  # a framing error, then the next frame from its own start


def test_tx_line_idles_high_after_a_frame():
    """After the stop bit the line stays high (idle), with ready high, until the next byte."""
    divisor = 5
    dut = UARTTx(divisor)
    seen = []

    async def bench(ctx):
        seen.append((ctx.get(dut.tx), ctx.get(dut.data.ready)))  # at reset: idle and ready
        ctx.set(dut.data.payload, 0x00)  # all-zero data: the idle level after it comes only from the shift-ins
        ctx.set(dut.data.valid, 1)
        await ctx.tick()
        ctx.set(dut.data.valid, 0)
        for _ in range(14 * divisor):
            seen.append((ctx.get(dut.tx), ctx.get(dut.data.ready)))
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert seen[0] == (1, 1)
    line = [tx for tx, _ in seen[1:]]
    assert line[:9 * divisor] == [0] * (9 * divisor)  # start bit and eight 0 data bits
    assert line[9 * divisor:] == [1] * (5 * divisor)  # the stop bit, then idle: high for good
    assert all(ready for _, ready in seen[1 + 10 * divisor:])


def _rx_cycles(divisor, levels):
    """Drive UARTRx with one line level per clock cycle; the bytes it offers and its framing errors."""
    dut = UARTRx(divisor)
    got, errors = [], [0]

    async def bench(ctx):
        ctx.set(dut.data.ready, 1)
        for level in levels + [1] * (4 * divisor):
            ctx.set(dut.rx, level)
            await ctx.tick()

    async def monitor(ctx):
        async for _clk, _rst, valid, payload, err in ctx.tick().sample(dut.data.valid, dut.data.payload, dut.error):
            if valid:
                got.append(payload)
            errors[0] += err

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.add_process(monitor)
    sim.run()
    return got, errors[0]


@pytest.mark.parametrize("divisor", [8, 9, 12])
def test_rx_samples_each_bit_at_its_middle_cycle(divisor):
    """The receiver samples data and stop bits exactly ``divisor // 2`` cycles into each bit cell (counted from
    the start bit's falling edge; the synchroniser's two cycles cancel out, as the start is detected through it
    too).  Each data and stop bit carries its value only in that one cycle and the opposite level in all
    others: the byte is read right only if every sample lands on it; one cycle early or late reads garbage."""
    byte = 0b1011_0010
    frame = uart_frame_bits(byte)
    levels = [1] * (2 * divisor) + [0] * divisor  # idle, then a whole start bit
    for bit in frame[1:]:
        cell = [1 - bit] * divisor
        cell[divisor // 2] = bit
        levels += cell
    assert _rx_cycles(divisor, levels) == ([byte], 0)
    for shift in (-1, 1):  # the same window one cycle off: the receiver must not read the byte
        off = [1] * (2 * divisor) + [0] * divisor
        for bit in frame[1:]:
            cell = [1 - bit] * divisor
            cell[divisor // 2 + shift] = bit
            off += cell
        assert _rx_cycles(divisor, off)[0] != [byte]


def test_rx_frame_starting_at_reset():
    """A start bit from the very first cycle: the synchroniser holds the idle level (1) through reset, so the
    falling edge is seen two cycles in, as for any frame, and the one-cycle windows still land."""
    divisor = 8
    byte = 0x5A
    levels = [0] * divisor  # no idle before the start bit
    for bit in uart_frame_bits(byte)[1:]:
        cell = [1 - bit] * divisor
        cell[divisor // 2] = bit
        levels += cell
    assert _rx_cycles(divisor, levels) == ([byte], 0)


def test_rx_line_idles_high_when_nothing_drives_it():
    """The receiver's line input starts at the idle level (1): left undriven, it sees no start bit, so no byte and no
    framing error, for as long as a frame and more; a frame driven afterwards is read."""
    divisor = 6
    frame = [bit for bit in uart_frame_bits(0x5A) + [1, 1] for _ in range(divisor)]
    seen = _rx_strobes(UARTRx(divisor), [None] * (15 * divisor) + frame)  # None: rx never set, its reset value
    assert not any(v or e for v, e in seen[:15 * divisor])
    assert any(v for v, _ in seen[15 * divisor:]) and not any(e for _, e in seen)


def _rx_strobes(dut, levels):
    """Drive ``dut.rx`` with one level per clock (``None``: leave it as it is) with ``data.ready`` high; the
    ``(valid, error)`` seen after each clock."""
    seen = []

    async def bench(ctx):
        ctx.set(dut.data.ready, 1)
        for level in levels:
            if level is not None:
                ctx.set(dut.rx, level)
            await ctx.tick()
            seen.append((ctx.get(dut.data.valid), ctx.get(dut.error)))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return seen
