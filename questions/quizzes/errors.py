"""Errors the quiz services raise; views turn them into a message (pages) or a JSON error (API).

Each carries the field it is about, so the API can answer ``{"error": ..., "field": ...}``
and the form can put the message next to the right input.
"""
from __future__ import annotations


class QuizError(Exception):
    status = 400

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def as_dict(self) -> dict[str, str]:
        return {"error": self.message, "field": self.field}


class InvalidInput(QuizError):
    """The request is malformed or out of range (400)."""


class NotFound(QuizError):
    """No such attempt, or not yours: the two are indistinguishable on purpose (404)."""

    status = 404


class AttemptClosed(QuizError):
    """The attempt is finished or past its deadline; nothing was changed (409)."""

    status = 409
