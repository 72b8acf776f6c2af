"""Post an admin change form as a browser would: every field as rendered, with the test's changes on top."""
from __future__ import annotations

import json
from typing import Any

from django import forms


def _encode(field: forms.Field, value: Any) -> Any:
    if isinstance(field, forms.JSONField) and not isinstance(value, str):
        return json.dumps(value)
    if isinstance(field, forms.BooleanField):
        return "on" if value else None
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return "" if value is None else value


def _form_fields(form: forms.BaseForm) -> dict[str, Any]:
    data = {}
    for name, field in form.fields.items():
        encoded = _encode(field, form[name].value())
        if encoded is not None:
            data[form.add_prefix(name)] = encoded
    return data


def form_data(response: Any, **changes: Any) -> dict[str, Any]:
    """The POST body for the admin page ``response`` rendered (main form and inlines), plus ``changes``."""
    data = _form_fields(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(_form_fields(formset.management_form))
        # Only the forms holding saved rows: a blank extra form would be read as a new row to validate.
        data[formset.management_form.add_prefix("TOTAL_FORMS")] = str(len(formset.initial_forms))
        for form in formset.initial_forms:
            data.update(_form_fields(form))
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}
