"""Turning a finished run into HTML: one template serves the question page and the status API.

The page's script swaps this HTML in as it is, so a result looks identical whether
it was cached when the page loaded or arrived a second ago.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from sandbox.display.charts import render_chart_figure
from sandbox.jobs.models import Run


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


# How a device id reads in a sentence when the result names no GPU model.
DEVICE_NAMES = {"cpu": "CPU", "cuda": "a CUDA GPU", "mps": "an Apple GPU (MPS)", "xpu": "an Intel GPU (XPU)"}


def _version(value: Any) -> str:
    """'2.13.0+cpu' → '2.13.0': on a CPU result the build tag only repeats the device; CUDA tags stay."""
    text = str(value)
    return text.removesuffix("+cpu")


def where_measured(environment: dict[str, Any]) -> str:
    """The machine behind a number, as the end of "Measured … on": "CPU (host vm, 2 threads, torch 2.13.0)".

    A GPU result names the card ("NVIDIA H100 80GB HBM3 (host gpu-1, torch 2.13.0, triton 3.6.0)");
    thread counts only matter on CPU, where they bound the speed, so only CPU results show them.
    """
    if not environment:
        return "an unknown machine"
    device = str(environment.get("device") or "cpu").lower()
    on_gpu = bool(environment.get("gpu_name")) or device not in ("cpu", "")
    subject = str(environment.get("gpu_name") or DEVICE_NAMES.get(device, device.upper()))
    details = []
    host = environment.get("worker") or environment.get("host")
    if host:
        details.append(f"host {host}")
    threads = environment.get("cpu_threads")
    if threads and not on_gpu:
        details.append(f"{threads} thread{'s' if threads != 1 else ''}")
    details.extend(
        f"{key} {_version(environment[key])}" for key in ("torch", "triton", "engine") if environment.get(key)
    )
    if environment.get("sandbox"):
        details.append(f"sandbox {environment['sandbox']}")
    return f"{subject} ({', '.join(details)})" if details else subject


def result_context(run: Run) -> dict[str, Any]:
    result = run.result or {}
    table = result.get("table") or {}
    return {
        "run": run,
        "result": result,
        "metrics": [dict(m, shown=format_value(m.get("value"))) for m in result.get("metrics", [])],
        "columns": table.get("columns", []),
        "rows": [[format_value(cell) for cell in row] for row in table.get("rows", [])],
        "charts": [mark_safe(render_chart_figure(chart)) for chart in result.get("charts", [])],
        "notes": result.get("notes", []),
        "where": where_measured(run.environment or result.get("environment", {})),
    }


def render_result(run: Run) -> str:
    """The result block of a run ('' while it has none)."""
    if not run.result:
        return ""
    return render_to_string("sandbox/_result.html", result_context(run))
