"""Constrained (structured) decoding: a regex or a small JSON schema becomes a mask over the vocabulary.

The pipeline, each stage a small function:

1. ``schema_to_regex``: a JSON schema (object / string / integer / number / boolean / enum / array)
   becomes a regular expression for its serialisations (keys in the schema's order; between
   tokens nothing, a space, or a newline with up to 4 spaces of indent).
2. ``compile_regex``: the regex becomes a deterministic automaton over **bytes** (parse -> Thompson
   NFA -> subset construction), trimmed so that every live state can still reach an accepting one.
   Bytes, not characters, because byte-level BPE tokens may hold half a UTF-8 character.
3. ``TokenMasks``: for a DFA state, which tokens may come next? A token is allowed when *all* of
   its bytes can be walked from that state without dying: a multi-character token such as ``'": "'``
   crosses several states at once, and the walk lands on the state after its last byte. The walk
   runs for the whole vocabulary at once (one gather per byte position, refused tokens dropping
   out) the first time a state is visited, and is cached per state.
4. ``generate_constrained``: greedy decoding of a batch of prompts where each row's logits are
   masked by its current state (EOS only allowed in accepting states).

Supported regex syntax: literals, ``.``, ``[...]`` / ``[^...]`` classes with ranges, ``\\d \\w \\s``
and escaped punctuation, groups ``(...)`` / ``(?:...)``, ``|``, and ``* + ? {n} {n,} {n,m}``.
Negated classes and ``.`` match any non-ASCII character too (as a whole UTF-8 sequence); they may
only exclude ASCII characters.
"""
from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

DEAD = 0  # the DFA state with no way back to acceptance

# ------------------------------------------------------------------------------------ 1. schema


# Between tokens of JSON: nothing, one space, or a newline and up to 4 spaces of indentation. Bounded on
# purpose: with free whitespace a small model can emit newlines forever and never close the object.
_WS = r"(?:\n {0,4}| )?"


def _string_regex(schema: dict[str, Any]) -> str:
    char = r'(?:[^"\\\x00-\x1f]|\\["\\/bfnrt])'  # any character but a quote, backslash or control; or an escape
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    return f'"{char}{{{low},{high if high is not None else ""}}}"'


def schema_to_regex(schema: dict[str, Any]) -> str:
    """A regex for the JSON serialisations of ``schema`` (a small, commonly used subset of JSON Schema)."""
    if "enum" in schema:
        return "(?:" + "|".join(_escape(json.dumps(v)) for v in schema["enum"]) + ")"
    kind = schema.get("type")
    if kind == "string":
        return _string_regex(schema)
    if kind == "integer":
        return r"-?(?:0|[1-9][0-9]{0,17})"
    if kind == "number":
        return r"-?(?:0|[1-9][0-9]{0,17})(?:\.[0-9]{1,17})?(?:[eE][+-]?[0-9]{1,3})?"
    if kind == "boolean":
        return "(?:true|false)"
    if kind == "null":
        return "null"
    if kind == "array":
        item = schema_to_regex(schema["items"])
        low, high = schema.get("minItems", 0), schema.get("maxItems")
        more = f"(?:,{_WS}{item}){{{max(low - 1, 0)},{'' if high is None else high - 1}}}"
        body = f"{item}{more}"
        return rf"\[(?:{body})\]" if low > 0 else rf"\[(?:{body})?\]"
    if kind == "object":
        properties = schema.get("properties", {})
        if not properties:
            raise ValueError("schema: an object needs at least one property")
        parts = [f"{_escape(json.dumps(name))}:{_WS}{schema_to_regex(sub)}" for name, sub in properties.items()]
        return r"\{" + _WS + f",{_WS}".join(parts) + _WS + r"\}"
    raise ValueError(
        f"schema: unsupported type {kind!r} (supported: object, array, string, integer, number, boolean, null, enum)"
    )


def _escape(text: str) -> str:
    return "".join("\\" + c if c in r"\.^$|?*+()[]{}" else c for c in text)


