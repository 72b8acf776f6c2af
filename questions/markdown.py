"""Markdown → safe HTML for answers, quiz prompts, topic intros and the admin preview.

One renderer serves every place that shows bank text, so a question looks the
same in the admin preview as on the site. The pipeline is:

1. Python-Markdown with pymdownx: fenced code (SuperFences), tables, and math.
   ``$…$`` / ``$$…$$`` are found with Arithmatex's patterns and converted to
   MathML server-side by latex2mathml, so pages need no JavaScript math library
   and no CDN.
2. Pygments highlights code with CSS classes (the colours live in
   static/css/pygments.css, light and dark).
3. ``python run`` fences become ``<div class="runnable-code" data-runnable="python">``
   around the highlighted ``<pre>``; static/js/sandbox.js turns them into an
   editor with a Run button.
4. nh3 sanitises the result against an allow-list. Bank files and admin text
   are trusted *authors* but not trusted *HTML*: a pasted ``<script>``, an
   ``onerror=`` or a ``javascript:`` link must never reach a reader's browser.

Rendering is pure and deterministic, so results are cached by the hash of the
source text.
"""
from __future__ import annotations

import hashlib
import html
import re
from functools import lru_cache
from typing import Any
from xml.etree import ElementTree as etree

import latex2mathml.converter
import markdown
import nh3
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.preprocessors import Preprocessor
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer
from pymdownx import arithmatex

RUNNABLE_LANGUAGE = "python"

_MATHML_TAGS = {
    "math", "semantics", "annotation", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "mfrac", "msqrt",
    "mroot", "msub", "msup", "msubsup", "munder", "mover", "munderover", "mtable", "mtr", "mtd", "mstyle",
    "mpadded", "mphantom", "menclose", "merror", "mmultiscripts", "mprescripts", "none",
}
_MATHML_ATTRIBUTES = {
    "xmlns", "display", "mathvariant", "stretchy", "fence", "separator", "lspace", "rspace", "accent",
    "accentunder", "columnalign", "rowalign", "columnspacing", "rowspacing", "columnlines", "rowlines", "width",
    "height", "depth", "linethickness", "notation", "minsize", "maxsize", "movablelimits", "form", "largeop",
    "symmetric", "displaystyle", "scriptlevel", "encoding",
}
_HTML_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "u", "s", "del", "ins",
    "sub", "sup", "mark", "small", "code", "pre", "kbd", "samp", "var", "blockquote", "ul", "ol", "li", "dl", "dt",
    "dd", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "a", "img", "span", "div", "abbr",
    "details", "summary", "figure", "figcaption",
}
_ALLOWED_TAGS = _HTML_TAGS | _MATHML_TAGS
# `class` carries Pygments token classes and the runnable-code contract; `style` is never allowed
# (CSS can exfiltrate and overlay content), nor is any on* handler.
_ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"class", "title", "lang"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "th": {"align", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
    "ol": {"start"},
    "div": {"data-runnable"},
    "code": {"data-lang"},
    **{tag: set(_MATHML_ATTRIBUTES) for tag in _MATHML_TAGS},
}
_URL_SCHEMES = {"http", "https", "mailto"}


def latex_to_mathml(tex: str, *, display: bool) -> str:
    """MathML for one formula; a formula latex2mathml cannot parse is shown as code, not as an error page."""
    try:
        return latex2mathml.converter.convert(tex.strip(), display="block" if display else "inline")
    except Exception:  # latex2mathml raises many unrelated types for bad input; all mean "can't parse".
        return f'<code class="math-error" title="Could not render this formula">{html.escape(tex)}</code>'


class _InlineMath(InlineProcessor):
    """``$x$`` (Arithmatex's "smart dollar" pattern: prices like $5 and $10 stay text) → inline MathML."""

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[Any, int, int]:  # noqa: N802 (Markdown API)
        groups = m.groups()
        escapes = groups[0] or (groups[3] if len(groups) > 3 else None)
        if escapes:
            return escapes.replace("\\\\", "\\"), m.start(0), m.end(0)
        tex = groups[2] or (groups[5] if len(groups) > 5 else "")
        return self.md.htmlStash.store(latex_to_mathml(tex, display=False)), m.start(0), m.end(0)


