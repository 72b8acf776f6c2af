"""Each import format on fixtures written for it; parsing only, no database."""
from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from questions.importers.errors import ImportFileError
from questions.importers.gift import EXACT_TOLERANCE
from questions.importers.items import ParsedFile
from questions.importers.registry import FORMATS, parse_source

FIXTURES = Path(__file__).parent / "fixtures" / "import"


def parse(name: str, data: bytes | None = None, format: str | None = None) -> ParsedFile:
    return parse_source(data if data is not None else (FIXTURES / name).read_bytes(), name, format)


def titles(parsed: ParsedFile) -> list[str]:
    return [item.title for item in parsed.items]


class TestMarkdownQA:
    def test_it_finds_questions_then_challenges(self) -> None:
        parsed = parse("markdown_qa.md")
        assert parsed.format == "markdown-qa"
        assert [i.number for i in parsed.items] == [1, 2, 3, 4, 5]
        assert titles(parsed)[:3] == [
            "Why does decoding get slower per token when the batch is tiny?",
            "What does a paged KV cache fix?",
            "Name two ways to cut time to first token.",
        ]
        assert titles(parsed)[3:] == [
            "Production challenge: Memory spikes at peak traffic",
            "Production challenge: Tail latency after a deploy",
        ]
        assert {i.kind_tag for i in parsed.items[3:]} == {"production-challenge"}
        assert parsed.items[0].section == "Week 3: Serving Notes"

    def test_headings_inside_code_fences_never_split_a_question(self) -> None:
        answer = parse("markdown_qa.md").items[0].answer_md
        assert "#### Q3: neither is this one" in answer
        assert answer.count("```") == 2

    def test_the_answer_label_goes_and_markdown_stays(self) -> None:
        items = parse("markdown_qa.md").items
        assert not items[0].answer_md.startswith("**Answer")
        assert items[1].answer_md.startswith("Fragmentation: blocks")
        assert "##### Why chunking helps" in items[2].answer_md

    def test_follow_ups_attach_to_their_parent(self) -> None:
        items = parse("markdown_qa.md").items
        assert items[0].follow_ups == ["What changes when the batch grows to 64?"]
        assert "Follow-up" not in items[0].answer_md
        assert items[1].follow_ups == ["How big should one block be?"]
        assert "Sixteen tokens" in items[1].answer_md

    def test_trailing_sections_are_not_questions(self) -> None:
        items = parse("markdown_qa.md").items
        assert "Key Takeaways" not in items[-1].answer_md
        assert "bandwidth bound" not in items[-1].answer_md


    def test_an_empty_trailing_section_adds_a_warning_not_an_item(self) -> None:
        text = "# Notes\n#### Q1: Why page the cache?\n**Answer:** Less waste.\n\n### Production Challenges\n\n\n"
        parsed = parse("notes.md", text.encode())
        assert titles(parsed) == ["Why page the cache?"]
        assert parsed.items[0].answer_md == "Less waste."
        assert any("has no 'Challenge' headings" in w for w in parsed.warnings)

    def test_a_question_without_an_answer_is_flagged(self) -> None:
        parsed = parse("notes.md", b"#### Q1: First?\n**Answer:** Yes.\n#### Q2: Second?\n\n---\n\n")
        assert [i.needs_review for i in parsed.items] == [False, True]
        assert "no answer text" in parsed.items[1].review_notes[0]


class TestQuizAnswers:
    def test_it_finds_numbered_headings_with_sections(self) -> None:
        parsed = parse("quiz_answers.md")
        assert parsed.format == "quiz-answers"
        assert len(parsed.items) == 3
        assert [i.section for i in parsed.items] == ["Attention", "Attention", "Caching"]
        assert parsed.items[1].answer_md.startswith("It keeps the logits")

    def test_sub_questions_and_follow_ups_stay_with_their_parent(self) -> None:
        items = parse("quiz_answers.md").items
        assert items[1].follow_ups == ["What happens without it?"]
        assert items[2].follow_ups == ["Why not the queries?"]

    def test_fenced_heading_and_score_section_are_not_items(self) -> None:
        items = parse("quiz_answers.md").items
        assert "### 4. not a question" in items[2].answer_md
        assert "How did you score" not in items[2].answer_md