def validate(schema: dict[str, Any], value: Any, path: str = "$") -> list[str]:
    """Independent check of a parsed value against the same schema subset: a list of problems (empty = valid)."""
    if "enum" in schema:
        return [] if value in schema["enum"] else [f"{path}: {value!r} is not one of {schema['enum']}"]
    kind = schema.get("type")
    checks = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "null": lambda v: v is None,
        "array": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, dict),
    }
    if not checks[kind](value):
        return [f"{path}: expected {kind}, got {type(value).__name__}"]
    if kind == "string" and not schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", len(value)):
        return [f"{path}: length {len(value)} outside the allowed range"]
    if kind == "array":
        if not schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", len(value)):
            return [f"{path}: {len(value)} items outside the allowed range"]
        return [problem for i, item in enumerate(value) for problem in validate(schema["items"], item, f"{path}[{i}]")]
    if kind == "object":
        properties = schema.get("properties", {})
        if set(value) != set(properties):
            return [f"{path}: keys {sorted(value)} instead of {sorted(properties)}"]
        return [problem for name, sub in properties.items() for problem in validate(sub, value[name], f"{path}.{name}")]
    return []


# ------------------------------------------------------------------------------------- 2. regex

# A character class: code points it contains, or (negated) the ASCII ones it excludes.
_CLASS_ESCAPES = {
    "d": frozenset(range(48, 58)),
    "w": frozenset([*range(48, 58), *range(65, 91), *range(97, 123), 95]),
    "s": frozenset(map(ord, " \t\n\r\f\v")),
}
_CHAR_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "0": "\0"}


class RegexError(ValueError):
    pass


class _Parser:
    """Recursive descent into a tiny AST.

    Nodes: ("set", negated, chars) | ("cat", [nodes]) | ("alt", [nodes]) | ("rep", node, low, high or None).
    """

    def __init__(self, pattern: str):
        self.s, self.i = pattern, 0

    def parse(self):
        node = self.alternation()
        if self.i != len(self.s):
            raise RegexError(f"pattern: unexpected {self.s[self.i]!r} at position {self.i}")
        return node

    def peek(self) -> str | None:
        return self.s[self.i] if self.i < len(self.s) else None

    def take(self) -> str:
        if self.i >= len(self.s):
            raise RegexError("pattern: ends too early")
        self.i += 1
        return self.s[self.i - 1]

    def alternation(self):
        options = [self.concatenation()]
        while self.peek() == "|":
            self.take()
            options.append(self.concatenation())
        return options[0] if len(options) == 1 else ("alt", options)

    def concatenation(self):
        items = []
        while self.peek() not in (None, "|", ")"):
            items.append(self.repetition())
        return ("cat", items)

    def repetition(self):
        node = self.atom()
        while self.peek() in ("*", "+", "?", "{"):
            op = self.take()
            if op == "{":
                end = self.s.index("}", self.i)
                low, comma, high = self.s[self.i : end].partition(",")
                bounds = (int(low), int(high) if high else None) if comma else (int(low), int(low))
                self.i = end + 1
            else:
                bounds = {"*": (0, None), "+": (1, None), "?": (0, 1)}[op]
            node = ("rep", node, *bounds)
        return node

    def atom(self):
        c = self.take()
        if c == "(":
            if self.s.startswith("?:", self.i):
                self.i += 2
            node = self.alternation()
            if self.take() != ")":
                raise RegexError("pattern: unbalanced parenthesis")
            return node
        if c == "[":
            return self.char_class()
        if c == ".":
            return ("set", True, frozenset([10]))
        if c == "\\":
            return self.escape()
        if c in "*+?{":
            raise RegexError(f"pattern: nothing to repeat before {c!r} at position {self.i - 1}")
        return ("set", False, frozenset([ord(c)]))

    def escape(self):
        c = self.take()
        if c in _CLASS_ESCAPES:
            return ("set", False, _CLASS_ESCAPES[c])
        if c == "x":
            code = int(self.s[self.i : self.i + 2], 16)
            self.i += 2
            return ("set", False, frozenset([code]))
        return ("set", False, frozenset([ord(_CHAR_ESCAPES.get(c, c))]))

    def char_class(self):
        negated = self.peek() == "^"
        if negated:
            self.take()
        chars: set[int] = set()
        first = True
        while first or self.peek() != "]":
            first = False
            c = self.take()
            if c == "\\":
                node = self.escape()
                chars |= node[2]
                low = max(node[2]) if len(node[2]) == 1 else None
            else:
                low = ord(c)
                chars.add(low)
            if self.peek() == "-" and low is not None and self.s[self.i + 1 : self.i + 2] not in ("]", ""):
                self.take()
                high = self.take()
                high_code = self.escape()[2] if high == "\\" else frozenset([ord(high)])
                chars |= set(range(low, max(high_code) + 1))
        self.take()
        if negated and any(c > 127 for c in chars):
            raise RegexError("pattern: a negated class may only exclude ASCII characters")
        return ("set", negated, frozenset(chars))


