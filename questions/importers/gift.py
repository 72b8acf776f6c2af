"""Moodle GIFT: ``::title:: question {=right ~wrong}`` and friends, as auto-gradable quiz items.

Supported (https://docs.moodle.org/en/GIFT_format):

* multiple choice ``{=right ~wrong#feedback}``; with ``~%50%`` weights it
  becomes a multiple-answer item (every option with a positive weight is correct);
* true/false ``{T}`` / ``{FALSE#feedback if wrong#feedback if right}``;
* numeric ``{#3.5:0.1}`` (answer:tolerance), ``{#1..5}`` (a range) and
  ``{#=3.5:0.1 =%50%3.5:1}`` (the full-credit answer is used);
* short answer ``{=one =two}`` and essay ``{}``: imported as questions
  without a quiz item (the accepted answers go into the answer text);
* missing word ``The {~a =the} cat``: the prompt gets a blank;
* ``$CATEGORY: a/b`` (the last part becomes the section), ``//`` comments,
  ``[markdown]``/``[html]``/``[plain]`` text formats, ``####`` general feedback,
  and the escapes ``\\~ \\= \\# \\{ \\} \\:``.

Matching questions (``->``) and descriptions (no answer block) are not
questions we can grade; they are skipped with a warning naming the line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from questions.importers.errors import ImportFileError
from questions.importers.items import IMPORT_QUIZ_KEY, ParsedItem
from questions.parsed import ParsedChoice, ParsedQuizItem

NAME = "gift"
DESCRIPTION = "Moodle GIFT ('::title:: question {=right ~wrong}', '{#3.5:0.1}', '{T}')"

EXACT_TOLERANCE = 1e-9
_ESCAPED = {"~": "\ue000", "=": "\ue001", "#": "\ue002", "{": "\ue003", "}": "\ue004", ":": "\ue005", "n": "\n"}
_UNESCAPE = {v: k for k, v in _ESCAPED.items() if k != "n"}
_CATEGORY = re.compile(r"^\$CATEGORY:\s*(?P<path>.+)$", re.IGNORECASE)
_TITLE = re.compile(r"^\s*::(?P<title>.*?)::\s*", re.DOTALL)
_FORMAT = re.compile(r"^\s*\[(?:html|moodle|plain|markdown)\]\s*", re.IGNORECASE)
_WEIGHT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
_ANSWER_BLOCK_START = re.compile(r"\{\s*(?:[=~#}]|(?:T|F|TRUE|FALSE)\s*[#}])")


def _escape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPED.get(m.group(1), m.group(1)), text)


def _unescape(text: str) -> str:
    return "".join(_UNESCAPE.get(c, c) for c in text).strip()


def detect(lines: list[str]) -> int:
    """One point per GIFT answer block or ``::title::``."""
    text = _escape("\n".join(line for line in lines if not line.lstrip().startswith("//")))
    return len(_ANSWER_BLOCK_START.findall(text)) + sum(1 for line in lines if _TITLE.match(line))


@dataclass
class _Answer:
    marker: str  # "=" or "~"
    text: str
    weight: float | None  # the %n% credit, if given
    feedback: str


def _split_answers(body: str) -> tuple[list[_Answer], str]:
    """The answers of one ``{…}`` block (escapes already replaced) and its general feedback."""
    general = ""
    if "####" in body:
        body, general = body.split("####", 1)
    answers: list[_Answer] = []
    for part in re.split(r"(?=[=~])", body):
        part = part.strip()
        if not part:
            continue
        marker, rest = part[0], part[1:]
        if marker not in "=~":
            raise ValueError(f"answer '{_unescape(part)[:40]}' must start with '=' (right) or '~' (wrong)")
        text, _, feedback = rest.partition("#")
        weight = None
        match = _WEIGHT.match(text)
        if match:
            weight = float(match.group(1))
            text = text[match.end():]
        answers.append(_Answer(marker, _unescape(text), weight, _unescape(feedback)))
    return answers, _unescape(general)


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a number") from None


def _numeric(body: str) -> tuple[ParsedQuizItem, str]:
    """``#3.5:0.1``, ``#1..5`` or ``#=3.5:0.1 =%50%3:1``; returns the quiz and general feedback."""
    body = body[1:]
    general = ""
    if "####" in body:
        body, general = body.split("####", 1)
    if body.lstrip().startswith("="):
        answers = [a for a in _split_answers(body)[0] if a.marker == "="]
        full = [a for a in answers if a.weight in (None, 100.0)]
        if not full:
            raise ValueError("no numeric answer with full credit")
        spec, feedback = full[0].text, full[0].feedback
    else:
        spec, _, feedback = body.partition("#")
        spec, feedback = _unescape(spec), _unescape(feedback)
    if ".." in spec:
        low, high = (_number(x.strip()) for x in spec.split("..", 1))
        if high < low:
            raise ValueError(f"range {spec} ends below its start")
        answer, tolerance = (low + high) / 2, (high - low) / 2
    else:
        value, _, tol = spec.partition(":")
        answer, tolerance = _number(value.strip()), _number(tol.strip()) if tol.strip() else 0.0
        if tolerance < 0:
            raise ValueError(f"tolerance {tol.strip()} must be zero or positive")
        if tolerance == 0:
            # GIFT allows an exact answer; our quiz items need a positive tolerance, so
            # "exact" becomes a tolerance far below any printed precision.
            tolerance = EXACT_TOLERANCE
    quiz = ParsedQuizItem(key=IMPORT_QUIZ_KEY, kind="numeric", prompt="", numeric_answer=answer, tolerance=tolerance,
                      tolerance_mode="absolute", explanation=feedback)
    return quiz, _unescape(general)


