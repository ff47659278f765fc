"""Sign-in, sign-up, verification, throttling and two-factor rules."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import IntegrityError
from django.urls import reverse

from programs.models import FacultyProfile
from tests.factories import PASSWORD, InstitutionFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


def signup(client, email, password="a-strong-password-2026", **names):
    names = {"given_name": "Nadia", "family_name": "Newcomer", **names}
    return client.post(
        reverse("account_signup"),
        {"email": email, "password1": password, "password2": password, **names},
    )


def test_emails_are_stored_lowercase_and_unique_ignoring_case():
    User.objects.create_user(email="Ada@Northbridge.test")
    assert User.objects.get().email == "ada@northbridge.test"
    with pytest.raises(IntegrityError):
        User.objects.create_user(email="ADA@northbridge.test")


def test_sign_up_is_open_to_the_institutional_domain(client, django_capture_on_commit_callbacks):
    InstitutionFactory(email_domains=["northbridge.test"])
    # The confirmation goes through the send ledger, queued once the request commits.
    with django_capture_on_commit_callbacks(execute=True):
        response = signup(client, "new.faculty@northbridge.test")
    assert response.status_code == 302
    user = User.objects.get(email="new.faculty@northbridge.test")
    profile = FacultyProfile.objects.get(user=user)
    assert (profile.given_name, profile.family_name) == ("Nadia", "Newcomer")
    assert not EmailAddress.objects.get(user=user).verified
    assert "Confirm" in mail.outbox[0].subject or "confirm" in mail.outbox[0].body


def test_sign_up_asks_for_a_name_with_autocomplete_hints(client):
    InstitutionFactory(email_domains=["northbridge.test"])
    html = client.get(reverse("account_signup")).content.decode()
    assert 'autocomplete="given-name"' in html
    assert 'autocomplete="family-name"' in html
    response = signup(client, "new.faculty@northbridge.test", given_name="", family_name="")
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not User.objects.filter(email="new.faculty@northbridge.test").exists()


def test_sign_up_from_another_domain_is_refused_clearly(client):
    InstitutionFactory(email_domains=["northbridge.test"])
    response = signup(client, "someone@gmail.com")
    html = response.content.decode()
    assert "Sign-up is open to institutional addresses (northbridge.test)" in html
    assert "invitation" in html
    assert not User.objects.filter(email="someone@gmail.com").exists()


def test_an_unverified_account_cannot_sign_in(client):
    InstitutionFactory(email_domains=["northbridge.test"])
    signup(client, "new.faculty@northbridge.test")
    client.logout()
    response = client.post(
        reverse("account_login"),
        {"login": "new.faculty@northbridge.test", "password": "a-strong-password-2026"},
    )
    assert response["Location"] == reverse("account_email_verification_sent")
    assert client.get("/").status_code == 302


def test_signing_up_with_a_taken_email_reveals_nothing(client, mentee):
    InstitutionFactory(email_domains=["northbridge.test"])
    fresh = signup(client, "someone.new@northbridge.test")
    client.logout()
    taken = signup(client, mentee.email)
    assert taken.status_code == fresh.status_code == 302
    assert taken["Location"] == fresh["Location"]


def test_password_reset_does_not_reveal_unknown_emails(client, mentee):
    known = client.post(reverse("account_reset_password"), {"email": mentee.email})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@northbridge.test"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]


def test_repeated_wrong_passwords_are_throttled_with_a_clear_message(client, mentee):
    for _ in range(5):
        client.post(reverse("account_login"), {"login": mentee.email, "password": "wrong-one"})
    response = client.post(reverse("account_login"), {"login": mentee.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()


@pytest.mark.parametrize(
    "url",
    ["/", "/me/profile/", "/programs/", "/programs/1/", "/institution/", "/people/1/"],
)
def test_every_page_requires_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize(
    "name", ["account_login", "account_signup", "account_reset_password", "healthz"]
)
def test_entrance_pages_are_public(client, name):
    assert client.get(reverse(name)).status_code == 200


def test_directors_must_enrol_two_factor_when_required(client_for, director, settings):
    settings.MENTORSHIP_REQUIRE_MFA_FOR_STAFF = True
    client = client_for(director)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    # The set-up page itself stays reachable (allauth may first ask to confirm the password).
    setup = client.get(reverse("mfa_activate_totp"))
    assert setup.status_code == 200 or setup["Location"].startswith("/accounts/reauthenticate/")


def test_having_two_factor_is_not_enough_this_session_must_pass_it(client_for, director, settings):
    settings.MENTORSHIP_REQUIRE_MFA_FOR_STAFF = True
    Authenticator.objects.create(user=director, type=Authenticator.Type.TOTP, data={})
    response = client_for(director).get("/")
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))


def test_faculty_are_not_forced_into_two_factor(client_for, mentee, settings):
    settings.MENTORSHIP_REQUIRE_MFA_FOR_STAFF = True
    assert client_for(mentee).get("/").status_code == 200
