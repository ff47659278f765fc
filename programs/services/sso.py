"""Single sign-on writes: the institution admin's identity provider settings (checked against
the IdP itself before anything is saved), and the account and faculty profile kept current from
what the IdP asserts at each sign-in."""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import requests
from cryptography import x509
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from mentorship.accounts.models import User
from mentorship.notifications.kinds import Kind
from mentorship.notifications.services import Planned, notifications_send_soon
from programs.access import require_admin
from programs.domain.sso import email_domain, mapped_values
from programs.models import (
    MAPPED_ATTRIBUTES,
    AcademicRank,
    AcademicStream,
    CareerSource,
    Department,
    Division,
    FacultyProfile,
    IdentityProvider,
    Institution,
    SsoProtocol,
)
from programs.selectors.sso import proposed_slug
from programs.services.audit import audit_record
from programs.services.careers import rank_change_record, stream_change_record
from programs.services.conflicts import reporting_line_conflicts_notify
from programs.services.people import profile_ensure, reporting_chain

log = logging.getLogger(__name__)

FETCH_TIMEOUT = 10
MAPPED_FIELDS = {name for name, _ in MAPPED_ATTRIBUTES}


@dataclass
class SamlIdp:
    entity_id: str
    sso_url: str
    slo_url: str
    x509cert: str
    not_after: datetime


@dataclass
class OidcIdp:
    end_session_url: str


@dataclass
class _Errors:
    by_field: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.by_field.setdefault(name, message)

    def raise_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


def _fetch(url: str) -> requests.Response:
    response = requests.get(url, timeout=FETCH_TIMEOUT)
    response.raise_for_status()
    return response


def saml_metadata_read(*, xml: str, now: datetime | None = None) -> SamlIdp:
    """The IdP's entity id, sign-in and sign-out addresses and signing certificate, read from its
    metadata; a ValidationError in the admin's words when the file cannot serve."""
    from onelogin.saml2.constants import OneLogin_Saml2_Constants
    from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

    text = xml.strip()
    if not text.startswith("<"):
        raise ValidationError("This is not XML: SAML metadata starts with “<”.")
    try:
        parsed = OneLogin_Saml2_IdPMetadataParser.parse(
            text, required_sso_binding=OneLogin_Saml2_Constants.BINDING_HTTP_REDIRECT
        )
    except Exception as e:  # lxml and python3-saml raise several kinds for a bad file
        raise ValidationError(f"This is not readable SAML metadata ({e}).") from e
    idp = parsed.get("idp") or {}
    entity_id = idp.get("entityId", "")
    sso_url = (idp.get("singleSignOnService") or {}).get("url", "")
    if not entity_id or not sso_url:
        raise ValidationError(
            "The metadata names no identity provider with a single sign-on address "
            "(an IDPSSODescriptor with an HTTP-Redirect SingleSignOnService)."
        )
    cert = idp.get("x509cert") or ((idp.get("x509certMulti") or {}).get("signing") or [""])[0]
    if not cert:
        raise ValidationError(
            "The metadata has no signing certificate, so no sign-in could be checked."
        )
    not_after = _check_certificate(cert, now or timezone.now())
    return SamlIdp(
        entity_id=entity_id,
        sso_url=sso_url,
        slo_url=(idp.get("singleLogoutService") or {}).get("url", ""),
        x509cert=cert,
        not_after=not_after,
    )


def _check_certificate(cert: str, now: datetime) -> datetime:
    try:
        loaded = x509.load_der_x509_certificate(base64.b64decode("".join(cert.split())))
    except (ValueError, binascii.Error) as e:
        raise ValidationError("The metadata's signing certificate cannot be read.") from e
    not_after = loaded.not_valid_after_utc
    if not_after <= now:
        raise ValidationError(
            f"The IdP's signing certificate expired on {not_after:%d %B %Y} "
            f"({loaded.subject.rfc4514_string()}). Ask the IdP's administrators for "
            "current metadata."
        )
    if loaded.not_valid_before_utc > now:
        raise ValidationError(
            f"The IdP's signing certificate is not valid until "
            f"{loaded.not_valid_before_utc:%d %B %Y}."
        )
    return not_after


