"""Forms for profiles, programs, cohorts, memberships and invitations.

Forms validate shape and give field-level messages; services re-check the domain rules and raise
ValidationError with field names, which views attach back to the form (see `apply_errors`)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

from mentorship.params import id_param
from programs.forms.fields import FormMixinBase
from programs.models import (
    DEFAULTED_PROGRAM_SETTINGS,
    PROGRAM_SETTINGS,
    AcademicRank,
    AcademicStream,
    Cohort,
    CommunicationMode,
    Department,
    Division,
    FacultyProfile,
    Institution,
    Membership,
    MentoringModel,
    NeedArea,
    Program,
    Role,
)
from programs.services.people import MAX_TOPICS, topics_parse
from programs.validators import (
    available_time_zones,
    validate_email_domain,
    validate_name,
    validate_plain_text,
    validate_sensible_date,
    validate_time_zone,
    validate_year_joined,
)


def apply_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Attach a service's ValidationError to the form, on the named fields where possible."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = field if field in form.fields else None
            for e in errors:
                form.add_error(target, e)
    else:
        for message in error.messages:
            form.add_error(None, message)


class IdsChoiceField(forms.ModelMultipleChoiceField):
    """Several objects by id. Each value must be an id a database column can hold before the
    query runs: `pk__in` with a 25-digit number overflows (a 500) instead of matching nothing."""

    def _check_values(self, value: Any) -> Any:
        for pk in value or ():
            if self.to_field_name is None and id_param(str(pk)) is None:
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": str(pk)[:40]},
                )
        return super()._check_values(value)  # type: ignore[misc]


class SensibleDateField(forms.DateField):
    """A date between 1900 and ten years ahead (see `validate_sensible_date`)."""

    default_validators = [validate_sensible_date]


# A backstop for text fields declared without a length of their own.
MAX_TEXT_LENGTH = 20_000


class PlainTextMixin(FormMixinBase):
    """Refuse markup in every text field of the form, and dates out of any sensible range in
    every date field, including a model form's own (shown back as field errors)."""

    def _post_clean(self) -> None:
        for name, field in self.fields.items():
            value = self.cleaned_data.get(name)
            check = None
            if isinstance(field, forms.CharField) and not isinstance(field, forms.EmailField):
                if not isinstance(value, str):
                    continue
                check = validate_plain_text
                if field.max_length is None and len(value) > MAX_TEXT_LENGTH:
                    self.add_error(name, f"Keep this under {MAX_TEXT_LENGTH:,} characters.")
                    continue
            elif isinstance(field, forms.DateField) and value is not None:
                check = validate_sensible_date
            if check is not None:
                try:
                    check(value)
                except ValidationError as e:
                    self.add_error(name, e)
        super()._post_clean()  # type: ignore[misc]  # django-stubs does not declare this hook


class TimeZoneInput(forms.TextInput):
    template_name = "forms/widgets/time_zone.html"

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["zones"] = sorted(available_time_zones())
        context["widget"]["attrs"]["list"] = f"{context['widget']['attrs']['id']}_zones"
        return context


class ProfilePhotoForm(forms.Form):
    """The file only: what it really is and its limits are checked by services.photos."""

    photo = forms.FileField(
        label="Profile photo",
        help_text="A JPEG, PNG or WebP photo of you, up to 5 MB. We crop it square, make it "
        "smaller and remove its camera and location details. People who can see your profile "
        "see it.",
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        error_messages={"required": "Choose a photo to upload.", "empty": "The file is empty."},
    )


