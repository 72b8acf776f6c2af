"""Extra demos for the sandbox tests, registered through the engine's ENGINE_EXTRA_DEMO_MODULES seam.

* ``fixture_slow`` sleeps in steps, reporting progress, so tests can kill a worker mid-run; each
  completion appends its ``tag`` to the file named by SANDBOX_TEST_COMPLETIONS, which is how the
  crash tests prove no run finished twice.
* ``fixture_chart`` returns at once with metrics, a table and a log-log chart.
* ``fixture_crash`` raises, like a demo with a bug.

Registration is skipped when a name is already taken, so importing this module under two names
(``demo_fixtures`` by pytest, ``tests.sandbox.demo_fixtures`` by the engine seam) is harmless.
"""

from __future__ import annotations

import os
import time
from typing import Any

from engine.demos.registry import REGISTRY, Param, ProgressFn, register


def _register(name: str, **meta: Any):
    def wrap(fn):
        return fn if name in REGISTRY else register(name, **meta)(fn)

    return wrap


@_register(
    "fixture_slow",
    title="Sleeps, reporting progress",
    summary="A test demo that takes a while.",
    params=(
        Param("seconds", float, 0.2, "how long to sleep", min=0, max=120),
        Param("tag", str, "", "written to the completions file when done"),
    ),
)
def slow(params: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
    steps = 20
    for step in range(steps):
        time.sleep(params["seconds"] / steps)
        progress(int(100 * (step + 1) / steps), f"step {step + 1} of {steps}")
    completions = os.environ.get("SANDBOX_TEST_COMPLETIONS")
    if completions and params["tag"]:
        with open(completions, "a", encoding="utf-8") as handle:
            handle.write(params["tag"] + "\n")
    return {
        "title": f"Slept {params['seconds']} s",
        "metrics": [{"name": "slept", "value": params["seconds"], "unit": "s"}],
        "table": {"columns": ["seconds"], "rows": [[params["seconds"]]]},
        "charts": [],
        "notes": ["Nothing was measured; this demo exists for tests."],
        "environment": {"pid": os.getpid()},
    }


@_register(
    "fixture_chart",
    title="Cost of attention by sequence length",
    summary="A test demo with a chart.",
    params=(
        Param("max_len", int, 1024, "longest sequence", min=16, max=8192),
        Param("label", str, "causal", "series name", choices=("causal", "full")),
    ),
)
def chart(params: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
    lengths = [16 * 2**i for i in range(20) if 16 * 2**i <= params["max_len"]]
    flops = [n * n for n in lengths]
    return {
        "title": f"n² growth up to {params['max_len']} tokens",
        "metrics": [{"name": "largest", "value": flops[-1], "unit": "ops"}],
        "table": {"columns": ["tokens", "ops"], "rows": [[n, f] for n, f in zip(lengths, flops)]},
        "charts": [
            {
                "title": "Score-matrix size",
                "x_label": "tokens",
                "y_label": "entries",
                "log_x": True,
                "log_y": True,
                "series": [{"name": params["label"], "x": lengths, "y": flops}],
            }
        ],
        "notes": ["Doubling the length quadruples the entries."],
    }


@_register("fixture_crash", title="Always fails", summary="A test demo with a bug.")
def crash(params: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
    raise ZeroDivisionError("division by zero inside the demo")
