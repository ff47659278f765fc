"""Meeting notes save while they are typed: the same revision check as the Save buttons, so a
save from another tab or person is a conflict that keeps both texts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from programs.models import PrivateNote
from programs.services.meetings import meeting_update_notes, private_note_save
from tests.relationship_fixtures import past_meeting

pytestmark = pytest.mark.django_db


def _notes(client, meeting, text, revision):
    return client.post(
        reverse("meeting_notes_autosave", args=[meeting.pk]),
        {"text": text, "revision": str(revision)},
    )


def _private(client, meeting, text, revision):
    return client.post(
        reverse("private_note_autosave", args=[meeting.pk]),
        {"text": text, "revision": str(revision)},
    )


def test_shared_notes_autosave_and_name_the_next_revision(pair, mentee, client_for):
    meeting = past_meeting(pair)
    response = _notes(client_for(mentee), meeting, "We discussed the grant.", 0)
    assert response.status_code == 200
    assert response["X-Autosave"] == "saved"
    assert response["X-Revision"] == "1"
    assert "Saved at" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.shared_notes == "We discussed the grant."
    assert _notes(client_for(mentee), meeting, "More.", 1)["X-Revision"] == "2"


def test_an_autosave_over_someone_elses_save_is_a_conflict_showing_both(
    pair, mentee, mentor, client_for
):
    meeting = past_meeting(pair)
    meeting_update_notes(meeting=meeting, revision=0, text="MENTOR-SAVED", by=mentor)
    response = _notes(client_for(mentee), meeting, "MENTEE-TYPED", 0)
    assert response.status_code == 409
    assert response["X-Autosave"] == "conflict"
    assert response["X-Revision"] == "1"
    html = response.content.decode()
    assert "Saved by Robert Mentor" in html
    assert "MENTOR-SAVED" in html
    meeting.refresh_from_db()
    assert meeting.shared_notes == "MENTOR-SAVED"


def test_refused_notes_say_why_and_save_nothing(pair, mentee, client_for):
    meeting = past_meeting(pair)
    response = _notes(client_for(mentee), meeting, "<script>x</script>", 0)
    assert response["X-Autosave"] == "invalid"
    assert "HTML" in response.content.decode() or "tags" in response.content.decode()
    too_long = _notes(client_for(mentee), meeting, "x" * 10_001, 0)
    assert too_long["X-Autosave"] == "invalid"
    assert "10,000 characters" in too_long.content.decode()
    meeting.refresh_from_db()
    assert meeting.shared_notes == ""


def test_private_notes_autosave_and_conflict_with_the_other_window(pair, mentee, client_for):
    meeting = past_meeting(pair)
    first = _private(client_for(mentee), meeting, "Mine, tab one", 0)
    assert first["X-Autosave"] == "saved"
    assert first["X-Revision"] == "1"
    stale = _private(client_for(mentee), meeting, "Mine, tab two", 0)
    assert stale.status_code == 409
    assert "Mine, tab one" in stale.content.decode()
    assert PrivateNote.objects.get().text == "Mine, tab one"


def test_private_note_conflict_never_shows_anothers_note(pair, mentee, mentor, client_for):
    meeting = past_meeting(pair)
    private_note_save(meeting=meeting, text="MENTOR-SECRET", revision=0, by=mentor)
    response = _private(client_for(mentee), meeting, "mine", 0)
    assert response["X-Autosave"] == "saved"
    assert "MENTOR-SECRET" not in response.content.decode()


@pytest.mark.parametrize(
    ("who", "status"),
    [("director", 403), ("admin", 403), ("other_director", 404), ("outsider", 404)],
)
def test_only_the_people_in_the_relationship_autosave(pair, cast, client_for, who, status):
    meeting = past_meeting(pair)
    for url in ("meeting_notes_autosave", "private_note_autosave"):
        response = client_for(cast[who]).post(
            reverse(url, args=[meeting.pk]), {"text": "x", "revision": "0"}
        )
        assert response.status_code == status
    meeting.refresh_from_db()
    assert meeting.shared_notes == ""
    assert not PrivateNote.objects.exists()


def test_the_meeting_page_wires_both_note_boxes_for_autosave(pair, mentee, client_for):
    meeting = past_meeting(pair)
    html = client_for(mentee).get(reverse("meeting_detail", args=[meeting.pk])).content.decode()
    assert reverse("meeting_notes_autosave", args=[meeting.pk]) in html
    assert reverse("private_note_autosave", args=[meeting.pk]) in html
    assert "js/autosave.js" in html
