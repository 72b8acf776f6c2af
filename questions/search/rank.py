"""Ranking and snippets, computed the same way whichever database found the matches.

The database decides *which* questions match (its full-text index is what makes that fast); this
module decides their *order* and cuts their snippets, so SQLite and PostgreSQL rank and highlight
identically. A question scores, for each query group it contains: 10 in the title, 6 in the slug
(authors name a question by its topic: "multi-head-attention", "kv-cache-size-formula"), 4 in a
tag, 1 in the body (plus a little for each further body occurrence); the whole query as an exact
phrase adds 8 in the title and 3 in the body; a slug the query covers adds up to 10 (squared
share of its words: a slug that *is* the query counts like a title that names it, a slug sharing
one word of three hardly) and a title up to 2. Questions that contain every group come before those
that contain only some.
"""
from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from questions.markdown import FORMULA_MARK
from questions.search.query import STOP_WORDS, Group, ParsedQuery

TITLE_WEIGHT, SLUG_WEIGHT, TAG_WEIGHT, BODY_WEIGHT = 10.0, 6.0, 4.0, 1.0
TITLE_PHRASE_BONUS, BODY_PHRASE_BONUS = 8.0, 3.0
SLUG_COVERAGE_BONUS, TITLE_COVERAGE_BONUS = 10.0, 2.0
# Further body occurrences add a tenth each, up to this many: enough to break ties between two
# body matches, never enough to outrank a title or tag match.
BODY_REPEAT_CAP = 5
SNIPPET_WORDS = 28
# Words of context shown before the first match in a snippet.
SNIPPET_LEAD_WORDS = 6

_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
# Light English suffix stripping, longest first. It only has to map a word and its inflections to
# the same key on both sides of a comparison ("caches"/"cache", "routing"/"routes"), not to be a
# linguist's stemmer; which questions match at all is still the database's (Porter/Snowball) call.
_SUFFIXES = ("izations", "isations", "ization", "isation", "ations", "ation", "ings", "ing",
             "ies", "ers", "er", "ed", "es", "s", "e")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


@dataclass(frozen=True)
class Tokens:
    """A text's words: lower-cased, stemmed, where each lies in the original text, and where each
    word and each stem occurs (so a phrase is looked up, not scanned for)."""

    words: tuple[str, ...]
    stems: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]
    by_word: dict[str, list[int]]
    by_stem: dict[str, list[int]]


@lru_cache(maxsize=4096)
def tokenize(text: str) -> Tokens:
    found = [(m.group().lower(), m.span()) for m in _WORD_RE.finditer(text)]
    words = tuple(w for w, _ in found)
    stems = tuple(stem(w) for w in words)
    by_word: dict[str, list[int]] = {}
    by_stem: dict[str, list[int]] = {}
    for i, (w, s) in enumerate(zip(words, stems)):
        by_word.setdefault(w, []).append(i)
        by_stem.setdefault(s, []).append(i)
    return Tokens(words, stems, tuple(s for _, s in found), by_word, by_stem)


def _word_matches(tokens: Tokens, at: int, word: str, prefix: bool) -> bool:
    if tokens.words[at] == word or tokens.stems[at] == stem(word):
        return True
    return prefix and tokens.words[at].startswith(word)


def _positions(tokens: Tokens, word: str, prefix: bool) -> set[int]:
    """Where ``word`` occurs: itself, a word with its stem, or (``prefix``) a word it begins."""
    found = set(tokens.by_word.get(word, ())) | set(tokens.by_stem.get(stem(word), ()))
    if prefix:
        for other, positions in tokens.by_word.items():
            if other.startswith(word):
                found.update(positions)
    return found


def group_spans(group: Group, tokens: Tokens) -> list[tuple[int, int]]:
    """Token ranges [start, end) where any phrase of ``group`` occurs."""
    found = []
    for phrase in group.phrases:
        last = len(phrase) - 1
        for start in _positions(tokens, phrase[0], group.prefix and last == 0):
            if start + last < len(tokens.words) and all(
                _word_matches(tokens, start + j, w, group.prefix and j == last) for j, w in enumerate(phrase[1:], 1)
            ):
                found.append((start, start + len(phrase)))
    return sorted(set(found))


def _has_whole_phrase(parsed: ParsedQuery, tokens: Tokens) -> bool:
    """Whether the groups occur back to back, in query order (any synonym for each)."""
    if len(parsed.groups) < 2:
        return False
    ends = {end for _, end in group_spans(parsed.groups[0], tokens)}
    for group in parsed.groups[1:]:
        ends = {end for start, end in group_spans(group, tokens) if start in ends}
        if not ends:
            return False
    return True


@dataclass(frozen=True)
class Scored:
    matched_groups: int
    score: float


def _coverage(tokens: Tokens, hits: set[int]) -> float:
    """The share of a text's content words (not stop words) that the query matched."""
    content = [i for i, w in enumerate(tokens.words) if w not in STOP_WORDS]
    return len(hits.intersection(content)) / len(content) if content else 0.0