def oidc_discovery_read(*, issuer: str) -> OidcIdp:
    """Checks the issuer's discovery document (it must name itself and its endpoints)."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        config = _fetch(url).json()
    except (requests.RequestException, ValueError) as e:
        raise ValidationError(f"Could not read {url} ({e}).") from e
    if not isinstance(config, dict) or str(config.get("issuer", "")).rstrip("/") != issuer.rstrip(
        "/"
    ):
        raise ValidationError(f"{url} does not describe the issuer {issuer}.")
    missing = [
        k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not config.get(k)
    ]
    if missing:
        raise ValidationError(f"The issuer's discovery document has no {', '.join(missing)}.")
    return OidcIdp(end_session_url=str(config.get("end_session_endpoint") or ""))


def _clean_attribute_map(attribute_map: Mapping[str, str], errors: _Errors) -> dict[str, str]:
    cleaned = {k: (v or "").strip() for k, v in attribute_map.items() if k in MAPPED_FIELDS}
    cleaned = {k: v for k, v in cleaned.items() if v}
    if not cleaned:
        errors.add(
            "attr_email",
            "The attribute map names nothing: give at least the attribute that carries the "
            "email address.",
        )
    elif "email" not in cleaned:
        errors.add("attr_email", "Name the attribute that carries the email address.")
    return cleaned


def _check_domains(
    domains: list[str], *, institution: Institution, enabled: bool, errors: _Errors
) -> None:
    if enabled and not domains:
        errors.add("email_domains", "Give the email domains this identity provider serves.")
    bad = [d for d in domains if "." not in d or "@" in d or "/" in d]
    if bad:
        errors.add("email_domains", f"Not an email domain: {', '.join(bad)}.")
    # A JSON list has no overlap lookup on every database; providers are few, so read them.
    clash = next(
        (
            other
            for other in IdentityProvider.objects.exclude(institution=institution)
            if set(other.email_domains) & set(domains)
        ),
        None,
    )
    if clash is not None:
        errors.add("email_domains", f"{clash.display_name} already serves one of these domains.")


@transaction.atomic
def identity_provider_save(
    *,
    institution: Institution,
    by: User,
    protocol: str,
    display_name: str,
    is_enabled: bool,
    email_domains: list[str],
    sso_only: bool,
    attribute_map: Mapping[str, str],
    mfa_values: list[str],
    saml_metadata_url: str = "",
    saml_metadata_xml: str = "",
    oidc_issuer: str = "",
    oidc_client_id: str = "",
    oidc_client_secret: str = "",
) -> IdentityProvider:
    """Creates or updates the institution's identity provider. Everything is checked first — the
    metadata is read and its certificate's dates checked, the OIDC issuer's discovery document is
    fetched — and nothing is changed unless all of it holds."""
    require_admin(by)
    errors = _Errors()
    existing = IdentityProvider.objects.filter(institution=institution).first()
    idp = existing or IdentityProvider(institution=institution)
    if protocol not in SsoProtocol.values:
        errors.add("protocol", "Choose SAML 2.0 or OpenID Connect.")
    display_name = display_name.strip()
    if not display_name:
        errors.add("display_name", "Give the name shown on the sign-in button.")
    cleaned_map = _clean_attribute_map(attribute_map, errors)
    _check_domains(email_domains, institution=institution, enabled=is_enabled, errors=errors)
    saml: SamlIdp | None = None
    oidc: OidcIdp | None = None
    if protocol == SsoProtocol.SAML:
        saml = _read_saml(saml_metadata_url.strip(), saml_metadata_xml, errors)
    elif protocol == SsoProtocol.OIDC:
        oidc = _read_oidc(
            oidc_issuer.strip(), oidc_client_id.strip(), oidc_client_secret, idp, errors
        )
    errors.raise_any()

    if not idp.slug:
        idp.slug = proposed_slug(institution)
    idp.protocol = protocol
    idp.display_name = display_name
    idp.is_enabled = is_enabled
    idp.email_domains = email_domains
    idp.sso_only = sso_only
    idp.attribute_map = cleaned_map
    idp.mfa_values = [v.strip() for v in mfa_values if v.strip()]
    idp.saml_metadata_url, idp.saml_metadata_xml = "", ""
    idp.idp_entity_id = idp.idp_sso_url = idp.idp_slo_url = idp.idp_x509cert = ""
    idp.idp_cert_not_after = None
    idp.oidc_issuer = idp.oidc_client_id = idp.oidc_end_session_url = ""
    if saml is not None:
        idp.saml_metadata_url = saml_metadata_url.strip()
        idp.saml_metadata_xml = "" if idp.saml_metadata_url else saml_metadata_xml.strip()
        idp.idp_entity_id, idp.idp_sso_url, idp.idp_slo_url = (
            saml.entity_id,
            saml.sso_url,
            saml.slo_url,
        )
        idp.idp_x509cert, idp.idp_cert_not_after = saml.x509cert, saml.not_after
        idp.oidc_client_secret = ""
        idp.metadata_checked_at, idp.metadata_error = timezone.now(), ""
    if oidc is not None:
        idp.oidc_issuer, idp.oidc_client_id = oidc_issuer.strip(), oidc_client_id.strip()
        if oidc_client_secret:
            idp.oidc_client_secret = oidc_client_secret
        idp.oidc_end_session_url = oidc.end_session_url
    idp.save()
    audit_record(
        actor=by,
        verb="identity_provider.save",
        target=idp,
        protocol=protocol,
        enabled=is_enabled,
        sso_only=sso_only,
        domains=email_domains,
    )
    return idp


def _read_saml(url: str, xml: str, errors: _Errors) -> SamlIdp | None:
    if url and xml.strip():
        errors.add("saml_metadata_xml", "Give the metadata address or the XML, not both.")
        return None
    if not url and not xml.strip():
        errors.add(
            "saml_metadata_url", "Give the address of the IdP's metadata, or paste it below."
        )
        return None
    name = "saml_metadata_url" if url else "saml_metadata_xml"
    if url:
        try:
            xml = _fetch(url).text
        except requests.RequestException as e:
            errors.add(name, f"Could not fetch the metadata ({e}).")
            return None
    try:
        return saml_metadata_read(xml=xml)
    except ValidationError as e:
        errors.add(name, " ".join(e.messages))
        return None


def _read_oidc(
    issuer: str, client_id: str, secret: str, idp: IdentityProvider, errors: _Errors
) -> OidcIdp | None:
    if not client_id:
        errors.add("oidc_client_id", "Give the client id the IdP registered for this app.")
    if not secret and not idp.oidc_client_secret:
        errors.add("oidc_client_secret", "Give the client secret the IdP issued.")
    if not issuer:
        errors.add("oidc_issuer", "Give the issuer address, e.g. https://login.example.edu.")
        return None
    try:
        return oidc_discovery_read(issuer=issuer)
    except ValidationError as e:
        errors.add("oidc_issuer", " ".join(e.messages))
        return None


# --- At each sign-in ------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncResult:
    profile: FacultyProfile
    changed: list[str]
    unknown: dict[str, str]  # field -> asserted value the directory has no match for


@transaction.atomic
def sso_profile_sync(*, user: User, idp: IdentityProvider, raw: Mapping[str, Any]) -> SyncResult:
    """Creates the faculty profile on first sign-in and keeps it current: names, department,
    division, rank, stream, employee id and supervisor as the IdP asserts them. A value the
    directory does not know (a department nobody created) is left as it was and reported; a
    change to a reporting line that now conflicts with a current relationship is sent to its
    program's directors."""
    values = mapped_values(idp.attribute_map, raw)
    profile = profile_ensure(
        user=user,
        given_name=values.get("given_name", ""),
        family_name=values.get("family_name", ""),
    )
    before = (profile.department_id, profile.division_id, profile.reports_to_id)
    if profile.institution_id is None:
        profile.institution = idp.institution
    changed: list[str] = []
    unknown: dict[str, str] = {}
    for name in ("given_name", "family_name"):
        if values.get(name) and getattr(profile, name) != values[name][:80]:
            setattr(profile, name, values[name][:80])
            changed.append(name)
    _sync_directory(profile, idp.institution, values, changed, unknown)
    if changed:
        profile.full_clean(exclude=["user"])
        profile.save()
        audit_record(actor=user, verb="profile.sso_sync", target=profile, fields=changed)
    if "rank" in changed and profile.rank is not None:
        # The IdP says the rank changed as of this sign-in: the outcomes figures read the history.
        rank_change_record(person=profile, rank=profile.rank, source=CareerSource.SSO, by=user)
    if "stream" in changed and profile.stream is not None:
        stream_change_record(
            person=profile, stream=profile.stream, source=CareerSource.SSO, by=user
        )
    if (profile.department_id, profile.division_id, profile.reports_to_id) != before:
        reporting_line_conflicts_notify(profile_ids=[profile.pk])
    if unknown:
        log.warning("sso: %s asserted values the directory lacks: %s", idp.slug, unknown)
    return SyncResult(profile=profile, changed=changed, unknown=unknown)