class ProfileForm(PlainTextMixin, forms.ModelForm):
    expertise_text = forms.CharField(
        label="Expertise areas",
        required=False,
        max_length=1000,
        help_text="What you know well, separated by commas — e.g. health services research, "
        "curriculum design, heart failure.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    interests_text = forms.CharField(
        label="Interests",
        required=False,
        max_length=1000,
        help_text="Professional and personal interests, separated by commas. Shared interests "
        "help us suggest mentors.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    communication_modes = forms.MultipleChoiceField(
        label="Preferred ways to communicate",
        choices=CommunicationMode.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    reports_to_email = forms.EmailField(
        label="Who you report to (their email)",
        required=False,
        help_text="Your direct supervisor. We never suggest a mentor who is in your reporting "
        "line, because a mentor should not hold authority over you.",
    )

    class Meta:
        model = FacultyProfile
        fields = [
            "given_name",
            "family_name",
            "pronouns",
            "department",
            "division",
            "rank",
            "stream",
            "year_joined_faculty",
            "time_zone",
            "location",
            "gender",
            "gender_self_description",
            "bio",
        ]
        labels = {
            "given_name": "Given name",
            "family_name": "Family name",
            "rank": "Academic rank",
            "stream": "Academic stream",
            "year_joined_faculty": "Year you joined the faculty",
            "time_zone": "Time zone",
            "gender": "Gender (optional)",
            "gender_self_description": "Your own description (optional)",
            "bio": "A few lines about you",
        }
        help_texts = {
            "year_joined_faculty": "Used to suggest mentors about half a generation ahead of you.",
            "time_zone": "Meeting times are shown to you in this zone. Start typing a city, "
            "e.g. America/Toronto.",
            "location": "City or campus, e.g. Toronto General Hospital.",
            "gender": "Only used, anonymously and in groups of five or more, to check that access "
            "to mentoring is fair. Nobody else sees your answer.",
            "bio": "Shown to your mentors and mentees. Plain text, up to 1,500 characters.",
        }
        widgets = {
            # The person's own name: browsers and assistive tools may fill it in (WCAG 1.3.5).
            "given_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "family_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
            "time_zone": TimeZoneInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
            "bio": forms.Textarea(attrs={"rows": 4, "maxlength": 1500}),
            "year_joined_faculty": forms.NumberInput(attrs={"inputmode": "numeric"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        profile: FacultyProfile = self.instance
        self.fields["given_name"].required = True
        self.fields["family_name"].required = True
        self.fields["year_joined_faculty"].validators.append(validate_year_joined)
        self.fields["time_zone"].validators.append(validate_time_zone)
        departments = Department.objects.select_related("institution").order_by("name")
        if profile.institution_id:
            departments = departments.filter(institution_id=profile.institution_id)
        cast(forms.ModelChoiceField, self.fields["department"]).queryset = departments
        cast(forms.ModelChoiceField, self.fields["division"]).queryset = Division.objects.filter(
            department__in=departments
        ).select_related("department")
        cast(forms.ModelChoiceField, self.fields["rank"]).queryset = AcademicRank.objects.filter(
            is_active=True
        )
        cast(
            forms.ModelChoiceField, self.fields["stream"]
        ).queryset = AcademicStream.objects.filter(is_active=True)
        if profile.pk:
            self.initial.setdefault(
                "expertise_text", ", ".join(t.name for t in profile.expertise.all())
            )
            self.initial.setdefault(
                "interests_text", ", ".join(t.name for t in profile.interests.all())
            )
            self.initial.setdefault("communication_modes", profile.communication_modes)
            if profile.reports_to is not None:
                self.initial.setdefault("reports_to_email", profile.reports_to.user.email)

    def clean_expertise_text(self) -> list[str]:
        return self._topics("expertise_text")

    def clean_interests_text(self) -> list[str]:
        return self._topics("interests_text")

    def _topics(self, name: str) -> list[str]:
        # Checked here, as typed: the mixin's own check only sees text, and this becomes a list.
        validate_plain_text(self.cleaned_data.get(name, ""))
        topics = topics_parse(self.cleaned_data.get(name, ""))
        if len(topics) > MAX_TOPICS:
            raise ValidationError(
                f"List at most {MAX_TOPICS} keywords (you entered {len(topics)})."
            )
        return topics

    def clean_reports_to_email(self) -> FacultyProfile | None:
        email = self.cleaned_data.get("reports_to_email")
        if not email:
            return None
        person = (
            FacultyProfile.objects.select_related("user").filter(user__email__iexact=email).first()
        )
        if person is None:
            raise ValidationError(
                "Nobody with this email is registered yet. Leave it blank for now, or ask your "
                "program team to add them."
            )
        if person.pk == self.instance.pk:
            raise ValidationError("You cannot report to yourself.")
        return person

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        department, division = data.get("department"), data.get("division")
        if division and department and division.department_id != department.pk:
            self.add_error("division", f"{division.name} is not a division of {department.name}.")
        if data.get("gender_self_description") and data.get("gender") != "self_described":
            data["gender"] = "self_described"
        return data

    def profile_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["communication_modes"] = self.cleaned_data["communication_modes"]
        data["reports_to"] = self.cleaned_data["reports_to_email"]
        return data


DEFAULTED_FIELDS = DEFAULTED_PROGRAM_SETTINGS


class ProgramForm(PlainTextMixin, forms.ModelForm):
    # The settings revision the page showed (not saved through the form: see program_update).
    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)
    allowed_models = forms.MultipleChoiceField(
        label="Mentoring models this program offers",
        choices=MentoringModel.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Choose at least one.",
    )

    class Meta:
        model = Program
        fields = list(PROGRAM_SETTINGS)
        labels = {
            "meeting_cadence_days": "Default meeting cadence",
            "review_cadence_months": "Relationship review every (months)",
            "pilot_length_days": "Pilot period (days)",
            "max_pending_requests": "Pending mentor requests allowed per mentee",
            "request_expiry_days": "Mentor requests expire after (days)",
            "reassessment_months": "Ask for a new self-evaluation every (months)",
            "upcoming_reminder_hours": "Meeting reminder (hours before)",
            "agenda_reminder_days": "Agenda reminder to the mentee (days before)",
            "log_reminder_days": "Log-the-meeting nudge (days after, if nobody did)",
            "checkin_grace_days": "Grace period before a check-in nudge (days)",
            "pilot_reminder_days": "Pilot-ending reminder (days before)",
            "review_risk_threshold": "Flag a relationship at risk when a review scores below",
            "review_drop_threshold": "… or when a person's score drops by at least",
            "mentor_training_hours_required": "Mentor training required before matching (hours)",
            "facilitator_rank_gap": "Group facilitators are senior to every member by (ranks)",
            "facilitator_years_gap": "… or by (years on the faculty)",
        }
        help_texts = {
            "meeting_cadence_days": "Prefilled in each pair's agreement; pairs may agree another.",
            "reassessment_months": "Leave blank not to ask.",
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.IntegerField, self.fields["review_cadence_months"]).min_value = 1
        cast(forms.IntegerField, self.fields["review_cadence_months"]).max_value = 24
        cast(forms.IntegerField, self.fields["pilot_length_days"]).min_value = 14
        cast(forms.IntegerField, self.fields["pilot_length_days"]).max_value = 365
        cast(forms.IntegerField, self.fields["max_pending_requests"]).min_value = 1
        cast(forms.IntegerField, self.fields["max_pending_requests"]).max_value = 10
        cast(forms.IntegerField, self.fields["request_expiry_days"]).min_value = 1
        cast(forms.IntegerField, self.fields["request_expiry_days"]).max_value = 90
        for name, low, high in (
            ("mentor_training_hours_required", 1, 200),
            ("upcoming_reminder_hours", 1, 168),
            ("agenda_reminder_days", 1, 14),
            ("log_reminder_days", 1, 14),
            ("checkin_grace_days", 0, 60),
            ("pilot_reminder_days", 1, 30),
            ("facilitator_rank_gap", 1, 5),
            ("facilitator_years_gap", 1, 40),
        ):
            (
                cast(forms.IntegerField, self.fields[name]).min_value,
                cast(forms.IntegerField, self.fields[name]).max_value,
            ) = low, high
        for name in DEFAULTED_FIELDS:
            self.fields[name].required = False
        risk, drop = self.fields["review_risk_threshold"], self.fields["review_drop_threshold"]
        risk.help_text = "On a 1–5 scale, whatever the instrument's own scale (5 = healthiest)."
        drop.help_text = "Compared with the same person's previous review, on the 1–5 scale."
        for name in (
            "review_cadence_months",
            "pilot_length_days",
            "max_pending_requests",
            "request_expiry_days",
            "upcoming_reminder_hours",
            "agenda_reminder_days",
            "log_reminder_days",
            "checkin_grace_days",
            "pilot_reminder_days",
            "facilitator_rank_gap",
            "facilitator_years_gap",
        ):
            field = cast(forms.IntegerField, self.fields[name])
            field.validators.append(_range_validator(field.min_value, field.max_value))  # type: ignore[arg-type]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        # Left empty (or not sent by an older form): keep the current value or the default.
        for name in DEFAULTED_FIELDS:
            if data.get(name) is None and name not in self.errors:
                data[name] = getattr(self.instance, name)
        for name, low, high in (("review_risk_threshold", 1, 5), ("review_drop_threshold", 0.5, 4)):
            value = data.get(name)
            if value is not None and not low <= value <= high:
                self.add_error(name, f"Enter a number from {low} to {high}.")
        return data


def _range_validator(low: int, high: int) -> Any:
    def validate(value: int) -> None:
        if value is not None and not low <= value <= high:
            raise ValidationError(f"Enter a number from {low} to {high}.")

    return validate


class ProgramCreateForm(ProgramForm):
    institution = forms.ModelChoiceField(
        queryset=Institution.objects.all(), empty_label=None, label="Institution"
    )

    class Meta(ProgramForm.Meta):
        fields = ["institution", *ProgramForm.Meta.fields]


class CohortForm(PlainTextMixin, forms.ModelForm):
    class Meta:
        model = Cohort
        fields = ["name", "starts_on", "ends_on"]
        labels = {"starts_on": "Starts on", "ends_on": "Ends on"}
        help_texts = {"name": "For example “2026–27 new faculty”."}
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
        }

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] <= data["starts_on"]:
            self.add_error("ends_on", "The cohort must end after it starts.")
        return data


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["role", "cohort", "mentor_capacity", "status"]
        labels = {"mentor_capacity": "Mentees at once (mentors only)"}

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["cohort"]).queryset = Cohort.objects.filter(
            program=program
        )
        self.fields["mentor_capacity"].validators.append(_range_validator(0, 20))


