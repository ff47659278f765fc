"""Demo relationship reviews for the embedded run, so the directors' dashboard, table and
reports have something to show: answered reviews for pairs past their pilot (most healthy, a few
low), some still unanswered, and risk flags on the low ones.

Only the review *results* are written here (issue 6 owns sending and answering reviews).
Idempotent: nothing is added if the junior program already has review requests."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from .demo_relationships import JUNIOR_PROGRAM
from .models import (
    RECEIVING_SIDES,
    Program,
    Relationship,
    RelationshipMember,
    RelationshipRisk,
    ReviewChoice,
    ReviewInstrument,
    ReviewRequest,
    ReviewResponse,
    RiskReason,
)

DEMO_INSTRUMENT = "Relationship check-in (demo)"


def seed_reviews() -> int:
    program = Program.objects.filter(name=JUNIOR_PROGRAM).first()
    if program is None or ReviewRequest.objects.filter(relationship__program=program).exists():
        return 0
    instrument = ReviewInstrument.objects.filter(is_active=True, program__isnull=True).order_by(
        "pk"
    ).first() or ReviewInstrument.objects.create(
        name=DEMO_INSTRUMENT,
        description="Five statements on reciprocity, respect, expectations, connection and "
        "shared values, on a 1–5 agreement scale.",
    )
    rng = random.Random(13)
    today = timezone.localdate()
    relationships = list(
        Relationship.objects.filter(
            program=program, started_on__lte=today - timedelta(days=80)
        ).order_by("started_on", "pk")
    )
    members = RelationshipMember.objects.filter(
        relationship__in=relationships, left_at__isnull=True
    ).values_list("relationship_id", "person_id", "side")
    by_relationship: dict[int, list[tuple[int, str]]] = {}
    for rid, pid, side in members:
        by_relationship.setdefault(rid, []).append((pid, side))
    created = 0
    for n, relationship in enumerate(relationships):
        opens = relationship.started_on + timedelta(days=program.pilot_length_days - 7)
        low = n % 7 == 3
        for person_id, side in by_relationship.get(relationship.pk, []):
            answered = rng.random() < 0.8
            request = ReviewRequest.objects.create(
                relationship=relationship,
                respondent_id=person_id,
                instrument=instrument,
                cycle=0,
                opens_on=opens,
                closes_on=opens + timedelta(days=21),
                completed_at=timezone.now() - timedelta(days=rng.randint(1, 20))
                if answered
                else None,
            )
            created += 1
            if not answered:
                continue
            score = rng.uniform(1.8, 2.8) if low else rng.uniform(3.4, 5.0)
            response = ReviewResponse.objects.create(
                request=request,
                choice=ReviewChoice.ADJUST if low else ReviewChoice.CONTINUE,
                score=Decimal(f"{score:.2f}"),
            )
            if low and side in RECEIVING_SIDES and relationship.is_open:
                RelationshipRisk.objects.get_or_create(
                    relationship=relationship,
                    cleared_at=None,
                    defaults={"reason": RiskReason.LOW_SCORE, "review": response},
                )
    return created
