"""Every door to a session ends in the same state machine: under production settings (two-factor
required for directors and admins) nobody privileged reaches a page until this session has
passed the second factor, whichever way they came in; and every door is throttled."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from programs.models import AuditEvent, Role
from programs.services.invitations import faculty_invite, invitation_token
from tests.factories import PASSWORD, InstitutionFactory

pytestmark = pytest.mark.django_db

CONFIDENTIAL = "/institution/"


TOTP_PERIOD = 30


@pytest.fixture(autouse=True)
def production_mfa(settings):
    settings.MENTORSHIP_REQUIRE_MFA_FOR_STAFF = True
    cache.clear()  # the throttles' counters live in the cache
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def fresh_totp_window():
    """Each test starts one second into a new 30-second window, the clock still ticking: a code
    typed here is checked in the window it was read in. Without this a test that crossed a
    window's end between reading and checking failed (once in CI, under the 23:30 clock)."""
    start = (int(time.time()) // TOTP_PERIOD + 1) * TOTP_PERIOD + 1
    with time_machine.travel(dt.datetime.fromtimestamp(start, dt.UTC), tick=True):
        yield


def code_for(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // TOTP_PERIOD))


def enrol(user) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


@pytest.fixture
def staff_admin(admin):
    admin.is_staff = admin.is_superuser = True
    admin.save(update_fields=["is_staff", "is_superuser"])
    return admin


def password_sign_in(client: Client, user, password: str = PASSWORD):
    return client.post(reverse("account_login"), {"login": user.email, "password": password})


def test_the_django_admin_login_sends_people_to_the_app_sign_in(staff_admin):
    enrol(staff_admin)
    client = Client()
    response = client.post(
        "/django-admin/login/?next=/django-admin/",
        {"username": staff_admin.email, "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert client.get(CONFIDENTIAL).status_code == 302
    assert client.get("/django-admin/").status_code == 302


def test_a_password_alone_does_not_open_pages_for_an_enrolled_admin(staff_admin):
    secret = enrol(staff_admin)
    client = Client()
    response = password_sign_in(client, staff_admin)
    assert response["Location"] == reverse("mfa_authenticate")
    for url in (CONFIDENTIAL, "/", "/django-admin/"):
        assert client.get(url).status_code == 302, url
    response = client.post(reverse("mfa_authenticate"), {"code": code_for(secret)})
    assert response.status_code == 302
    assert client.get(CONFIDENTIAL).status_code == 200
    assert client.get("/django-admin/").status_code == 200
    event = AuditEvent.objects.filter(verb="account.sign_in", actor=staff_admin).get()
    assert event.detail["methods"] == ["mfa", "password"]


def test_a_session_that_skipped_the_second_factor_is_held_until_it_answers(staff_admin, client):
    """Whatever door forgets the challenge (here: a session created directly), having an
    authenticator is not enough: this session must use it."""
    secret = enrol(staff_admin)
    client.force_login(staff_admin)
    for url in (CONFIDENTIAL, "/", "/django-admin/", "/accounts/email/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("mfa_reauthenticate")), url
    response = client.post(
        reverse("mfa_reauthenticate") + f"?next={CONFIDENTIAL}", {"code": code_for(secret)}
    )
    assert response["Location"] == CONFIDENTIAL
    assert client.get(CONFIDENTIAL).status_code == 200


def test_a_wrong_code_keeps_the_session_held(staff_admin, client):
    enrol(staff_admin)
    client.force_login(staff_admin)
    client.post(reverse("mfa_reauthenticate"), {"code": "000000"})
    assert client.get(CONFIDENTIAL).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_a_director_who_must_enrol_reaches_nothing_until_enrolled(director):
    """allauth announces the new authenticator after commit, as a real request does (no
    transaction around the test), and that announcement marks this session as verified."""
    client = Client()
    password_sign_in(client, director)
    for url in ("/", f"/programs/{director.profile.memberships.get().program_id}/dashboard/"):
        response = client.get(url)
        assert response["Location"] == reverse("mfa_activate_totp"), url
    assert client.get("/accounts/email/")["Location"] == reverse("mfa_activate_totp")
    # allauth asks for the password again before adding an authenticator.
    response = client.get(reverse("mfa_activate_totp"))
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    response = client.post(reverse("mfa_activate_totp"), {"code": code_for(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=director, type="totp").exists()
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(verb="account.mfa_added", actor=director).exists()


def test_faculty_without_an_authenticator_are_not_held(mentee, client):
    client.force_login(mentee)
    assert client.get("/").status_code == 200


def test_password_reset_still_asks_for_the_second_factor(
    staff_admin, django_capture_on_commit_callbacks
):
    enrol(staff_admin)
    client = Client()
    # Account emails go through the send ledger, queued once the request commits.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": staff_admin.email})
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", mail.outbox[-1].body)
    response = client.get(link.group(1), follow=True)
    new = "a-brand-new-passphrase-42"
    response = client.post(response.redirect_chain[-1][0], {"password1": new, "password2": new})
    assert response.status_code == 302
    assert client.get(CONFIDENTIAL).status_code == 302
    assert not client.get(CONFIDENTIAL).wsgi_request.user.is_authenticated or (
        client.get(CONFIDENTIAL)["Location"].startswith(reverse("mfa_reauthenticate"))
    )


def test_outside_mentors_on_other_domains_can_reset_their_password(
    client, django_capture_on_commit_callbacks
):
    InstitutionFactory(email_domains=["northbridge.test"])
    result = faculty_invite(
        email="guest@partner-hospital.org", given_name="Gus", family_name="Guest", by=None
    )
    user = result.person.user
    user.set_password(PASSWORD)
    user.save()
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 302
    assert any("/accounts/password/reset/key/" in m.body for m in mail.outbox)


def test_an_invited_director_must_enrol_before_anything(program, admin):
    result = faculty_invite(
        email="new.director@northbridge.test",
        given_name="Nina",
        family_name="New",
        program=program,
        role=Role.DIRECTOR,
        by=admin,
    )
    client = Client()
    url = reverse("invitation_accept", args=[invitation_token(result.invitation)])
    new = "a-brand-new-passphrase-42"
    client.post(url, {"password1": new, "password2": new})
    assert client.get("/")["Location"] == reverse("mfa_activate_totp")
    assert client.get(f"/programs/{program.pk}/").status_code == 302


def test_invitation_acceptance_is_throttled(program, admin):
    result = faculty_invite(
        email="someone@northbridge.test", given_name="S", family_name="One", by=admin
    )
    client = Client()
    url = reverse("invitation_accept", args=[invitation_token(result.invitation)])
    statuses = [
        client.post(url, {"password1": "x", "password2": "y"}).status_code for _ in range(6)
    ]
    assert statuses[:5] == [200] * 5
    assert statuses[5] == 429
    assert "Too many attempts" in client.post(url, {}).content.decode()


def test_wrong_passwords_are_throttled_per_account_whatever_the_door(staff_admin):
    client = Client()
    for _ in range(5):
        password_sign_in(client, staff_admin, "wrong-password")
    # The admin's own door sends the person to the same form, so the same counter applies.
    assert client.post("/django-admin/login/", {"username": staff_admin.email}).status_code == 302
    response = password_sign_in(client, staff_admin)
    assert "Too many failed login attempts" in response.content.decode()
    assert AuditEvent.objects.filter(verb="account.sign_in_failed").count() >= 5


@pytest.mark.parametrize("proxies", [1])
def test_throttles_key_on_the_real_client_behind_the_proxy(settings, cast, proxies):
    """Behind one trusted proxy, one client's wrong passwords do not lock out another client."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = proxies
    attacker = Client(HTTP_X_FORWARDED_FOR="203.0.113.9")
    colleague = Client(HTTP_X_FORWARDED_FOR="198.51.100.7")
    victims = [cast[name] for name in ("mentee", "mentor", "director", "other_director")]
    for _ in range(3):
        for user in victims:
            password_sign_in(attacker, user, "wrong-password")
    blocked = password_sign_in(attacker, cast["outsider"])
    assert "Too many" in blocked.content.decode()
    assert password_sign_in(colleague, cast["outsider"]).status_code == 302


def test_without_trusted_proxies_the_forwarded_header_is_ignored(settings, cast):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    forged = [Client(HTTP_X_FORWARDED_FOR=f"192.0.2.{i}") for i in range(12)]
    for i, client in enumerate(forged[:11]):
        password_sign_in(client, cast["outsider"] if i % 2 else cast["mentee"], "wrong")
    # Forging the header did not give the attacker fresh addresses: they share the socket's.
    assert "Too many" in password_sign_in(forged[11], cast["mentor"]).content.decode()


def test_password_reset_requests_are_throttled_per_account(
    mentee, django_capture_on_commit_callbacks
):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        responses = [
            client.post(reverse("account_reset_password"), {"email": mentee.email})
            for _ in range(6)
        ]
    assert [r.status_code for r in responses[:5]] == [302] * 5
    last = responses[5]
    assert last.status_code == 429 or "Too many" in last.content.decode()
    assert len([m for m in mail.outbox if mentee.email in m.to]) == 5
