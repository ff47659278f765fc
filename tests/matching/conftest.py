"""Fixtures for the matching engine's Django side: a mentee with needs and a mentor who offers
them, in the cast's program A."""

from __future__ import annotations

import pytest

from programs.models import MentorOffer, NeedArea
from tests.relationship_fixtures import submitted_assessment


def offer(user, *, areas=("research", "promotion"), roles=("sponsor", "coach"), **fields):
    profile = getattr(user, "profile", user)
    row, _ = MentorOffer.objects.update_or_create(
        person=profile, defaults={"roles_offered": list(roles), **fields}
    )
    row.need_areas.set(NeedArea.objects.filter(slug__in=areas))
    return row


@pytest.fixture
def ready_mentee(mentee):
    submitted_assessment(mentee, needs=("research", "promotion"), roles=("sponsor", "coach"))
    return mentee


@pytest.fixture
def ready_mentor(mentor):
    offer(mentor)
    return mentor
