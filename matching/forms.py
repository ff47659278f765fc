"""Forms of the matching pages."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError

from matching.engine.scoring import CRITERIA, DEFAULT_WEIGHTS
from matching.models import PairRuleKind, RunMode
from matching.selectors import NO_FILTERS, ShortlistFilters
from matching.services import DECLINE_DEFAULT
from programs.forms.fields import long_text
from programs.forms.programs import IdsChoiceField, PlainTextMixin
from programs.forms.relationships import OverridesMixin
from programs.models import (
    MENTEE_ROLES,
    MENTOR_ROLES,
    Cohort,
    FacultyProfile,
    Institution,
    MentoringModel,
    MentorRole,
    NeedArea,
    Program,
)

CRITERION_HELP = {
    "needs": "How many of the mentee's need areas (weighted by their priority) the mentor offers.",
    "roles": "How many of the mentor roles the mentee wants the mentor is willing to play.",
    "interests": "Shared expertise and interests.",
    "career_stage": "A mentor about half a generation ahead scores best; peers for peer mentoring.",
    "experience": "Years of mentoring, prior mentees and mentor training.",
    "communication": "Whether they like to communicate the same way.",
    "time_zone": "Overlap of working hours, when the pair would be remote.",
    "locality": "Same institution for institution-specific needs (sponsorship, promotion), and "
    "the mentee's own preference for local or remote.",
}
CRITERION_LABELS = {
    "needs": "Need areas covered",
    "roles": "Mentor roles offered",
    "interests": "Shared interests",
    "career_stage": "Career stage",
    "experience": "Mentoring experience",
    "communication": "Communication style",
    "time_zone": "Time zones",
    "locality": "Local or remote",
}
MODEL_TO_RUN = {
    MentoringModel.ONE_TO_ONE: RunMode.ONE_TO_ONE,
    MentoringModel.MOSAIC: RunMode.MOSAIC,
    MentoringModel.PEER: RunMode.PEER,
    MentoringModel.FACILITATED_GROUP: RunMode.PEER_GROUPS,
    MentoringModel.PEER_GROUP: RunMode.MASTERMIND,
}


REMOTE_CHOICES = [
    ("", "Local or remote"),
    ("local", "At my institution"),
    ("remote", "Willing to mentor remotely"),
]


class ShortlistFilterForm(forms.Form):
    """The mentee's filters over their shortlist (a GET form: the address keeps them)."""

    need_area = forms.ModelChoiceField(
        label="Need area",
        queryset=NeedArea.objects.filter(is_active=True).order_by("order", "name"),
        required=False,
        empty_label="Any need area",
    )
    role = forms.ChoiceField(
        label="Mentor role",
        choices=[("", "Any role"), *MentorRole.choices],
        required=False,
    )
    institution = forms.ModelChoiceField(
        label="Institution",
        queryset=Institution.objects.none(),
        required=False,
        empty_label="Any institution",
    )
    remote = forms.ChoiceField(label="Local or remote", choices=REMOTE_CHOICES, required=False)

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["institution"])
        field.queryset = (
            Institution.objects.filter(
                faculty__memberships__program=program, faculty__memberships__role__in=MENTOR_ROLES
            )
            .distinct()
            .order_by("name")
        )

    def filters(self) -> ShortlistFilters:
        if not self.is_valid():
            return NO_FILTERS
        data = self.cleaned_data
        return ShortlistFilters(
            need_area=data["need_area"].pk if data["need_area"] else None,
            role=data["role"] or "",
            institution=data["institution"].pk if data["institution"] else None,
            remote=data["remote"] or "",
        )


