"""Who may see and do what with relationships, meetings and concerns: the shared cast against
every view; group members; private notes; and concerns that leave no trace for the other party."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from programs.access import (
    can_see_ended_reason,
    concerns_visible_to,
    get_profile_for_user,
    relationships_visible_to,
)
from programs.models import ActionItem, AgendaItem, Concern, Meeting, MemberSide, PrivateNote
from programs.services.concerns import concern_raise
from programs.services.meetings import calendar_feed_create, private_note_save
from programs.services.relationships import relationship_end
from tests.relationship_fixtures import past_meeting, upcoming_meeting

pytestmark = pytest.mark.django_db

MEMBERS_ONLY = {  # members 200; directors and admins know it exists: 403; others 404
    "mentee": 200,
    "mentor": 200,
    "director": 403,
    "admin": 403,
    "other_director": 404,
    "outsider": 404,
}
MEMBERS_AND_DIRECTORS = {**MEMBERS_ONLY, "director": 200, "admin": 200}
DIRECTORS_ONLY = {
    "director": 200,
    "admin": 200,
    "mentee": 403,
    "mentor": 403,
    "other_director": 404,
    "outsider": 404,
}


@pytest.fixture
def concern(pair, mentee):
    return concern_raise(
        relationship=pair, category="credit", text="CONFIDENTIAL-TEXT-123", by=mentee
    )


def _relationship_urls(pair, meeting):
    return {
        "relationship_detail": (
            reverse("relationship_detail", args=[pair.pk]),
            MEMBERS_AND_DIRECTORS,
        ),
        "relationship_end": (reverse("relationship_end", args=[pair.pk]), MEMBERS_AND_DIRECTORS),
        "relationship_agreement": (reverse("relationship_agreement", args=[pair.pk]), MEMBERS_ONLY),
        "meeting_new": (reverse("meeting_new", args=[pair.pk]), MEMBERS_ONLY),
        "checkin_new": (reverse("checkin_new", args=[pair.pk]), MEMBERS_ONLY),
        "concern_new": (reverse("concern_new", args=[pair.pk]), MEMBERS_ONLY),
        "meeting_detail": (reverse("meeting_detail", args=[meeting.pk]), MEMBERS_ONLY),
        "meeting_edit": (reverse("meeting_edit", args=[meeting.pk]), MEMBERS_ONLY),
        "meeting_ics": (reverse("meeting_ics", args=[meeting.pk]), MEMBERS_ONLY),
    }


@pytest.mark.parametrize(
    "name",
    [
        "relationship_detail",
        "relationship_end",
        "relationship_agreement",
        "meeting_new",
        "checkin_new",
        "concern_new",
        "meeting_detail",
        "meeting_edit",
        "meeting_ics",
    ],
)
@pytest.mark.parametrize(
    "who", ["mentee", "mentor", "director", "admin", "other_director", "outsider"]
)
def test_relationship_and_meeting_pages(cast, pair, client_for, name, who):
    url, expected = _relationship_urls(pair, upcoming_meeting(pair))[name]
    assert client_for(cast[who]).get(url).status_code == expected[who]


@pytest.mark.parametrize("name", ["program_relationships", "relationship_new", "program_concerns"])
@pytest.mark.parametrize(
    "who", ["mentee", "mentor", "director", "admin", "other_director", "outsider"]
)
def test_director_pages(cast, program, client_for, name, who):
    response = client_for(cast[who]).get(reverse(name, args=[program.pk]))
    assert response.status_code == DIRECTORS_ONLY[who]


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("mentee", 200),
        ("mentor", 404),
        ("director", 200),
        ("admin", 200),
        ("other_director", 404),
        ("outsider", 404),
    ],
)
def test_concern_page(cast, concern, client_for, who, status):
    response = client_for(cast[who]).get(reverse("concern_detail", args=[concern.pk]))
    assert response.status_code == status


@pytest.mark.parametrize(
    "action", ["concern_acknowledge", "concern_resolve", "concern_reopen", "concern_note"]
)
@pytest.mark.parametrize(
    ("who", "status"),
    [("mentee", 403), ("mentor", 404), ("other_director", 404), ("outsider", 404)],
)
def test_only_directors_act_on_concerns(cast, concern, client_for, action, who, status):
    response = client_for(cast[who]).post(
        reverse(action, args=[concern.pk]), {"resolution": "x", "text": "x"}
    )
    assert response.status_code == status
    concern.refresh_from_db()
    assert concern.status == "open"
    assert not concern.notes.exists()


@pytest.mark.parametrize("name", ["mentee_board", "mentor_dashboard", "calendar_settings"])
@pytest.mark.parametrize(
    "who", ["mentee", "mentor", "director", "admin", "other_director", "outsider"]
)
def test_personal_pages_open_for_everyone_signed_in(cast, client_for, name, who):
    assert client_for(cast[who]).get(reverse(name)).status_code == 200


@pytest.mark.parametrize(
    ("who", "status"),
    [("mentee", 200), ("mentor", 403), ("director", 403), ("outsider", 403)],
)
def test_only_mentees_add_outside_mentors(cast, client_for, who, status):
    assert client_for(cast[who]).get(reverse("outside_mentor_new")).status_code == status


def test_pages_require_sign_in(client, pair):
    meeting = upcoming_meeting(pair)
    urls = [reverse("mentee_board"), reverse("mentor_dashboard"), reverse("calendar_settings")]
    urls += [url for url, _ in _relationship_urls(pair, meeting).values()]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


# --- Writes: the same rules on POST, and nothing changes ----------------------------------------


def _member_posts(pair, meeting, item, agenda_item):
    future = {"on": "2030-01-10", "starts": "09:00", "ends": "10:00", "mode": "video"}
    return [
        (reverse("meeting_new", args=[pair.pk]), future),
        (reverse("meeting_edit", args=[meeting.pk]), future),
        (
            reverse("checkin_new", args=[pair.pk]),
            {"occurred_on": "2026-01-01", "mode": "email", "summary": "x"},
        ),
        (reverse("concern_new", args=[pair.pk]), {"category": "other", "text": "x"}),
        (reverse("agenda_remove", args=[meeting.pk, agenda_item.pk]), {}),
        (reverse("agreement_confirm", args=[pair.pk]), {"revision": "0"}),
        (reverse("pilot_confirm", args=[pair.pk]), {}),
        (reverse("relationship_alumni", args=[pair.pk]), {"stays_in_touch": "1"}),
        (reverse("relationship_keep_going", args=[pair.pk]), {}),
        (reverse("action_item_add", args=[pair.pk]), {"title": "x", "owner": "1"}),
        (reverse("action_item_status", args=[pair.pk, item.pk]), {"status": "done"}),
        (reverse("agenda_add", args=[meeting.pk]), {"topic": "Sneaky topic"}),
        (reverse("meeting_notes", args=[meeting.pk]), {"revision": "0", "text": "Sneaky"}),
        (reverse("private_note", args=[meeting.pk]), {"text": "Sneaky"}),
        (reverse("meeting_log", args=[meeting.pk]), {"checklist": ["career"]}),
        (reverse("recap_write", args=[meeting.pk]), {"text": "Sneaky"}),
        (reverse("recap_confirm", args=[meeting.pk]), {}),
        (reverse("meeting_cancel", args=[meeting.pk]), {}),
    ]


@pytest.mark.parametrize(
    ("who", "status"),
    [("director", 403), ("admin", 403), ("other_director", 404), ("outsider", 404)],
)
def test_non_members_cannot_write(cast, pair, client_for, who, status):
    meeting = past_meeting(pair)
    item = ActionItem.objects.create(relationship=pair, owner=cast["mentee"].profile, title="t")
    agenda_item = AgendaItem.objects.create(meeting=meeting, topic="Kept", order=1)
    client = client_for(cast[who])
    for url, data in _member_posts(pair, meeting, item, agenda_item):
        assert client.post(url, data).status_code == status, url
    meeting.refresh_from_db()
    item.refresh_from_db()
    assert meeting.shared_notes == ""
    assert meeting.status == "held"
    assert item.status == "open"
    assert list(AgendaItem.objects.values_list("topic", flat=True)) == ["Kept"]
    assert not PrivateNote.objects.exists()
    assert ActionItem.objects.count() == 1
    assert Meeting.objects.count() == 1
    assert not Concern.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("other_director", 404), ("outsider", 404)])
def test_strangers_cannot_end_or_conclude(cast, pair, client_for, who, status):
    client = client_for(cast[who])
    assert client.post(reverse("relationship_end", args=[pair.pk])).status_code == status
    assert client.post(reverse("relationship_conclude", args=[pair.pk])).status_code == status
    pair.refresh_from_db()
    assert pair.is_open


# --- Groups ------------------------------------------------------------------------------------


def test_group_members_see_group_meetings(group, client_for, mentor):
    meeting = past_meeting(group)
    for member in group.members.select_related("person__user"):
        response = client_for(member.person.user).get(reverse("meeting_detail", args=[meeting.pk]))
        assert response.status_code == 200


def test_someone_who_left_a_group_no_longer_sees_it(group, client_for):
    meeting = past_meeting(group)
    leaver = group.members.filter(side=MemberSide.MENTEE).first().person.user
    relationship_end(relationship=group, by=leaver)
    client = client_for(leaver)
    assert client.get(reverse("relationship_detail", args=[group.pk])).status_code == 404
    assert client.get(reverse("meeting_detail", args=[meeting.pk])).status_code == 404


def test_both_parties_keep_reading_an_ended_relationship(pair, mentee, mentor, client_for):
    relationship_end(relationship=pair, by=mentee)
    for user in (mentee, mentor):
        assert (
            client_for(user).get(reverse("relationship_detail", args=[pair.pk])).status_code == 200
        )


# --- Private notes -----------------------------------------------------------------------------


def test_nobody_sees_anyone_elses_private_notes(cast, pair, client_for):
    meeting = past_meeting(pair)
    private_note_save(meeting=meeting, text="MENTEE-PRIVATE-NOTE", by=cast["mentee"])
    private_note_save(meeting=meeting, text="MENTOR-PRIVATE-NOTE", by=cast["mentor"])
    own = client_for(cast["mentee"]).get(reverse("meeting_detail", args=[meeting.pk]))
    assert "MENTEE-PRIVATE-NOTE" in own.content.decode()
    assert "MENTOR-PRIVATE-NOTE" not in own.content.decode()
    theirs = client_for(cast["mentor"]).get(reverse("meeting_detail", args=[meeting.pk]))
    assert "MENTEE-PRIVATE-NOTE" not in theirs.content.decode()
    for who in ("director", "admin"):
        client = client_for(cast[who])
        for url in (
            reverse("relationship_detail", args=[pair.pk]),
            reverse("meeting_detail", args=[meeting.pk]),
            reverse("program_relationships", args=[pair.program_id]),
        ):
            assert "PRIVATE-NOTE" not in client.get(url).content.decode()


def test_private_notes_stay_out_of_calendars(cast, pair, client):
    meeting = upcoming_meeting(pair)
    private_note_save(meeting=meeting, text="PRIVATE-IN-FEED", by=cast["mentee"])
    token = calendar_feed_create(person=cast["mentee"].profile, by=cast["mentee"]).token
    body = client.get(reverse("calendar_feed", args=[token])).content.decode()
    assert "BEGIN:VEVENT" in body
    assert "PRIVATE-IN-FEED" not in body


# --- Ended reasons -----------------------------------------------------------------------------


def test_the_ended_reason_is_for_directors_only(cast, pair, client_for):
    relationship_end(relationship=pair, by=cast["mentee"], reason_for_directors="REASON-XYZ")
    url = reverse("relationship_detail", args=[pair.pk])
    assert "REASON-XYZ" in client_for(cast["director"]).get(url).content.decode()
    assert "REASON-XYZ" in client_for(cast["admin"]).get(url).content.decode()
    for who in ("mentee", "mentor"):
        assert "REASON-XYZ" not in client_for(cast[who]).get(url).content.decode()


def test_a_member_who_is_also_an_admin_never_sees_the_reason(cast, pair):
    mentor = cast["mentor"]
    mentor.is_institution_admin = True
    mentor.save()
    relationship_end(relationship=pair, by=cast["mentee"], reason_for_directors="REASON")
    assert not can_see_ended_reason(mentor, pair)


# --- Concerns leave no trace for the other party -------------------------------------------------


def _normalise(html: str) -> str:
    """Drop what changes on every request (CSRF tokens)."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = re.sub(r'name="_submission" value="[^"]+"', "", html)  # a fresh token per render
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", html)


def test_a_concern_is_invisible_to_the_other_party_in_every_page_count_and_email(
    cast, pair, client_for, django_capture_on_commit_callbacks
):
    mentor = client_for(cast["mentor"])
    meeting = past_meeting(pair)
    pages = [
        reverse("home"),
        reverse("mentor_dashboard"),
        reverse("mentee_board"),
        reverse("relationship_detail", args=[pair.pk]),
        reverse("relationship_agreement", args=[pair.pk]),
        reverse("meeting_detail", args=[meeting.pk]),
        reverse("relationship_end", args=[pair.pk]),
        reverse("profile_detail", args=[cast["mentee"].profile.pk]),
    ]
    before = {url: _normalise(mentor.get(url).content.decode()) for url in pages}
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        concern = concern_raise(
            relationship=pair, category="harassment", text="CONCERN-SECRET", by=cast["mentee"]
        )
    after = {url: _normalise(mentor.get(url).content.decode()) for url in pages}
    for url in pages:
        assert before[url] == after[url], f"{url} changed for the other party"
        assert "CONCERN-SECRET" not in after[url]
        assert "Harassment" not in after[url]
    # Emails: the directors only, and never the text.
    assert [m.to for m in mail.outbox] == [[cast["director"].email]]
    assert all(cast["mentor"].email not in m.to for m in mail.outbox)
    assert all("CONCERN-SECRET" not in m.body for m in mail.outbox)
    # Counts and lookups.
    assert not concerns_visible_to(cast["mentor"]).exists()
    assert mentor.get(reverse("concern_detail", args=[concern.pk])).status_code == 404


def test_the_raiser_sees_their_own_concern_on_the_relationship_page(
    cast, pair, concern, client_for
):
    page = client_for(cast["mentee"]).get(reverse("relationship_detail", args=[pair.pk]))
    assert "Your concerns" in page.content.decode()


def test_an_admin_in_the_relationship_does_not_see_the_concern_about_it(cast, pair, concern):
    mentor = cast["mentor"]
    mentor.is_institution_admin = True
    mentor.save()
    assert concern not in concerns_visible_to(mentor)


def test_directors_of_another_program_do_not_see_the_concern(cast, concern):
    assert not concerns_visible_to(cast["other_director"]).exists()
    assert set(concerns_visible_to(cast["director"])) == {concern}


def test_opening_a_concern_is_logged_for_every_viewer(cast, concern, client_for):
    client_for(cast["director"]).get(reverse("concern_detail", args=[concern.pk]))
    client_for(cast["mentee"]).get(reverse("concern_detail", args=[concern.pk]))
    from programs.services.concerns import concern_views

    assert {v.actor for v in concern_views(concern=concern)} == {cast["director"], cast["mentee"]}


def test_the_concern_log_is_read_only_in_the_admin(admin_client, concern):
    from django.contrib.admin.sites import site

    from programs.models import AuditEvent

    model_admin = site._registry[AuditEvent]
    assert not model_admin.has_change_permission(None)
    assert not model_admin.has_delete_permission(None)
    assert Concern not in site._registry  # handled in the app, with the view log


# --- Profiles ----------------------------------------------------------------------------------


def test_people_in_a_relationship_see_each_others_profiles(cast, pair):
    assert get_profile_for_user(cast["mentor"], cast["mentee"].profile.pk)


def test_relationships_visible_to_each_of_the_cast(cast, pair):
    assert set(relationships_visible_to(cast["mentee"])) == {pair}
    assert set(relationships_visible_to(cast["director"])) == {pair}
    assert set(relationships_visible_to(cast["admin"])) == {pair}
    assert not relationships_visible_to(cast["other_director"]).exists()
    assert not relationships_visible_to(cast["outsider"]).exists()
