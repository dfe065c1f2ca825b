"""LinkEngine (Link + StandInCore, joined by wiring.connect) in Amaranth simulation: frames in on rx, out on tx."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.hdl import Fragment
from amaranth.sim import Simulator
from sc_neurocore.boards import protocol as P
from sc_neurocore.boards.link import INFO_LAYOUT, LinkEngine, result_payload_layout
from sc_neurocore.boards.standin import StandInCore
from sc_neurocore.hw.uart import uart_frame_bits

# the tx monitor runs in the background and is cancelled mid-wait at the end of each simulation
pytestmark = [pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")]

DIV = 4
TIMEOUT = 16 * DIV
N_IN, N_OUT, K, T = 12, 3, 8, 25


def make_engine(prob_bits=K, latency=20):
    core = StandInCore(N_IN, N_OUT, prob_bits, T, latency)
    info = P.BoardInfo(P.VERSION, N_IN, N_OUT, prob_bits, T, P.count_bytes(T), 0x1234)
    return LinkEngine(core, info, divisor=DIV, timeout=TIMEOUT, led_width=2), core, info


def run_exchange(engine, chunks, *, settle=3000):
    """Send each chunk of bytes (with a pause of 2*TIMEOUT between chunks); return the bytes on tx."""
    out = []

    async def host(ctx):
        for chunk in chunks:
            for b in chunk:
                for level in uart_frame_bits(b):
                    ctx.set(engine.rx, level)
                    await ctx.tick().repeat(DIV)
            await ctx.tick().repeat(2 * TIMEOUT)  # long enough for a truncated frame to be noticed
            await ctx.tick().until(~engine.busy)  # the host waits for each answer
        await ctx.tick().repeat(settle)

    async def line(ctx):
        # sample the tx line mid-bit.  The wait for a start bit polls one tick at a time: a background
        # testbench left inside ``tick().until(...)`` when the simulation ends is closed later by the
        # garbage collector, and amaranth's ``until`` then raises in its ``finally`` (an unraisable
        # RuntimeError that pytest reports on whatever test runs next)
        while True:
            await ctx.tick()
            if ctx.get(engine.tx) != 0:
                continue
            await ctx.tick().repeat(DIV // 2)
            bits = []
            for _ in range(9):
                await ctx.tick().repeat(DIV)
                bits.append(ctx.get(engine.tx))
            assert bits[8] == 1, "stop bit"
            out.append(sum(b << i for i, b in enumerate(bits[:8])))

    sim = Simulator(engine)
    sim.add_clock(1e-6)
    sim.add_testbench(host)
    sim.add_testbench(line, background=True)
    sim.run()
    return bytes(out)


def frames_of(data):
    frames, skipped = P.FrameDecoder().feed(data)
    assert skipped == 0
    return frames


def test_payload_layouts_equal_the_host_encoders():
    """The link packs its answers with data layouts; the host's struct-based encoders must agree."""
    info = P.BoardInfo(P.VERSION, 300, 5, 12, 1000, P.count_bytes(1000), 0xBEEF)
    assert INFO_LAYOUT.const(vars(info)).as_bits().to_bytes(P.INFO_LENGTH, "little") == P.encode_info(info)
    layout = result_payload_layout(info)
    value = layout.const({"prediction": 3, "counts": [1, 999, 0, 1000, 7], "cycles": 123456}).as_bits()
    assert value.to_bytes(info.result_length, "little") == P.encode_result(3, [1, 999, 0, 1000, 7], 2, 123456)


def test_info_and_infer():
    engine, core, info = make_engine()
    rng = np.random.default_rng(5)
    codes = [rng.integers(0, 256, N_IN) for _ in range(2)]
    reqs = [P.encode_frame(P.CMD_INFO)] + [P.encode_frame(P.CMD_INFER, P.encode_codes(c, K)) for c in codes]
    frames = frames_of(run_exchange(engine, reqs))
    assert [f.cmd for f in frames] == [P.RSP_INFO, P.RSP_RESULT, P.RSP_RESULT]
    assert P.decode_info(frames[0].payload) == info
    for f, c in zip(frames[1:], codes):
        pred, counts, cycles = P.decode_result(f.payload, info)
        want_counts, want_pred = core.model(c)
        assert counts.tolist() == want_counts.tolist()
        assert pred == want_pred
        # the link feeds one code every two cycles: 2 * n_input + latency + argmax
        assert core.latency < cycles < core.cycles_per_image + N_IN + 4