class RequestForm(PlainTextMixin, forms.Form):
    focus_area = forms.ModelChoiceField(
        label="What you would like their help with",
        queryset=NeedArea.objects.filter(is_active=True),
        required=False,
        empty_label="General mentoring",
    )
    message = long_text(
        label="Your message",
        limit=2000,
        help_text="Introduce yourself in a few lines: where you are in your career, what you hope "
        "to work on together, and how often you would like to meet. Mentors answer more readily "
        "when they know what you ask of them.",
        rows=6,
    )

    def __init__(self, *args: Any, peer: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if peer:  # both give and receive: a shared focus, and what each brings
            self.fields["focus_area"].label = "What you would like to work on together"
            cast(
                forms.ModelChoiceField, self.fields["focus_area"]
            ).empty_label = "Peer support in general"
            self.fields["message"].help_text = (
                "Introduce yourself in a few lines: where you are in your career, what you hope "
                "to work on together, what you can offer in return, and how often you would "
                "like to meet."
            )


class AnswerForm(PlainTextMixin, forms.Form):
    message = long_text(label="A note to the mentee (optional)", limit=2000, required=False, rows=4)


class DeclineForm(AnswerForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["message"].initial = DECLINE_DEFAULT
        self.fields[
            "message"
        ].help_text = "No reason is needed. This kind default is sent unless you change it."


class WeightsForm(forms.Form):
    def __init__(self, *args: Any, weights: dict[str, float], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in CRITERIA:
            self.fields[name] = forms.DecimalField(
                label=CRITERION_LABELS[name],
                min_value=0,
                max_value=10,
                decimal_places=1,
                initial=weights.get(name, DEFAULT_WEIGHTS[name]),
                help_text=f"{CRITERION_HELP[name]} Default {DEFAULT_WEIGHTS[name]:g}.",
                widget=forms.NumberInput(attrs={"step": "0.5"}),
            )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        values = [data.get(name) for name in CRITERIA]
        if all(v is not None for v in values) and not any(values):
            raise ValidationError(
                "At least one weight must be above zero, or every mentor would score the same."
            )
        return data

    def weights(self) -> dict[str, float]:
        return {name: float(self.cleaned_data[name]) for name in CRITERIA}


class RunForm(forms.Form):
    mode = forms.ChoiceField(label="How to match", widget=forms.RadioSelect)
    cohort = forms.ModelChoiceField(
        queryset=Cohort.objects.none(), required=False, empty_label="Every active mentee"
    )
    maximise_matched_first = forms.BooleanField(
        label="Match as many mentees as possible first",
        required=False,
        help_text="Otherwise the total fit is maximised, which may leave a hard-to-place mentee "
        "unmatched when matching them would lower the fit of others.",
    )
    areas = IdsChoiceField(
        label="Need areas for each mentee's board (mosaic only)",
        queryset=NeedArea.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = [MODEL_TO_RUN[m] for m in program.allowed_models if m in MODEL_TO_RUN]
        modes = [(m.value, m.label) for m in RunMode if m in allowed] or [
            (RunMode.ONE_TO_ONE.value, RunMode.ONE_TO_ONE.label)
        ]
        cast(forms.ChoiceField, self.fields["mode"]).choices = modes
        self.fields["mode"].initial = modes[0][0]
        cast(forms.ModelChoiceField, self.fields["cohort"]).queryset = Cohort.objects.filter(
            program=program
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("mode") == RunMode.MOSAIC and not data.get("areas"):
            self.add_error("areas", "Choose the need areas each board should cover (two to four).")
        return data


def _people(program: Program, roles: tuple[str, ...]) -> Any:
    return (
        FacultyProfile.objects.filter(memberships__program=program, memberships__role__in=roles)
        .select_related("user", "rank")
        .order_by("family_name", "given_name")
    )


class PairRuleForm(PlainTextMixin, forms.Form):
    mentee = forms.ModelChoiceField(queryset=FacultyProfile.objects.none())
    mentor = forms.ModelChoiceField(queryset=FacultyProfile.objects.none())
    kind = forms.ChoiceField(label="Rule", choices=PairRuleKind.choices)
    note = forms.CharField(label="Note for directors (optional)", required=False, max_length=300)

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["mentee"]).queryset = _people(
            program, MENTEE_ROLES
        )
        cast(forms.ModelChoiceField, self.fields["mentor"]).queryset = _people(
            program, MENTOR_ROLES
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("mentee") and data.get("mentee") == data.get("mentor"):
            self.add_error("mentor", "Choose someone other than the mentee.")
        return data


class ChooseMenteeForm(forms.Form):
    mentee = forms.ModelChoiceField(queryset=FacultyProfile.objects.none(), label="Mentee")

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["mentee"]).queryset = _people(
            program, MENTEE_ROLES
        )


class AssignForm(OverridesMixin, forms.Form):
    mentor = forms.ModelChoiceField(
        queryset=FacultyProfile.objects.none(), widget=forms.HiddenInput
    )
    focus_area = forms.ModelChoiceField(
        queryset=NeedArea.objects.filter(is_active=True), required=False, label="Focus need area"
    )
    roles = forms.MultipleChoiceField(
        label="Mentor roles this relationship is for",
        choices=MentorRole.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self,
        *args: Any,
        program: Program,
        override_choices: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if override_choices:
            self.add_overrides(override_choices)
        cast(forms.ModelChoiceField, self.fields["mentor"]).queryset = _people(
            program, MENTOR_ROLES
        )


class ChangeMentorForm(forms.Form):
    mentor = forms.ModelChoiceField(queryset=FacultyProfile.objects.none(), label="Another mentor")

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["mentor"]).queryset = _people(
            program, MENTOR_ROLES
        )
