"""Creating and changing faculty profiles."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from mentorship.accounts.models import User
from programs.models import CareerSource, FacultyProfile, Institution, Topic
from programs.services.audit import audit_record
from programs.services.careers import rank_change_record, stream_change_record

TOPIC_SEPARATORS = re.compile(r"[,;\n]+")
MAX_TOPICS = 25


def topics_parse(text: str) -> list[str]:
    """Split comma/semicolon/line separated keywords, dropping blanks and repeats."""
    seen: dict[str, str] = {}
    for raw in TOPIC_SEPARATORS.split(text or ""):
        name = " ".join(raw.split())
        if name and Topic.normalize(name) not in seen:
            seen[Topic.normalize(name)] = name[:80]
    return list(seen.values())


def topics_get_or_create(names: Iterable[str]) -> list[Topic]:
    names = list(names)
    normalized = {Topic.normalize(n): n for n in names}
    existing = {t.normalized: t for t in Topic.objects.filter(normalized__in=normalized)}
    missing = [Topic(name=n, normalized=k) for k, n in normalized.items() if k not in existing]
    if missing:
        Topic.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {t.normalized: t for t in Topic.objects.filter(normalized__in=normalized)}
    return [existing[k] for k in normalized if k in existing]


def institution_for_email(email: str) -> Institution | None:
    domain = email.rsplit("@", 1)[-1].lower()
    for institution in Institution.objects.exclude(email_domains=[]):
        if domain in {d.lower() for d in institution.email_domains}:
            return institution
    return Institution.objects.filter(is_home=True).first()


def reporting_chain(profile: FacultyProfile | None, *, limit: int = 50) -> list[int]:
    """Ids of the people above `profile` in its reporting line, nearest first."""
    chain: list[int] = []
    current = profile.reports_to_id if profile else None
    while current is not None and current not in chain and len(chain) < limit:
        chain.append(current)
        current = (
            FacultyProfile.objects.filter(pk=current)
            .values_list("reports_to_id", flat=True)
            .first()
        )
    return chain


def validate_reports_to(*, profile: FacultyProfile, reports_to: FacultyProfile | None) -> None:
    if reports_to is None:
        return
    if profile.pk is not None and reports_to.pk == profile.pk:
        raise ValidationError({"reports_to": "A person cannot report to themselves."})
    if profile.pk is not None and profile.pk in reporting_chain(reports_to):
        raise ValidationError(
            {
                "reports_to": f"{reports_to.display_name} already reports (directly or indirectly) "
                f"to {profile.display_name}; that would make a reporting-line cycle."
            }
        )


@transaction.atomic
def faculty_create(
    *,
    email: str,
    given_name: str = "",
    family_name: str = "",
    institution: Institution | None = None,
    password: str | None = None,
    **fields: Any,
) -> FacultyProfile:
    """Create a user (without a usable password unless given) and their profile."""
    user = User.objects.create_user(email=email, password=password)
    return profile_create(
        user=user,
        given_name=given_name,
        family_name=family_name,
        institution=institution,
        **fields,
    )


@transaction.atomic
def profile_create(
    *,
    user: Any,
    given_name: str = "",
    family_name: str = "",
    institution: Institution | None = None,
    **fields: Any,
) -> FacultyProfile:
    if institution is None:
        institution = institution_for_email(user.email)
    return FacultyProfile.objects.create(
        user=user,
        given_name=given_name,
        family_name=family_name,
        institution=institution,
        **fields,
    )


def profile_ensure(*, user: User, given_name: str = "", family_name: str = "") -> FacultyProfile:
    """The user's profile, created on first need (e.g. for a superuser made by createsuperuser,
    or with the names given at sign-up)."""
    try:
        return user.profile
    except FacultyProfile.DoesNotExist:
        return profile_create(user=user, given_name=given_name, family_name=family_name)


@transaction.atomic
def profile_update(
    *,
    profile: FacultyProfile,
    data: Mapping[str, Any],
    expertise: Iterable[str] | None = None,
    interests: Iterable[str] | None = None,
    by: User,
) -> FacultyProfile:
    validate_reports_to(profile=profile, reports_to=data.get("reports_to", profile.reports_to))
    rank_before, stream_before = profile.rank_id, profile.stream_id
    for field, value in data.items():
        setattr(profile, field, value)
    profile.full_clean(exclude=["user"])
    profile.save()
    if profile.rank is not None and profile.rank_id != rank_before:
        # A rank changed on the profile took effect today, as far as we know: the history
        # keeps it for the outcomes figures (a roster can give the exact date later).
        rank_change_record(person=profile, rank=profile.rank, source=CareerSource.PROFILE, by=by)
    if profile.stream is not None and profile.stream_id != stream_before:
        stream_change_record(
            person=profile, stream=profile.stream, source=CareerSource.PROFILE, by=by
        )
    if expertise is not None:
        _set_topics(profile.expertise, expertise)
    if interests is not None:
        _set_topics(profile.interests, interests)
    audit_record(actor=by, verb="profile.update", target=profile, fields=sorted(data))
    return profile


def _set_topics(relation: Any, names: Iterable[str]) -> None:
    names = list(names)
    if len(names) > MAX_TOPICS:
        raise ValidationError(f"List at most {MAX_TOPICS} keywords.")
    relation.set(topics_get_or_create(names))
