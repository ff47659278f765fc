"""allauth form overrides: sign-up is limited to institutional domains. The names sign-up asks
for are in `accounts/signup_names.py` (allauth builds its own sign-up form on that class, so it
must not import allauth's forms)."""

from __future__ import annotations

from allauth.account.forms import SignupForm
from django import forms

from mentorship.accounts.adapter import signup_domains


class InstitutionalSignupForm(SignupForm):
    """Self sign-up is limited to institutional email domains. Only sign-up: invited outside
    mentors on other domains must still be able to reset their password or add an address."""

    def clean_email(self) -> str:
        email = super().clean_email()
        from programs.selectors.sso import identity_provider_for_email

        idp = identity_provider_for_email(email)
        if idp is not None and idp.sso_only:
            raise forms.ValidationError(
                f"{idp.display_name} signs in its own people: no account to create here. Use "
                f"“Sign in with {idp.display_name}” on the sign-in page; your account is made "
                "the first time you do."
            )
        domain = email.rsplit("@", 1)[-1]
        allowed = signup_domains()
        if domain not in allowed:
            listed = ", ".join(sorted(allowed)) or "your institution's domain"
            raise forms.ValidationError(
                f"Sign-up is open to institutional addresses ({listed}). "
                "If you were invited, use the link in your invitation email instead."
            )
        return email
