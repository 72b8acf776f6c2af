"""The demo registry: named, documented experiments with typed, bounded parameters.

A demo is a plain function ``fn(params, progress) -> DemoResult`` registered with
``@register``. Callers (the CLI, the Celery workers, the bank's pages) never
call the function directly: they go through ``run_demo``, which validates the
parameters, reports progress and stamps the result with the environment it was
measured in. Every demo builds its result with ``DemoResult`` (below), so the
shape lives in one place; ``run_demo`` returns it as JSON-serialisable data::

    {
      "title": str,                        # what was measured, one line
      "metrics": [{"name": str, "value": number | str, "unit": str}],
      "table": {"columns": [str], "rows": [[number | str, ...]]},
      "charts": [{"title": str, "x_label": str, "y_label": str,
                  "log_x": bool, "log_y": bool,
                  "series": [{"name": str, "x": [number], "y": [number]}]}],
      "notes": [str],                      # the short reading of the numbers
      "environment": {...},                # what the demo adds, then describe_environment()
      "params": {...},                     # the validated parameters, added by run_demo
    }
"""
from __future__ import annotations

import importlib
import math
import os
import pkgutil
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from engine.core.model import Transformer
    from engine.io.tokenizer import Tokenizer

ProgressFn = Callable[[int, str], None]


class DemoError(ValueError):
    """A user-facing problem with a demo request (the message is shown as is)."""


class UnknownDemoError(DemoError):
    pass


class DemoParamError(DemoError):
    def __init__(self, param: str, message: str):
        super().__init__(f"{param}: {message}")
        self.param = param


@dataclass(frozen=True)
class Param:
    """One typed parameter. ``kind`` is int, float, bool or str; numbers have bounds, strings choices."""

    name: str
    kind: type
    default: Any
    help: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()

    def validate(self, raw: Any) -> Any:
        if self.kind is bool:
            if isinstance(raw, bool):
                return raw
            if isinstance(raw, str) and raw.strip().lower() in {"true", "false", "1", "0", "on", "off"}:
                return raw.strip().lower() in {"true", "1", "on"}
            raise DemoParamError(self.name, "must be true or false")
        if self.kind in (int, float):
            value = self._number(raw)
            if self.min is not None and value < self.min or self.max is not None and value > self.max:
                raise DemoParamError(self.name, f"must be between {self._fmt(self.min)} and {self._fmt(self.max)}, got {self._fmt(value)}")
            return value
        value = str(raw)
        if self.choices and value not in self.choices:
            raise DemoParamError(self.name, f"must be one of {', '.join(self.choices)}, got {value!r}")
        return value

    def _number(self, raw: Any) -> int | float:
        if isinstance(raw, bool):
            raise DemoParamError(self.name, f"must be a number, got {raw!r}")
        try:
            value = float(raw) if self.kind is float else _to_int(raw)
        except (TypeError, ValueError):
            expected = "an integer" if self.kind is int else "a number"
            raise DemoParamError(self.name, f"must be {expected}, got {raw!r}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise DemoParamError(self.name, "must be a finite number")
        return value

    @staticmethod
    def _fmt(value: float | None) -> str:
        return "∞" if value is None else f"{value:g}"

    def describe(self) -> dict[str, Any]:
        """A JSON description, used by the site to build the parameter form."""
        return {
            "name": self.name,
            "type": self.kind.__name__,
            "default": self.default,
            "help": self.help,
            "min": self.min,
            "max": self.max,
            "choices": list(self.choices),
        }


def _to_int(raw: Any) -> int:
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if not raw.is_integer():
            raise ValueError(raw)
        return int(raw)
    return int(str(raw).strip())


@dataclass(frozen=True)
class Demo:
    name: str
    title: str
    summary: str
    fn: Callable[[dict[str, Any], ProgressFn], DemoResult | dict[str, Any]]
    params: tuple[Param, ...] = ()
    # "cpu": cheap, runs anywhere; "gpu": prefers a CUDA worker (falls back to CPU when none serves the gpu queue).
    queue: str = "cpu"
    uses_model: bool = False  # loads the pretrained model (workers keep it warm)

    def validate(self, raw: dict[str, Any] | None) -> dict[str, Any]:
        raw = dict(raw or {})
        known = {p.name for p in self.params}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise DemoParamError(unknown[0], f"is not a parameter of {self.name} (known: {', '.join(sorted(known)) or 'none'})")
        return {p.name: p.validate(raw[p.name]) if p.name in raw else p.default for p in self.params}

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "summary": self.summary,
            "queue": self.queue,
            "uses_model": self.uses_model,
            "params": [p.describe() for p in self.params],
        }