class TestNumberedText:
    def test_numbering_restarts_under_plain_headings(self) -> None:
        parsed = parse("numbered.txt")
        assert parsed.format == "numbered-text"
        assert len(parsed.items) == 4
        assert [i.section for i in parsed.items] == ["Batching Basics", "Batching Basics", "Scheduling", "Scheduling"]

    def test_numbered_lists_inside_answers_stay_in_the_answer(self) -> None:
        answer = parse("numbered.txt").items[1].answer_md
        assert "1. weights first," in answer and "3. then cache blocks." in answer

    def test_summary_section_is_skipped_with_a_warning(self) -> None:
        parsed = parse("numbered.txt")
        assert "Batch for throughput" not in parsed.items[-1].answer_md
        assert any("summary section" in w for w in parsed.warnings)

    def test_follow_up_lines_attach_to_the_question(self) -> None:
        item = parse("numbered.txt").items[2]
        assert item.follow_ups == ["How are finished sequences removed?"]


class TestLabelledBlocks:
    def test_blocks_become_questions_with_labelled_parts(self) -> None:
        parsed = parse("labelled.txt")
        assert parsed.format == "labelled-blocks"
        assert titles(parsed) == [
            "What is greedy decoding and when is it a poor choice?",
            "How does temperature change the sampling distribution?",
        ]
        answer = parsed.items[0].answer_md
        assert answer.startswith("**📘 Definition**")
        for label in ("**⚙️ How it works**", "**💡 Why it matters**", "**📝 Example**"):
            assert label in answer
        assert parsed.items[0].section == "Decoding"


class TestGift:
    def test_multiple_choice_with_feedback(self) -> None:
        item = parse("questions.gift").items[0]
        assert item.title == "What does the KV cache store for each past token?"
        assert item.section == "KV cache"
        assert item.quiz is not None and item.quiz.kind == "single"
        assert [(c.text, c.correct) for c in item.quiz.choices] == [
            ("Its key and value projections", True), ("Its attention output", False), ("Its logits", False),
        ]
        assert item.quiz.choices[1].explanation.startswith("That depends on the query")

    def test_true_false_with_both_feedbacks(self) -> None:
        quiz = parse("questions.gift").items[1].quiz
        assert quiz is not None
        assert [(c.text, c.correct) for c in quiz.choices] == [("True", False), ("False", True)]
        assert quiz.choices[0].explanation.startswith("Only the last block")

    def test_numeric_answers_tolerances_and_ranges(self) -> None:
        numeric = [i.quiz for i in parse("questions.gift").items if i.quiz and i.quiz.kind == "numeric"]
        assert [(q.numeric_answer, q.tolerance, q.tolerance_mode) for q in numeric] == [
            (32.0, 0.5, "absolute"), (20.0, 12.0, "absolute"), (8.0, EXACT_TOLERANCE, "absolute"),
        ]

    def test_weighted_answers_make_a_multiple_answer_item(self) -> None:
        quiz = parse("questions.gift").items[5].quiz
        assert quiz is not None and quiz.kind == "multiple"
        assert [c.correct for c in quiz.choices] == [True, True, False]

    def test_escapes_missing_word_short_answer_and_essay(self) -> None:
        items = parse("questions.gift").items
        assert items[6].title == "Which operator is written a=b in Python?"
        assert items[7].quiz is None and "MQA, multi-query attention" in items[7].answer_md
        assert items[8].quiz is None and items[8].needs_review  # an essay has no answer text yet
        assert items[9].quiz is not None and "_____" in items[9].quiz.prompt

    def test_matching_and_descriptions_are_skipped_with_warnings(self) -> None:
        parsed = parse("questions.gift")
        assert len(parsed.items) == 10
        assert any("matching questions are not supported" in w for w in parsed.warnings)
        assert any("description" in w for w in parsed.warnings)

    @pytest.mark.parametrize(
        ("text", "line", "message"),
        [
            ("// c\n\nWhat? {=a ~b\n", 3, "never closed"),
            ("::x:: Pick one {~a ~b}\n", 1, "no right answer"),
            ("\n\nHow many? {#lots}\n", 3, "'lots' is not a number"),
            ("Q {=a ~b =c}\n", 1, "several '=' answers"),
        ],
    )
    def test_malformed_questions_name_the_line(self, text: str, line: int, message: str) -> None:
        with pytest.raises(ImportFileError) as err:
            parse("bad.gift", text.encode(), format="gift")
        assert err.value.line == line
        assert message in str(err.value) and "bad.gift" in str(err.value)


