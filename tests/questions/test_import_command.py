"""manage.py import_questions: what lands in the database, idempotence, --json, all-or-nothing."""
from __future__ import annotations

import json
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from questions.importers import writer
from questions.models import Question, QuizItem, Topic

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "import"
ALL = ["markdown_qa.md", "quiz_answers.md", "numbered.txt", "labelled.txt", "questions.gift", "questions_aiken.txt"]
EXPECTED = {"markdown_qa.md": 5, "quiz_answers.md": 3, "numbered.txt": 4, "labelled.txt": 2,
            "questions.gift": 10, "questions_aiken.txt": 3}


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_questions", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def run_json(*args: str) -> dict:
    return json.loads(run(*args, "--json"))


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """Copies of the fixtures, so a test may edit one."""
    copies = {}
    for name in ALL:
        copies[name] = tmp_path / name
        shutil.copy(FIXTURES / name, copies[name])
    return copies


def test_it_imports_every_format(files: dict[str, Path]) -> None:
    report = run_json(*map(str, files.values()))
    assert {Path(f["path"]).name: f["questions"] for f in report["files"]} == EXPECTED
    assert report["total"] == sum(EXPECTED.values()) == Question.objects.count()
    assert set(Question.objects.values_list("origin", flat=True)) == {"import"}


def test_json_has_the_documented_shape(files: dict[str, Path]) -> None:
    report = run_json(str(files["numbered.txt"]), "--dry-run")
    assert set(report) >= {"files", "total"}
    (entry,) = report["files"]
    assert {"path", "format", "questions", "warnings"} <= set(entry)
    assert entry["format"] == "numbered-text" and entry["questions"] == 4 == report["total"]
    assert isinstance(entry["warnings"], list) and entry["warnings"]


def test_imported_questions_carry_their_source(files: dict[str, Path]) -> None:
    run(str(files["markdown_qa.md"]))
    question = Question.objects.get(source_path="markdown_qa.md#2")
    assert question.topic.slug == "imported"
    assert question.title == "What does a paged KV cache fix?"
    assert question.follow_ups == ["How big should one block be?"]
    assert question.order == 2 and question.status == Question.Status.DRAFT and not question.needs_review
    challenge = Question.objects.get(source_path="markdown_qa.md#4")
    assert set(challenge.tags.values_list("slug", flat=True)) == {
        "imported", "week-3-serving-notes", "production-challenge"}
    fenced = Question.objects.get(source_path="markdown_qa.md#1")
    assert "```python" in fenced.answer_md


def test_quiz_items_and_choices_are_created_from_gift(files: dict[str, Path]) -> None:
    run(str(files["questions.gift"]))
    first = QuizItem.objects.get(question__source_path="questions.gift#1")
    assert first.kind == "single"
    assert sorted((c.text, c.is_correct) for c in first.choices.all()) == [  # stored shuffled
        ("Its attention output", False), ("Its key and value projections", True), ("Its logits", False)]
    numeric = QuizItem.objects.get(question__source_path="questions.gift#3")
    assert (numeric.kind, numeric.numeric_answer, numeric.tolerance, numeric.tolerance_mode) == (
        "numeric", 32.0, 0.5, "absolute")
    assert not QuizItem.objects.filter(question__source_path="questions.gift#8").exists()  # short answer
    essay = Question.objects.get(source_path="questions.gift#9")
    assert essay.needs_review and "no answer text" in essay.review_notes[0]


def test_reimporting_the_same_files_changes_nothing(files: dict[str, Path]) -> None:
    run(*map(str, files.values()))
    before = {q.pk: (q.slug, q.updated_at) for q in Question.objects.all()}
    report = run_json(*map(str, files.values()))
    assert sum(f["unchanged"] for f in report["files"]) == report["total"]
    assert {q.pk: (q.slug, q.updated_at) for q in Question.objects.all()} == before
    assert QuizItem.objects.count() == 8 + 3  # GIFT items with a quiz + Aiken


def test_an_edited_item_updates_in_place(files: dict[str, Path]) -> None:
    run(str(files["numbered.txt"]))
    original = Question.objects.get(source_path="numbered.txt#1")
    path = files["numbered.txt"]
    path.write_text(path.read_text().replace("reused by every sequence", "shared by every sequence"))
    report = run_json(str(path))
    assert (report["files"][0]["updated"], report["files"][0]["unchanged"]) == (1, 3)
    edited = Question.objects.get(pk=original.pk)
    assert edited.slug == original.slug and "shared by every sequence" in edited.answer_md
    assert Question.objects.count() == 4


def test_the_same_file_from_another_folder_is_the_same_import(files: dict[str, Path], tmp_path: Path) -> None:
    run(str(files["labelled.txt"]))
    elsewhere = tmp_path / "other" / "labelled.txt"
    elsewhere.parent.mkdir()
    shutil.copy(files["labelled.txt"], elsewhere)
    run(str(elsewhere))
    assert Question.objects.count() == 2


def test_topic_option_creates_the_topic(files: dict[str, Path]) -> None:
    run(str(files["questions_aiken.txt"]), "--topic", "Serving Systems")
    topic = Topic.objects.get(slug="serving-systems")
    assert topic.title == "Serving Systems"
    assert set(Question.objects.values_list("topic__slug", flat=True)) == {"serving-systems"}


def test_topic_without_letters_is_refused() -> None:
    with pytest.raises(CommandError, match="topic: '!!!' has no letters or digits"):
        run(str(FIXTURES / "labelled.txt"), "--topic", "!!!")


def test_dry_run_writes_nothing(files: dict[str, Path]) -> None:
    output = run(*map(str, files.values()), "--dry-run")
    assert "would import 27 questions from 6 files" in output
    assert Question.objects.count() == 0 and Topic.objects.count() == 0


def test_a_bad_file_imports_nothing_and_names_file_and_line(files: dict[str, Path], tmp_path: Path) -> None:
    bad = tmp_path / "broken.gift"
    bad.write_text("::one:: fine? {=yes ~no}\n\n::two:: broken? {=yes ~no\n", encoding="utf-8")
    with pytest.raises(CommandError) as err:
        run(str(files["numbered.txt"]), str(bad), str(tmp_path / "missing.md"))
    message = str(err.value)
    assert "nothing was imported" in message
    assert f"{bad}, line 3: an answer block" in message
    assert "missing.md: cannot be read" in message
    assert Question.objects.count() == 0


def test_a_failure_while_writing_rolls_back_the_whole_run(files: dict[str, Path], monkeypatch) -> None:
    real = writer._save_item

    def fail_on_aiken(parsed, item, topic):
        if parsed.name == "questions_aiken.txt":
            raise RuntimeError("disk full")
        return real(parsed, item, topic)

    monkeypatch.setattr(writer, "_save_item", fail_on_aiken)
    with pytest.raises(RuntimeError):
        run(str(files["numbered.txt"]), str(files["questions_aiken.txt"]))
    assert Question.objects.count() == 0 and Topic.objects.count() == 0