# ------------------------------------------------------------------------------ the result builder


def series(name: str, x: Sequence[Any], y: Sequence[Any]) -> dict[str, Any]:
    """One line of a chart: ``len(x) == len(y)`` points."""
    if len(x) != len(y):
        raise ValueError(f"series {name!r}: x has {len(x)} points but y has {len(y)}")
    return {"name": name, "x": list(x), "y": list(y)}


@dataclass
class DemoResult:
    """What a demo measured, added piece by piece; ``to_dict()`` is the result shape above.

    Methods return the builder, so a demo may chain them::

        result = DemoResult("KV cache vs recompute")
        result.metric("speed-up at 512 tokens", 7.9, "x").table(["tokens", "ms"], rows)
        result.chart("Time per token", "tokens", "ms", [series("cached", xs, ys)], log_x=True)
        result.note("A cached step reads the cache; a recompute step re-runs the prefix.")
        return result
    """

    title: str
    metrics: list[dict[str, Any]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    charts: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    environment: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)  # demo-specific payload the page shows as is

    def metric(self, name: str, value: int | float | str, unit: str = "") -> DemoResult:
        self.metrics.append({"name": name, "value": value, "unit": unit})
        return self

    def table(self, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> DemoResult:
        bad = next((i for i, row in enumerate(rows) if len(row) != len(columns)), None)
        if bad is not None:
            raise ValueError(f"table row {bad} has {len(rows[bad])} cells for {len(columns)} columns")
        self.columns, self.rows = list(columns), [list(row) for row in rows]
        return self

    def chart(
        self, title: str, x_label: str, y_label: str, lines: Sequence[dict[str, Any]], *, log_x: bool = False, log_y: bool = False
    ) -> DemoResult:
        """``lines`` are ``series(name, x, y)`` dicts."""
        self.charts.append({
            "title": title, "x_label": x_label, "y_label": y_label, "log_x": log_x, "log_y": log_y,
            "series": [series(line["name"], line["x"], line["y"]) for line in lines],
        })
        return self

    def note(self, *texts: str) -> DemoResult:
        self.notes.extend(texts)
        return self

    def measured_with(self, **facts: Any) -> DemoResult:
        """Facts about how this run was measured (model, threads...), shown with the environment."""
        self.environment.update(facts)
        return self

    def extra(self, key: str, value: Any) -> DemoResult:
        if key in {"title", "metrics", "table", "charts", "notes", "environment", "params"}:
            raise ValueError(f"extra: {key!r} is a standard result field; use its own method")
        self.extras[key] = value
        return self

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> DemoResult:
        """Rebuild (and so check) a result written as a plain dict, e.g. by a test's fixture demo."""
        result = cls(raw["title"])
        for metric in raw.get("metrics", []):
            result.metric(metric["name"], metric["value"], metric.get("unit", ""))
        table = raw.get("table") or {"columns": [], "rows": []}
        result.table(table["columns"], table["rows"])
        for chart in raw.get("charts", []):
            result.chart(chart["title"], chart["x_label"], chart["y_label"], chart["series"],
                         log_x=chart.get("log_x", False), log_y=chart.get("log_y", False))
        result.note(*raw.get("notes", []))
        result.measured_with(**raw.get("environment", {}))
        for key, value in raw.items():
            if key not in {"title", "metrics", "table", "charts", "notes", "environment", "params"}:
                result.extra(key, value)
        return result

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "metrics": list(self.metrics),
            "table": {"columns": list(self.columns), "rows": list(self.rows)},
            "charts": list(self.charts),
            "notes": list(self.notes),
            "environment": dict(self.environment),
            **self.extras,
        }


