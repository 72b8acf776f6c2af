"""Reading a JSON object from a request body, with limits checked before the parser runs.

Two inputs break a naive ``json.loads(request.body)``: a body larger than anyone
needs (memory), and deeply nested arrays such as ``[`` × 100,000, which make the
parser recurse until ``RecursionError`` — a 500. Both are refused here with a
400 that names the body. The depth is measured by a scan that skips string
literals, so brackets inside strings never count.
"""
from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest

from prep_site.web.errors import FieldError

# A JSON string literal (with escapes), or one bracket: the scan below only looks at brackets outside strings.
_STRING_OR_BRACKET = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def nesting_depth(raw: bytes) -> int:
    """The deepest bracket nesting in ``raw`` (JSON text), ignoring brackets inside strings."""
    depth = deepest = 0
    for match in _STRING_OR_BRACKET.finditer(raw):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def read_json_object(request: HttpRequest, *, max_bytes: int | None = None) -> dict[str, Any]:
    """The body as a dict ({} for an empty body); raises ``FieldError("body", ...)`` for anything else."""
    limit = max_bytes if max_bytes is not None else settings.WEB_JSON_MAX_BYTES
    if _declared_length(request) > limit:
        raise FieldError("body", f"The request body must be at most {limit} bytes.")
    try:
        raw = request.body
    except RequestDataTooBig:
        raise FieldError("body", f"The request body must be at most {limit} bytes.") from None
    if len(raw) > limit:
        raise FieldError("body", f"The request body must be at most {limit} bytes.")
    if not raw.strip():
        return {}
    max_depth = settings.WEB_JSON_MAX_DEPTH
    if nesting_depth(raw) > max_depth:
        raise FieldError("body", f"The request body nests arrays and objects more than {max_depth} levels deep.")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise FieldError("body", "The request body must be a JSON object.") from None
    if not isinstance(data, dict):
        raise FieldError("body", "The request body must be a JSON object.")
    return data
