"""Bytes in, clean text out: the checks every file passes before any parser sees it.

A parser can then assume ``\\n`` line endings, no BOM and no binary junk, and
every rejection names the file and the line so the user can fix it.
"""
from __future__ import annotations

import codecs
import re

from questions.importers.errors import ImportFileError

# Files bigger than this are almost certainly not a question bank (and would
# make the admin preview slow); the limit is generous for text.
MAX_BYTES = 5 * 1024 * 1024

# C0 control characters (and DEL) that never appear in a text document; tab,
# newline, vertical tab and form feed do.
_BINARY_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def _line_of(data: bytes | str, offset: int) -> int:
    newline = b"\n" if isinstance(data, bytes) else "\n"
    return data[:offset].count(newline) + 1  # type: ignore[arg-type]


def decode_source(data: bytes, path: str) -> str:
    """Decode an uploaded file to text with ``\\n`` line endings.

    Accepts UTF-8 (with or without a BOM) and UTF-16 with a BOM. Raises
    ``ImportFileError`` for empty, oversized, binary or undecodable files.
    """
    if len(data) > MAX_BYTES:
        raise ImportFileError(path, 0, f"the file is {len(data):,} bytes; the limit is {MAX_BYTES:,} bytes")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ImportFileError(path, 0, f"not valid UTF-16 ({exc.reason})") from exc
    else:
        nul = data.find(b"\x00")
        if nul >= 0:
            raise ImportFileError(
                path, _line_of(data, nul), "this is a binary file (it contains a NUL byte); expected UTF-8 text"
            )
        if data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8):]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                path,
                _line_of(data, exc.start),
                f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8 and try again",
            ) from exc
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    control = _BINARY_CONTROL.search(text)
    if control:
        raise ImportFileError(
            path,
            _line_of(text, control.start()),
            f"control character U+{ord(control.group()):04X}; this looks like a binary file, expected text",
        )
    if not text.strip():
        raise ImportFileError(path, 0, "the file is empty")
    return text