def _sync_directory(
    profile: FacultyProfile,
    institution: Institution,
    values: Mapping[str, str],
    changed: list[str],
    unknown: dict[str, str],
) -> None:
    if name := values.get("department"):
        department = Department.objects.filter(institution=institution, name__iexact=name).first()
        if department is None:
            unknown["department"] = name
        elif profile.department_id != department.pk:
            profile.department, profile.division = department, None
            changed.append("department")
    if name := values.get("division"):
        division = Division.objects.filter(
            department__institution=institution,
            name__iexact=name,
            **({"department_id": profile.department_id} if profile.department_id else {}),
        ).first()
        if division is None:
            unknown["division"] = name
        elif profile.division_id != division.pk:
            profile.division, profile.department_id = division, division.department_id
            changed.append("division")
    reference: tuple[tuple[str, type[AcademicRank] | type[AcademicStream]], ...] = (
        ("rank", AcademicRank),
        ("stream", AcademicStream),
    )
    for attribute, model in reference:
        if name := values.get(attribute):
            found = model.objects.filter(name__iexact=name).first()
            if found is None:
                unknown[attribute] = name
            elif getattr(profile, f"{attribute}_id") != found.pk:
                setattr(profile, attribute, found)
                changed.append(attribute)
    if (employee_id := values.get("employee_id", "")[:40]) and profile.employee_id != employee_id:
        taken = (
            FacultyProfile.objects.filter(institution=profile.institution, employee_id=employee_id)
            .exclude(pk=profile.pk)
            .exists()
        )
        if taken:
            unknown["employee_id"] = employee_id
        else:
            profile.employee_id = employee_id
            changed.append("employee_id")
    if email := values.get("supervisor_email", "").lower():
        supervisor = FacultyProfile.objects.filter(user__email__iexact=email).first()
        if (
            supervisor is None
            or supervisor.pk == profile.pk
            or profile.pk in reporting_chain(supervisor)
        ):
            unknown["supervisor_email"] = email
        elif profile.reports_to_id != supervisor.pk:
            profile.reports_to = supervisor
            changed.append("reports_to")


