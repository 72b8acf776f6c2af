"""parse_bank_file: a valid file parses to a ParsedQuestion; every kind of mistake names its line and key."""
from __future__ import annotations

import pytest

from questions.bank_parser import BankFileError, parse_bank_file, parse_topics_file


def problems_of(path) -> list[tuple[int, str]]:
    with pytest.raises(BankFileError) as caught:
        parse_bank_file(path, {"kv-cache"})
    return [(p.line, p.message) for p in caught.value.problems]


def test_it_parses_a_full_question(bank, single_item, numeric_item):
    path = bank.write(
        "kv-basics",
        tags=["KV Cache", "decoding", "kv-cache"],
        covers=["002#03"],
        demos=["kv_cache_vs_recompute"],
        key_points=["K and V per layer"],
        quiz=[single_item, numeric_item],
        order=5,
    )
    parsed = parse_bank_file(path, {"kv-cache"})
    assert parsed.slug == "kv-basics"
    assert parsed.tags == ("kv-cache", "decoding")  # slugified and de-duplicated
    assert parsed.order == 5
    assert [item.kind for item in parsed.quiz] == ["single", "numeric"]
    assert parsed.quiz[0].choices[0].correct is True
    assert parsed.quiz[1].numeric_answer == 524288.0 and parsed.quiz[1].tolerance_mode == "relative"
    assert len(parsed.content_hash) == 64


def test_yaml_syntax_errors_carry_the_file_line(bank):
    path = bank.write_raw("kv-cache/broken.md", "---\nslug: broken\ntitle: [unclosed\ntopic: kv-cache\n---\nBody\n")
    [(line, message)] = problems_of(path)
    assert message.startswith("invalid YAML")
    assert line in (3, 4, 5)  # the parser notices at or just after the unclosed bracket
    assert str(path) in str(pytest.raises(BankFileError, parse_bank_file, path).value)


def test_schema_errors_name_the_key_and_its_line(bank):
    path = bank.write("bad-difficulty", difficulty="impossible")
    [(line, message)] = problems_of(path)
    assert message.startswith("difficulty: must be one of easy, medium, hard")
    assert line == 5  # ---, slug, title, topic, difficulty


def test_missing_required_keys_are_each_reported(bank):
    path = bank.write_raw("kv-cache/partial.md", "---\nslug: partial\n---\nBody\n")
    messages = [m for _, m in problems_of(path)]
    assert "title: is required and must not be empty" in messages
    assert "topic: is required and must not be empty" in messages
    assert "difficulty: is required and must not be empty" in messages


def test_a_single_choice_item_needs_exactly_one_correct_option(bank, single_item):
    item = {**single_item, "options": [{"text": "a", "correct": True}, {"text": "b", "correct": True}]}
    path = bank.write("two-right", quiz=[item])
    [(line, message)] = problems_of(path)
    assert message == "quiz[1].options: a single-choice item needs exactly one correct option (found 2)"
    assert path.read_text().splitlines()[line - 1].strip().startswith("options:")


def test_a_multiple_choice_item_needs_a_correct_option(bank, single_item):
    item = {**single_item, "kind": "multiple", "options": [{"text": "a"}, {"text": "b"}]}
    [(_, message)] = problems_of(bank.write("none-right", quiz=[item]))
    assert "at least one correct option" in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"tolerance": 0}, "quiz[1].tolerance: a numeric item needs a positive tolerance (got 0)"),
        ({"tolerance": None}, "quiz[1].tolerance: a numeric item needs a positive tolerance (got None)"),
        ({"answer": "lots"}, "quiz[1].answer: a numeric item needs a numeric answer (got 'lots')"),
        ({"tolerance_mode": "percent"}, "quiz[1].tolerance_mode: tolerance_mode must be one of relative, absolute (got 'percent')"),
    ],
)
def test_numeric_items_need_an_answer_and_a_positive_tolerance(bank, change, expected, numeric_item):
    item = {k: v for k, v in {**numeric_item, **change}.items() if v is not None}
    [(_, message)] = problems_of(bank.write("numeric", quiz=[item]))
    assert message == expected


def test_topic_must_match_the_folder_and_exist(bank):
    path = bank.write_raw("kv-cache/elsewhere.md", "---\nslug: elsewhere\ntitle: T\ntopic: quantization\ndifficulty: easy\n---\nBody\n")
    messages = [m for _, m in problems_of(path)]
    assert any("folder 'kv-cache'" in m for m in messages)
    assert any("not listed in topics.yaml" in m for m in messages)


def test_an_empty_body_and_a_missing_fence_are_errors(bank):
    assert any("body" in m for _, m in problems_of(bank.write("empty", body="\n  \n")))
    assert problems_of(bank.write_raw("kv-cache/nofence.md", "slug: x\n")) == [
        (1, "the file must start with a '---' line that opens the YAML front matter")
    ]


def test_bad_covers_and_duplicate_quiz_ids_are_reported(bank, single_item):
    path = bank.write("dupes", covers=["2#3"], quiz=[single_item, single_item])
    messages = [m for _, m in problems_of(path)]
    assert any(m.startswith("covers[1]: must look like NNN#k") for m in messages)
    assert any("is used by an earlier item" in m for m in messages)


def test_unknown_front_matter_keys_are_kept_as_warnings_not_errors(bank):
    parsed = parse_bank_file(bank.write("typo", tgas=["x"]), {"kv-cache"})
    assert parsed.unknown_keys == ("tgas",)


def test_topics_file_errors_point_at_the_entry(bank):
    bank.write_raw("topics.yaml", "- slug: ok\n  title: Fine\n- slug: Not A Slug\n  title: Bad\n")
    with pytest.raises(BankFileError) as caught:
        parse_topics_file(bank.root / "topics.yaml")
    [problem] = caught.value.problems
    assert problem.line == 3 and "slug" in problem.message


def test_exponent_numbers_that_yaml_reads_as_strings_are_accepted(bank, numeric_item):
    # PyYAML (YAML 1.1) reads 2.695e13 as the string "2.695e13"; authors mean the number.
    parsed = parse_bank_file(bank.write("expo", quiz=[{**numeric_item, "answer": "2.695e13", "tolerance": "1e-2"}]))
    assert (parsed.quiz[0].numeric_answer, parsed.quiz[0].tolerance) == (2.695e13, 0.01)


def test_control_characters_are_rejected_with_their_line_and_code_point(bank):
    # "\a" in a Python string is BEL: the way "\approx" once lost its backslash in a bank file.
    body = "Scores: $s \approx 0.7$\nfine line\r\n"
    path = bank.write_raw("kv-cache/bell.md", f"---\nslug: bell\ntitle: Bell\ntopic: kv-cache\ndifficulty: easy\n---\n{body}")
    [(line, message)] = problems_of(path)
    assert line == 7
    assert "U+0007" in message and "column 12" in message


def test_crlf_line_endings_and_tabs_are_not_control_character_errors(bank):
    path = bank.write_raw(
        "kv-cache/crlf.md", "---\r\nslug: crlf\r\ntitle: CRLF\r\ntopic: kv-cache\r\ndifficulty: easy\r\n---\r\n\tBody\r\n"
    )
    assert parse_bank_file(path, {"kv-cache"}).slug == "crlf"
