"""The form of a person's career page: recording or correcting a departure."""

from __future__ import annotations

from django import forms

from programs.forms.fields import long_text
from programs.forms.programs import PlainTextMixin
from programs.models import DepartureReason
from programs.services.careers import MAX_DEPARTURE_NOTE

REASONS = [(value, label) for value, label in DepartureReason.choices if value]


class DepartureForm(PlainTextMixin, forms.Form):
    left_on = forms.DateField(
        label="Date they left",
        help_text="The last day of their appointment, on or before today.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": "Give the date they left.",
            "invalid": "Give the date they left as a date, e.g. 2026-06-30.",
        },
    )
    reason = forms.ChoiceField(
        label="Why they left",
        choices=REASONS,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose why they left."},
    )
    note = long_text(
        label="Note (optional)",
        limit=MAX_DEPARTURE_NOTE,
        rows=3,
        required=False,
        help_text="For the record, e.g. where they went. Seen by admins and the directors of "
        "their programs, never by the person or their mentoring partners.",
    )
