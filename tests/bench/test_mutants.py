"""The mutation driver's plan still applies to the code, and its report renders from the stored run alone."""

from __future__ import annotations

import shutil
import subprocess

import mutants
import mutants_plan as plan
import mutation
import pytest


def test_every_named_mutant_still_applies_and_compiles():
    """A named mutant's text must occur once in its module: an edit that moves it must move the plan too."""
    for name, patches in plan.NAMED:
        m = mutation.named_mutant(name, patches)
        codes = mutation.mutated_sources(m)
        assert set(codes) == {p[0] for p in patches}


def test_every_module_of_the_plan_has_tests_and_mutants():
    for module, tests in plan.SUBSETS.items():
        assert tests and all(t.split("::")[0].startswith("tests/") for t in tests), module
        assert mutation.module_path(module).is_file()


def test_mutants_of_a_module_are_distinct_and_compile():
    ms = mutation.mutants_of("sc_neurocore.hw.lif")
    assert len({m.id for m in ms}) == len(ms) and all(m.before != m.after for m in ms)
    assert {m.operator for m in ms} >= {"compare", "arith", "const", "mux"}
    for m in ms[:20]:
        mutation.mutated_sources(m)  # compiles
    # argument checks are not mutated: LIFStep.validate holds comparisons, none of its lines appear
    assert not [m for m in ms if m.function.endswith("validate")]


def test_listed_equivalents_and_fixes_name_existing_mutants():
    ids = {m.id for module in plan.SUBSETS for m in mutation.mutants_of(module)}
    assert set(plan.EQUIVALENT) <= ids
    assert set(plan.FIXED_SURVIVORS) <= ids


def test_report_renders_from_the_stored_run(tmp_path):
    src = mutants.common.REPORT_DIR / "mutants.json"
    if not src.is_file():
        pytest.skip("no stored run")
    shutil.copy(src, tmp_path / "mutants.json")
    code = mutants.main(["--render-only", "--out-dir", str(tmp_path)])
    text = (tmp_path / "mutants.md").read_text()
    assert code in (0, 1) and "## Mutation testing" in text and "### The named mutants" in text


# ------------------------------------------------------------------------------------- --merge and the ordering

SNG, RNG = "sc_neurocore.hw.sng", "sc_neurocore.hw.rng"
NAMED_X = "argmax tie-break flipped in the gateware (last index on ties)"
MACHINE = {"cpu": "test", "cores": "2", "os": "test", "python": "3.11", "load": "0"}


def _row(module, n, status, killed_by=None, operator="arith"):
    path = "hw/argmax.py" if operator == "named" else mutation.module_path(module).relative_to(mutation.ROOT).as_posix()
    mid = f"named:{NAMED_X}" if operator == "named" else f"{path}:f:a -> b#{n}"
    return {
        "id": mid,
        "module": module,
        "path": path,
        "line": 1,
        "function": "f",
        "operator": operator,
        "before": "a",
        "after": "b",
        "site": n,
        "variant": 0,
        "name": NAMED_X if operator == "named" else "",
        "status": status,
        "seconds": 1.0,
        "killed_by": killed_by,
        "rc": 1,
        "why": None,
        "run": True,
    }


def _run(date, commit, modules, rows):
    return {
        "schema": mutants.SCHEMA,
        "date": date,
        "commit": commit,
        "machine": MACHINE,
        "wall_s": 60.0,
        "command": f"python bench/mutants.py --modules {','.join(modules)} --check-equivalents",
        "modules": modules,
        "mutants": rows,
        "stale_equivalents": [],
        "equivalents_run": True,
        "sample": 0,
        "jobs": 2,
        "seed": 18,
        "goal": 95.0,
    }


def _older():
    """hw.sng: 1 killed, 1 survived; hw.rng: 2 killed, 1 survived, 1 timeout; the named mutant killed."""
    return _run(
        "2026-01-01 10:00 UTC",
        "aaaaaaa",
        [SNG, RNG],
        [
            _row(SNG, 0, "killed", "t::a"),
            _row(SNG, 1, "survived"),
            _row(RNG, 0, "killed", "t::b"),
            _row(RNG, 1, "killed", "t::b"),
            _row(RNG, 2, "survived"),
            _row(RNG, 3, "timeout"),
            _row("sc_neurocore.hw.argmax", 0, "killed", "t::n", operator="named"),
        ],
    )


def _newer():
    """hw.sng again, at another commit: 3 killed; the named mutant survived."""
    return _run(
        "2026-01-02 10:00 UTC",
        "bbbbbbb+dirty",
        [SNG],
        [
            _row(SNG, 0, "killed", "t::a"),
            _row(SNG, 1, "killed", "t::c"),
            _row(SNG, 2, "killed", "t::c"),
            _row("sc_neurocore.hw.argmax", 0, "survived", operator="named"),
        ],
    )


def _only_b_current(commit, path):
    return commit.startswith("bbbbbbb")


