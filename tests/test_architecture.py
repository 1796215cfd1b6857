"""The house rules, read from the code: imports flow one way and no module imports itself back.

Every import counts, including those inside functions (a lazy import still makes a circle a
newcomer must untangle). `ingest/` never imports `archive/` or `index/`; `index/` never imports
`archive/`; no circle anywhere, even inside one folder.
"""

from __future__ import annotations

import ast
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
