"""Named experiments that measure the bank's claims. See registry.py for the contract.

Each demo lives in its own module here and registers itself on import;
``load_all`` (in registry.py) imports them all so the registry is complete.
"""
from __future__ import annotations

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
    load_all,
    register,
    run_demo,
    series,
)
