"""Forms of the program's mentor training and recognition pages."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from programs.forms.programs import PlainTextMixin
from programs.models import RecognitionKind


class TrainingSessionForm(PlainTextMixin, forms.Form):
    title = forms.CharField(max_length=160, help_text="E.g. “Giving feedback that helps”.")
    held_on = forms.DateField(
        label="Date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    curriculum = forms.CharField(
        max_length=160,
        required=False,
        label="Curriculum or series",
        help_text="E.g. “Mentor development workshops”. Optional.",
    )
    hours = forms.DecimalField(
        min_value=0.5,
        max_value=40,
        decimal_places=1,
        max_digits=4,
        help_text="Length of the session in hours (0.5 to 40).",
        widget=forms.NumberInput(attrs={"step": "0.5", "min": "0.5", "max": "40"}),
    )


class AttendanceForm(forms.Form):
    attendees = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Who attended"
    )

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["attendees"]).choices = [
            (str(pk), name) for pk, name in people
        ]


class AttendanceImportForm(forms.Form):
    file = forms.FileField(
        label="Attendance sheet (CSV or Excel .xlsx)",
        help_text="One row per attendee, with a column headed “Email”.",
    )


class RecognitionForm(PlainTextMixin, forms.Form):
    person = forms.TypedChoiceField(coerce=int, label="Mentor")
    kind = forms.ChoiceField(choices=RecognitionKind.choices, widget=forms.RadioSelect)
    title = forms.CharField(max_length=160, help_text="E.g. “Dean's award for mentoring”.")
    awarded_on = forms.DateField(
        label="Date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args: Any, mentors: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["person"]).choices = [("", "Choose a mentor"), *mentors]
