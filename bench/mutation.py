"""A small mutation-testing driver for this layout: AST mutants served to a forked pytest by an import hook.

Why our own (``docs/bench/mutants.md`` says it too): the package maps ``sc_neurocore`` to ``sw/`` and
``sc_neurocore.hw`` to ``hw/`` (setuptools ``package-dir``).  mutmut 3 copies the sources into a
``mutants/`` folder and mutates function bodies only, through trampolines: the copy is not what the
editable install imports under ``sc_neurocore``, and a module-level table such as ``LFSR_TAPS`` (the
survivor that started issue 18) is never mutated.  cosmic-ray rewrites the files in place and starts a
fresh interpreter per mutant (numpy + amaranth + hypothesis take seconds to import on this machine).
Here the parent imports the heavy third-party modules once; each mutant runs in a ``fork`` whose
import hook compiles the mutated module from its AST (nothing is written to disk, so an interrupted
run leaves no mutated file behind), then runs the module's test subset with ``pytest.main``.

Mutants
-------
:func:`mutants_of` walks a module's AST and yields one :class:`Mutant` per site and operator of a
curated set (:data:`OPERATORS`): comparison boundaries (``<`` <-> ``<=``, ``>`` <-> ``>=``,
``==`` <-> ``!=``), arithmetic and bit operators (``+`` <-> ``-``, ``<<`` <-> ``>>``, ``&`` <-> ``|``,
``^`` -> ``|``, ``*`` -> ``+``, ``//`` -> ``*``), integer constants off by one (``c + 1``, ``c - 1``),
``True`` <-> ``False``, a dropped unary ``-`` / ``~`` / ``not``, ``and`` <-> ``or``, and Amaranth's
``Mux(c, a, b)`` -> ``Mux(c, b, a)``.  Not mutated: argument checks (``if ...: raise``, ``raise``,
``assert``, functions named ``validate`` / ``__post_init__`` / ``_check*`` / ``check_*``,
``__repr__`` / ``__hash__`` / ``__eq__``), docstrings, strings, f-strings, annotations, ``__all__``,
and signal ``name=`` keywords; those are covered by the bad-input tests, not by equivalence.

A mutant's :attr:`Mutant.id` (``path:function:before -> after#n``) does not move when other code
moves, so equivalent mutants can be listed by id with their justification.
"""

from __future__ import annotations

import ast
import copy
import importlib.abc
import importlib.machinery
import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = ["Mutant", "OPERATORS", "mutants_of", "named_mutant", "run_mutants", "module_path", "Outcome"]

ROOT = Path(__file__).resolve().parent.parent

#: The curated operator set: (name, node type, what it does).
OPERATORS = {
    "compare": "comparison boundary: < <-> <=, > <-> >=, == <-> !=",
    "arith": "+ <-> -, * -> +, // -> *",
    "bits": "<< <-> >>, & <-> |, ^ -> |",
    "const": "integer constant c -> c + 1 and c - 1",
    "bool": "True <-> False",
    "unary": "drop a unary -, ~ or not",
    "logic": "and <-> or",
    "mux": "Mux(c, a, b) -> Mux(c, b, a)",
}

_CMP_SWAP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
             ast.NotEq: ast.Eq}
_BIN_SWAP = {ast.Add: ("arith", ast.Sub), ast.Sub: ("arith", ast.Add), ast.Mult: ("arith", ast.Add),
             ast.FloorDiv: ("arith", ast.Mult), ast.LShift: ("bits", ast.RShift), ast.RShift: ("bits", ast.LShift),
             ast.BitAnd: ("bits", ast.BitOr), ast.BitOr: ("bits", ast.BitAnd), ast.BitXor: ("bits", ast.BitOr)}
_SKIP_FUNCS = ("validate", "__post_init__", "__repr__", "__hash__", "__eq__")
_SKIP_KEYWORDS = ("name", "src_loc_at")


def module_path(module: str) -> Path:
    """The source file of a ``sc_neurocore`` module under the ``package-dir`` mapping of ``pyproject.toml``."""
    import tomllib

    mapping = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
    best = max((pkg for pkg in mapping if module == pkg or module.startswith(pkg + ".")), key=len)
    rest = module[len(best):].lstrip(".").split(".") if module != best else []
    base = ROOT / mapping[best]
    path = base.joinpath(*rest).with_suffix(".py") if rest else base / "__init__.py"
    if not path.is_file():
        raise FileNotFoundError(f"no source for {module} at {path}")
    return path