class _BlockMath(arithmatex.BlockArithmatexProcessor):
    """A paragraph that is only ``$$…$$`` (or ``\\[…\\]``, ``\\begin{…}``) → display MathML."""

    def run(self, parent: etree.Element, blocks: list[str]) -> bool:
        blocks.pop(0)
        groups = self.match.groupdict() if self.match else {}
        tex = groups.get("math") or groups.get("math2") or groups.get("math3") or ""
        wrapper = etree.SubElement(parent, "div", {"class": "math-display"})
        wrapper.text = self.parser.md.htmlStash.store(latex_to_mathml(tex, display=True))
        return True


class MathMLExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown API)
        md.registerExtension(self)
        md.ESCAPED_CHARS.append("$")
        inline = _InlineMath(f"(?:{arithmatex.RE_SMART_DOLLAR_INLINE}|{arithmatex.RE_BRACKET_INLINE})", md)
        md.inlinePatterns.register(inline, "math-inline", 189.9)
        block_pattern = "|".join([arithmatex.RE_DOLLAR_BLOCK, arithmatex.RE_BRACKET_BLOCK, arithmatex.RE_TEX_BLOCK])
        md.parser.blockprocessors.register(_BlockMath(rf"(?s)^(?:{block_pattern})[ ]*$", {}, md), "math-block", 79.9)


# A line that starts a list: a bullet, or "1." / "1)" (only 1, as in CommonMark, so that a wrapped line
# beginning "2024." stays text); then a line inside a list, which later items may start with any number.
_LIST_START = re.compile(r"^ {0,3}(?:[-*+]|1[.)])[ \t]+\S")
_LIST_ITEM = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])[ \t]+\S")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


class _ListsAfterParagraphs(Preprocessor):
    """Let a list start on the line after a paragraph, as CommonMark and GitHub do.

    Python-Markdown only starts a list after a blank line, so an author's ``**How.**`` followed by
    ``- first point`` came out as one paragraph with the dashes inline (36 of the bank's 180 answers
    did). A blank line is inserted before such a list's first item; lines inside a list, indented
    lines and fenced code are left alone.
    """

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        fence = ""  # the open fence's marker, while inside fenced code
        block_has_list = False  # the lines since the last blank one include a list item
        for line in lines:
            opener = _FENCE.match(line)
            if fence:
                if opener and opener.group(1).startswith(fence):
                    fence = ""
            elif opener:
                fence = opener.group(1)
            elif not line.strip():
                block_has_list = False
            elif _LIST_ITEM.match(line):
                previous = out[-1] if out else ""
                if not block_has_list and _LIST_START.match(line) and previous.strip() and not previous[:1].isspace():
                    out.append("")
                block_has_list = True
            out.append(line)
        return out


class ListsAfterParagraphsExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown API)
        # After whitespace normalisation (30), before SuperFences stashes fenced code (25) and HTML blocks (20).
        md.preprocessors.register(_ListsAfterParagraphs(md), "lists-after-paragraphs", 27)


def _runnable_validator(language: str, inputs: dict[str, str], options: dict, attrs: dict, md: Any) -> bool:
    # ```python run``` is runnable; a plain ```python``` fence falls through to ordinary highlighting.
    if "run" not in inputs:
        return False
    return all(key == "run" for key in inputs)


def _runnable_formatter(src: str, language: str, class_name: str, options: dict, md: Any, **kwargs: Any) -> str:
    code = highlight(src, PythonLexer(), HtmlFormatter(cssclass="highlight", wrapcode=True))
    return f'<div class="runnable-code" data-runnable="{RUNNABLE_LANGUAGE}">{code}</div>'


def _new_markdown() -> markdown.Markdown:
    return markdown.Markdown(
        extensions=["tables", "sane_lists", "pymdownx.highlight", "pymdownx.superfences", MathMLExtension(),
                    ListsAfterParagraphsExtension()],
        extension_configs={
            "pymdownx.highlight": {"use_pygments": True, "css_class": "highlight", "guess_lang": False},
            "pymdownx.superfences": {
                "custom_fences": [
                    {
                        "name": RUNNABLE_LANGUAGE,
                        "class": "runnable-code",
                        "format": _runnable_formatter,
                        "validator": _runnable_validator,
                    }
                ]
            },
        },
        output_format="html",
    )


