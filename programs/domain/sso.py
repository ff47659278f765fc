"""Single sign-on rules that need no database: reading the attributes an identity provider
asserted through the institution's attribute map, and whether the sign-in used more than one
factor."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def first_value(raw: Mapping[str, Any], name: str) -> str:
    """The first value of attribute `name` (SAML attributes are lists, OIDC claims scalars)."""
    if not name:
        return ""
    value = raw.get(name)
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    if value is None or isinstance(value, dict):
        return ""
    return str(value).strip()


def mapped_values(attribute_map: Mapping[str, str], raw: Mapping[str, Any]) -> dict[str, str]:
    """Our field -> asserted value, for every mapped attribute the assertion carried."""
    values = {}
    for field, name in attribute_map.items():
        value = first_value(raw, name)
        if value:
            values[field] = value
    return values


def missing_attributes(attribute_map: Mapping[str, str], raw: Mapping[str, Any]) -> list[str]:
    """Mapped attribute names the assertion did not carry (shown to the person and logged)."""
    return [name for name in attribute_map.values() if name and not first_value(raw, name)]


def asserted_mfa(asserted: Iterable[str], mfa_values: Iterable[str]) -> bool:
    """Whether any asserted authentication context (SAML AuthnContextClassRef, OIDC `acr` or an
    `amr` entry) is one the institution counts as multi-factor."""
    wanted = {v.strip().casefold() for v in mfa_values if v.strip()}
    return any(str(a).strip().casefold() in wanted for a in asserted)


def oidc_contexts(claims: Mapping[str, Any]) -> list[str]:
    """The authentication contexts an ID token asserts: its `acr` and each `amr` entry."""
    found = []
    acr = claims.get("acr")
    if isinstance(acr, str) and acr:
        found.append(acr)
    amr = claims.get("amr")
    if isinstance(amr, list):
        found.extend(str(a) for a in amr)
    return found


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().lower() if "@" in email else ""


def parse_domains(text: str) -> list[str]:
    """Domains typed one per line or separated by commas or spaces, lower-cased, without a
    leading @, in the order given, each once."""
    seen: list[str] = []
    for part in text.replace(",", " ").split():
        domain = part.strip().lstrip("@").lower()
        if domain and domain not in seen:
            seen.append(domain)
    return seen
