"""``{% demo_panels question %}``: the measured demos beside an answer, each with a Run button.

For every demo named in ``question.demos`` the panel shows the newest successful
measurement (default parameters first, else any), the parameter form built from
the demo's own description, and a progress bar the page's script drives. Unknown
names get a short note instead of breaking the page. Listing and describing demos
is cheap (demo modules do not import torch at the top), so this tag never runs
anything heavy.

``{% sandbox_assets %}`` emits only the script and stylesheet, for pages whose
answers have runnable code blocks but link no demo.
"""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.middleware.csrf import get_token
from django.urls import reverse

# A table cell as sandbox.display.rendering.format_value writes numbers: "1,024", "0.53", "6.210e-07", "—".
# A unit may follow ("0.25 MiB", "6.6 GB/s"); it still lines up as a number.
NUMBER_CELL = re.compile(r"^(?:[-−+]?[\d,]*\.?\d+(?:e[-+]?\d+)?(?:\s?[A-Za-z%/]{1,8})?|—)$")

from engine.demos import UnknownDemoError, get_demo
from engine.environment import ENGINE_VERSION
from sandbox import code_runs
from sandbox.jobs import fairness
from sandbox.models import Run
from sandbox.display.rendering import render_result

register = template.Library()


def _field(param: dict[str, Any], demo: str) -> dict[str, Any]:
    """One form field from a Param description: which widget, its HTML constraints, and the ids of the
    help text and the error message that its control's aria-describedby names (read with the label)."""
    kind = param["type"]
    field = dict(param, input_id=None)
    base = f"demo-{demo}-{param['name']}"
    field["has_help"] = bool(param.get("help")) or (param.get("min") is not None and param.get("max") is not None)
    field["help_id"], field["error_id"] = f"{base}-help", f"{base}-error"
    field["described_by"] = f"{base}-help {base}-error" if field["has_help"] else f"{base}-error"
    if kind == "bool":
        field["widget"] = "checkbox"
    elif param.get("choices"):
        field["widget"] = "select"
    elif kind in ("int", "float"):
        field["widget"] = "number"
        field["step"] = "1" if kind == "int" else "any"
    else:
        field["widget"] = "text"
    return field


def demo_panel(name: str) -> dict[str, Any]:
    try:
        demo = get_demo(name)
    except UnknownDemoError:
        return {"name": name, "available": False}
    description = demo.describe()
    defaults = demo.validate({})
    cached = Run.objects.latest_result(demo.name, defaults, ENGINE_VERSION) or Run.objects.latest_for_demo(
        demo.name, ENGINE_VERSION
    )
    return {
        "name": demo.name,
        "available": True,
        "demo": description,
        "fields": [_field(p, demo.name) for p in description["params"]],
        "cached": cached,
        "result_html": render_result(cached) if cached else "",
        # Said before Run is pressed, so the wait that follows is expected (fairness.run_estimate while it runs).
        "typical": fairness.demo_duration(demo.name),
    }


def _assets(context: template.Context) -> dict[str, Any]:
    """Script, stylesheet and API config: emitted by the first sandbox tag on a page, never twice."""
    request = context.get("request")
    first = request is None or not getattr(request, "_sandbox_assets_emitted", False)
    if request is not None:
        request._sandbox_assets_emitted = True
    return {
        "emit_assets": first,
        "api_url": reverse("sandbox:api_submit"),
        "csrf_token": get_token(request) if request is not None else "",
        # Cached verdict, no probe per request: the script shows it above every runnable block's Run button.
        "code_runs_off": code_runs.off_notice() if first else None,
        "limits": code_runs.limits_sentence() if first else "",
    }


@register.inclusion_tag("sandbox/demo_panels.html", takes_context=True)
def demo_panels(context: template.Context, question: Any) -> dict[str, Any]:
    return {"panels": [demo_panel(name) for name in (getattr(question, "demos", None) or [])], **_assets(context)}


@register.inclusion_tag("sandbox/_assets.html", takes_context=True)
def sandbox_assets(context: template.Context) -> dict[str, Any]:
    """For pages with runnable code blocks but no demo panels: the editor needs the script too."""
    return _assets(context)


@register.filter
def is_number_cell(text: Any) -> bool:
    """Numbers line up on the right of a result table; words (generated text, labels) read from the left."""
    return bool(NUMBER_CELL.match(str(text).strip()))


@register.filter
def numeric_headers(columns: list[Any], rows: list[list[Any]]) -> list[tuple[Any, bool]]:
    """(header, True when every cell under it is a number), so a header aligns with its column."""
    return [
        (column, all(is_number_cell(row[index]) for row in rows if index < len(row)) and bool(rows))
        for index, column in enumerate(columns)
    ]
