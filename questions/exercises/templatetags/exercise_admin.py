"""Template filters of the exercise authoring page."""
from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def named(fields: Any, names: str) -> list[Any]:
    """The bound fields called ``names`` ("a,b,c"), in that order: fieldsets without a ModelAdmin."""
    by_name = {field.name: field for field in fields}
    return [by_name[name] for name in names.split(",") if name in by_name]