class _NFA:
    """Thompson construction: each state has epsilon moves and byte-set edges."""

    def __init__(self):
        self.eps: list[list[int]] = []
        self.edges: list[list[tuple[frozenset[int], int]]] = []

    def new(self) -> int:
        self.eps.append([])
        self.edges.append([])
        return len(self.eps) - 1

    def build(self, node) -> tuple[int, int]:
        kind = node[0]
        if kind == "set":
            return self._char_set(node[1], node[2])
        if kind == "cat":
            start = end = self.new()
            for item in node[1]:
                s, e = self.build(item)
                self.eps[end].append(s)
                end = e
            return start, end
        if kind == "alt":
            start, end = self.new(), self.new()
            for option in node[1]:
                s, e = self.build(option)
                self.eps[start].append(s)
                self.eps[e].append(end)
            return start, end
        _, child, low, high = node  # "rep": low copies, then (high - low) optional ones or a loop
        start = end = self.new()
        for _ in range(low):
            s, e = self.build(child)
            self.eps[end].append(s)
            end = e
        exit_ = self.new()
        if high is None:  # a loop: enter or skip, and after each pass go round again or leave
            s, e = self.build(child)
            self.eps[end] += [s, exit_]
            self.eps[e] += [s, exit_]
            return start, exit_
        for _ in range(high - low):  # optional copies: each may be skipped straight to the exit
            s, e = self.build(child)
            self.eps[end] += [s, exit_]
            end = e
        self.eps[end].append(exit_)
        return start, exit_

    def _path(self, data: bytes, start: int, end: int) -> None:
        state = start
        for i, byte in enumerate(data):
            nxt = end if i == len(data) - 1 else self.new()
            self.edges[state].append((frozenset([byte]), nxt))
            state = nxt

    def _char_set(self, negated: bool, chars: frozenset[int]) -> tuple[int, int]:
        start, end = self.new(), self.new()
        if not negated:
            ascii_ = frozenset(c for c in chars if c < 128)
            if ascii_:
                self.edges[start].append((ascii_, end))
            for c in chars:
                if c >= 128:
                    self._path(chr(c).encode(), start, end)
            return start, end
        self.edges[start].append((frozenset(range(128)) - chars, end))
        # Any non-ASCII character: a lead byte, then 1-3 continuation bytes (0x80-0xBF).
        cont = frozenset(range(0x80, 0xC0))
        for leads, n_cont in ((range(0xC2, 0xE0), 1), (range(0xE0, 0xF0), 2), (range(0xF0, 0xF5), 3)):
            state = start
            for step in range(n_cont + 1):
                nxt = end if step == n_cont else self.new()
                self.edges[state].append((frozenset(leads) if step == 0 else cont, nxt))
                state = nxt
        return start, end


@dataclass
class ByteDFA:
    """``trans[state, byte]`` -> next state (``DEAD`` = 0 absorbs); ``accept[state]``; start state ``start``."""

    trans: torch.Tensor  # [S, 256] int64
    accept: torch.Tensor  # [S] bool
    start: int
    pattern: str = ""

    @property
    def n_states(self) -> int:
        return self.trans.shape[0]

    def walk(self, state: int, data: bytes) -> int:
        for byte in data:
            state = int(self.trans[state, byte])
            if state == DEAD:
                return DEAD
        return state

    def matches(self, data: bytes) -> bool:
        return bool(self.accept[self.walk(self.start, data)])


