"""The due-work sweep: what it plans, when, for whom, and that it plans each thing once.

Time is travelled with time-machine; dates sit around the 8 March 2026 daylight-saving change in
Toronto (Berlin changes on 29 March), so local times in emails can be checked across it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mentorship.notifications.kinds import Kind
from mentorship.notifications.models import Notification, Status
from mentorship.notifications.services import quiet_hours_set
from mentorship.notifications.tasks import sweep_pending
from programs.models import (
    ActionItem,
    AgendaItem,
    AgreementVersion,
    Meeting,
    MeetingStatus,
    Recap,
    Relationship,
    ReviewRequest,
)
from programs.selectors.relationships import is_quiet, relationships_for_director
from programs.services.reminders import due_work_sweep
from tests.relationship_fixtures import make_relationship, program_mentee, program_mentor

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # a Monday, before the change


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def sweep(moment: datetime) -> dict[str, int]:
    with at(moment):
        return due_work_sweep().planned


def send(moment: datetime) -> int:
    with at(moment):
        return sweep_pending()


def planned(kind: str, **filters) -> list[Notification]:
    return list(Notification.objects.filter(kind=kind, **filters).order_by("recipient_id"))


@pytest.fixture
def zones(mentee, mentor):
    mentee.profile.time_zone = "America/Toronto"
    mentee.profile.save()
    mentor.profile.time_zone = "Europe/Berlin"
    mentor.profile.save()


@pytest.fixture
def pair_since(mentee, mentor, director, program, zones):
    """A pair started on a given day (no pilot unless asked), created at that time."""

    def make(started_on: date, *, pilot: bool = False) -> Relationship:
        with at(datetime.combine(started_on, time(12), tzinfo=UTC)):
            r = make_relationship(program=program, mentees=[mentee], mentors=[mentor], by=director)
        if not pilot:
            r.pilot_ends_on = None
        r.started_on = started_on
        r.stage = "active" if not pilot else "pilot"
        r.save()
        return r

    return make


def meeting(relationship: Relationship, starts_at: datetime, **fields) -> Meeting:
    fields.setdefault("status", MeetingStatus.SCHEDULED)
    return Meeting.objects.create(
        relationship=relationship, starts_at=starts_at, duration_minutes=60, **fields
    )


# --- Upcoming meetings -------------------------------------------------------------------------


def test_everyone_is_reminded_a_day_before_in_their_own_zone(pair_since, mentee, mentor):
    r = pair_since(date(2026, 2, 20))
    m = meeting(r, datetime(2026, 3, 10, 14, 0, tzinfo=UTC))  # Tuesday, after Toronto's change
    AgendaItem.objects.create(meeting=m, topic="Aims page")  # no agenda nudge in the way
    assert Kind.MEETING_UPCOMING not in sweep(datetime(2026, 3, 9, 12, 0, tzinfo=UTC))
    sweep(datetime(2026, 3, 9, 13, 30, tzinfo=UTC))  # within the look-ahead: planned, not due
    rows = planned(Kind.MEETING_UPCOMING)
    assert [n.recipient for n in rows] == sorted([mentee, mentor], key=lambda u: u.pk)
    assert {n.due_at for n in rows} == {datetime(2026, 3, 9, 14, 0, tzinfo=UTC)}
    assert {n.cycle for n in rows} == {f"upcoming:s{m.sequence}"}
    assert send(datetime(2026, 3, 9, 13, 59, tzinfo=UTC)) == 0
    send(datetime(2026, 3, 9, 14, 0, tzinfo=UTC))
    bodies = {message.to[0]: message.body for message in mail.outbox}
    assert len(bodies) == 2
    assert "Tuesday 10 March 2026, 10:00 EDT (America/Toronto)" in bodies[mentee.email]
    assert "Tuesday 10 March 2026, 15:00 CET (Europe/Berlin)" in bodies[mentor.email]
    assert all("Program A" in message.subject for message in mail.outbox)
    assert all(f"/meetings/{m.pk}/" in body for body in bodies.values())


def test_each_sweep_logs_what_it_found_and_did(pair_since, caplog):
    r = pair_since(date(2026, 2, 20))
    m = meeting(r, datetime(2026, 3, 10, 14, 0, tzinfo=UTC))
    AgendaItem.objects.create(meeting=m, topic="Aims page")
    with caplog.at_level("INFO"):
        sweep(datetime(2026, 3, 9, 13, 30, tzinfo=UTC))
        send(datetime(2026, 3, 9, 14, 0, tzinfo=UTC))
    lines = [record.getMessage() for record in caplog.records]
    planned_line = next(line for line in lines if line.startswith("Due-work sweep: planned"))
    assert f"{Kind.MEETING_UPCOMING} 2" in planned_line
    assert "0 left for the next sweep" in planned_line
    assert "Pending sweep: 2 due, 2 queued" in lines


def test_a_program_can_remind_earlier(pair_since, program):
    program.upcoming_reminder_hours = 48
    program.save()
    r = pair_since(date(2026, 2, 20))
    meeting(r, datetime(2026, 3, 10, 14, 0, tzinfo=UTC))
    sweep(datetime(2026, 3, 8, 14, 0, tzinfo=UTC))
    assert len(planned(Kind.MEETING_UPCOMING)) == 2


def test_a_moved_meeting_is_reminded_for_its_new_time_only(pair_since, mentee):
    r = pair_since(date(2026, 2, 20))
    m = meeting(r, datetime(2026, 3, 10, 14, 0, tzinfo=UTC))
    AgendaItem.objects.create(meeting=m, topic="Aims page")
    sweep(datetime(2026, 3, 9, 13, 30, tzinfo=UTC))
    m.starts_at, m.sequence = datetime(2026, 3, 10, 16, 0, tzinfo=UTC), m.sequence + 1
    m.save()
    send(datetime(2026, 3, 9, 14, 1, tzinfo=UTC))
    assert mail.outbox == []  # the reminder for the old time is dropped at sending
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SKIPPED}
    sweep(datetime(2026, 3, 9, 15, 30, tzinfo=UTC))
    send(datetime(2026, 3, 9, 16, 0, tzinfo=UTC))
    assert len(mail.outbox) == 2, [m.subject for m in mail.outbox]
    assert "12:00 EDT" in next(m.body for m in mail.outbox if m.to == [mentee.email])


def test_a_cancelled_meeting_is_not_reminded(pair_since):
    r = pair_since(date(2026, 2, 20))
    m = meeting(r, datetime(2026, 3, 10, 14, 0, tzinfo=UTC))
    sweep(datetime(2026, 3, 9, 14, 0, tzinfo=UTC))
    Meeting.objects.filter(pk=m.pk).update(status=MeetingStatus.CANCELLED)
    send(datetime(2026, 3, 9, 14, 1, tzinfo=UTC))
    assert mail.outbox == []


def test_the_mentee_is_asked_for_an_agenda_two_days_before(pair_since, mentee):
    r = pair_since(date(2026, 2, 20))
    meeting(r, datetime(2026, 3, 10, 14, 0, tzinfo=UTC))
    sweep(datetime(2026, 3, 8, 14, 0, tzinfo=UTC))
    assert [n.recipient for n in planned(Kind.AGENDA_PREPARE)] == [mentee]


def test_no_agenda_nudge_when_the_agenda_is_there(pair_since, mentee):
    r = pair_since(date(2026, 2, 20))
    m = meeting(r, datetime(2026, 3, 10, 14, 0, tzinfo=UTC))
    AgendaItem.objects.create(meeting=m, topic="Aims page")
    sweep(datetime(2026, 3, 8, 14, 0, tzinfo=UTC))
    assert planned(Kind.AGENDA_PREPARE) == []


def test_an_agenda_added_after_planning_drops_the_nudge(pair_since):
    r = pair_since(date(2026, 2, 20))
    m = meeting(r, datetime(2026, 3, 10, 14, 0, tzinfo=UTC))
    sweep(datetime(2026, 3, 8, 14, 0, tzinfo=UTC))
    AgendaItem.objects.create(meeting=m, topic="Aims page")
    send(datetime(2026, 3, 8, 14, 1, tzinfo=UTC))
    assert not [message for message in mail.outbox if "agenda" in message.subject.lower()]


# --- After a meeting ---------------------------------------------------------------------------


def test_nobody_logged_the_meeting_both_are_nudged_after_two_days(pair_since):
    r = pair_since(date(2026, 2, 1))
    meeting(r, datetime(2026, 3, 2, 14, 0, tzinfo=UTC))  # never marked held
    assert Kind.MEETING_LOG not in sweep(datetime(2026, 3, 4, 12, 0, tzinfo=UTC))
    sweep(datetime(2026, 3, 4, 15, 0, tzinfo=UTC))
    rows = planned(Kind.MEETING_LOG)
    assert len(rows) == 2
    assert {n.cycle for n in rows} == {"log"}


def test_a_written_recap_is_confirmed_by_the_other_party(pair_since, mentee, mentor):
    r = pair_since(date(2026, 2, 1))
    m = meeting(r, datetime(2026, 3, 2, 14, 0, tzinfo=UTC), status=MeetingStatus.HELD)
    Recap.objects.create(meeting=m, written_by=mentee.profile, text="We agreed the aims.")
    sweep(datetime(2026, 3, 4, 15, 0, tzinfo=UTC))
    (row,) = planned(Kind.MEETING_LOG)
    assert (row.recipient, row.cycle) == (mentor, "confirm")


def test_old_meetings_are_not_nagged_about(pair_since):
    r = pair_since(date(2025, 6, 1))
    meeting(r, datetime(2025, 12, 1, 14, 0, tzinfo=UTC))
    sweep(T0)
    assert planned(Kind.MEETING_LOG) == []


# --- Check-ins ---------------------------------------------------------------------------------


def test_overdue_check_in_nudges_both_then_flags_the_pair_quiet(
    pair_since, program, mentee, mentor, director
):
    r = pair_since(date(2026, 1, 1))  # monthly by default, 14 days' grace, never met
    sweep(datetime(2026, 2, 12, 15, 0, tzinfo=UTC))
    assert planned(Kind.CHECKIN_OVERDUE) == []
    # 14 Feb: the first cycle is missed; each is nudged at 09:00 where they are.
    sweep(datetime(2026, 2, 14, 15, 0, tzinfo=UTC))
    rows = {n.recipient: n for n in planned(Kind.CHECKIN_OVERDUE)}
    assert rows[mentee].due_at == datetime(2026, 2, 14, 14, 0, tzinfo=UTC)  # 09:00 EST
    assert rows[mentor].due_at == datetime(2026, 2, 14, 8, 0, tzinfo=UTC)  # 09:00 CET
    assert {n.cycle for n in rows.values()} == {"overdue:2026-01-01:1"}
    r.refresh_from_db()
    assert r.quiet_since is None
    # 16 March: the second cycle — nudged again, and the directors are told.
    sweep(datetime(2026, 3, 16, 15, 0, tzinfo=UTC))
    assert len(planned(Kind.CHECKIN_OVERDUE, cycle="overdue:2026-01-01:2")) == 2
    assert [n.recipient for n in planned(Kind.QUIET_RELATIONSHIP)] == [director]
    r.refresh_from_db()
    assert r.quiet_since == date(2026, 3, 16)
    assert is_quiet(r)
    from programs.models import Concern

    listed = relationships_for_director(
        program=program, director_concerns=Concern.objects.none(), quiet_only=True
    )
    assert list(listed) == [r]
    send(datetime(2026, 3, 16, 15, 1, tzinfo=UTC))
    quiet_mail = next(m for m in mail.outbox if m.to == [director.email])
    assert "have gone quiet" in quiet_mail.subject
    # A third cycle nudges nobody again.
    sweep(datetime(2026, 4, 16, 15, 0, tzinfo=UTC))
    assert Notification.objects.filter(kind=Kind.CHECKIN_OVERDUE).count() == 4


def test_a_logged_meeting_clears_the_quiet_flag(pair_since):
    r = pair_since(date(2026, 1, 1))
    sweep(datetime(2026, 3, 16, 15, 0, tzinfo=UTC))
    r.refresh_from_db()
    assert r.quiet_since is not None
    meeting(r, datetime(2026, 3, 17, 14, 0, tzinfo=UTC), status=MeetingStatus.CHECK_IN)
    sweep(datetime(2026, 3, 18, 15, 0, tzinfo=UTC))
    r.refresh_from_db()
    assert r.quiet_since is None


def test_the_agreed_cadence_in_force_beats_the_programs(pair_since):
    r = pair_since(date(2026, 1, 1))
    AgreementVersion.objects.filter(agreement__relationship=r).update(
        cadence_days=91, confirmed_at=datetime(2026, 1, 2, tzinfo=UTC)
    )
    sweep(datetime(2026, 3, 16, 15, 0, tzinfo=UTC))
    assert planned(Kind.CHECKIN_OVERDUE) == []
    sweep(datetime(2026, 4, 16, 15, 0, tzinfo=UTC))  # 91 + 14 days
    assert len(planned(Kind.CHECKIN_OVERDUE)) == 2


def test_no_check_in_nudge_when_a_meeting_is_booked(pair_since):
    r = pair_since(date(2026, 1, 1))
    meeting(r, datetime(2026, 2, 20, 14, 0, tzinfo=UTC))
    sweep(datetime(2026, 2, 14, 15, 0, tzinfo=UTC))
    assert planned(Kind.CHECKIN_OVERDUE) == []


def test_quiet_hours_hold_a_nudge_until_they_end(pair_since, mentee):
    from mentorship.notifications.services import notification_deliver

    quiet_hours_set(user=mentee, starts=time(8, 0), ends=time(10, 30))
    pair_since(date(2026, 1, 1))
    sweep(datetime(2026, 2, 14, 15, 0, tzinfo=UTC))
    (row,) = planned(Kind.CHECKIN_OVERDUE, recipient=mentee)
    with at(datetime(2026, 2, 14, 14, 0, tzinfo=UTC)):  # 09:00 in Toronto: quiet
        assert notification_deliver(notification_id=row.pk) == "deferred: quiet hours"
    row.refresh_from_db()
    assert row.due_at == datetime(2026, 2, 14, 15, 30, tzinfo=UTC)  # 10:30 EST
    sweep(datetime(2026, 2, 14, 15, 5, tzinfo=UTC))
    assert Notification.objects.filter(kind=Kind.CHECKIN_OVERDUE).count() == 2  # not re-planned


# --- Action items and the pilot ----------------------------------------------------------------


def test_an_overdue_action_item_reaches_its_owner_the_next_morning(pair_since, mentee):
    r = pair_since(date(2026, 2, 1))
    item = ActionItem.objects.create(
        relationship=r, owner=mentee.profile, title="Draft the aims page", due_on=date(2026, 3, 1)
    )
    sweep(datetime(2026, 3, 1, 23, 0, tzinfo=UTC))
    assert planned(Kind.ACTION_ITEM_OVERDUE) == []  # not yet morning in Toronto
    sweep(datetime(2026, 3, 2, 13, 30, tzinfo=UTC))
    (row,) = planned(Kind.ACTION_ITEM_OVERDUE)
    assert (row.recipient, row.subject) == (mentee, f"action:{item.pk}")
    assert row.due_at == datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    send(datetime(2026, 3, 2, 14, 0, tzinfo=UTC))
    assert "Draft the aims page" in mail.outbox[0].subject


def test_a_done_action_item_is_not_chased(pair_since, mentee):
    r = pair_since(date(2026, 2, 1))
    item = ActionItem.objects.create(
        relationship=r, owner=mentee.profile, title="Aims", due_on=date(2026, 3, 1)
    )
    sweep(datetime(2026, 3, 2, 13, 30, tzinfo=UTC))
    ActionItem.objects.filter(pk=item.pk).update(status="done")
    send(datetime(2026, 3, 2, 14, 0, tzinfo=UTC))
    assert mail.outbox == []


def test_pilot_ending_soon_reaches_both_with_the_review_link(pair_since, mentee, mentor):
    r = pair_since(date(2026, 1, 1), pilot=True)
    r.pilot_ends_on = date(2026, 3, 20)
    r.save()
    sweep(datetime(2026, 3, 13, 15, 0, tzinfo=UTC))  # 7 days before
    assert len(planned(Kind.PILOT_ENDING)) == 2
    assert ReviewRequest.objects.filter(relationship=r, cycle=0).count() == 2
    send(datetime(2026, 3, 13, 15, 1, tzinfo=UTC))
    pilot_mail = [m for m in mail.outbox if "pilot period" in m.subject]
    assert len(pilot_mail) == 2
    assert all("/reviews/" in m.body for m in pilot_mail)


# --- The sweep as a whole ----------------------------------------------------------------------


def test_sweeping_twice_plans_nothing_new(pair_since):
    r = pair_since(date(2026, 1, 1))
    meeting(r, datetime(2026, 3, 17, 14, 0, tzinfo=UTC))
    first = sweep(datetime(2026, 3, 16, 15, 0, tzinfo=UTC))
    count = Notification.objects.count()
    assert sum(first.values()) == count > 0
    assert sweep(datetime(2026, 3, 16, 15, 0, tzinfo=UTC)) == {}
    assert sweep(datetime(2026, 3, 16, 15, 5, tzinfo=UTC)) == {}
    assert Notification.objects.count() == count


def _many_pairs(program, director, n: int, prefix: str) -> None:
    with at(datetime(2026, 1, 1, 12, tzinfo=UTC)):
        for i in range(n):
            mentee = program_mentee(program, f"{prefix}m{i}@northbridge.test")
            mentor = program_mentor(program, f"{prefix}r{i}@northbridge.test")
            r = make_relationship(program=program, mentees=[mentee], mentors=[mentor], by=director)
            meeting(r, datetime(2026, 3, 17, 14, 0, tzinfo=UTC))
            meeting(r, datetime(2026, 2, 1, 14, 0, tzinfo=UTC), status=MeetingStatus.HELD)
            ActionItem.objects.create(
                relationship=r, owner=mentee.profile, title="x", due_on=date(2026, 3, 10)
            )


def test_the_number_of_queries_does_not_grow_with_relationships(program, director):
    _many_pairs(program, director, 1, "a")
    with at(datetime(2026, 3, 16, 15, 0, tzinfo=UTC)), CaptureQueriesContext(connection) as one:
        due_work_sweep()
    _many_pairs(program, director, 8, "b")
    Notification.objects.all().delete()
    ReviewRequest.objects.all().delete()
    with at(datetime(2026, 3, 16, 15, 0, tzinfo=UTC)), CaptureQueriesContext(connection) as many:
        result = due_work_sweep()
    assert result.planned[Kind.MEETING_UPCOMING] == 18
    assert len(many.captured_queries) == len(one.captured_queries)


def test_a_backlog_is_planned_over_several_sweeps_most_urgent_first(pair_since, monkeypatch):
    from programs.services import reminders

    r = pair_since(date(2026, 1, 1))
    meeting(r, datetime(2026, 3, 17, 14, 0, tzinfo=UTC))
    monkeypatch.setattr(reminders, "MAX_PLANNED_PER_SWEEP", 2)
    with at(datetime(2026, 3, 16, 15, 0, tzinfo=UTC)):
        first = due_work_sweep()
        assert first.backlog > 0
        # The time-critical kind first; the quiet alert always goes with its flag.
        assert set(first.planned) == {Kind.MEETING_UPCOMING, Kind.QUIET_RELATIONSHIP}
        while due_work_sweep().backlog:
            pass
    assert planned(Kind.AGENDA_PREPARE)
    assert planned(Kind.QUIET_RELATIONSHIP)
