"""Career records: departures recorded, corrected and withdrawn by directors and admins
(the access gate, field errors, audit), and stream history from every path that changes a
stream, with its backfill."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
import time_machine
from django.apps import apps
from django.core.exceptions import ValidationError

from programs.models import (
    AcademicStream,
    AuditEvent,
    Departure,
    DepartureReason,
    IdentityProvider,
    StreamChange,
)
from programs.services.careers import departure_record, departure_save, departure_withdraw
from programs.services.people import profile_update
from programs.services.sso import sso_profile_sync

pytestmark = pytest.mark.django_db

D = dt.date
TODAY = dt.datetime(2026, 6, 15, 12, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(TODAY, tick=False):
        yield


def _save(by, person, **fields):
    values = {"left_on": D(2026, 5, 31), "reason": DepartureReason.MOVED, "note": ""}
    return departure_save(person=person, by=by, **{**values, **fields})


# --- Departures ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["director", "admin"])
def test_a_director_or_admin_records_a_departure_with_its_reason(cast, mentee, who):
    departure = _save(cast[who], mentee.profile, note="Went to Lakeside University.")
    assert (departure.left_on, departure.reason, departure.source) == (
        D(2026, 5, 31),
        "moved",
        "recorded",
    )
    assert departure.recorded_by == cast[who]
    event = AuditEvent.objects.get(verb="departure.record")
    assert (event.actor, event.detail["reason"]) == (cast[who], "moved")


@pytest.mark.parametrize("who", ["mentee", "mentor", "outsider", "other_director"])
def test_nobody_else_may_record_a_departure(cast, mentee, mentor, who):
    target = mentor.profile if who == "mentee" else mentee.profile
    with pytest.raises(ValidationError, match="Only admins, and directors"):
        _save(cast[who], target)
    assert not Departure.objects.exists()


def test_a_director_may_not_record_a_fellow_directors_departure(director, program):
    from tests.factories import MembershipFactory, person

    colleague = person("co.director@northbridge.test")
    MembershipFactory(program=program, person=colleague, role="director")
    with pytest.raises(ValidationError):
        _save(director, colleague)


def test_a_date_after_today_is_refused_by_the_field(director, mentee):
    with pytest.raises(ValidationError) as refused:
        _save(director, mentee.profile, left_on=D(2026, 6, 16))
    assert "on or before today (15 June 2026)" in refused.value.message_dict["left_on"][0]


def test_a_date_before_they_joined_is_refused_by_the_field(director, mentor):
    mentor.profile.year_joined_faculty = 2005
    with pytest.raises(ValidationError) as refused:
        _save(director, mentor.profile, left_on=D(2004, 12, 31))
    assert "joined the faculty in 2005" in refused.value.message_dict["left_on"][0]


def test_every_bad_field_is_named_at_once(director, mentee):
    with pytest.raises(ValidationError) as refused:
        _save(director, mentee.profile, left_on=D(2030, 1, 1), reason="", note="<b>x</b>")
    assert set(refused.value.message_dict) == {"left_on", "reason", "note"}


def test_a_correction_changes_the_date_and_reason_and_is_audited(director, mentee):
    departure = _save(director, mentee.profile)
    _save(director, mentee.profile, departure=departure, left_on=D(2026, 4, 30), reason="retired")
    departure.refresh_from_db()
    assert (departure.left_on, departure.reason) == (D(2026, 4, 30), "retired")
    event = AuditEvent.objects.get(verb="departure.correct")
    assert (event.detail["was_left_on"], event.detail["was_reason"]) == ("2026-05-31", "moved")


def test_two_departures_on_one_day_are_refused(director, mentee):
    _save(director, mentee.profile)
    with pytest.raises(ValidationError, match="already recorded"):
        _save(director, mentee.profile, reason="other")


def test_withdrawing_keeps_the_row_and_is_audited_once(director, mentee):
    departure = _save(director, mentee.profile)
    departure_withdraw(departure=departure, by=director)
    departure_withdraw(departure=departure, by=director)
    departure.refresh_from_db()
    assert departure.is_withdrawn
    assert departure.withdrawn_by == director
    assert AuditEvent.objects.filter(verb="departure.withdraw").count() == 1


def test_only_a_manager_may_withdraw(director, mentee, mentor):
    departure = _save(director, mentee.profile)
    with pytest.raises(ValidationError):
        departure_withdraw(departure=departure, by=mentor)
    departure.refresh_from_db()
    assert not departure.is_withdrawn


def test_recording_a_withdrawn_day_again_brings_it_back(director, mentee):
    departure = _save(director, mentee.profile)
    departure_withdraw(departure=departure, by=director)
    again = _save(director, mentee.profile, reason="retired")
    assert again.pk == departure.pk
    assert not again.is_withdrawn
    assert again.reason == "retired"
    assert AuditEvent.objects.filter(verb="departure.restore").count() == 1


def test_a_roster_reimport_leaves_a_withdrawn_departure_withdrawn(director, admin, mentee):
    departure = departure_record(
        person=mentee.profile, left_on=D(2026, 1, 31), source="roster", by=admin
    )
    departure_withdraw(departure=departure, by=director)
    departure_record(person=mentee.profile, left_on=D(2026, 1, 31), source="roster", by=admin)
    assert Departure.objects.get().is_withdrawn


# --- Stream history ------------------------------------------------------------------------------


def _streams():
    return list(AcademicStream.objects.order_by("order"))


def test_a_profile_stream_change_is_kept_with_todays_date(mentee):
    first, second = _streams()[:2]
    profile_update(profile=mentee.profile, data={"stream": second}, by=mentee)
    change = StreamChange.objects.get(person=mentee.profile)
    assert (change.stream, change.effective_on, change.source) == (
        second,
        D(2026, 6, 15),
        "profile",
    )
    profile_update(profile=mentee.profile, data={"stream": second}, by=mentee)
    assert StreamChange.objects.filter(person=mentee.profile).count() == 1
    assert first != second


def test_an_sso_stream_change_is_kept(mentee):
    from tests.factories import InstitutionFactory

    second = _streams()[1]
    idp = IdentityProvider.objects.create(
        institution=mentee.profile.institution or InstitutionFactory(),
        protocol="oidc",
        slug="nb",
        attribute_map={"email": "email", "stream": "career_track"},
    )
    result = sso_profile_sync(
        user=mentee, idp=idp, raw={"email": mentee.email, "career_track": second.name.upper()}
    )
    assert "stream" in result.changed
    change = StreamChange.objects.get(person=mentee.profile)
    assert (change.stream, change.source) == (second, "sso")


def test_an_unknown_sso_stream_is_reported_and_nothing_changes(mentee):
    idp = IdentityProvider.objects.create(
        institution=mentee.profile.institution,
        protocol="oidc",
        slug="nb",
        attribute_map={"email": "email", "stream": "career_track"},
    )
    result = sso_profile_sync(user=mentee, idp=idp, raw={"career_track": "Astronaut"})
    assert result.unknown == {"stream": "Astronaut"}
    assert not StreamChange.objects.exists()


def test_the_migration_backfills_each_current_stream_as_the_first_entry(mentee, mentor):
    stream = _streams()[0]
    mentee.profile.stream = stream
    mentee.profile.save(update_fields=["stream"])
    StreamChange.objects.all().delete()
    migration = importlib.import_module(
        "programs.migrations.0033_stream_history_and_recorded_departures"
    )
    migration.backfill_streams(apps, None)
    migration.backfill_streams(apps, None)  # twice: no duplicate
    change = StreamChange.objects.get(person=mentee.profile)
    assert (change.stream, change.effective_on) == (stream, mentee.profile.created_at.date())
    assert StreamChange.objects.filter(person=mentor.profile).count() == (
        1 if mentor.profile.stream_id else 0
    )