def email_served(idp: IdentityProvider, email: str) -> bool:
    return email_domain(email) in idp.email_domains


# How many days before the IdP's signing certificate expires the admins are emailed: once at
# each of these, and once more when it has expired (sign-in then fails for everybody).
CERTIFICATE_WARNINGS = (30, 7)


def cert_expires_soon(idp: IdentityProvider, *, days: int = CERTIFICATE_WARNINGS[0]) -> bool:
    if idp.idp_cert_not_after is None:
        return False
    return (idp.idp_cert_not_after - timezone.now()).days < days


Refreshed = Literal["changed", "same", "failed", "not_applicable"]


@transaction.atomic
def identity_provider_refresh(*, idp: IdentityProvider) -> Refreshed:
    """Read the IdP's metadata again from its address, as the sweep does each day: an IdP that
    rolls its signing certificate publishes the new one there. A good read replaces what was
    read before; a bad one (unreachable, unreadable, expired) changes nothing but is recorded
    and shown to the admins."""
    idp = IdentityProvider.objects.select_for_update().get(pk=idp.pk)
    if idp.protocol != SsoProtocol.SAML or not idp.saml_metadata_url:
        return "not_applicable"
    errors = _Errors()
    saml = _read_saml(idp.saml_metadata_url, "", errors)
    if saml is None:
        error = " ".join(errors.by_field.values())[:500]
        changed_error = error != idp.metadata_error
        idp.metadata_error = error
        idp.save(update_fields=["metadata_error", "updated_at"])
        if changed_error:
            log.warning("identity provider %s: metadata not read: %s", idp.slug, error)
        return "failed"
    read = (saml.entity_id, saml.sso_url, saml.slo_url, saml.x509cert)
    before = (idp.idp_entity_id, idp.idp_sso_url, idp.idp_slo_url, idp.idp_x509cert)
    idp.idp_entity_id, idp.idp_sso_url, idp.idp_slo_url, idp.idp_x509cert = read
    idp.idp_cert_not_after = saml.not_after
    idp.metadata_checked_at, idp.metadata_error = timezone.now(), ""
    idp.save()
    if read != before:
        audit_record(
            actor=None,
            verb="identity_provider.refresh",
            target=idp,
            certificate_until=f"{saml.not_after:%Y-%m-%d}",
        )
        log.info("identity provider %s: new metadata read", idp.slug)
        return "changed"
    return "same"


