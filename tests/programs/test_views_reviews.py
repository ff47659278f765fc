"""Review pages: the emailed link and the form, the directors' pages, and who may see what."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mentorship.notifications.models import Bounce
from programs.models import (
    RelationshipRisk,
    ReviewChoice,
    ReviewInstrument,
    ReviewRequest,
    ReviewResponse,
)
from programs.services.reviews import default_instrument, review_submit, review_token
from tests.relationship_fixtures import make_relationship, program_mentee, program_mentor

pytestmark = pytest.mark.django_db


def request_for(relationship, user, *, opens_on: date | None = None) -> ReviewRequest:
    opens_on = opens_on or timezone.localdate() - timedelta(days=1)
    return ReviewRequest.objects.create(
        relationship=relationship,
        respondent=user.profile,
        instrument=default_instrument(),
        cycle=0,
        opens_on=opens_on,
        closes_on=opens_on + timedelta(days=30),
    )


def form_data(request, value: str = "2", choice: str = ReviewChoice.ADJUST) -> dict[str, str]:
    data = {f"item_{item.pk}": value for item in request.instrument.items.all()}
    data.update(choice=choice, comment_for_directors="We never meet. SECRET-COMMENT")
    return data


def link(request) -> str:
    return reverse("review_answer", args=[review_token(request)])


# --- The respondent ----------------------------------------------------------------------------


def test_the_link_shows_the_review_to_its_respondent(client_for, pair, mentee):
    request = request_for(pair, mentee)
    page = client_for(mentee).get(link(request)).content.decode()
    assert "Your answers are private" in page
    assert "reciprocity" not in page  # constructs are for directors' analysis, not shown
    assert "Strongly disagree" in page
    assert "Not sure" in page


def test_the_link_asks_a_signed_out_person_to_sign_in(client, pair, mentee):
    response = client.get(link(request_for(pair, mentee)))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_answering_records_once_and_thanks(client_for, pair, mentee):
    request = request_for(pair, mentee)
    client = client_for(mentee)
    response = client.post(link(request), form_data(request))
    assert response["Location"] == reverse("review_done", args=[request.pk])
    assert "Revisit your agreement" in client.get(response["Location"]).content.decode()
    again = client.post(link(request), form_data(request))
    assert again.status_code == 200
    assert "already answered" in again.content.decode()
    assert ReviewResponse.objects.count() == 1


def test_choosing_to_end_offers_the_no_fault_ending(client_for, pair, mentee):
    request = request_for(pair, mentee)
    client = client_for(mentee)
    response = client.post(link(request), form_data(request, "5", ReviewChoice.END), follow=True)
    page = response.content.decode()
    assert reverse("relationship_end", args=[pair.pk]) in page
    assert "Nothing has changed yet" in page
    pair.refresh_from_db()
    assert pair.is_open


def test_a_missing_answer_is_explained_and_nothing_recorded(client_for, pair, mentee):
    request = request_for(pair, mentee)
    data = form_data(request)
    del data[next(k for k in data if k.startswith("item_"))]
    response = client_for(mentee).post(link(request), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "error-summary" in page
    assert "Choose an answer, or “Not sure”." in page
    assert not ReviewResponse.objects.exists()


def test_the_wrong_person_sees_a_clear_page_and_learns_nothing(client_for, pair, mentee, mentor):
    request = request_for(pair, mentee)
    response = client_for(mentor).get(link(request))
    assert response.status_code == 403
    page = response.content.decode()
    assert "does not work for you" in page
    assert mentee.profile.display_name not in page
    response = client_for(mentor).post(link(request), form_data(request))
    assert response.status_code == 403
    assert not ReviewResponse.objects.exists()


def test_an_expired_link_says_so(client_for, pair, mentee):
    request = request_for(pair, mentee, opens_on=timezone.localdate() - timedelta(days=60))
    response = client_for(mentee).get(link(request))
    assert response.status_code == 410
    assert "This review has closed" in response.content.decode()


def test_an_altered_link_says_so(client_for, mentee):
    response = client_for(mentee).get(reverse("review_answer", args=["not-a-real-token"]))
    assert response.status_code == 404
    assert "does not work for you" in response.content.decode()


def test_my_reviews_lists_only_my_own(client_for, pair, mentee, mentor):
    request_for(pair, mentee)
    mine = client_for(mentor).get(reverse("my_reviews")).content.decode()
    assert "Nothing to answer right now" in mine


def test_the_done_page_is_the_respondents_only(client_for, pair, mentee, mentor):
    request = request_for(pair, mentee)
    client_for(mentee).post(link(request), form_data(request))
    assert client_for(mentor).get(reverse("review_done", args=[request.pk])).status_code == 404


# --- The other party never sees the answers ----------------------------------------------------


def _answered(pair, mentee):
    request = request_for(pair, mentee)
    review_submit(
        request=request,
        answers={i.pk: 1 for i in request.instrument.items.all()},
        choice=ReviewChoice.END,
        comment_for_directors="SECRET-COMMENT",
        by=mentee,
    )
    return request


def test_the_mentor_cannot_open_the_results(client_for, pair, mentee, mentor):
    _answered(pair, mentee)
    assert client_for(mentor).get(reverse("review_results", args=[pair.pk])).status_code == 403
    for url in (
        reverse("relationship_detail", args=[pair.pk]),
        reverse("mentor_dashboard"),
        reverse("my_reviews"),
        reverse("home"),
    ):
        page = client_for(mentor).get(url).content.decode()
        assert "SECRET-COMMENT" not in page
        assert "At risk" not in page
        assert "End the relationship (no fault)" not in page


def test_strangers_get_404_and_members_of_other_programs_too(
    client_for, pair, mentee, outsider, other_director
):
    _answered(pair, mentee)
    for user in (outsider, other_director):
        response = client_for(user).get(reverse("review_results", args=[pair.pk]))
        assert response.status_code == 404


def test_a_director_sees_both_parties_answers_and_the_comment(client_for, pair, mentee, director):
    _answered(pair, mentee)
    page = client_for(director).get(reverse("review_results", args=[pair.pk])).content.decode()
    assert "SECRET-COMMENT" in page
    assert "A party chose to end in a review" in page
    assert "At risk" in page


def test_a_director_clears_the_flag_with_a_note(client_for, pair, mentee, director):
    _answered(pair, mentee)
    url = reverse("risk_clear", args=[pair.pk])
    assert client_for(director).post(url, {"note": ""}).status_code == 400
    response = client_for(director).post(url, {"note": "Met both; new rhythm agreed."})
    assert response.status_code == 302
    assert not RelationshipRisk.objects.filter(cleared_at__isnull=True).exists()


def test_the_mentee_cannot_clear_it(client_for, pair, mentee):
    _answered(pair, mentee)
    response = client_for(mentee).post(reverse("risk_clear", args=[pair.pk]), {"note": "fine"})
    assert response.status_code == 403


def test_the_program_page_and_reviews_page_show_the_pair_at_risk(
    client_for, pair, mentee, director, program
):
    _answered(pair, mentee)
    detail = client_for(director).get(reverse("programs:detail", args=[program.pk]))
    assert "1 at risk" in detail.content.decode()
    reviews = client_for(director).get(reverse("program_reviews", args=[program.pk]))
    page = reviews.content.decode()
    assert reverse("review_results", args=[pair.pk]) in page
    assert "Relationships" in page
    listing = client_for(director).get(reverse("program_relationships", args=[program.pk]))
    assert "At risk" in listing.content.decode()


def test_program_reviews_is_for_directors(client_for, program, mentee, other_director):
    url = reverse("program_reviews", args=[program.pk])
    assert client_for(mentee).get(url).status_code == 403
    assert client_for(other_director).get(url).status_code == 404


def _pairs(program, director, n, prefix):
    for i in range(n):
        m = program_mentee(program, f"{prefix}{i}@northbridge.test")
        r = make_relationship(
            program=program,
            mentees=[m],
            mentors=[program_mentor(program, f"{prefix}r{i}@northbridge.test")],
            by=director,
        )
        _answered(r, m)


def test_the_reviews_page_takes_the_same_queries_for_1_and_many_pairs(
    client_for, program, director
):
    client = client_for(director)
    url = reverse("program_reviews", args=[program.pk])
    _pairs(program, director, 1, "a")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    _pairs(program, director, 6, "b")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["at_risk"]) == 7
    assert len(many) == len(one)


# --- Instruments -------------------------------------------------------------------------------


def test_a_director_creates_an_instrument_and_chooses_it(client_for, program, director):
    client = client_for(director)
    data = {
        "name": "Our licensed check-up",
        "description": "",
        "source": "Licensed 2026",
        "scale_max": "4",
        "scale_labels_text": "No\nRather not\nRather yes\nYes",
        "items-TOTAL_FORMS": "3",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        "items-0-text": "We meet as agreed.",
        "items-0-construct": "commitment",
        "items-0-polarity": "strength",
        "items-1-text": "We compete for credit.",
        "items-1-construct": "competition",
        "items-1-polarity": "warning",
        "items-2-polarity": "strength",  # an empty row, as the browser sends it
    }
    response = client.post(reverse("review_instrument_new", args=[program.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    instrument = ReviewInstrument.objects.get(program=program)
    assert instrument.items.count() == 2
    assert instrument.scale_labels == ["No", "Rather not", "Rather yes", "Yes"]
    client.post(reverse("review_instruments", args=[program.pk]), {"instrument": instrument.pk})
    program.refresh_from_db()
    assert program.review_instrument == instrument


def test_the_shipped_instrument_is_read_only_and_can_be_copied(client_for, program, director):
    client = client_for(director)
    shipped = default_instrument()
    page = client.get(reverse("review_instrument_edit", args=[program.pk, shipped.pk]))
    assert "ships with the app" in page.content.decode()
    client.post(reverse("review_instrument_copy", args=[program.pk, shipped.pk]))
    copy = ReviewInstrument.objects.get(program=program)
    assert copy.items.count() == shipped.items.count()


def test_another_programs_instrument_is_hidden(client_for, program, other_program, director):
    theirs = ReviewInstrument.objects.create(program=other_program, name="Theirs")
    url = reverse("review_instrument_edit", args=[program.pk, theirs.pk])
    assert client_for(director).get(url).status_code == 404


def test_instruments_are_for_directors(client_for, program, mentor):
    assert (
        client_for(mentor).get(reverse("review_instruments", args=[program.pk])).status_code == 403
    )


# --- Settings and bounces ----------------------------------------------------------------------


def test_reminder_settings_are_on_the_program_settings_form(client_for, program, director):
    page = client_for(director).get(reverse("programs:settings", args=[program.pk]))
    html = page.content.decode()
    for label in ("Meeting reminder (hours before)", "Grace period before a check-in nudge"):
        assert label in html


def test_directors_see_and_clear_bounces(client_for, program, director, mentee):
    bounce = Bounce.objects.create(
        email=mentee.email, user=mentee, code=550, message="No such user"
    )
    members = client_for(director).get(reverse("programs:members", args=[program.pk]))
    assert "cannot be delivered" in members.content.decode()
    page = client_for(director).get(reverse("programs:bounces", args=[program.pk]))
    assert mentee.email in page.content.decode()
    response = client_for(director).post(
        reverse("programs:bounce_clear", args=[program.pk, bounce.pk])
    )
    assert response.status_code == 302
    bounce.refresh_from_db()
    assert bounce.cleared_at is not None


def test_bounces_of_other_programs_are_hidden(
    client_for, other_program, other_director, mentee, program
):
    bounce = Bounce.objects.create(email=mentee.email, user=mentee, code=550)
    url = reverse("programs:bounce_clear", args=[other_program.pk, bounce.pk])
    assert client_for(other_director).post(url).status_code == 404
    assert client_for(mentee).get(reverse("programs:bounces", args=[program.pk])).status_code == 403


def test_the_home_page_points_to_a_waiting_review(midday, client_for, mentee, program):
    from datetime import timedelta

    from django.utils import timezone

    from programs.models import ReviewRequest
    from programs.services.reviews import instrument_for
    from tests.factories import person as make_person
    from tests.relationship_fixtures import make_relationship

    mentor_profile = make_person()
    from programs.models import Membership, Role

    Membership.objects.create(program=program, person=mentor_profile, role=Role.MENTOR)
    relationship = make_relationship(program=program, mentees=[mentee], mentors=[mentor_profile])
    today = timezone.localdate()
    ReviewRequest.objects.create(
        relationship=relationship,
        respondent=mentee.profile,
        instrument=instrument_for(program),
        cycle=0,
        opens_on=today,
        closes_on=today + timedelta(days=14),
    )
    ReviewRequest.objects.create(  # a second cycle of the same relationship: still one card
        relationship=relationship,
        respondent=mentee.profile,
        instrument=instrument_for(program),
        cycle=1,
        opens_on=today,
        closes_on=today + timedelta(days=20),
    )
    html = client_for(mentee).get("/").content.decode()
    other = mentor_profile.display_name
    assert html.count(f"Answer the review of your mentoring with {other}") == 1
