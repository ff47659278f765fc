"""Forms of the directory pages. People are chosen by email with a type-ahead (the search
endpoint suggests matching faculty as one types); without JavaScript, typing the email works."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse_lazy

from programs.forms.programs import PlainTextMixin
from programs.models import FacultyProfile


class PersonPickerField(forms.CharField):
    """An email that must belong to someone on the institution's faculty list; blank is none."""

    def __init__(self, *, queryset: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 254)
        super().__init__(**kwargs)
        self.queryset = queryset if queryset is not None else FacultyProfile.objects.all()

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.update(
            {
                "type": "search",
                "autocomplete": "off",
                "data-people-picker": "",
                "hx-get": reverse_lazy("institution:people_search"),
                "hx-trigger": "input changed delay:250ms, search",
                "hx-sync": "this:replace",
                "hx-target": "next .people-suggestions",
                "hx-swap": "innerHTML",
                "aria-autocomplete": "list",
            }
        )
        return attrs

    def clean(self, value: Any) -> FacultyProfile | None:
        value = (super().clean(value) or "").strip()
        if not value:
            return None
        # "Name <email>" as the suggestions fill it, or a bare email.
        email = value.rsplit("<", 1)[-1].rstrip(">").strip().lower()
        person = self.queryset.filter(user__email__iexact=email).select_related("user").first()
        if person is None:
            raise forms.ValidationError(
                f"Nobody on the faculty list has the email “{email}”. Type part of a name or "
                "an email and choose from the suggestions."
            )
        return person

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, FacultyProfile):
            return f"{value.display_name} <{value.user.email}>"
        return value


class DepartmentForm(PlainTextMixin, forms.Form):
    name = forms.CharField(label="Department name", max_length=160)
    head = PersonPickerField(
        label="Department head",
        help_text="Type part of a name or an email. Leave empty if there is none.",
    )


class DivisionForm(PlainTextMixin, forms.Form):
    name = forms.CharField(label="Division name", max_length=160)
    chief = PersonPickerField(
        label="Division chief",
        help_text="Type part of a name or an email. Leave empty if there is none.",
    )


class SupervisorForm(forms.Form):
    supervisor = PersonPickerField(
        label="Supervisor",
        help_text="Who this person reports to. Type part of a name or an email; leave empty "
        "for nobody.",
    )