class TestAiken:
    def test_questions_become_single_choice_items(self) -> None:
        parsed = parse("questions_aiken.txt")
        assert parsed.format == "aiken"
        assert len(parsed.items) == 3
        third = parsed.items[2]
        assert third.title == "Which setting makes sampling deterministic for the same prompt?"
        assert third.quiz is not None and [c.correct for c in third.quiz.choices] == [True, False, False, False]
        assert parsed.items[1].quiz.choices[0].text == "The full attention score matrix"  # type: ignore[union-attr]

    @pytest.mark.parametrize(
        ("text", "line", "message"),
        [
            ("Q?\nA. x\nB. y\nANSWER: C\n", 4, "ANSWER must be one of A, B"),
            ("Q?\nA. x\nC. y\nANSWER: A\n", 3, "should be 'B'"),
            ("Q?\nA. x\nB. y\nANSWER: A\n\nSecond?\nA. p\nB. q\n", 6, "no 'ANSWER"),
            ("Q?\nA. only\nANSWER: A\n", 1, "at least 2 options"),
        ],
    )
    def test_malformed_questions_name_the_line(self, text: str, line: int, message: str) -> None:
        with pytest.raises(ImportFileError) as err:
            parse("bad.txt", text.encode(), format="aiken")
        assert err.value.line == line
        assert message in str(err.value)


class TestRobustness:
    @pytest.mark.parametrize("name", ["markdown_qa.md", "numbered.txt", "quiz_answers.md", "questions.gift"])
    def test_crlf_and_bom_parse_like_plain_lf(self, name: str) -> None:
        raw = (FIXTURES / name).read_bytes()
        windows = codecs.BOM_UTF8 + raw.replace(b"\n", b"\r\n")
        plain, converted = parse(name), parse(name, windows)
        assert converted.format == plain.format
        assert [(i.title, i.answer_md, i.follow_ups) for i in converted.items] == \
               [(i.title, i.answer_md, i.follow_ups) for i in plain.items]

    def test_utf16_with_bom_is_accepted(self) -> None:
        raw = (FIXTURES / "questions_aiken.txt").read_text(encoding="utf-8").encode("utf-16")
        assert len(parse("questions_aiken.txt", raw).items) == 3

    def test_format_override_skips_detection(self) -> None:
        assert parse("questions_aiken.txt", format="aiken").format == "aiken"
        with pytest.raises(ImportFileError, match="no questions found in the markdown-qa format"):
            parse("questions_aiken.txt", format="markdown-qa")
        with pytest.raises(ImportFileError, match="unknown format 'docx'"):
            parse("questions_aiken.txt", format="docx")

    def test_every_format_is_listed_with_a_description(self) -> None:
        assert set(FORMATS) == {"markdown-qa", "quiz-answers", "labelled-blocks", "aiken", "gift", "numbered-text"}
        assert all(f.description for f in FORMATS.values())


class TestBadFiles:
    @pytest.mark.parametrize(
        ("data", "line", "message"),
        [
            (b"", 0, "empty"),
            (b"\n \r\n\t\n", 0, "empty"),
            (b"Title\n\x00\x01\x02binary", 2, "binary file"),
            (b"ok line\nsecond line \xff\xfe here\n", 2, "not valid UTF-8 (byte 0xff)"),
            (b"fine\n\nstill fine\nbell \x07 here", 4, "control character U+0007"),
            (b"Just some prose.\nNo questions at all.\n", 1, "unrecognised format"),
        ],
    )
    def test_bad_files_are_rejected_with_file_and_line(self, data: bytes, line: int, message: str) -> None:
        with pytest.raises(ImportFileError) as err:
            parse("upload.txt", data)
        assert err.value.line == line
        assert message in err.value.message
        assert str(err.value).startswith("upload.txt")