REGISTRY: dict[str, Demo] = {}

_loaded = False
# Threaded web servers may ask for the registry from several requests at once; the
# flag must only flip after every module is imported, or a racing caller sees an empty registry.
_load_lock = threading.Lock()


def load_all() -> None:
    """Import every demo module of this package, plus any listed in ENGINE_EXTRA_DEMO_MODULES.

    Each demo module registers itself on import, so this is what makes the registry complete.
    It lives here rather than in the package's ``__init__`` so that the registry never imports
    its own package (which imports the registry): the modules are found by walking this folder.
    The extra modules (comma-separated dotted paths) are a seam for tests and deployments that
    add experiments without editing the engine, e.g. a deliberately slow demo that the
    worker-crash tests kill mid-run.
    """
    global _loaded
    if _loaded:
        return
    with _load_lock:
        if _loaded:
            return
        package = __name__.rpartition(".")[0]
        for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
            if module.name != "registry" and not module.name.startswith("_"):
                importlib.import_module(f"{package}.{module.name}")
        for dotted in os.environ.get("ENGINE_EXTRA_DEMO_MODULES", "").split(","):
            if dotted.strip():
                importlib.import_module(dotted.strip())
        _loaded = True


def register(name: str, *, title: str, summary: str, params: tuple[Param, ...] = (), queue: str = "cpu", uses_model: bool = False):
    """Decorator: ``@register("causal_mask", title=..., summary=..., params=(Param(...),))``."""

    def wrap(fn: Callable[[dict[str, Any], ProgressFn], DemoResult | dict[str, Any]]):
        if name in REGISTRY:
            raise RuntimeError(f"demo {name!r} registered twice")
        REGISTRY[name] = Demo(name=name, title=title, summary=summary, fn=fn, params=params, queue=queue, uses_model=uses_model)
        return fn

    return wrap


def load_demo_model(progress: ProgressFn) -> tuple[Transformer, Tokenizer]:
    """The model demos' SmolLM2-135M and tokenizer, reported to ``progress`` once loaded.

    ``shared_model`` keeps one copy per worker; it is imported here, not at the top, because the
    web process imports this module to list demos and must not import torch.
    """
    from engine.io.loader import shared_model

    loaded = shared_model()
    progress(5, "model loaded")
    return loaded


def get_demo(name: str) -> Demo:
    load_all()
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownDemoError(f"unknown demo {name!r}; known demos: {', '.join(sorted(REGISTRY))}") from None


def all_demos() -> list[Demo]:
    load_all()
    return [REGISTRY[name] for name in sorted(REGISTRY)]


def _no_progress(percent: int, message: str) -> None:
    pass


def run_demo(name: str, params: dict[str, Any] | None = None, progress: ProgressFn | None = None) -> dict[str, Any]:
    """Validate, run and stamp a demo. Raises DemoError for bad requests."""
    from engine.environment import describe_environment

    demo = get_demo(name)
    clean = demo.validate(params)
    report = progress or _no_progress
    report(0, "starting")
    built = demo.fn(clean, report)
    report(100, "done")
    # Plain dicts (fixture demos in tests) go through the builder too, so every result has one shape.
    result = (built if isinstance(built, DemoResult) else DemoResult.from_dict(built)).to_dict()
    result["params"] = clean
    environment = result["environment"]
    environment.update({k: v for k, v in describe_environment().items() if k not in environment})
    return result