@dataclass(frozen=True)
class Mutant:
    """One mutant: where, which operator, the code before and after; ``site`` locates it in the AST walk."""

    id: str
    module: str
    path: str
    line: int
    function: str
    operator: str
    before: str
    after: str
    site: int = -1  # index in the walk of :func:`_sites`; -1 for a named (text) mutant
    variant: int = 0
    patches: tuple = ()  # named mutants: ((module, old, new), ...)
    name: str = ""


def _skip_function(name: str) -> bool:
    return name in _SKIP_FUNCS or name.startswith(("_check", "check_"))


def _is_guard(node: ast.AST) -> bool:
    """``if ...: raise ...`` (argument checks) and statements that only raise or assert."""
    if isinstance(node, (ast.Raise, ast.Assert)):
        return True
    return isinstance(node, ast.If) and not node.orelse and all(isinstance(s, ast.Raise) for s in node.body)


def _is_check_call(node: ast.AST) -> bool:
    """A statement that only calls an argument check (``check_int(...)``, ``_check_width(...)``)."""
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
        return False
    func = node.value.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    return _skip_function(name)


def _is_docstring(node: ast.AST) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _sites(tree: ast.AST) -> list[tuple[ast.AST, ast.AST, str, str]]:
    """Every mutable node in a fixed order: ``(node, parent, field, function qualname)``."""
    out: list = []

    def visit(node, parent, fld, func):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if isinstance(node, ast.ClassDef) or not _skip_function(node.name):
                inner = f"{func}.{node.name}" if func else node.name
                for stmt in node.body:
                    visit(stmt, node, "body", inner)
            return
        if _is_guard(node) or _is_check_call(node) or _is_docstring(node) or isinstance(node, ast.JoinedStr):
            return
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                return
        if isinstance(node, ast.keyword) and node.arg in _SKIP_KEYWORDS:
            return
        if isinstance(node, (ast.Compare, ast.BinOp, ast.AugAssign, ast.BoolOp, ast.UnaryOp, ast.Call)) or (
                isinstance(node, ast.Constant) and isinstance(node.value, int)):
            out.append((node, parent, fld, func or "<module>"))
        for name, value in ast.iter_fields(node):
            if name in ("annotation", "returns", "decorator_list", "type_comment"):
                continue
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        visit(item, node, name, func)
            elif isinstance(value, ast.AST):
                visit(value, node, name, func)

    visit(tree, None, "", "")
    return out


def _variants(node: ast.AST) -> list[tuple[str, Callable[[ast.AST], ast.AST]]]:
    """``(operator, apply)`` pairs; ``apply`` returns the node that replaces ``node`` (a mutated copy)."""
    out = []
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in _CMP_SWAP:
                def apply(n, i=i):
                    n.ops[i] = _CMP_SWAP[type(n.ops[i])]()
                    return n
                out.append(("compare", apply))
    elif isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in _BIN_SWAP:
        kind, new = _BIN_SWAP[type(node.op)]
        if not (isinstance(node, ast.AugAssign) and _is_domain(node.target)):
            def apply(n, new=new):
                n.op = new()
                return n
            out.append((kind, apply))
    elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
        out.append(("bool", lambda n: ast.Constant(not n.value)))
    elif isinstance(node, ast.Constant) and isinstance(node.value, int):
        out.append(("const", lambda n: ast.Constant(n.value + 1)))
        out.append(("const", lambda n: ast.Constant(n.value - 1)))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Invert, ast.Not)):
        if not (isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant)):
            out.append(("unary", lambda n: n.operand))
    elif isinstance(node, ast.BoolOp):
        out.append(("logic", lambda n: ast.BoolOp(ast.Or() if isinstance(n.op, ast.And) else ast.And(), n.values)))
    elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Mux"
          and len(node.args) == 3):
        def apply(n):
            n.args[1], n.args[2] = n.args[2], n.args[1]
            return n
        out.append(("mux", apply))
    return out


def _is_domain(target: ast.AST) -> bool:
    """``m.d.sync`` / ``m.d.comb``: ``+=`` there adds statements, it is no arithmetic."""
    return isinstance(target, ast.Attribute) and isinstance(target.value, ast.Attribute) and target.value.attr == "d"


def _show(node: ast.AST, limit: int = 90) -> str:
    text = ast.unparse(node)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _context(node, parent) -> ast.AST:
    """What to show for a mutant: the node, or for a constant its enclosing expression."""
    if isinstance(node, ast.Constant) and isinstance(parent, ast.expr):
        return parent
    return node


def _replace(parent, fld, node, new) -> None:
    value = getattr(parent, fld)
    if isinstance(value, list):
        value[value.index(node)] = new
    else:
        setattr(parent, fld, new)


