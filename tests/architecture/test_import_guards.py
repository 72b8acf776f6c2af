"""Guards on the direction of imports, read from the source (nothing is imported, so nothing can hide).

* No import cycle inside an app (``questions``, ``sandbox``, ``prep_site``, ``engine``), counting
  imports inside functions too: moving an import into a function hides a loop from Python, not
  from a reader. Imports under ``if TYPE_CHECKING:`` are left out; they never run.
* ``engine`` imports neither Django nor any app: it must run in a worker without the web stack.
* ``prep_site`` (settings, shared web helpers, accounts) imports no app's modules: apps depend
  on it, never the other way round.
"""
from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
APPS = ("questions", "sandbox", "prep_site", "engine")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(app: str) -> dict[str, Path]:
    return {_module_name(path): path for path in (REPO / app).rglob("*.py")}


def _is_type_checking_block(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def _import_nodes(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    stack = [tree]
    while stack:
        node = stack.pop()
        if _is_type_checking_block(node):
            stack.extend(node.orelse)  # type: ignore[attr-defined]
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    """Every module ``module`` imports (absolute names; ``from pkg import mod`` resolves to ``pkg.mod``)."""
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
            continue
        base = node.module or ""
        if node.level:
            anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
            base = ".".join([*anchor, base] if base else anchor)
        for alias in node.names:
            candidate = f"{base}.{alias.name}"
            found.add(candidate if candidate in known else base)
    return found


def _graph(app: str) -> dict[str, set[str]]:
    modules = _modules(app)
    known = set(modules)
    return {name: {target for target in imports_of(name, path, known) if target in known and target != name}
            for name, path in modules.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


# Loops known when this guard was written, each owned by another branch; remove a mark when its fix lands.
_KNOWN_LOOPS: dict[str, str] = {}  # app -> why its loop is tolerated for now (none today)


@pytest.mark.parametrize("app", [
    pytest.param(app, marks=pytest.mark.xfail(reason=_KNOWN_LOOPS[app], strict=False)) if app in _KNOWN_LOOPS else app
    for app in APPS
])
def test_no_import_cycle_inside_an_app(app: str) -> None:
    assert find_cycles(_graph(app)) == []


def _external_imports(app: str) -> dict[str, set[str]]:
    modules = _modules(app)
    known = set(modules)
    return {name: imports_of(name, path, known) for name, path in modules.items()}


def test_the_engine_imports_neither_django_nor_an_app() -> None:
    forbidden = ("django", "celery", "questions", "sandbox", "prep_site")
    offenders = {module: sorted(t for t in targets if t.split(".")[0] in forbidden)
                 for module, targets in _external_imports("engine").items()}
    assert {module: found for module, found in offenders.items() if found} == {}


def test_prep_site_imports_no_app_internals() -> None:
    offenders = {module: sorted(t for t in targets if t.split(".")[0] in ("questions", "sandbox"))
                 for module, targets in _external_imports("prep_site").items()}
    assert {module: found for module, found in offenders.items() if found} == {}


def test_the_cycle_finder_finds_a_loop_hidden_in_a_function(tmp_path: Path) -> None:
    graph = {"a.x": {"a.y"}, "a.y": {"a.z"}, "a.z": {"a.x"}, "a.w": {"a.x"}}
    assert find_cycles(graph) == [["a.x", "a.y", "a.z"]]
    source = tmp_path / "m.py"
    source.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import a.hidden\n"
                      "def f():\n    from a import y\n")
    assert imports_of("a.m", source, {"a.y"}) == {"typing", "a.y"}
