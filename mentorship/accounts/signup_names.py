"""The sign-up form's extra fields: allauth builds its sign-up form on this class
(`ACCOUNT_SIGNUP_FORM_CLASS`), and the adapter gives the names to the new faculty profile. It
imports nothing of allauth's forms, which import it."""

from __future__ import annotations

from typing import Any

from django import forms

from programs.validators import validate_name


class SignupNameForm(forms.Form):
    given_name = forms.CharField(
        label="Given name",
        max_length=80,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
        validators=[validate_name],
    )
    family_name = forms.CharField(
        label="Family name",
        max_length=80,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
        validators=[validate_name],
    )

    def signup(self, request: Any, user: Any) -> None:
        """Nothing to do here: `AccountAdapter.save_user` already gave the profile the names."""