@dataclass(frozen=True)
class CertificateSweep:
    read: int = 0
    changed: int = 0
    failed: int = 0
    warned: int = 0


def identity_providers_sweep() -> CertificateSweep:
    """Daily: re-read every metadata address, then email the admins about each enabled IdP
    whose signing certificate expires within the warning days or has expired."""
    outcomes = [
        identity_provider_refresh(idp=idp)
        for idp in IdentityProvider.objects.filter(protocol=SsoProtocol.SAML).exclude(
            saml_metadata_url=""
        )
    ]
    read, changed, failed = len(outcomes), outcomes.count("changed"), outcomes.count("failed")
    warned = certificate_warnings_plan()
    result = CertificateSweep(read=read, changed=changed, failed=failed, warned=warned)
    log.info(
        "identity providers: %d metadata read, %d changed, %d failed; %d warnings planned",
        read,
        changed,
        failed,
        warned,
    )
    return result


def certificate_stage(not_after: datetime, *, now: datetime) -> str | None:
    """Which warning is due for a certificate: "expired", the smallest warning day count it
    is within ("7", "30"), or None. The stage is part of the ledger key: one email each."""
    if not_after <= now:
        return "expired"
    days_left = (not_after - now).days
    within = [d for d in CERTIFICATE_WARNINGS if days_left < d]
    return str(min(within)) if within else None


@transaction.atomic
def certificate_warnings_plan(*, now: datetime | None = None) -> int:
    """Plan the admins' email for each enabled IdP whose certificate reached a warning stage
    (the ledger's key makes a repeated sweep plan nothing more). Returns rows offered."""
    now = now or timezone.now()
    admins = list(
        User.objects.filter(is_institution_admin=True, is_active=True).values_list("pk", flat=True)
    )
    rows = []
    expiring = IdentityProvider.objects.filter(is_enabled=True, idp_cert_not_after__isnull=False)
    for idp, not_after in expiring.values_list("pk", "idp_cert_not_after"):
        stage = certificate_stage(not_after, now=now) if not_after is not None else None
        if not_after is None or stage is None:
            continue
        rows += [
            Planned(
                recipient_id=pk,
                kind=Kind.SSO_CERTIFICATE,
                subject=f"idp:{idp}",
                cycle=f"{not_after:%Y%m%d}:{stage}",
                data={"not_after": not_after.isoformat()},
            )
            for pk in admins
        ]
    return len(notifications_send_soon(rows)) if rows else 0
