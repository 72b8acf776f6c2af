"""Helpers shared by the demos that run the real model on a user's prompt."""
from __future__ import annotations

from engine.demos.registry import DemoParamError

MAX_PROMPT_CHARS = 2000


def clean_prompt(text: str, param: str = "prompt") -> str:
    """The stripped user message; checked before the model is loaded so a bad request fails fast."""
    text = text.strip()
    if not text:
        raise DemoParamError(param, "must not be empty")
    if len(text) > MAX_PROMPT_CHARS:
        raise DemoParamError(param, f"must be at most {MAX_PROMPT_CHARS} characters, got {len(text)}")
    return text


def chat_ids(tokenizer, text: str) -> list[int]:
    """``text`` as one user turn under the model's chat template, ready for generation."""
    return tokenizer.encode_chat([{"role": "user", "content": text}])
