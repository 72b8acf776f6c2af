"""Public face: ``engine.attention`` is ``engine.core.attention`` (``attention(q, k, v, ...)`` and its backends).

Kept importable under its short name because callers outside the engine use it; the module
object itself is replaced, so ``engine.attention is engine.core.attention`` and patching one patches both.
"""
import sys

from engine.core import attention as _implementation

sys.modules[__name__] = _implementation
