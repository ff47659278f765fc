"""Writing the self-evaluation and the mentor offer: versions, autosave, conflicts, sharing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from programs.domain.assessment_sections import TEXT_FIELDS
from programs.models import (
    AssessmentShare,
    AssessmentStatus,
    AuditEvent,
    Goal,
    GoalStatus,
    Membership,
    MentorOffer,
    MentorTraining,
    NeedArea,
    SelfAssessment,
)
from programs.services.assessments import (
    AssessmentConflict,
    AssessmentNotDraft,
    OfferData,
    assessment_autosave,
    assessment_discard,
    assessment_share,
    assessment_start_draft,
    assessment_submit,
    assessment_unshare,
    mentor_offer_update,
    mentor_training_add,
    mentor_training_remove,
)
from tests.assessment_factories import draft, full_data, goal, submitted

pytestmark = pytest.mark.django_db


def test_the_reflections_are_the_models_private_fields():
    assert set(TEXT_FIELDS) == set(SelfAssessment.PRIVATE_FIELDS)


def test_a_first_draft_is_version_one(mentee):
    assessment = assessment_start_draft(person=mentee.profile, by=mentee)
    assert (assessment.version, assessment.status) == (1, AssessmentStatus.DRAFT)
    assert AuditEvent.objects.filter(verb="assessment.start", object_id=str(assessment.pk)).exists()


def test_starting_again_returns_the_existing_draft(mentee):
    first = assessment_start_draft(person=mentee.profile, by=mentee)
    assert assessment_start_draft(person=mentee.profile, by=mentee) == first
    assert SelfAssessment.objects.filter(person=mentee.profile).count() == 1


def test_a_new_version_copies_the_latest_with_goal_lineage(mentee):
    v1 = submitted(mentee.profile, goal_count=4, need_count=3)
    v2 = assessment_start_draft(person=mentee.profile, by=mentee)
    assert v2.version == 2
    assert v2.mission == v1.mission
    assert v2.roles_wanted == v1.roles_wanted
    assert {g.lineage for g in v2.goals.all()} == {g.lineage for g in v1.goals.all()}
    assert set(v2.goals.values_list("pk", flat=True)).isdisjoint(
        v1.goals.values_list("pk", flat=True)
    )
    assert {(n.area_id, n.priority) for n in v2.needs.all()} == {
        (n.area_id, n.priority) for n in v1.needs.all()
    }


def test_autosave_saves_and_bumps_the_revision(mentee):
    assessment = draft(mentee.profile)
    saved = assessment_autosave(
        assessment=assessment, revision=0, data={"mission": "Lead a unit"}, by=mentee, editor="a"
    )
    assert (saved.mission, saved.revision, saved.last_editor) == ("Lead a unit", 1, "a")


def test_autosave_without_changes_keeps_the_revision(mentee):
    assessment = draft(mentee.profile, mission="Same")
    saved = assessment_autosave(
        assessment=assessment, revision=0, data={"mission": "Same"}, by=mentee, editor="b"
    )
    assert saved.revision == assessment.revision


def test_a_stale_revision_from_another_page_is_a_conflict_with_both_versions(mentee):
    assessment = draft(mentee.profile)
    assessment_autosave(
        assessment=assessment, revision=0, data={"mission": "Tab one"}, by=mentee, editor="one"
    )
    with pytest.raises(AssessmentConflict) as caught:
        assessment_autosave(
            assessment=assessment, revision=0, data={"mission": "Tab two"}, by=mentee, editor="two"
        )
    assert caught.value.current == {"mission": "Tab one"}
    assert caught.value.mine == {"mission": "Tab two"}
    assert caught.value.revision == 1
    assessment.refresh_from_db()
    assert assessment.mission == "Tab one"


def test_a_stale_revision_from_the_page_that_wrote_last_is_its_own_race(mentee):
    assessment = draft(mentee.profile)
    assessment_autosave(
        assessment=assessment, revision=0, data={"mission": "Typ"}, by=mentee, editor="one"
    )
    saved = assessment_autosave(
        assessment=assessment, revision=0, data={"mission": "Typing"}, by=mentee, editor="one"
    )
    assert saved.mission == "Typing"


def test_a_stale_revision_with_the_same_values_is_not_a_conflict(mentee):
    assessment = draft(mentee.profile)
    assessment_autosave(
        assessment=assessment, revision=0, data={"mission": "Agreed"}, by=mentee, editor="one"
    )
    saved = assessment_autosave(
        assessment=assessment,
        revision=0,
        data={"mission": "Agreed", "strengths": ""},
        by=mentee,
        editor="two",
    )
    assert saved.revision == 1


def test_autosave_refuses_a_submitted_version(mentee):
    version = submitted(mentee.profile)
    with pytest.raises(AssessmentNotDraft):
        assessment_autosave(assessment=version, revision=version.revision, data={}, by=mentee)


def test_autosave_refuses_over_long_text_with_its_length(mentee):
    assessment = draft(mentee.profile)
    with pytest.raises(ValidationError) as caught:
        assessment_autosave(
            assessment=assessment, revision=0, data={"mission": "x" * 3214}, by=mentee
        )
    assert caught.value.message_dict["mission"] == [
        "Keep this under 3,000 characters — it is 3,214 now."
    ]


def test_autosave_refuses_a_fourth_goal_in_a_horizon(mentee):
    assessment = draft(mentee.profile)
    goals = [goal("short", f"Goal {i}") for i in range(4)]
    with pytest.raises(ValidationError) as caught:
        assessment_autosave(assessment=assessment, revision=0, data={"goals": goals}, by=mentee)
    assert caught.value.message_dict["goals"] == [
        "You can list up to three short-term goals. Remove one to add another."
    ]
    assert not Goal.objects.filter(assessment=assessment).exists()


def test_autosave_stores_markup_as_typed(mentee):
    assessment = draft(mentee.profile)
    typed = '<script>alert("x")</script> & <b>bold</b>'
    saved = assessment_autosave(
        assessment=assessment, revision=0, data={"strengths": typed}, by=mentee
    )
    assert saved.strengths == typed


def test_goals_are_updated_in_place_by_lineage(mentee):
    assessment = draft(mentee.profile, goals=[goal("short", "Write a grant")])
    original = assessment.goals.get()
    saved = assessment_autosave(
        assessment=assessment,
        revision=assessment.revision,
        data={
            "goals": [
                goal(
                    "short",
                    "Write and submit a grant",
                    lineage=str(original.lineage),
                    status=GoalStatus.IN_PROGRESS,
                ),
                goal("long", "Lead a program"),
            ]
        },
        by=mentee,
    )
    updated = saved.goals.get(lineage=original.lineage)
    assert updated.pk == original.pk
    assert (updated.text, updated.status) == ("Write and submit a grant", GoalStatus.IN_PROGRESS)
    assert saved.goals.count() == 2


def test_a_goal_left_out_is_removed(mentee):
    assessment = draft(mentee.profile, goals=[goal("short", "A"), goal("short", "B")])
    keep = assessment.goals.get(text="A")
    assessment_autosave(
        assessment=assessment,
        revision=assessment.revision,
        data={"goals": [goal("short", "A", lineage=str(keep.lineage))]},
        by=mentee,
    )
    assert list(assessment.goals.values_list("text", flat=True)) == ["A"]


def test_needs_are_synchronised(mentee):
    research, leadership, clinical = NeedArea.objects.filter(
        slug__in=["research", "leadership", "clinical"]
    ).order_by("order")
    assessment = draft(mentee.profile, needs={research.pk: 1, leadership.pk: 2})
    assessment_autosave(
        assessment=assessment,
        revision=assessment.revision,
        data={"needs": {leadership.pk: 1, clinical.pk: 3}},
        by=mentee,
    )
    assert dict(assessment.needs.values_list("area__slug", "priority")) == {
        "leadership": 1,
        "clinical": 3,
    }


def test_submitting_dates_the_next_version(mentee):
    version = submitted(mentee.profile)
    assert (version.version, version.status) == (1, AssessmentStatus.SUBMITTED)
    assert version.submitted_at is not None
    assert AuditEvent.objects.filter(verb="assessment.submit", object_id=str(version.pk)).exists()


def test_submitting_needs_at_least_one_need_area(mentee):
    assessment = draft(mentee.profile, mission="Something")
    with pytest.raises(ValidationError) as caught:
        assessment_submit(assessment=assessment, by=mentee)
    assert "needs" in caught.value.message_dict


def test_submitting_twice_is_refused(mentee):
    version = submitted(mentee.profile)
    with pytest.raises(ValidationError, match="already been submitted"):
        assessment_submit(assessment=version, by=mentee)


def test_audit_rows_never_hold_reflections(mentee):
    submitted(mentee.profile, mission="My secret mission")
    for event in AuditEvent.objects.all():
        assert "secret" not in str(event.detail)


def test_a_draft_can_be_discarded_but_a_version_cannot(mentee):
    version = submitted(mentee.profile)
    new = assessment_start_draft(person=mentee.profile, by=mentee)
    assessment_discard(assessment=new, by=mentee)
    assert not SelfAssessment.objects.filter(pk=new.pk).exists()
    with pytest.raises(ValidationError):
        assessment_discard(assessment=version, by=mentee)


def test_sharing_with_a_mentor_of_the_program_and_revoking(mentee, mentor):
    version = submitted(mentee.profile)
    share = assessment_share(assessment=version, mentor=mentor.profile, by=mentee)
    assert assessment_share(assessment=version, mentor=mentor.profile, by=mentee) == share
    assessment_unshare(share=share, by=mentee)
    share.refresh_from_db()
    assert share.revoked_at is not None
    again = assessment_share(assessment=version, mentor=mentor.profile, by=mentee)
    assert again.pk != share.pk
    assert AssessmentShare.objects.filter(revoked_at__isnull=True).count() == 1


def test_sharing_is_only_with_mentors_of_the_persons_programs(mentee, outsider, director):
    version = submitted(mentee.profile)
    for other in (outsider, director):
        with pytest.raises(ValidationError):
            assessment_share(assessment=version, mentor=other.profile, by=mentee)


def test_a_draft_cannot_be_shared(mentee, mentor):
    assessment = draft(mentee.profile, **full_data())
    with pytest.raises(ValidationError):
        assessment_share(assessment=assessment, mentor=mentor.profile, by=mentee)


def _offer(**changes):
    data = {
        "need_areas": list(NeedArea.objects.filter(slug__in=["research", "promotion"])),
        "roles_offered": ["coach", "sponsor"],
        "accepting": True,
        "paused_until": None,
        "mentors_remotely": True,
        "years_mentoring": 12,
        "prior_mentees": 9,
        "notes": "Monthly meetings.",
    }
    data.update(changes)
    return OfferData(**data)


def test_a_mentor_describes_their_offer_and_capacity(mentor, program):
    membership = Membership.objects.get(person=mentor.profile, program=program)
    offer = mentor_offer_update(
        person=mentor.profile,
        offer=_offer(),
        capacities={membership.pk: 4},
        communication_modes=["video"],
        by=mentor,
    )
    assert offer.roles_offered == ["sponsor", "coach"]  # in Tobin's order
    assert set(offer.need_areas.values_list("slug", flat=True)) == {"research", "promotion"}
    membership.refresh_from_db()
    mentor.profile.refresh_from_db()
    assert membership.mentor_capacity == 4
    assert mentor.profile.communication_modes == ["video"]


def test_capacity_is_only_for_the_persons_mentor_memberships(mentor, mentee, program):
    mentee_membership = Membership.objects.get(person=mentee.profile, program=program)
    with pytest.raises(ValidationError):
        mentor_offer_update(
            person=mentor.profile,
            offer=_offer(),
            capacities={mentee_membership.pk: 5},
            by=mentor,
        )
    assert not MentorOffer.objects.exists()


def test_a_pause_date_must_be_in_the_future(mentor):
    with pytest.raises(ValidationError) as caught:
        mentor_offer_update(
            person=mentor.profile,
            offer=_offer(accepting=False, paused_until=timezone.localdate()),
            by=mentor,
        )
    assert "paused_until" in caught.value.message_dict


def test_a_paused_mentor_accepts_again_after_the_date(mentor):
    until = timezone.localdate() + timedelta(days=10)
    offer = mentor_offer_update(
        person=mentor.profile, offer=_offer(accepting=False, paused_until=until), by=mentor
    )
    assert not offer.is_accepting(timezone.localdate())
    assert offer.is_accepting(until)


def test_training_is_added_and_removed(mentor):
    training = mentor_training_add(
        person=mentor.profile, name="  Mentor   workshop ", completed_on=date(2024, 5, 2), by=mentor
    )
    assert training.name == "Mentor workshop"
    mentor_training_remove(training=training, by=mentor)
    assert not MentorTraining.objects.exists()


def test_training_cannot_be_completed_in_the_future(mentor):
    with pytest.raises(ValidationError):
        mentor_training_add(
            person=mentor.profile,
            name="Workshop",
            completed_on=timezone.localdate() + timedelta(days=3),
            by=mentor,
        )
