"""The sign-up form's extra fields: allauth builds its sign-up form on this class
(`ACCOUNT_SIGNUP_FORM_CLASS`), and the adapter gives the names to the new faculty profile."""

from __future__ import annotations

from typing import Any

from django import forms


class SignupNameForm(forms.Form):
    given_name = forms.CharField(
        label="Given name",
        max_length=80,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    family_name = forms.CharField(
        label="Family name",
        max_length=80,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("given_name", "family_name"):
            value = (data.get(name) or "").strip()
            if any(c in value for c in "<>"):
                self.add_error(name, "Write your name without < or >.")
            data[name] = value
        return data

    def signup(self, request: Any, user: Any) -> None:
        """Nothing to do here: `AccountAdapter.save_user` already gave the profile the names."""
