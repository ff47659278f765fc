"""The institution admin's single sign-on form: the identity provider, the email domains it
serves, the attribute map and the two-factor contexts. The service checks the IdP itself."""

from __future__ import annotations

from typing import Any

from django import forms

from programs.domain.sso import parse_domains
from programs.models import MAPPED_ATTRIBUTES, IdentityProvider, SsoProtocol

ATTRIBUTE_HINTS = {
    "email": "e.g. urn:oid:0.9.2342.19200300.100.1.3 (SAML mail) or email (OIDC)",
    "given_name": "e.g. urn:oid:2.5.4.42 or given_name",
    "family_name": "e.g. urn:oid:2.5.4.4 or family_name",
}


class IdentityProviderForm(forms.Form):
    protocol = forms.ChoiceField(
        label="Protocol", choices=SsoProtocol.choices, widget=forms.RadioSelect
    )
    display_name = forms.CharField(
        label="Name on the sign-in button",
        max_length=60,
        help_text="People see “Sign in with …” followed by this, e.g. Northbridge.",
    )
    email_domains = forms.CharField(
        label="Email domains it serves",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line, e.g. northbridge.edu. People with these addresses are sent to "
        "this identity provider.",
    )
    sso_only = forms.BooleanField(
        label="Single sign-on only: no password sign-in for these domains", required=False
    )
    is_enabled = forms.BooleanField(label="Switched on", required=False)
    saml_metadata_url = forms.URLField(
        label="IdP metadata address (SAML)",
        required=False,
        assume_scheme="https",
        max_length=500,
    )
    saml_metadata_xml = forms.CharField(
        label="…or the IdP metadata XML (SAML)",
        required=False,
        max_length=500_000,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
    )
    oidc_issuer = forms.URLField(
        label="Issuer (OpenID Connect)",
        required=False,
        assume_scheme="https",
        max_length=500,
        help_text="Its discovery document is read from <issuer>/.well-known/openid-configuration.",
    )
    oidc_client_id = forms.CharField(
        label="Client id (OpenID Connect)", required=False, max_length=200
    )
    oidc_client_secret = forms.CharField(
        label="Client secret (OpenID Connect)",
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Leave empty to keep the one already saved.",
    )
    mfa_values = forms.CharField(
        label="Authentication contexts that count as two-factor",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text="One per line: SAML AuthnContextClassRef values, OIDC acr or amr values. When "
        "the IdP asserts one of these, directors and admins are not asked for this app's "
        "own code.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A metadata file is pasted whole: no "characters left" counter (the limit still holds).
        self.fields["saml_metadata_xml"].widget.attrs.pop("maxlength", None)
        for name, label in MAPPED_ATTRIBUTES:
            self.fields[f"attr_{name}"] = forms.CharField(
                label=f"{label} attribute",
                required=False,
                max_length=200,
                help_text=ATTRIBUTE_HINTS.get(name, ""),
            )

    @staticmethod
    def initial_for(idp: IdentityProvider | None, default_name: str) -> dict[str, Any]:
        if idp is None:
            from programs.models.sso import DEFAULT_MFA_VALUES

            return {
                "protocol": SsoProtocol.SAML,
                "display_name": default_name,
                "mfa_values": "\n".join(DEFAULT_MFA_VALUES),
            }
        initial: dict[str, Any] = {
            "protocol": idp.protocol,
            "display_name": idp.display_name,
            "email_domains": "\n".join(idp.email_domains),
            "sso_only": idp.sso_only,
            "is_enabled": idp.is_enabled,
            "saml_metadata_url": idp.saml_metadata_url,
            "saml_metadata_xml": idp.saml_metadata_xml,
            "oidc_issuer": idp.oidc_issuer,
            "oidc_client_id": idp.oidc_client_id,
            "mfa_values": "\n".join(idp.mfa_values),
        }
        for name, _ in MAPPED_ATTRIBUTES:
            initial[f"attr_{name}"] = idp.attribute_map.get(name, "")
        return initial

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "protocol": data["protocol"],
            "display_name": data["display_name"],
            "is_enabled": data["is_enabled"],
            "email_domains": parse_domains(data["email_domains"]),
            "sso_only": data["sso_only"],
            "attribute_map": {n: data[f"attr_{n}"] for n, _ in MAPPED_ATTRIBUTES},
            "mfa_values": [v for v in data["mfa_values"].splitlines() if v.strip()],
            "saml_metadata_url": data["saml_metadata_url"],
            "saml_metadata_xml": data["saml_metadata_xml"],
            "oidc_issuer": data["oidc_issuer"],
            "oidc_client_id": data["oidc_client_id"],
            "oidc_client_secret": data["oidc_client_secret"],
        }
