"""Mutation testing as a standing check: ``nox -s mutants`` (this script), written to ``docs/bench/mutants.md``.

Mutates ``sw/sc/``, ``sw/export.py`` and ``hw/`` with a curated operator set (``bench/mutation.py``),
runs each module's mutants against its test subset (``bench/mutants_plan.py``), plus the issue's named
mutants, and reports generated / killed / survived / equivalent, the score and the wall time::

    nice -n 15 python bench/mutants.py                  # everything (about 20 min on 2 busy cores)
    python bench/mutants.py --modules sc_neurocore.hw.lif,sc_neurocore.sc.fixed --jobs 1
    python bench/mutants.py --named-only                # the named mutants only
    python bench/mutants.py --sample 40                 # at most 40 mutants per module (seeded)
    python bench/mutants.py --list                      # the mutants, nothing run
    python bench/mutants.py --render-only               # re-render docs/bench/mutants.md from its JSON

Exit status: 0 when every named mutant is killed and the score meets ``--goal``, 1 otherwise.
Not part of ``nox -s bench`` (``bench/run_all.py`` runs ``bench_*.py``): it checks the tests, it
measures no speed.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

NAME = "mutants"
SCRIPT = "bench/mutants.py"
SCHEMA = 1


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], prog=SCRIPT)
    ap.add_argument("--modules", default="", help="comma-separated modules (default: every module of the plan)")
    ap.add_argument("--jobs", type=int, default=2, help="mutants run at once (forks; default 2)")
    ap.add_argument("--sample", type=int, default=0, help="at most N mutants per module, seeded (0: all)")
    ap.add_argument("--seed", type=int, default=18, help="seed of --sample")
    ap.add_argument("--named-only", action="store_true", help="run the named mutants only")
    ap.add_argument("--no-named", action="store_true", help="skip the named mutants")
    ap.add_argument("--goal", type=float, default=95.0, help="score (%% of non-equivalent mutants killed) to meet")
    ap.add_argument("--check-equivalents", action="store_true",
                    help="run the mutants listed as equivalent too (by default they are not run); one that is "
                         "killed is reported as a stale entry of the list")
    ap.add_argument("--list", action="store_true", help="print the mutants and exit")
    ap.add_argument("--out-dir", default=str(common.REPORT_DIR), help="where mutants.md and mutants.json go")
    common.add_render_only(ap)
    args = ap.parse_args(argv)
    if args.jobs < 1:
        ap.error(f"--jobs must be >= 1, not {args.jobs}")
    if args.sample < 0:
        ap.error(f"--sample must be >= 0, not {args.sample}")
    return args


def _plan_mutants(args):
    import mutants_plan as plan
    from mutation import mutants_of, named_mutant

    modules = [m.strip() for m in args.modules.split(",") if m.strip()] or list(plan.SUBSETS)
    unknown = [m for m in modules if m not in plan.SUBSETS]
    if unknown:
        raise SystemExit(f"{SCRIPT}: no test subset for {', '.join(unknown)} (bench/mutants_plan.py SUBSETS)")
    generated = {}
    if not args.named_only:
        for module in modules:
            ms = mutants_of(module, skip_functions=tuple(plan.SKIP_FUNCTIONS.get(module, {})))
            if args.sample and len(ms) > args.sample:
                ms = sorted(random.Random(f"{args.seed}:{module}").sample(ms, args.sample), key=lambda m: m.site)
            generated[module] = ms
    named = [] if args.no_named else [named_mutant(n, p) for n, p in plan.NAMED]
    if args.modules and not args.named_only:
        named = [m for m in named if all(p[0] in modules for p in m.patches)]
    return modules, generated, named


def _tests_for(modules) -> list[str]:
    import mutants_plan as plan

    tests = []
    for module in modules:
        tests += [t for t in plan.SUBSETS[module] if t not in tests]
    return tests + plan.PYTEST_ARGS


def experiment(args) -> dict:
    import mutants_plan as plan
    import mutation

    modules, generated, named = _plan_mutants(args)
    mutation.preload(list(plan.SUBSETS) + ["sc_neurocore.sim.vectors", "sc_neurocore.sim.nets"])
    t_start = time.perf_counter()
    # baselines: every subset must pass unmutated; its time sets the mutants' timeout
    subsets = {m: _tests_for([m]) for m in generated}
    for m in named:
        subsets[m.id] = _tests_for(sorted({p[0] for p in m.patches}))
    base_time: dict[str, float] = {}
    for tests in subsets.values():
        t = tuple(tests)
        if t in base_time:
            continue
        out = mutation.baseline(list(tests))
        if out.status != "survived":
            raise SystemExit(f"{SCRIPT}: the unmutated tests fail ({out.status}, pytest exit {out.rc}): "
                             f"{' '.join(tests)}")
        base_time[t] = out.seconds
        print(f"baseline {out.seconds:6.1f} s  {' '.join(tests)}", flush=True)
    everything = [m for ms in generated.values() for m in ms] + named
    to_run = everything if args.check_equivalents else [m for m in everything if m.id not in plan.EQUIVALENT]

    def tests_of(m):
        return subsets[m.id] if m.patches else subsets[m.module]

    def timeout_of(m):
        return 2 * base_time[tuple(tests_of(m))] + 5

    counter = {"t": time.perf_counter()}

    def progress(key, outcome, done, total):
        if outcome.status != "killed" or time.perf_counter() - counter["t"] > 30:
            counter["t"] = time.perf_counter()
            print(f"[{done}/{total}] {outcome.status:8s} {outcome.seconds:5.1f} s  {key}", flush=True)

    outcomes = mutation.run_mutants(to_run, tests_of, timeout_of, workers=args.jobs, progress=progress)
    wall = time.perf_counter() - t_start
    rows, stale = [], []
    for m in everything:
        o = outcomes.get(m.id) or mutation.Outcome("survived", 0.0)  # an equivalent not run
        d = mutation.as_dict(m)
        status = o.status
        if m.id in plan.EQUIVALENT:
            if status == "survived":
                status = "equivalent"
            else:
                stale.append(f"{m.id} (listed as equivalent, {status} by {o.killed_by})")
        d.update(status=status, seconds=round(o.seconds, 2), killed_by=o.killed_by, rc=o.rc,
                 why=plan.EQUIVALENT.get(m.id), run=m.id in outcomes)
        rows.append(d)
    if not (args.modules or args.sample or args.named_only):
        stale += [f"{i} (no such mutant any more)" for i in sorted(set(plan.EQUIVALENT) - {m.id for m in everything})]
    return {
        "schema": SCHEMA,
        "date": common.utc_now(),
        "commit": common.git_revision(),
        "machine": common.machine_info(),
        "command": common.command_line(SCRIPT, args.argv),
        "jobs": args.jobs,
        "equivalents_run": bool(args.check_equivalents),
        "sample": args.sample,
        "seed": args.seed,
        "wall_s": round(wall, 1),
        "modules": modules,
        "subsets": {m: plan.SUBSETS[m] for m in modules},
        "pytest_args": plan.PYTEST_ARGS,
        "not_mutated": plan.NOT_MUTATED,
        "skip_functions": plan.SKIP_FUNCTIONS,
        "operators": mutation.OPERATORS,
        "mutants": rows,
        "fixed_survivors": plan.FIXED_SURVIVORS,
        "stale_equivalents": stale,
        "goal": args.goal,
    }


def _classify(data: dict) -> None:
    """Apply the plan's list of equivalent mutants to a run's survivors (the list may have grown since the run:
    classifying a survivor is a judgement on the run's data, it needs no re-run)."""
    import mutants_plan as plan

    for row in data["mutants"]:
        if row["status"] == "survived" and row["id"] in plan.EQUIVALENT:
            row["status"], row["why"] = "equivalent", plan.EQUIVALENT[row["id"]]


def summarize(data: dict) -> dict:
    """Per-module and total counts; the score is killed / (generated - equivalent), in percent."""
    _classify(data)
    per: dict[str, dict[str, int]] = {}
    for row in data["mutants"]:
        key = "named mutants" if row["operator"] == "named" else row["module"]
        c = per.setdefault(key, {"generated": 0, "killed": 0, "timeout": 0, "survived": 0, "equivalent": 0,
                                 "error": 0})
        c["generated"] += 1
        c[row["status"]] += 1
    total = {k: sum(c[k] for m, c in per.items() if m != "named mutants")
             for k in ("generated", "killed", "timeout", "survived", "equivalent", "error")}
    for c in list(per.values()) + [total]:
        live = c["generated"] - c["equivalent"]
        c["score"] = 100.0 * (c["killed"] + c["timeout"]) / live if live else 100.0
    return {"per": per, "total": total}


def _code(text: str) -> str:
    return "`" + text.replace("`", "'").replace("|", "\\|").replace("\n", " ") + "`"


def render(data: dict) -> str:
    s = summarize(data)
    tot, named = s["total"], s["per"].get("named mutants")
    rows = [[m, c["generated"], c["killed"] + c["timeout"], c["timeout"], c["survived"], c["equivalent"],
             c["error"], f"{c['score']:.1f} %"] for m, c in s["per"].items() if m != "named mutants"]
    rows.append(["**all**", tot["generated"], tot["killed"] + tot["timeout"], tot["timeout"], tot["survived"],
                 tot["equivalent"], tot["error"], f"**{tot['score']:.1f} %**"])
    m = data["machine"]
    lines = [
        "## Mutation testing",
        "",
        f"`nice -n 15 {data['command']}` (what `nox -s mutants` runs), {data['date']}, commit {data['commit']}; "
        f"{m['cpu']}, {m['cores']} cores, load {m['load']} when it finished (a machine shared by four agents: "
        f"the wall time is that of a busy machine). **Wall time {data['wall_s'] / 60:.1f} min** with "
        f"{data['jobs']} mutants at a time" + (f", at most {data['sample']} mutants per module (seed "
                                               f"{data['seed']})" if data["sample"] else ", every mutant") + ".",
        "",
        f"Score = killed / (generated - equivalent); a timeout (twice the unmutated subset's time + 5 s, then "
        f"once more with three times that) counts as killed. **{tot['score']:.1f} %** of the non-equivalent mutants of `hw/`, `sw/sc/` and "
        f"`sw/export.py` are killed (goal: {data['goal']:.0f} %).",
        "",
        common.md_table(["module", "generated", "killed", "of which timeouts", "survived", "equivalent", "errors",
                         "score"], rows),
        "",
    ]
    named_rows = [r for r in data["mutants"] if r["operator"] == "named"]
    if named_rows:
        lines += [f"### The named mutants ({named['killed'] + named['timeout']} of {named['generated']} killed)", "",
                  "The realistic bugs named in issue 18 as a fixed list (`bench/mutants_plan.py` `NAMED`; the "
                  "threshold, the LFSR taps, the saturation bound and the argmax each in the places the issue names), "
                  "each run against the test subsets of the modules it patches; all must be killed (the exit status "
                  "says so).", "",
                  common.md_table(["mutant", "where", "status", "killed first by"],
                                  [[r["name"], r["path"], r["status"], _code(r["killed_by"] or "-")]
                                   for r in named_rows]), ""]
    import mutants_plan as plan

    surv = [r for r in data["mutants"] if r["status"] in ("survived", "error") and r["operator"] != "named"]
    lines += [f"### Survivors ({len(surv)})", ""]
    if surv:
        lines += ["What no test of the module's subset tells from the original and no argument shows equivalent. "
                  "'test since' names a test written after this run that kills it (checked on those mutants alone "
                  "with the driver; the next full run counts it).", "",
                  common.md_table(["where", "mutant", "status", "test since"],
                                  [[f"{r['path']}:{r['line']}", _code(f"{r['before']} -> {r['after']}"),
                                    r["status"], _code(plan.KILLED_AFTER_RUN[r["id"]])
                                    if r["id"] in plan.KILLED_AFTER_RUN else "-"] for r in surv]), ""]
        lines += [f"* {note}" for note in getattr(plan, "SURVIVOR_NOTES", [])] + [""]
    else:
        lines += ["None: every non-equivalent mutant is killed.", ""]
    fixed = data.get("fixed_survivors") or {}
    if fixed:
        by_id = {r["id"]: r for r in data["mutants"]}
        lines += ["### Survivors of the first run and the tests that now kill them", "",
                  "The first full run left these alive; each got a test. 'killed first by' is what killed it in "
                  "this run (the first failing test of its subset).", "",
                  common.md_table(["where", "mutant", "test written for it", "status now", "killed first by"],
                                  [[f"{by_id[i]['path']}:{by_id[i]['line']}" if i in by_id else "-",
                                    _code(i.split(":", 2)[-1].rsplit("#", 1)[0]), _code(t),
                                    by_id[i]["status"] if i in by_id else "not run",
                                    _code((by_id.get(i) or {}).get("killed_by") or "-")]
                                   for i, t in fixed.items()]), ""]
    eq = [r for r in data["mutants"] if r["status"] == "equivalent"]
    lines += [f"### Equivalent mutants ({len(eq)})", ""]
    lines += [("They were run in this run too (`--check-equivalents`) and survived. " if data.get("equivalents_run")
               else "They are not run by default (`--check-equivalents` runs them and reports one that a test now "
                    "kills as a stale entry). ")
              + (f"Stale entries: {'; '.join(data['stale_equivalents'])}." if data.get("stale_equivalents")
                 else "No stale entries."), ""]
    if eq:
        lines += ["Each one computes the same integers as the original for every input the contract allows; "
                  "why:", "",
                  common.md_table(["where", "mutant", "why it is equivalent"],
                                  [[f"{r['path']}:{r['line']}", _code(f"{r['before']} -> {r['after']}"), r["why"]]
                                   for r in eq]), ""]
    else:
        lines += ["None.", ""]
    lines += _method(data)
    return "\n".join(lines)


def _method(data: dict) -> list[str]:
    ops = [[k, v] for k, v in data["operators"].items()]
    subsets = [[f"`{m}`", ", ".join(f"`{t}`" for t in tests)] for m, tests in data["subsets"].items()]
    return [
        "### How", "",
        "Why a driver of our own (`bench/mutation.py`, about 350 lines on `ast`) and not mutmut or cosmic-ray: "
        "the package maps `sc_neurocore` to `sw/` and `sc_neurocore.hw` to `hw/` (setuptools `package-dir`). "
        "mutmut 3 runs the tests on a copy of the sources in `mutants/` and mutates function bodies only "
        "(through trampolines), so the editable install would import the unmutated package and a module-level "
        "table such as `LFSR_TAPS` (the survivor that started issue 18) would never be mutated. cosmic-ray "
        "rewrites the files in place (an interrupted run leaves a mutated file in the work tree) and starts a "
        "fresh interpreter per mutant, and numpy + amaranth + hypothesis take seconds to import on this machine. "
        "Here the parent imports those once; each mutant runs in a `fork` whose import hook compiles the mutated "
        "module from its AST (nothing is written to disk), then runs the module's test subset with "
        "`pytest.main(['-x', ...])`; hypothesis runs derandomized (profile `mutants`), so a run is repeatable.",
        "",
        "Operators (curated: boundaries, arithmetic, constants; no string or exception mutants):", "",
        common.md_table(["operator", "mutation"], ops), "",
        "Not mutated: argument checks (`if ...: raise`, `raise`, `assert`, calls of `check_*`/`_check_*`, "
        "`validate`, `__post_init__`), `__repr__`/`__hash__`/`__eq__`, docstrings, strings, annotations, "
        "`__all__` and signal `name=` keywords: the bad-input tests cover those, not equivalence. "
        + " ".join(f"`{k}`: {v}." for k, v in data["not_mutated"].items()), "",
        f"Test subsets (pytest `-q -x {' '.join(repr(a) if ' ' in a else a for a in data['pytest_args'])}`; "
        "cocotb runs are left out: the simulator builds are cached by the gateware files on disk, which a "
        "mutant never touches; the engine's equivalence is checked in Amaranth's simulator):", "",
        common.md_table(["module", "tests"], subsets), "",
    ]


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    args.argv = argv
    out_dir = Path(args.out_dir)
    try:
        return _main(args, out_dir)
    except ValueError as exc:  # a named mutant that no longer applies, a plan that names no module: say which
        print(f"{SCRIPT}: {exc}", file=sys.stderr)
        return 2


def _main(args, out_dir: Path) -> int:
    if args.list:
        _, generated, named = _plan_mutants(args)
        for m in [m for ms in generated.values() for m in ms] + named:
            print(f"{m.path}:{m.line}\t{m.operator}\t{m.id}")
        return 0
    if args.render_only:
        try:
            data = common.read_json(NAME, out_dir, schema=SCHEMA)
        except common.RenderError as exc:
            print(f"{SCRIPT}: {exc}", file=sys.stderr)
            return 2
    else:
        data = experiment(args)
        common.write_json(NAME, data, out_dir)
    path = common.write_report(NAME, render(data), out_dir)
    s = summarize(data)
    named = s["per"].get("named mutants", {"generated": 0, "killed": 0, "timeout": 0})
    print(f"wrote {path}: score {s['total']['score']:.1f} % ({s['total']['generated']} mutants), named "
          f"{named['killed'] + named['timeout']}/{named['generated']} killed, {data['wall_s']:.0f} s")
    ok = named["killed"] + named["timeout"] == named["generated"] and s["total"]["score"] >= data["goal"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