def mutants_of(module: str, *, skip_functions: tuple[str, ...] = ()) -> list[Mutant]:
    """Every mutant of ``module`` (see the module docstring); ``skip_functions``: qualnames left alone."""
    path = module_path(module)
    src = path.read_text()
    tree = ast.parse(src)
    rel = str(path.relative_to(ROOT))
    seen: dict[str, int] = {}
    out = []
    for site, (node, parent, _, func) in enumerate(_sites(tree)):
        if any(func == f or func.startswith(f + ".") for f in skip_functions):
            continue
        for variant, (op, _) in enumerate(_variants(node)):
            shown = _context(node, parent)
            before = _show(shown)
            after = _show(_mutated_display(node, parent, variant))
            if before == after:
                continue
            key = f"{rel}:{func}:{before} -> {after}"
            n = seen.get(key, 0)
            seen[key] = n + 1
            out.append(Mutant(id=f"{key}#{n}", module=module, path=rel, line=node.lineno, function=func,
                              operator=op, before=before, after=after, site=site, variant=variant))
    return out


def _mutate(tree: ast.AST, site: int, variant: int) -> tuple[ast.AST, ast.AST]:
    """Apply one mutant to ``tree`` in place; returns ``(replacement node, its display context)``."""
    node, parent, fld, _ = _sites(tree)[site]
    _, apply = _variants(node)[variant]
    new = apply(node)
    if new is not node:
        ast.copy_location(new, node)
        _replace(parent, fld, node, new)
    ast.fix_missing_locations(tree)
    return new, _context(new, parent)


def _mutated_display(node: ast.AST, parent: ast.AST, variant: int) -> ast.AST:
    """The display context of a mutant, built on copies (the module's tree is left alone)."""
    _, apply = _variants(node)[variant]
    new = apply(copy.deepcopy(node))
    shown = _context(node, parent)
    if shown is node:
        return new
    holder = copy.deepcopy(parent)
    for fld, value in ast.iter_fields(holder):
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            if isinstance(item, ast.Constant) and (item.lineno, item.col_offset) == (node.lineno, node.col_offset):
                if isinstance(value, list):
                    value[i] = new
                else:
                    setattr(holder, fld, new)
                return holder
    return new


def named_mutant(name: str, patches: list[tuple[str, str, str]]) -> Mutant:
    """A hand-written mutant: ``(module, old text, new text)`` replacements (each ``old`` must occur once)."""
    first = patches[0]
    path = module_path(first[0])
    for module, old, _ in patches:
        n = module_path(module).read_text().count(old)
        if n != 1:
            raise ValueError(f"named mutant {name!r}: {old!r} occurs {n} times in {module}, not once")
    line = path.read_text()[: path.read_text().index(first[1])].count("\n") + 1
    where = ", ".join(sorted({str(module_path(m).relative_to(ROOT)) for m, _, _ in patches}))
    return Mutant(id=f"named:{name}", module=first[0], path=where, line=line, function="", operator="named",
                  before=" / ".join(p[1] for p in patches), after=" / ".join(p[2] for p in patches),
                  patches=tuple(tuple(p) for p in patches), name=name)


def mutated_sources(mutant: Mutant) -> dict[str, object]:
    """``{module: code object}`` of the mutant."""
    if mutant.patches:
        texts: dict[str, str] = {}
        for module, old, new in mutant.patches:
            texts[module] = texts.get(module, module_path(module).read_text()).replace(old, new, 1)
        return {m: compile(t, str(module_path(m)), "exec") for m, t in texts.items()}
    path = module_path(mutant.module)
    tree = ast.parse(path.read_text())
    _mutate(tree, mutant.site, mutant.variant)
    return {mutant.module: compile(tree, str(path), "exec")}


# ---------------------------------------------------------------------------------------------- running


