"""The house rules, read from the code: imports flow one way and no module imports itself back.

Every import counts, including those inside functions (a lazy import still makes a circle a
newcomer must untangle). `ingest/` never imports `archive/` or `index/`; `index/` never imports
`archive/`; no circle anywhere, even inside one folder. Whoosh's internals are touched only
by the seam, `index/whoosh_internals/`: nothing else in `index/`, `archive/`, `ingest/` or
`bench/` imports them or reads a private attribute of a Whoosh object.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("archive", "ingest", "index")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Project modules that `name` imports (relative imports resolved, packages to modules)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                stem = ".".join([*base, node.module] if node.module else base)
            else:
                stem = node.module or ""
            targets = [stem] + [f"{stem}.{alias.name}" for alias in node.names]
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and target.split(".")[0] in PACKAGES:
                found.add(target)
    # `from . import x` names the package itself too; a package's __init__ is no edge back
    return {
        t for t in found if not (name.startswith(t + ".") and (ROOT / t / "__init__.py").exists())
    }


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    known = set(modules)
    return {name: imports_of(name, path, known) for name, path in modules.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_no_import_circles() -> None:
    cycles = find_cycles(import_graph())
    assert not cycles, f"import circles: {cycles}"


def test_layers_point_one_way() -> None:
    forbidden = {"ingest": ("archive", "index"), "index": ("archive",)}
    wrong = [
        f"{name} -> {target}"
        for name, targets in import_graph().items()
        for target in targets
        if target.split(".")[0] in forbidden.get(name.split(".")[0], ())
    ]
    assert not wrong, wrong


def test_the_checker_sees_a_planted_circle() -> None:
    graph = import_graph()
    assert not find_cycles(graph)
    graph["ingest.readers"] = graph["ingest.readers"] | {"ingest.warc"}
    graph["ingest.warc"] = graph["ingest.warc"] | {"ingest.readers"}
    assert ["ingest.readers", "ingest.warc"] in find_cycles(graph)


def test_lazy_imports_count(tmp_path: Path) -> None:
    """A function-level import is an edge too (the circles issue 22 found were all lazy)."""
    (tmp_path / "a.py").write_text("def f():\n    from .b import g\n", encoding="utf-8")
    found = imports_of("ingest.a", tmp_path / "a.py", {"ingest.a", "ingest.b"})
    assert found == {"ingest.b"}


# ------------------------------------------------------------------ the seam around Whoosh
# Whoosh's documented modules (index/whoosh_internals/__init__.py draws the line); importing
# anything else of Whoosh, a `_name` of it, or an undocumented name of a public module is
# the seam's job alone.
SEAM = "index.whoosh_internals"
SEAM_CHECKED = ("archive", "ingest", "index", "bench")
PUBLIC_WHOOSH = frozenset(
    {
        "whoosh",
        "whoosh.analysis",
        "whoosh.collectors",
        "whoosh.columns",
        "whoosh.fields",
        "whoosh.formats",
        "whoosh.highlight",
        "whoosh.index",
        "whoosh.lang",
        "whoosh.qparser",
        "whoosh.qparser.plugins",
        "whoosh.qparser.syntax",
        "whoosh.query",
        "whoosh.reading",
        "whoosh.scoring",
        "whoosh.searching",
        "whoosh.sorting",
        "whoosh.spelling",
        "whoosh.writing",
    }
)
# Private names of other libraries that code outside the seam may use: os._exit,
# copyreg._reconstructor, namedtuple's, ProcessPoolExecutor._processes (archive/web/workers.py).
OTHER_PRIVATE = frozenset(
    {"_exit", "_reconstructor", "_getframe", "_asdict", "_replace", "_make", "_processes"}
)
# Public-looking attributes that only Whoosh's internals have.
INTERNAL_PUBLIC_ATTRIBUTES = frozenset({"matcher_type", "DEFAULT_MATCHER", "list_files", "top_n"})


def seam_internals() -> tuple[frozenset[str], frozenset[str]]:
    """(undocumented dotted names, private attribute names) the seam lists as Whoosh
    internals; a documented class with internal attributes (BM25F) may still be imported."""
    from index import whoosh_internals

    names = frozenset(i.name for i in whoosh_internals.INTERNALS if not i.documented)
    return names, whoosh_internals.private_attributes()


def checked_files() -> dict[str, Path]:
    """Every module the seam rule applies to: all of SEAM_CHECKED but the seam itself."""
    out = {}
    for folder in SEAM_CHECKED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = module_name(path)
            if name != SEAM and not name.startswith(SEAM + "."):
                out[name] = path
    return out


def own_private_names(paths: Iterable[Path]) -> set[str]:
    """`_names` our own code defines (functions, classes, assignments, slots, arguments):
    a private attribute outside this set belongs to some library."""
    own: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                own.add(node.name)
            elif isinstance(node, ast.arg):
                own.add(node.arg)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                own.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                    own.add(node.attr)
            elif isinstance(node, ast.alias):
                own.add(node.asname or node.name.rpartition(".")[2])
            elif (
                isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "__slots__" for t in node.targets)
                and isinstance(node.value, ast.Tuple | ast.List)
            ):
                own.update(e.value for e in node.value.elts if isinstance(e, ast.Constant))
    return {name for name in own if name.startswith("_")}


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def whoosh_violations(source: str, own: set[str]) -> list[str]:
    """Every use of a Whoosh internal in `source`, as a readable line each."""
    listed, listed_attributes = seam_internals()
    found: list[str] = []

    def attribute(name: str, line: int) -> None:
        if name in INTERNAL_PUBLIC_ATTRIBUTES or name in listed_attributes:
            found.append(f"line {line}: Whoosh internal attribute .{name}")
        elif (
            _private(name)
            and name not in own
            and name not in OTHER_PRIVATE
            and not name.startswith("_newsarchive")  # our own marks on Whoosh objects
        ):
            found.append(f"line {line}: private attribute .{name} of some library")

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("whoosh.") and alias.name not in PUBLIC_WHOOSH:
                    found.append(f"line {node.lineno}: imports {alias.name}")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "whoosh":
            module = node.module or ""
            for alias in node.names:
                dotted = f"{module}.{alias.name}"
                if module not in PUBLIC_WHOOSH and dotted not in PUBLIC_WHOOSH:
                    found.append(f"line {node.lineno}: imports {dotted}")
                elif _private(alias.name) or dotted in listed:
                    found.append(f"line {node.lineno}: imports the internal {dotted}")
        elif isinstance(node, ast.Attribute):
            attribute(node.attr, node.lineno)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "hasattr", "setattr", "delattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            attribute(node.args[1].value, node.lineno)
    return found


def test_only_the_seam_touches_whoosh_internals() -> None:
    files = checked_files()
    own = own_private_names(files.values())
    wrong = [
        f"{name}: {problem}"
        for name, path in files.items()
        for problem in whoosh_violations(path.read_text(encoding="utf-8"), own)
    ]
    assert not wrong, "Whoosh internals outside index/whoosh_internals/:\n" + "\n".join(wrong)


def test_the_seam_checker_catches_a_planted_violation() -> None:
    """Each kind of reach past the seam, planted in a module, is named by the checker."""
    own = own_private_names(checked_files().values())
    planted = (
        "from whoosh.codec.whoosh3 import W3LeafMatcher\n"
        "from whoosh.system import _INT_SIZE\n"
        "from whoosh.columns import EmptyColumnReader\n"
        "import whoosh.filedb.compound\n"
        "def f(matcher, ix, reader, node):\n"
        "    matcher._byteids\n"
        "    ix._segments()\n"
        "    getattr(reader, '_perdoc', None)\n"
        "    node.matcher_type = 1\n"
        "    reader._some_new_private\n"
    )
    found = "\n".join(whoosh_violations(planted, own))
    for expected in (
        "imports whoosh.codec.whoosh3.W3LeafMatcher",
        "imports whoosh.system._INT_SIZE",
        "imports the internal whoosh.columns.EmptyColumnReader",
        "imports whoosh.filedb.compound",
        "attribute ._byteids",
        "attribute ._segments",
        "attribute ._perdoc",
        "attribute .matcher_type",
        "private attribute ._some_new_private",
    ):
        assert expected in found, (expected, found)
    assert not whoosh_violations("from whoosh import query as q\nq.Or([])\n", own)


def test_the_seam_itself_would_fail_the_rule() -> None:
    """The rule is what keeps internals in the seam: applied to the seam, it objects."""
    own = own_private_names(checked_files().values())
    seam = sorted((ROOT / "index" / "whoosh_internals").glob("*.py"))
    assert all(
        whoosh_violations(path.read_text(encoding="utf-8"), own)
        for path in seam
        if path.name != "__init__.py"
    )


def private_project_names(source: str) -> list[str]:
    """Underscored names of `archive`, `ingest` or `index` that `source` imports or reads
    off an imported project module."""
    found: list[str] = []
    modules: set[str] = set()  # local names bound to project modules
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in PACKAGES:
            for alias in node.names:
                if _private(alias.name):
                    found.append(f"line {node.lineno}: imports {node.module}.{alias.name}")
                else:
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in PACKAGES:
                    modules.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and _private(node.attr)
        ):
            found.append(f"line {node.lineno}: reads {node.value.id}.{node.attr}")
    return found


def test_benchmarks_use_public_project_names() -> None:
    wrong = [
        f"{path.name}: {problem}"
        for path in sorted((ROOT / "bench").glob("*.py"))
        for problem in private_project_names(path.read_text(encoding="utf-8"))
    ]
    assert not wrong, wrong


def test_the_bench_checker_catches_a_planted_private_name() -> None:
    planted = (
        "from index.writer import _cache_length_tables, codec\n"
        "from index import writer\n"
        "writer._side(None, '')\n"
    )
    found = private_project_names(planted)
    assert any("index.writer._cache_length_tables" in f for f in found), found
    assert any("writer._side" in f for f in found), found
