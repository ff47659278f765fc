"""Asking to join a program, and a director's answer."""

from __future__ import annotations

from django import forms

from programs.forms.fields import long_text
from programs.forms.programs import PlainTextMixin
from programs.models import Role

JOIN_ROLE_CHOICES = [(r, label) for r, label in Role.choices if r != Role.DIRECTOR]


class JoinRequestForm(PlainTextMixin, forms.Form):
    message = long_text(
        label="A note for the program's directors (optional)",
        limit=1000,
        required=False,
        help_text="For example whether you hope to be mentored, to mentor, or both, and what "
        "you hope for. Only the program's directors read it.",
        rows=4,
    )


class JoinAnswerForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("decline", "Decline")])
    role = forms.ChoiceField(choices=JOIN_ROLE_CHOICES, required=False, initial=Role.MENTEE)


class CircleJoinForm(PlainTextMixin, forms.Form):
    message = forms.CharField(
        label="A note for the circle's facilitator (optional)",
        required=False,
        max_length=1000,
        help_text="For example what you hope to work on with the circle. The facilitator and "
        "the program's directors read it.",
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 1000}),
    )


class CircleAnswerForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("decline", "Decline")])
