"""The sandbox app's modules import each other one way: no loop, even through imports inside functions.

Imports inside functions are counted on purpose: they are how the old
dispatch → tasks → sweep → dispatch loop was hidden from Python's import machinery.
"""

from __future__ import annotations

import ast
from pathlib import Path

import sandbox

APP = Path(sandbox.__file__).parent


def _module_name(path: Path) -> str:
    parts = ["sandbox", *path.relative_to(APP).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    modules = {_module_name(path): path for path in APP.rglob("*.py") if "migrations" not in path.parts}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                targets = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            graph[name].update(target for target in targets if target in modules and target != name)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt, [*path, nxt])):
                return cycle
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start, [start])):
            return cycle
    return None


def test_the_sandbox_app_has_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, " → ".join(cycle or [])


def test_nothing_in_the_app_imports_the_task_module():
    importers = sorted(name for name, targets in import_graph().items() if "sandbox.tasks" in targets)
    assert importers == []


def test_the_jail_and_the_display_do_not_reach_into_the_job_queue_or_the_web_layer():
    graph = import_graph()
    for name, targets in graph.items():
        if name.startswith("sandbox.jail"):
            assert all(t.startswith("sandbox.jail") for t in targets), (name, targets)
        if name.startswith("sandbox.display"):
            assert all(t.startswith(("sandbox.display", "sandbox.jobs.models")) for t in targets), (name, targets)