def compile_regex(pattern: str) -> ByteDFA:
    """Parse, build the NFA, determinise over bytes, and send every state that cannot finish to DEAD."""
    nfa = _NFA()
    nfa_start, nfa_end = nfa.build(_Parser(pattern).parse())

    def closure(states) -> frozenset[int]:
        stack, seen = list(states), set(states)
        while stack:
            for nxt in nfa.eps[stack.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return frozenset(seen)

    index: dict[frozenset[int], int] = {frozenset(): DEAD}
    sets = [frozenset()]
    rows: list[list[int]] = [[DEAD] * 256]
    start_set = closure([nfa_start])
    index[start_set] = 1
    sets.append(start_set)
    rows.append([])
    todo = [start_set]
    while todo:
        current = todo.pop()
        targets: dict[int, set[int]] = {}
        for state in current:
            for labels, nxt in nfa.edges[state]:
                for byte in labels:
                    targets.setdefault(byte, set()).add(nxt)
        row = [DEAD] * 256
        for byte, nxts in targets.items():
            target = closure(nxts)
            if target not in index:
                index[target] = len(sets)
                sets.append(target)
                rows.append([])
                todo.append(target)
            row[byte] = index[target]
        rows[index[current]] = row
    accept = [nfa_end in s for s in sets]
    # Trim: a state from which no accepting state is reachable is as good as dead (the mask must never enter it).
    live = {i for i, ok in enumerate(accept) if ok}
    changed = True
    while changed:
        changed = False
        for i, row in enumerate(rows):
            if i not in live and any(t in live for t in row):
                live.add(i)
                changed = True
    trans = torch.tensor([[t if t in live else DEAD for t in row] for row in rows], dtype=torch.long)
    if 1 not in live:
        raise RegexError(f"pattern: {pattern!r} matches nothing")
    return ByteDFA(trans, torch.tensor(accept), 1, pattern)


# ------------------------------------------------------------------------------- 3. token masks


def _byte_decoder() -> dict[str, int]:
    """GPT-2's byte-level alphabet, reversed: the printable stand-in character -> the byte it spells."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    chars, extra = list(printable), 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(printable, chars)}


def token_bytes(tokenizer) -> list[bytes | None]:
    """Each token id's bytes (``None`` for control tokens such as ``<|im_end|>``, which carry no text)."""
    decoder = _byte_decoder()
    out: list[bytes | None] = []
    for i in range(tokenizer.vocab_size):
        piece = tokenizer.backend.id_to_token(i)
        out.append(None if i in tokenizer.special_ids or piece is None else bytes(decoder[c] for c in piece))
    return out


class TokenMasks:
    """Allowed next tokens (and the state each leads to) per DFA state, computed on first visit and cached."""

    def __init__(self, dfa: ByteDFA, vocab_bytes: Sequence[bytes | None], eos_token_id: int):
        self.dfa, self.eos = dfa, eos_token_id
        self.token_lengths = [len(b) if b else 0 for b in vocab_bytes]
        lengths = torch.tensor(self.token_lengths)
        # bytes_at[j, t] = byte j of token t (0 past its end), built from one flat buffer rather than a loop.
        flat = torch.frombuffer(bytearray(b"".join(b for b in vocab_bytes if b)), dtype=torch.uint8).long()
        tokens = torch.repeat_interleave(torch.arange(len(vocab_bytes)), lengths)
        starts = torch.cumsum(lengths, 0) - lengths
        positions = torch.arange(flat.numel()) - starts[tokens]
        self.bytes_at = torch.zeros((int(lengths.max()), len(vocab_bytes)), dtype=torch.long)
        self.bytes_at[positions, tokens] = flat
        self.lengths = lengths
        self.nonempty = (lengths > 0).nonzero().flatten()
        self.trans_flat = dfa.trans.flatten()  # trans[state, byte] = trans_flat[state * 256 + byte]
        self.cache: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
        self.build_seconds = 0.0

    def _walk_vocabulary(self, state: int) -> torch.Tensor:
        """The state every token leads to from ``state`` (DEAD if any of its bytes is refused), all tokens at once.

        Byte position j advances every token still alive and longer than j; dead and finished tokens
        drop out, so after the first byte or two only the few plausible tokens are still walked.
        """
        final = torch.full((len(self.token_lengths),), DEAD, dtype=torch.long)
        alive = self.nonempty
        current = torch.full((alive.numel(),), state, dtype=torch.long)
        for j in range(self.bytes_at.shape[0]):
            current = self.trans_flat[current * 256 + self.bytes_at[j, alive]]
            ends_here = self.lengths[alive] == j + 1
            final[alive[ends_here]] = current[ends_here]
            walking = ~ends_here & (current != DEAD)
            alive, current = alive[walking], current[walking]
            if alive.numel() == 0:
                break
        return final

    def for_state(self, state: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(allowed ``[V]`` bool, next state ``[V]``) for a row in DFA state ``state``."""
        if state not in self.cache:
            start = time.perf_counter()
            nxt = self._walk_vocabulary(state)
            allowed = nxt != DEAD
            allowed[self.eos] = bool(self.dfa.accept[state])
            nxt[self.eos] = state
            self.cache[state] = (allowed, nxt)
            self.build_seconds += time.perf_counter() - start
        return self.cache[state]


# ------------------------------------------------------------------------------------ 4. decode


@dataclass
class ConstrainedRun:
    tokens: list[list[int]]  # per prompt, the EOS excluded
    finished: list[bool]  # stopped with EOS (rather than running out of tokens)
    step_seconds: list[float] = field(default_factory=list)  # one batched decode iteration each
    constraint_seconds: float = 0.0  # masking and state updates, cached mask look-ups included
    mask_build_seconds: float = 0.0  # first visits of DFA states (the vocabulary walks)
    tokens_generated: int = 0
    multi_char_tokens: int = 0  # generated tokens of 2+ bytes, i.e. several DFA transitions at once
    states_visited: int = 0
    states_built: int = 0  # visited for the first time in this process: their masks were computed now


@torch.inference_mode()
def generate_constrained(
    model, prompts: Sequence[Sequence[int]], max_new_tokens: int, eos_token_id: int, masks: TokenMasks | None = None
) -> ConstrainedRun:
    """Greedy decoding of ``prompts`` as one left-padded batch; with ``masks``, every token obeys the automaton."""
    from engine.serving.batching import PaddedBatch

    batch = PaddedBatch(model, prompts, max_new_tokens)
    rows = len(prompts)
    states = [masks.dfa.start] * rows if masks else []
    run = ConstrainedRun([[] for _ in range(rows)], [False] * rows)
    build_before = masks.build_seconds if masks else 0.0
    built_before = len(masks.cache) if masks else 0
    visited: set[int] = set()
    start = time.perf_counter()
    logits = batch.prefill()
    for step in range(max_new_tokens):
        if masks is not None:
            begin = time.perf_counter()
            allowed = torch.stack([masks.for_state(s)[0] for s in states])  # [B, V]
            logits = logits.masked_fill(~allowed.to(logits.device), float("-inf"))
            run.constraint_seconds += time.perf_counter() - begin
        chosen = logits.argmax(dim=-1).cpu()
        for row in range(rows):
            if run.finished[row]:
                continue
            token = int(chosen[row])
            if token == eos_token_id:
                run.finished[row] = True
                continue
            run.tokens[row].append(token)
            run.tokens_generated += 1
            if masks is not None:
                begin = time.perf_counter()
                visited.add(states[row])
                run.multi_char_tokens += masks.token_lengths[token] > 1
                states[row] = int(masks.for_state(states[row])[1][token])
                run.constraint_seconds += time.perf_counter() - begin
        run.step_seconds.append(time.perf_counter() - start)
        if all(run.finished) or step == max_new_tokens - 1:
            break
        start = time.perf_counter()
        logits = batch.step(chosen)
    if masks is not None:
        run.mask_build_seconds = masks.build_seconds - build_before
        run.states_visited = len(visited)
        run.states_built = len(masks.cache) - built_before
    return run
