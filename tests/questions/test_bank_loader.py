"""load_bank: idempotent, updates in place, retires deleted files, and survives malformed ones."""
from __future__ import annotations

import pytest

from questions.bank_loader import load_bank
from questions.models import Choice, Question, QuizItem, Topic

pytestmark = pytest.mark.django_db


def test_it_loads_topics_questions_tags_and_quiz_items(bank, single_item, numeric_item):
    bank.add_topic("quantization", "Quantisation", "Int8 and *int4*.")
    bank.write("kv-basics", tags=["kv-cache", "memory"], quiz=[single_item, numeric_item], key_points=["K and V"])
    report = load_bank(bank.root)
    assert report.ok and report.created == ["kv-basics"] and report.topics == 2
    question = Question.objects.get(slug="kv-basics")
    assert question.origin == Question.Origin.BANK and question.source_path == "kv-cache/kv-basics.md"
    assert sorted(question.tags.values_list("slug", flat=True)) == ["kv-cache", "memory"]
    assert question.key_points == ["K and V"]
    assert "stores K and V" in question.answer_text
    single = question.quiz_items.get(key="what-is-v")
    assert sorted((c.text, c.is_correct) for c in single.choices.all()) == [  # stored shuffled
        ("The attention output", False), ("The value projection", True)]
    numeric = question.quiz_items.get(key="bytes-7b")
    assert (numeric.numeric_answer, numeric.tolerance, numeric.unit) == (524288.0, 0.01, "bytes")
    assert list(Topic.objects.values_list("slug", "order")) == [("kv-cache", 1), ("quantization", 2)]


def test_reloading_an_unchanged_bank_changes_nothing(bank, single_item):
    bank.write("kv-basics", quiz=[single_item])
    load_bank(bank.root)
    before = Question.objects.get(slug="kv-basics")
    choice_ids = list(Choice.objects.values_list("pk", flat=True))
    report = load_bank(bank.root)
    assert (report.created, report.updated, report.unchanged, report.retired) == ([], [], ["kv-basics"], [])
    after = Question.objects.get(slug="kv-basics")
    assert after.updated_at == before.updated_at
    assert list(Choice.objects.values_list("pk", flat=True)) == choice_ids


def test_editing_a_file_updates_its_question_in_place(bank, single_item, numeric_item):
    bank.write("kv-basics", tags=["a", "b"], quiz=[single_item, numeric_item])
    load_bank(bank.root)
    original = Question.objects.get(slug="kv-basics")
    item_id = original.quiz_items.get(key="what-is-v").pk
    edited = {**single_item, "prompt": "Edited prompt", "options": [{"text": "x"}, {"text": "y", "correct": True}, {"text": "z"}]}
    bank.write("kv-basics", title="New title?", tags=["b", "c"], quiz=[edited], body="New body.\n")
    report = load_bank(bank.root)
    assert report.updated == ["kv-basics"]
    question = Question.objects.get(slug="kv-basics")
    assert question.pk == original.pk and question.title == "New title?"
    assert sorted(question.tags.values_list("slug", flat=True)) == ["b", "c"]
    item = question.quiz_items.get(key="what-is-v")
    assert item.pk == item_id and item.prompt == "Edited prompt"  # matched by id, not recreated
    # Options are stored shuffled (the author's order tends to put the answer first), so compare as sets.
    assert sorted((c.text, c.is_correct) for c in item.choices.all()) == [("x", False), ("y", True), ("z", False)]
    # the numeric item vanished from the file: deactivated, kept for quiz history
    assert QuizItem.objects.get(question=question, key="bytes-7b").is_active is False


def test_a_deleted_file_retires_its_question(bank):
    bank.write("keep")
    doomed = bank.write("doomed")
    load_bank(bank.root)
    doomed.unlink()
    report = load_bank(bank.root)
    assert report.retired == ["doomed"]
    assert Question.objects.get(slug="doomed").status == Question.Status.RETIRED  # retired, never deleted
    assert Question.objects.get(slug="keep").status == Question.Status.PUBLISHED
    bank.write("doomed")
    assert "doomed" in load_bank(bank.root).updated  # ("keep" moved to second place, so it updates too)
    assert Question.objects.get(slug="doomed").status == Question.Status.PUBLISHED


def test_a_malformed_file_is_reported_and_the_rest_still_loads(bank):
    bank.write("good")
    bank.write("was-good")
    load_bank(bank.root)
    bad = bank.write_raw("kv-cache/was-good.md", "---\nslug: was-good\ntitle: [oops\n---\nBody\n")
    bank.write("also-good")
    report = load_bank(bank.root)
    assert not report.ok
    [error] = report.errors
    assert error.startswith(f"{bad}:") and "invalid YAML" in error
    assert report.created == ["also-good"]
    # the broken file's question is untouched, not retired: a typo must not hide a question
    assert Question.objects.get(slug="was-good").status == Question.Status.PUBLISHED
    assert report.retired == []


def test_duplicate_slugs_and_unknown_folders_are_errors(bank):
    bank.write("same")
    bank.write_raw("kv-cache/zz-copy.md", (bank.root / "kv-cache" / "same.md").read_text())
    bank.write_raw("not-a-topic/x.md", "---\nslug: x\n---\n")
    report = load_bank(bank.root)
    assert report.created == ["same"]
    assert any("already used by kv-cache/same.md" in e for e in report.errors)
    assert any("not-a-topic: folder is not a topic" in e for e in report.errors)


def test_a_bank_file_cannot_take_over_an_imported_question(bank, make_question):
    make_question("taken", origin=Question.Origin.IMPORT)
    bank.write("taken")
    report = load_bank(bank.root)
    assert any("already used by a question from Imported" in e for e in report.errors)
    assert Question.objects.get(slug="taken").origin == Question.Origin.IMPORT


def test_order_defaults_to_file_name_order(bank):
    bank.write("b-second")
    bank.write("a-first")
    bank.write("c-pinned", order=1)
    load_bank(bank.root)
    assert list(Question.objects.filter(topic__slug="kv-cache").values_list("slug", flat=True)) == [
        "c-pinned", "a-first", "b-second",
    ]


def test_unknown_keys_load_with_a_warning(bank):
    bank.write("typo", tgas=["x"])
    report = load_bank(bank.root)
    assert report.ok and report.created == ["typo"]
    assert report.warnings and "'tgas'" in report.warnings[0]


def test_a_broken_topics_file_loads_nothing_and_retires_nothing(bank, make_question):
    bank.write("q1")
    load_bank(bank.root)
    bank.write_raw("topics.yaml", "- slug: [\n")
    report = load_bank(bank.root)
    assert not report.ok and "topics.yaml" in report.errors[0]
    assert Question.objects.get(slug="q1").status == Question.Status.PUBLISHED
