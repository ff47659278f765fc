"""Creating, confirming, concluding and ending relationships, and their notices."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from matching.models import RequestStatus
from matching.services import (
    outside_mentor_invite,
    request_accept,
    request_decline,
    request_withdraw,
)
from mentorship.notifications.kinds import Kind
from mentorship.notifications.models import Notification
from mentorship.notifications.services import notification_deliver
from programs.models import (
    Agreement,
    AuditEvent,
    Invitation,
    MemberSide,
    NeedArea,
    Relationship,
    RelationshipKind,
    RelationshipOutcome,
    RelationshipSource,
    RelationshipStage,
    Role,
)
from programs.services.pairing import Overrides
from programs.services.relationships import (
    relationship_conclude,
    relationship_confirm_pilot,
    relationship_create,
    relationship_end,
    relationship_keep_going,
    relationship_mark_alumni,
)
from tests.factories import MembershipFactory, person
from tests.relationship_fixtures import make_relationship, program_mentee, program_mentor

pytestmark = pytest.mark.django_db(transaction=False)


# --- relationship_create ---------------------------------------------------------------------


def test_it_creates_a_pair_in_its_pilot_with_a_draft_agreement(mentee, mentor, director, program):
    relationship = make_relationship(
        program=program, mentees=[mentee], mentors=[mentor], by=director
    )
    assert relationship.stage == RelationshipStage.PILOT
    assert relationship.pilot_ends_on == relationship.started_on + timedelta(
        days=program.pilot_length_days
    )
    sides = {m.person.user: m.side for m in relationship.members.all()}
    assert sides == {mentee: MemberSide.MENTEE, mentor: MemberSide.MENTOR}
    version = Agreement.objects.get(relationship=relationship).versions.get()
    assert version.number == 1
    assert version.confirmed_at is None
    assert version.cadence_days == program.meeting_cadence_days
    assert AuditEvent.objects.filter(verb="relationship.create").exists()


def test_it_welcomes_both_parties_after_commit(
    mentee, mentor, director, program, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        make_relationship(
            program=program, mentees=[mentee], mentors=[mentor], by=director, notify=True
        )
    assert sorted(m.to[0] for m in mail.outbox) == sorted([mentee.email, mentor.email])
    assert all("Program A" in m.subject for m in mail.outbox)


def test_welcome_is_planned_once_per_member_in_the_ledger(mentee, mentor, director, program):
    relationship = make_relationship(
        program=program, mentees=[mentee], mentors=[mentor], by=director, notify=True
    )
    welcomes = Notification.objects.filter(kind=Kind.RELATIONSHIP_STARTED)
    assert sorted(welcomes.values_list("recipient", flat=True)) == sorted([mentee.pk, mentor.pk])
    for n in welcomes:
        assert notification_deliver(notification_id=n.pk) == "sent"
        assert notification_deliver(notification_id=n.pk).startswith("not pending")
    assert len(mail.outbox) == 2
    assert relationship.pk  # subject of each row
    assert set(welcomes.values_list("subject", flat=True)) == {f"relationship:{relationship.pk}"}


def test_it_refuses_self_pairing(mentee, director, program):
    membership = mentee.profile.memberships.get()
    membership.role = Role.BOTH
    membership.save()
    with pytest.raises(ValidationError, match="Nobody can mentor themselves"):
        make_relationship(program=program, mentees=[mentee], mentors=[mentee], by=director)


def test_it_refuses_people_without_the_right_role(mentee, mentor, outsider, director, program):
    with pytest.raises(ValidationError, match="is not a mentor"):
        make_relationship(program=program, mentees=[mentee], mentors=[outsider], by=director)
    with pytest.raises(ValidationError, match="is not a mentee"):
        make_relationship(
            program=program, mentees=[mentor], mentors=[program_mentor(program)], by=director
        )


def test_it_refuses_a_mentor_in_the_mentees_reporting_line(mentee, mentor, director, program):
    mentee.profile.reports_to = mentor.profile
    mentee.profile.save()
    with pytest.raises(ValidationError, match="reporting line"):
        make_relationship(program=program, mentees=[mentee], mentors=[mentor], by=director)


def test_it_refuses_a_second_open_relationship_for_the_same_pair(
    pair, mentee, mentor, director, program
):
    with pytest.raises(ValidationError, match="Robert Mentor already mentors Maya Mentee"):
        make_relationship(program=program, mentees=[mentee], mentors=[mentor], by=director)


def test_a_pair_may_start_again_after_ending_only_deliberately(
    pair, mentee, mentor, director, program
):
    relationship_end(relationship=pair, by=mentee)
    with pytest.raises(ValidationError, match="An earlier relationship between"):
        make_relationship(program=program, mentees=[mentee], mentors=[mentor], by=director)
    again = make_relationship(
        program=program,
        mentees=[mentee],
        mentors=[mentor],
        by=director,
        overrides=Overrides.of(["ended_before"], "Both asked to try again after her leave."),
    )
    assert again.pk != pair.pk


@pytest.mark.parametrize("size", [2, 6])
def test_groups_have_three_to_five_participants(size, mentor, director, program):
    mentees = [program_mentee(program) for _ in range(size)]
    with pytest.raises(ValidationError, match="3 to 5"):
        make_relationship(
            program=program,
            kind=RelationshipKind.FACILITATED_GROUP,
            mentees=mentees,
            facilitator=mentor,
            by=director,
        )


def test_a_facilitated_group_needs_a_facilitator(director, program):
    mentees = [program_mentee(program) for _ in range(3)]
    with pytest.raises(ValidationError, match="needs a facilitator"):
        make_relationship(
            program=program, kind=RelationshipKind.FACILITATED_GROUP, mentees=mentees, by=director
        )


def test_peers_all_become_peers(director, program):
    peers = [program_mentee(program) for _ in range(4)]
    relationship = make_relationship(
        program=program, kind=RelationshipKind.PEER_GROUP, mentees=peers, by=director
    )
    assert set(relationship.members.values_list("side", flat=True)) == {MemberSide.PEER}


def test_unknown_roles_are_refused(mentee, mentor, director, program):
    with pytest.raises(ValidationError, match="Unknown mentor roles"):
        make_relationship(
            program=program, mentees=[mentee], mentors=[mentor], roles=["guru"], by=director
        )


def test_the_matching_engine_can_publish_with_the_same_call(mentee, mentor, program):
    """The signature issue 4 relies on: keyword-only, source=match_run, `by` may be a system
    actor (None)."""
    relationship = relationship_create(
        program=program,
        kind=RelationshipKind.ONE_TO_ONE,
        mentees=[mentee.profile],
        mentors=[mentor.profile],
        roles=["advisor", "sponsor"],
        source=RelationshipSource.MATCH_RUN,
        by=None,
        notify=False,
    )
    assert relationship.source == RelationshipSource.MATCH_RUN
    assert relationship.roles == ["advisor", "sponsor"]


# --- Pilot, concluding, alumni ---------------------------------------------------------------


def test_the_pilot_ends_when_both_confirm(pair, mentee, mentor):
    relationship_confirm_pilot(relationship=pair, by=mentee)
    pair.refresh_from_db()
    assert pair.stage == RelationshipStage.PILOT
    relationship_confirm_pilot(relationship=pair, by=mentor)
    pair.refresh_from_db()
    assert pair.stage == RelationshipStage.ACTIVE


def test_concluding_needs_a_second_member(pair, mentee, mentor):
    relationship_conclude(relationship=pair, by=mentee)
    pair.refresh_from_db()
    assert pair.stage == RelationshipStage.CONCLUDING
    relationship_conclude(relationship=pair, by=mentee)  # the proposer again: no change
    pair.refresh_from_db()
    assert pair.stage == RelationshipStage.CONCLUDING
    relationship_conclude(relationship=pair, by=mentor)
    pair.refresh_from_db()
    assert pair.stage == RelationshipStage.CONCLUDED
    assert pair.outcome == RelationshipOutcome.CONCLUDED
    assert pair.ended_at is not None


def test_keep_going_withdraws_a_proposal(pair, mentee, mentor):
    relationship_conclude(relationship=pair, by=mentee)
    relationship_keep_going(relationship=pair, by=mentor)
    pair.refresh_from_db()
    assert pair.stage == RelationshipStage.ACTIVE


def test_a_director_concludes_at_once(pair, director):
    relationship_conclude(relationship=pair, by=director)
    pair.refresh_from_db()
    assert pair.stage == RelationshipStage.CONCLUDED


def test_alumni_needs_everyone(pair, mentee, mentor):
    relationship_conclude(relationship=pair, by=mentee)
    relationship_conclude(relationship=pair, by=mentor)
    relationship_mark_alumni(relationship=pair, by=mentee)
    pair.refresh_from_db()
    assert not pair.is_alumni
    relationship_mark_alumni(relationship=pair, by=mentor)
    pair.refresh_from_db()
    assert pair.is_alumni


def test_an_ended_relationship_can_become_alumni_too(pair, mentee, mentor):
    relationship_end(relationship=pair, by=mentee)
    relationship_mark_alumni(relationship=pair, by=mentee)
    relationship_mark_alumni(relationship=pair, by=mentor)
    pair.refresh_from_db()
    assert pair.is_alumni
    assert pair.outcome == RelationshipOutcome.ENDED_EARLY


def test_an_open_relationship_cannot_be_alumni(pair, mentee):
    with pytest.raises(ValidationError, match="once it has concluded or ended"):
        relationship_mark_alumni(relationship=pair, by=mentee)


# --- Ending --------------------------------------------------------------------------------


def test_ending_keeps_the_reason_for_directors(pair, mentee):
    relationship_end(relationship=pair, by=mentee, reason_for_directors="We never clicked.")
    pair.refresh_from_db()
    assert pair.stage == RelationshipStage.ENDED
    assert pair.outcome == RelationshipOutcome.ENDED_EARLY
    assert pair.ended_reason == "We never clicked."
    event = AuditEvent.objects.get(verb="relationship.end")
    assert "clicked" not in str(event.detail)


def test_the_other_party_gets_a_kind_notice_without_the_reason(
    pair, mentee, mentor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        relationship_end(relationship=pair, by=mentee, reason_for_directors="SECRET-REASON")
    assert [m.to for m in mail.outbox] == [[mentor.email]]
    message = mail.outbox[0]
    html = message.alternatives[0][0]
    for text in (message.subject, message.body, html):
        assert "SECRET-REASON" not in text
    assert "not a judgement" in message.body
    assert "Find another mentor" not in html  # that is offered to mentees only


def test_a_mentee_told_of_an_ending_is_offered_a_rematch(
    pair, mentee, mentor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        relationship_end(relationship=pair, by=mentor)
    assert [m.to for m in mail.outbox] == [[mentee.email]]
    assert "look for another mentor" in mail.outbox[0].body
    assert f"/programs/{pair.program_id}/" in mail.outbox[0].body


def test_the_ending_notice_is_sent_once(pair, mentee, mentor):
    relationship_end(relationship=pair, by=mentee)
    (n,) = Notification.objects.filter(kind=Kind.RELATIONSHIP_ENDED)
    assert n.recipient == mentor  # never the person who ended it
    assert notification_deliver(notification_id=n.pk) == "sent"
    assert notification_deliver(notification_id=n.pk).startswith("not pending")
    assert len(mail.outbox) == 1


def test_an_ended_relationship_cannot_be_ended_again(pair, mentee, mentor):
    relationship_end(relationship=pair, by=mentee)
    with pytest.raises(ValidationError, match="has ended"):
        relationship_end(relationship=pair, by=mentor)


def test_strangers_cannot_end_a_relationship(pair, outsider, other_director):
    for user in (outsider, other_director):
        with pytest.raises(ValidationError):
            relationship_end(relationship=pair, by=user)


def test_a_group_member_leaves_and_the_group_carries_on(group, django_capture_on_commit_callbacks):
    leaver = group.members.filter(side=MemberSide.MENTEE).first()
    with django_capture_on_commit_callbacks(execute=True):
        relationship_end(relationship=group, by=leaver.person.user, reason_for_directors="busy")
    group.refresh_from_db()
    leaver.refresh_from_db()
    assert group.is_open
    assert leaver.left_at is not None
    assert leaver.left_reason == "busy"
    assert len(mail.outbox) == 3  # two remaining mentees and the facilitator
    assert all("busy" not in m.body for m in mail.outbox)


def test_a_group_ends_when_too_few_would_remain(group):
    mentees = list(group.members.filter(side=MemberSide.MENTEE))
    relationship_end(relationship=group, by=mentees[0].person.user)
    relationship_end(relationship=group, by=mentees[1].person.user)
    group.refresh_from_db()
    assert group.stage == RelationshipStage.ENDED


def test_a_group_ends_with_its_facilitator(group, mentor):
    relationship_end(relationship=group, by=mentor)
    group.refresh_from_db()
    assert group.stage == RelationshipStage.ENDED


# --- Outside mentors -----------------------------------------------------------------------


def _invite_ada(mentee, program, **fields):
    return outside_mentor_invite(
        program=program,
        mentee=mentee.profile,
        email=fields.pop("email", "Ada.Lovelace@elsewhere.example"),
        given_name="Ada",
        family_name="Lovelace",
        organisation="Elsewhere University",
        by=mentee,
        **fields,
    )


def test_inviting_an_outside_mentor_starts_nothing_until_they_accept(
    mentee, program, django_capture_on_commit_callbacks
):
    area = NeedArea.objects.get(slug="research")
    with django_capture_on_commit_callbacks(execute=True):
        request = _invite_ada(mentee, program, focus_area=area, roles=["coach"])
    assert request.status == RequestStatus.PENDING
    assert request.is_outside
    assert not Relationship.objects.exists()
    outside = request.mentor
    assert outside.user.email == "ada.lovelace@elsewhere.example"
    assert outside.institution is None
    assert outside.location == "Elsewhere University"
    assert not outside.memberships.exists()  # not in the program's mentor pool
    assert Invitation.objects.filter(person=outside).exists()
    (email,) = mail.outbox  # the account invitation only, which carries the request
    assert email.to == ["ada.lovelace@elsewhere.example"]
    body = email.body
    assert mentee.profile.display_name in body  # who asks
    assert "research" in body  # for which need
    assert program.name in body  # in which program
    assert mentee.profile.display_name in email.subject


def test_the_relationship_and_its_pilot_start_when_the_outside_mentor_accepts(
    mentee, program, django_capture_on_commit_callbacks
):
    request = _invite_ada(mentee, program, roles=["coach"])
    with django_capture_on_commit_callbacks(execute=True):
        relationship = request_accept(request=request, by=request.mentor.user)
    assert relationship.source == RelationshipSource.OUTSIDE
    assert relationship.stage == RelationshipStage.PILOT
    assert relationship.is_remote
    assert relationship.roles == ["coach"]
    assert relationship.members.get(side=MemberSide.MENTOR).person == request.mentor
    assert any(
        m.to == [mentee.email] and "accepted your invitation" in m.subject for m in mail.outbox
    )


def test_declining_an_outside_invitation_tells_the_mentee(
    mentee, program, django_capture_on_commit_callbacks
):
    request = _invite_ada(mentee, program)
    with django_capture_on_commit_callbacks(execute=True):
        request_decline(request=request, by=request.mentor.user, message="Too busy this year.")
    assert not Relationship.objects.exists()
    (told,) = [m for m in mail.outbox if m.to == [mentee.email]]
    assert "declined your invitation" in told.subject
    assert "Too busy this year." in told.body


def test_the_mentee_or_a_director_withdraws_an_outside_invitation(mentee, director, program):
    first = _invite_ada(mentee, program)
    request_withdraw(request=first, by=director)
    first.refresh_from_db()
    assert first.status == RequestStatus.WITHDRAWN
    # The never-used account loses its link with the request.
    assert Invitation.objects.get(person=first.mentor).revoked_at is not None
    second = _invite_ada(mentee, program, email="bo@elsewhere.example")
    request_withdraw(request=second, by=mentee)
    with pytest.raises(ValidationError, match="withdrawn"):
        request_accept(request=second, by=second.mentor.user)
    assert not Relationship.objects.exists()


def test_an_outsider_cannot_withdraw_someone_elses_invitation(mentee, mentor, program):
    request = _invite_ada(mentee, program)
    with pytest.raises(ValidationError, match="Only the person who asked"):
        request_withdraw(request=request, by=mentor)


def test_an_outside_mentor_who_is_already_registered_is_reused_and_asked_by_email(
    mentee, program, django_capture_on_commit_callbacks
):
    existing = person("known@lakeside.test", given_name="Kim", family_name="Known")
    with django_capture_on_commit_callbacks(execute=True):
        request = outside_mentor_invite(
            program=program,
            mentee=mentee.profile,
            email="known@lakeside.test",
            given_name="Kim",
            family_name="Known",
            by=mentee,
        )
    assert request.mentor == existing
    assert not Invitation.objects.filter(person=existing).exists()
    (email,) = mail.outbox
    assert email.to == ["known@lakeside.test"]
    assert "invites you to mentor them" in email.subject


def test_inviting_the_same_outside_mentor_twice_is_refused(mentee, program):
    _invite_ada(mentee, program)
    with pytest.raises(ValidationError, match="already invited"):
        _invite_ada(mentee, program)


def test_a_mentee_cannot_add_themselves_as_outside_mentor(mentee, program):
    with pytest.raises(ValidationError, match="your own email"):
        outside_mentor_invite(
            program=program,
            mentee=mentee.profile,
            email=mentee.email.upper(),
            given_name="Me",
            family_name="Myself",
            by=mentee,
        )


def test_only_mentees_add_outside_mentors(mentor, program):
    with pytest.raises(ValidationError, match="not a mentee"):
        outside_mentor_invite(
            program=program,
            mentee=mentor.profile,
            email="x@elsewhere.example",
            given_name="X",
            family_name="Y",
            by=mentor,
        )


def test_memberships_are_checked_in_the_relationships_own_program(
    mentee, mentor, director, program, other_program
):
    MembershipFactory(program=other_program, person=mentee.profile, role=Role.MENTEE)
    with pytest.raises(ValidationError, match="is not a mentor in Program B"):
        make_relationship(program=other_program, mentees=[mentee], mentors=[mentor], by=director)
    assert Relationship.objects.count() == 0


def test_notices_whose_task_never_ran_are_sent_by_the_ledger_sweep(
    mentee, mentor, director, program
):
    from mentorship.notifications.tasks import sweep_pending
    from programs.services.concerns import concern_raise

    # Queued while "the broker was down": the services enqueue on commit, which the test's
    # transaction never reaches, so nothing was sent — but the ledger rows were planned with it.
    relationship = make_relationship(
        program=program, mentees=[mentee], mentors=[mentor], by=director, notify=True
    )
    concern_raise(relationship=relationship, category="other", text="t", by=mentee)
    assert not mail.outbox
    assert sweep_pending() == 3  # two welcomes and the directors' alert
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [mentee.email, mentor.email, director.email]
    )
    assert sweep_pending() == 0


def test_without_notify_nobody_is_owed_a_welcome(mentee, mentor, director, program):
    make_relationship(program=program, mentees=[mentee], mentors=[mentor], by=director)
    assert not Notification.objects.exists()


# --- Reassign and end as whole lifecycles (issue 11) --------------------------------------------


def test_ending_cancels_upcoming_meetings_and_the_feeds_say_so(pair, mentee, mentor, client):
    from programs.models import MeetingStatus
    from programs.services.meetings import calendar_feed_create
    from tests.relationship_fixtures import past_meeting, upcoming_meeting

    held = past_meeting(pair)
    coming = upcoming_meeting(pair, days_ahead=5, status=MeetingStatus.SCHEDULED)
    feeds = [calendar_feed_create(person=u.profile, by=u) for u in (mentee, mentor)]
    relationship_end(relationship=pair, by=mentee)
    coming.refresh_from_db()
    held.refresh_from_db()
    assert coming.status == MeetingStatus.CANCELLED
    assert coming.sequence == 1  # calendars replace the event they have
    assert held.status == MeetingStatus.HELD
    for feed in feeds:
        body = client.get(f"/calendar/{feed.token}.ics").content.decode()
        assert body.count("STATUS:CANCELLED") == 1  # the upcoming one
        assert body.count("STATUS:CONFIRMED") == 1  # the one that took place


def test_reassigning_ends_the_pair_and_starts_a_new_relationship(
    pair, mentee, mentor, director, program
):
    from programs.models import MeetingStatus, RelationshipRisk, RiskReason
    from programs.services.relationships import relationship_reassign
    from tests.relationship_fixtures import upcoming_meeting

    incoming = program_mentor(program)
    RelationshipRisk.objects.create(relationship=pair, reason=RiskReason.LOW_SCORE)
    Relationship.objects.filter(pk=pair.pk).update(quiet_since=timezone.localdate())
    coming = upcoming_meeting(pair, status=MeetingStatus.SCHEDULED)
    successor = relationship_reassign(
        relationship=pair,
        outgoing=mentor.profile,
        incoming=incoming.profile,
        reason_for_directors="They did not get on.",
        by=director,
    )
    pair.refresh_from_db()
    assert pair.stage == RelationshipStage.ENDED
    assert pair.outcome == RelationshipOutcome.REASSIGNED
    assert pair.ended_reason == "They did not get on."
    # The old pair's flag, quiet state and agreement stay with it.
    assert RelationshipRisk.objects.filter(relationship=pair).exists()
    assert pair.quiet_since is not None
    assert Agreement.objects.filter(relationship=pair).exists()
    coming.refresh_from_db()
    assert coming.status == MeetingStatus.CANCELLED
    # The new relationship is new in every way.
    assert successor.previous == pair
    assert successor.stage == RelationshipStage.PILOT
    assert successor.quiet_since is None
    assert not RelationshipRisk.objects.filter(relationship=successor).exists()
    assert Agreement.objects.get(relationship=successor).versions.count() == 1
    assert successor.pilot_ends_on == timezone.localdate() + timedelta(
        days=program.pilot_length_days
    )
    assert {m.person.user for m in successor.members.all()} == {mentee, incoming}


def test_reassigning_tells_all_three_and_the_outgoing_mentor_no_reason(
    pair, mentee, mentor, director, program, django_capture_on_commit_callbacks
):
    from programs.services.relationships import relationship_reassign

    incoming = program_mentor(program)
    with django_capture_on_commit_callbacks(execute=True):
        relationship_reassign(
            relationship=pair,
            outgoing=mentor.profile,
            incoming=incoming.profile,
            reason_for_directors="Robert was dismissive.",
            by=director,
        )
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert set(by_recipient) == {mentee.email, mentor.email, incoming.email}
    outgoing = by_recipient[mentor.email]
    assert "another mentor" in outgoing.subject
    assert "dismissive" not in outgoing.body
    assert "dismissive" not in outgoing.alternatives[0][0]
    for m in mail.outbox:
        assert "dismissive" not in m.body


def test_reassigning_goes_through_the_gate(pair, mentor, director, program):
    from programs.services.relationships import relationship_reassign

    incoming = program_mentor(program, capacity=0)
    until = timezone.localdate() + timedelta(days=20)
    from programs.models import MentorOffer

    MentorOffer.objects.create(person=incoming.profile, accepting=False, paused_until=until)
    with pytest.raises(ValidationError) as refused:
        relationship_reassign(
            relationship=pair, outgoing=mentor.profile, incoming=incoming.profile, by=director
        )
    assert {r.code for r in refused.value.reasons} == {"paused", "capacity"}
    assert "incoming" in refused.value.message_dict
    pair.refresh_from_db()
    assert pair.is_open  # nothing changed
    with pytest.raises(ValidationError):
        relationship_reassign(
            relationship=pair,
            outgoing=mentor.profile,
            incoming=incoming.profile,
            overrides=Overrides.of(["capacity"], "Agreed with her."),
            by=director,
        )
    successor = relationship_reassign(
        relationship=pair,
        outgoing=mentor.profile,
        incoming=incoming.profile,
        overrides=Overrides.of(["capacity", "paused"], "Agreed with her before her leave."),
        by=director,
    )
    assert AuditEvent.objects.filter(verb="pairing.override", object_id=str(successor.pk)).exists()
