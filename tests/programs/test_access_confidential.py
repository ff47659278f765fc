"""The confidentiality findings of issue 11, each reproduced: goals following sharing per
version, a director who is also a member seeing nothing of their own relationship's reviews,
and the home page's concern count leaving out the concern about the viewer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from programs.access import (
    MeetingAccess,
    RelationshipAccess,
    get_meeting_for_user,
    get_relationship_for_user,
    relationships_overseen_by,
)
from programs.models import (
    AgendaItem,
    AssessmentShare,
    Concern,
    ConcernCategory,
    MemberSide,
    Relationship,
    RelationshipKind,
    RelationshipMember,
    RelationshipSource,
    RelationshipStage,
    RiskReason,
)
from tests.oversight_fixtures import answered_review, flag_at_risk
from tests.relationship_fixtures import (
    make_relationship,
    program_mentor,
    submitted_assessment,
    upcoming_meeting,
)

pytestmark = pytest.mark.django_db


# --- Goals follow sharing, version by version ---------------------------------------------------


@pytest.fixture
def versions(mentee, mentor):
    """Version 1 (shared with the mentor) and version 2 (not shared) of the mentee's
    self-evaluation, each with one goal."""
    v1 = submitted_assessment(mentee, goals=("GOAL-OF-SHARED-V1",), version=1)
    AssessmentShare.objects.create(assessment=v1, shared_with=mentor.profile)
    v2 = submitted_assessment(mentee, goals=("GOAL-OF-PRIVATE-V2",), version=2)
    return v1, v2


def goal_surfaces(client, pair, meeting):
    """The relationship page, the meeting page ("start from last time" and the agenda goal
    menu), and the agreement editor."""
    return {
        "relationship": client.get(reverse("relationship_detail", args=[pair.pk])),
        "meeting": client.get(reverse("meeting_detail", args=[meeting.pk])),
        "agreement": client.get(reverse("relationship_agreement", args=[pair.pk]) + "?edit=1"),
    }


def test_a_mentor_sees_goals_only_from_the_version_shared_with_them(
    pair, versions, mentor, mentee, client_for
):
    meeting = upcoming_meeting(pair)
    for name, response in goal_surfaces(client_for(mentor), pair, meeting).items():
        body = response.content.decode()
        assert response.status_code == 200, name
        assert "GOAL-OF-SHARED-V1" in body, name
        assert "GOAL-OF-PRIVATE-V2" not in body, name
    # The mentee works from her newest version.
    for name, response in goal_surfaces(client_for(mentee), pair, meeting).items():
        body = response.content.decode()
        assert "GOAL-OF-PRIVATE-V2" in body, name
        assert "GOAL-OF-SHARED-V1" not in body, name


def test_a_mentor_sees_no_goals_when_nothing_is_shared(pair, mentee, mentor, client_for):
    submitted_assessment(mentee, goals=("GOAL-NEVER-SHARED",))
    meeting = upcoming_meeting(pair)
    for name, response in goal_surfaces(client_for(mentor), pair, meeting).items():
        assert "GOAL-NEVER-SHARED" not in response.content.decode(), name


def test_stopping_sharing_hides_the_goals_again(pair, versions, mentor, client_for):
    AssessmentShare.objects.update(revoked_at=timezone.now())
    body = client_for(mentor).get(reverse("relationship_detail", args=[pair.pk])).content
    assert b"GOAL-OF-SHARED-V1" not in body


def test_a_mentor_cannot_link_an_unshared_goal_by_its_id(pair, versions, mentor, client_for):
    meeting = upcoming_meeting(pair)
    hidden = versions[1].goals.get()
    response = client_for(mentor).post(
        reverse("agenda_add", args=[meeting.pk]), {"topic": "Progress", "goal": hidden.pk}
    )
    assert response.status_code == 400
    assert not AgendaItem.objects.exists()
    assert b"GOAL-OF-PRIVATE-V2" not in response.content
    response = client_for(mentor).post(
        reverse("action_item_add", args=[pair.pk]),
        {"title": "Draft", "owner": mentor.profile.pk, "goal": hidden.pk},
    )
    assert response.status_code == 400
    assert b"GOAL-OF-PRIVATE-V2" not in response.content


def test_a_goal_already_in_the_agreement_stays_when_the_mentor_saves_it(
    pair, versions, mentee, mentor, client_for
):
    from programs.selectors.relationships import agreement_state

    private_goal = versions[1].goals.get()
    state = agreement_state(pair)
    state.current.goals.add(private_goal)  # the mentee put her goal in the agreement
    page = client_for(mentor).get(reverse("relationship_agreement", args=[pair.pk]) + "?edit=1")
    assert b"GOAL-OF-PRIVATE-V2" in page.content  # in the agreement, for everyone in it


# --- A director who is also a member -----------------------------------------------------------


def _relationship(program, *, mentee, mentor):
    """Written directly: a director's or admin's own relationship may come from anywhere (an
    outside mentor, an earlier role), whatever the pairing rules say today."""
    relationship = Relationship.objects.create(
        program=program,
        kind=RelationshipKind.ONE_TO_ONE,
        stage=RelationshipStage.ACTIVE,
        started_on=timezone.localdate() - timedelta(days=90),
        source=RelationshipSource.MANUAL,
    )
    RelationshipMember.objects.create(
        relationship=relationship, person=mentee.profile, side=MemberSide.MENTEE
    )
    RelationshipMember.objects.create(
        relationship=relationship, person=mentor.profile, side=MemberSide.MENTOR
    )
    return relationship


@pytest.fixture
def own_pair(program, director, mentor):
    """The program's director is mentored in her own program; the mentor's review of it says
    "end" with a low score, and the relationship is flagged at risk."""
    relationship = _relationship(program, mentee=director, mentor=mentor)
    review = answered_review(relationship, mentor, score="1.3", choice="end")
    risk = flag_at_risk(relationship, review)
    risk.reason = RiskReason.WANTS_TO_END
    risk.save()
    return relationship


RISK_LABEL = "A party chose to end in a review"


def test_a_director_in_a_relationship_sees_nothing_of_its_reviews_on_the_table(
    own_pair, program, director, admin, client_for
):
    url = reverse("program_relationships", args=[program.pk])
    body = client_for(director).get(url).content.decode()
    assert RISK_LABEL not in body
    assert "Mentor 1.3" not in body
    rows = client_for(director).get(url + "?at_risk=1").context["page"]
    assert list(rows) == []
    # An admin who is not in it (the control) sees the flag and the score.
    body = client_for(admin).get(url).content.decode()
    assert RISK_LABEL in body
    assert "Mentor 1.3" in body


def test_a_director_in_a_relationship_sees_no_risk_on_reviews_dashboard_home_and_program(
    own_pair, program, director, client_for
):
    client = client_for(director)
    reviews = client.get(reverse("program_reviews", args=[program.pk]))
    assert reviews.context["at_risk"] == []
    assert reviews.context["rates"].total.requested == 0  # not even whether they answered
    dashboard = client.get(reverse("program_dashboard", args=[program.pk]) + "?refresh=1")
    assert dashboard.context["d"].at_risk_total == 0
    assert dashboard.context["d"].reviews_done == 0
    home = client.get(reverse("home"))
    assert [p.at_risk for p in home.context["directed_programs"]] == [0]
    assert b"at risk" not in home.content
    detail = client.get(reverse("programs:detail", args=[program.pk]))
    assert detail.context["at_risk_count"] == 0


def test_a_director_in_a_relationship_cannot_read_its_reviews_in_the_report(
    own_pair, program, director, admin, client_for
):
    report = client_for(director).get(reverse("program_reports", args=[program.pk]))
    tables = [t for s in report.context["report"].sections for t in s.tables]
    at_risk_rows = [
        row for t in tables if t.title.startswith("Relationships active") for row in t.rows
    ]
    assert all(row[-1] == "" for row in at_risk_rows)
    admin_report = client_for(admin).get(reverse("program_reports", args=[program.pk]))
    tables = [t for s in admin_report.context["report"].sections for t in s.tables]
    assert any(
        row[-1] == "yes"
        for t in tables
        if t.title.startswith("Relationships active")
        for row in t.rows
    )


def test_an_admin_mentored_in_a_program_sees_nothing_of_that_relationship(
    program, admin, mentor, client_for
):
    relationship = _relationship(program, mentee=admin, mentor=mentor)
    review = answered_review(relationship, mentor, score="1.3", choice="end")
    flag_at_risk(relationship, review)
    body = (
        client_for(admin).get(reverse("program_relationships", args=[program.pk])).content.decode()
    )
    assert "Mentor 1.3" not in body
    assert relationship not in relationships_overseen_by(admin)


# --- The home page's concern count -------------------------------------------------------------


def test_the_home_page_concern_count_leaves_out_the_concern_about_the_viewer(
    own_pair, program, director, mentor, mentee, client_for
):
    other = make_relationship(program=program, mentees=[mentee], mentors=[program_mentor(program)])
    Concern.objects.create(
        relationship=own_pair, raised_by=mentor.profile, category=ConcernCategory.OTHER, text="x"
    )
    Concern.objects.create(
        relationship=other, raised_by=mentee.profile, category=ConcernCategory.OTHER, text="y"
    )
    home = client_for(director).get(reverse("home"))
    assert [p.open_concerns for p in home.context["directed_programs"]] == [1]
    inbox = client_for(director).get(reverse("program_concerns", args=[program.pk]))
    assert b"</span> open concern</a>" in home.content  # "1 open concern", not "2 … concerns"
    assert len(list(inbox.context["page"])) == 1


# --- Access returns answers ---------------------------------------------------------------------


def test_access_answers_with_the_viewer_relation_and_patches_nothing(
    pair, mentee, director, program
):
    as_member = get_relationship_for_user(mentee, pair.pk)
    assert isinstance(as_member, RelationshipAccess)
    assert as_member.is_member
    assert as_member.side == "mentee"
    assert not as_member.oversees
    as_director = get_relationship_for_user(director, pair.pk)
    assert as_director.member is None
    assert as_director.directs
    assert as_director.oversees
    assert not hasattr(as_director.relationship, "viewer_member")
    meeting = upcoming_meeting(pair)
    seen = get_meeting_for_user(mentee, meeting.pk)
    assert isinstance(seen, MeetingAccess)
    assert seen.member.person_id == mentee.profile.pk
    with pytest.raises(AttributeError):
        as_member.member = None
