"""Checks and locks every relationship write starts with, shared by the relationship, agreement
and meeting services (here, so those services need not import each other)."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from mentorship.accounts.models import User
from programs.models import Relationship, RelationshipMember

CLOSED_MESSAGE = "This relationship has ended, so it can no longer be changed."


def lock_relationship(relationship: Relationship) -> Relationship:
    """A fresh copy of the relationship, locked for the rest of the transaction: writes to one
    relationship queue up instead of deciding on a stale stage. Only the relationship's own row is
    locked (`of=self`), never the program it joins — other pairs in the program carry on; and
    PostgreSQL refuses FOR UPDATE across the nullable side of an outer join anyway."""
    return (
        Relationship.objects.select_for_update(of=("self",))
        .select_related("program")
        .get(pk=relationship.pk)
    )


def active_member(relationship: Relationship, by: User) -> RelationshipMember | None:
    return (
        RelationshipMember.objects.select_related("person")
        .filter(relationship=relationship, person__user=by, left_at__isnull=True)
        .first()
    )


def require_member(relationship: Relationship, by: User) -> RelationshipMember:
    member = active_member(relationship, by)
    if member is None:
        raise ValidationError("Only the people in this relationship can do this.")
    return member


def require_open(relationship: Relationship) -> None:
    if not relationship.is_open:
        raise ValidationError(CLOSED_MESSAGE)
