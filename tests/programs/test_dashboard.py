"""The director's dashboard, the relationships table, mentor recognition and the director's
actions on a relationship: content, permissions and a constant number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from programs.models import (
    AuditEvent,
    Concern,
    DirectorNote,
    Meeting,
    Relationship,
    RelationshipMember,
    RelationshipRisk,
    RelationshipStage,
    ReviewRequest,
)
from programs.selectors.dashboard import TableFilters, relationships_table
from programs.selectors.figures import with_quiet
from programs.services.relationships import (
    director_note_add,
    relationship_extend_pilot,
    relationship_reassign,
)
from tests.oversight_fixtures import answered_review, flag_at_risk, populate
from tests.relationship_fixtures import (
    make_relationship,
    past_meeting,
    program_mentee,
    program_mentor,
)

pytestmark = pytest.mark.django_db

MAX_QUERIES = 12


def _queries(client, url):
    client.get(url)  # the first request of a session stores the time zone
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response


# --- Queries ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["program_dashboard", "program_relationships", "mentor_recognition"]
)
def test_it_runs_a_constant_number_of_queries(name, program, director, client_for):
    client = client_for(director)
    url = reverse(name, args=[program.pk])
    populate(program, director, 1)
    small, _ = _queries(client, url)
    populate(program, director, 59, meetings=4)
    large, _response = _queries(
        client, url + "?stage=open&sort=-last_met" if name == "program_relationships" else url
    )
    assert small <= MAX_QUERIES
    assert large <= MAX_QUERIES
    assert large == small or name == "program_relationships"


def test_the_filtered_table_stays_within_the_budget(program, director, client_for):
    populate(program, director, 30)
    url = reverse("program_relationships", args=[program.pk])
    count, _response = _queries(
        client_for(director),
        url + "?at_risk=1&quiet=1&rank=1&stream=1&department=1&cohort=1&mentor_name=a",
    )
    assert count <= MAX_QUERIES


# --- What the dashboard shows ------------------------------------------------------------------------


def test_the_dashboard_counts_unmatched_full_quiet_and_at_risk(program, director, client_for):
    pairs = populate(program, director, 3)  # pairs[0] at risk
    waiting = program_mentee(
        program, "waiting@northbridge.test", given_name="Wanda", family_name="Waits"
    )
    quiet = pairs[1]
    Meeting.objects.filter(relationship=quiet).delete()
    response = client_for(director).get(reverse("program_dashboard", args=[program.pk]))
    d = response.context["d"]
    assert d.unmatched_total == 1
    assert [w.membership.person.user for w in d.waiting] == [waiting]
    assert d.at_risk_total == 1
    assert d.quiet_total == 1
    assert d.open_total == 3
    assert d.reviews_due == 3
    assert d.reviews_done == 3
    body = response.content.decode()
    assert "Wanda Waits" in body
    assert 'role="img"' in body
    assert "Show the data" in body


def test_mentors_at_capacity_are_listed(program, director, client_for):
    mentor = program_mentor(program, capacity=1)
    make_relationship(
        program=program, mentees=[program_mentee(program)], mentors=[mentor], by=director
    )
    d = client_for(director).get(reverse("program_dashboard", args=[program.pk])).context["d"]
    assert [m.person_id for m in d.mentors_full] == [mentor.profile.pk]


def test_quiet_follows_the_agreed_cadence(program, director, pair):
    Relationship.objects.filter(pk=pair.pk).update(
        started_on=timezone.localdate() - timedelta(days=100)
    )
    past_meeting(pair, days_ago=80)  # program default: monthly, 14 days' grace: 2 × 30 + 14 = 74
    assert with_quiet(Relationship.objects.filter(pk=pair.pk)).get().is_quiet
    program.meeting_cadence_days = 61
    program.save()
    assert not with_quiet(Relationship.objects.filter(pk=pair.pk)).get().is_quiet


def test_match_rate_groups_under_five_are_suppressed(program, director, client_for):
    populate(program, director, 2)
    d = client_for(director).get(reverse("program_dashboard", args=[program.pk])).context["d"]
    assert all(g.rate is None for g in d.charts["match"])
    assert (
        "fewer than 5"
        in client_for(director)
        .get(reverse("program_dashboard", args=[program.pk]))
        .content.decode()
    )


# --- The table ------------------------------------------------------------------------------------------


def test_the_table_filters_to_at_risk_and_shows_the_latest_review(program, director, client_for):
    pairs = populate(program, director, 4)
    response = client_for(director).get(
        reverse("program_relationships", args=[program.pk]) + "?at_risk=1"
    )
    shown = [r.pk for r in response.context["page"]]
    assert shown == [pairs[3].pk, pairs[0].pk] or sorted(shown) == sorted(
        [pairs[0].pk, pairs[3].pk]
    )
    body = response.content.decode()
    assert "Mentee 2.5" in body
    assert "COMMENT-SECRET" not in body


def test_the_table_filters_by_mentor_and_by_the_mentees_rank(program, director):
    from programs.models import AcademicRank

    pairs = populate(program, director, 3)
    mentor_id = pairs[1].members.get(side="mentor").person_id
    rows = relationships_table(
        program=program,
        filters=TableFilters(mentor=mentor_id),
        director_concerns=Concern.objects.none(),
        risks=RelationshipRisk.objects.all(),
        review_requests=ReviewRequest.objects.all(),
    )
    assert [r.pk for r in rows] == [pairs[1].pk]
    senior = AcademicRank.objects.order_by("-order").first()
    pairs[2].members.get(side="mentee").person.__class__.objects.filter(
        pk=pairs[2].members.get(side="mentee").person_id
    ).update(rank=senior)
    rows = relationships_table(
        program=program,
        filters=TableFilters(rank=senior.pk),
        director_concerns=Concern.objects.none(),
        risks=RelationshipRisk.objects.all(),
        review_requests=ReviewRequest.objects.all(),
    )
    assert [r.pk for r in rows] == [pairs[2].pk]


def test_a_director_cannot_filter_another_programs_table(
    program, other_program, other_director, director, client_for
):
    populate(program, director, 2)
    assert client_for(other_director).get(
        reverse("program_relationships", args=[program.pk]) + "?at_risk=1"
    ).status_code in (403, 404)


# --- Permissions -------------------------------------------------------------------------------------------

PAGES = [
    "program_dashboard",
    "program_relationships",
    "mentor_recognition",
    "mentor_recognition_csv",
]


@pytest.mark.parametrize("name", PAGES)
def test_faculty_cannot_open_director_pages(name, cast, program, client_for):
    for who in ("mentee", "mentor"):
        assert client_for(cast[who]).get(reverse(name, args=[program.pk])).status_code == 403
    assert client_for(cast["outsider"]).get(reverse(name, args=[program.pk])).status_code == 404


@pytest.mark.parametrize("name", PAGES)
def test_a_director_of_another_program_gets_404(name, cast, program, client_for):
    assert (
        client_for(cast["other_director"]).get(reverse(name, args=[program.pk])).status_code == 404
    )


@pytest.mark.parametrize("name", PAGES[:3])
def test_directors_and_admins_open_them(name, cast, program, client_for):
    for who in ("director", "admin"):
        assert client_for(cast[who]).get(reverse(name, args=[program.pk])).status_code == 200


def test_the_dashboard_is_linked_from_the_program_and_home(cast, program, client_for):
    url = reverse("program_dashboard", args=[program.pk])
    client = client_for(cast["director"])
    assert url in client.get(reverse("programs:detail", args=[program.pk])).content.decode()
    assert url in client.get(reverse("home")).content.decode()


# --- Mentor recognition ----------------------------------------------------------------------------------------


def test_recognition_suppresses_means_from_fewer_than_three_reviews(program, director, client_for):
    mentor = program_mentor(program, capacity=5)
    mentees = [program_mentee(program) for _ in range(3)]
    pairs = [
        make_relationship(program=program, mentees=[m], mentors=[mentor], by=director)
        for m in mentees
    ]
    answered_review(pairs[0], mentees[0], score="4.0")
    answered_review(pairs[1], mentees[1], score="5.0")
    answered_review(pairs[0], mentor, score="1.0")  # the mentor's own answer never counts
    client = client_for(director)
    url = reverse("mentor_recognition", args=[program.pk])
    row = next(m for m in client.get(url).context["page"] if m.person.user == mentor)
    assert row.total_mentees == 3
    assert row.current_mentees == 3
    assert row.review_count == 2
    assert row.score_text == "fewer than 3 reviews"
    answered_review(pairs[2], mentees[2], score="3.0")
    row = next(m for m in client.get(url).context["page"] if m.person.user == mentor)
    assert row.score_text == "4.0"


def test_the_recognition_csv_needs_reauthentication(cast, program, client_for):
    response = client_for(cast["director"]).get(
        reverse("mentor_recognition_csv", args=[program.pk])
    )
    assert response.status_code == 302
    assert reverse("account_reauthenticate") in response["Location"]


def test_the_recognition_csv_after_reauthentication(cast, program, client_for):
    client = client_for(cast["director"])
    url = reverse("mentor_recognition_csv", args=[program.pk])
    client.get(url)
    response = client.post(
        reverse("account_reauthenticate") + f"?next={url}",
        {"password": "correct-horse-battery"},
        follow=False,
    )
    assert response.status_code == 302
    response = client.get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert "Robert Mentor" in body
    assert AuditEvent.objects.filter(
        verb="report.export", detail__kind="mentor_recognition"
    ).exists()


# --- Director actions -----------------------------------------------------------------------------------------


def test_a_director_reassigns_a_mentor(pair, program, director, mentee, mentor):
    new = program_mentor(program)
    successor = relationship_reassign(
        relationship=pair,
        outgoing=mentor.profile,
        incoming=new.profile,
        by=director,
        reason_for_directors="Not a fit",
    )
    pair.refresh_from_db()
    # The old pair ends without fault; a new relationship starts with its own pilot.
    assert pair.stage == RelationshipStage.ENDED
    assert successor.pk != pair.pk
    assert successor.previous_id == pair.pk
    active = set(
        RelationshipMember.objects.filter(relationship=successor, left_at__isnull=True).values_list(
            "person__user", flat=True
        )
    )
    assert active == {mentee.pk, new.pk}
    assert successor.stage == RelationshipStage.PILOT
    event = AuditEvent.objects.get(verb="relationship.reassign")
    assert "Not a fit" not in str(event.detail)


def test_reassigning_refuses_someone_in_the_mentees_reporting_line(
    pair, program, director, mentee, mentor
):
    boss = program_mentor(program)
    profile = mentee.profile
    profile.reports_to = boss.profile
    profile.save()
    with pytest.raises(Exception, match="reporting"):
        relationship_reassign(
            relationship=pair, outgoing=mentor.profile, incoming=boss.profile, by=director
        )


def test_only_directors_reassign(pair, program, mentee, mentor):
    new = program_mentor(program)
    with pytest.raises(Exception, match="directors"):
        relationship_reassign(
            relationship=pair, outgoing=mentor.profile, incoming=new.profile, by=mentee
        )


def test_the_reassign_page_posts(pair, program, director, mentor, client_for):
    new = program_mentor(program)
    response = client_for(director).post(
        reverse("relationship_reassign", args=[pair.pk]),
        {"outgoing": mentor.profile.pk, "incoming": new.profile.pk, "confirm": "1"},
    )
    assert response.status_code == 302
    assert RelationshipMember.objects.filter(
        relationship__previous=pair, person=new.profile
    ).exists()


def test_members_cannot_use_director_actions(pair, mentee, mentor, program, client_for):
    new = program_mentor(program)
    for who in (mentee, mentor):
        client = client_for(who)
        assert (
            client.post(
                reverse("relationship_reassign", args=[pair.pk]),
                {"outgoing": mentor.profile.pk, "incoming": new.profile.pk},
            ).status_code
            == 403
        )
        assert (
            client.post(
                reverse("relationship_extend_pilot", args=[pair.pk]), {"until": "2099-01-01"}
            ).status_code
            == 403
        )
        assert (
            client.post(
                reverse("director_note_add", args=[pair.pk]), {"text": "x", "held_on": "2020-01-01"}
            ).status_code
            == 403
        )


def test_other_directors_get_404_on_director_actions(pair, other_director, client_for):
    client = client_for(other_director)
    for name in ("relationship_reassign", "relationship_extend_pilot", "director_note_add"):
        assert client.post(reverse(name, args=[pair.pk]), {}).status_code == 404


def test_a_director_extends_the_pilot(pair, director):
    until = pair.pilot_ends_on + timedelta(days=30)
    relationship_extend_pilot(relationship=pair, until=until, by=director)
    pair.refresh_from_db()
    assert pair.pilot_ends_on == until
    assert AuditEvent.objects.filter(verb="relationship.extend_pilot").exists()


def test_extending_refuses_an_earlier_date_and_active_pairs(pair, director):
    with pytest.raises(Exception, match="after"):
        relationship_extend_pilot(relationship=pair, until=pair.pilot_ends_on, by=director)
    Relationship.objects.filter(pk=pair.pk).update(stage=RelationshipStage.ACTIVE)
    with pytest.raises(Exception, match="pilot"):
        relationship_extend_pilot(
            relationship=pair, until=pair.pilot_ends_on + timedelta(days=5), by=director
        )


def test_brokered_conversation_notes_are_for_directors_only(pair, cast, client_for):
    director_note_add(
        relationship=pair,
        text="BROKERED-NOTE-TEXT",
        held_on=timezone.localdate(),
        by=cast["director"],
    )
    url = reverse("relationship_detail", args=[pair.pk])
    assert "BROKERED-NOTE-TEXT" in client_for(cast["director"]).get(url).content.decode()
    assert "BROKERED-NOTE-TEXT" in client_for(cast["admin"]).get(url).content.decode()
    for who in ("mentee", "mentor"):
        assert "BROKERED-NOTE-TEXT" not in client_for(cast[who]).get(url).content.decode()
    assert AuditEvent.objects.filter(verb="director_note.add").exists()
    assert AuditEvent.objects.filter(verb="director_note.view").exists()
    assert "BROKERED" not in str(list(AuditEvent.objects.values_list("detail", flat=True)))


def test_the_note_form_posts_and_shows_errors(midday, pair, director, client_for):
    client = client_for(director)
    bad = client.post(
        reverse("director_note_add", args=[pair.pk]), {"text": "", "held_on": "2020-01-01"}
    )
    assert bad.status_code == 400
    ok = client.post(
        reverse("director_note_add", args=[pair.pk]),
        {"text": "Met both.", "held_on": timezone.localdate().isoformat()},
    )
    assert ok.status_code == 302
    assert DirectorNote.objects.filter(relationship=pair).count() == 1


def test_a_director_ends_on_behalf_of_the_pair(pair, director, client_for):
    client_for(director).post(
        reverse("relationship_end", args=[pair.pk]), {"reason_for_directors": ""}
    )
    pair.refresh_from_db()
    assert pair.stage == RelationshipStage.ENDED


def test_risk_flags_on_closed_relationships_do_not_count(pair, director, program, client_for):
    flag_at_risk(pair)
    Relationship.objects.filter(pk=pair.pk).update(
        stage=RelationshipStage.ENDED, ended_at=timezone.now()
    )
    d = client_for(director).get(reverse("program_dashboard", args=[program.pk])).context["d"]
    assert d.at_risk_total == 0


def test_the_dashboard_is_cached_briefly_and_can_be_refreshed(
    program, director, client_for, settings
):
    from django.core.cache import cache

    settings.MENTORSHIP_DASHBOARD_CACHE_SECONDS = 60
    client = client_for(director)
    url = reverse("program_dashboard", args=[program.pk])
    client.get(url)  # stores the time zone in the session
    cache.clear()
    with CaptureQueriesContext(connection) as computed:
        client.get(url)
    populate(program, director, 2)
    with CaptureQueriesContext(connection) as cached:
        response = client.get(url)
    assert len(cached) < len(computed)
    assert response.context["d"].open_total == 0
    assert client.get(url + "?refresh=1").context["d"].open_total == 2
    cache.clear()