def test_two_byte_codes():
    engine, core, info = make_engine(prob_bits=10)
    codes = np.array([1023, 0, 512, 7, 900, 1, 2, 3, 4, 5, 6, 1000])
    frames = frames_of(run_exchange(engine, [P.encode_frame(P.CMD_INFER, P.encode_codes(codes, 10))]))
    pred, counts, _ = P.decode_result(frames[0].payload, info)
    want_counts, want_pred = core.model(codes)
    assert counts.tolist() == want_counts.tolist() and pred == want_pred


def _error_code(frames):
    assert len(frames) == 1 and frames[0].cmd == P.RSP_ERROR, frames
    return frames[0].payload[0]


def test_corrupted_payload_rejected():
    engine, core, info = make_engine()
    good = P.encode_frame(P.CMD_INFER, P.encode_codes(np.arange(N_IN) * 20, K))
    bad = bytearray(good)
    bad[7] ^= 0x10
    assert _error_code(frames_of(run_exchange(engine, [bytes(bad)]))) == P.ERR_CRC


def test_truncated_frame_rejected_then_recovers():
    engine, core, info = make_engine()
    codes = np.arange(N_IN) * 20
    good = P.encode_frame(P.CMD_INFER, P.encode_codes(codes, K))
    frames = frames_of(run_exchange(engine, [good[:-3], good]))
    assert [f.cmd for f in frames] == [P.RSP_ERROR, P.RSP_RESULT]
    assert frames[0].payload[0] == P.ERR_TRUNCATED
    assert P.decode_result(frames[1].payload, info)[1].tolist() == core.model(codes)[0].tolist()


@pytest.mark.parametrize(
    "frame, code",
    [
        (P.encode_frame(P.CMD_INFER, bytes(N_IN - 1)), P.ERR_LENGTH),
        (P.encode_frame(P.CMD_INFER, bytes(N_IN + 5)), P.ERR_LENGTH),  # longer than any request: drained
        (P.encode_frame(P.CMD_INFO, b"\x00"), P.ERR_LENGTH),
        (P.encode_frame(0x42, b""), P.ERR_COMMAND),
    ],
    ids=["short", "long", "info-with-payload", "unknown-command"],
)
def test_bad_frames_rejected(frame, code):
    engine, _, _ = make_engine()
    assert _error_code(frames_of(run_exchange(engine, [frame]))) == code


def test_line_error_rejected():
    engine, _, _ = make_engine()
    good = P.encode_frame(P.CMD_INFER, bytes(N_IN))
    out = []

    async def host(ctx):
        for i, b in enumerate(good):
            bits = uart_frame_bits(b)
            if i == 5:
                bits[-1] = 0  # framing error inside the frame
            for level in bits:
                ctx.set(engine.rx, level)
                await ctx.tick().repeat(DIV)
            ctx.set(engine.rx, 1)
        await ctx.tick().repeat(3000)

    async def line(ctx):
        async for _clk, _rst, tx in ctx.tick().sample(engine.tx):
            out.append(tx)

    sim = Simulator(engine)
    sim.add_clock(1e-6)
    sim.add_testbench(host)
    sim.add_process(line)
    sim.run()
    # decode the sampled line: one sample per cycle
    data, i = [], 0
    while i < len(out):
        if out[i] == 0:
            bits = [out[i + DIV // 2 + DIV * n] for n in range(1, 9)]
            data.append(sum(b << n for n, b in enumerate(bits)))
            i += 10 * DIV - DIV // 2
        else:
            i += 1
    assert _error_code(frames_of(bytes(data))) == P.ERR_LINE


def test_engine_checks_arguments():
    core = StandInCore(N_IN, N_OUT)
    info = P.BoardInfo(P.VERSION, N_IN, N_OUT, K, T, 1, 0)
    with pytest.raises(ValueError, match="timeout"):
        LinkEngine(core, info, divisor=DIV, timeout=10)
    with pytest.raises(TypeError, match="BoardInfo"):
        LinkEngine(core, {"n_input": 3}, divisor=DIV, timeout=TIMEOUT)
    with pytest.raises(ValueError, match="divisor"):
        LinkEngine(core, info, divisor=2, timeout=TIMEOUT)
    with pytest.raises(TypeError, match="network core"):
        LinkEngine(object(), info, divisor=DIV, timeout=TIMEOUT)
    with pytest.raises(ValueError, match="info says 8 and 4"):
        LinkEngine(core, P.BoardInfo(P.VERSION, N_IN, 4, K, T, 1, 0), divisor=DIV, timeout=TIMEOUT)
    engine = LinkEngine(core, info, divisor=DIV, timeout=TIMEOUT)  # the rejected calls left the core usable
    assert engine.link.codes.signature == core.i.signature.flip()
    Fragment.get(engine, None)
