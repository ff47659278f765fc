"""Forms for the self-evaluation (one per step), the mentor offer and sharing.

Reflections accept any text, markup included: it is stored as typed and always shown escaped
(the issue asks for that, unlike profile fields, which refuse markup). Long answers are not cut by
the browser (`data-maxlength` instead of `maxlength`, so pasting never silently drops text); the
form refuses them with the length, and app.js shows a live count."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.utils import timezone

from programs.domain.assessment_sections import (
    SECTION_BY_SLUG,
    SECTIONS,
    Section,
    help_for,
    label_for,
)
from programs.domain.validators import too_long_message
from programs.forms.fields import LimitedTextField
from programs.forms.programs import IdsChoiceField, PlainTextMixin, SensibleDateField
from programs.models import (
    MAX_GOALS_PER_HORIZON,
    MENTOR_ROLE_HELP,
    CommunicationMode,
    FacultyProfile,
    Goal,
    GoalHorizon,
    GoalStatus,
    LocationPreference,
    Membership,
    MentorOffer,
    MentorRole,
    MentorTraining,
    NeedArea,
    NeedPriority,
    SelfAssessment,
)
from programs.services.assessments import (
    GOAL_TEXT_LIMIT,
    HORIZON_WORDS,
    TEXT_LIMITS,
    OfferData,
    max_length,
    too_many_goals_message,
)

ROLE_CHOICES = [(role.value, f"{role.label} — {MENTOR_ROLE_HELP[role]}") for role in MentorRole]
NOT_NOW = ""


def text_field(name: str, *, rows: int = 5) -> LimitedTextField:
    return LimitedTextField(
        limit=TEXT_LIMITS[name], rows=rows, label=label_for(name), help_text=help_for(name)
    )


class StepForm(forms.Form):
    """One step of the self-evaluation. `step_data()` is what `assessment_autosave` takes."""

    section: Section

    def __init__(self, *args: Any, assessment: SelfAssessment, **kwargs: Any) -> None:
        self.assessment = assessment
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for name in self.fields:
            if hasattr(assessment, name) and name not in self.initial:
                self.initial[name] = getattr(assessment, name)

    def step_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.fields}


def text_step_form(slug: str) -> type[StepForm]:
    """A step made only of reflections (sections 1, 3, 4, 7, 8 and the elevator pitch)."""
    section = SECTION_BY_SLUG[slug]
    fields = {q.field: text_field(q.field) for q in section.questions}
    return type(f"{slug.title()}StepForm", (StepForm,), {"section": section, **fields})


class WorkingStepForm(StepForm):
    section = SECTION_BY_SLUG["working"]
    motivators = text_field("motivators")
    communication_modes = forms.MultipleChoiceField(
        label=label_for("communication_modes"),
        help_text=help_for("communication_modes"),
        choices=CommunicationMode.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    deadlines = text_field("deadlines", rows=3)


class NeedsStepForm(StepForm):
    """Section 5: a priority per need area (editable data), the roles wanted, where mentors may be,
    and private notes."""

    section = SECTION_BY_SLUG["needs"]
    roles_wanted = forms.MultipleChoiceField(
        label=label_for("roles_wanted"),
        help_text=help_for("roles_wanted"),
        choices=ROLE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    location_preference = forms.ChoiceField(
        label=label_for("location_preference"),
        help_text=help_for("location_preference"),
        choices=LocationPreference.choices,
        widget=forms.RadioSelect,
    )
    needs_notes = text_field("needs_notes", rows=4)

    def __init__(self, *args: Any, areas: Iterable[NeedArea], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        chosen = {n.area_id: n.priority for n in self.assessment.needs.all()}
        # Areas an institution retired stay on a draft that already has them, so nothing is lost.
        self.areas = [a for a in areas if a.is_active or a.pk in chosen]
        need_fields = {}
        for area in self.areas:
            name = f"need_{area.pk}"
            help_text = area.description
            if area.institution_specific:
                help_text += " Best met by a mentor at your institution."
            need_fields[name] = forms.TypedChoiceField(
                label=area.name,
                help_text=help_text.strip(),
                choices=[(NOT_NOW, "Not now"), *NeedPriority.choices],
                coerce=int,
                empty_value=None,
                required=False,
            )
            self.initial[name] = chosen.get(area.pk, NOT_NOW)
        # The need areas come first, as in the tool.
        self.fields = {**need_fields, **self.fields}

    needs_label = label_for("needs")
    needs_help = help_for("needs")

    @property
    def need_fields(self) -> list[forms.BoundField]:
        return [self[f"need_{area.pk}"] for area in self.areas]

    @property
    def other_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("roles_wanted", "location_preference", "needs_notes")]

    def step_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "needs": {
                area.pk: data[f"need_{area.pk}"]
                for area in self.areas
                if data.get(f"need_{area.pk}") is not None
            },
            "roles_wanted": data["roles_wanted"],
            "location_preference": data["location_preference"],
            "needs_notes": data["needs_notes"],
        }


ROW_FIELD = re.compile(r"^(short|long)-(\d{1,2})-text$")


@dataclass(frozen=True)
class GoalRow:
    horizon: str
    index: int
    number: int
    prefix: str

    @property
    def label(self) -> str:
        return f"{HORIZON_WORDS[GoalHorizon(self.horizon)].capitalize()} goal {self.number}"


class GoalsStepForm(StepForm):
    """Section 2: up to three goals per horizon, each a row (text, target date, status) that keeps
    its lineage. Rows come from the posted data (so nothing typed is dropped, even a fourth goal
    that is refused) or, on a fresh page, from the saved goals plus one empty row to type into."""

    section = SECTION_BY_SLUG["goals"]

    def __init__(
        self,
        *args: Any,
        goals: Iterable[Goal] = (),
        add: str | None = None,
        remove: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.rows: dict[str, list[GoalRow]] = {h: [] for h in GoalHorizon.values}
        if self.is_bound:
            indices: dict[str, set[int]] = {h: set() for h in GoalHorizon.values}
            for key in self.data:
                match = ROW_FIELD.match(key)
                if match:
                    indices[match[1]].add(int(match[2]))
            for horizon, found in indices.items():
                for index in sorted(found):
                    if remove and self.data.get(f"{horizon}-{index}-lineage") == remove:
                        continue
                    self._add_row(horizon, index)
        else:
            for goal in goals:
                row = self._add_row(goal.horizon, len(self.rows[goal.horizon]))
                self.initial.update(
                    {
                        f"{row.prefix}-text": goal.text,
                        f"{row.prefix}-target_date": goal.target_date,
                        f"{row.prefix}-status": goal.status,
                        f"{row.prefix}-lineage": str(goal.lineage),
                    }
                )
            for horizon, rows in self.rows.items():
                wants_row = not rows or add == horizon
                if wants_row and len(rows) < MAX_GOALS_PER_HORIZON:
                    row = self._add_row(horizon, len(rows))
                    # A fresh lineage now, so autosaving this row twice updates one goal.
                    self.initial[f"{row.prefix}-lineage"] = str(uuid.uuid4())
                    self.initial[f"{row.prefix}-status"] = GoalStatus.NOT_STARTED
                    if add == horizon:
                        self.fields[f"{row.prefix}-text"].widget.attrs["autofocus"] = True

    def _add_row(self, horizon: str, index: int) -> GoalRow:
        row = GoalRow(horizon, index, len(self.rows[horizon]) + 1, f"{horizon}-{index}")
        self.rows[horizon].append(row)
        examples = SECTION_BY_SLUG["goals"].questions[0 if horizon == "short" else 1].help
        self.fields[f"{row.prefix}-text"] = forms.CharField(
            label=row.label,
            help_text=f"{examples} Private unless you share a version with a mentor.",
            required=False,
            widget=forms.TextInput(attrs={"data-maxlength": GOAL_TEXT_LIMIT, "data-count": "1"}),
        )
        self.fields[f"{row.prefix}-target_date"] = SensibleDateField(
            label=f"{row.label}: target date (optional)",
            help_text="When you hope to reach it.",
            required=False,
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        )
        self.fields[f"{row.prefix}-status"] = forms.ChoiceField(
            label=f"{row.label}: status",
            help_text="Where this goal stands now.",
            choices=GoalStatus.choices,
            initial=GoalStatus.NOT_STARTED,
        )
        self.fields[f"{row.prefix}-lineage"] = forms.CharField(
            required=False, widget=forms.HiddenInput
        )
        return row

    def row_fields(self, row: GoalRow) -> dict[str, forms.BoundField]:
        return {
            name: self[f"{row.prefix}-{name}"] for name in ("text", "target_date", "status")
        } | {"lineage": self[f"{row.prefix}-lineage"]}

    @property
    def horizons(self) -> list[dict[str, Any]]:
        return [
            {
                "value": horizon,
                "title": SECTION_BY_SLUG["goals"].questions[i].label,
                "words": HORIZON_WORDS[GoalHorizon(horizon)],
                "rows": [(row, self.row_fields(row)) for row in self.rows[horizon]],
            }
            for i, horizon in enumerate(GoalHorizon.values)
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for horizon, rows in self.rows.items():
            filled = 0
            for row in rows:
                text = (data.get(f"{row.prefix}-text") or "").strip()
                if not text:
                    if data.get(f"{row.prefix}-target_date"):
                        self.add_error(
                            f"{row.prefix}-text", "Write the goal, or clear its target date."
                        )
                    continue
                filled += 1
                if len(text) > GOAL_TEXT_LIMIT:
                    self.add_error(
                        f"{row.prefix}-text", too_long_message(GOAL_TEXT_LIMIT, len(text))
                    )
                if filled > MAX_GOALS_PER_HORIZON:
                    self.add_error(f"{row.prefix}-text", too_many_goals_message(horizon))
        return data

    def goal_count(self, horizon: str) -> int:
        return sum(
            1
            for row in self.rows[horizon]
            if (self.cleaned_data.get(f"{row.prefix}-text") or "").strip()
        )

    def step_data(self) -> dict[str, Any]:
        goals = []
        for horizon, rows in self.rows.items():
            for row in rows:
                goals.append(
                    {
                        "lineage": self.cleaned_data.get(f"{row.prefix}-lineage"),
                        "horizon": horizon,
                        "text": self.cleaned_data.get(f"{row.prefix}-text", ""),
                        "target_date": self.cleaned_data.get(f"{row.prefix}-target_date"),
                        "status": self.cleaned_data.get(f"{row.prefix}-status"),
                    }
                )
        return {"goals": goals}


@dataclass(frozen=True)
class Step:
    number: int
    section: Section
    form_class: type[StepForm]

    @property
    def slug(self) -> str:
        return self.section.slug

    @property
    def title(self) -> str:
        return self.section.title


FORM_CLASSES: dict[str, type[StepForm]] = {
    "goals": GoalsStepForm,
    "needs": NeedsStepForm,
    "working": WorkingStepForm,
}
STEPS: tuple[Step, ...] = tuple(
    Step(number, section, FORM_CLASSES.get(section.slug) or text_step_form(section.slug))
    for number, section in enumerate(SECTIONS, start=1)
)
STEP_BY_SLUG = {step.slug: step for step in STEPS}
REQUIRED_STEPS = tuple(step for step in STEPS if not step.section.optional)  # the tool's eight


# --- Sharing ----------------------------------------------------------------------------------


class MentorChoiceField(forms.ModelChoiceField):
    """Mentors listed with their department, to tell namesakes apart."""

    def label_from_instance(self, obj: FacultyProfile) -> str:
        return f"{obj.display_name}" + (f" — {obj.department.name}" if obj.department else "")


class ShareForm(forms.Form):
    mentor = MentorChoiceField(
        label="Share this version with",
        queryset=FacultyProfile.objects.none(),
        empty_label="Choose a mentor",
        help_text="Mentors of the programs you take part in. They will see the whole version, "
        "private reflections included, until you stop sharing.",
    )

    def __init__(self, *args: Any, mentors: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["mentor"]).queryset = mentors


# --- What mentors offer -----------------------------------------------------------------------


class MentorOfferForm(forms.ModelForm):
    roles_offered = forms.MultipleChoiceField(
        label="Mentor roles you are willing to play",
        help_text="Tobin’s seven roles. Few mentors play them all; choose the ones you are glad "
        "to take on.",
        choices=ROLE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    accepting = forms.TypedChoiceField(
        label="Are you taking new mentees?",
        help_text="Pause whenever you need to: mentees are not suggested to you while paused.",
        choices=[("yes", "Yes, I am accepting new mentees"), ("no", "Not at the moment (paused)")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    communication_modes = forms.MultipleChoiceField(
        label="Ways you like to meet and keep in touch",
        help_text="Also shown on your profile.",
        choices=CommunicationMode.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    notes = LimitedTextField(
        limit=max_length(MentorOffer, "notes"),
        rows=4,
        label="Anything else mentees should know",
        help_text="For example: how you like to work, what a first meeting looks like, "
        "or the kinds of projects you enjoy. Seen by mentees and directors of your programs.",
    )

    class Meta:
        model = MentorOffer
        fields = [
            "need_areas",
            "roles_offered",
            "accepting",
            "paused_until",
            "mentors_remotely",
            "years_mentoring",
            "prior_mentees",
            "notes",
        ]
        labels = {
            "need_areas": "Need areas you can help with",
            "paused_until": "Paused until (optional)",
            "mentors_remotely": "I am willing to mentor someone at another institution, "
            "by video or phone",
            "years_mentoring": "Years you have been mentoring",
            "prior_mentees": "Number of people you have mentored so far",
        }
        help_texts = {
            "need_areas": "The areas of the self-evaluation where mentees ask for help.",
            "paused_until": "Only if paused: the day you will take new mentees again. Leave blank "
            "to stay paused until you change it.",
            "mentors_remotely": "Faculty elsewhere, or in other time zones, look for remote "
            "mentors in fields their own institution lacks.",
            "years_mentoring": "Formal or informal mentoring both count.",
            "prior_mentees": "An estimate is fine. Mentees value a mentor’s experience with "
            "others before them.",
        }
        # Notes keep any text as typed (shown escaped), like the self-evaluation's free text.
        field_classes = {"need_areas": IdsChoiceField, "paused_until": SensibleDateField}
        widgets = {
            "need_areas": forms.CheckboxSelectMultiple,
            "paused_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "years_mentoring": forms.NumberInput(attrs={"min": 0, "max": 70}),
            "prior_mentees": forms.NumberInput(attrs={"min": 0, "max": 1000}),
        }

    def __init__(
        self,
        *args: Any,
        person: FacultyProfile,
        memberships: list[Membership],
        areas: Iterable[NeedArea],
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.memberships = memberships
        cast(forms.ModelChoiceField, self.fields["need_areas"]).queryset = NeedArea.objects.filter(
            is_active=True
        )
        cast(forms.ChoiceField, self.fields["need_areas"]).choices = [
            (a.pk, a.name) for a in areas if a.is_active
        ]
        cast(forms.IntegerField, self.fields["years_mentoring"]).min_value = 0
        cast(forms.IntegerField, self.fields["prior_mentees"]).min_value = 0
        self.initial["accepting"] = "yes" if self.instance.accepting else "no"
        self.initial.setdefault("communication_modes", person.communication_modes)
        for membership in memberships:
            name = f"capacity_{membership.pk}"
            self.fields[name] = forms.IntegerField(
                label=f"Mentees at once in {membership.program.name}",
                help_text="How many mentees you take at the same time in this program "
                "(0 to 20). The program’s directors can adjust it.",
                min_value=0,
                max_value=20,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )
            self.initial[name] = membership.mentor_capacity

    @property
    def capacity_fields(self) -> list[forms.BoundField]:
        return [self[f"capacity_{m.pk}"] for m in self.memberships]

    @property
    def offer_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if not name.startswith("capacity_")]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        paused_until = data.get("paused_until")
        if data.get("accepting") is False and paused_until and paused_until <= timezone.localdate():
            self.add_error(
                "paused_until",
                "Choose a date after today, or leave it blank to pause until you change it.",
            )
        return data

    def offer_data(self) -> OfferData:
        data = self.cleaned_data
        return OfferData(
            need_areas=list(data["need_areas"]),
            roles_offered=data["roles_offered"],
            accepting=data["accepting"],
            paused_until=data.get("paused_until"),
            mentors_remotely=data["mentors_remotely"],
            years_mentoring=data["years_mentoring"],
            prior_mentees=data["prior_mentees"],
            notes=data["notes"],
        )

    def capacities(self) -> dict[int, int]:
        return {m.pk: self.cleaned_data[f"capacity_{m.pk}"] for m in self.memberships}


class TrainingForm(PlainTextMixin, forms.ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    class Meta:
        model = MentorTraining
        fields = ["name", "completed_on"]
        labels = {"name": "Training", "completed_on": "Completed on"}
        help_texts = {
            "name": "For example: “Mentor development workshop” or “Mentoring across "
            "difference (online course)”.",
            "completed_on": "The day you finished it.",
        }
        widgets = {"completed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
