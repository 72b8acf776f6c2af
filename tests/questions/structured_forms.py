"""POST bodies for the structured question form: lists as lines, quiz items with their option rows."""
from __future__ import annotations

from typing import Any

from django.urls import reverse

from tests.questions.question_admin_forms import form_data

PREFIX = "quiz_items"


def quiz_item(key: str, kind: str, prompt: str, options: list[tuple[str, bool, str]] = (), **fields: Any) -> dict:
    item = {"key": key, "kind": kind, "prompt": prompt, "explanation": "", "order": "0", "is_active": "on",
            "numeric_answer": "", "tolerance": "", "tolerance_mode": "relative", "unit": ""}
    for number, (text, correct, why) in enumerate(options, start=1):
        item[f"option_{number}_text"] = text
        item[f"option_{number}_why"] = why
        if correct:
            item[f"option_{number}_correct"] = "on"
    item.update({k: str(v) for k, v in fields.items()})
    return item


def with_items(data: dict, items: list[dict], initial: int = 0) -> dict:
    """``data`` with ``items`` as the inline's forms after its ``initial`` saved ones."""
    data = dict(data)
    for n, item in enumerate(items, start=initial):
        data.update({f"{PREFIX}-{n}-{name}": value for name, value in item.items()})
    data[f"{PREFIX}-TOTAL_FORMS"] = str(initial + len(items))
    return data


def new_question(client: Any, topic_pk: int, items: list[dict] = (), **changes: Any) -> dict:
    """The add form's body as a browser would post it, for a new question with ``items``."""
    page = client.get(reverse("admin:questions_question_add"))
    data = form_data(page, title="How big is the KV cache?", slug="kv-size", topic=str(topic_pk), status="draft",
                     answer_md="It is **2 × layers × heads × dim** per token.")
    for empty_multiple in ("tags", "demos"):  # an unticked multiple choice posts nothing, not ""
        if data.get(empty_multiple) == "":
            del data[empty_multiple]
    data.update(changes)
    return with_items(data, list(items))
