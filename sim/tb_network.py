"""Network testbench: ``SCNetworkCore`` against ``SCNetwork.run_codes(..., trace=True)``, image by image.

Driver -> monitor -> model -> scoreboard, arranged so that the design runs many thousands of
cycles per Python interaction:

* **driver** (simulator side, in the ``sc_tb`` wrapper written by :func:`network_wrapper`):
  the cocotb test writes a batch of images' input codes to ``codes.hex`` and pulses
  ``tb_reload`` (``$readmemh``) and ``tb_go``; the wrapper then streams the codes into the
  core's ``i`` stream back to back (optionally with pseudo-random valid/ready stalls:
  ``tb_stall``);
* **monitor** (simulator side): every ``o`` transfer (counts + prediction) goes to
  ``out.hex`` and every ``trace`` transfer (layer, t, neuron, count, current, membrane,
  spike) to ``trace.hex``; the wrapper raises ``tb_done`` after the batch's last result;
* **model**: the expected integers come from the vector file (:mod:`.vectors`), i.e. from
  ``sc_neurocore.sc.network.SCNetwork``;
* **scoreboard** (:class:`~sc_neurocore.sim.scoreboard.Scoreboard`): every count, current,
  membrane and spike of every layer, timestep and image, plus the class counts and the
  prediction; the first mismatch is reported with image, timestep, layer and neuron.

Host side: :func:`run_network` builds (cached) and runs it; :func:`build_network` only builds.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import cocotb
import numpy as np

from .scoreboard import Scoreboard
from .tb import sim_cycles, write_report

__all__ = ["network_wrapper", "build_network", "run_network", "decode_fields", "DEFAULT_PARALLELISM"]

#: ``(lanes, width)`` per layer used unless told otherwise: 4 neurons x 4 inputs per clock.
DEFAULT_PARALLELISM = (1, 25)  # one neuron x 25 timesteps: every time lane wired to constants (T=25)
#: Depth of the wrapper's code memory (images per batch <= CODE_DEPTH // n_input).
CODE_DEPTH = 1 << 16


def network_wrapper(verilog: str, top: str, *, prob_bits: int, depth: int = CODE_DEPTH) -> str:
    """The ``sc_tb`` module for an ``SCNetworkCore`` named ``top``: clock, stream driver, file monitors."""
    from .runner import HALF_PERIOD_NS, TB_TOP, module_ports

    ports = {name: (d, r) for d, r, name in module_ports(verilog, top)}
    has_trace = "trace__payload" in ports
    need = ["clk", "rst", "i__payload", "i__valid", "i__ready", "o__payload", "o__valid", "o__ready"]
    missing = [p for p in need if p not in ports]
    if missing:
        raise ValueError(f"{top} lacks the SCNetworkCore ports {missing}")
    o_rng = ports["o__payload"][1] or "[0:0]"
    tr_rng = ports["trace__payload"][1] if has_trace else "[0:0]"
    aw = max(1, (depth - 1).bit_length())
    conns = [".clk(clk)", ".rst(rst)", ".i__payload(i_payload)", ".i__valid(i_valid)", ".i__ready(i_ready)",
             ".o__payload(o_payload)", ".o__valid(o_valid)", ".o__ready(o_ready)"]
    if has_trace:
        conns += [".trace__payload(t_payload)", ".trace__valid(t_valid)", ".trace__ready(t_ready)",
                  ".trace_en(tb_trace_en)"]
    conn = ",\n        ".join(conns)
    return f"""`timescale 1ns/1ps
// Network testbench wrapper written by sc_neurocore.sim.tb_network: simulator-side clock,
// input-stream driver from codes.hex, result / trace monitors to out.hex / trace.hex.
module {TB_TOP} (
    input wire rst,
    input wire tb_go,
    input wire tb_reload,
    input wire [31:0] tb_n_codes,
    input wire [31:0] tb_n_images,
    input wire tb_trace_en,
    input wire tb_stall,
    output reg tb_done
);
    reg clk = 1'b0;
    always #{HALF_PERIOD_NS} clk = ~clk;

    reg [{prob_bits - 1}:0] codes [0:{depth - 1}];
    always @(posedge tb_reload) $readmemh("codes.hex", codes);

    integer f_out, f_trace;
    initial begin
        f_out = $fopen("out.hex", "w");
        f_trace = $fopen("trace.hex", "w");
        tb_done = 1'b0;
    end

    // The stream driver and the monitors act at rising edges (non-blocking updates), like any
    // synchronous logic: they see the core's outputs of the cycle that ends, the core sees
    // their new values in the next cycle.  cocotb writes the tb_* inputs at falling edges.
    // pseudo-random stalls (x^16 + x^14 + x^13 + x^11 + 1)
    reg [15:0] lf = 16'hACE1;

    reg streaming = 1'b0;
    reg [31:0] rd_ptr = 0;
    reg [31:0] n_out = 0;
    wire [{prob_bits - 1}:0] i_payload = codes[rd_ptr[{aw - 1}:0]];
    reg i_hold = 1'b0;  // once valid, stay valid until the transfer (stream rule)
    wire i_valid = streaming && (rd_ptr < tb_n_codes) && (i_hold || !tb_stall || lf[0] || lf[3]);
    wire i_ready;
    wire {o_rng} o_payload;
    wire o_valid;
    wire o_ready = !tb_stall || lf[5];
    wire {tr_rng} t_payload;
    wire t_valid;
    wire t_ready = !tb_stall || lf[9] || lf[2];

    always @(posedge clk) begin
        lf <= {{lf[14:0], lf[15] ^ lf[13] ^ lf[12] ^ lf[10]}};
        if (tb_go) begin
            streaming <= 1'b1;
            rd_ptr <= 0;
            n_out <= 0;
            tb_done <= 1'b0;
        end else begin
            if (i_valid && i_ready) rd_ptr <= rd_ptr + 1;
            i_hold <= i_valid && !i_ready;
            if (o_valid && o_ready) begin
                $fwrite(f_out, "%h\\n", o_payload);
                n_out <= n_out + 1;
            end
            if (streaming && n_out == tb_n_images) begin
                streaming <= 1'b0;
                tb_done <= 1'b1;
                $fflush(f_out);
                $fflush(f_trace);
            end
        end
        if (t_valid && t_ready) $fwrite(f_trace, "%h\\n", t_payload);
    end

    {top} dut (
        {conn}
    );
endmodule
"""


def decode_fields(words: list[int], layout) -> dict[str, np.ndarray]:
    """Split payload integers into the fields of an Amaranth ``StructLayout`` (arrays flattened by element).

    Returns ``{name: int64 array}``; an ``ArrayLayout`` field ``counts`` gives ``counts``
    with shape ``(n_words, n_elements)``.
    """
    from amaranth.lib import data

    out = {}
    for name, fld in layout:
        shape = fld.shape
        if isinstance(shape, data.ArrayLayout):
            ew = data.Layout.cast(shape.elem_shape).size if isinstance(shape.elem_shape, data.Layout) else \
                shape.elem_shape.width
            cols = [_extract(words, fld.offset + j * ew, ew, False) for j in range(shape.length)]
            out[name] = np.stack(cols, axis=-1) if cols else np.zeros((len(words), 0), np.int64)
        else:
            signed = getattr(shape, "signed", False)
            out[name] = _extract(words, fld.offset, fld.width, signed)
    return out


def _extract(words: list[int], offset: int, width: int, signed: bool) -> np.ndarray:
    mask = (1 << width) - 1
    vals = np.fromiter(((w >> offset) & mask for w in words), dtype=np.int64, count=len(words))
    if signed:
        vals = np.where(vals >= (1 << (width - 1)), vals - (1 << width), vals)
    return vals


def _read_hex(path: Path, pos: int) -> tuple[list[int], int]:
    with open(path) as fh:
        fh.seek(pos)
        text = fh.read()
        end = fh.tell()
    words = []
    for line in text.split():
        if any(ch in line for ch in "xXzZ"):
            raise ValueError(f"{path.name}: undefined bits in RTL output {line!r}")
        words.append(int(line, 16))
    return words, end


# ------------------------------------------------------------------------------- cocotb side


@cocotb.test()
async def network_matches_model(dut):
    """All images of ``$SC_VECTORS`` in batches: counts, currents, membranes, spikes, results."""
    from cocotb.triggers import FallingEdge, RisingEdge, SimTimeoutError, with_timeout

    from ..hw.network import output_layout, trace_layout
    from .vectors import load_vectors

    vec = load_vectors(os.environ["SC_VECTORS"])
    qnet, T = vec.qnet, vec.T
    batch = int(os.environ.get("SC_BATCH", "32"))
    trace_on = os.environ.get("SC_TRACE", "1") == "1"
    stall = os.environ.get("SC_STALL", "0") == "1"
    inject = os.environ.get("SC_SIM_INJECT", "")
    count_bits = int(os.environ["SC_COUNT_BITS"])
    o_lay = output_layout(qnet.n_output, T)
    t_lay = trace_layout(qnet, T, count_bits)
    n_in, sizes = qnet.n_input, [layer.n_out for layer in qnet.layers]
    batch = max(1, min(batch, CODE_DEPTH // n_in))

    dut.tb_go.value = 0
    dut.tb_reload.value = 0
    dut.tb_trace_en.value = int(trace_on)
    dut.tb_stall.value = int(stall)
    dut.tb_n_codes.value = 0
    dut.tb_n_images.value = 0
    from .tb import reset

    await reset(dut)
    sb = Scoreboard("network")
    pos_out = pos_trace = 0
    rtl_pred = []
    cycles = 0
    t_wall = time.perf_counter()
    for start in range(0, vec.n_images, batch):
        sub = vec.subset(start, min(start + batch, vec.n_images))
        b = sub.n_images
        # driver: the batch's codes, simulator-side
        with open("codes.hex", "w") as fh:
            fh.write("\n".join(format(int(c), "x") for c in sub.codes.reshape(-1)) + "\n")
        dut.tb_reload.value = 1
        dut.tb_n_codes.value = b * n_in
        dut.tb_n_images.value = b
        dut.tb_go.value = 1
        await FallingEdge(dut.clk)
        dut.tb_reload.value = 0
        dut.tb_go.value = 0
        c0 = sim_cycles()
        # watchdog: far more than the slowest schedule (one pair per clock, every stream stalled)
        bound = 20_000 + b * (n_in + T * sum(layer.n_in * layer.n_out + 3 * layer.n_out + 8
                                             for layer in qnet.layers)) * (4 if stall else 1)
        try:
            await with_timeout(RisingEdge(dut.tb_done), bound * 10, "ns")
        except SimTimeoutError:
            raise AssertionError(f"no result after {bound} cycles (images {start}..{start + b - 1}): "
                                 f"{sim_cycles()} cycles simulated, core hung?") from None
        await FallingEdge(dut.clk)
        cycles += sim_cycles() - c0
        # monitor: the results and trace records the wrapper wrote
        out_words, pos_out = _read_hex(Path("out.hex"), pos_out)
        res = decode_fields(out_words, o_lay)
        if inject == "count" and start == 0:
            res["counts"][0, 0] += 1
        sb.compare("class count", sub.expected.counts, res["counts"], axes=("image", "class"), offsets={"image": start})
        sb.compare("prediction", sub.expected.prediction, res["prediction"], axes=("image",), offsets={"image": start})
        rtl_pred.extend(int(p) for p in res["prediction"])
        if trace_on:
            tr_words, pos_trace = _read_hex(Path("trace.hex"), pos_trace)
            _check_trace(sb, tr_words, t_lay, sub, sizes, T, start, inject)
        if sb.first is not None and os.environ.get("SC_STOP_AT_FIRST", "1") == "1":
            break
    wall = time.perf_counter() - t_wall
    write_report({
        "scoreboard": sb.as_dict(),
        "images": len(rtl_pred),
        "cycles": cycles,
        "wall_s": wall,
        "cycles_per_s": cycles / wall if wall > 0 else 0.0,
        "rtl_prediction": rtl_pred,
        "trace": trace_on,
    })
    sb.check()


def _check_trace(sb: Scoreboard, words, layout, sub, sizes, T, first_image, inject) -> None:
    """Place each record by its own (layer, t, neuron) fields, then compare every value.

    Records of one image come as one block (images run one after the other); inside it the
    order is the core's business (its layers run as a wavefront), but each (layer, t, neuron)
    must appear exactly once.
    """
    b = sub.n_images
    per_img = T * sum(sizes)
    if len(words) != b * per_img:
        sb.compare("trace record count", [b * per_img], [len(words)], axes=("batch",), offsets={"image": first_image})
        return
    f = {k: v.reshape(b, per_img) for k, v in decode_fields(words, layout).items()}
    n_max = max(sizes)
    lay, t, neu = f["layer"], f["t"], f["neuron"]
    valid = (lay < len(sizes)) & (t < T) & (neu < np.asarray(sizes)[np.minimum(lay, len(sizes) - 1)])
    slot = np.where(valid, (lay * T + t) * n_max + neu, len(sizes) * T * n_max)
    seen = np.zeros((b, len(sizes) * T * n_max + 1), dtype=np.int64)
    np.add.at(seen, (np.arange(b)[:, None], slot), 1)
    expect_seen = np.zeros((len(sizes), T, n_max), dtype=np.int64)
    for li, n in enumerate(sizes):
        expect_seen[li, :, :n] = 1
    sb.compare("trace records per (layer, t, neuron)",
               np.broadcast_to(expect_seen, (b,) + expect_seen.shape),
               seen[:, :-1].reshape(b, len(sizes), T, n_max), axes=("image", "layer", "timestep", "neuron"),
               offsets={"image": first_image})
    if (seen[:, :-1].reshape(b, len(sizes), T, n_max) != expect_seen).any():
        return
    names = (("sc count", "count", sub.expected.sc_counts), ("current", "current", sub.expected.currents),
             ("membrane", "membrane", sub.expected.membranes), ("spike", "spike", sub.expected.spikes))
    img = np.broadcast_to(np.arange(b)[:, None], lay.shape)
    for label, field, exp in names:
        grid = np.zeros((b, len(sizes), T, n_max), dtype=np.int64)
        grid[img, lay, t, neu] = f[field]
        for li, n in enumerate(sizes):
            got = grid[:, li, :, :n]
            if inject == label and li == len(sizes) - 1:
                got = got.copy()
                got[min(1, b - 1), T // 2, n // 2] += 1
            sb.compare(label, np.transpose(exp[li], (1, 0, 2)), got, axes=("image", "timestep", "neuron"),
                       offsets={"image": first_image}, layer=li)


# ------------------------------------------------------------------------------- host side


def build_network(qnet, T: int, *, sim: str | None = None, parallelism=DEFAULT_PARALLELISM, trace: bool = True,
                  waves: bool | None = None, **kw):
    """Build (cached by the net's integers, T, parallelism and the gateware sources) the network testbench."""
    from ..hw.network import SCNetworkCore
    from . import runner
    from .vectors import qnet_digest

    def make():
        return SCNetworkCore(qnet, T, parallelism=parallelism, trace=trace)

    import inspect

    key = json.dumps({"qnet": qnet_digest(qnet), "T": T, "par": repr(parallelism), "trace": trace,
                      "depth": CODE_DEPTH, "wrapper": inspect.getsource(network_wrapper)})
    wrapper = lambda v, top: network_wrapper(v, top, prob_bits=qnet.config.prob_bits)  # noqa: E731
    return runner.build(make, "sc_net", sim=sim, key=key, wrapper=wrapper, waves=waves, **kw)


def run_network(vectors, *, sim: str | None = None, parallelism=DEFAULT_PARALLELISM, trace: bool = True,
                batch: int = 32, stall: bool = False, inject: str | None = None, check: bool = True,
                run_dir: Path | None = None, waves: bool | None = None, timeout: float | None = None) -> dict:
    """Run the network testbench on a :class:`~sc_neurocore.sim.vectors.Vectors` (or a path to one).

    Returns the testbench's report plus ``sim``, ``build_s``, ``run_s`` (process wall time),
    ``passed`` and ``rtl_prediction`` (one per image).  ``inject`` (``"membrane"``,
    ``"count"``, ...) corrupts one value the monitor read, to show the scoreboard failing.
    """
    import tempfile

    from .runner import SimulationFailed
    from .vectors import Vectors, load_vectors, save_vectors

    vec = load_vectors(vectors) if not isinstance(vectors, Vectors) else vectors
    t0 = time.perf_counter()
    design = build_network(vec.qnet, vec.T, sim=sim, parallelism=parallelism, trace=trace, waves=waves)
    build_s = time.perf_counter() - t0
    from ..hw.sc_dot import count_width

    count_bits = max(count_width(layer.n_in, vec.qnet.config.length) for layer in vec.qnet.layers)
    own_dir = run_dir is None
    tmp = tempfile.TemporaryDirectory(prefix="sc_net_run_", dir=design.build_dir) if own_dir else None
    rd = Path(tmp.name) if own_dir else Path(run_dir)
    try:
        vec_path = rd / "vectors.npz"
        save_vectors(vec, vec_path)
        env = {"SC_VECTORS": str(vec_path), "SC_BATCH": batch, "SC_TRACE": int(trace), "SC_STALL": int(stall),
               "SC_COUNT_BITS": count_bits}
        if inject:
            env["SC_SIM_INJECT"] = inject
        try:
            result = design.run(__name__, extra_env=env, test_dir=rd, check=check, timeout=timeout)
        except SimulationFailed:
            raise
        report = dict(result.report)
        report.update(sim=design.sim, build_s=build_s, run_s=result.wall_s, passed=result.passed,
                      rebuilt=design.rebuilt, log_tail=result.log[-3000:] if not result.passed else "")
        return report
    finally:
        if tmp is not None:
            tmp.cleanup()
