"""Reads for single sign-on: which identity providers are switched on, which one serves an
email address, and the admin's list."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest

from programs.domain.sso import email_domain
from programs.models import IdentityProvider, Institution


def enabled_identity_providers() -> QuerySet[IdentityProvider]:
    return IdentityProvider.objects.filter(is_enabled=True).select_related("institution")


def identity_provider_by_slug(slug: str) -> IdentityProvider | None:
    return IdentityProvider.objects.filter(slug=slug).select_related("institution").first()


def identity_provider_for_email(email: str) -> IdentityProvider | None:
    """The enabled provider that serves this address's domain, if any."""
    domain = email_domain(email)
    if not domain:
        return None
    for idp in enabled_identity_providers():
        if domain in idp.email_domains:
            return idp
    return None


def institutions_with_sign_in() -> QuerySet[Institution]:
    return Institution.objects.select_related("identity_provider").order_by("-is_home", "name")


def proposed_slug(institution: Institution) -> str:
    """The slug a new identity provider will get (the SP addresses shown before the first save
    use it, so the IdP can be registered first)."""
    from django.utils.text import slugify

    base = slugify(institution.short_name or institution.name)[:30] or "institution"
    slug, n = base, 2
    while IdentityProvider.objects.filter(slug=slug).exclude(institution=institution).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def sp_metadata_xml(*, request: HttpRequest, slug: str) -> str:
    """This application's SAML service-provider metadata for one institution's IdP: entity id,
    assertion consumer and single logout addresses (what allauth's SAML views answer on)."""
    from allauth.socialaccount.providers.saml.utils import build_sp_config
    from onelogin.saml2.settings import OneLogin_Saml2_Settings

    settings = {
        "strict": True,
        "sp": build_sp_config(request, {}, slug),
        "security": {"wantAssertionsSigned": True, "allowSingleLabelDomains": True},
    }
    saml_settings = OneLogin_Saml2_Settings(settings=settings, sp_validation_only=True)
    metadata = saml_settings.get_sp_metadata()
    return metadata.decode() if isinstance(metadata, bytes) else str(metadata)
