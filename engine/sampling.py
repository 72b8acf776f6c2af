"""Public face: ``engine.sampling`` is ``engine.core.sampling`` (``SamplingParams``, ``process_logits``, ``sample``, ``next_token``).

Kept importable under its short name because callers outside the engine use it; the module
object itself is replaced, so ``engine.sampling is engine.core.sampling`` and patching one patches both.
"""
import sys

from engine.core import sampling as _implementation

sys.modules[__name__] = _implementation
