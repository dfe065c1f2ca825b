"""Network testbench: ``SCNetworkCore`` against ``SCNetwork.run_codes(..., trace=True)``, image by image.

Driver -> monitor -> model -> scoreboard, arranged so that the design runs many thousands of
cycles per Python interaction:

* **driver and monitors** (simulator side, ``network_tb.sv``, shipped with the package): the
  cocotb test writes a batch of images' input codes to ``codes.hex`` and pulses ``tb_reload``
  and ``tb_go``; the SystemVerilog half streams the codes into the core's ``i`` stream
  (optionally with pseudo-random valid/ready stalls, ``tb_stall``) and writes every ``o``
  transfer to ``out.hex`` and every ``trace`` transfer to ``trace.hex``, each line stamped with
  its clock cycle;
* **model**: the expected integers come from the vector file (:mod:`.vectors`), i.e. from
  ``sc_neurocore.sc.network.SCNetwork``;
* **scoreboard** (:class:`~sc_neurocore.sim.scoreboard.Scoreboard`): every count, current,
  membrane and spike of every layer, timestep and image (and every other state of the neurons:
  a Synaptic net's synaptic current ``i_syn``), plus the class counts and the prediction; the first mismatch is reported with image, timestep, layer, neuron and clock cycle.
  The words are decoded with the engine's own ``hw.ports.decode_words``.

Progress: the cocotb side appends ``"<images done> <mismatches so far>"`` to the file named in
the settings after every result (it wakes on the wrapper's ``tb_n_out`` counter); the host side
(:func:`run_network`) polls that file and turns it into :mod:`sc_neurocore.progress` events.

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
from .tb import reset, sim_cycles, write_report

__all__ = ["build_network", "run_network", "network_parameters", "DEFAULT_PARALLELISM", "CODE_DEPTH",
           "TB_SOURCE"]

#: ``(lanes, tlanes)`` used unless told otherwise: one neuron x 25 timesteps per clock (with T = 25
#: every time lane is wired to one set of constants).
DEFAULT_PARALLELISM = (1, 25)
#: Depth of the wrapper's code memory (images per batch <= CODE_DEPTH // n_input).
CODE_DEPTH = 1 << 16
#: The SystemVerilog half of the testbench (package data).
TB_SOURCE = "network_tb.sv"
#: The testbench's top module (in ``network_tb.sv``).
TB_MODULE = "network_tb"
#: The Verilog module name the core gets (``network_tb.sv`` instantiates it).
CORE_MODULE = "sc_net"
_QUANTITIES = (("sc count", "count", "sc_counts"), ("current", "current", "currents"),
               ("membrane", "membrane", "membranes"), ("spike", "spike", "spikes"))


def quantities(qnet) -> tuple[tuple[str, str, str], ...]:
    """``(label, trace word field, key)`` of every traced value of ``qnet``'s core: the four of every net, then
    one per state beyond the membrane (``("i_syn", "i_syn", "state_i_syn")``; key ``state_<name>``)."""
    return _QUANTITIES + tuple((name, name, f"state_{name}") for name in qnet.extra_states)


def expected_of(trace, key: str, layer: int):
    """The model's ``(T, B, n)`` integers of ``key`` (:func:`quantities`) at ``layer`` in an ``SCTrace``."""
    if key.startswith("state_"):
        return trace.states[layer][key[len("state_"):]]
    return getattr(trace, key)[layer]


def _read_stamped(path: Path, pos: int) -> tuple[np.ndarray, list[int], int]:
    """New ``"<cycle> <hex payload>"`` lines of ``path`` from byte ``pos``: (cycles, payloads, new pos)."""
    with open(path) as fh:
        fh.seek(pos)
        text = fh.read()
        end = fh.tell()
    tokens = text.split()
    if len(tokens) % 2:
        raise ValueError(f"{path.name}: a truncated line in the RTL output")
    words = []
    for tok in tokens[1::2]:
        if any(ch in tok for ch in "xXzZ"):
            raise ValueError(f"{path.name}: undefined bits in RTL output {tok!r}")
        words.append(int(tok, 16))
    return np.array([int(c) for c in tokens[0::2]], dtype=np.int64), words, end


