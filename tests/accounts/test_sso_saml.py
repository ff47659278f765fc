"""Single sign-on with SAML 2.0, against a real IdP process (pysaml2's IdP server, tests/idps):
the whole redirect round trip with a signed assertion, just-in-time accounts, the authentication
context and the two-factor rule, and responses refused with a clear message — for another
audience, expired, unsigned — and an attribute missing from the assertion."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlparse

import pytest
import requests
from django.test import Client
from django.urls import reverse

from mentorship.accounts.models import User
from programs.models import Department, FacultyProfile, IdentityProvider
from programs.services.sso import identity_provider_save
from tests.factories import InstitutionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.idp]

IDP_PASSWORD = "idp-password"
MAIL, GIVEN, SN = (
    "urn:oid:0.9.2342.19200300.100.1.3",
    "urn:oid:2.5.4.42",
    "urn:oid:2.5.4.4",
)
ATTRIBUTES = {
    "email": MAIL,
    "given_name": GIVEN,
    "family_name": SN,
    "department": "urn:oid:2.5.4.11",
    "employee_id": "urn:oid:2.16.840.1.113730.3.1.3",
}
MFA = "https://refeds.org/profile/mfa"
PASSWORD_CONTEXT = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"


@pytest.fixture
def client() -> Client:
    return Client(HTTP_HOST="testserver")  # python3-saml reads the Host header, as browsers send


@pytest.fixture
def institution(db):
    return InstitutionFactory(name="Northbridge Health", short_name="Northbridge")


@pytest.fixture
def idp(saml_idp, institution, admin, client) -> IdentityProvider:
    saved = identity_provider_save(
        institution=institution,
        by=admin,
        protocol="saml",
        display_name="Northbridge",
        is_enabled=True,
        email_domains=["northbridge.edu"],
        sso_only=False,
        attribute_map=ATTRIBUTES,
        mfa_values=[MFA],
        saml_metadata_url=f"{saml_idp.url}/metadata",
    )
    admin_client = Client(HTTP_HOST="testserver")
    admin_client.force_login(admin)
    sp_metadata = admin_client.get(reverse("institution:sp_metadata", args=[institution.pk]))
    saml_idp.configure(
        sp_metadata=sp_metadata.content.decode(),
        password=IDP_PASSWORD,
        name_id="nb-0001",
        mode="normal",
        authn_context=PASSWORD_CONTEXT,
        attributes={
            "mail": "ada.lovelace@northbridge.edu",
            "givenName": "Ada",
            "sn": "Lovelace",
            "ou": "Medicine",
            "employeeNumber": "E-2002",
        },
    )
    return saved


def round_trip(client: Client, idp: IdentityProvider, password: str = IDP_PASSWORD):
    """From the app's button to the IdP's sign-in page (real HTTP to the IdP process), the
    password there, and the signed Response posted back to the app's ACS."""
    start = client.post(reverse("sso_start", args=[idp.slug]))
    assert start.status_code == 302, start.content[:300]
    login_page = requests.get(start["Location"], timeout=10)
    assert "Test SAML IdP sign-in" in login_page.text, login_page.text[:500]
    fields = {
        k: unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', login_page.text)
    }
    idp_base = urlparse(start["Location"])._replace(path="", query="").geturl()
    back = requests.post(f"{idp_base}/sso/login", data={**fields, "password": password}, timeout=10)
    assert back.status_code == 200, back.text[:800]
    action = unescape(re.search(r'<form method="post" action="([^"]+)"', back.text).group(1))
    posted = {k: unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', back.text)}
    return client.post(urlparse(action).path, posted, follow=True)


def test_first_sign_in_creates_the_account_and_profile_from_the_assertion(client, idp):
    Department.objects.create(institution=idp.institution, name="Medicine")
    response = round_trip(client, idp)
    assert response.status_code == 200, response.content[:800]
    user = User.objects.get(email="ada.lovelace@northbridge.edu")
    assert client.session["_auth_user_id"] == str(user.pk)
    profile = FacultyProfile.objects.get(user=user)
    assert (profile.given_name, profile.family_name) == ("Ada", "Lovelace")
    assert profile.department.name == "Medicine"
    assert profile.employee_id == "E-2002"
    account = user.socialaccount_set.get()
    assert (account.provider, account.uid) == (idp.slug, "nb-0001")


def test_a_response_for_another_audience_is_refused(client, idp, saml_idp):
    saml_idp.configure(mode="wrong_audience")
    page = round_trip(client, idp).content.decode()
    assert "Sign-in refused" in page
    assert "another service (wrong audience)" in page
    assert not User.objects.filter(email="ada.lovelace@northbridge.edu").exists()


def test_an_expired_assertion_is_refused(client, idp, saml_idp):
    saml_idp.configure(mode="expired")
    page = round_trip(client, idp).content.decode()
    assert "had expired before it reached us" in page
    assert not User.objects.filter(email="ada.lovelace@northbridge.edu").exists()


def test_an_unsigned_assertion_is_refused(client, idp, saml_idp):
    saml_idp.configure(mode="unsigned")
    page = round_trip(client, idp).content.decode()
    assert "was not signed with its registered certificate" in page
    assert not User.objects.filter(email="ada.lovelace@northbridge.edu").exists()


def test_an_assertion_without_the_email_attribute_is_refused_and_says_which(client, idp, saml_idp):
    saml_idp.configure(attributes={"givenName": "Ada", "sn": "Lovelace"})
    response = round_trip(client, idp)
    page = response.content.decode()
    assert response.status_code == 403
    assert "did not send your email address" in page
    assert MAIL in page
    assert not User.objects.filter(email__startswith="ada").exists()


def test_a_multi_factor_context_spares_staff_the_apps_own_code(client, idp, saml_idp, settings):
    settings.MENTORSHIP_REQUIRE_MFA_FOR_STAFF = True
    round_trip(client, idp)
    User.objects.filter(email="ada.lovelace@northbridge.edu").update(is_institution_admin=True)
    client.logout()
    round_trip(client, idp)
    assert client.get("/institution/")["Location"] == reverse("mfa_activate_totp")
    client.logout()
    saml_idp.configure(authn_context=MFA)
    round_trip(client, idp)
    assert client.get("/institution/").status_code == 200