def test_merge_takes_each_modules_latest_run_and_flags_stale_modules():
    data = mutants.merge_runs([("new", _newer()), ("old", _older())], unchanged=_only_b_current)
    data.update(command="python bench/mutants.py --merge", goal=95.0)
    s = mutants.summarize(data)
    # hw.sng from the newer run: 3 generated, 3 killed; hw.rng from the older one: 2 killed + 1 timeout of 4
    assert (s["per"][SNG]["generated"], s["per"][SNG]["killed"]) == (3, 3)
    assert (s["per"][RNG]["generated"], s["per"][RNG]["killed"], s["per"][RNG]["timeout"]) == (4, 2, 1)
    assert s["total"]["generated"] == 7 and s["total"]["score"] == pytest.approx(100 * 6 / 7)
    assert s["current"]["generated"] == 3 and s["current"]["score"] == 100.0  # hw.sng only
    assert s["per"]["named mutants"]["survived"] == 1  # the newer run's verdict
    assert data["module_runs"][SNG] == {"commit": "bbbbbbb+dirty", "date": "2026-01-02 10:00 UTC", "current": True}
    assert data["module_runs"][RNG]["current"] is False
    assert {r["commit"] for r in data["mutants"] if r["module"] == RNG} == {"aaaaaaa"}
    assert set(data["never_run"]) == set(plan.SUBSETS) - {SNG, RNG}
    assert [r["source"] for r in data["runs"]] == ["old", "new"]
    assert data["runs"][0]["modules"] == [RNG]
    text = mutants.render(data)
    assert "**85.7 %** over all 7 rows, **100.0 %** over the 3 current rows" in text
    assert f"| {RNG} | 4 | 3 | 1 | 1 | 0 | 0 | 75.0 % | aaaaaaa (stale) |" in text
    assert f"| {SNG} | 3 | 3 | 0 | 0 | 0 | 0 | 100.0 % | bbbbbbb+dirty (current) |" in text
    assert "never run" in text


def test_a_named_only_run_counts_for_its_named_mutants_only():
    """A later ``--named-only`` run (its data lists every module of the plan, none of their mutants) gives the named
    mutants their newest verdict and leaves each module's rows to the run that ran them."""
    named = _run("2026-01-03 10:00 UTC", "ccccccc", list(plan.SUBSETS),
                 [_row("sc_neurocore.hw.argmax", 0, "killed", "t::m", operator="named")])
    named["command"] = "python bench/mutants.py --named-only --jobs 2"
    data = mutants.merge_runs([("new", _newer()), ("old", _older()), ("named", named)], unchanged=_only_b_current)
    s = mutants.summarize(data)
    assert (s["per"][SNG]["generated"], s["per"][RNG]["generated"]) == (3, 4)  # still the module runs' rows
    assert s["per"]["named mutants"]["killed"] == 1  # the named-only run's verdict, the newest
    picked = [r for r in data["runs"] if r["source"] == "named"][0]["modules"]
    assert picked and all(k.startswith("named:") for k in picked)  # no module taken from it


def test_merge_mode_keeps_a_full_run_and_merges_again_to_the_same_table(tmp_path, monkeypatch):
    parts = tmp_path / "parts"
    parts.mkdir()
    mutants.common.write_json("mutants", _older(), tmp_path)  # a full run's report where --merge writes
    mutants.common.write_json("sng", _newer(), parts)
    monkeypatch.setattr(mutants, "unchanged_since", _only_b_current)
    argv = ["--merge", "--out-dir", str(tmp_path), "--parts-dir", str(parts)]
    assert mutants.main(argv) == 1  # the named mutant survived, 85.7 % < 95 %
    assert (parts / "full-aaaaaaa.json").is_file()
    first = (tmp_path / "mutants.md").read_text()
    assert mutants.main(argv) == 1
    again = (tmp_path / "mutants.md").read_text()
    assert "over all 7 rows" in first and first.split("\n")[4:] == again.split("\n")[4:]


def test_unchanged_since_reads_git(tmp_path):
    def git(*a):
        return subprocess.run(["git", "-C", str(tmp_path), *a], capture_output=True, text=True, check=True).stdout

    git("init", "-q")
    git("config", "user.email", "t@t")
    git("config", "user.name", "t")
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "b.py").write_text("y = 1\n")
    git("add", ".")
    git("commit", "-qm", "one")
    first = git("rev-parse", "--short", "HEAD").strip()
    (tmp_path / "a.py").write_text("x = 2\n")
    git("commit", "-qam", "two")
    assert mutants.unchanged_since(first + "+dirty", "b.py", tmp_path)
    assert not mutants.unchanged_since(first, "a.py", tmp_path)
    assert not mutants.unchanged_since("0000000", "b.py", tmp_path)  # unknown commit: not shown current


