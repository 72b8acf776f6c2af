"""export_bank writes questions back to bank files; loading the export changes nothing."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from questions.bank_export import export_bank, question_file_text
from questions.bank_loader import DEFAULT_BANK_DIR, load_bank
from questions.models import Question, QuizItem, Tag, Topic

# Fields that say where a row came from rather than what it holds: the export is a different file
# (so a different hash), and the rows are new (ids, timestamps).
NOT_CONTENT = {"id", "content_hash", "created_at", "updated_at"}


def _row(instance: Any, skip: set[str]) -> dict[str, Any]:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields if f.attname not in skip}


def full_state(question: Question) -> dict[str, Any]:
    """Every stored field of the question, its topic, tags, quiz items and their options, in stored order."""
    state = _row(question, NOT_CONTENT | {"topic_id", "edited_by_id"})
    state["topic"] = _row(question.topic, {"id"})
    state["tags"] = sorted(question.tags.values_list("slug", flat=True))
    state["quiz"] = [
        {**_row(item, {"id", "question_id"}), "choices": [_row(c, {"id", "item_id"}) for c in item.choices.order_by("order")]}
        for item in question.quiz_items.order_by("order", "key")
    ]
    return state


def _wipe() -> None:
    from questions.exercises.models import Exercise  # load_bank also loads the bank's exercises, which hold topics

    Exercise.objects.all().delete()
    Question.objects.all().delete()
    Topic.objects.all().delete()
    Tag.objects.all().delete()


@pytest.mark.django_db
def test_the_whole_bank_survives_export_then_load_into_a_fresh_database(tmp_path: Path) -> None:
    first = load_bank(DEFAULT_BANK_DIR)
    assert first.ok and first.created, first.errors
    before = {q.slug: full_state(q) for q in Question.objects.select_related("topic")}

    export = export_bank(Question.objects.select_related("topic"), tmp_path)
    assert len(export.written) == len(before) + 1  # every question, and topics.yaml
    _wipe()
    report = load_bank(tmp_path)

    assert report.errors == [] and report.warnings == [] and report.conflicts == []
    assert sorted(report.created) == sorted(before)
    after = {q.slug: full_state(q) for q in Question.objects.select_related("topic")}
    for slug, state in before.items():
        assert after[slug] == state, slug
    # and a second load of the export finds nothing to do
    assert sorted(load_bank(tmp_path).unchanged) == sorted(before)


@pytest.mark.django_db
def test_exporting_twice_writes_the_same_bytes(bank, single_item, numeric_item, tmp_path: Path) -> None:
    bank.write("q1", quiz=[single_item, numeric_item], key_points=["One", "Two: with a colon"], tags=["kv-cache"])
    load_bank(bank.root)
    question = Question.objects.get(slug="q1")
    assert question_file_text(question) == question_file_text(question)
    export_bank([question], tmp_path / "a")
    export_bank([question], tmp_path / "b")
    assert (tmp_path / "a/kv-cache/q1.md").read_text() == (tmp_path / "b/kv-cache/q1.md").read_text()


@pytest.mark.django_db
def test_options_are_written_in_the_order_their_author_wrote_them(bank, single_item, tmp_path: Path) -> None:
    single_item["options"].append({"text": "The key projection", "why": "That is K."})
    bank.write("q1", quiz=[single_item])
    load_bank(bank.root)
    export_bank(Question.objects.filter(slug="q1"), tmp_path)
    text = (tmp_path / "kv-cache/q1.md").read_text()
    positions = [text.index(option["text"]) for option in single_item["options"]]
    assert positions == sorted(positions)


@pytest.mark.django_db
def test_an_admin_question_exported_into_the_bank_becomes_a_bank_question(bank, make_question, tmp_path: Path) -> None:
    bank.write("existing")
    load_bank(bank.root)
    made = make_question("written-here", topic="kv-cache", answer_md="Line one.\r\n\r\nLine two.\r\n", origin="admin",
                         key_points=["A point  "])
    QuizItem.objects.create(question=made, key="n", kind="numeric", prompt="How many?", numeric_answer=3.5,
                            tolerance=0.5, tolerance_mode="absolute", unit="GB")
    before = full_state(made)

    call_command("export_bank", "--path", str(bank.root))  # the default selection: admin-made questions
    assert (bank.root / "kv-cache/written-here.md").exists()
    report = load_bank(bank.root)

    assert report.errors == [] and report.created == []
    made.refresh_from_db()
    assert made.origin == Question.Origin.BANK and made.source_path == "kv-cache/written-here.md"
    after = full_state(made)
    # Only provenance changed: the file says what the database says (CRLF and edge spaces aside), so
    # the admin's text is kept as it was.
    assert after.pop("origin") == "bank" and after.pop("source_path") == "kv-cache/written-here.md"
    before.pop("origin"), before.pop("source_path")
    assert after == before
    written = (bank.root / "kv-cache/written-here.md").read_bytes()
    assert b"\r" not in written and written.endswith(b"---\nLine one.\n\nLine two.\n")
    assert load_bank(bank.root).unchanged == ["existing", "written-here"]


@pytest.mark.django_db
def test_an_unknown_slug_is_an_error_naming_the_option(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="--slug: no question or exercise has the slug nope"):
        call_command("export_bank", "--slug", "nope", "--path", str(tmp_path))
