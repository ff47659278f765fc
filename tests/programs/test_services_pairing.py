"""The pairing gate: every reason at once, in words that name people, confidential where it must
be; overrides deliberate and per rule, audited, and shown on the relationship."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from matching.models import ConflictOfInterest, PairRule, PairRuleKind
from matching.sources import load_problem
from programs.models import (
    AuditEvent,
    Department,
    Division,
    MentoringModel,
    MentorOffer,
    NeedArea,
    Role,
)
from programs.services.pairing import Overrides, PairingRefused, Rule
from programs.services.relationships import relationship_end, relationship_extend_pilot
from tests.factories import MembershipFactory, person
from tests.relationship_fixtures import make_relationship, pair, program_mentee, program_mentor

__all__ = ["pair"]


def _codes(error: PairingRefused) -> list[str]:
    return [r.code for r in error.reasons]


def _paused(user, days=30):
    until = timezone.localdate() + timedelta(days=days)
    MentorOffer.objects.update_or_create(
        person=user.profile, defaults={"accepting": False, "paused_until": until}
    )
    return until


def test_every_reason_comes_at_once_naming_the_people(program, mentee, mentor, director):
    ended = make_relationship(program=program, mentees=[mentee], mentors=[mentor], by=director)
    relationship_end(relationship=ended, by=director)
    ConflictOfInterest.objects.create(
        person=mentee.profile, other=mentor.profile, declared_by=mentee
    )
    PairRule.objects.create(
        program=program, mentee=mentee.profile, mentor=mentor.profile, kind=PairRuleKind.FORBID
    )
    until = _paused(mentor)
    mentor.profile.memberships.filter(program=program).update(mentor_capacity=0)
    with pytest.raises(PairingRefused) as refused:
        make_relationship(program=program, mentees=[mentee], mentors=[mentor], by=director)
    assert set(_codes(refused.value)) == {
        Rule.CONFLICT,
        Rule.FORBIDDEN,
        Rule.ENDED_BEFORE,
        Rule.PAUSED,
        Rule.CAPACITY,
    }
    words = " ".join(r.message for r in refused.value.reasons)
    assert "Robert Mentor has paused until " + f"{until:%-d %B %Y}" in words
    assert "Robert Mentor is full: 0 of 0 places taken in Program A." in words
    paused = next(r for r in refused.value.reasons if r.code == Rule.PAUSED)
    assert paused.data["until"] == until.isoformat()


def test_a_conflict_is_refused_without_saying_who_declared_it(program, mentee, mentor, director):
    ConflictOfInterest.objects.create(
        person=mentee.profile, other=mentor.profile, declared_by=mentee, note="Past dispute"
    )
    with pytest.raises(PairingRefused) as refused:
        make_relationship(program=program, mentees=[mentee], mentors=[mentor], by=director)
    (reason,) = refused.value.reasons
    assert reason.message == (
        "Robert Mentor and Maya Mentee cannot be paired, for a confidential reason."
    )
    assert "declared" not in reason.message
    assert "Past dispute" not in reason.message
    assert reason.data == {}


@pytest.mark.parametrize(
    ("how", "words"),
    [
        ("supervisor", "their supervisor"),
        ("above", "their superior further up the reporting line"),
        ("chief", "their division chief"),
        ("head", "their department head"),
    ],
)
def test_the_reporting_line_says_which_role(program, mentee, mentor, director, how, words):
    profile = mentee.profile
    if how == "supervisor":
        profile.reports_to = mentor.profile
    elif how == "above":
        middle = person()
        middle.reports_to = mentor.profile
        middle.save()
        profile.reports_to = middle
    else:
        department = Department.objects.create(institution=profile.institution, name="Medicine")
        if how == "head":
            department.head = mentor.profile
            department.save()
        else:
            division = Division.objects.create(
                department=department, name="Cardiology", chief=mentor.profile
            )
            profile.division = division
        profile.department = department
    profile.save()
    with pytest.raises(PairingRefused) as refused:
        make_relationship(program=program, mentees=[mentee], mentors=[mentor], by=director)
    (reason,) = refused.value.reasons
    assert reason.code == Rule.REPORTING_LINE
    assert f"Robert Mentor is in Maya Mentee's reporting line ({words})" in reason.message


def test_the_load_is_the_true_load_not_capped(program, mentor, director):
    mentees = [program_mentee(program) for _ in range(3)]
    mentor.profile.memberships.filter(program=program).update(mentor_capacity=1)
    make_relationship(program=program, mentees=[mentees[0]], mentors=[mentor], by=director)
    make_relationship(
        program=program,
        mentees=[mentees[1]],
        mentors=[mentor],
        by=director,
        overrides=Overrides.of([Rule.CAPACITY], "She asked for a second mentee."),
    )
    with pytest.raises(PairingRefused) as refused:
        make_relationship(program=program, mentees=[mentees[2]], mentors=[mentor], by=director)
    (reason,) = refused.value.reasons
    assert "2 of 1 places taken" in reason.message
    assert reason.data == {"load": 2, "capacity": 1}


def test_overriding_capacity_does_not_override_a_pause(program, mentee, mentor, director):
    _paused(mentor)
    mentor.profile.memberships.filter(program=program).update(mentor_capacity=0)
    with pytest.raises(PairingRefused) as refused:
        make_relationship(
            program=program,
            mentees=[mentee],
            mentors=[mentor],
            by=director,
            overrides=Overrides.of([Rule.CAPACITY], "She agreed to one more."),
        )
    assert Rule.PAUSED in _codes(refused.value)


def test_an_override_needs_a_why_and_is_audited_and_shown(
    program, mentee, mentor, director, client_for
):
    _paused(mentor)
    with pytest.raises(PairingRefused) as refused:
        make_relationship(
            program=program,
            mentees=[mentee],
            mentors=[mentor],
            by=director,
            overrides=Overrides.of([Rule.PAUSED], "  "),
        )
    assert "override_why" in refused.value.message_dict
    relationship = make_relationship(
        program=program,
        mentees=[mentee],
        mentors=[mentor],
        by=director,
        overrides=Overrides.of([Rule.PAUSED], "He asked to take Maya despite his sabbatical."),
    )
    event = AuditEvent.objects.get(verb="pairing.override")
    assert event.actor == director
    assert event.detail["rules"] == [Rule.PAUSED]
    assert event.detail["why"] == "He asked to take Maya despite his sabbatical."
    html = client_for(director).get(relationship.get_absolute_url()).content.decode()
    assert "Rules set aside" in html
    assert "Assign although the mentor has paused" in html
    assert "He asked to take Maya despite his sabbatical." in html


def test_rules_that_cannot_be_set_aside_stay(program, mentee, mentor, director):
    mentee.profile.reports_to = mentor.profile
    mentee.profile.save()
    with pytest.raises(PairingRefused):
        make_relationship(
            program=program,
            mentees=[mentee],
            mentors=[mentor],
            by=director,
            overrides=Overrides.of([Rule.REPORTING_LINE, Rule.CONFLICT], "I insist."),
        )


def test_the_same_mentor_twice_on_a_board_is_refused_across_programs(
    program, other_program, mentee, mentor, director
):
    area = NeedArea.objects.filter(is_active=True).first()
    make_relationship(
        program=program, mentees=[mentee], mentors=[mentor], by=director, focus_area=area
    )
    MembershipFactory(program=other_program, person=mentee.profile, role=Role.MENTEE)
    MembershipFactory(program=other_program, person=mentor.profile, role=Role.MENTOR)
    with pytest.raises(PairingRefused) as refused:
        make_relationship(
            program=other_program,
            mentees=[mentee],
            mentors=[mentor],
            by=director,
            focus_area=area,
        )
    (reason,) = refused.value.reasons
    assert reason.code == Rule.ALREADY_ON_BOARD
    assert (
        reason.message == f"Robert Mentor already mentors Maya Mentee ({area.name}, in Program A)."
    )


def test_one_mentor_per_mentee_unless_the_program_offers_boards(program, mentee, mentor, director):
    second = program_mentor(program)
    make_relationship(program=program, mentees=[mentee], mentors=[mentor], by=director)
    with pytest.raises(PairingRefused) as refused:
        make_relationship(program=program, mentees=[mentee], mentors=[second], by=director)
    assert _codes(refused.value) == [Rule.ONE_MENTOR]
    assert "already has Robert Mentor" in refused.value.reasons[0].message
    program.allowed_models = [MentoringModel.ONE_TO_ONE, MentoringModel.MOSAIC]
    program.save()
    assert make_relationship(program=program, mentees=[mentee], mentors=[second], by=director)


def test_a_second_mentor_for_the_same_need_is_refused_on_a_board(program, mentee, mentor, director):
    program.allowed_models = [MentoringModel.MOSAIC]
    program.save()
    area = NeedArea.objects.filter(is_active=True).first()
    second = program_mentor(program)
    make_relationship(
        program=program, mentees=[mentee], mentors=[mentor], focus_area=area, by=director
    )
    with pytest.raises(PairingRefused) as refused:
        make_relationship(
            program=program, mentees=[mentee], mentors=[second], focus_area=area, by=director
        )
    assert _codes(refused.value) == [Rule.AREA_COVERED]


def test_peer_pairing_does_not_propose_someone_who_paused(program, mentee):
    peer = program_mentee(program)
    _paused(peer)
    problem = load_problem(program=program, peers=True)
    index = problem.mentor_index()
    assert not problem.features.mentor_accepting[index[peer.profile.pk]]
    assert problem.features.mentor_accepting[index[mentee.profile.pk]]


def test_a_pause_that_has_ended_no_longer_refuses(program, mentee, mentor, director):
    _paused(mentor, days=-1)
    assert make_relationship(program=program, mentees=[mentee], mentors=[mentor], by=director)


def test_a_director_in_the_relationship_cannot_extend_its_pilot(program, mentor, admin):
    """An institution admin directs every program; mentored in one, they are a member first."""
    MembershipFactory(program=program, person=admin.profile, role=Role.MENTEE)
    relationship = make_relationship(program=program, mentees=[admin], mentors=[mentor], by=admin)
    with pytest.raises(Exception, match="You take part in this relationship"):
        relationship_extend_pilot(
            relationship=relationship,
            until=relationship.pilot_ends_on + timedelta(days=10),
            by=admin,
        )


def test_the_director_page_offers_a_rematch_once_ended(pair, director, mentee, client_for):
    relationship_end(relationship=pair, by=director)
    html = client_for(director).get(pair.get_absolute_url()).content.decode()
    rematch = reverse("matching:assign", args=[pair.program_id])
    assert f"{rematch}?mentee={mentee.profile.pk}&amp;rematch={pair.pk}" in html
