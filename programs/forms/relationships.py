"""Forms for relationships, agreements, meetings and concerns.

Forms check shape and give field messages; the services re-check every domain rule and raise
ValidationError with field names, which the views attach back with `forms.apply_errors`."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from programs.forms.fields import FormMixinBase, long_text
from programs.forms.programs import IdsChoiceField, PlainTextMixin, SensibleDateField
from programs.models import (
    ChecklistArea,
    CommunicationMode,
    ConcernCategory,
    FacultyProfile,
    Goal,
    MeetingCadence,
    MenteeCommitment,
    MentorCommitment,
    MentorRole,
    NeedArea,
    Program,
    RelationshipKind,
)
from programs.validators import validate_meeting_date, validate_name

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class UniqueIdsMixin(FormMixinBase):
    """Several of these forms share a page (the meeting page has five), so each form class gets
    its own id prefix: two fields called "text" must not both be `id_text`."""

    id_prefix = "f"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: FacultyProfile) -> str:
        return obj.display_name


class PeopleChoiceField(IdsChoiceField):
    def label_from_instance(self, obj: FacultyProfile) -> str:
        department = getattr(obj.department, "name", "")
        return f"{obj.display_name} — {department}" if department else obj.display_name


class GoalChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Goal) -> str:
        return obj.text


def _roles_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label="Mentor roles this is for",
        choices=MentorRole.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tobin's seven roles: one mentor rarely covers them all.",
    )


class OverridesMixin(FormMixinBase):
    """The per-rule override boxes and the required "why", shown only next to a refusal whose
    rules may be set aside (the view passes those rules; the service decides)."""

    def add_overrides(self, choices: list[tuple[str, str]]) -> None:
        fields = self.fields
        fields["overrides"] = forms.MultipleChoiceField(
            label="Set these rules aside for this pair",
            choices=choices,
            required=False,
            widget=forms.CheckboxSelectMultiple,
            help_text="Tick each rule you deliberately set aside; it is recorded in the audit "
            "log and shown on the relationship.",
        )
        fields["override_why"] = long_text(
            label="Why (required when setting a rule aside)", limit=500, required=False, rows=2
        )

    def offer_overrides(self, choices: list[tuple[str, str]]) -> None:
        """Offer exactly these rules (keeping what was ticked and typed), or none at all."""
        fields = self.fields
        if not choices:
            fields.pop("overrides", None)
            fields.pop("override_why", None)
        elif "overrides" in fields:
            cast(forms.MultipleChoiceField, fields["overrides"]).choices = choices
        else:
            self.add_overrides(choices)

    def chosen_overrides(self) -> tuple[list[str], str]:
        data = self.cleaned_data
        return list(data.get("overrides") or []), data.get("override_why") or ""


class RelationshipForm(OverridesMixin, UniqueIdsMixin, forms.Form):
    id_prefix = "rel"

    """A director pairs people by hand (matching runs publish through the same service)."""

    kind = forms.ChoiceField(
        label="Kind of relationship", choices=RelationshipKind.choices, initial="one_to_one"
    )
    mentees = PeopleChoiceField(
        label="Mentee(s) or peers",
        queryset=FacultyProfile.objects.none(),
        help_text="One mentee for a one-to-one pair; two peers for a peer pair; three to five "
        "for a group. Hold Ctrl (⌘ on a Mac) to choose several.",
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    mentors = PeopleChoiceField(
        label="Mentor",
        queryset=FacultyProfile.objects.none(),
        required=False,
        help_text="For a one-to-one pair. Peers may also be chosen here.",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    facilitator = PersonChoiceField(
        label="Facilitator",
        queryset=FacultyProfile.objects.none(),
        required=False,
        help_text="Only for a facilitated peer group.",
    )
    focus_area = forms.ModelChoiceField(
        label="Focus", queryset=NeedArea.objects.filter(is_active=True), required=False
    )
    roles = _roles_field()
    is_remote = forms.BooleanField(
        label="They will meet mostly at a distance (video, phone)", required=False
    )
    started_on = SensibleDateField(label="Starts on", widget=DATE, initial=timezone.localdate)

    def __init__(
        self,
        *args: Any,
        mentees: Any,
        mentors: Any,
        program: Program,
        override_choices: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if override_choices:
            self.add_overrides(override_choices)
        cast(forms.ModelChoiceField, self.fields["mentees"]).queryset = mentees
        cast(forms.ModelChoiceField, self.fields["mentors"]).queryset = mentors
        cast(forms.ModelChoiceField, self.fields["facilitator"]).queryset = mentors
        allowed = set(program.allowed_models) | {"one_to_one"}
        cast(forms.ChoiceField, self.fields["kind"]).choices = [
            c for c in RelationshipKind.choices if c[0] in allowed or c[0] == "peer"
        ]


class OutsideMentorForm(UniqueIdsMixin, PlainTextMixin, forms.Form):
    id_prefix = "outside"

    program = forms.ModelChoiceField(
        label="Program", queryset=Program.objects.none(), empty_label=None
    )
    # Someone else's name and address: "off", so the browser does not offer the viewer's own.
    given_name = forms.CharField(
        label="Their given name",
        max_length=80,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        validators=[validate_name],
    )
    family_name = forms.CharField(
        label="Their family name",
        max_length=80,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        validators=[validate_name],
    )
    email = forms.EmailField(
        label="Their email address", widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    organisation = forms.CharField(
        label="Their institution",
        max_length=120,
        required=False,
        help_text="For example: Lakeside University Health, Chicago.",
    )
    focus_area = forms.ModelChoiceField(
        label="What they help you with",
        queryset=NeedArea.objects.filter(is_active=True),
        required=False,
    )
    roles = _roles_field()
    is_remote = forms.BooleanField(
        label="We meet mostly at a distance (video, phone)", required=False, initial=True
    )
    message = long_text(
        label="A note to them (optional)",
        limit=1000,
        required=False,
        help_text="Sent with your invitation.",
        rows=3,
    )

    def __init__(self, *args: Any, programs: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["program"]).queryset = programs
        if len(programs) == 1:  # nothing to choose
            self.fields["program"].widget = forms.HiddenInput()


class GoalsField(IdsChoiceField):
    """Goals listed by their words."""

    def label_from_instance(self, obj: Goal) -> str:
        return obj.text


class AgreementForm(UniqueIdsMixin, PlainTextMixin, forms.Form):
    id_prefix = "agreement"

    revision = forms.IntegerField(widget=forms.HiddenInput)
    cadence_days = forms.TypedChoiceField(
        label="How often we meet",
        choices=MeetingCadence.choices,
        coerce=int,
        help_text="Programs in the literature range from monthly to twice a year.",
    )
    modes = forms.MultipleChoiceField(
        label="How we meet",
        choices=CommunicationMode.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    mentee_commitments = forms.MultipleChoiceField(
        label="What the mentee will do",
        choices=MenteeCommitment.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    draft_notice_days = forms.IntegerField(
        label="Days of notice when sharing drafts", min_value=1, max_value=60
    )
    mentee_also = long_text(
        label="The mentee will also (optional)", limit=3000, required=False, rows=2
    )
    mentor_commitments = forms.MultipleChoiceField(
        label="What the mentor will do",
        choices=MentorCommitment.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    mentor_also = long_text(
        label="The mentor will also (optional)", limit=3000, required=False, rows=2
    )
    goals = GoalsField(
        label="Goals from the mentee's self-evaluation",
        queryset=Goal.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    other_goals = long_text(
        label="Other goals for this relationship", limit=3000, required=False, rows=3
    )
    progress_measures = long_text(
        label="How we will judge progress",
        limit=3000,
        required=False,
        help_text="For example: a grant submitted by March; two papers drafted; a teaching "
        "portfolio ready for the promotion dossier.",
        rows=3,
    )
    confidentiality = long_text(label="Confidentiality", limit=3000, required=False, rows=3)
    credit_and_authorship = long_text(
        label="How credit and authorship on joint work are decided",
        limit=3000,
        required=False,
        rows=3,
    )
    review_on = SensibleDateField(
        label="We review this agreement on",
        widget=DATE,
        help_text="A date to revisit it together and confirm or change it.",
    )

    def __init__(self, *args: Any, goals: list[Goal], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["goals"]).queryset = Goal.objects.filter(
            pk__in=[g.pk for g in goals]
        )
        if not goals:
            self.fields[
                "goals"
            ].help_text = (
                "The mentee has no submitted self-evaluation goals yet; use “Other goals”."
            )


class MeetingForm(UniqueIdsMixin, PlainTextMixin, forms.Form):
    id_prefix = "meeting"

    """Date and times are in the viewer's own time zone and stored in UTC."""

    on = forms.DateField(label="Date", widget=DATE, validators=[validate_meeting_date])
    starts = forms.TimeField(label="Starts at", widget=TIME)
    ends = forms.TimeField(label="Ends at", widget=TIME)
    mode = forms.ChoiceField(
        label="How", choices=CommunicationMode.choices, initial=CommunicationMode.IN_PERSON
    )
    location = forms.CharField(
        label="Where (optional)",
        required=False,
        max_length=200,
        help_text="A room, café or phone number.",
    )
    video_url = forms.URLField(
        label="Video link (optional)", required=False, max_length=500, assume_scheme="https"
    )
    already_held = forms.BooleanField(
        label="It already happened — log it as a past meeting", required=False
    )

    def __init__(self, *args: Any, time_zone: str, allow_past: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.time_zone = time_zone
        self.fields["on"].help_text = f"Times are in your time zone ({time_zone})."
        if not allow_past:
            del self.fields["already_held"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        on, starts, ends = data.get("on"), data.get("starts"), data.get("ends")
        if on and starts and ends:
            if ends <= starts:
                self.add_error("ends", "The meeting must end after it starts.")
            else:
                data["starts_at"] = self.aware(on, starts)
                data["duration_minutes"] = int(
                    (datetime.combine(on, ends) - datetime.combine(on, starts)).total_seconds()
                    // 60
                )
        return data

    def aware(self, on: date, at: time) -> datetime:
        return timezone.make_aware(datetime.combine(on, at), zoneinfo.ZoneInfo(self.time_zone))

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "starts_at": data["starts_at"],
            "duration_minutes": data["duration_minutes"],
            "time_zone": self.time_zone,
            "mode": data["mode"],
            "location": data.get("location", ""),
            "video_url": data.get("video_url", ""),
        }


def attach_errors(request: Any, form: forms.BaseForm, error: ValidationError) -> None:
    """Field errors go on the form; errors about the whole action ("this meeting was
    cancelled") go to the page's message area, which shows even where the form is hidden."""
    from django.contrib import messages

    from programs.forms.programs import apply_errors

    if hasattr(error, "error_dict"):
        apply_errors(form, error)
    else:
        messages.error(request, " ".join(error.messages))


SERVICE_TO_FORM_FIELD = {"starts_at": "on", "ends_at": "ends", "occurred_on": "occurred_on"}


def service_errors_for_meeting(error: ValidationError) -> ValidationError:
    """Point the service's field names (starts_at) at the form's fields (on, starts)."""
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError(
        {SERVICE_TO_FORM_FIELD.get(k, k): v for k, v in error.error_dict.items()}
    )


class CheckinForm(UniqueIdsMixin, PlainTextMixin, forms.Form):
    id_prefix = "checkin"

    occurred_on = SensibleDateField(label="When", widget=DATE, initial=timezone.localdate)
    mode = forms.ChoiceField(
        label="How you were in touch",
        choices=[
            (CommunicationMode.EMAIL, "Email exchange"),
            (CommunicationMode.MESSAGING, "Messages"),
            (CommunicationMode.PHONE, "A quick call"),
            (CommunicationMode.VIDEO, "A quick video call"),
        ],
    )
    summary = long_text(label="What you exchanged", limit=3000, rows=4)


class NotesForm(UniqueIdsMixin, PlainTextMixin, forms.Form):
    id_prefix = "notes"

    revision = forms.IntegerField(widget=forms.HiddenInput)
    text = long_text(
        label="Shared notes",
        limit=10000,
        required=False,
        help_text="Everyone in this relationship sees these; directors do not.",
        rows=8,
    )


class PrivateNoteForm(UniqueIdsMixin, PlainTextMixin, forms.Form):
    id_prefix = "private"

    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    text = long_text(
        label="My private notes",
        limit=10000,
        required=False,
        help_text="Only you can ever see these — not the other party, not the directors.",
        rows=5,
    )


class AgendaItemForm(UniqueIdsMixin, PlainTextMixin, forms.Form):
    id_prefix = "agenda"

    topic = forms.CharField(label="Topic", max_length=200)
    goal = GoalChoiceField(
        label="Linked goal (optional)", queryset=Goal.objects.none(), required=False
    )
    analysis = long_text(
        label="My thinking so far (optional)",
        limit=3000,
        required=False,
        help_text="What you have tried, options you see, what you would like advice on.",
        rows=3,
    )

    def __init__(self, *args: Any, goals: list[Goal], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["goal"]).queryset = Goal.objects.filter(
            pk__in=[g.pk for g in goals]
        )


class ActionItemForm(UniqueIdsMixin, PlainTextMixin, forms.Form):
    id_prefix = "action"

    title = forms.CharField(label="Action", max_length=200)
    owner = PersonChoiceField(
        label="Who",
        queryset=FacultyProfile.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": "Choose one of the people in this relationship."},
    )
    due_on = SensibleDateField(label="Due (optional)", widget=DATE, required=False)
    goal = GoalChoiceField(
        label="Linked goal (optional)", queryset=Goal.objects.none(), required=False
    )

    def __init__(
        self, *args: Any, members: list[FacultyProfile], goals: list[Goal], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = FacultyProfile.objects.filter(
            pk__in=[p.pk for p in members]
        )
        cast(forms.ModelChoiceField, self.fields["goal"]).queryset = Goal.objects.filter(
            pk__in=[g.pk for g in goals]
        )


class MeetingLogForm(UniqueIdsMixin, forms.Form):
    id_prefix = "log"

    checklist = forms.MultipleChoiceField(
        label="What we covered",
        choices=ChecklistArea.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    next_meeting_on = SensibleDateField(label="Next meeting (date)", widget=DATE, required=False)


class RecapForm(UniqueIdsMixin, PlainTextMixin, forms.Form):
    id_prefix = "recap"

    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    text = long_text(
        label="Recap: what we agreed",
        limit=5000,
        help_text="Reiterate and review: a few lines on what was discussed, what each of you "
        "will do and by when. The other party confirms it.",
        rows=5,
    )


class EndForm(UniqueIdsMixin, PlainTextMixin, forms.Form):
    id_prefix = "end"

    reason_for_directors = long_text(
        label="Anything the program directors should know? (optional)",
        limit=3000,
        required=False,
        help_text="Only the program directors see this. The other party never does, and you "
        "do not owe anyone a reason.",
        rows=3,
    )


class ConcernForm(UniqueIdsMixin, PlainTextMixin, forms.Form):
    id_prefix = "concern"

    category = forms.ChoiceField(
        label="What is it about?", choices=ConcernCategory.choices, widget=forms.RadioSelect
    )
    text = long_text(
        label="What happened",
        limit=5000,
        help_text="Only the program directors read this. The other party is not told, and sees "
        "no sign of it anywhere.",
        rows=6,
    )


class ConcernResolveForm(UniqueIdsMixin, PlainTextMixin, forms.Form):
    id_prefix = "resolve"

    resolution = long_text(
        label="What was done",
        limit=5000,
        help_text="The person who raised the concern sees this; the other party never does.",
        rows=4,
    )


class ConcernNoteForm(UniqueIdsMixin, PlainTextMixin, forms.Form):
    id_prefix = "cnote"

    text = long_text(
        label="Add a note", limit=5000, help_text="Seen only by the program's directors.", rows=3
    )
