"""Single sign-on with OpenID Connect, against a real provider process (tests/idps): the whole
redirect round trip, just-in-time accounts and profiles, updates at later sign-ins, linking to a
password account only with its password, two-factor contexts, refused tokens."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
import requests
from django.test import Client
from django.urls import reverse

from mentorship.accounts.models import User
from programs.models import AcademicRank, Department, FacultyProfile, IdentityProvider
from programs.services.sso import identity_provider_save
from tests.factories import PASSWORD, InstitutionFactory, person

pytestmark = [pytest.mark.django_db, pytest.mark.idp]

CLIENT_ID, SECRET, IDP_PASSWORD = "mentorship", "s3cret", "idp-password"
ATTRIBUTES = {
    "email": "email",
    "given_name": "given_name",
    "family_name": "family_name",
    "department": "department",
    "rank": "rank",
    "employee_id": "employee_number",
    "division": "division",
    "supervisor_email": "manager_email",
}


@pytest.fixture
def institution(db):
    return InstitutionFactory(name="Northbridge Health", short_name="Northbridge")


@pytest.fixture
def idp(oidc_idp, institution, admin) -> IdentityProvider:
    oidc_idp.configure(
        client_id=CLIENT_ID,
        client_secret=SECRET,
        password=IDP_PASSWORD,
        amr=["pwd"],
        acr="",
        audience="",
        expired=False,
        claims={
            "sub": "nb-0001",
            "email": "grace.hopper@northbridge.edu",
            "email_verified": True,
            "given_name": "Grace",
            "family_name": "Hopper",
            "department": "Medicine",
            "rank": "Associate Professor",
            "employee_number": "E-1001",
        },
    )
    return identity_provider_save(
        institution=institution,
        by=admin,
        protocol="oidc",
        display_name="Northbridge",
        is_enabled=True,
        email_domains=["northbridge.edu"],
        sso_only=False,
        attribute_map=ATTRIBUTES,
        mfa_values=["mfa", "otp"],
        oidc_issuer=oidc_idp.url,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=SECRET,
    )


def round_trip(client: Client, start: str, data: dict[str, str], password: str = IDP_PASSWORD):
    """Starts at the app, signs in at the IdP's own page (a real HTTP exchange with the
    provider process) and follows the redirect back into the app."""
    response = client.post(start, data)
    assert response.status_code == 302, response.content[:500]
    authorize = response["Location"]
    page = requests.get(authorize, timeout=10)
    assert "Test IdP" in page.text
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page.text))
    fields = {k: v.replace("&amp;", "&") for k, v in fields.items()}
    back = requests.post(
        urlparse(authorize)._replace(query="", path="/authorize").geturl(),
        data={**fields, "password": password},
        allow_redirects=False,
        timeout=10,
    )
    assert back.status_code == 302, back.text
    callback = urlparse(back.headers["Location"])
    return client.get(f"{callback.path}?{callback.query}", follow=True)


def test_first_sign_in_creates_the_account_and_profile_from_the_claims(client, idp):
    Department.objects.create(institution=idp.institution, name="Medicine")
    response = round_trip(client, reverse("sso_start", args=[idp.slug]), {})
    assert response.status_code == 200
    user = User.objects.get(email="grace.hopper@northbridge.edu")
    assert response.context["user"] == user
    profile = FacultyProfile.objects.get(user=user)
    assert (profile.given_name, profile.family_name) == ("Grace", "Hopper")
    assert profile.department.name == "Medicine"
    assert profile.rank == AcademicRank.objects.get(name__iexact="Associate Professor")
    assert profile.employee_id == "E-1001"
    assert profile.institution == idp.institution
    assert not user.has_usable_password()


def test_the_asserted_rank_starts_the_rank_history_the_outcomes_read(client, idp):
    round_trip(client, reverse("sso_start", args=[idp.slug]), {})
    profile = FacultyProfile.objects.get(user__email="grace.hopper@northbridge.edu")
    change = profile.rank_changes.get()
    assert (change.rank, change.source) == (profile.rank, "sso")
    client.logout()
    round_trip(client, reverse("sso_start", args=[idp.slug]), {})  # the same rank: no new row
    assert profile.rank_changes.count() == 1


def test_later_sign_ins_update_the_profile(client, idp, oidc_idp):
    round_trip(client, reverse("sso_start", args=[idp.slug]), {})
    client.logout()
    surgery = Department.objects.create(institution=idp.institution, name="Surgery")
    oidc_idp.configure(
        claims={
            "sub": "nb-0001",
            "email": "grace.hopper@northbridge.edu",
            "given_name": "Grace M.",
            "family_name": "Hopper",
            "department": "surgery",
        }
    )
    round_trip(client, reverse("sso_start", args=[idp.slug]), {})
    profile = FacultyProfile.objects.get(user__email="grace.hopper@northbridge.edu")
    assert profile.given_name == "Grace M."
    assert profile.department == surgery
    assert User.objects.filter(email="grace.hopper@northbridge.edu").count() == 1


def test_the_sign_in_form_sends_an_sso_address_without_password_to_the_idp(client, idp):
    response = client.post(reverse("account_login"), {"login": "someone@northbridge.edu"})
    assert response.status_code == 302
    assert response["Location"].startswith(f"{idp.oidc_issuer}/authorize?")


def test_sso_only_domains_never_sign_in_with_a_password(client, idp):
    idp.sso_only = True
    idp.save()
    person("old.account@northbridge.edu")
    response = client.post(
        reverse("account_login"), {"login": "old.account@northbridge.edu", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(f"{idp.oidc_issuer}/authorize?")
    assert "_auth_user_id" not in client.session


def test_the_login_page_offers_the_institution_button(client, idp):
    page = client.get(reverse("account_login")).content.decode()
    assert "Sign in with Northbridge" in page


def test_an_existing_password_account_is_linked_only_with_its_password(client, idp):
    existing = person("grace.hopper@northbridge.edu", given_name="Grace").user
    response = round_trip(client, reverse("sso_start", args=[idp.slug]), {})
    assert response.redirect_chain[-1][0] == reverse("sso_link")
    assert "_auth_user_id" not in client.session
    wrong = client.post(reverse("sso_link"), {"password": "not-it-at-all"})
    assert "That is not the password of this account." in wrong.content.decode()
    assert "_auth_user_id" not in client.session
    client.post(reverse("sso_link"), {"password": PASSWORD}, follow=True)
    assert client.session["_auth_user_id"] == str(existing.pk)
    assert existing.socialaccount_set.filter(provider=idp.slug, uid="nb-0001").exists()
    # From then on the IdP alone is enough.
    client.logout()
    round_trip(client, reverse("sso_start", args=[idp.slug]), {})
    assert client.session["_auth_user_id"] == str(existing.pk)


def test_a_token_for_another_audience_is_refused_with_a_clear_message(client, idp, oidc_idp):
    oidc_idp.configure(audience="some-other-app")
    response = round_trip(client, reverse("sso_start", args=[idp.slug]), {})
    page = response.content.decode()
    assert "Sign-in refused" in page
    assert "another service (wrong audience)" in page
    assert not User.objects.filter(email="grace.hopper@northbridge.edu").exists()


def test_an_expired_token_is_refused_with_a_clear_message(client, idp, oidc_idp):
    oidc_idp.configure(expired=True)
    page = round_trip(client, reverse("sso_start", args=[idp.slug]), {}).content.decode()
    assert "had expired before it reached us" in page
    assert not User.objects.filter(email="grace.hopper@northbridge.edu").exists()


def test_a_missing_email_claim_is_refused_and_says_which(client, idp, oidc_idp):
    oidc_idp.configure(claims={"sub": "nb-0002", "given_name": "No", "family_name": "Mail"})
    response = round_trip(client, reverse("sso_start", args=[idp.slug]), {})
    page = response.content.decode()
    assert response.status_code == 403
    assert "did not send your email address" in page
    assert "“email”" in page
    assert User.objects.count() == 1  # only the admin


def test_an_address_of_a_domain_the_idp_does_not_serve_is_refused(client, idp, oidc_idp):
    oidc_idp.configure(claims={"sub": "nb-0003", "email": "someone@elsewhere.org"})
    page = round_trip(client, reverse("sso_start", args=[idp.slug]), {}).content.decode()
    assert "signs in only addresses at northbridge.edu" in page


def test_signing_out_offers_the_idps_sign_out(client, idp):
    round_trip(client, reverse("sso_start", args=[idp.slug]), {})
    response = client.post(reverse("account_logout"), follow=True)
    assert "_auth_user_id" not in client.session
    assert "Also sign out of Northbridge" in response.content.decode()
    out = client.post(reverse("sso_idp_logout"))
    assert out["Location"].startswith(f"{idp.oidc_issuer}/logout?client_id={CLIENT_ID}")


def test_staff_are_not_asked_again_when_the_idp_asserts_multi_factor(
    client, idp, oidc_idp, settings
):
    settings.MENTORSHIP_REQUIRE_MFA_FOR_STAFF = True
    round_trip(client, reverse("sso_start", args=[idp.slug]), {})
    User.objects.filter(email="grace.hopper@northbridge.edu").update(is_institution_admin=True)
    client.logout()
    # A password-only sign-in at the IdP: the app's own two-factor rule applies (enrol first).
    round_trip(client, reverse("sso_start", args=[idp.slug]), {})
    held = client.get("/institution/")
    assert held.status_code == 302
    assert held["Location"] == reverse("mfa_activate_totp")
    client.logout()
    # The IdP asserts a second factor: straight in.
    oidc_idp.configure(amr=["pwd", "mfa"])
    round_trip(client, reverse("sso_start", args=[idp.slug]), {})
    assert client.get("/institution/").status_code == 200


def test_sso_attributes_keep_the_reporting_line_current_and_directors_are_told(
    client, idp, oidc_idp, program, mentor, director, django_capture_on_commit_callbacks
):
    from django.core import mail

    from programs.models import Membership, Role
    from tests.relationship_fixtures import make_relationship

    medicine = Department.objects.create(institution=idp.institution, name="Medicine")
    cardiology = medicine.divisions.create(name="Cardiology")
    round_trip(client, reverse("sso_start", args=[idp.slug]), {})
    client.logout()
    grace = FacultyProfile.objects.get(user__email="grace.hopper@northbridge.edu")
    Membership.objects.create(program=program, person=grace, role=Role.MENTEE)
    make_relationship(program=program, mentees=[grace.user], mentors=[mentor], by=director)
    mail.outbox.clear()
    oidc_idp.configure(
        claims={
            "sub": "nb-0001",
            "email": "grace.hopper@northbridge.edu",
            "given_name": "Grace",
            "family_name": "Hopper",
            "department": "Medicine",
            "division": "Cardiology",
            "manager_email": mentor.email,
        }
    )
    with django_capture_on_commit_callbacks(execute=True):
        round_trip(client, reverse("sso_start", args=[idp.slug]), {})
    grace.refresh_from_db()
    assert (grace.department, grace.division) == (medicine, cardiology)
    assert grace.reports_to == mentor.profile
    [email] = [m for m in mail.outbox if "of their mentee" in m.subject]
    assert email.to == [director.email]
    assert "Robert Mentor is now the supervisor of their mentee Grace Hopper" in email.subject


def test_sign_up_is_refused_for_sso_only_domains(client, idp):
    idp.sso_only = True
    idp.save()
    page = client.post(
        reverse("account_signup"),
        {
            "email": "new.person@northbridge.edu",
            "password1": "a-long-password-1",
            "password2": "a-long-password-1",
            "given_name": "New",
            "family_name": "Person",
        },
    ).content.decode()
    assert "Use “Sign in with Northbridge” on the sign-in page" in page
    assert not User.objects.filter(email="new.person@northbridge.edu").exists()


def test_staff_with_an_authenticator_are_asked_for_its_code_unless_the_idp_did_mfa(
    client, idp, oidc_idp, settings
):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    settings.MENTORSHIP_REQUIRE_MFA_FOR_STAFF = True
    round_trip(client, reverse("sso_start", args=[idp.slug]), {})
    grace = User.objects.get(email="grace.hopper@northbridge.edu")
    grace.is_institution_admin = True
    grace.save()
    TOTP.activate(grace, generate_totp_secret())
    assert Authenticator.objects.filter(user=grace).exists()
    client.logout()
    asked = round_trip(client, reverse("sso_start", args=[idp.slug]), {})
    assert asked.redirect_chain[-1][0].startswith(reverse("mfa_authenticate"))
    assert "_auth_user_id" not in client.session
    client.logout()
    oidc_idp.configure(amr=["pwd", "otp"])
    round_trip(client, reverse("sso_start", args=[idp.slug]), {})
    assert client.session["_auth_user_id"] == str(grace.pk)
    assert client.get("/institution/").status_code == 200