# Someone else's name and address: "off", so the browser does not offer the viewer's own.
SOMEONE_ELSE = forms.TextInput(attrs={"autocomplete": "off"})
SOMEONE_ELSES_EMAIL = forms.EmailInput(attrs={"autocomplete": "off"})


class AddMemberForm(PlainTextMixin, forms.Form):
    email = forms.EmailField(label="Email address", widget=SOMEONE_ELSES_EMAIL)
    given_name = forms.CharField(
        label="Given name",
        max_length=80,
        required=False,
        help_text="Needed for new people only.",
        widget=SOMEONE_ELSE,
        validators=[validate_name],
    )
    family_name = forms.CharField(
        label="Family name",
        max_length=80,
        required=False,
        widget=SOMEONE_ELSE,
        validators=[validate_name],
    )
    role = forms.ChoiceField(label="Role in the program", choices=Role.choices)
    cohort = forms.ModelChoiceField(queryset=Cohort.objects.none(), required=False)

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["cohort"]).queryset = Cohort.objects.filter(
            program=program
        )


class InviteForm(PlainTextMixin, forms.Form):
    email = forms.EmailField(label="Email address", widget=SOMEONE_ELSES_EMAIL)
    given_name = forms.CharField(
        label="Given name", max_length=80, widget=SOMEONE_ELSE, validators=[validate_name]
    )
    family_name = forms.CharField(
        label="Family name", max_length=80, widget=SOMEONE_ELSE, validators=[validate_name]
    )
    department = forms.ModelChoiceField(
        queryset=Department.objects.select_related("institution"), required=False
    )
    program = forms.ModelChoiceField(
        queryset=Program.objects.filter(is_active=True),
        required=False,
        help_text="Optional: add them to a program straight away.",
    )
    role = forms.ChoiceField(label="Role in that program", choices=Role.choices, required=False)
    message = forms.CharField(
        label="Personal message (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("program") and not data.get("role"):
            self.add_error("role", "Choose the role they will have in the program.")
        return data


class AppointDirectorForm(forms.Form):
    email = forms.EmailField(
        label="Email of the new director",
        help_text="They must already be registered; invite them first if not.",
    )

    def clean_email(self) -> FacultyProfile:
        email = self.cleaned_data["email"]
        person = (
            FacultyProfile.objects.select_related("user").filter(user__email__iexact=email).first()
        )
        if person is None:
            raise ValidationError("Nobody with this email is registered. Invite them first.")
        return person


class SetPasswordForm(forms.Form):
    password1 = forms.CharField(
        label="Choose a password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Type it again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords differ. Type the same one twice.")
        elif p1:
            try:
                password_validation.validate_password(p1, self.user)
            except ValidationError as e:
                self.add_error("password1", e)
        return data


class WelcomeForm(SetPasswordForm):
    """First sign-in from an invitation: a password, and the time zone meetings are shown in
    (prefilled from the browser's guess by static/js/time_zone_guess.js)."""

    time_zone = forms.CharField(
        label="Your time zone",
        max_length=64,
        required=False,  # left empty, the zone stays as it was
        validators=[validate_time_zone],
        help_text="Meeting times are shown to you in this zone. We suggest the one your browser "
        "uses; start typing a city to change it, e.g. America/Toronto.",
        widget=TimeZoneInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        current = getattr(getattr(user, "profile", None), "time_zone", "") or "UTC"
        self.fields["time_zone"].initial = current
        # The browser's guess replaces only this default, never what the person typed.
        self.fields["time_zone"].widget.attrs["data-guess-time-zone"] = current


REFERENCE_KINDS: dict[str, tuple[type[forms.ModelForm], str, str]] = {}


class ReferenceRowForm(PlainTextMixin, forms.ModelForm):
    """One row of an institution's reference list (a rank, a stream, a need area)."""


def _reference_form(model: type, fields: list[str]) -> type[forms.ModelForm]:
    return forms.modelform_factory(model, form=ReferenceRowForm, fields=fields)


class InstitutionRowForm(ReferenceRowForm):
    email_domains_text = forms.CharField(
        label="Sign-up email domains",
        required=False,
        max_length=500,
        help_text="Comma-separated, e.g. med.example.edu. People with these addresses may sign up.",
    )

    class Meta:
        model = Institution
        fields = ["name", "short_name", "is_home"]
        labels = {"is_home": "Runs this installation"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("email_domains_text", ", ".join(self.instance.email_domains or []))

    def clean_email_domains_text(self) -> list[str]:
        domains = [
            d.strip().lower().lstrip("@")
            for d in self.cleaned_data["email_domains_text"].split(",")
        ]
        domains = [d for d in domains if d]
        for domain in domains:
            try:
                validate_email_domain(domain)
            except ValidationError as e:
                raise ValidationError(e.messages[0]) from None
        return domains

    def save(self, commit: bool = True) -> Institution:
        self.instance.email_domains = self.cleaned_data["email_domains_text"]
        return super().save(commit=commit)


REFERENCE_KINDS.update(
    {
        "institutions": (
            InstitutionRowForm,
            "Institutions",
            "Your institution and its partners (where outside mentors work).",
        ),
        "ranks": (
            _reference_form(AcademicRank, ["name", "order", "is_active"]),
            "Academic ranks",
            "Ordered from the most junior (1) to the most senior; matching uses the order.",
        ),
        "streams": (
            _reference_form(AcademicStream, ["name", "order", "is_active"]),
            "Academic streams",
            "The career streams faculty belong to.",
        ),
        "need-areas": (
            _reference_form(
                NeedArea,
                ["name", "slug", "description", "institution_specific", "order", "is_active"],
            ),
            "Mentoring need areas",
            "The areas mentees choose in the self-evaluation and mentors offer. Mark areas that "
            "need someone who knows this institution (sponsorship, promotion) as institution-specific.",
        ),
    }
)