def _format_number(value: float) -> str:
    return f"{value:g}"


@dataclass
class _Block:
    text: str  # escapes replaced
    line: int  # 1-based line of its first line
    category: str


def _blocks(lines: list[str], path: str) -> list[_Block]:
    """Questions are separated by blank lines; comments go, categories are remembered."""
    blocks: list[_Block] = []
    category = ""
    current: list[str] = []
    start = 0
    depth = 0  # a blank line inside an open answer block does not end the question
    for i, line in enumerate(lines + [""]):
        if line.lstrip().startswith("//"):
            continue
        category_match = _CATEGORY.match(line.strip()) if not current else None
        if category_match:
            category = category_match.group("path").strip().strip("/").split("/")[-1]
            continue
        escaped = _escape(line)
        if not line.strip() and depth == 0:
            if current:
                blocks.append(_Block("\n".join(current), start + 1, category))
                current = []
            continue
        if not current:
            start = i
        current.append(escaped)
        depth += escaped.count("{") - escaped.count("}")
    if depth > 0:
        raise ImportFileError(path, start + 1, "an answer block '{' is never closed with '}'")
    return blocks


def _choice_quiz(answers: list[_Answer]) -> ParsedQuizItem | None:
    """Multiple choice (one or several right answers), or None for short answer."""
    if all(a.marker == "=" for a in answers):
        return None  # short answer: every "=" is an accepted text, nothing to choose from
    weighted = any(a.weight is not None for a in answers)
    if weighted:
        choices = [ParsedChoice(a.text, (a.weight or 0) > 0 or (a.marker == "=" and a.weight is None), a.feedback)
                   for a in answers]
    else:
        choices = [ParsedChoice(a.text, a.marker == "=", a.feedback) for a in answers]
    correct = sum(c.correct for c in choices)
    if correct == 0:
        raise ValueError("no right answer: mark one with '=' or give it a positive %weight%")
    if not weighted and correct > 1:
        raise ValueError("several '=' answers among '~' ones; use %weights% for a multiple-answer question")
    return ParsedQuizItem(key=IMPORT_QUIZ_KEY, kind="multiple" if weighted and correct > 1 else "single", prompt="", choices=choices)


