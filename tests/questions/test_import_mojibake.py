"""The cp874 mojibake repair, on strings damaged the way the real file was.

``mangle`` reproduces the damage: UTF-8 bytes read as TIS-620 (ISO-8859-11),
where bytes 80-9F (and the unassigned DB-DE, FC-FF) have no Thai character
and disappear.
"""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from questions.importers.mojibake import (
    THAI_BLOCK,
    VOCABULARY,
    candidates_for,
    looks_like_thai_mojibake,
    repair,
)


def mangle(text: str) -> str:
    decoded = text.encode("utf-8").decode("iso8859_11", errors="ignore")
    return "".join(c for c in decoded if not "\x80" <= c <= "\x9f")


def test_mangle_reproduces_the_observed_damage() -> None:
    assert mangle("x²") == "xยฒ"
    assert mangle("√") == "โ"
    assert mangle("📘") == "๐"


def test_complete_sequences_decode_exactly_without_notes() -> None:
    text = "LayerNorm: μ and σ² per token, then γ·x + β; total Σ_j"
    damaged = mangle(text)
    assert THAI_BLOCK.search(damaged)
    result = repair(damaged)
    assert result.text == text
    assert result.notes == []


def test_a_damaged_symbol_with_one_candidate_is_restored() -> None:
    for text in ("an n×n matrix", "QKᵀ scores", "positions ≤ t"):
        result = repair(mangle(text))
        assert result.text == text
        assert result.notes == []


def test_context_rules_pick_among_several_candidates() -> None:
    text = "scores/√d_k, masked with -∞, mean (1/d)∑x_i and √(σ²+ε)"
    result = repair(mangle(text))
    assert result.text == text
    assert result.notes == []


def test_label_emoji_are_restored_from_the_label_that_follows() -> None:
    text = "📘 DEFINITION:\n⚙️ HOW IT WORKS:\n💡 WHY IT MATTERS:\n📝 EXAMPLE:"
    assert repair(mangle(text)).text == text


def test_a_guess_is_restored_and_noted_with_its_line() -> None:
    result = repair(mangle("first line\nabout 64 ≈ 512 bytes"))
    assert result.text == "first line\nabout 64 ≈ 512 bytes"
    assert len(result.notes) == 1
    assert result.notes[0].line == 2
    assert "guessed “≈”" in result.notes[0].message


def test_an_unrecoverable_symbol_is_removed_and_noted() -> None:
    result = repair(mangle("y = W₂x"))
    assert result.text == "y = Wx"
    assert len(result.notes) == 1
    assert "removed" in result.notes[0].message and "W⟨?⟩x" in result.notes[0].message


def test_a_stray_continuation_byte_is_removed() -> None:
    result = repair("a ฒ b")  # 0xB2 alone cannot start a UTF-8 sequence
    assert result.text == "a  b"
    assert "removed" in result.notes[0].message


def test_line_count_never_changes() -> None:
    text = "a ✅\n\nb → c\n📘 DEFINITION:\n"
    assert repair(mangle(text)).text.count("\n") == text.count("\n")


def test_candidates_come_from_the_vocabulary() -> None:
    assert candidates_for(bytes([0xC3])) == ["×"]
    assert "√" in candidates_for(bytes([0xE2])) and "→" in candidates_for(bytes([0xE2]))
    assert candidates_for(bytes([0xB2])) == []


def test_detection_tells_mojibake_from_thai_prose() -> None:
    assert looks_like_thai_mojibake(mangle("O(n²) with n×n scores and √d_k"))
    assert not looks_like_thai_mojibake("ภาษาไทยเป็นภาษาที่มีวรรณยุกต์และสระหลายแบบ")
    assert not looks_like_thai_mojibake("plain ASCII text")


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab (/)-=+ ²·μβΣεγᵢⱼ")), max_size=40))
def test_text_without_lost_bytes_round_trips(text: str) -> None:
    assert repair(mangle(text)).text == text


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(VOCABULARY) + list("xyz 1(/)-\n")), max_size=40))
def test_no_thai_character_survives_a_repair(text: str) -> None:
    assert not THAI_BLOCK.search(repair(mangle(text)).text)
