"""Write questions back to the bank's file format (YAML front matter + Markdown), so admin work can be committed.

The inverse of ``bank_parser.parse_bank_file``: a question exported and loaded again holds the same
fields, tags and quiz items (the round trip is tested over the whole bank). Options are written in
the order their author wrote them (``models.authored_order`` undoes the storage shuffle), so a
re-load stores them exactly where they were. ``order`` is always written: a file's position in its
folder would otherwise decide it, and an exported file lands in a different position.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from questions import lifecycle
from questions.bank_loader import TOPICS_FILE
from questions.bank_parser import FRONT_MATTER_FENCE
from questions.models import Question, Topic


@dataclass
class ExportReport:
    written: list[str] = field(default_factory=list)  # paths relative to the export folder
    notes: list[str] = field(default_factory=list)


class _BankDumper(yaml.SafeDumper):
    """Block style like the hand-written files, with multi-line text as literal blocks (``|``)."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BankDumper.add_representer(str, _text)


def front_matter(data: dict[str, Any]) -> dict[str, Any]:
    """A snapshot (``lifecycle.snapshot``) as the bank file's keys, empty optional ones left out."""
    out: dict[str, Any] = {
        "slug": data["slug"], "title": data["title"], "topic": data["topic"],
        "difficulty": data["difficulty"], "order": data["order"],
    }
    for key in ("tags", *lifecycle.LIST_FIELDS):
        if data[key]:
            out[key] = list(data[key])
    quiz = [_quiz_item(item) for item in data["quiz"]]
    if quiz:
        out["quiz"] = quiz
    return out


def _quiz_item(item: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": item["key"], "kind": item["kind"], "prompt": item["prompt"]}
    if item["choices"]:
        out["options"] = [_option(choice) for choice in item["choices"]]
    if item["numeric_answer"] is not None:
        out["answer"] = item["numeric_answer"]
    if item["tolerance"] is not None:
        out["tolerance"] = item["tolerance"]
    if item["tolerance"] is not None and item["tolerance_mode"] != "relative":  # relative is the file default
        out["tolerance_mode"] = item["tolerance_mode"]
    if item["unit"]:
        out["unit"] = item["unit"]
    if item["explanation"]:
        out["explanation"] = item["explanation"]
    return out


def _option(choice: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"text": choice["text"]}
    if choice["correct"]:
        out["correct"] = True
    if choice["explanation"]:
        out["why"] = choice["explanation"]
    return out


def question_file_text(question: Question) -> str:
    """The whole bank file for ``question``."""
    data = lifecycle.normalised(lifecycle.snapshot(question))
    yaml_text = yaml.dump(
        front_matter(data), Dumper=_BankDumper, sort_keys=False, allow_unicode=True, width=120,
        default_flow_style=False,
    )
    return f"{FRONT_MATTER_FENCE}\n{yaml_text}{FRONT_MATTER_FENCE}\n{data['answer_md']}\n"


def file_path(question: Question) -> str:
    """Where the question's file goes, relative to the bank: its own file, or ``<topic>/<slug>.md``."""
    current = Path(question.source_path) if question.origin == Question.Origin.BANK and question.source_path else None
    if current is not None and current.parent.name == question.topic.slug:
        return current.as_posix()
    return f"{question.topic.slug}/{question.slug}.md"


def topics_text(topics: Iterable[Topic]) -> str:
    entries = [{"slug": t.slug, "title": t.title, "intro": lifecycle.normalised(t.intro)} for t in topics]
    return yaml.dump(entries, Dumper=_BankDumper, sort_keys=False, allow_unicode=True, width=120)


def default_selection() -> Any:
    """What needs exporting: questions written in the admin and bank questions edited there (retired ones stay out)."""
    from django.db.models import Q

    needed = Q(origin=Question.Origin.ADMIN) | Q(origin=Question.Origin.BANK, edited_at__isnull=False)
    return Question.objects.filter(needed).exclude(status=Question.Status.RETIRED)


def export_bank(questions: Iterable[Question], root: Path) -> ExportReport:
    """Write each question's file under ``root`` (and a topics.yaml if the folder has none)."""
    root = Path(root)
    report = ExportReport()
    root.mkdir(parents=True, exist_ok=True)
    if not (root / TOPICS_FILE).exists():
        (root / TOPICS_FILE).write_text(topics_text(Topic.objects.order_by("order", "title")), encoding="utf-8")
        report.written.append(TOPICS_FILE)
    for question in questions:
        relative = file_path(question)
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(question_file_text(question), encoding="utf-8")
        report.written.append(relative)
        if question.origin == Question.Origin.BANK and question.source_path and question.source_path != relative:
            report.notes.append(f"{relative}: moved from {question.source_path} (its topic changed); delete the old file")
        if question.status != Question.Status.PUBLISHED:
            report.notes.append(f"{relative}: the question is {question.get_status_display().lower()}; load_bank publishes bank files")
    return report