def _answer_md(quiz: ParsedQuizItem | None, answers: list[_Answer], general: str) -> str:
    parts: list[str] = []
    if quiz is None and answers:
        parts.append("**Accepted answers:** " + ", ".join(a.text for a in answers))
    elif quiz is not None and quiz.kind == "numeric":
        tol = f" (± {_format_number(quiz.tolerance)})" if (quiz.tolerance or 0) > EXACT_TOLERANCE else ""
        parts.append(f"**Answer:** {_format_number(quiz.numeric_answer or 0.0)}{tol}")
    elif quiz is not None:
        right = [c for c in quiz.choices if c.correct]
        parts.append("**Answer:** " + "; ".join(c.text for c in right))
        parts += [c.explanation for c in right if c.explanation]
    if general:
        parts.append(general)
    return "\n\n".join(parts)


def _parse_block(block: _Block, warnings: list[str]) -> tuple[str, str, ParsedQuizItem | None, str] | None:
    """Title, prompt, quiz and answer Markdown for one question, or None to skip it."""
    text = block.text
    title = ""
    match = _TITLE.match(text)
    if match:
        title, text = _unescape(match.group("title")), text[match.end():]
    text = _FORMAT.sub("", text, count=1)
    if "{" not in text:
        warnings.append(f"line {block.line}: a description without an answer block; skipped")
        return None
    head, _, rest = text.partition("{")
    body, _, tail = rest.partition("}")
    if "{" in tail:
        raise ValueError("more than one answer block in one question")
    prompt = _unescape(head) + (" _____ " + _unescape(tail) if tail.strip() else "")
    prompt = prompt.strip()
    body_stripped = body.strip()
    answers: list[_Answer] = []
    general = ""
    if "->" in body:
        warnings.append(f"line {block.line}: matching questions are not supported; skipped")
        return None
    if not body_stripped:
        quiz = None  # essay
    elif body_stripped.startswith("#"):
        quiz, general = _numeric(body_stripped)
    elif body_stripped.split("#", 1)[0].strip().upper() in _TRUE_FALSE:
        key, *feedback = body_stripped.split("#")
        truth = _TRUE_FALSE[key.strip().upper()]
        wrong_fb = _unescape(feedback[0]) if feedback else ""
        right_fb = _unescape(feedback[1]) if len(feedback) > 1 else ""
        quiz = ParsedQuizItem(key=IMPORT_QUIZ_KEY, kind="single", prompt="", choices=[
            ParsedChoice("True", truth, right_fb if truth else wrong_fb),
            ParsedChoice("False", not truth, wrong_fb if truth else right_fb),
        ])
    else:
        answers, general = _split_answers(body)
        quiz = _choice_quiz(answers)
        if quiz is None:
            warnings.append(f"line {block.line}: short-answer question imported without an auto-graded quiz item")
    if quiz is not None:
        quiz = replace(quiz, prompt=prompt)
    return title, prompt, quiz, _answer_md(quiz, answers, general)


def parse(lines: list[str], path: str) -> tuple[list[ParsedItem], list[str]]:
    warnings: list[str] = []
    items: list[ParsedItem] = []
    for block in _blocks(lines, path):
        try:
            parsed = _parse_block(block, warnings)
        except ValueError as exc:
            raise ImportFileError(path, block.line, f"GIFT question: {exc}") from None
        if parsed is None:
            continue
        title, prompt, quiz, answer_md = parsed
        end = block.line + block.text.count("\n")
        # The question text is the title; a GIFT ::title:: is only a label, used when the text is empty.
        items.append(ParsedItem(number=len(items) + 1, title=prompt or title, answer_md=answer_md, line=block.line,
                                end_line=end, section=block.category, quiz=quiz))
    return items, warnings
