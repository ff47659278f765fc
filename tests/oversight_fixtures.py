"""Data builders for the dashboard, table, report and roster tests."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from programs.models import (
    Relationship,
    RelationshipRisk,
    ReviewInstrument,
    ReviewRequest,
    ReviewResponse,
    RiskReason,
)
from tests.relationship_fixtures import (
    make_relationship,
    past_meeting,
    program_mentee,
    program_mentor,
)


def instrument() -> ReviewInstrument:
    found = ReviewInstrument.objects.filter(program__isnull=True).first()
    return found or ReviewInstrument.objects.create(name="Test instrument")


def answered_review(
    relationship: Relationship,
    respondent: Any,
    *,
    score: str = "4.0",
    choice: str = "continue",
    cycle: int = 0,
) -> ReviewResponse:
    profile = getattr(respondent, "profile", respondent)
    today = timezone.localdate()
    request = ReviewRequest.objects.create(
        relationship=relationship,
        respondent=profile,
        instrument=instrument(),
        cycle=cycle,
        opens_on=today - timedelta(days=3),
        closes_on=today + timedelta(days=10),
        completed_at=timezone.now(),
    )
    return ReviewResponse.objects.create(
        request=request, choice=choice, score=Decimal(score), comment_for_directors="COMMENT-SECRET"
    )


def flag_at_risk(
    relationship: Relationship, review: ReviewResponse | None = None
) -> RelationshipRisk:
    return RelationshipRisk.objects.create(
        relationship=relationship, reason=RiskReason.LOW_SCORE, review=review
    )


def populate(program: Any, director: Any, count: int, *, meetings: int = 3) -> list[Relationship]:
    """`count` one-to-one pairs, each with meetings, a review from the mentee, every third at
    risk."""
    made = []
    for n in range(count):
        mentee = program_mentee(program)
        mentor = program_mentor(program)
        r = make_relationship(
            program=program,
            mentees=[mentee],
            mentors=[mentor],
            by=director,
            started_on=timezone.localdate() - timedelta(days=200),
        )
        for k in range(meetings):
            past_meeting(r, days_ago=10 + 40 * k)
        review = answered_review(r, mentee, score="2.5" if n % 3 == 0 else "4.2")
        if n % 3 == 0:
            flag_at_risk(r, review)
        made.append(r)
    return made
