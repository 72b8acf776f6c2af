"""What every parser returns: plain data, independent of the database.

Keeping parsers free of ORM objects lets the dry run, the admin preview and
the real import share one code path, and lets parser tests run without a DB.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from questions.parsed import ParsedQuizItem

# Each imported question carries at most one quiz item; a fixed key keeps it in place across re-imports.
IMPORT_QUIZ_KEY = "import"


@dataclass
class ParsedItem:
    """One question found in a file.

    ``number`` is the 1-based position in the file and, with the file name,
    the item's identity across re-imports. ``line``/``end_line`` bound its
    source lines so repair notes can be attached to the right item.
    """

    number: int
    title: str
    answer_md: str
    line: int
    end_line: int
    section: str = ""
    kind_tag: str = ""  # e.g. "production-challenge"; becomes a tag
    follow_ups: list[str] = field(default_factory=list)
    quiz: ParsedQuizItem | None = None  # keyed IMPORT_QUIZ_KEY
    review_notes: list[str] = field(default_factory=list)

    @property
    def needs_review(self) -> bool:
        return bool(self.review_notes)

    def content_hash(self) -> str:
        """A stable fingerprint of everything that is written to the database."""
        payload = asdict(self)
        for volatile in ("number", "line", "end_line"):
            payload.pop(volatile)
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass
class ParsedFile:
    path: str  # as given by the user; only the base name is stored
    name: str  # base name, the first half of each item's source_path
    format: str
    items: list[ParsedItem]
    warnings: list[str] = field(default_factory=list)
