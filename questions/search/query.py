"""What a learner typed, as groups of phrases both databases and the ranker read the same way.

A query is a list of groups; a question matches a group when it contains any of the group's
phrases, and a phrase is a run of words in order. "kv cache top-p" becomes two groups:
{"kv cache", "key value cache"} (a synonym) and {"top p", "nucleus"}. Hyphenated and
underscored terms (top-p, min-p, key-value, top_k) are one phrase, never "top" plus any word
starting with "p". Only the last single word of a query is a prefix (search as you type), and
only when it has at least three letters.

Stop words are dropped here rather than by the database: PostgreSQL's English configuration
ignores them and SQLite's FTS5 does not, so leaving them to the database would make the two
match different questions. Inside a synonym phrase ("mixture of experts") they stay; a query of
nothing but stop words is not searched at all (the page asks for a word that names a topic).
"""
from __future__ import annotations

import re
from itertools import accumulate
from dataclasses import dataclass

MAX_QUERY_TERMS = 12
# Only this much of a query is read at all: a pasted page must not cost more than a sentence.
MAX_QUERY_READ = 2000
MIN_PREFIX_CHARS = 3

# A word is a run of letters and digits; "-" or "_" between two words joins them into one term.
_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
_TERM_RE = re.compile(r"[^\W_]+(?:[-_'’][^\W_]+)*", re.UNICODE)
_POSSESSIVE_RE = re.compile(r"[’'][^\W_]+$")

# The English stop words of PostgreSQL's "english" configuration (Snowball's list), so that both
# databases see the same words.
STOP_WORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his himself
    she her hers herself it its itself they them their theirs themselves what which who whom this
    that these those am is are was were be been being have has had having do does did doing a an
    the and but if or because as until while of at by for with about against between into through
    during before after above below to from up down in out on off over under again further then
    once here there when where why how all any both each few more most other some such no nor not
    only own same so than too very s t can will just don should now""".split()
    # Comparisons, not topics: "GQA vs MQA" must not require the word "vs" in the answer.
    + ["vs", "versus"]
)

# The names the field uses for the same thing. Each line is one group: a query that contains any
# of its phrases also finds questions that use any other. Phrases are written as a learner types
# them; hyphens and spaces are equivalent.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("top-p", "nucleus"),
    ("gqa", "grouped-query", "grouped query attention"),
    ("mqa", "multi-query", "multi query attention"),
    ("mha", "multi-head attention"),
    ("mla", "multi-head latent attention", "latent attention"),
    ("kv cache", "key-value cache"),
    ("flash attention", "flashattention", "io-aware attention"),
    ("moe", "mixture of experts"),
    ("quantization", "quantisation", "quantize", "quantise", "quantized", "quantised"),
    ("normalization", "normalisation"),
    ("tokenization", "tokenisation", "tokenizer", "tokeniser"),
    ("tp", "tensor parallelism", "tensor parallel"),
    ("pp", "pipeline parallelism"),
    ("rope", "rotary", "rotary position embeddings"),
    ("ttft", "time to first token"),
    ("tpot", "time per output token"),
    ("speculative decoding", "speculative sampling", "draft model"),
    ("bpe", "byte pair encoding"),
    ("pagedattention", "paged attention"),
    ("continuous batching", "iteration-level batching", "in-flight batching"),
    ("mfu", "model flops utilization"),
    ("mbu", "model bandwidth utilization"),
)

Phrase = tuple[str, ...]


def words(text: str) -> list[str]:
    """The lower-case words of ``text``, split where FTS5 and PostgreSQL split them."""
    return _WORD_RE.findall(text.lower())


def _phrase(text: str) -> Phrase:
    return tuple(words(text))


# phrase → every phrase of its group (itself included); built once.
_SYNONYM_OF: dict[Phrase, tuple[Phrase, ...]] = {}
for _group in SYNONYMS:
    _phrases = tuple(dict.fromkeys(_phrase(p) for p in _group))
    for _p in _phrases:
        _SYNONYM_OF[_p] = _phrases
_LONGEST_SYNONYM = max(len(p) for p in _SYNONYM_OF)
_STOP_PHRASES = frozenset((w,) for w in STOP_WORDS)


@dataclass(frozen=True)
class Group:
    """Any one of ``phrases`` satisfies the group; ``prefix`` lets the last word of a one-word phrase
    match the start of a longer word."""

    phrases: tuple[Phrase, ...]
    prefix: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    groups: tuple[Group, ...]
    # How many terms were left out past MAX_QUERY_TERMS.
    dropped: int = 0
    # The query had words, all of them too common to search for ("what is it").
    only_stop_words: bool = False

    def __bool__(self) -> bool:
        return bool(self.groups)


def _terms(query: str) -> list[Phrase]:
    """Terms as phrases: "top-p" → ("top", "p"); a possessive "model's" → ("model",)."""
    terms = []
    for raw in _TERM_RE.findall(query.lower()):
        terms.append(_phrase(_POSSESSIVE_RE.sub("", raw)))
    return [t for t in terms if t]


def parse(query: str) -> ParsedQuery:
    terms = _terms(query[:MAX_QUERY_READ])
    flat: list[str] = [w for t in terms for w in t]
    # Where each term starts in `flat`, so a synonym never starts or ends inside a hyphenated term.
    starts = dict(zip(accumulate((len(t) for t in terms), initial=0), (len(t) for t in terms)))
    # Synonyms first ("time to first token" holds a stop word), then stop words go.
    groups: list[Group] = []
    i = 0
    while i < len(flat):
        for size in range(min(_LONGEST_SYNONYM, len(flat) - i), 0, -1):
            candidate = tuple(flat[i : i + size])
            ends_on_term = (i + size) == len(flat) or (i + size) in starts
            if candidate in _SYNONYM_OF and i in starts and ends_on_term:
                groups.append(Group(_SYNONYM_OF[candidate]))
                i += size
                break
        else:
            size = starts.get(i, 1)
            groups.append(Group((tuple(flat[i : i + size]),)))
            i += size
    content = [g for g in groups if len(g.phrases) > 1 or g.phrases[0] not in _STOP_PHRASES]
    dropped = max(0, len(content) - MAX_QUERY_TERMS)
    content = content[:MAX_QUERY_TERMS]
    # Only a last term that is one plain word of a few letters is a prefix: never "p" of "top-p".
    if content and [len(p) for p in content[-1].phrases] == [1] and len(content[-1].phrases[0][0]) >= MIN_PREFIX_CHARS:
        content[-1] = Group(content[-1].phrases, prefix=True)
    return ParsedQuery(tuple(content), dropped, only_stop_words=bool(groups) and not content)


def query_terms(query: str) -> list[str]:
    """The words of a user's query; punctuation and FTS operators are dropped, never interpreted."""
    return [w for t in _terms(query) for w in t][:MAX_QUERY_TERMS]