def sanitize_html(unsafe_html: str) -> str:
    """The allow-list filter every rendered fragment passes through before it is marked safe."""
    return nh3.clean(
        unsafe_html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def render_markdown(text: str) -> str:
    """Sanitised HTML for ``text``; identical input is rendered once per process."""
    if not text:
        return ""
    return _render_cached(content_hash(text), text)


@lru_cache(maxsize=2048)
def _render_cached(digest: str, text: str) -> str:
    # The digest is the cache key's identity; `text` rides along so a miss can render. The Markdown
    # object keeps per-document state, so each render gets a fresh one (they are cheap to build).
    return sanitize_html(_new_markdown().convert(text))


# Block-level tags separate words; inline tags (Pygments' token spans, <strong>) must not split them.
_BLOCK_TAG_RE = re.compile(r"</?(?:p|div|li|h[1-6]|tr|td|th|pre|br|hr|table|ul|ol|dl|dt|dd|blockquote)\b[^>]*>")
_TAG_RE = re.compile(r"<[^>]+>")
_SPACE_RE = re.compile(r"\s+")
# Every code block, runnable or not, renders as a <pre> (inside Pygments' <div class="highlight">).
_CODE_BLOCK_RE = re.compile(r"<pre\b.*?</pre>", re.DOTALL)
_DISPLAY_MATH_RE = re.compile(r"<math\b[^>]*display=\"block\".*?</math>", re.DOTALL)
_INLINE_MATH_RE = re.compile(r"<math\b.*?</math>", re.DOTALL)
# "$$…$$" glued to the next line of text is not a math block to Arithmatex and stays raw TeX.
_RAW_DISPLAY_MATH_RE = re.compile(r"\$\$.+?\$\$", re.DOTALL)
# Removing a block can leave "the cost <formula> ." behind; punctuation belongs to the word before it.
_SPACE_BEFORE_PUNCTUATION_RE = re.compile(r"\s+([.,;:!?])(?=\s|$)")
# Stands for one inline formula in plain text (a private-use character: no text contains it, and
# neither database's tokenizer makes a word of it). Search snippets put the rendered formula back.
FORMULA_MARK = "\ue002"


# Where a display formula was: a sentence that led into it ("The size is") reads as cut, not as
# running on into the next one ("The size is It is linear").
DISPLAY_FORMULA_GAP = " … "


def _prose_html(text: str) -> str:
    """The rendered document without code blocks and display formulas (see markdown_to_text)."""
    rendered = _CODE_BLOCK_RE.sub(" ", render_markdown(text))
    return _DISPLAY_MATH_RE.sub(DISPLAY_FORMULA_GAP, rendered)


def markdown_to_text(text: str) -> str:
    """Plain prose of a Markdown document, for search indexing, excerpts and snippets.

    Code blocks and display formulas are left out: a search snippet cut from
    ``def f(x): return x`` or a spelled-out matrix tells a reader nothing, and their
    identifiers would crowd prose out of the index. Inline ``code`` stays, since it
    names things in a sentence (``top_k``). MathML would spell an inline formula one
    token per element, so each becomes one FORMULA_MARK: it indexes as nothing, and a
    snippet shows the rendered formula in its place (``inline_formulas``, same order).
    """
    rendered = _INLINE_MATH_RE.sub(f" {FORMULA_MARK} ", _prose_html(text))
    plain = html.unescape(_TAG_RE.sub("", _BLOCK_TAG_RE.sub(" ", rendered)))
    plain = _SPACE_RE.sub(" ", _RAW_DISPLAY_MATH_RE.sub(DISPLAY_FORMULA_GAP, plain)).strip()
    return _SPACE_BEFORE_PUNCTUATION_RE.sub(r"\1", plain)


def inline_formulas(text: str) -> list[str]:
    """The sanitised MathML of each inline formula, in the order of FORMULA_MARKs in markdown_to_text."""
    return _INLINE_MATH_RE.findall(_prose_html(text))
