"""Form fields every area shares."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError

from programs.domain.validators import too_long_message

# Form mixins reach `self.fields` and `cleaned_data`; to the type checker they are forms, at run
# time plain classes, so that the concrete form's own bases decide the order of its methods.
if TYPE_CHECKING:
    FormMixinBase = forms.BaseForm
else:
    FormMixinBase = object


class LimitedTextField(forms.CharField):
    """A textarea with a soft limit: over-long text is kept on the page and refused with its
    length, never truncated. A hard `maxlength` would let the browser cut a long paste
    silently, which loses what the person wrote; the live counter in app.js reads the soft one."""

    def __init__(self, *, limit: int, rows: int = 5, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": rows, "data-maxlength": limit}))
        super().__init__(**kwargs)
        self.limit = limit

    def validate(self, value: str) -> None:
        super().validate(value)
        if value and len(value) > self.limit:
            raise ValidationError(too_long_message(self.limit, len(value)), code="too_long")


def long_text(
    *, label: str, limit: int, rows: int, required: bool = True, **kwargs: Any
) -> LimitedTextField:
    """The free-text box of every form (recaps, concerns, answers, notes): one limit, one
    message, one counter."""
    return LimitedTextField(label=label, limit=limit, rows=rows, required=required, **kwargs)
