"""The self-evaluation pages: steps, autosave, conflicts, bad input, versions and query counts."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programs.forms.assessments import STEPS
from programs.models import (
    AssessmentStatus,
    Goal,
    Membership,
    MentorOffer,
    MentorTraining,
    NeedArea,
    SelfAssessment,
)
from programs.services.assessments import (
    assessment_autosave,
    assessment_start_draft,
    assessment_submit,
)
from tests.assessment_factories import draft, full_data, goal, submitted
from tests.factories import MembershipFactory, person

pytestmark = pytest.mark.django_db

MARKUP = '<script>alert("hi")</script><b>bold</b>'


def queries(client, url: str) -> int:
    client.get(url)  # warm up the session (time zone, etc.)
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context)


def step_url(assessment, slug: str) -> str:
    return reverse("assessments:step", args=[assessment.pk, slug])


def autosave_url(assessment, slug: str) -> str:
    return reverse("assessments:autosave", args=[assessment.pk, slug])


def mission_post(assessment, **extra):
    return {
        "mission": "Lead",
        "success_definition": "",
        "revision": assessment.revision,
        "editor": "tab",
        **extra,
    }


# --- Starting and resuming --------------------------------------------------------------------


def test_start_creates_a_draft_and_opens_the_first_step(client_for, mentee):
    response = client_for(mentee).post(reverse("assessments:start"))
    assessment = SelfAssessment.objects.get(person=mentee.profile)
    assert response["Location"] == step_url(assessment, "mission")


def test_returning_resumes_where_the_person_stopped(client_for, mentee):
    assessment = draft(mentee.profile)
    client = client_for(mentee)
    client.post(step_url(assessment, "mission"), mission_post(assessment, action="next"))
    client.post(step_url(assessment, "goals"), {"revision": 1, "action": "next"})
    assessment.refresh_from_db()
    assert assessment.current_step == 3
    hub = client.get(reverse("assessments:hub")).content.decode()
    assert "Step 3: Personal goals" in hub
    assert client.post(reverse("assessments:start"))["Location"] == step_url(assessment, "personal")


def test_every_step_has_a_progress_indicator_with_the_current_step(client_for, mentee):
    assessment = draft(mentee.profile)
    client = client_for(mentee)
    for step in STEPS:
        html = client.get(step_url(assessment, step.slug)).content.decode()
        current = re.findall(r'<a href="([^"]+)" data-step-link="[^"]+" aria-current="step"', html)
        assert current == [step_url(assessment, step.slug)]
        assert "<ol>" in html


def test_next_saves_and_moves_on(client_for, mentee):
    assessment = draft(mentee.profile)
    response = client_for(mentee).post(
        step_url(assessment, "mission"), mission_post(assessment, action="next")
    )
    assert response["Location"] == step_url(assessment, "goals")
    assessment.refresh_from_db()
    assert assessment.mission == "Lead"


def test_previous_saves_and_goes_back(client_for, mentee):
    assessment = draft(mentee.profile)
    response = client_for(mentee).post(
        step_url(assessment, "strengths"),
        {"strengths": "Teaching", "challenges": "", "revision": 0, "action": "previous"},
    )
    assert response["Location"] == step_url(assessment, "personal")
    assessment.refresh_from_db()
    assert assessment.strengths == "Teaching"


def test_the_last_step_leads_to_review(client_for, mentee):
    assessment = draft(mentee.profile)
    response = client_for(mentee).post(
        step_url(assessment, "pitch"), {"elevator_pitch": "", "revision": 0, "action": "next"}
    )
    assert response["Location"] == reverse("assessments:review", args=[assessment.pk])


def test_a_submitted_version_is_not_edited_through_the_steps(client_for, mentee):
    version = submitted(mentee.profile)
    response = client_for(mentee).get(step_url(version, "mission"))
    assert response["Location"] == reverse("assessments:version", args=[version.pk])


def test_an_unknown_step_is_404(client_for, mentee):
    assessment = draft(mentee.profile)
    assert client_for(mentee).get(step_url(assessment, "nope")).status_code == 404


# --- Autosave ---------------------------------------------------------------------------------


def test_autosave_answers_a_saved_status_and_the_new_revision(client_for, mentee):
    assessment = draft(mentee.profile)
    response = client_for(mentee).post(
        autosave_url(assessment, "mission"), mission_post(assessment)
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert response["X-Autosave"] == "saved"
    assert "Saved at" in html
    assert 'id="revision-input" value="1" hx-swap-oob="true"' in html
    assessment.refresh_from_db()
    assert (assessment.mission, assessment.current_step) == ("Lead", 1)


def test_autosave_from_a_second_tab_answers_409_with_both_versions(client_for, mentee):
    assessment = draft(mentee.profile)
    client = client_for(mentee)
    client.post(autosave_url(assessment, "mission"), mission_post(assessment, mission="Tab A"))
    response = client.post(
        autosave_url(assessment, "mission"),
        mission_post(assessment, mission="Tab B", editor="other"),
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert response["HX-Retarget"] == "#autosave-conflict"
    assert "Your version (this tab)" in html
    assert "The version saved in the other tab" in html
    assert "Tab A" in html
    assert "Tab B" in html
    assessment.refresh_from_db()
    assert assessment.mission == "Tab A"


def test_keeping_ones_version_after_a_conflict_overwrites_knowingly(client_for, mentee):
    assessment = draft(mentee.profile)
    client = client_for(mentee)
    client.post(autosave_url(assessment, "mission"), mission_post(assessment, mission="Tab A"))
    response = client.post(
        autosave_url(assessment, "mission"),
        mission_post(assessment, mission="Tab B", editor="other", overwrite_revision=1),
    )
    assert response.status_code == 200
    assessment.refresh_from_db()
    assert (assessment.mission, assessment.revision) == ("Tab B", 2)


def test_next_with_a_stale_revision_shows_the_conflict_and_keeps_the_typing(client_for, mentee):
    assessment = draft(mentee.profile)
    client = client_for(mentee)
    client.post(autosave_url(assessment, "mission"), mission_post(assessment, mission="Tab A"))
    response = client.post(
        step_url(assessment, "mission"),
        mission_post(assessment, mission="Typed in tab B", editor="b", action="next"),
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert "This step was changed in another tab" in html
    assert "Typed in tab B</textarea>" in html


def test_autosave_after_the_draft_was_submitted_elsewhere_says_so(client_for, mentee):
    assessment = draft(mentee.profile, **full_data())
    client = client_for(mentee)
    client.post(reverse("assessments:review", args=[assessment.pk]))
    response = client.post(autosave_url(assessment, "mission"), mission_post(assessment))
    assert response.status_code == 409
    assert "can no longer be changed" in response.content.decode()


def test_autosave_with_an_expired_session_redirects_to_sign_in(client, mentee):
    assessment = draft(mentee.profile)
    response = client.post(autosave_url(assessment, "mission"), mission_post(assessment))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_step_page_offers_sign_in_returning_to_the_same_step(client_for, mentee):
    assessment = draft(mentee.profile)
    html = client_for(mentee).get(step_url(assessment, "goals")).content.decode()
    expected = f"/accounts/login/?next=/me/self-evaluation/{assessment.pk}/goals/"
    assert f'data-login-url="{expected}"' in html


# --- Bad input ---------------------------------------------------------------------------------


def test_over_long_text_is_refused_with_its_length_and_kept(client_for, mentee):
    assessment = draft(mentee.profile)
    long_text = "y" * 3214
    response = client_for(mentee).post(
        step_url(assessment, "mission"), mission_post(assessment, mission=long_text, action="next")
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Keep this under 3,000 characters — it is 3,214 now." in html
    assert 'class="error-summary"' in html
    assert 'href="#id_mission"' in html
    assert f">\n{long_text}</textarea>" in html or f">{long_text}</textarea>" in html
    assert 'data-maxlength="3000"' in html
    assessment.refresh_from_db()
    assert assessment.mission == ""


def test_autosave_of_over_long_text_says_it_is_not_saved(client_for, mentee):
    assessment = draft(mentee.profile)
    response = client_for(mentee).post(
        autosave_url(assessment, "mission"), mission_post(assessment, mission="z" * 3001)
    )
    assert response["X-Autosave"] == "invalid"
    assert "Not saved yet" in response.content.decode()
    assert "it is 3,001 now" in response.content.decode()


def goals_post(assessment, rows, **extra):
    data = {"revision": assessment.revision, "editor": "tab", **extra}
    for horizon, texts in rows.items():
        for i, text in enumerate(texts):
            data.update(
                {
                    f"{horizon}-{i}-text": text,
                    f"{horizon}-{i}-target_date": "",
                    f"{horizon}-{i}-status": "not_started",
                    f"{horizon}-{i}-lineage": "",
                }
            )
    return data


def test_a_fourth_goal_is_refused_and_nothing_typed_is_lost(client_for, mentee):
    assessment = draft(mentee.profile)
    texts = ["First", "Second", "Third", "Fourth"]
    response = client_for(mentee).post(
        step_url(assessment, "goals"), goals_post(assessment, {"short": texts}, action="next")
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "You can list up to three short-term goals. Remove one to add another." in html
    for text in texts:
        assert f'value="{text}"' in html
    assert not Goal.objects.exists()


def test_adding_a_goal_beyond_three_is_refused_after_saving_the_three(client_for, mentee):
    assessment = draft(mentee.profile)
    response = client_for(mentee).post(
        step_url(assessment, "goals"),
        goals_post(assessment, {"short": ["A", "B", "C"]}, action="add:short"),
    )
    assert response.status_code == 400
    assert "You can list up to three short-term goals" in response.content.decode()
    assert Goal.objects.filter(assessment=assessment).count() == 3


def test_adding_a_goal_saves_and_opens_an_empty_row(client_for, mentee):
    assessment = draft(mentee.profile)
    client = client_for(mentee)
    response = client.post(
        step_url(assessment, "goals"), goals_post(assessment, {"long": ["Lead"]}, action="add:long")
    )
    assert response["Location"] == step_url(assessment, "goals") + "?add=long"
    html = client.get(response["Location"]).content.decode()
    assert "Long-term goal 2" in html
    assert 'id="id_long-1-text" autofocus' in html or "autofocus" in html


def test_removing_a_goal(client_for, mentee):
    assessment = draft(mentee.profile, goals=[goal("short", "Keep"), goal("short", "Drop")])
    drop = assessment.goals.get(text="Drop")
    keep = assessment.goals.get(text="Keep")
    data = goals_post(assessment, {"short": ["Keep", "Drop"]}, action=f"remove:{drop.lineage}")
    data["short-0-lineage"], data["short-1-lineage"] = str(keep.lineage), str(drop.lineage)
    response = client_for(mentee).post(step_url(assessment, "goals"), data)
    assert response.status_code == 302
    assert list(assessment.goals.values_list("text", flat=True)) == ["Keep"]


def test_markup_is_stored_as_typed_and_shown_escaped(client_for, mentee):
    assessment = draft(mentee.profile)
    client = client_for(mentee)
    client.post(
        step_url(assessment, "strengths"),
        {"strengths": MARKUP, "challenges": "", "revision": 0, "action": "next"},
    )
    assessment.refresh_from_db()
    assert assessment.strengths == MARKUP
    for url in (
        step_url(assessment, "strengths"),
        reverse("assessments:review", args=[assessment.pk]),
    ):
        html = client.get(url).content.decode()
        assert MARKUP not in html
        assert "&lt;script&gt;alert(&quot;hi&quot;)&lt;/script&gt;" in html


def test_needs_are_saved_with_their_priorities(client_for, mentee):
    assessment = draft(mentee.profile)
    research = NeedArea.objects.get(slug="research")
    promotion = NeedArea.objects.get(slug="promotion")
    response = client_for(mentee).post(
        step_url(assessment, "needs"),
        {
            f"need_{research.pk}": "1",
            f"need_{promotion.pk}": "3",
            "roles_wanted": ["sponsor", "confidant"],
            "location_preference": "local",
            "needs_notes": "",
            "revision": 0,
            "action": "next",
        },
    )
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert dict(assessment.needs.values_list("area__slug", "priority")) == {
        "research": 1,
        "promotion": 3,
    }
    assert assessment.roles_wanted == ["sponsor", "confidant"]


# --- Review, submit, versions -----------------------------------------------------------------


def test_submitting_without_needs_links_to_the_needs_step(client_for, mentee):
    assessment = draft(mentee.profile, mission="x")
    response = client_for(mentee).post(reverse("assessments:review", args=[assessment.pk]))
    assert response.status_code == 400
    assert step_url(assessment, "needs") in response.content.decode()


def test_submitting_creates_a_dated_version(client_for, mentee):
    assessment = draft(mentee.profile, **full_data())
    response = client_for(mentee).post(reverse("assessments:review", args=[assessment.pk]))
    assert response["Location"] == reverse("assessments:version", args=[assessment.pk])
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED
    assert assessment.submitted_at is not None


def test_the_comparison_highlights_changed_goals_and_needs(client_for, mentee):
    v1 = submitted(mentee.profile, goals=[goal("short", "Write a grant"), goal("long", "Lead")])
    v2 = assessment_start_draft(person=mentee.profile, by=mentee)
    grant = v2.goals.get(text="Write a grant")
    research = NeedArea.objects.get(slug="research")
    v2 = assessment_autosave(
        assessment=v2,
        revision=v2.revision,
        by=mentee,
        data={
            "mission": "A new mission",
            "needs": {research.pk: 3},
            "goals": [
                goal("short", "Write and submit a grant", lineage=str(grant.lineage)),
                goal("short", "Publish the pilot"),
            ],
        },
    )
    assessment_submit(assessment=v2, by=mentee)
    html = (
        client_for(mentee)
        .get(reverse("assessments:compare"), {"a": v1.pk, "b": v2.pk})
        .content.decode()
    )
    assert "Write and submit a grant" in html
    assert "Changed: wording" in html
    assert "Publish the pilot" in html
    assert html.count(">Added<") >= 1
    assert html.count(">Removed<") >= 1  # the long-term goal, and the needs dropped
    assert "A new mission" in html


def test_the_pdf_holds_the_whole_version_with_markup_as_text(client_for, mentee):
    version = submitted(mentee.profile, mission=MARKUP)
    response = client_for(mentee).get(reverse("assessments:pdf", args=[version.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="self-evaluation-v1.pdf"'
    assert response.content.startswith(b"%PDF")


def test_each_pdf_download_is_an_export_in_the_audit_log(client_for, mentee, mentor):
    from programs.models import AuditEvent
    from programs.services.assessments import assessment_share

    version = submitted(mentee.profile)
    assessment_share(assessment=version, mentor=mentor.profile, by=mentee)
    url = reverse("assessments:pdf", args=[version.pk])
    client_for(mentee).get(url)
    client_for(mentee).get(url)  # a second copy of the file is a second export
    client_for(mentor).get(url)
    rows = AuditEvent.objects.filter(verb="assessment.download", object_id=str(version.pk))
    assert [(r.actor, r.detail["own"]) for r in rows.order_by("pk")] == [
        (mentee, True),
        (mentee, True),
        (mentor, False),
    ]
    assert rows.first().detail["version"] == 1


def test_the_print_view_shows_every_section(client_for, mentee):
    version = submitted(mentee.profile)
    html = client_for(mentee).get(reverse("assessments:print", args=[version.pk])).content.decode()
    for step in STEPS:
        assert step.title in html
    assert "data-print" in html


def test_sharing_a_version_with_a_mentor(client_for, mentee, mentor):
    version = submitted(mentee.profile)
    client = client_for(mentee)
    response = client.post(
        reverse("assessments:sharing", args=[version.pk]), {"mentor": mentor.profile.pk}
    )
    assert response.status_code == 302
    html = client.get(reverse("assessments:sharing", args=[version.pk])).content.decode()
    assert "Robert Mentor" in html
    home = client_for(mentor).get(reverse("home")).content.decode()
    assert "Self-evaluations shared with you" in home


# --- Directors ---------------------------------------------------------------------------------


def test_the_member_list_shows_each_members_self_evaluation(client_for, director, mentee, mentor):
    submitted(mentee.profile)
    draft(mentor.profile, mission="x")
    html = client_for(director).get(
        reverse("programs:members", args=[mentor.profile.memberships.get().program_id])
    )
    html = html.content.decode()
    assert "Completed v1" in html
    assert "Draft" in html


def test_the_needs_page_counts_needs_and_lists_who_has_not_completed(
    client_for, director, program, mentee
):
    submitted(mentee.profile, need_count=2)
    late = person("late@northbridge.test", given_name="Lena", family_name="Late")
    MembershipFactory(program=program, person=late, role="mentee")
    html = client_for(director).get(reverse("programs:needs", args=[program.pk])).content.decode()
    assert "Lena Late" in html
    assert "not started" in html
    assert "Career guidance" in html


def _mentees(program, count: int, *, need_count: int, goal_count: int) -> None:
    for i in range(count):
        profile = person(f"m{need_count}-{i}@northbridge.test")
        MembershipFactory(program=program, person=profile, role="mentee")
        submitted(profile, need_count=need_count, goal_count=goal_count)


def test_director_pages_run_a_constant_number_of_queries(client_for, director, program):
    client = client_for(director)
    _mentees(program, 1, need_count=1, goal_count=1)
    needs_one = queries(client, reverse("programs:needs", args=[program.pk]))
    members_one = queries(client, reverse("programs:members", args=[program.pk]))
    _mentees(program, 12, need_count=10, goal_count=6)
    assert queries(client, reverse("programs:needs", args=[program.pk])) == needs_one
    assert queries(client, reverse("programs:members", args=[program.pk])) == members_one


# --- Query counts of the tool's pages ----------------------------------------------------------


@pytest.mark.parametrize("slug", [step.slug for step in STEPS])
def test_each_step_runs_a_constant_number_of_queries(
    client_for, mentee, outsider, slug, django_assert_max_num_queries
):
    small = draft(mentee.profile, **full_data(goal_count=1, need_count=1))
    big = draft(outsider.profile, **full_data(goal_count=6, need_count=10))
    client = client_for(mentee)
    few = queries(client, step_url(small, slug))
    assert queries(client_for(outsider), step_url(big, slug)) == few
    with django_assert_max_num_queries(12):
        client.get(step_url(small, slug))


@pytest.mark.parametrize("name", ["assessments:review", "assessments:version", "assessments:print"])
def test_version_pages_run_a_constant_number_of_queries(client_for, mentee, outsider, name):
    if name == "assessments:review":
        small = draft(mentee.profile, **full_data(goal_count=1, need_count=1))
        big = draft(outsider.profile, **full_data(goal_count=6, need_count=10))
    else:
        small = submitted(mentee.profile, goal_count=1, need_count=1)
        big = submitted(outsider.profile, goal_count=6, need_count=10)
    few = queries(client_for(mentee), reverse(name, args=[small.pk]))
    assert queries(client_for(outsider), reverse(name, args=[big.pk])) == few


def test_autosave_runs_a_bounded_number_of_queries(
    client_for, mentee, django_assert_max_num_queries
):
    assessment = draft(mentee.profile)
    client = client_for(mentee)
    client.get(step_url(assessment, "mission"))
    with django_assert_max_num_queries(14):
        client.post(autosave_url(assessment, "mission"), mission_post(assessment))


def test_hub_and_compare_run_a_constant_number_of_queries(client_for, mentee, outsider):
    submitted(mentee.profile, goal_count=1, need_count=1)
    submitted(mentee.profile, goal_count=1, need_count=1)
    for _ in range(4):
        submitted(outsider.profile, goal_count=6, need_count=10)
    for name in ("assessments:hub", "assessments:compare"):
        few = queries(client_for(mentee), reverse(name))
        assert queries(client_for(outsider), reverse(name)) == few, name


# --- Mentor offer ------------------------------------------------------------------------------


def offer_post(membership, **extra):
    research = NeedArea.objects.get(slug="research")
    return {
        "need_areas": [research.pk],
        "roles_offered": ["teacher", "advisor"],
        "accepting": "yes",
        "paused_until": "",
        "mentors_remotely": "on",
        "years_mentoring": "10",
        "prior_mentees": "7",
        "notes": MARKUP,
        "communication_modes": ["video"],
        f"capacity_{membership.pk}": "4",
        **extra,
    }


def test_a_mentor_saves_what_they_offer(client_for, mentor, program):
    membership = Membership.objects.get(person=mentor.profile, program=program)
    client = client_for(mentor)
    assert "Tell mentees what you offer" in client.get(reverse("home")).content.decode()
    response = client.post(reverse("assessments:mentor_offer"), offer_post(membership))
    assert response.status_code == 302
    offer = MentorOffer.objects.get(person=mentor.profile)
    assert (offer.years_mentoring, offer.prior_mentees, offer.notes) == (10, 7, MARKUP)
    membership.refresh_from_db()
    assert membership.mentor_capacity == 4
    assert "Tell mentees what you offer" not in client.get(reverse("home")).content.decode()


def test_the_offer_form_keeps_input_on_errors(client_for, mentor, program):
    membership = Membership.objects.get(person=mentor.profile, program=program)
    response = client_for(mentor).post(
        reverse("assessments:mentor_offer"),
        offer_post(membership, years_mentoring="5", **{f"capacity_{membership.pk}": "99"}),
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'class="error-summary"' in html
    assert f'href="#id_capacity_{membership.pk}"' in html
    assert 'value="5"' in html


def test_a_mentee_sees_the_offer_on_the_mentors_profile_escaped(
    client_for, mentor, mentee, program
):
    membership = Membership.objects.get(person=mentor.profile, program=program)
    client_for(mentor).post(reverse("assessments:mentor_offer"), offer_post(membership))
    html = client_for(mentee).get(reverse("profile_detail", args=[mentor.profile.pk]))
    html = html.content.decode()
    assert "As a mentor" in html
    assert "Accepting new mentees" in html
    assert MARKUP not in html


def test_training_rows_are_added_and_removed(client_for, mentor):
    client = client_for(mentor)
    response = client.post(
        reverse("assessments:training_add"),
        {"training-name": "Mentor workshop", "training-completed_on": "2024-03-01"},
    )
    assert response.status_code == 302
    training = MentorTraining.objects.get(person=mentor.profile)
    client.post(reverse("assessments:training_remove", args=[training.pk]))
    assert not MentorTraining.objects.exists()


def test_a_training_without_a_date_is_refused_clearly(client_for, mentor):
    response = client_for(mentor).post(
        reverse("assessments:training_add"), {"training-name": "Workshop"}
    )
    assert response.status_code == 400
    assert 'href="#id_training-completed_on"' in response.content.decode()


def test_the_offer_page_runs_a_constant_number_of_queries(client_for, mentor, program):
    client = client_for(mentor)
    few = queries(client, reverse("assessments:mentor_offer"))
    for i in range(5):
        MentorTraining.objects.create(
            person=mentor.profile, name=f"Workshop {i}", completed_on="2024-01-01"
        )
        MembershipFactory(person=mentor.profile, role="mentor")
    assert queries(client, reverse("assessments:mentor_offer")) == few


# --- Home -------------------------------------------------------------------------------------


def test_home_asks_a_mentee_to_start_then_continue(client_for, mentee):
    client = client_for(mentee)
    assert "Start your self-evaluation" in client.get(reverse("home")).content.decode()
    draft(mentee.profile)
    assert "Continue your self-evaluation" in client.get(reverse("home")).content.decode()


def test_home_asks_for_a_reassessment_when_the_program_wants_one(client_for, mentee, program):
    version = submitted(mentee.profile)
    program.reassessment_months = 12
    program.save(update_fields=["reassessment_months"])
    client = client_for(mentee)
    assert "Time to update" not in client.get(reverse("home")).content.decode()
    SelfAssessment.objects.filter(pk=version.pk).update(
        submitted_at=version.submitted_at.replace(year=version.submitted_at.year - 2)
    )
    assert "Time to update your self-evaluation" in client.get(reverse("home")).content.decode()
