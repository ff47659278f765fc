"""Matching pages: who may open them, what they show, and their query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape

from matching.models import MatchRun, MatchSuggestion, MentorRequest, RunMode
from matching.services import match_run_execute, match_run_start, request_send
from programs.models import Relationship
from tests.matching.conftest import offer
from tests.relationship_fixtures import program_mentee, program_mentor
from tests.utils import count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposal(program, director, ready_mentee, ready_mentor):
    run = match_run_start(program=program, mode=RunMode.ONE_TO_ONE, by=director)
    match_run_execute(run_id=run.pk)
    run.refresh_from_db()
    return run


@pytest.fixture
def mentor_request(program, ready_mentee, ready_mentor):
    return request_send(
        program=program,
        mentee=ready_mentee.profile,
        mentor=ready_mentor.profile,
        message="Would you mentor me on my first R01? <b>please</b>",
        by=ready_mentee,
    )


DIRECTOR_PAGES = [
    "matching:hub",
    "matching:weights",
    "matching:rules",
    "matching:assign",
    "matching:fairness",
]


@pytest.mark.parametrize("name", DIRECTOR_PAGES)
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("director", 200),
        ("admin", 200),
        ("mentee", 403),
        ("mentor", 403),
        ("other_director", 404),
        ("outsider", 404),
    ],
)
def test_director_pages(client_for, cast, program, name, who, status):
    assert client_for(cast[who]).get(reverse(name, args=[program.pk])).status_code == status


@pytest.mark.parametrize(
    ("who", "status"),
    [("director", 200), ("mentee", 403), ("other_director", 404), ("outsider", 404)],
)
def test_a_proposal_is_for_its_programs_directors(client_for, cast, program, proposal, who, status):
    url = reverse("matching:run", args=[program.pk, proposal.pk])
    assert client_for(cast[who]).get(url).status_code == status


def test_a_proposal_of_another_program_is_not_found_by_id(
    client_for, other_director, other_program, proposal
):
    url = reverse("matching:run", args=[other_program.pk, proposal.pk])
    assert client_for(other_director).get(url).status_code == 404


@pytest.mark.parametrize(
    ("who", "status"), [("mentee", 200), ("mentor", 404), ("director", 404), ("outsider", 404)]
)
def test_the_shortlist_is_for_mentees_of_the_program(client_for, cast, program, who, status):
    assert (
        client_for(cast[who]).get(reverse("matching:shortlist", args=[program.pk])).status_code
        == status
    )


def test_the_shortlist_ranks_and_explains(client_for, program, ready_mentee, ready_mentor):
    html = (
        client_for(ready_mentee)
        .get(reverse("matching:shortlist", args=[program.pk]))
        .content.decode()
    )
    assert ready_mentor.profile.display_name in html
    assert "Covers all 2 of your need areas" in html
    assert "Why this score?" in html


def test_the_shortlist_query_count_does_not_grow(client_for, program, ready_mentee, ready_mentor):
    client = client_for(ready_mentee)
    url = reverse("matching:shortlist", args=[program.pk])
    client.get(url)
    few = count_queries(lambda: client.get(url))
    for _ in range(12):
        offer(program_mentor(program))
    assert count_queries(lambda: client.get(url)) == few


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("mentor", 200),
        ("mentee", 200),
        ("director", 200),
        ("other_director", 404),
        ("outsider", 404),
    ],
)
def test_a_request_is_seen_by_its_two_people_and_the_directors(
    client_for, cast, mentor_request, who, status
):
    url = reverse("matching:request_detail", args=[mentor_request.pk])
    assert client_for(cast[who]).get(url).status_code == status


def test_only_the_mentor_can_answer(client_for, cast, mentor_request):
    url = reverse("matching:request_detail", args=[mentor_request.pk])
    for who in ("mentee", "director"):
        response = client_for(cast[who]).post(url, {"action": "accept", "accept-message": ""})
        assert response.status_code == 403
    assert MentorRequest.objects.get().status == "pending"


def test_the_request_message_is_shown_escaped(client_for, mentor, mentor_request):
    html = (
        client_for(mentor)
        .get(reverse("matching:request_detail", args=[mentor_request.pk]))
        .content.decode()
    )
    assert "&lt;b&gt;please&lt;/b&gt;" in html


def test_accepting_from_the_page_opens_the_relationship(client_for, mentor, mentor_request):
    url = reverse("matching:request_detail", args=[mentor_request.pk])
    response = client_for(mentor).post(url, {"action": "accept", "accept-message": "Glad to!"})
    relationship = Relationship.objects.get()
    assert response["Location"] == relationship.get_absolute_url()


@pytest.mark.parametrize(
    ("action", "text", "error"),
    [
        ("accept", "<b>Welcome</b> aboard", "remove the HTML tags"),
        ("accept", "Long " * 500, "Keep this under 2,000 characters"),
        ("decline", "<i>Sorry</i>, I am full", "remove the HTML tags"),
        ("decline", "No " * 1000, "Keep this under 2,000 characters"),
    ],
)
def test_a_refused_answer_keeps_the_text_and_says_why(
    client_for, mentor, mentor_request, action, text, error
):
    url = reverse("matching:request_detail", args=[mentor_request.pk])
    response = client_for(mentor).post(url, {"action": action, f"{action}-message": text})
    assert response.status_code == 400
    html = response.content.decode()
    assert error in html
    assert "Please choose to accept or decline" not in html
    assert escape(text) in html
    assert MentorRequest.objects.get().status == "pending"


def test_a_request_form_keeps_the_message_on_error(client_for, program, ready_mentee, ready_mentor):
    program.max_pending_requests = 1
    program.save()
    other = program_mentor(program)
    offer(other)
    client = client_for(ready_mentee)
    client.post(
        reverse("matching:request_new", args=[program.pk, ready_mentor.profile.pk]),
        {"message": "First"},
    )
    response = client.post(
        reverse("matching:request_new", args=[program.pk, other.profile.pk]),
        {"message": "Second, kept"},
    )
    html = response.content.decode()
    assert "1 requests waiting at once" in html
    assert "Second, kept" in html


def test_a_mentee_cannot_request_someone_who_is_not_a_mentor_here(
    client_for, program, ready_mentee, director
):
    url = reverse("matching:request_new", args=[program.pk, director.profile.pk])
    assert client_for(ready_mentee).get(url).status_code == 404


def test_all_zero_weights_are_explained_on_the_page(client_for, director, program):
    data = dict.fromkeys(
        [
            "needs",
            "roles",
            "interests",
            "career_stage",
            "experience",
            "communication",
            "time_zone",
            "locality",
        ],
        "0",
    )
    html = (
        client_for(director)
        .post(reverse("matching:weights", args=[program.pk]), data)
        .content.decode()
    )
    assert "At least one weight must be above zero" in html


def test_the_run_page_shows_suggestions_and_the_unmatched(client_for, director, program, proposal):
    program_mentee(program, given_name="Una", family_name="Matched")
    html = (
        client_for(director)
        .get(reverse("matching:run", args=[program.pk, proposal.pk]))
        .content.decode()
    )
    assert "Proven optimal" in html
    assert "Publish 1 relationship for 1 mentee with 1 mentor" in html


def test_progress_polling_swaps_in_the_proposal_when_done(client_for, director, program, proposal):
    response = client_for(director).get(
        reverse("matching:run_progress", args=[program.pk, proposal.pk])
    )
    assert "HX-Refresh" not in response  # no reload: focus and the live region survive
    html = response.content.decode()
    assert 'id="run-result" tabindex="-1" data-job-result' in html
    assert "Publish 1 relationship for 1 mentee with 1 mentor" in html
    assert 'id="run-status"' in html
    assert 'hx-swap-oob="true"' in html


def test_a_queued_run_shows_a_progress_bar(client_for, director, program, monkeypatch):
    monkeypatch.setattr("matching.services.enqueue_on_commit", lambda *a, **k: None)
    run = match_run_start(program=program, mode=RunMode.ONE_TO_ONE, by=director)
    html = (
        client_for(director)
        .get(reverse("matching:run", args=[program.pk, run.pk]))
        .content.decode()
    )
    assert "<progress" in html
    assert "Waiting for a worker" in html
    assert MatchRun.objects.get().status == "queued"


def test_manual_assignment_lists_exclusions(client_for, director, program, mentee, mentor):
    mentee.profile.reports_to = mentor.profile
    mentee.profile.save()
    url = reverse("matching:assign", args=[program.pk]) + f"?mentee={mentee.profile.pk}"
    html = client_for(director).get(url).content.decode()
    assert "Excluded" in html
    assert "reporting line" in html


def test_the_fairness_view_suppresses_small_groups(client_for, director, program, mentee):
    html = (
        client_for(director).get(reverse("matching:fairness", args=[program.pk])).content.decode()
    )
    assert "fewer than 5 people, or hidden so that a smaller group cannot be worked out" in html


def test_hub_query_count_does_not_grow(client_for, director, program, ready_mentee, ready_mentor):
    client = client_for(director)
    url = reverse("matching:hub", args=[program.pk])
    client.get(url)
    few = count_queries(lambda: client.get(url))
    for _ in range(5):
        match_run_start(program=program, mode=RunMode.ONE_TO_ONE, by=director)
    assert count_queries(lambda: client.get(url)) == few


def test_ask_is_disabled_with_the_reason_at_the_request_cap(
    client_for, program, ready_mentee, ready_mentor, mentor_request
):
    other = program_mentor(program)
    offer(other)
    url = reverse("matching:shortlist", args=[program.pk])
    html = client_for(ready_mentee).get(url).content.decode()
    assert "changes every week" in html
    ask_other = reverse("matching:request_new", args=[program.pk, other.profile.pk])
    assert ask_other in html  # below the cap: a link to ask
    program.max_pending_requests = 1
    program.save(update_fields=["max_pending_requests"])
    html = client_for(ready_mentee).get(url).content.decode()
    assert ask_other not in html
    assert "disabled" in html
    assert "You already have 1 request waiting for an answer" in html


def _shortlist_names(client, program, **params):
    response = client.get(reverse("matching:shortlist", args=[program.pk]), params)
    return response, response.content.decode()


def test_the_shortlist_filters_by_need_area_role_institution_and_remote(
    client_for, program, ready_mentee, ready_mentor
):
    from programs.models import NeedArea
    from tests.factories import InstitutionFactory

    elsewhere = program_mentor(program)
    elsewhere.profile.given_name, elsewhere.profile.family_name = "Remy", "Elsewhere"
    elsewhere.profile.institution = InstitutionFactory(name="Far Away University")
    elsewhere.profile.save()
    offer(elsewhere, areas=("research",), roles=("teacher", "sponsor"), mentors_remotely=True)
    ready_mentor.profile.given_name, ready_mentor.profile.family_name = "Lola", "Local"
    ready_mentor.profile.institution = ready_mentee.profile.institution
    ready_mentor.profile.save()
    offer(ready_mentor, mentors_remotely=False)
    client = client_for(ready_mentee)

    _, html = _shortlist_names(client, program)
    assert "Remy Elsewhere" in html
    assert "Lola Local" in html
    promotion = NeedArea.objects.get(slug="promotion")
    _, html = _shortlist_names(client, program, need_area=promotion.pk)
    assert "Lola Local" in html
    assert "Remy Elsewhere" not in html
    assert "1 other suitable mentor does not match your filters" in html
    _, html = _shortlist_names(client, program, role="teacher")
    assert "Remy Elsewhere" in html
    assert "Lola Local" not in html
    _, html = _shortlist_names(client, program, institution=elsewhere.profile.institution_id)
    assert "Remy Elsewhere" in html
    assert "Lola Local" not in html
    _, html = _shortlist_names(client, program, remote="local")
    assert "Lola Local" in html
    assert "Remy Elsewhere" not in html
    _, html = _shortlist_names(client, program, remote="remote")
    assert "Remy Elsewhere" in html
    assert "Lola Local" not in html
    _, html = _shortlist_names(client, program, role="coach", remote="remote")
    assert "No mentor matches these filters" in html


def test_a_bad_filter_says_so_next_to_the_field_and_lists_everyone(
    client_for, program, ready_mentee, ready_mentor
):
    response, html = _shortlist_names(client_for(ready_mentee), program, role="wizard")
    assert response.status_code == 400
    assert "Select a valid choice" in html
    assert ready_mentor.profile.display_name in html


def test_the_filtered_shortlist_query_count_does_not_grow(
    client_for, program, ready_mentee, ready_mentor
):
    client = client_for(ready_mentee)
    url = reverse("matching:shortlist", args=[program.pk])
    params = {"role": "sponsor", "remote": "remote"}
    client.get(url, params)
    few = count_queries(lambda: client.get(url, params))
    for _ in range(12):
        offer(program_mentor(program))
    assert count_queries(lambda: client.get(url, params)) == few


def test_a_mentor_already_on_the_board_elsewhere_is_not_suggested(
    client_for, program, other_program, ready_mentee, ready_mentor, director
):
    from programs.models import RelationshipKind, RelationshipSource, Role
    from programs.services.relationships import relationship_create
    from tests.factories import MembershipFactory

    _, html = _shortlist_names(client_for(ready_mentee), program)
    assert ready_mentor.profile.display_name in html
    MembershipFactory(program=other_program, person=ready_mentee.profile, role=Role.MENTEE)
    MembershipFactory(program=other_program, person=ready_mentor.profile, role=Role.MENTOR)
    relationship_create(
        program=other_program,
        kind=RelationshipKind.ONE_TO_ONE,
        mentees=[ready_mentee.profile],
        mentors=[ready_mentor.profile],
        source=RelationshipSource.MANUAL,
        by=director,
    )
    _, html = _shortlist_names(client_for(ready_mentee), program)
    assert f"mentor-{ready_mentor.profile.pk}" not in html


@pytest.fixture
def group_proposal(program, director):
    for _ in range(8):
        program_mentee(program)
    for _ in range(2):
        leader = program_mentor(program, capacity=1)
        leader.profile.year_joined_faculty = 1990
        leader.profile.save(update_fields=["year_joined_faculty"])
    run = match_run_start(program=program, mode=RunMode.PEER_GROUPS, by=director)
    match_run_execute(run_id=run.pk)
    run.refresh_from_db()
    return run


def _group_numbers(run):
    return sorted(set(run.suggestions.values_list("group", flat=True)))


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("director", 400),
        ("admin", 400),
        ("mentee", 403),
        ("other_director", 404),
        ("outsider", 404),
    ],
)
def test_changing_a_groups_facilitator_is_for_the_programs_directors(
    client_for, cast, program, group_proposal, who, status
):
    group = _group_numbers(group_proposal)[0]
    url = reverse("matching:group_facilitator", args=[program.pk, group_proposal.pk, group])
    # No facilitator chosen: a director gets the page back with the field's error.
    assert client_for(cast[who]).post(url, {}).status_code == status


def test_the_group_page_shows_groups_and_what_publishing_creates(
    client_for, director, program, group_proposal
):
    html = (
        client_for(director)
        .get(reverse("matching:run", args=[program.pk, group_proposal.pk]))
        .content.decode()
    )
    groups = _group_numbers(group_proposal)
    for number in groups:
        assert f'id="group-{number}"' in html
    assert f"Publish {len(groups)} groups with 8 members and {len(groups)} facilitators" in html
    assert "Change the facilitator" in html
    assert "Move" in html


def test_the_group_page_query_count_does_not_grow(client_for, director, program, group_proposal):
    client = client_for(director)
    url = reverse("matching:run", args=[program.pk, group_proposal.pk])
    client.get(url)
    few = count_queries(lambda: client.get(url))
    leader = group_proposal.suggestions.first().mentor
    for k in range(6):
        extra = program_mentee(program)
        MatchSuggestion.objects.create(
            run=group_proposal, mentee=extra.profile, mentor=leader, group=50 + k // 3, score=1
        )
    assert count_queries(lambda: client.get(url)) == few


def test_a_refused_facilitator_is_explained_next_to_the_groups_field(
    client_for, director, program, group_proposal
):
    junior = program_mentor(program)
    group = _group_numbers(group_proposal)[0]
    response = client_for(director).post(
        reverse("matching:group_facilitator", args=[program.pk, group_proposal.pk, group]),
        {"mentor": junior.profile.pk},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="facilitator-{group}_error"' in html
    assert "not senior enough to facilitate" in html


def test_a_director_moves_a_member_from_the_page(client_for, director, program, group_proposal):
    a, b = _group_numbers(group_proposal)
    mover = group_proposal.suggestions.filter(group=a).first()
    url = reverse(
        "matching:suggestion_action", args=[program.pk, group_proposal.pk, mover.pk, "move"]
    )
    response = client_for(director).post(url, {"group": b}, follow=True)
    assert f"is now proposed in group {b}" in response.content.decode()
    mover.refresh_from_db()
    assert mover.group == b


def test_a_move_to_a_missing_group_is_refused_next_to_the_field(
    client_for, director, program, group_proposal
):
    mover = group_proposal.suggestions.first()
    url = reverse(
        "matching:suggestion_action", args=[program.pk, group_proposal.pk, mover.pk, "move"]
    )
    response = client_for(director).post(url, {"group": "777"})
    assert response.status_code == 400
    assert f'id="move-{mover.pk}_error"' in response.content.decode()
    assert "There is no group 777" in response.content.decode()


def test_a_facilitator_of_another_programs_proposal_is_not_found(
    client_for, cast, other_program, program, group_proposal
):
    url = reverse("matching:group_facilitator", args=[other_program.pk, group_proposal.pk, 1])
    assert client_for(cast["other_director"]).post(url, {}).status_code == 404


def test_the_shortlist_card_shows_photo_and_chips(client_for, program, ready_mentee, ready_mentor):
    import io

    from programs.services.photos import profile_photo_set
    from tests.photo_files import jpeg_with_metadata

    profile_photo_set(
        profile=ready_mentor.profile,
        name="me.jpg",
        size=1000,
        stream=io.BytesIO(jpeg_with_metadata()),
        by=ready_mentor,
    )
    url = reverse("matching:shortlist", args=[program.pk])
    html = client_for(ready_mentee).get(url).content.decode()
    assert reverse("person_photo", args=[ready_mentor.profile.pk]) in html
    assert 'class="chip chip-role">Sponsor<' in html
    assert 'class="chip">Research<' in html
