"""Demo relationship reviews, reminders and ledger rows, built through the real services.

- The demo mentee and mentor (research pair) answered the end-of-pilot review and one periodic
  review: healthy, continuing — a trend for the director to read.
- One other pair is at risk: the mentee's latest review dropped and scores low, with a comment
  for the directors; the mentor's did not.
- A few more pairs answered their pilot review.
- The due-work sweep runs once: it flags the pairs that went quiet (directors see "Quiet"), opens
  the reviews whose window is open (the demo mentee's career pair is at the end of its pilot, so
  she has a review waiting) and plans the reminders due today. Those ledger rows are marked sent,
  so seeding emails nobody.

Idempotent: nothing is added once the junior program has review answers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from mentorship.notifications.models import Notification
from mentorship.notifications.services import notifications_record_as_sent
from programs.domain.reminders import REVIEW_OPEN_DAYS
from programs.models import (
    OPEN_STAGES,
    FacultyProfile,
    Program,
    Relationship,
    RelationshipKind,
    ReviewChoice,
    ReviewRequest,
    ReviewResponse,
)
from programs.services.reminders import due_work_sweep
from programs.services.reviews import instrument_for, review_submit

JUNIOR_PROGRAM = "Junior Faculty Mentoring Program"
CONCERNED_COMMENT = (
    "We keep rescheduling and the last two meetings did not happen. I think my mentor is "
    "overcommitted this year. I would like to talk about options."
)


def _answer(
    relationship: Relationship,
    person: FacultyProfile,
    *,
    cycle: int,
    strength: int,
    warning: int,
    choice: str = ReviewChoice.CONTINUE,
    comment: str = "",
) -> ReviewResponse:
    base = relationship.pilot_ends_on or relationship.started_on
    opens_on = base - timedelta(days=14) if cycle == 0 else base + timedelta(days=182 * cycle)
    request, _ = ReviewRequest.objects.get_or_create(
        relationship=relationship,
        respondent=person,
        cycle=cycle,
        defaults={
            "instrument": instrument_for(relationship.program),
            "opens_on": opens_on,
            "closes_on": opens_on + timedelta(days=REVIEW_OPEN_DAYS),
        },
    )
    answers = {
        item.pk: warning if item.polarity == "warning" else strength
        for item in request.instrument.items.all()
    }
    return review_submit(
        request=request,
        answers=answers,
        choice=choice,
        comment_for_directors=comment,
        by=person.user,
    )


def _pair(relationship: Relationship) -> tuple[FacultyProfile, FacultyProfile]:
    members = list(relationship.members.select_related("person__user").order_by("side"))
    return members[0].person, members[1].person  # mentee sorts before mentor


def seed_reviews() -> int:
    """Create the demo reviews; return how many answers (0 if they already exist)."""
    program = Program.objects.filter(name=JUNIOR_PROGRAM).first()
    if (
        program is None
        or ReviewResponse.objects.filter(request__relationship__program=program).exists()
    ):
        return 0
    started = timezone.now()
    today = timezone.localdate()
    pairs = list(
        Relationship.objects.filter(
            program=program,
            stage__in=OPEN_STAGES,
            kind=RelationshipKind.ONE_TO_ONE,
            pilot_ends_on__lt=today - timedelta(days=14),
        ).order_by("started_on", "pk")
    )
    answered = 0
    research = next(
        (r for r in pairs if r.members.filter(person__user__email="mentor@northbridge.example")),
        None,
    )
    if research is not None:
        mentee, mentor = _pair(research)
        for cycle, strength in ((0, 4), (1, 5)):
            _answer(research, mentee, cycle=cycle, strength=strength, warning=2)
            _answer(research, mentor, cycle=cycle, strength=4, warning=2)
            answered += 2
    others = [r for r in pairs if r != research]
    old = [r for r in others if (today - r.started_on).days > 300]
    if old:
        at_risk = old[0]
        mentee, mentor = _pair(at_risk)
        _answer(at_risk, mentee, cycle=0, strength=4, warning=2)
        _answer(
            at_risk,
            mentee,
            cycle=1,
            strength=2,
            warning=4,
            choice=ReviewChoice.ADJUST,
            comment=CONCERNED_COMMENT,
        )
        _answer(at_risk, mentor, cycle=1, strength=4, warning=2)
        answered += 3
    for relationship in others[1:6]:
        mentee, mentor = _pair(relationship)
        _answer(relationship, mentee, cycle=0, strength=4, warning=2)
        _answer(relationship, mentor, cycle=0, strength=5, warning=1)
        answered += 2
    due_work_sweep()
    _mark_sent(started)
    return answered


def _mark_sent(since: Any) -> None:
    """The demo's reminders, quiet-pair and at-risk alerts count as delivered: seeding never
    emails anyone, yet the ledger shows what the app sends."""
    notifications_record_as_sent(Notification.objects.filter(created_at__gte=since))
