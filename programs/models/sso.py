"""An institution's identity provider: how its faculty sign in with single sign-on (SAML 2.0 or
OpenID Connect). The institution admin configures it in the app; allauth is handed one app per
enabled provider by `mentorship.accounts.social`. What the IdP asserts is mapped to the account
and faculty profile by `services.sso`."""

from __future__ import annotations

from django.db import models

from programs.models.reference import Institution

# The attributes an assertion can carry, in the order the admin's page lists them. Email is the
# only one an account cannot do without.
MAPPED_ATTRIBUTES = (
    ("email", "Email address"),
    ("given_name", "Given name"),
    ("family_name", "Family name"),
    ("department", "Department"),
    ("division", "Division"),
    ("rank", "Academic rank"),
    ("stream", "Academic stream"),
    ("employee_id", "Employee id"),
    ("supervisor_email", "Supervisor's email address"),
)

# Values that mean "this sign-in used more than one factor": the REFEDS MFA profile, Microsoft's
# claim, the SAML 2.0 classes that imply a second factor, and OIDC's `amr` (RFC 8176) values.
DEFAULT_MFA_VALUES = [
    "https://refeds.org/profile/mfa",
    "http://schemas.microsoft.com/claims/multipleauthn",
    "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract",
    "urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken",
    "mfa",
    "otp",
    "hwk",
]


class SsoProtocol(models.TextChoices):
    SAML = "saml", "SAML 2.0"
    OIDC = "oidc", "OpenID Connect"


def default_attribute_map() -> dict[str, str]:
    return {}


def default_mfa_values() -> list[str]:
    return list(DEFAULT_MFA_VALUES)


class IdentityProvider(models.Model):
    institution = models.OneToOneField(
        Institution, on_delete=models.CASCADE, related_name="identity_provider"
    )
    protocol = models.CharField(max_length=4, choices=SsoProtocol.choices)
    slug = models.SlugField(
        max_length=40,
        unique=True,
        help_text="Part of the addresses the IdP is given (e.g. northbridge).",
    )
    display_name = models.CharField(
        max_length=60, help_text='Shown on the sign-in button: "Sign in with …".'
    )
    is_enabled = models.BooleanField(default=False)
    email_domains = models.JSONField(default=list, blank=True)
    sso_only = models.BooleanField(
        default=False,
        help_text="People of these domains must use single sign-on (no password sign-in).",
    )
    attribute_map = models.JSONField(default=default_attribute_map, blank=True)
    mfa_values = models.JSONField(default=default_mfa_values, blank=True)
    # SAML: what the admin gave (a metadata URL or the XML itself) and what was read from it.
    saml_metadata_url = models.URLField(max_length=500, blank=True)
    saml_metadata_xml = models.TextField(blank=True)
    idp_entity_id = models.CharField(max_length=500, blank=True)
    idp_sso_url = models.URLField(max_length=500, blank=True)
    idp_slo_url = models.URLField(max_length=500, blank=True)
    idp_x509cert = models.TextField(blank=True)
    idp_cert_not_after = models.DateTimeField(null=True, blank=True)
    # The daily re-read of a metadata address: when it last succeeded, and why the latest failed.
    metadata_checked_at = models.DateTimeField(null=True, blank=True)
    metadata_error = models.CharField(max_length=500, blank=True)
    # OpenID Connect.
    oidc_issuer = models.URLField(max_length=500, blank=True)
    oidc_client_id = models.CharField(max_length=200, blank=True)
    oidc_client_secret = models.CharField(max_length=500, blank=True)
    oidc_end_session_url = models.URLField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("display_name",)

    def __str__(self) -> str:
        return f"{self.display_name} ({self.get_protocol_display()})"

    @property
    def supports_idp_logout(self) -> bool:
        return bool(self.idp_slo_url or self.oidc_end_session_url)
