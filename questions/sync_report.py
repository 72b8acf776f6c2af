"""What one sync of bank files into database rows did: the report shape both bank loaders share.

``load_bank`` syncs question files (``questions.bank_loader.LoadReport`` adds conflicts, warnings
and topics) and exercise folders (``questions.exercises.sync``); each names the rows it touched
by slug under the same five headings, so the command prints both the same way.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.utils.formats import date_format
from django.utils.timezone import localtime


def edited_since(when: datetime) -> str:
    """The conflict report's wording, for questions and exercises alike."""
    return f"edited in the admin since {date_format(localtime(when), 'Y-m-d H:i')}"


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    # One line per file or folder that was skipped, naming the path (and line or field) and the reason.
    errors: list[str] = field(default_factory=list)
    # "path: edited in the admin since <time>; file changed too": rows whose admin version was kept.
    conflicts: list[str] = field(default_factory=list)

    def counts(self) -> str:
        """"3 created, 1 updated, 176 unchanged, 0 retired": the part of a summary every sync has."""
        return (f"{len(self.created)} created, {len(self.updated)} updated, "
                f"{len(self.unchanged)} unchanged, {len(self.retired)} retired")

    def as_dict(self) -> dict:
        return asdict(self)