# ------------------------------------------------------------------------------- cocotb side


class _Progress:
    """Appends ``"<images done> <mismatches so far>"`` lines to a file the host polls."""

    def __init__(self, path: str | None):
        self.fh = open(path, "a") if path else None  # noqa: SIM115 (closed by close())
        self.done = 0
        self.mismatches = 0

    def write(self, in_batch: int = 0) -> None:
        if self.fh is not None:
            self.fh.write(f"{self.done + in_batch} {self.mismatches}\n")
            self.fh.flush()

    async def watch(self, dut) -> None:
        while True:
            await dut.tb_n_out.value_change
            self.write(int(dut.tb_n_out.value.to_unsigned()))

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()


@cocotb.test()
async def network_matches_model(dut):
    """All images of the vector file in batches: counts, currents, membranes, spikes, results."""
    from cocotb.triggers import FallingEdge, RisingEdge, SimTimeoutError, with_timeout

    from ..hw.ports import decode_words, output_layout, trace_layout
    from .vectors import load_vectors

    cfg = json.loads(os.environ["SC_NET_TB"])
    vec = load_vectors(cfg["vectors"])
    qnet, T = vec.qnet, vec.T
    trace_on, stall, inject = cfg["trace"], cfg["stall"], cfg.get("inject") or ""
    o_lay = output_layout(qnet.n_output, T)
    t_lay = trace_layout(qnet, T)
    n_in, sizes = qnet.n_input, [layer.n_neurons for layer in qnet.layers]
    batch = max(1, min(int(cfg["batch"]), CODE_DEPTH // n_in))
    offset = int(cfg.get("image_offset", 0))
    rtl = _RTLArrays(vec.n_images, T, sizes, qnet.n_output, trace_on, quantities(qnet))

    dut.tb_go.value = 0
    dut.tb_reload.value = 0
    dut.tb_trace_en.value = int(trace_on)
    dut.tb_stall.value = int(stall)
    dut.tb_n_codes.value = 0
    dut.tb_n_images.value = 0
    await reset(dut)
    prog = _Progress(cfg.get("progress"))
    watcher = cocotb.start_soon(prog.watch(dut))
    sb = Scoreboard("network")
    pos_out = pos_trace = 0
    cycles = 0
    failed_batch = None
    t_wall = time.perf_counter()
    try:
        for start in range(0, vec.n_images, batch):
            sub = vec.subset(start, min(start + batch, vec.n_images))
            b = sub.n_images
            with open("codes.hex", "w") as fh:
                fh.write("\n".join(format(int(c), "x") for c in sub.codes.reshape(-1)) + "\n")
            dut.tb_reload.value = 1
            dut.tb_n_codes.value = b * n_in
            dut.tb_n_images.value = b
            dut.tb_go.value = 1
            c_go = sim_cycles()  # the rising edge that takes tb_go
            await FallingEdge(dut.clk)
            dut.tb_reload.value = 0
            dut.tb_go.value = 0
            # watchdog: far more than the slowest schedule (one pair per clock, every stream stalled)
            bound = 20_000 + b * (n_in + T * sum(layer.n_in * layer.n_neurons + 3 * layer.n_neurons + 8
                                                 for layer in qnet.layers)) * (4 if stall else 1)
            try:
                await with_timeout(RisingEdge(dut.tb_done), bound * 10, "ns")
            except SimTimeoutError:
                failed_batch = [offset + start, offset + start + b]
                raise AssertionError(f"no result after {bound} cycles (images {offset + start}.."
                                     f"{offset + start + b - 1}): core hung?") from None
            await FallingEdge(dut.clk)
            cycles += sim_cycles() - c_go
            # monitors: the results and trace records the SystemVerilog half wrote
            res_cyc, out_words, pos_out = _read_stamped(Path("out.hex"), pos_out)
            if sb.compare("results per batch", b, len(out_words), image=offset + start):
                failed_batch = [offset + start, offset + start + b]
                break
            res = decode_words(o_lay, out_words)
            rtl.put_results(start, res["counts"], res["prediction"], np.diff(np.concatenate([[c_go], res_cyc])),
                            res_cyc)
            traced = False
            if trace_on:
                tr_cyc, tr_words, pos_trace = _read_stamped(Path("trace.hex"), pos_trace)
                traced = _place_trace(sb, rtl, tr_cyc, tr_words, t_lay, b, sizes, T, start, offset)
            if inject and start == 0 and (traced or inject == "count"):
                _inject(rtl, inject, sizes, T, start, b)
            _compare_batch(sb, rtl, sub, sizes, start, offset, traced)
            prog.done += b
            prog.mismatches = sb.mismatches
            prog.write()
            if sb.first is not None and cfg.get("stop_at_first", True):
                failed_batch = [offset + start, offset + start + b]
                break
    finally:
        watcher.cancel()
        prog.close()
        wall = time.perf_counter() - t_wall
        first = sb.as_dict()
        if first["first_where"] is not None:
            first["first_where"]["cycle"] = rtl.cycle_of(first["first_where"], offset)
        write_report({
            "scoreboard": first,
            "images": prog.done,
            "cycles": cycles,
            "wall_s": wall,
            "cycles_per_s": cycles / wall if wall > 0 else 0.0,
            "rtl_prediction": rtl.prediction[:prog.done].tolist(),
            "trace": trace_on,
            "failed_batch": failed_batch,
        })
        if cfg.get("rtl_out"):
            rtl.save(cfg["rtl_out"], prog.done)
    sb.check()


class _RTLArrays:
    """What the RTL produced, in ``SCTrace``'s layout, plus each value's clock cycle (for waves)."""

    def __init__(self, n_images: int, T: int, sizes: list[int], n_output: int, trace: bool, quants=_QUANTITIES):
        self.quantities = quants
        self.counts = np.zeros((n_images, n_output), np.int64)
        self.prediction = np.zeros(n_images, np.int64)
        self.cycles = np.zeros(n_images, np.int64)
        self.result_cycle = np.full(n_images, -1, np.int64)
        shape = (n_images, len(sizes), T, max(sizes))
        self.grids = {key: np.zeros(shape, np.int64) for _, _, key in quants} if trace else {}
        self.stamp = np.full(shape, -1, np.int64) if trace else None
        self.sizes, self.T = sizes, T

    def put_results(self, start, counts, prediction, cycles, stamps) -> None:
        n = len(prediction)
        self.counts[start:start + n] = counts
        self.prediction[start:start + n] = prediction
        self.cycles[start:start + n] = cycles
        self.result_cycle[start:start + n] = stamps

    def cycle_of(self, where: dict, offset: int) -> int | None:
        """Clock cycle of the RTL value a mismatch names (None when unknown)."""
        img = where.get("image")
        if img is None or not 0 <= img - offset < len(self.prediction):
            return None
        i = img - offset
        if self.stamp is not None and all(k in where for k in ("layer", "timestep", "neuron")):
            c = int(self.stamp[i, where["layer"], where["timestep"], where["neuron"]])
            return c if c >= 0 else None
        c = int(self.result_cycle[i])
        return c if c >= 0 else None

    def save(self, path: str, n: int) -> None:
        arrays = {"counts": self.counts[:n], "prediction": self.prediction[:n], "cycles": self.cycles[:n]}
        for _, _, key in self.quantities:
            if key in self.grids:
                for li, size in enumerate(self.sizes):
                    arrays[f"{key}_{li}"] = np.transpose(self.grids[key][:n, li, :, :size], (1, 0, 2))
        from ..fileio import atomic_output

        with atomic_output(path) as tmp, open(tmp, "wb") as fh:  # np.savez(name) would add .npz
            np.savez(fh, **arrays)


def _place_trace(sb: Scoreboard, rtl: _RTLArrays, stamps, words, layout, b, sizes, T, start, offset) -> bool:
    """Place each trace record by its own (layer, t, neuron) fields in the RTL arrays.

    Records of one image come as one block (images run one after the other); inside it the
    order is the core's business, but each (layer, t, neuron) must appear exactly once: that is
    compared first (False when it fails: the values cannot be placed then).
    """
    per_img = T * sum(sizes)
    at = {"image": offset + start}
    if len(words) != b * per_img:
        sb.compare("trace record count", [b * per_img], [len(words)], axes=("batch",), **at)
        return False
    from ..hw.ports import decode_words

    f = {k: v.reshape(b, per_img) for k, v in decode_words(layout, words).items()}
    n_max = max(sizes)
    lay, t, neu = f["layer"], f["t"], f["neuron"]
    valid = (lay < len(sizes)) & (t < T) & (neu < np.asarray(sizes)[np.minimum(lay, len(sizes) - 1)])
    slot = np.where(valid, (lay * T + t) * n_max + neu, len(sizes) * T * n_max)
    seen = np.zeros((b, len(sizes) * T * n_max + 1), dtype=np.int64)
    np.add.at(seen, (np.arange(b)[:, None], slot), 1)
    expect_seen = np.zeros((len(sizes), T, n_max), dtype=np.int64)
    for li, n in enumerate(sizes):
        expect_seen[li, :, :n] = 1
    got_seen = seen[:, :-1].reshape(b, len(sizes), T, n_max)
    if sb.compare("trace records per (layer, t, neuron)", np.broadcast_to(expect_seen, got_seen.shape), got_seen,
                  axes=("image", "layer", "timestep", "neuron"), offsets=at):
        return False
    img = start + np.broadcast_to(np.arange(b)[:, None], lay.shape)
    rtl.stamp[img, lay, t, neu] = stamps.reshape(b, per_img)
    for _, field, key in rtl.quantities:
        rtl.grids[key][img, lay, t, neu] = f[field]
    return True


def _inject(rtl: _RTLArrays, what: str, sizes, T, start, b) -> None:
    """Corrupt one value the monitor read (``$SC_NET_TB`` ``inject``), to show the scoreboard failing.

    ``"count"``: class 0 of the batch's first image; a trace quantity (``"membrane"``, ...): the last
    layer's neuron ``n // 2`` at timestep ``T // 2`` of the batch's second image.
    """
    if what == "count":
        rtl.counts[start, 0] += 1
        return
    key = {label: key for label, _, key in rtl.quantities}[what]
    rtl.grids[key][start + min(1, b - 1), len(sizes) - 1, T // 2, sizes[-1] // 2] += 1


def _compare_batch(sb: Scoreboard, rtl: _RTLArrays, sub, sizes, start, offset, traced: bool) -> None:
    """Compare a batch image by image, in the order the core computes: so the first mismatch kept is
    the earliest wrong value of the first wrong image (layer by layer: SC count, current, membrane,
    spike at every timestep and neuron; then the class counts and the prediction)."""
    for i in range(sub.n_images):
        image = offset + start + i
        if traced:
            for li, n in enumerate(sizes):
                for label, _, key in rtl.quantities:
                    sb.compare(label, expected_of(sub.expected, key, li)[:, i, :], rtl.grids[key][start + i, li, :, :n],
                               axes=("timestep", "neuron"), layer=li, image=image)
        sb.compare("class count", sub.expected.counts[i], rtl.counts[start + i], axes=("class",), image=image)
        sb.compare("prediction", sub.expected.prediction[i], rtl.prediction[start + i], image=image)


# ------------------------------------------------------------------------------- host side


def network_parameters(qnet, T: int) -> dict[str, int]:
    """The HDL parameters of ``network_tb.sv`` for a core of ``qnet`` at ``T`` timesteps."""
    from ..hw.ports import input_bits, output_layout, trace_layout
    from .verilog import HALF_PERIOD_NS

    return {"PROB_BITS": input_bits(qnet, T), "O_BITS": output_layout(qnet.n_output, T).size,
            "TR_BITS": trace_layout(qnet, T).size, "DEPTH": CODE_DEPTH,
            "HALF_PERIOD_NS": HALF_PERIOD_NS}


def tb_source_text() -> str:
    """The text of ``network_tb.sv`` (read through the package, so an installed wheel works)."""
    from importlib.resources import files

    return files(__package__).joinpath(TB_SOURCE).read_text()


def build_network(qnet, T: int, *, sim: str | None = None, parallelism=None, trace: bool = True,
                  waves: bool = False, progress=None, faults=None):
    """Build (cached by the net's integers, T, parallelism and the gateware sources) the network testbench.

    ``faults``: a :class:`~sc_neurocore.hw.faults.FaultPlan` (a fault build), or None."""
    import hashlib

    import numpy as np

    from ..hw.network import SCNetworkCore
    from . import runner
    from .vectors import qnet_digest

    parallelism = default_parallelism(qnet) if parallelism is None else parallelism

    def make():
        return SCNetworkCore(qnet, T, parallelism=parallelism, trace=trace, faults=faults)

    tb_text = tb_source_text()
    plan = None if faults is None else hashlib.sha256(b"".join(
        np.ascontiguousarray(a, dtype="<i8").tobytes() for a in (*faults.count_delta, *faults.state_xor))).hexdigest()
    key = json.dumps({"qnet": qnet_digest(qnet), "T": T, "par": repr(parallelism), "trace": trace,
                      "tb": tb_text, **({"faults": plan} if plan else {})})
    return runner.build(make, CORE_MODULE, sim=sim, key=key, wrapper=lambda v, top: tb_text, top=TB_MODULE, waves=waves,
                        parameters=network_parameters(qnet, T), defines={"SC_TRACE": 1} if trace else {},
                        progress=progress)


def default_parallelism(qnet) -> tuple[int, int]:
    """:data:`DEFAULT_PARALLELISM`, or ``(RECURRENT_LANES, 1)`` for a net with recurrent layers
    (:func:`~sc_neurocore.hw.presets.preset_for_net`)."""
    from ..hw.presets import preset_for_net

    return preset_for_net(DEFAULT_PARALLELISM, qnet)


def run_network(vectors, *, sim: str | None = None, parallelism=None, trace: bool = True,
                batch: int = 32, stall: bool = False, inject: str | None = None, check: bool = True,
                run_dir: Path | None = None, waves: Path | None = None, progress=None, rtl_out: Path | None = None,
                stop_at_first: bool = True, image_offset: int = 0, faults=None) -> dict:
    """Run the network testbench on a :class:`~sc_neurocore.sim.vectors.Vectors` (or a path to one).

    Returns the testbench's report (``scoreboard``, ``images``, ``cycles``, ``rtl_prediction``,
    ...) plus ``sim``, ``build_s``, ``run_s`` (process wall time), ``passed`` and, with
    ``waves``, ``waves`` (the FST file's path).  ``inject`` (``"membrane"``, ``"count"``, ...)
    corrupts one value the monitor read, to show the scoreboard failing.  ``progress``
    receives :class:`~sc_neurocore.progress.ProgressEvent`: the build (``"compiling Verilator
    model"``, a spinner) and then ``"simulating on Verilator"`` (images done of the total, note
    ``"N mismatches so far"``).  ``rtl_out``: write the RTL's integers there (an ``.npz``, see
    :mod:`.rtl`).  ``image_offset`` is added to image numbers in reports (a re-run of one image).  ``faults``:
    a fault build (:class:`~sc_neurocore.hw.faults.FaultPlan` of the vectors' images, whose expected integers
    come from the same faulty run).
    """
    import tempfile

    from .simulators import display_name
    from .vectors import Vectors, load_vectors, save_vectors

    vec = load_vectors(vectors) if not isinstance(vectors, Vectors) else vectors
    t0 = time.perf_counter()
    design = build_network(vec.qnet, vec.T, sim=sim, parallelism=parallelism, trace=trace, waves=waves is not None,
                           faults=faults,
                           progress=progress)
    build_s = time.perf_counter() - t0
    own_dir = run_dir is None
    tmp = tempfile.TemporaryDirectory(prefix="sc_net_run_", dir=design.build_dir) if own_dir else None
    rd = Path(tmp.name) if own_dir else Path(run_dir)
    rd.mkdir(parents=True, exist_ok=True)
    try:
        vec_path = rd / "vectors.npz"
        save_vectors(vec, vec_path)
        prog_path = rd / "progress.txt"
        prog_path.write_text("")
        cfg = {"vectors": str(vec_path), "batch": batch, "trace": bool(trace), "stall": bool(stall),
               "inject": inject or "", "stop_at_first": stop_at_first,
               "progress": str(prog_path), "rtl_out": str(rtl_out) if rtl_out else "",
               "image_offset": int(image_offset)}
        stage = f"simulating on {display_name(design.sim)}"
        poll = _ProgressPoller(prog_path, progress, stage, vec.n_images)
        try:
            result = design.run(__name__, extra_env={"SC_NET_TB": json.dumps(cfg)}, test_dir=rd, check=check,
                                waves=waves is not None, poll=poll)
        finally:
            poll.finish()
        report = dict(result.report)
        report.update(sim=design.sim, build_s=build_s, run_s=result.wall_s, passed=result.passed,
                      rebuilt=design.rebuilt, log_tail=result.log[-3000:] if not result.passed else "")
        report["waves"] = None
        if waves is not None and result.waves is not None:
            import shutil

            dest = Path(waves).with_suffix(result.waves.suffix)  # .vcd where Verilator cannot write FST
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(result.waves), str(dest))
            report["waves"] = str(dest)
        return report
    finally:
        if tmp is not None:
            tmp.cleanup()


class _ProgressPoller:
    """Reads the testbench's progress file while the simulator runs; emits progress events."""

    def __init__(self, path: Path, progress, stage: str, total: int):
        self.path, self.progress, self.stage, self.total = path, progress, stage, total
        self.pos = 0
        self.done = self.mismatches = 0
        self._emit(0, self.total, "0 mismatches so far")

    def _emit(self, done, total, note) -> None:
        from ..progress import emit

        emit(self.progress, self.stage, done, total, note)

    def __call__(self) -> None:
        """Read new lines; emit an event when the count of images or mismatches changed."""
        if self.progress is None:
            return
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self.pos)
                data = fh.read()
        except OSError:
            return
        complete = data[:data.rfind(b"\n") + 1]
        self.pos += len(complete)
        fields = complete.split()
        if len(fields) >= 2:
            done, mism = min(int(fields[-2]), self.total), int(fields[-1])
            if (done, mism) != (self.done, self.mismatches):
                self.done, self.mismatches = done, mism
                if done < self.total:  # the last image's event comes from finish(): one finished event
                    self._emit(done, self.total, f"{mism} mismatches so far")

    def finish(self) -> None:
        """The last event: all images, or the images run before the testbench stopped at a mismatch."""
        if self.progress is None:
            return
        self()
        if self.done >= self.total:
            self._emit(self.total, self.total, f"{self.mismatches} mismatches")
        else:
            self._emit(self.done, self.done, f"{self.mismatches} mismatches; stopped after {self.done} of "
                       f"{self.total} images")
