"""Keep the search index in step with questions, whoever changes them (loader, admin, importer)."""
from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
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
        _reindex(kwargs.get("pk_set") or [])
    else:
        search.index_question(instance)


def _reindex(question_ids: Any) -> None:
    for question in Question.objects.filter(pk__in=question_ids):
        search.index_question(question)


# Both indexes copy tag slugs into each question's row, so a renamed or deleted tag re-indexes its questions.
@receiver(post_save, sender=Tag)
def index_renamed_tag(sender: type[Tag], instance: Tag, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if not (raw or created):
        _reindex(instance.questions.values("pk"))


@receiver(pre_delete, sender=Tag)
def note_deleted_tags_questions(sender: type[Tag], instance: Tag, **kwargs: Any) -> None:
    # The tag's links go with it and send no m2m_changed; once they are gone nothing says whose row held it.
    instance._search_question_ids = list(instance.questions.values_list("pk", flat=True))


@receiver(post_delete, sender=Tag)
def index_deleted_tags_questions(sender: type[Tag], instance: Tag, **kwargs: Any) -> None:
    _reindex(getattr(instance, "_search_question_ids", []))


@receiver(post_delete, sender=Question)
def unindex_deleted_question(sender: type[Question], instance: Question, **kwargs: Any) -> None:
    search.remove_question(instance.pk)
