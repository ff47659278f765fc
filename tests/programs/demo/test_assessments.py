"""The demo institution's self-evaluations and mentor offers."""

from __future__ import annotations

import pytest

from programs.models import AssessmentStatus, MentorOffer, MentorTraining, SelfAssessment
from programs.selectors.assessments import assessments_to_compare, compare_assessments

pytestmark = pytest.mark.django_db


def test_the_demo_has_self_evaluations_and_offers(demo_world):
    mentee = SelfAssessment.objects.filter(person__user__email="mentee@northbridge.example")
    assert list(mentee.values_list("version", "status")) == [
        (2, AssessmentStatus.SUBMITTED),
        (1, AssessmentStatus.SUBMITTED),
    ]
    v2, v1 = mentee
    loaded = assessments_to_compare(person=v1.person, pks=[v1.pk, v2.pk])
    assert compare_assessments(loaded[v1.pk], loaded[v2.pk]).change_count >= 5
    assert SelfAssessment.objects.filter(status=AssessmentStatus.DRAFT).exists()
    assert MentorOffer.objects.filter(person__user__email="mentor@northbridge.example").exists()
    # Whatever the database's ids: the demo mentor's page shows a training to remove.
    assert MentorTraining.objects.filter(person__user__email="mentor@northbridge.example").exists()
