"""Relationship pages through the test client: creating, the agreement, ending, concluding,
outside mentors, action items and check-ins — including the bad input the issue names."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from programs.models import (
    ActionItem,
    Agreement,
    AgreementVersion,
    Meeting,
    MeetingStatus,
    Relationship,
    RelationshipStage,
)
from programs.services.agreements import agreement_save
from tests.relationship_fixtures import program_mentee

pytestmark = pytest.mark.django_db


# --- A director creates a relationship ----------------------------------------------------------


def test_a_director_pairs_a_mentee_and_a_mentor(
    cast, program, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cast["director"]).post(
            reverse("relationship_new", args=[program.pk]),
            {
                "kind": "one_to_one",
                "mentees": [cast["mentee"].profile.pk],
                "mentors": [cast["mentor"].profile.pk],
                "roles": ["advisor", "sponsor"],
                "started_on": timezone.localdate().isoformat(),
            },
        )
    relationship = Relationship.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("relationship_detail", args=[relationship.pk])
    assert relationship.roles == ["advisor", "sponsor"]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [cast["mentee"].email, cast["mentor"].email]
    )


def test_the_new_relationship_form_explains_refusals(cast, program, client_for):
    cast["mentee"].profile.reports_to = cast["mentor"].profile
    cast["mentee"].profile.save()
    response = client_for(cast["director"]).post(
        reverse("relationship_new", args=[program.pk]),
        {
            "kind": "one_to_one",
            "mentees": [cast["mentee"].profile.pk],
            "mentors": [cast["mentor"].profile.pk],
            "started_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 400
    assert "reporting line" in response.content.decode()
    assert not Relationship.objects.exists()


def test_the_new_relationship_form_offers_only_the_programs_people(
    cast, program, other_program, client_for
):
    from tests.factories import MembershipFactory

    MembershipFactory(program=other_program, person=cast["outsider"].profile, role="mentee")
    form = (
        client_for(cast["director"])
        .get(reverse("relationship_new", args=[program.pk]))
        .context["form"]
    )
    assert list(form.fields["mentees"].queryset) == [cast["mentee"].profile]
    assert list(form.fields["mentors"].queryset) == [cast["mentor"].profile]


# --- The agreement ------------------------------------------------------------------------------


def _agreement_post(revision, **overrides):
    data = {
        "revision": str(revision),
        "cadence_days": "30",
        "modes": ["in_person", "video"],
        "mentee_commitments": ["drive", "agenda"],
        "draft_notice_days": "7",
        "mentor_commitments": ["meet"],
        "progress_measures": "A grant by spring",
        "confidentiality": "Between us",
        "credit_and_authorship": "Agreed upfront",
        "review_on": (timezone.localdate() + timedelta(days=120)).isoformat(),
    }
    data.update(overrides)
    return data


def test_both_fill_in_and_confirm_the_agreement(pair, mentee, mentor, client_for):
    url = reverse("relationship_agreement", args=[pair.pk])
    response = client_for(mentee).post(url, _agreement_post(0))
    assert response.status_code == 302
    revision = Agreement.objects.get(relationship=pair).revision
    confirm = reverse("agreement_confirm", args=[pair.pk])
    client_for(mentee).post(confirm, {"revision": revision})
    client_for(mentor).post(confirm, {"revision": revision})
    version = AgreementVersion.objects.get(agreement__relationship=pair)
    assert version.confirmed_at is not None
    assert "confirmed by everyone" in client_for(mentor).get(url).content.decode()


def test_a_stale_agreement_save_keeps_the_typed_text(pair, mentee, mentor, client_for):
    agreement_save(
        relationship=pair,
        data=_agreement_form_data(),
        revision=0,
        by=mentor,
    )
    response = client_for(mentee).post(
        reverse("relationship_agreement", args=[pair.pk]),
        _agreement_post(0, progress_measures="MY-UNSAVED-WORDS"),
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "changed the agreement while you were editing" in html
    assert "MY-UNSAVED-WORDS" in html  # still in the form
    assert "MENTOR-SAVED-WORDS" in html  # the saved version, shown beside it


def _agreement_form_data():
    return {
        "cadence_days": 30,
        "modes": ["video"],
        "mentee_commitments": [],
        "draft_notice_days": 7,
        "mentee_also": "",
        "mentor_commitments": [],
        "mentor_also": "",
        "other_goals": "",
        "progress_measures": "MENTOR-SAVED-WORDS",
        "confidentiality": "",
        "credit_and_authorship": "",
        "review_on": timezone.localdate() + timedelta(days=90),
    }


def test_a_review_date_before_the_start_is_a_field_error(pair, mentee, client_for):
    response = client_for(mentee).post(
        reverse("relationship_agreement", args=[pair.pk]),
        _agreement_post(0, review_on=(pair.started_on - timedelta(days=3)).isoformat()),
    )
    assert response.status_code == 400
    assert "after the relationship started" in response.content.decode()


def test_the_agreement_shows_what_changed(pair, mentee, mentor, client_for):
    url = reverse("relationship_agreement", args=[pair.pk])
    client_for(mentee).post(url, _agreement_post(0))
    revision = Agreement.objects.get(relationship=pair).revision
    for user in (mentee, mentor):
        client_for(user).post(reverse("agreement_confirm", args=[pair.pk]), {"revision": revision})
    client_for(mentor).post(url, _agreement_post(revision, cadence_days="91"))
    html = client_for(mentee).get(url).content.decode()
    assert "What changed since version 1" in html
    assert "Every three months" in html


# --- Ending, concluding, alumni -------------------------------------------------------------------


def test_ending_takes_two_clicks_and_no_reason(pair, mentee, mentor, client_for):
    client = client_for(mentee)
    page = client.get(reverse("relationship_detail", args=[pair.pk])).content.decode()
    end_url = reverse("relationship_end", args=[pair.pk])
    assert end_url in page  # click one: the link
    response = client.post(end_url, {})  # click two: the button, reason left empty
    assert response.status_code == 302
    pair.refresh_from_db()
    assert pair.stage == RelationshipStage.ENDED
    mentor_page = client_for(mentor).get(reverse("relationship_detail", args=[pair.pk]))
    html = mentor_page.content.decode()
    assert "This relationship has ended" in html
    assert "Endings are a normal part of mentoring" in html
    assert mentee.profile.display_name + " ended" not in html


def test_concluding_is_celebrated(pair, mentee, mentor, client_for):
    url = reverse("relationship_conclude", args=[pair.pk])
    client_for(mentee).post(url)
    client_for(mentor).post(url)
    pair.refresh_from_db()
    assert pair.stage == RelationshipStage.CONCLUDED
    html = client_for(mentee).get(reverse("relationship_detail", args=[pair.pk])).content.decode()
    assert "Concluded — goals met" in html
    client_for(mentee).post(reverse("relationship_alumni", args=[pair.pk]), {"stays_in_touch": "1"})
    client_for(mentor).post(reverse("relationship_alumni", args=[pair.pk]), {"stays_in_touch": "1"})
    pair.refresh_from_db()
    assert pair.is_alumni


def test_the_pilot_is_confirmed_from_the_page(pair, mentee, mentor, client_for):
    for user in (mentee, mentor):
        client_for(user).post(reverse("pilot_confirm", args=[pair.pk]))
    pair.refresh_from_db()
    assert pair.stage == RelationshipStage.ACTIVE


def test_a_director_ends_a_relationship(pair, director, client_for):
    response = client_for(director).post(
        reverse("relationship_end", args=[pair.pk]), {"reason_for_directors": "Reassigned"}
    )
    assert response.status_code == 302
    pair.refresh_from_db()
    assert pair.stage == RelationshipStage.ENDED


def test_leaving_a_group_sends_the_leaver_to_their_board(group, client_for):
    leaver = group.members.filter(side="mentee").first().person.user
    response = client_for(leaver).post(reverse("relationship_end", args=[group.pk]), {})
    assert response["Location"] == reverse("mentee_board")


# --- Action items and check-ins ---------------------------------------------------------------


def test_an_action_item_owned_by_someone_outside_is_refused(pair, mentee, outsider, client_for):
    response = client_for(mentee).post(
        reverse("action_item_add", args=[pair.pk]),
        {"title": "Ask the outsider", "owner": outsider.profile.pk},
    )
    assert response.status_code == 400
    assert "Choose one of the people in this relationship" in response.content.decode()
    assert "Ask the outsider" in response.content.decode()  # the typed title is kept
    assert not ActionItem.objects.exists()


def test_an_action_item_is_added_and_done(pair, mentee, mentor, client_for):
    client_for(mentee).post(
        reverse("action_item_add", args=[pair.pk]),
        {"title": "Send CV", "owner": mentor.profile.pk, "due_on": ""},
    )
    item = ActionItem.objects.get()
    assert item.owner == mentor.profile
    client_for(mentor).post(
        reverse("action_item_status", args=[pair.pk, item.pk]), {"status": "done"}
    )
    item.refresh_from_db()
    assert item.status == "done"


def test_a_check_in_is_logged_from_its_form(pair, mentor, client_for):
    response = client_for(mentor).post(
        reverse("checkin_new", args=[pair.pk]),
        {
            "occurred_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
            "mode": "email",
            "summary": "Comments on the draft",
        },
    )
    assert response.status_code == 302
    assert Meeting.objects.get().status == MeetingStatus.CHECK_IN


def test_a_check_in_in_the_future_is_refused(pair, mentor, client_for):
    response = client_for(mentor).post(
        reverse("checkin_new", args=[pair.pk]),
        {
            "occurred_on": (timezone.localdate() + timedelta(days=2)).isoformat(),
            "mode": "email",
            "summary": "x",
        },
    )
    assert response.status_code == 400
    assert "after it happened" in response.content.decode()


# --- Outside mentors ------------------------------------------------------------------------------


def test_a_mentee_adds_an_outside_mentor_from_the_board(mentee, program, client_for):
    response = client_for(mentee).post(
        reverse("outside_mentor_new"),
        {
            "program": program.pk,
            "given_name": "Ada",
            "family_name": "Far",
            "email": "ada@far.example",
            "organisation": "Far University",
            "is_remote": "on",
        },
    )
    assert response["Location"] == reverse("mentee_board")
    assert not Relationship.objects.exists()  # nothing starts before they accept
    board = client_for(mentee).get(reverse("mentee_board")).content.decode()
    assert "Outside mentors you invited" in board
    assert "Ada Far" in board


def test_the_outside_mentor_form_refuses_markup(mentee, program, client_for):
    response = client_for(mentee).post(
        reverse("outside_mentor_new"),
        {
            "program": program.pk,
            "given_name": "<b>Ada</b>",
            "family_name": "Far",
            "email": "ada@far.example",
        },
    )
    assert response.status_code == 400
    assert not Relationship.objects.exists()


def test_a_relationship_page_lists_the_people_with_their_zones(pair, mentee, client_for):
    other = program_mentee(pair.program)
    html = client_for(mentee).get(reverse("relationship_detail", args=[pair.pk])).content.decode()
    assert "America/Toronto" in html
    assert other.profile.display_name not in html
