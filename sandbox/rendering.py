"""Turning a finished run into HTML: one template serves the question page and the status API.

The page's script swaps this HTML in as it is, so a result looks identical whether
it was cached when the page loaded or arrived a second ago.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from sandbox.charts import render_chart
from sandbox.models import Run


def format_value(value: Any) -> str:
    """Numbers to four significant figures (big ones with separators); everything else as text."""
    if isinstance(value, bool) or value is None:
        return "—" if value is None else str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != 0 and (abs(value) >= 1e7 or abs(value) < 1e-3):
            return f"{value:.3e}"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.4g}"
    return str(value)


def where_measured(environment: dict[str, Any]) -> str:
    """'cpu on host-1 (torch 2.13.0, engine 0.1.0)' or the GPU's name when there was one."""
    if not environment:
        return "an unknown machine"
    device = environment.get("gpu_name") or environment.get("device") or "cpu"
    host = environment.get("worker") or environment.get("host")
    versions = ", ".join(
        f"{label} {environment[key]}" for key, label in (("torch", "torch"), ("triton", "triton"), ("engine", "engine"))
        if environment.get(key)
    )  # fmt: skip
    text = f"{device}" + (f" on {host}" if host else "")
    if environment.get("sandbox"):
        text += f", sandbox: {environment['sandbox']}"
    return text + (f" ({versions})" if versions else "")


def result_context(run: Run) -> dict[str, Any]:
    result = run.result or {}
    table = result.get("table") or {}
    return {
        "run": run,
        "result": result,
        "metrics": [dict(m, shown=format_value(m.get("value"))) for m in result.get("metrics", [])],
        "columns": table.get("columns", []),
        "rows": [[format_value(cell) for cell in row] for row in table.get("rows", [])],
        "charts": [mark_safe(render_chart(chart)) for chart in result.get("charts", [])],
        "notes": result.get("notes", []),
        "where": where_measured(run.environment or result.get("environment", {})),
    }


def render_result(run: Run) -> str:
    """The result block of a run ('' while it has none)."""
    if not run.result:
        return ""
    return render_to_string("sandbox/_result.html", result_context(run))