class _Hook(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves the mutated code of some modules; every other import goes the usual way."""

    def __init__(self, codes: dict[str, object]):
        self.codes = codes

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.codes:
            return None
        origin = str(module_path(fullname))
        spec = importlib.machinery.ModuleSpec(fullname, self, origin=origin)
        spec.has_location = True
        return spec

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        module.__file__ = module.__spec__.origin
        exec(self.codes[module.__name__], module.__dict__)


class _FirstFailure:
    """pytest plugin: the node id of the first failing test (the one that killed the mutant)."""

    def __init__(self):
        self.failed: str | None = None

    def pytest_runtest_logreport(self, report):
        if report.failed and self.failed is None:
            self.failed = report.nodeid

    def pytest_collectreport(self, report):
        if report.failed and self.failed is None:
            self.failed = f"{report.nodeid} (collection)"


@dataclass
class Outcome:
    """What running one mutant (or a baseline) gave."""

    status: str  # killed | survived | timeout | error
    seconds: float
    killed_by: str | None = None
    rc: int | None = None


@dataclass
class Job:
    key: str
    codes_of: Callable[[], dict[str, object]]
    tests: list[str]
    timeout: float
    extra: dict = field(default_factory=dict)


def preload() -> None:
    """Import the heavy third-party modules once, in the parent (each fork inherits them)."""
    import amaranth.hdl  # noqa: F401
    import amaranth.lib.data  # noqa: F401
    import amaranth.lib.memory  # noqa: F401
    import amaranth.lib.stream  # noqa: F401
    import amaranth.lib.wiring  # noqa: F401
    import amaranth.sim  # noqa: F401
    import hypothesis  # noqa: F401
    import numpy  # noqa: F401
    import pytest  # noqa: F401


def _child(job: Job, result_path: str, log_path: str) -> None:
    """In the fork: hook the mutated modules in, run the tests, report, ``_exit``."""
    rc, plugin = 3, _FirstFailure()
    try:
        fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.chdir(ROOT)
        sys.meta_path.insert(0, _Hook(job.codes_of()))
        from hypothesis import settings

        settings.register_profile("mutants", derandomize=True, database=None, deadline=None, print_blob=False)
        settings.load_profile("mutants")
        import pytest

        rc = int(pytest.main(["-q", "-x", "-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:randomly",
                              "-W", "ignore", *job.tests], plugins=[plugin]))
    except BaseException as exc:  # noqa: BLE001 - a mutant that breaks even the hook counts as an error
        print(f"mutation child: {type(exc).__name__}: {exc}", file=sys.stderr)
    finally:
        with open(result_path, "w") as fh:
            json.dump({"rc": rc, "failed": plugin.failed}, fh)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def _status(rc: int | None) -> str:
    # pytest: 0 passed, 1 tests failed, 2 interrupted (a collection error: the mutated module breaks on
    # import, which the tests do see), 3 internal error, 4 usage error, 5 no tests collected
    return {0: "survived", 1: "killed", 2: "killed"}.get(rc, "error")


def run_jobs(jobs: list[Job], *, workers: int = 1, progress: Callable[[str, Outcome, int, int], None] | None = None,
             log_dir: Path | None = None) -> dict[str, Outcome]:
    """Run every job in a fork, ``workers`` at a time; a job past its ``timeout`` is killed (status ``timeout``)."""
    tmp = Path(tempfile.mkdtemp(prefix="sc_mutants_"))
    log_dir = log_dir or tmp
    pending = list(reversed(jobs))
    running: dict[int, tuple[Job, float, Path]] = {}
    out: dict[str, Outcome] = {}
    done = 0
    while pending or running:
        while pending and len(running) < workers:
            job = pending.pop()
            res = tmp / f"{len(out) + len(running)}.json"
            log = log_dir / f"{_slug(job.key)}.log"
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child
                _child(job, str(res), str(log))
            running[pid] = (job, time.perf_counter(), res)
        time.sleep(0.01)
        for pid, (job, t0, res) in list(running.items()):
            elapsed = time.perf_counter() - t0
            waited, status = os.waitpid(pid, os.WNOHANG)
            if waited == 0:
                if elapsed > job.timeout:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    out[job.key] = Outcome("timeout", elapsed)
                else:
                    continue
            else:
                try:
                    data = json.loads(res.read_text())
                except (OSError, ValueError):
                    data = {"rc": None, "failed": None}
                st = _status(data["rc"])
                out[job.key] = Outcome(st, elapsed, data["failed"] if st == "killed" else None, data["rc"])
            del running[pid]
            done += 1
            if progress is not None:
                progress(job.key, out[job.key], done, len(jobs))
    return out


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text)[-120:]


def run_mutants(mutants: list[Mutant], tests_of: Callable[[Mutant], list[str]], timeout_of: Callable[[Mutant], float],
                *, workers: int = 1, progress=None, log_dir: Path | None = None) -> dict[str, Outcome]:
    """Run each mutant against its test subset; ``{mutant id: Outcome}``."""
    jobs = [Job(m.id, (lambda m=m: mutated_sources(m)), tests_of(m), timeout_of(m)) for m in mutants]
    return run_jobs(jobs, workers=workers, progress=progress, log_dir=log_dir)


def baseline(tests: list[str], *, timeout: float = 600.0, log_dir: Path | None = None) -> Outcome:
    """The unmutated run of a test subset (it must pass: a mutant is killed only relative to it)."""
    return run_jobs([Job("baseline " + " ".join(tests), dict, tests, timeout)], log_dir=log_dir)[
        "baseline " + " ".join(tests)]


def as_dict(m: Mutant) -> dict:
    d = asdict(m)
    d.pop("patches")
    return d


def iter_modules(names) -> Iterator[tuple[str, Path]]:
    for name in names:
        yield name, module_path(name)