def score(parsed: ParsedQuery, title: str, slug: str, tags: Sequence[str], body: str) -> Scored:
    title_tokens, slug_tokens, body_tokens = tokenize(title), tokenize(slug.replace("-", " ")), tokenize(body)
    tag_tokens = [tokenize(tag.replace("-", " ")) for tag in tags]
    matched, total = 0, 0.0
    title_hits: set[int] = set()
    slug_hits: set[int] = set()
    for group in parsed.groups:
        in_title = group_spans(group, title_tokens)
        in_slug = group_spans(group, slug_tokens)
        in_tags = any(group_spans(group, t) for t in tag_tokens)
        in_body = len(group_spans(group, body_tokens))
        if not (in_title or in_slug or in_tags or in_body):
            continue
        matched += 1
        total += TITLE_WEIGHT * bool(in_title) + SLUG_WEIGHT * bool(in_slug) + TAG_WEIGHT * in_tags
        total += BODY_WEIGHT * bool(in_body) + min(max(in_body - 1, 0), BODY_REPEAT_CAP) / 10
        title_hits.update(i for start, end in in_title for i in range(start, end))
        slug_hits.update(i for start, end in in_slug for i in range(start, end))
    if _has_whole_phrase(parsed, title_tokens):
        total += TITLE_PHRASE_BONUS
    elif _has_whole_phrase(parsed, body_tokens):
        total += BODY_PHRASE_BONUS
    total += SLUG_COVERAGE_BONUS * _coverage(slug_tokens, slug_hits) ** 2
    total += TITLE_COVERAGE_BONUS * _coverage(title_tokens, title_hits)
    return Scored(matched, round(total, 6))


def snippet_html(parsed: ParsedQuery, body: str, formulas: Callable[[], list[str]]) -> str:
    """Escaped HTML of the body's best window, matches in ``<mark>``.

    ``formulas`` returns the rendered MathML of the body's inline formulas, in order; it is only
    called when the window holds one. A formula that cannot be matched to its rendering is left out.
    """
    tokens = tokenize(body)
    if not tokens.words:
        return ""
    # run[i]: which highlighted run word i belongs to (0: none); a phrase's words share one run,
    # so "top-p" is one <mark> across its hyphen.
    run = [0] * len(tokens.words)
    spans = sorted(span for group in parsed.groups for span in group_spans(group, tokens))
    current, reach = 0, -1
    for start, end in spans:
        if start >= reach:
            current += 1
        run[start:end] = [current] * (end - start)
        reach = max(reach, end)
    marked = [bool(r) for r in run]
    window = min(SNIPPET_WORDS, len(tokens.words))
    best, best_count = 0, -1
    count = sum(marked[:window])
    for start in range(len(tokens.words) - window + 1):
        if start:
            count += marked[start + window - 1] - marked[start - 1]
        if count > best_count:
            best, best_count = start, count
    # The earliest best window ends on its last hit; start it a few words before its first hit
    # instead, so a match reads in its sentence, keeping every hit of the window inside.
    hits = [i for i in range(best, best + window) if marked[i]]
    if hits:
        best = max(hits[0] - SNIPPET_LEAD_WORDS, hits[-1] - window + 1)
        best = max(0, min(best, len(tokens.words) - window))
    first, last = best, best + window - 1
    begin = 0 if first == 0 else tokens.spans[first][0]
    end = len(body) if last == len(tokens.words) - 1 else tokens.spans[last][1]
    while end < len(body) and body[end] in ".,;:!?)”\"'":
        end += 1
    formula_index = body.count(FORMULA_MARK, 0, begin)
    rendered: list[str] | None = None

    def text(segment: str) -> str:
        """Escaped text between words, each formula mark replaced by its MathML."""
        nonlocal formula_index, rendered
        if FORMULA_MARK not in segment:
            return html.escape(segment, quote=False)
        if rendered is None:
            rendered = formulas()
        parts = segment.split(FORMULA_MARK)
        out = [html.escape(parts[0], quote=False)]
        for part in parts[1:]:
            out.append(rendered[formula_index] if formula_index < len(rendered) else "")
            formula_index += 1
            out.append(html.escape(part, quote=False))
        return "".join(out)

    def joined(i: int) -> bool:
        """Whether word i's highlight runs on into word i + 1 (the same phrase, no formula between)."""
        if i >= last or run[i] == 0 or run[i] != run[i + 1]:
            return False
        return FORMULA_MARK not in body[tokens.spans[i][1] : tokens.spans[i + 1][0]]

    pieces: list[str] = ["… " if first else ""]
    cursor = begin
    for i in range(first, last + 1):
        w_start, w_end = tokens.spans[i]
        pieces.append(text(body[cursor:w_start]))
        if marked[i] and not (i > first and joined(i - 1)):
            pieces.append("<mark>")
        pieces.append(html.escape(body[w_start:w_end], quote=False))
        if marked[i] and not joined(i):
            pieces.append("</mark>")
        cursor = w_end
    pieces.append(text(body[cursor:end]))
    if last < len(tokens.words) - 1:
        pieces.append(" …")
    return "".join(pieces).strip()
