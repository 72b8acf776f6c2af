"""The demo registry: named, documented experiments with typed, bounded parameters.

A demo is a plain function ``fn(params, progress) -> dict`` registered with
``@register``. Callers (the CLI, the Celery workers, the bank's pages) never
call the function directly: they go through ``run_demo``, which validates the
parameters, reports progress and stamps the result with the environment it was
measured in. The result is JSON-serialisable and has this shape::

    {
      "title": str,                        # what was measured, one line
      "metrics": [{"name": str, "value": number | str, "unit": str}],
      "table": {"columns": [str], "rows": [[number | str, ...]]},
      "charts": [{"title": str, "x_label": str, "y_label": str,
                  "log_x": bool, "log_y": bool,
                  "series": [{"name": str, "x": [number], "y": [number]}]}],
      "notes": [str],                      # the short reading of the numbers
      "environment": {...},                # added by run_demo
      "params": {...},                     # the validated parameters, added by run_demo
    }
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

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
    fn: Callable[[dict[str, Any], ProgressFn], dict[str, Any]]
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


REGISTRY: dict[str, Demo] = {}


def register(name: str, *, title: str, summary: str, params: tuple[Param, ...] = (), queue: str = "cpu", uses_model: bool = False):
    """Decorator: ``@register("causal_mask", title=..., summary=..., params=(Param(...),))``."""

    def wrap(fn: Callable[[dict[str, Any], ProgressFn], dict[str, Any]]):
        if name in REGISTRY:
            raise RuntimeError(f"demo {name!r} registered twice")
        REGISTRY[name] = Demo(name=name, title=title, summary=summary, fn=fn, params=params, queue=queue, uses_model=uses_model)
        return fn

    return wrap


def get_demo(name: str) -> Demo:
    from engine.demos import load_all

    load_all()
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownDemoError(f"unknown demo {name!r}; known demos: {', '.join(sorted(REGISTRY))}") from None


def all_demos() -> list[Demo]:
    from engine.demos import load_all

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
    result = demo.fn(clean, report)
    report(100, "done")
    result["params"] = clean
    result.setdefault("environment", {}).update({k: v for k, v in describe_environment().items() if k not in result["environment"]})
    return result
