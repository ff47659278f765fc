"""The demo relationships: what the demo logins see."""

from __future__ import annotations

import pytest
from django.utils import timezone

from programs.models import (
    AgreementVersion,
    Concern,
    Meeting,
    MeetingStatus,
    Recap,
    Relationship,
    RelationshipKind,
    RelationshipStage,
)
from programs.selectors.relationships import board_for

pytestmark = pytest.mark.django_db


def test_the_demo_relationships_are_realistic(demo_world):
    assert Relationship.objects.count() >= 30
    stages = set(Relationship.objects.values_list("stage", flat=True))
    assert stages == {
        RelationshipStage.PILOT,
        RelationshipStage.ACTIVE,
        RelationshipStage.ENDED,
        RelationshipStage.CONCLUDED,
    }
    assert Relationship.objects.filter(kind=RelationshipKind.FACILITATED_GROUP).count() == 1
    assert Relationship.objects.exclude(ended_reason="").count() == 1

    from programs.models import FacultyProfile

    maya = FacultyProfile.objects.get(user__email="mentee@northbridge.example")
    board = board_for(maya)
    mentors = {g.person.user.email for e in board.entries for g in e.guides}
    assert len(board.entries) == 2
    assert "mentor@northbridge.example" in mentors
    assert board.needs
    assert board.gaps  # some needs are covered, some are not
    for entry in board.entries:
        assert AgreementVersion.objects.filter(
            agreement__relationship=entry.relationship, confirmed_at__isnull=False
        ).exists()
    research = next(
        e.relationship
        for e in board.entries
        if any(g.person.user.email == "mentor@northbridge.example" for g in e.guides)
    )
    assert Meeting.objects.filter(
        relationship__members__person=maya,
        status=MeetingStatus.SCHEDULED,
        starts_at__gt=timezone.now(),
    ).exists()
    assert Recap.objects.filter(meeting__relationship=research, confirmed_at__isnull=False).exists()

    concern = Concern.objects.get()
    assert not concern.relationship.members.filter(
        person__user__email="mentor@northbridge.example"
    ).exists()


def test_the_demo_has_reviews_a_pair_at_risk_a_quiet_pair_and_a_ledger(demo_world):
    from mentorship.notifications.models import Notification, Status
    from programs.models import RelationshipRisk, ReviewRequest, ReviewResponse

    assert ReviewResponse.objects.count() >= 8
    assert RelationshipRisk.objects.filter(cleared_at__isnull=True).exists()
    assert Relationship.objects.filter(quiet_since__isnull=False).exists()
    assert Notification.objects.exists()
    assert not Notification.objects.filter(status=Status.PENDING).exists()  # nobody emailed
    assert ReviewRequest.objects.filter(
        respondent__user__email="mentee@northbridge.example", completed_at__isnull=True
    ).exists()


def test_the_demo_peer_program_has_circles_and_a_request_to_join_one(demo_world):
    from programs.demo.relationships import PEER_PROGRAM
    from programs.models import JoinRequest, JoinRequestStatus

    circles = Relationship.objects.filter(
        program__name=PEER_PROGRAM, kind=RelationshipKind.PEER_GROUP
    )
    assert circles.count() == 2
    for circle in circles:
        assert 3 <= circle.members.filter(left_at__isnull=True).count() <= 5
        assert circle.meetings.filter(status=MeetingStatus.HELD).count() == 2
    waiting = JoinRequest.objects.get(circle__in=circles)
    assert waiting.status == JoinRequestStatus.PENDING
    assert not waiting.circle.members.filter(person=waiting.person).exists()
