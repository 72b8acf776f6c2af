"""Named experiments that measure the bank's claims. See registry.py for the contract.

Each demo lives in its own module here and registers itself on import;
``load_all`` imports them all so the registry is complete.
"""
from __future__ import annotations

import importlib
import pkgutil

from engine.demos.registry import (  # noqa: F401  (the public face of the package)
    REGISTRY,
    Demo,
    DemoError,
    DemoParamError,
    Param,
    UnknownDemoError,
    all_demos,
    get_demo,
    register,
    run_demo,
)

_loaded = False


def load_all() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in pkgutil.iter_modules(__path__):
        if module.name != "registry" and not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
