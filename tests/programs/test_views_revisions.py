"""Every confirm and every edit of shared text names the version it saw: a stale one gets the
shared notes' conflict page (both versions, nothing lost) instead of silently winning."""

from __future__ import annotations

import pytest
from django.urls import reverse

from programs.models import PrivateNote, Recap
from programs.services.meetings import recap_write
from tests.relationship_fixtures import past_meeting

pytestmark = pytest.mark.django_db


def test_confirming_a_recap_that_was_rewritten_since_it_was_read_is_refused(
    pair, mentee, mentor, client_for
):
    meeting = past_meeting(pair)
    recap_write(meeting=meeting, text="We agreed on Aim 1.", by=mentor)
    seen = Recap.objects.get().revision  # what the mentee's page shows
    recap_write(meeting=meeting, text="We agreed on Aims 1 and 2.", revision=seen, by=mentor)
    response = client_for(mentee).post(
        reverse("recap_confirm", args=[meeting.pk]), {"revision": seen}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "nothing was confirmed" in html
    assert "We agreed on Aims 1 and 2." in html
    recap = Recap.objects.get()
    assert recap.confirmed_at is None
    # Having read the new text, the mentee confirms it.
    response = client_for(mentee).post(
        reverse("recap_confirm", args=[meeting.pk]), {"revision": recap.revision}
    )
    assert response.status_code == 302
    assert Recap.objects.get().confirmed_by == mentee.profile


def test_a_confirmation_that_does_not_name_what_it_read_confirms_nothing(
    pair, mentee, mentor, client_for
):
    meeting = past_meeting(pair)
    recap_write(meeting=meeting, text="We agreed on Aim 1.", by=mentor)
    response = client_for(mentee).post(reverse("recap_confirm", args=[meeting.pk]), {})
    assert response.status_code == 409
    assert Recap.objects.get().confirmed_at is None


def test_the_second_recap_writer_sees_the_first_instead_of_replacing_it(
    pair, mentee, mentor, client_for
):
    meeting = past_meeting(pair)
    # Both opened the page before any recap existed (revision 0); the mentor saved first.
    client_for(mentor).post(
        reverse("recap_write", args=[meeting.pk]), {"text": "MENTOR-RECAP", "revision": 0}
    )
    response = client_for(mentee).post(
        reverse("recap_write", args=[meeting.pk]), {"text": "MENTEE-RECAP", "revision": 0}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "MENTOR-RECAP" in html  # theirs, beside
    assert "MENTEE-RECAP" in html  # mine, still in the box
    assert Recap.objects.get().text == "MENTOR-RECAP"


def test_a_private_note_edited_in_two_browsers_warns_instead_of_losing_one(
    pair, mentee, client_for
):
    meeting = past_meeting(pair)
    url = reverse("private_note", args=[meeting.pk])
    client = client_for(mentee)
    assert client.post(url, {"text": "FROM-LAPTOP", "revision": 0}).status_code == 302
    response = client.post(url, {"text": "FROM-PHONE", "revision": 0})
    assert response.status_code == 409
    html = response.content.decode()
    assert "FROM-LAPTOP" in html
    assert "FROM-PHONE" in html
    assert PrivateNote.objects.get().text == "FROM-LAPTOP"
    # Saving again from the page now shown (it names the newer revision) goes through.
    assert client.post(url, {"text": "MERGED", "revision": 1}).status_code == 302
    assert PrivateNote.objects.get().text == "MERGED"


def test_a_stale_action_item_change_does_not_undo_a_newer_one(pair, mentee, mentor, client_for):
    from programs.models import ActionItem, ActionItemStatus
    from programs.services.meetings import action_item_create

    item = action_item_create(relationship=pair, title="Send CV", owner=mentor.profile, by=mentee)
    url = reverse("action_item_status", args=[pair.pk, item.pk])
    seen = item.revision  # both pages show the open item
    assert client_for(mentor).post(url, {"status": "done", "revision": seen}).status_code == 302
    response = client_for(mentee).post(url, {"status": "dropped", "revision": seen}, follow=True)
    assert "was changed to “done”" in response.content.decode()
    assert ActionItem.objects.get().status == ActionItemStatus.DONE


SETTINGS = {
    "description": "Better",
    "meeting_cadence_days": "91",
    "review_cadence_months": "6",
    "pilot_length_days": "90",
    "allowed_models": ["one_to_one", "mosaic"],
    "max_pending_requests": "3",
    "request_expiry_days": "14",
    "reassessment_months": "",
}


def test_program_settings_saved_over_a_newer_save_get_the_conflict_page(
    program, director, admin, client_for
):
    url = reverse("programs:settings", args=[program.pk])
    seen = program.settings_revision  # two people opened the settings page
    first = client_for(admin).post(url, {**SETTINGS, "name": "ADMIN-NAME", "revision": seen})
    assert first.status_code == 302
    second = client_for(director).post(url, {**SETTINGS, "name": "DIRECTOR-NAME", "revision": seen})
    assert second.status_code == 409
    html = second.content.decode()
    assert "ADMIN-NAME" in html  # what was saved meanwhile
    assert "DIRECTOR-NAME" in html  # what I chose, still in the form
    program.refresh_from_db()
    assert program.name == "ADMIN-NAME"
    # Saving again from the page now shown keeps the director's choice.
    third = client_for(director).post(
        url, {**SETTINGS, "name": "DIRECTOR-NAME", "revision": program.settings_revision}
    )
    assert third.status_code == 302
    program.refresh_from_db()
    assert program.name == "DIRECTOR-NAME"


def instrument_data(name: str, revision: int, *, editing: bool = True) -> dict[str, str]:
    return {
        "name": name,
        "description": "",
        "source": "",
        "scale_max": "4",
        "scale_labels_text": "No\nRather not\nRather yes\nYes",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "1" if editing else "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        "items-0-text": "We meet as agreed.",
        "items-0-construct": "commitment",
        "items-0-polarity": "strength",
        "revision": str(revision),
    }


def test_a_review_instrument_saved_over_a_newer_save_is_refused_with_both_kept(
    program, director, admin, client_for
):
    from programs.models import ReviewInstrument

    created = client_for(director).post(
        reverse("review_instrument_new", args=[program.pk]),
        instrument_data("First", 0, editing=False),
    )
    assert created.status_code == 302
    instrument = ReviewInstrument.objects.get(program=program)
    url = reverse("review_instrument_edit", args=[program.pk, instrument.pk])
    seen = instrument.revision
    assert client_for(admin).post(url, instrument_data("ADMIN-NAME", seen)).status_code == 302
    response = client_for(director).post(url, instrument_data("DIRECTOR-NAME", seen))
    assert response.status_code == 409
    html = response.content.decode()
    assert "ADMIN-NAME" in html
    assert "DIRECTOR-NAME" in html
    assert ReviewInstrument.objects.get(program=program).name == "ADMIN-NAME"
