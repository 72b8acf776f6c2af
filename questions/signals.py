"""Keep the search index in step with questions, whoever changes them (loader, admin, importer)."""
from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from questions import search
from questions.models import Question, Tag


@receiver(post_save, sender=Question)
def index_saved_question(sender: type[Question], instance: Question, raw: bool = False, **kwargs: Any) -> None:
    if not raw:  # fixtures load raw rows; `manage.py rebuild_search` covers them
        search.index_question(instance)


@receiver(m2m_changed, sender=Question.tags.through)
def index_retagged_question(sender: Any, instance: Any, action: str, reverse: bool, **kwargs: Any) -> None:
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if reverse:  # a tag's question set changed: re-index each affected question
        for question in Question.objects.filter(pk__in=kwargs.get("pk_set") or []):
            search.index_question(question)
    else:
        search.index_question(instance)


@receiver(post_save, sender=Tag)
def index_renamed_tag(sender: type[Tag], instance: Tag, created: bool, raw: bool = False, **kwargs: Any) -> None:
    # Both indexes copy tag slugs into each question's row, so a renamed tag re-indexes its questions.
    if not (raw or created):
        for question in instance.questions.all():
            search.index_question(question)


@receiver(post_delete, sender=Question)
def unindex_deleted_question(sender: type[Question], instance: Question, **kwargs: Any) -> None:
    search.remove_question(instance.pk)
