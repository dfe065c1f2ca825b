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
    python bench/mutants.py --merge                     # docs/bench/mutants.md from the recorded runs (no run)
    python bench/mutants.py --modules M --out-dir D --resume  # go on with an interrupted run (D/mutants.partial.jsonl)

A full run takes hours on 2 cores; a module run (``--modules ... --out-dir DIR``, its report copied into
``docs/bench/mutants-parts/NAME.md`` + ``.json``) takes minutes.  ``--merge`` (``nox -s mutants -- --merge``)
builds the standing table from the recorded runs: for each module of the plan the rows of its latest run, each
row marked current (the module's source file is unchanged between the run's commit and HEAD) or stale.

Exit status: 0 when every named mutant is killed and the score meets ``--goal``, 1 otherwise.
Not part of ``nox -s bench`` (``bench/run_all.py`` runs ``bench_*.py``): it checks the tests, it
measures no speed.
"""

from __future__ import annotations

import argparse
import json
import random
import shlex
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

NAME = "mutants"
SCRIPT = "bench/mutants.py"
SCHEMA = 1
#: Where module runs are recorded (``NAME.md`` + ``NAME.json``, each a report of this script).
PARTS_DIR = common.REPORT_DIR / "mutants-parts"


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
    ap.add_argument("--no-reorder", action="store_true",
                    help="run each subset in its own order (by default the tests that killed this mutant, then "
                         "mutants of its function, then of its module, in recorded runs and in this one run first)")
    ap.add_argument("--resume", action="store_true",
                    help="go on with the run whose outcomes <out-dir>/mutants.partial.jsonl holds (each run writes "
                         "one outcome a line there as it goes, and deletes it when done): its mutants are not run again")
    ap.add_argument("--only", action="append", default=[], metavar="TEXT",
                    help="only the mutants whose id contains TEXT (repeatable; to check a new test on the mutants it "
                         "was written for: such a run is no module run, do not record it)")
    ap.add_argument("--list", action="store_true", help="print the mutants and exit")
    ap.add_argument("--out-dir", default=str(common.REPORT_DIR), help="where mutants.md and mutants.json go")
    ap.add_argument("--merge", action="store_true",
                    help="run nothing: write the report from the recorded runs (--parts-dir, and <out-dir>/mutants.json "
                         "when it holds a run, which is first copied into --parts-dir as full-COMMIT), each module's "
                         "rows from its latest run, marked current or stale against HEAD")
    ap.add_argument("--parts-dir", default=str(PARTS_DIR), help="the recorded module runs that --merge reads")
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
            if args.only:  # checking a new test on the mutants it was written for
                ms = [m for m in ms if any(text in m.id for text in args.only)]
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
    # a module's first tier: a few seconds of its subset's tests that kill most of its mutants (plan.FAST_SUBSETS)
    fast = {m: list(plan.FAST_SUBSETS[m]) for m in generated if m in plan.FAST_SUBSETS}
    base_time: dict[str, float] = {}
    for tests in [*subsets.values(), *fast.values()]:
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
    partial = Path(args.out_dir) / f"{NAME}.partial.jsonl"
    earlier, wall_before, sessions = _resume(partial, modules, args.resume)
    earlier = {k: o for k, o in earlier.items() if k in {m.id for m in everything}}
    to_run = [m for m in to_run if m.id not in earlier]
    if earlier:
        print(f"resuming {partial}: {len(earlier)} outcomes kept, {len(to_run)} mutants to run", flush=True)

    def tests_of(m):
        return subsets[m.id] if m.patches else subsets[m.module]

    def timeout_of(m):
        return 2 * base_time[tuple(tests_of(m))] + 5

    counter = {"t": time.perf_counter()}
    kills = _KillHistory() if args.no_reorder else _KillHistory.recorded()
    by_id = {m.id: m for m in everything}
    for key, o in earlier.items():
        if o.status == "killed" and key in by_id:
            kills.add(by_id[key], o.killed_by)

    def progress(key, outcome, done, total, tier=""):
        if tier and outcome.status == "survived":  # survived the first tier: the whole subset decides
            print(f"[{done}/{total}] {tier} survived {outcome.seconds:5.1f} s  {key}: to the whole subset", flush=True)
            return
        with partial.open("a") as fh:  # one outcome a line: an interrupted run goes on with --resume
            fh.write(json.dumps({"id": key, "status": outcome.status, "seconds": round(outcome.seconds, 2),
                                 "killed_by": outcome.killed_by, "rc": outcome.rc,
                                 "wall_s": round(wall_before + time.perf_counter() - t_start, 1)}) + "\n")
        if outcome.status == "killed":
            kills.add(by_id[key], outcome.killed_by)
        if outcome.status != "killed" or time.perf_counter() - counter["t"] > 30:
            counter["t"] = time.perf_counter()
            print(f"[{done}/{total}] {tier}{outcome.status:8s} {outcome.seconds:5.1f} s  {key}", flush=True)

    def fast_of(m):
        return None if m.patches else fast.get(m.module)

    first_of = None if args.no_reorder else kills.first
    outcomes = dict(earlier)
    outcomes.update(run_in_tiers(
        to_run, fast_of,
        lambda ms: mutation.run_mutants(ms, fast_of, lambda m: 2 * base_time[tuple(fast_of(m))] + 5,
                                        workers=args.jobs, progress=lambda *a: progress(*a, tier="fast "),
                                        first_of=first_of),
        lambda ms: mutation.run_mutants(ms, tests_of, timeout_of, workers=args.jobs, progress=progress,
                                        first_of=first_of)))
    wall = wall_before + time.perf_counter() - t_start
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
    if not (args.modules or args.sample or args.named_only or args.only):
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
        "fast_subsets": fast,
        "pytest_args": plan.PYTEST_ARGS,
        "not_mutated": plan.NOT_MUTATED,
        "skip_functions": plan.SKIP_FUNCTIONS,
        "operators": mutation.OPERATORS,
        "mutants": rows,
        "fixed_survivors": plan.FIXED_SURVIVORS,
        "stale_equivalents": stale,
        "goal": args.goal,
        "reordered": not args.no_reorder,
        "sessions": sessions,
    }


def run_in_tiers(mutants, fast_of, run_fast, run_whole) -> dict:
    """``{mutant id: Outcome}``: the mutants with a first tier (``fast_of(m)`` not empty) run through
    ``run_fast`` first, and only those that survive it, with the mutants that have none, through ``run_whole``
    (each takes a list of mutants and returns their outcomes): a kill or timeout in the first tier is final, a
    survival never is."""
    first = [m for m in mutants if fast_of(m)]
    rest = [m for m in mutants if not fast_of(m)]
    out = {}
    if first:
        got = run_fast(first)
        out.update({k: o for k, o in got.items() if o.status != "survived"})
        rest += [m for m in first if got[m.id].status == "survived"]
    out.update(run_whole(rest))
    return out


def _resume(partial: Path, modules: list[str], resume: bool) -> tuple[dict, float, int]:
    """``(outcomes kept, wall seconds spent on them, sessions counting this one)`` from ``partial`` when resuming
    (a timeout is run again: the file does not say whether it was the retry); otherwise a fresh ``partial``
    whose first line names the commit and the modules (a run is resumed on those modules or some of them, each
    unchanged since that commit: the modules a run finished get their report while the rest wait; the report names
    the commit of the last session)."""
    import mutation

    head = {"commit": common.git_revision(), "modules": modules}
    if resume and partial.is_file():
        lines = [json.loads(line) for line in partial.read_text().splitlines() if line.strip()]
        was = lines[0]
        changed = [m for m in modules if not unchanged_since(
            was["commit"], str(mutation.module_path(m).relative_to(mutation.ROOT)))]
        if not set(modules) <= set(was["modules"]) or changed:
            raise SystemExit(f"{SCRIPT}: {partial} is a run of {', '.join(was['modules'])} at {was['commit']}"
                             + (f"; {', '.join(changed)} changed since" if changed else "") + ": run without --resume")
        outcomes = {d["id"]: mutation.Outcome(d["status"], d["seconds"], d["killed_by"], d["rc"])
                    for d in lines[1:] if "id" in d and d["status"] != "timeout"}  # (only those asked for are used)
        sessions = 2 + sum(1 for d in lines if "session" in d)
        with partial.open("a") as fh:
            fh.write(json.dumps({"session": sessions}) + "\n")
        return outcomes, max([d["wall_s"] for d in lines[1:] if "wall_s" in d] + [0.0]), sessions
    partial.parent.mkdir(parents=True, exist_ok=True)
    partial.write_text(json.dumps(head) + "\n")
    return {}, 0.0, 1


class _KillHistory:
    """Which tests killed which mutants: in the recorded runs (:func:`_recorded_runs`) and so far in this run.
    :meth:`first` lists, for a mutant, the test that killed it before, then the tests that killed most mutants of
    its function, then of its module: run first, a kill then stops ``pytest -x`` after a test or a few."""

    def __init__(self):
        self.by_id: dict[str, str] = {}
        self.by_function: dict[tuple[str, str], Counter] = {}
        self.by_module: dict[str, Counter] = {}

    @classmethod
    def recorded(cls) -> _KillHistory:
        out = cls()
        runs = sorted(_recorded_runs(common.REPORT_DIR, PARTS_DIR), key=lambda sd: sd[1]["date"])
        for _, data in runs:  # the latest run's kill of a mutant wins
            for row in data["mutants"]:
                if row["status"] == "killed":
                    out.add(row, row["killed_by"])
        return out

    def add(self, mutant, nodeid: str | None) -> None:
        module, function, mid = (mutant["module"], mutant["function"], mutant["id"]) if isinstance(mutant, dict) \
            else (mutant.module, mutant.function, mutant.id)
        if not nodeid or nodeid.endswith("(collection)"):
            return
        self.by_id[mid] = nodeid
        self.by_function.setdefault((module, function), Counter())[nodeid] += 1
        self.by_module.setdefault(module, Counter())[nodeid] += 1

    def first(self, m) -> list[str]:
        own = [self.by_id[m.id]] if m.id in self.by_id else []
        return own + [t for t, _ in self.by_function.get((m.module, m.function), Counter()).most_common()] + [
            t for t, _ in self.by_module.get(m.module, Counter()).most_common()]


# ------------------------------------------------------------------------------------------ merging runs


def unchanged_since(commit: str, path: str, root: Path = common.ROOT) -> bool:
    """Whether ``path`` is the same at HEAD as at ``commit`` (``git diff --quiet``; a ``+dirty`` suffix is
    dropped: a run records the commit its work tree was on); ``False`` when git cannot tell (an unknown commit)."""
    try:
        r = subprocess.run(["git", "-C", str(root), "diff", "--quiet", commit.split("+")[0], "HEAD", "--", path],
                           capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return r.returncode == 0


def _runs_of(data: dict, source: str) -> list[dict]:
    """The module runs one recorded report holds: one, or one per entry of its ``runs`` list (a report put
    together from several module runs, whose commands name their modules with ``--modules``)."""
    runs = []
    for r in data.get("runs") or [data]:
        words = shlex.split(r["command"])
        mods = [m for m in words[words.index("--modules") + 1].split(",") if m] if "--modules" in words else None
        if "--named-only" in words:  # a run of the named mutants only: it ran no module's mutants
            mods = []
        runs.append({"source": source, "command": r["command"], "date": r["date"], "commit": r["commit"],
                     "wall_s": r["wall_s"], "machine": r["machine"],
                     "modules": list(data["modules"]) if mods is None else mods,
                     "equivalents_run": bool(data.get("equivalents_run")), "sample": data.get("sample", 0),
                     "order": (r["date"], source, len(runs))})
    return runs


def merge_runs(recorded: list[tuple[str, dict]], *, unchanged=None) -> dict:
    """One report from recorded runs ``[(source, data), ...]``: for each module of the plan the rows of its latest
    run (by date), for each named mutant of the plan its row from the latest run that ran it; each row gets the
    ``commit`` and ``date`` of its run and ``current`` (``unchanged(commit, path)`` for each file it mutates)."""
    import mutants_plan as plan
    import mutation

    unchanged = unchanged or unchanged_since
    best: dict[str, tuple[dict, list[dict]]] = {}  # module or named id -> (run, rows)
    stale_eq: dict[str, list[str]] = {}
    for source, data in recorded:
        runs = _runs_of(data, source)
        held: dict[str, tuple[dict, list[dict]]] = {m: (r, []) for r in runs for m in r["modules"]}
        for row in data["mutants"]:
            run = next((r for r in reversed(runs) if row["module"] in r["modules"]), runs[-1])
            held.setdefault(row["id"] if row["operator"] == "named" else row["module"], (run, []))[1].append(row)
        for key, (run, rows) in held.items():  # a module a run mutated, with no mutant in it, counts as run too
            if key not in best or best[key][0]["order"] < run["order"]:
                best[key] = (run, rows)
        stale_eq[source] = list(data.get("stale_equivalents") or [])
    named_ids = [f"named:{n}" for n, _ in plan.NAMED]
    keys = [m for m in plan.SUBSETS if m in best] + [i for i in named_ids if i in best]
    checked: dict[tuple[str, str], bool] = {}
    rows, used = [], {}
    for key in keys:
        run, key_rows = best[key]
        used.setdefault(id(run), (run, []))[1].append(key)
        for row in key_rows:
            paths = [p.strip() for p in row["path"].split(",")]
            for path in paths:
                if (run["commit"], path) not in checked:
                    checked[(run["commit"], path)] = unchanged(run["commit"], path)
            rows.append(dict(row, commit=run["commit"], date=run["date"],
                             current=all(checked[(run["commit"], p)] for p in paths)))
    module_runs = {}
    for m in plan.SUBSETS:
        if m in best:
            run, path = best[m][0], str(mutation.module_path(m).relative_to(mutation.ROOT))
            if (run["commit"], path) not in checked:
                checked[(run["commit"], path)] = unchanged(run["commit"], path)
            module_runs[m] = {"commit": run["commit"], "date": run["date"], "current": checked[(run["commit"], path)]}
    ids = {r["id"] for r in rows}
    runs = sorted((dict(run, modules=picked) for run, picked in used.values()), key=lambda r: r["order"])
    for r in runs:
        del r["order"]
    return {
        "schema": SCHEMA,
        "merged": True,
        "date": common.utc_now(),
        "commit": common.git_revision(),
        "machine": common.machine_info(),
        "runs": runs,
        "wall_s": round(sum(r["wall_s"] for r in runs), 1),
        "jobs": None,
        "equivalents_run": all(r["equivalents_run"] for r in runs) if runs else False,
        "sample": 0,
        "seed": None,
        "modules": list(plan.SUBSETS),
        "module_runs": module_runs,
        "never_run": [m for m in plan.SUBSETS if m not in best],
        "named_not_run": [n for n, _ in plan.NAMED if f"named:{n}" not in best],
        "subsets": dict(plan.SUBSETS),
        "fast_subsets": dict(plan.FAST_SUBSETS),
        "pytest_args": plan.PYTEST_ARGS,
        "not_mutated": plan.NOT_MUTATED,
        "skip_functions": plan.SKIP_FUNCTIONS,
        "operators": mutation.OPERATORS,
        "mutants": rows,
        "fixed_survivors": plan.FIXED_SURVIVORS,
        # a stale entry of the equivalents' list, as the run that selected its row reported it, while it is listed
        "stale_equivalents": sorted({s for r in runs for s in stale_eq.get(r["source"], [])
                                     if any(s.startswith(i + " (") for i in ids & set(plan.EQUIVALENT))}),
    }


def _recorded_runs(out_dir: Path, parts_dir: Path) -> list[tuple[str, dict]]:
    """The recorded runs ``[(name, data), ...]``: ``parts_dir/*.json``, and ``out_dir/mutants.json`` when it holds
    a run (not a merge) that is not in ``parts_dir`` already."""
    out = []
    for path in sorted(parts_dir.glob("*.json")):
        data = json.loads(path.read_text())
        if data.get("schema") != SCHEMA or data.get("merged"):
            raise common.RenderError(f"{path}: not a run of {SCRIPT} (schema {SCHEMA})")
        out.append((path.stem, data))
    main_json = out_dir / f"{NAME}.json"
    if main_json.is_file():
        data = json.loads(main_json.read_text())
        if not data.get("merged") and not any((d["date"], d["commit"]) == (data["date"], data["commit"])
                                              for _, d in out):
            out.append((NAME, data))
    return out


def _keep_full_run(out_dir: Path, parts_dir: Path) -> None:
    """Copy a run found in ``out_dir/mutants.json`` (a full run's report, not an earlier merge) into ``parts_dir``
    as ``full-COMMIT``: the merge about to overwrite it then keeps it among the recorded runs."""
    main_json = out_dir / f"{NAME}.json"
    if not main_json.is_file():
        return
    data = json.loads(main_json.read_text())
    if data.get("merged"):
        return
    stem = f"full-{data['commit'].split('+')[0]}"
    parts_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(main_json, parts_dir / f"{stem}.json")
    if (out_dir / f"{NAME}.md").is_file():
        shutil.copyfile(out_dir / f"{NAME}.md", parts_dir / f"{stem}.md")
    print(f"kept the run of {main_json} as {parts_dir / stem}.json")


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
    out = {"per": per, "total": total}
    if data.get("merged"):  # the rows whose module is unchanged since their run
        out["current"] = summarize({"mutants": [r for r in data["mutants"] if r["current"]]})["total"]
    return out


def _code(text: str) -> str:
    return "`" + text.replace("`", "'").replace("|", "\\|").replace("\n", " ") + "`"


def _counts(c: dict) -> list:
    return [c["generated"], c["killed"] + c["timeout"], c["timeout"], c["survived"], c["equivalent"], c["error"]]


def _ran_at(row: dict) -> str:
    """A merged report's row: the commit its run was at, and whether its source is unchanged since."""
    return f"{row['commit']} ({'current' if row['current'] else 'stale'})"


def _merged_header(data: dict, s: dict) -> list[str]:
    """A merged report's opening: what it is made of, the two totals, the runs."""
    tot, cur = s["total"], s["current"]
    runs = []
    for r in data["runs"]:
        named = sum(m.startswith("named:") for m in r["modules"])
        runs.append([f"`{r['source']}`", r["commit"], r["date"], f"{r['wall_s'] / 60:.1f}",
                     ", ".join(f"`{m.removeprefix('sc_neurocore.')}`" for m in r["modules"] if m in data["subsets"])
                     + (f" and {named} named mutants" if named else ""), _code(r["command"])])
    return [
        "## Mutation testing",
        "",
        f"`{data['command']}` (`nox -s mutants -- --merge`), {data['date']}, HEAD {data['commit']}: no mutant is run; "
        f"the table is put together from the recorded module runs (`docs/bench/mutants-parts/`): each module's rows "
        f"are those of its latest run, each named mutant's that of the latest run that ran it. A row is **current** "
        f"when the module's source file is the same at HEAD as at the commit of its run (`git diff --quiet COMMIT "
        f"HEAD -- FILE`), **stale** otherwise (its module changed since: the figures may no longer hold). The runs "
        f"took {data['wall_s'] / 60:.0f} min of wall time in all on a 2-core machine shared by several agents.",
        "",
        f"Score = killed / (generated - equivalent); a timeout (twice the unmutated subset's time + 5 s, then once "
        f"more with three times that) counts as killed. **{tot['score']:.1f} %** over all {tot['generated']} rows, "
        f"**{cur['score']:.1f} %** over the {cur['generated']} current rows (goal: {data['goal']:.0f} %).",
        "",
        "Stale (to run again: `nice -n 15 python bench/mutants.py --modules M1,M2 --no-named --check-equivalents "
        "--out-dir DIR`, DIR's report copied into `docs/bench/mutants-parts/`): "
        + (", ".join(f"`{m}`" for m, r in data["module_runs"].items() if not r["current"]) or "none") + ". Never run: "
        + (", ".join(f"`{m}`" for m in data["never_run"]) or "none") + ".",
        "",
    ], [
        "### The runs", "",
        "Each was `nice -n 15` with two mutants at a time unless its command says `--jobs 1`.", "",
        common.md_table(["report", "commit", "date", "wall min", "modules taken from it", "command"], runs), "",
    ]


def render(data: dict) -> str:
    s = summarize(data)
    merged = bool(data.get("merged"))
    tot, named = s["total"], s["per"].get("named mutants")
    runs_of = data.get("module_runs", {})
    rows = [[m] + _counts(c) + [f"{c['score']:.1f} %"] + ([_ran_at(runs_of[m])] if merged else [])
            for m, c in s["per"].items() if m != "named mutants"]
    rows += [[m, 0, 0, 0, 0, 0, 0, "-", _ran_at(r)] for m, r in runs_of.items() if m not in s["per"]]
    rows += [[m, "-", "-", "-", "-", "-", "-", "-", "never run"] for m in data.get("never_run", [])]
    rows.append(["**all**"] + _counts(tot) + [f"**{tot['score']:.1f} %**"] + (["-"] if merged else []))
    if merged:
        rows.append(["**current rows**"] + _counts(s["current"]) + [f"**{s['current']['score']:.1f} %**", "-"])
    table = common.md_table(["module", "generated", "killed", "of which timeouts", "survived", "equivalent",
                             "errors", "score"] + (["ran at"] if merged else []), rows)
    if merged:
        lines, runs = _merged_header(data, s)
        lines += [table, ""] + runs
    else:
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
            f"once more with three times that) counts as killed. **{tot['score']:.1f} %** of the non-equivalent "
            f"mutants of `hw/`, `sw/sc/` and `sw/export.py` are killed (goal: {data['goal']:.0f} %).",
            "",
            table,
            "",
        ]
    named_rows = [r for r in data["mutants"] if r["operator"] == "named"]
    if named_rows:
        lines += [f"### The named mutants ({named['killed'] + named['timeout']} of {named['generated']} killed)", "",
                  "The realistic bugs named in issue 18 as a fixed list (`bench/mutants_plan.py` `NAMED`; the "
                  "threshold, the LFSR taps, the saturation bound and the argmax each in the places the issue names), "
                  "each run against the test subsets of the modules it patches; all must be killed (the exit status "
                  "says so).", "",
                  common.md_table(["mutant", "where", "status", "killed first by"] + (["ran at"] if merged else []),
                                  [[r["name"], r["path"], r["status"], _code(r["killed_by"] or "-")]
                                   + ([_ran_at(r)] if merged else []) for r in named_rows]), ""]
        if data.get("named_not_run"):
            lines += [f"Not run yet: {'; '.join(data['named_not_run'])}.", ""]
    import mutants_plan as plan

    surv = [r for r in data["mutants"] if r["status"] in ("survived", "error") and r["operator"] != "named"]
    lines += [f"### Survivors ({len(surv)})", ""]
    if surv:
        lines += ["What no test of the module's subset tells from the original and no argument shows equivalent. "
                  "'test since' names a test written after this run that kills it (checked on those mutants alone "
                  "with the driver; the next full run counts it).", "",
                  common.md_table(["where", "mutant", "status", "test since"] + (["ran at"] if merged else []),
                                  [[f"{r['path']}:{r['line']}", _code(f"{r['before']} -> {r['after']}"),
                                    r["status"], _code(plan.KILLED_AFTER_RUN[r["id"]])
                                    if r["id"] in plan.KILLED_AFTER_RUN else "-"] + ([_ran_at(r)] if merged else [])
                                   for r in surv]), ""]
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
    lines += [("Each run that says `--check-equivalents` in its command ran them too; they survived. " if merged
               else "They were run in this run too (`--check-equivalents`) and survived. " if data.get("equivalents_run")
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
    ] + ([
        "First tiers (`FAST_SUBSETS` in `bench/mutants_plan.py`): each mutant of these modules runs first against a "
        "few seconds of its subset's tests, with a timeout from that tier's own unmutated time; only a mutant that "
        "survives them runs against the whole subset, so a mutant counts as surviving only when the whole subset "
        "passes:", "",
        common.md_table(["module", "first tier"], [[f"`{m}`", ", ".join(f"`{t}`" for t in tests)]
                                                   for m, tests in data["fast_subsets"].items()]), "",
    ] if data.get("fast_subsets") else [])


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
    elif args.merge:
        parts_dir = Path(args.parts_dir)
        _keep_full_run(out_dir, parts_dir)
        try:
            recorded = _recorded_runs(out_dir, parts_dir)
            if not recorded:
                raise common.RenderError(f"no recorded runs in {parts_dir}")
        except common.RenderError as exc:
            print(f"{SCRIPT}: {exc}", file=sys.stderr)
            return 2
        data = dict(merge_runs(recorded), command=common.command_line(SCRIPT, args.argv), goal=args.goal)
        common.write_json(NAME, data, out_dir)
    else:
        data = experiment(args)
        common.write_json(NAME, data, out_dir)
        (out_dir / f"{NAME}.partial.jsonl").unlink(missing_ok=True)
    path = common.write_report(NAME, render(data), out_dir)
    s = summarize(data)
    named = s["per"].get("named mutants", {"generated": 0, "killed": 0, "timeout": 0})
    print(f"wrote {path}: score {s['total']['score']:.1f} % ({s['total']['generated']} mutants), named "
          f"{named['killed'] + named['timeout']}/{named['generated']} killed, {data['wall_s']:.0f} s")
    ok = named["killed"] + named["timeout"] == named["generated"] and s["total"]["score"] >= data["goal"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
