"""Repairing UTF-8 text that was once decoded as Thai (cp874 / TIS-620).

How the damage happens
----------------------
Someone reads a UTF-8 file as Thai and saves the result as UTF-8 again. Every
byte of a multi-byte character becomes one Thai character: byte ``0xA1 + k``
turns into ``U+0E01 + k``, so ``²`` (``C2 B2``) becomes ``ยฒ``. Bytes
``0x80``–``0x9F`` have no Thai character in TIS-620 and are silently dropped;
those are exactly the continuation bytes of most arrows, maths symbols and
emoji, so ``√`` (``E2 88 9A``) leaves only ``โ`` behind and ``📘``
(``F0 9F 93 98``) only ``๐``.

The repair, for each run of Thai-block characters
-------------------------------------------------
1. Map each character back to its byte with the cp874 table.
2. Split the bytes into UTF-8 sequences at lead bytes (``C2``–``F4``).
3. A complete sequence decodes directly (``²``, ``μ``, ``·``, ``β``, ``Σ``).
4. A *damaged* sequence (continuation bytes lost) is compared with a
   vocabulary of symbols that occur in technical writing: the candidates are
   the symbols whose bytes, minus some bytes in ``80``–``9F``, equal what is
   left. One candidate: restored (``ร`` → ``×``, ``แต`` → ``ᵀ``, ``โค`` → ``≤``).
5. Several candidates: ``RULES`` decide from the surrounding text, e.g. an
   emoji before ``DEFINITION:`` is 📘, ``โ`` after ``-`` is ∞, before ``d_k``
   it is √. A rule is either certain or a best guess; a guess is restored and
   noted so a person can check it.
6. Nothing decides, or a byte cannot be part of UTF-8 at all: the garbage is
   removed and a note says what was lost and where.

Whatever happens, no Thai-block character survives a repaired run.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

THAI_BLOCK = re.compile("[\u0e00-\u0e7f]")

# Characters that cp874 (the Windows flavour) gives to some bytes in 80-9F and
# a no-break space for A0: inside a run they are bytes, not punctuation.
_CP874_EXTRAS = "\u20ac\u2026\u2018\u2019\u201c\u201d\u2022\u2013\u2014\xa0"
_RUN = re.compile(f"[\u0e00-\u0e7f][\u0e00-\u0e7f{_CP874_EXTRAS}]*")

# Symbols a damaged sequence may stand for. Kept to what technical prose uses:
# the smaller the list, the more often a damaged sequence has one candidate.
VOCABULARY = (
    "→←↑↓↔⇒⇐⇔↦"
    "√∑∏∞≈≠≤≥±×÷·∂∇∈∉∝∘⊙⊕⊗∫∀∃−≡≪≫‖"
    "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻ᵀ₀₁₂₃₄₅₆₇₈₉ᵢⱼₖₙₜ"
    "αβγδεζηθικλμνξοπρςστυφχψωΓΔΘΛΞΠΣΦΨΩ"
    "–—‘’“”•…°"
    "✓✔✗✘✅❌⚠⚙⚡★⭐✨❓❗\ufe0f"
    "📘📗📙📕📚📖📝📌📍📊📈📉💡🔑🔍🔎🔥🚀🎯🧠🤔👉👍⏱⏳🛠"
)
_LOST_BYTES = range(0x80, 0xA0)

# Emoji that label the parts of an answer ("📘 DEFINITION:"); when the emoji
# lost its bytes, the label that follows says which one it was.
LABEL_EMOJI = {
    "DEFINITION": "📘",
    "HOW IT WORKS": "⚙",
    "WHY IT MATTERS": "💡",
    "EXAMPLE": "📝",
}
PLACEHOLDER = "\ufffd"  # stands for a not-yet-repaired symbol in a rule's context


@dataclass(frozen=True)
class Rule:
    """Pick ``symbol`` for a damaged sequence when it is a candidate and the context matches.

    ``before`` must match the end of the text before the symbol, ``after`` the
    start of the text after it (both on the same line).
    """

    symbol: str
    before: str = ""
    after: str = ""
    certain: bool = True
    why: str = ""

    def matches(self, before: str, after: str) -> bool:
        return bool(re.search(f"(?:{self.before})\\Z", before)) and bool(re.match(self.after, after))


def _label_rules() -> list[Rule]:
    return [
        Rule(emoji, after=rf"[\s{PLACEHOLDER}\ufe0f]*{re.escape(label)}\b", why=f"the {label} label")
        for label, emoji in LABEL_EMOJI.items()
    ]


RULES: list[Rule] = [
    *_label_rules(),
    Rule("∞", before=r"[-−]", after=r"(?!\w)", why="minus infinity"),
    Rule("∑", before=r"\)", after=r"[\w(]", why="a sum after a normalising factor such as (1/d)"),
    Rule("√", after=r"(?:d\b|d_|\d|\()", why="a square root of d, d_k, a number or a bracket"),
    Rule("σ", after="²", why="σ² is a variance"),
    Rule("σ", after=r"\(", certain=False, why="σ(·) is the usual activation symbol"),
    Rule("≈", before=r"\d\s", after=r"\s\d", certain=False, why="a symbol between two numbers"),
    Rule("→", before=r"\w\s", after=r"\s\w", certain=False, why="a symbol between two words"),
]


@dataclass(frozen=True)
class RepairNote:
    """What the repair could not restore with certainty, with the 1-based line."""

    line: int
    message: str


@dataclass(frozen=True)
class RepairResult:
    text: str
    restored: int  # symbols restored, certain or guessed
    notes: list[RepairNote]


@dataclass
class _Damaged:
    """A UTF-8 sequence that lost continuation bytes, or a byte that cannot start one."""

    data: bytes  # what is left; empty for a character with no cp874 byte
    line: int
    candidates: list[str]


def _byte_of(char: str) -> int | None:
    try:
        encoded = char.encode("cp874")
    except UnicodeEncodeError:
        return None
    return encoded[0] if len(encoded) == 1 else None


def _sequence_length(lead: int) -> int:
    """Bytes in a UTF-8 sequence starting with ``lead``; 0 if it cannot start one."""
    if 0xC2 <= lead <= 0xDF:
        return 2
    if 0xE0 <= lead <= 0xEF:
        return 3
    if 0xF0 <= lead <= 0xF4:
        return 4
    return 0


def _is_continuation(byte: int | None) -> bool:
    return byte is not None and 0x80 <= byte <= 0xBF


def _survives_as(full: bytes, left: bytes) -> bool:
    """True if ``left`` is ``full`` with some bytes in 80-9F removed (order kept)."""
    if len(full) < len(left) or full[:1] != left[:1]:
        return False
    i = 0
    for byte in full:
        if i < len(left) and byte == left[i]:
            i += 1
        elif byte not in _LOST_BYTES:
            return False
    return i == len(left)


def candidates_for(left: bytes) -> list[str]:
    """Vocabulary symbols whose UTF-8 bytes could have been damaged into ``left``."""
    if not left or not _sequence_length(left[0]):
        return []
    return [s for s in VOCABULARY if _survives_as(s.encode("utf-8"), left)]


def _decode_run(run: str, line: int) -> list[str | _Damaged]:
    """Steps 1-3: bytes back, split at lead bytes, decode what is complete."""
    data = [_byte_of(c) for c in run]
    pieces: list[str | _Damaged] = []
    i = 0
    while i < len(data):
        lead = data[i]
        need = _sequence_length(lead) if lead is not None else 0
        if not need:
            # A lone continuation byte, a byte UTF-8 never uses, or a character cp874 lacks.
            pieces.append(_Damaged(bytes([lead]) if lead is not None else b"", line, []))
            i += 1
            continue
        j = i + 1
        while j < len(data) and j - i < need and _is_continuation(data[j]):
            j += 1
        chunk = bytes(b for b in data[i:j] if b is not None)
        if len(chunk) == need:
            try:
                pieces.append(chunk.decode("utf-8"))
                i = j
                continue
            except UnicodeDecodeError:
                pass
        pieces.append(_Damaged(chunk, line, candidates_for(chunk)))
        i = j
    return pieces


def looks_like_thai_mojibake(text: str) -> bool:
    """True when the Thai-block characters in ``text`` are damaged UTF-8, not Thai prose.

    Mojibake comes in short runs (one symbol is 1-4 characters) that start with
    a UTF-8 lead byte; real Thai comes in long runs (Thai has no spaces between
    words) full of letters that cannot be UTF-8.
    """
    runs = _RUN.findall(text)
    if not runs:
        return False
    mean_length = sum(map(len, runs)) / len(runs)
    led = sum(1 for run in runs if _sequence_length(_byte_of(run[0]) or 0))
    return mean_length <= 6 and led / len(runs) >= 0.9


def _context(pieces: list[str | _Damaged], index: int, step: int, width: int = 40) -> str:
    """Up to ``width`` characters on one side of ``pieces[index]``, same line only."""
    parts: list[str] = []
    size = 0
    i = index + step
    while 0 <= i < len(pieces) and size < width:
        piece = pieces[i]
        text = piece if isinstance(piece, str) else PLACEHOLDER
        parts.append(text)
        size += len(text)
        i += step
    joined = "".join(reversed(parts)) if step < 0 else "".join(parts)
    if step < 0:
        return joined.rsplit("\n", 1)[-1][-width:]
    return joined.split("\n", 1)[0][:width]


def _describe(before: str, after: str, marker: str) -> str:
    return f"“…{before[-25:].lstrip()}{marker}{after[:25].rstrip()}…”"


def repair(text: str) -> RepairResult:
    """Steps 4-6 over the whole text; newlines are never touched, so line numbers hold."""
    pieces: list[str | _Damaged] = []
    position, line = 0, 1
    for match in _RUN.finditer(text):
        plain = text[position:match.start()]
        pieces.append(plain)
        line += plain.count("\n")
        pieces.extend(_decode_run(match.group(), line))
        position = match.end()
    pieces.append(text[position:])

    restored = 0
    # Unique candidates first, so the rules below see them restored in their context.
    for i, piece in enumerate(pieces):
        if isinstance(piece, _Damaged) and len(piece.candidates) == 1:
            pieces[i] = piece.candidates[0]
            restored += 1
    decisions: list[tuple[int, int, Rule | None]] = []  # (piece index, line, rule or None = removed)
    for i, piece in enumerate(pieces):
        if not isinstance(piece, _Damaged):
            continue
        before, after = _context(pieces, i, -1), _context(pieces, i, +1)
        rule = next((r for r in RULES if r.symbol in piece.candidates and r.matches(before, after)), None)
        pieces[i] = rule.symbol if rule else ""
        restored += rule is not None
        if rule is None or not rule.certain:
            decisions.append((i, piece.line, rule))
    # Notes are written last so their quoted context shows the text as finally repaired.
    notes = []
    for i, line, rule in decisions:
        before, after = _context(pieces, i, -1), _context(pieces, i, +1)
        if rule is None:
            message = f"removed an unrecoverable symbol in {_describe(before, after, '⟨?⟩')}"
        else:
            message = f"guessed “{rule.symbol}” ({rule.why}) for a damaged symbol in " \
                      f"{_describe(before, after, rule.symbol)}"
        notes.append(RepairNote(line, message))
    return RepairResult("".join(p for p in pieces if isinstance(p, str)), restored, notes)
