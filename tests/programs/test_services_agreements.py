"""The written agreement: confirmation by every party, versioning and what changed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from programs.models import Agreement, MeetingCadence
from programs.services.agreements import (
    AgreementConflict,
    add_months,
    agreement_changes,
    agreement_confirm,
    agreement_save,
)
from programs.services.relationships import relationship_end
from tests.relationship_fixtures import submitted_assessment

pytestmark = pytest.mark.django_db


def _data(**overrides):
    data = {
        "cadence_days": MeetingCadence.MONTHLY,
        "modes": ["video"],
        "mentee_commitments": ["agenda"],
        "draft_notice_days": 10,
        "mentee_also": "",
        "mentor_commitments": ["feedback"],
        "mentor_also": "",
        "other_goals": "",
        "progress_measures": "One grant submitted.",
        "confidentiality": "Between us.",
        "credit_and_authorship": "Agreed before each paper.",
        "review_on": timezone.localdate() + timedelta(days=180),
    }
    data.update(overrides)
    return data


def _revision(relationship):
    return Agreement.objects.get(relationship=relationship).revision


def test_whoever_proposes_a_wording_has_confirmed_it(pair, mentee, mentor):
    version = agreement_save(relationship=pair, data=_data(), revision=0, by=mentee)
    assert list(version.confirmations.values_list("person", flat=True)) == [mentee.profile.pk]
    assert version.confirmed_at is None  # the mentor still confirms


def test_both_confirm_and_the_agreement_is_in_force(pair, mentee, mentor):
    version = agreement_save(relationship=pair, data=_data(), revision=0, by=mentee)
    agreement_confirm(relationship=pair, revision=_revision(pair), by=mentee)
    version.refresh_from_db()
    assert version.confirmed_at is None
    agreement_confirm(relationship=pair, revision=_revision(pair), by=mentor)
    version.refresh_from_db()
    assert version.confirmed_at is not None
    assert version.number == 1


def test_editing_a_version_being_agreed_clears_the_others_confirmations(pair, mentee, mentor):
    agreement_save(relationship=pair, data=_data(), revision=0, by=mentee)
    agreement_confirm(relationship=pair, revision=_revision(pair), by=mentee)
    version = agreement_save(
        relationship=pair, data=_data(modes=["phone"]), revision=_revision(pair), by=mentor
    )
    assert version.number == 1
    # The mentee's confirmation was of the old wording; the mentor proposed the new one.
    assert list(version.confirmations.values_list("person", flat=True)) == [mentor.profile.pk]


def test_saving_unchanged_text_keeps_confirmations(pair, mentee, mentor):
    agreement_save(relationship=pair, data=_data(), revision=0, by=mentee)
    agreement_confirm(relationship=pair, revision=_revision(pair), by=mentee)
    version = agreement_save(relationship=pair, data=_data(), revision=_revision(pair), by=mentor)
    assert version.confirmations.count() == 1


def test_changes_after_confirmation_make_a_new_version(pair, mentee, mentor):
    first = agreement_save(relationship=pair, data=_data(), revision=0, by=mentee)
    for user in (mentee, mentor):
        agreement_confirm(relationship=pair, revision=_revision(pair), by=user)
    second = agreement_save(
        relationship=pair,
        data=_data(cadence_days=MeetingCadence.QUARTERLY, progress_measures="Two grants."),
        revision=_revision(pair),
        by=mentor,
    )
    first.refresh_from_db()
    assert second.number == 2
    assert second.confirmed_at is None
    assert list(second.confirmations.values_list("person", flat=True)) == [mentor.profile.pk]
    assert first.confirmed_at is not None  # still in force
    changes = {c.label: (c.before, c.after) for c in agreement_changes(first, second)}
    assert changes == {
        "How often we meet": ("Monthly", "Every three months"),
        "How we will judge progress": ("One grant submitted.", "Two grants."),
    }


def test_a_stale_save_is_refused_and_names_the_problem(pair, mentee, mentor):
    agreement_save(relationship=pair, data=_data(), revision=0, by=mentee)
    with pytest.raises(AgreementConflict, match="changed the agreement while you were editing"):
        agreement_save(relationship=pair, data=_data(modes=["email"]), revision=0, by=mentor)


def test_confirming_a_wording_one_has_not_seen_is_refused(pair, mentee, mentor):
    agreement_save(relationship=pair, data=_data(), revision=0, by=mentee)
    with pytest.raises(AgreementConflict):
        agreement_confirm(relationship=pair, revision=0, by=mentor)


def test_the_review_date_must_follow_the_start(pair, mentee):
    with pytest.raises(ValidationError) as error:
        agreement_save(
            relationship=pair,
            data=_data(review_on=pair.started_on - timedelta(days=1)),
            revision=0,
            by=mentee,
        )
    assert "after the relationship started" in str(error.value.message_dict["review_on"])


def test_at_least_one_way_to_meet(pair, mentee):
    with pytest.raises(ValidationError) as error:
        agreement_save(relationship=pair, data=_data(modes=[]), revision=0, by=mentee)
    assert "modes" in error.value.message_dict


def test_goals_must_be_the_mentees_own(pair, mentee, mentor):
    own = submitted_assessment(mentee).goals.first()
    other = submitted_assessment(mentor, goals=("Mentor's goal",)).goals.first()
    version = agreement_save(relationship=pair, data=_data(), goals=[own], revision=0, by=mentee)
    assert list(version.goals.all()) == [own]
    with pytest.raises(ValidationError, match="mentee's own self-evaluation"):
        agreement_save(
            relationship=pair, data=_data(), goals=[other], revision=_revision(pair), by=mentee
        )


def test_outsiders_and_directors_do_not_edit_the_agreement(pair, director, outsider):
    for user in (director, outsider):
        with pytest.raises(ValidationError, match="Only the people"):
            agreement_save(relationship=pair, data=_data(), revision=0, by=user)


def test_an_ended_relationship_agreement_is_read_only(pair, mentee):
    relationship_end(relationship=pair, by=mentee)
    with pytest.raises(ValidationError, match="has ended"):
        agreement_save(relationship=pair, data=_data(), revision=0, by=mentee)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 11, 15), 6, date(2027, 5, 15)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
    ],
)
def test_add_months_clamps_to_the_month_end(start, months, expected):
    assert add_months(start, months) == expected