def test_kill_history_puts_the_likeliest_killers_first():
    h = mutants._KillHistory()
    for row in _older()["mutants"] + _newer()["mutants"]:
        if row["status"] == "killed":
            h.add(row, row["killed_by"])
    m = mutation.Mutant(
        id=_row(SNG, 1, "killed")["id"],
        module=SNG,
        path="",
        line=1,
        function="f",
        operator="arith",
        before="a",
        after="b",
    )
    # its own last killer, then its function's killers by count (t::c twice, t::a twice: first seen first)
    assert h.first(m)[0] == "t::c" and set(h.first(m)) == {"t::a", "t::c"}
    other = mutation.Mutant(
        id="new", module=RNG, path="", line=1, function="g", operator="arith", before="a", after="b"
    )
    assert h.first(other) == ["t::b"]  # nothing of its function yet: its module's


def test_tests_first_plugin_sorts_the_named_tests_to_the_front():
    class Item:
        def __init__(self, nodeid):
            self.nodeid = nodeid

    items = [Item(n) for n in ("a", "b", "c", "d")]
    mutation._TestsFirst(["c", "a", "c"]).pytest_collection_modifyitems(None, None, items)
    assert [i.nodeid for i in items] == ["c", "a", "b", "d"]


def test_a_run_resumes_from_its_outcomes_and_only_on_the_same_modules(tmp_path, monkeypatch):
    monkeypatch.setattr(mutants.common, "git_revision", lambda: "bbbbbbb")
    monkeypatch.setattr(mutants, "unchanged_since", _only_b_current)
    partial = tmp_path / "mutants.partial.jsonl"
    assert mutants._resume(partial, [SNG], resume=False) == ({}, 0.0, 1)  # a fresh file: its header only
    with partial.open("a") as fh:
        fh.write('{"id": "a", "status": "killed", "seconds": 2.0, "killed_by": "t::x", "rc": 1, "wall_s": 30.0}\n')
        fh.write('{"id": "b", "status": "timeout", "seconds": 9.0, "killed_by": null, "rc": null, "wall_s": 41.5}\n')
    kept, wall, sessions = mutants._resume(partial, [SNG], resume=True)
    assert set(kept) == {"a"} and kept["a"].killed_by == "t::x"  # a timeout is run again
    assert (wall, sessions) == (41.5, 2)
    assert mutants._resume(partial, [SNG], resume=True)[2] == 3
    with pytest.raises(SystemExit, match="a run of sc_neurocore.hw.sng"):
        mutants._resume(partial, [RNG], resume=True)
    both = tmp_path / "both.partial.jsonl"
    mutants._resume(both, [SNG, RNG], resume=False)
    assert mutants._resume(both, [SNG], resume=True)[2] == 2  # the modules a run finished: some of its modules
    partial.write_text(partial.read_text().replace("bbbbbbb", "aaaaaaa"))  # hw.sng changed since that commit
    with pytest.raises(SystemExit, match="changed since"):
        mutants._resume(partial, [SNG], resume=True)


def test_first_tiers_are_parts_of_their_modules_subsets():
    """A first tier only runs sooner what the whole subset runs anyway: every test of it is in a file of the
    module's subset (so a mutant it kills, the whole subset kills too)."""
    assert plan.FAST_SUBSETS
    for module, tests in plan.FAST_SUBSETS.items():
        files = {t.split("::")[0] for t in plan.SUBSETS[module]}
        assert tests and all(t.split("::")[0] in files for t in tests), module
        assert set(tests) != set(plan.SUBSETS[module]), module  # a part, not all of it


def test_run_in_tiers_sends_only_first_tier_survivors_to_the_whole_subset():
    from types import SimpleNamespace

    ms = [SimpleNamespace(id=k) for k in ("fast-killed", "fast-timeout", "fast-survived", "no-tier")]
    fast_of = {"fast-killed": ["t"], "fast-timeout": ["t"], "fast-survived": ["t"], "no-tier": None}.get
    seen = {}

    def run_fast(batch):
        seen["fast"] = [m.id for m in batch]
        return {"fast-killed": mutation.Outcome("killed", 1.0, "t::a", 1), "fast-timeout": mutation.Outcome(
            "timeout", 9.0), "fast-survived": mutation.Outcome("survived", 2.0)}

    def run_whole(batch):
        seen["whole"] = sorted(m.id for m in batch)
        return {m.id: mutation.Outcome("survived" if m.id == "no-tier" else "killed", 5.0, "t::b", 1) for m in batch}

    out = mutants.run_in_tiers(ms, lambda m: fast_of(m.id), run_fast, run_whole)
    assert seen == {"fast": ["fast-killed", "fast-timeout", "fast-survived"], "whole": ["fast-survived", "no-tier"]}
    assert {k: o.status for k, o in out.items()} == {"fast-killed": "killed", "fast-timeout": "timeout",
                                                     "fast-survived": "killed", "no-tier": "survived"}
    assert out["fast-survived"].killed_by == "t::b"  # the whole subset's verdict
