"""Pages: the list of recent runs and a permalink per run."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from engine.demos import all_demos
from sandbox.identity import owner_of
from sandbox.models import Run
from sandbox.display.rendering import render_result

RECENT_LIMIT = 50


def _with_titles(runs: list[Run]) -> list[Run]:
    """Give each demo run its human title ("KV cache vs recomputing the prefix…"); a retired demo keeps its name."""
    titles = {demo.name: demo.title for demo in all_demos()}  # cheap: demo modules import no torch at the top
    for run in runs:
        run.demo_title = titles.get(run.demo, run.demo)
    return runs


@require_GET
def run_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    runs = Run.objects.visible_to(owner_of(request), request.user.is_staff).defer("result", "logs", "code")
    if state in Run.State.values:
        runs = runs.filter(state=state)
    return render(
        request,
        "sandbox/run_list.html",
        {"runs": _with_titles(list(runs[:RECENT_LIMIT])), "state": state, "states": Run.State.choices},
    )


@require_GET
def run_detail(request: HttpRequest, run_id: str) -> HttpResponse:
    owner = owner_of(request)
    run = get_object_or_404(Run.objects.visible_to(owner, request.user.is_staff), pk=run_id)
    return render(
        request,
        "sandbox/run_detail.html",
        {"run": _with_titles([run])[0], "result_html": render_result(run)},
    )
