"""The engine's own fast demos go through a run and come out as a rendered result (real shapes, not fixtures)."""

from __future__ import annotations

import pytest
from run_factories import make_run

from engine.demos import REGISTRY, all_demos
from sandbox.jobs.execution import execute
from sandbox.models import Run
from sandbox.display.rendering import render_result

pytestmark = pytest.mark.django_db
FAST_DEMOS = ["causal_mask", "kv_cache_memory"]


@pytest.mark.parametrize("name", FAST_DEMOS)
def test_a_fast_engine_demo_runs_and_renders(name):
    all_demos()
    if name not in REGISTRY:
        pytest.skip(f"the engine has no {name} demo yet")
    run = make_run(name)
    assert execute(str(run.pk)) == Run.State.SUCCEEDED, Run.objects.get(pk=run.pk).error
    run.refresh_from_db()
    html = render_result(run)
    assert run.result["title"] in html or run.result["title"].replace("'", "&#x27;") in html
    assert "measured" in html
    assert ("<svg" in html) == bool(run.result.get("charts"))
