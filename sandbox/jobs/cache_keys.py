"""Canonical forms of demo parameters, so equal requests share one cached measurement.

Two requests for the same demo with the same validated parameters must map to the
same key whatever order the browser sent the fields in, and a result measured on
a GPU must never be shown as if it were measured on a CPU (and vice versa), nor a
result from an older engine as if it were current.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_params(params: dict[str, Any]) -> str:
    """Sorted, whitespace-free JSON: the one spelling of a parameter set."""
    return json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def params_digest(params: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_params(params).encode()).hexdigest()


def result_cache_key(demo: str, params: dict[str, Any], engine_version: str, device: str) -> str:
    """Key of a measured result: (demo, canonical params, engine version, device)."""
    material = "\n".join((demo, canonical_params(params), engine_version, device))
    return hashlib.sha256(material.encode()).hexdigest()
