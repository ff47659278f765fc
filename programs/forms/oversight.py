"""Forms of the directors' and admins' oversight pages: director actions on a relationship,
roster upload, and the report period."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from programs.domain.outcomes import DEFAULT_YEARS, YEARS_CHOICES
from programs.forms.fields import long_text
from programs.forms.programs import PlainTextMixin, SensibleDateField
from programs.forms.relationships import DATE, OverridesMixin, PersonChoiceField, UniqueIdsMixin
from programs.models import ExportFormat, FacultyProfile, Institution, Program


class ReassignForm(OverridesMixin, UniqueIdsMixin, PlainTextMixin, forms.Form):
    id_prefix = "reassign"

    outgoing = PersonChoiceField(queryset=FacultyProfile.objects.none(), label="Mentor leaving")
    incoming = PersonChoiceField(
        queryset=FacultyProfile.objects.none(),
        label="New mentor",
        help_text="Mentors of this program. Anyone in a mentee's reporting line is refused.",
    )
    reason_for_directors = long_text(
        label="Note for the program directors (optional)",
        limit=3000,
        required=False,
        help_text="Only directors see this. Nobody in the relationship does.",
        rows=2,
    )

    def __init__(
        self,
        *args: Any,
        outgoing: QuerySet[FacultyProfile],
        incoming: QuerySet[FacultyProfile],
        override_choices: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if override_choices:
            self.add_overrides(override_choices)
        cast(forms.ModelChoiceField, self.fields["outgoing"]).queryset = outgoing
        cast(forms.ModelChoiceField, self.fields["incoming"]).queryset = incoming
        if outgoing.count() == 1:
            self.fields["outgoing"].initial = outgoing.first()


class ExtendPilotForm(UniqueIdsMixin, forms.Form):
    id_prefix = "pilot"

    until = SensibleDateField(label="New end of the pilot", widget=DATE)


class DirectorNoteForm(UniqueIdsMixin, PlainTextMixin, forms.Form):
    id_prefix = "note"

    held_on = SensibleDateField(label="Date of the conversation", widget=DATE)
    text = long_text(
        label="What was discussed and agreed",
        limit=5000,
        help_text="Confidential: only this program's directors read it. It is never shown to "
        "the people in the relationship or included in any export.",
        rows=4,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"held_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label="Roster file (CSV or Excel .xlsx, at most 5 MB)",
        help_text="One row per person. Columns: email, given name, family name, department, "
        "division, rank, stream, reporting line (supervisor) email, role in program, and optionally "
        "employee id and cohort.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )
    program = forms.ModelChoiceField(
        queryset=Program.objects.none(),
        required=False,
        label="Program for the “role in program” column (optional)",
        empty_label="No program: update faculty records only",
    )

    def __init__(self, *args: Any, programs: QuerySet[Program] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if programs is None:
            del self.fields["program"]
        else:
            cast(forms.ModelChoiceField, self.fields["program"]).queryset = programs


def _first_of_year() -> dt.date:
    return timezone.localdate().replace(month=1, day=1)


class ReportPeriodForm(forms.Form):
    start = SensibleDateField(label="From", widget=DATE)
    end = SensibleDateField(label="To", widget=DATE)
    # The outcomes' follow-up window: promotion within N years and retention over N years.
    years = forms.TypedChoiceField(
        label="Outcomes over",
        choices=[(n, f"{n} year{'s' if n != 1 else ''}") for n in YEARS_CHOICES],
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": "Choose a follow-up of 1 to 10 years."},
    )

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        period = {"start": _first_of_year(), "end": timezone.localdate()}
        kwargs.setdefault("initial", {**period, "years": DEFAULT_YEARS})
        if data is not None and not all(data.get(key) for key in ("start", "end")):
            # A link that only chooses the outcomes window (from the outcomes page) shows this
            # year so far, as the page's first load does, with the dates in the boxes.
            data = data.copy()
            for key in ("start", "end"):
                if not data.get(key):
                    data[key] = period[key].isoformat()
        super().__init__(data, *args, **kwargs)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The end of the period must be on or after its start.")
        if start and end and (end - start).days > 366 * 10:
            self.add_error("start", "Choose a period of at most ten years.")
        return data

    def period(self) -> tuple[dt.date, dt.date]:
        if self.is_bound and self.is_valid():
            return self.cleaned_data["start"], self.cleaned_data["end"]
        return _first_of_year(), timezone.localdate()

    def outcome_years(self) -> int:
        if self.is_bound and self.is_valid():
            return cast(int | None, self.cleaned_data["years"]) or DEFAULT_YEARS
        return DEFAULT_YEARS


class ExportForm(ReportPeriodForm):
    format = forms.ChoiceField(choices=ExportFormat.choices, widget=forms.HiddenInput)


def _institutions() -> QuerySet[Institution]:
    return Institution.objects.order_by("-is_home", "name")


class InstitutionReportForm(ReportPeriodForm):
    """The admin's report of every program: which institution (the home one first), and when."""

    institution = forms.ModelChoiceField(
        queryset=Institution.objects.none(), empty_label=None, label="Institution"
    )
    field_order = ("institution", "start", "end")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["institution"])
        field.queryset = _institutions()
        self.initial.setdefault("institution", field.queryset.first())

    def chosen_institution(self) -> Institution | None:
        if self.is_bound and self.is_valid():
            return cast(Institution, self.cleaned_data["institution"])
        return cast(Institution | None, self.initial.get("institution"))


class InstitutionExportForm(InstitutionReportForm):
    format = forms.ChoiceField(
        choices=[(f.value, f.label) for f in (ExportFormat.PDF, ExportFormat.XLSX)],
        widget=forms.HiddenInput,
    )
