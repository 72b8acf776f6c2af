"""Named experiments that measure the bank's claims. See registry.py for the contract.

Each demo lives in its own module here and registers itself on import;
``load_all`` imports them all so the registry is complete.
"""
from __future__ import annotations

import importlib
import os
import pkgutil
import threading

from engine.demos.registry import (  # noqa: F401  (the public face of the package)
    REGISTRY,
    Demo,
    DemoError,
    DemoResult,
    DemoParamError,
    Param,
    UnknownDemoError,
    all_demos,
    get_demo,
    register,
    run_demo,
    series,
)

_loaded = False
# Threaded web servers may ask for the registry from several requests at once; the
# flag must only flip after every module is imported, or a racing caller sees an empty registry.
_load_lock = threading.Lock()


def load_all() -> None:
    """Import every demo module here, plus any listed in ENGINE_EXTRA_DEMO_MODULES.

    The extra modules (comma-separated dotted paths) are a seam for tests and
    deployments that add experiments without editing the engine, e.g. a
    deliberately slow demo that the worker-crash tests kill mid-run.
    """
    global _loaded
    if _loaded:
        return
    with _load_lock:
        if _loaded:
            return
        for module in pkgutil.iter_modules(__path__):
            if module.name != "registry" and not module.name.startswith("_"):
                importlib.import_module(f"{__name__}.{module.name}")
        for dotted in os.environ.get("ENGINE_EXTRA_DEMO_MODULES", "").split(","):
            if dotted.strip():
                importlib.import_module(dotted.strip())
        _loaded = True
