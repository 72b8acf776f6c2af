"""Template helpers for bank text: ``{{ text|markdown }}`` renders through the one sanitising renderer."""
from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from questions.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> SafeString:
    # Safe to mark: render_markdown's output has been through the nh3 allow-list.
    return mark_safe(render_markdown(text or ""))


@register.filter
def inline_markdown(text: str) -> SafeString:
    """Markdown for one-liners (key points, choices): the wrapping <p> is dropped so it sits inside a <li>."""
    html = render_markdown(text or "").strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return mark_safe(html)
