"""Constrained decoding (engine.serving.constrained) and the structured_decoding demo.

The regex compiler is checked against Python's ``re`` on random strings; the schema regex against
``json`` and the independent validator; the token masks on a toy vocabulary with multi-character
tokens; the demo on the real model and tokenizer.
"""
from __future__ import annotations

import json
import random
import re

import pytest
import torch

from engine import build_model
from engine.core.config import ModelConfig
from engine.serving.constrained import (
    DEAD,
    RegexError,
    TokenMasks,
    compile_regex,
    generate_constrained,
    schema_to_regex,
    validate,
)
from engine.demos import DemoParamError, run_demo

PATTERNS = [
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}",
    r"(ab|c)*d?",
    r"[a-z]+@[a-z]+\.(com|org)",
    r"x{2,}y|z",
    r'"(?:[^"\\]|\\["n]){0,3}"',
]
ALPHABET = 'abcdxyz0123456789-@."\\né'


@pytest.mark.parametrize("pattern", PATTERNS)
def test_the_automaton_accepts_exactly_what_python_re_accepts(pattern):
    dfa = compile_regex(pattern)
    rng = random.Random(pattern)
    samples = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 10))) for _ in range(3000)]
    samples += ["2024-01-31", "ababcd", "ann@bob.org", "xxxy", "z", '"é"', '"a\\n"']
    for text in samples:
        assert dfa.matches(text.encode()) == (re.fullmatch(pattern, text) is not None), text


def test_dead_ends_are_trimmed_and_bad_patterns_name_the_field():
    dfa = compile_regex("ab|ac")
    after_a = dfa.walk(dfa.start, b"a")
    assert dfa.walk(after_a, b"d") == DEAD and dfa.walk(after_a, b"c") != DEAD
    with pytest.raises(RegexError, match="pattern"):
        compile_regex("(ab")
    with pytest.raises(RegexError, match="pattern"):
        compile_regex("*a")


SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 5},
        "tags": {"type": "array", "items": {"enum": ["a", "b"]}, "maxItems": 2},
        "score": {"type": "number"},
        "ok": {"type": "boolean"},
    },
}


@pytest.mark.parametrize("value", [
    {"name": "Ann", "tags": [], "score": 1.5, "ok": True},
    {"name": "", "tags": ["a", "b"], "score": -3, "ok": False},
    {"name": "Zoë", "tags": ["b"], "score": 0, "ok": True},
])
def test_schema_regex_accepts_serialisations_of_valid_values(value):
    dfa = compile_regex(schema_to_regex(SCHEMA))
    assert not validate(SCHEMA, value)
    for text in (json.dumps(value, ensure_ascii=False), json.dumps(value, ensure_ascii=False, separators=(",", ":"))):
        assert dfa.matches(text.encode())


@pytest.mark.parametrize("value", [
    {"name": "Annabel", "tags": [], "score": 1, "ok": True},  # name too long
    {"name": "Ann", "tags": ["c"], "score": 1, "ok": True},  # not in the enum
    {"name": "Ann", "tags": ["a", "a", "b"], "score": 1, "ok": True},  # too many items
    {"name": "Ann", "tags": [], "score": "1", "ok": True},  # wrong type
])
def test_schema_regex_and_validator_both_reject_invalid_values(value):
    dfa = compile_regex(schema_to_regex(SCHEMA))
    assert validate(SCHEMA, value)
    assert not dfa.matches(json.dumps(value, ensure_ascii=False).encode())


# A toy vocabulary: single characters plus multi-character tokens that cross automaton states.
VOCAB = [None, b"<", b"a", b"b", b"1", b"2", b"ab", b"a1", b"12", b"b2x", b"\xc3", b"\xa9", b"\xc3\xa9"]
EOS = 0


def test_masks_follow_every_byte_of_a_token():
    masks = TokenMasks(compile_regex("(ab)+1[0-9]*"), VOCAB, EOS)
    allowed, nxt = masks.for_state(masks.dfa.start)
    assert [VOCAB[i] for i in allowed.nonzero().flatten().tolist()] == [b"a", b"ab"]
    after_ab = int(nxt[VOCAB.index(b"ab")])
    allowed, nxt = masks.for_state(after_ab)
    # "a1" is not: its "a" opens another "ab", which its "1" then breaks.
    names = {VOCAB[i] for i in allowed.nonzero().flatten().tolist()}
    assert names == {b"a", b"1", b"ab", b"12"}
    assert not allowed[EOS]  # "ab" alone is not a match
    after_12 = int(nxt[VOCAB.index(b"12")])
    allowed, _ = masks.for_state(after_12)
    assert allowed[EOS] and {VOCAB[i] for i in allowed.nonzero().flatten().tolist() if i != EOS} == {b"1", b"2", b"12"}


def test_half_characters_are_allowed_only_when_the_character_can_be_completed():
    masks = TokenMasks(compile_regex("a[^b]"), VOCAB, EOS)
    after_a = masks.dfa.walk(masks.dfa.start, b"a")
    allowed, nxt = masks.for_state(after_a)
    assert allowed[VOCAB.index(b"\xc3")] and allowed[VOCAB.index(b"\xc3\xa9")]
    assert not allowed[VOCAB.index(b"\xa9")]  # a continuation byte cannot start a character
    half = int(nxt[VOCAB.index(b"\xc3")])
    allowed, _ = masks.for_state(half)
    assert allowed[VOCAB.index(b"\xa9")] and not allowed[VOCAB.index(b"a")]


def test_constrained_greedy_output_always_matches():
    model = build_model(ModelConfig(vocab_size=len(VOCAB), d_model=32, n_layers=1, n_heads=2, n_kv_heads=1, d_ff=64,
                                    max_seq_len=64), seed=2)
    masks = TokenMasks(compile_regex("(ab){1,2}1[0-9]{0,2}"), VOCAB, EOS)
    run = generate_constrained(model, [[1, 2], [3, 4, 5, 1]], 16, EOS, masks)
    for tokens, finished in zip(run.tokens, run.finished):
        # At most 7 bytes match, so by then only EOS is left: the 16-token budget cannot run out.
        assert finished and re.fullmatch(rb"(ab){1,2}1[0-9]{0,2}", b"".join(VOCAB[t] for t in tokens))
    assert run.tokens_generated == sum(len(t) for t in run.tokens)


def test_demo_rejects_an_unknown_target():
    with pytest.raises(DemoParamError) as info:
        run_demo("structured_decoding", {"target": "yaml"})
    assert info.value.param == "target"


@pytest.mark.slow
@pytest.mark.parametrize("target", ["json_schema", "regex_date"])
def test_demo_constrained_answers_are_all_valid(smollm2, monkeypatch, demo_contract, target):
    monkeypatch.setattr("engine.io.loader.shared_model", lambda *args, **kwargs: smollm2)
    result = run_demo("structured_decoding", {"target": target, "n_prompts": 3, "max_new_tokens": 48})
    demo_contract(result)
    metrics = {m["name"]: m["value"] for m in result["metrics"]}
    assert metrics["valid with constraint"] == 100.0
    assert metrics["valid with constraint"] >= metrics["valid without constraint"]
    assert metrics["constraint overhead per token"] > 0
    assert all(row[3] == "yes" for row in result["table"]["rows"])
