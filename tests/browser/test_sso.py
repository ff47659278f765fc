"""Single sign-on in a real browser, the whole redirect round trip against real IdP processes
(tests/idps): the admin sets up OpenID Connect on the app's page, then a faculty member types
their address, signs in at the provider's page and lands home; with SAML, the "Sign in with
Northbridge" button, the IdP's page and its signed Response posted back."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from mentorship.accounts.models import User
from programs.services.sso import identity_provider_save
from tests.factories import InstitutionFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.no_audit]

IDP_PASSWORD = "idp-password"


@pytest.fixture
def institution(db):
    return InstitutionFactory(name="Northbridge Health", short_name="Northbridge")


def test_oidc_set_up_by_the_admin_then_a_round_trip(
    page, live_server, login, admin, institution, oidc_idp, axe
):
    oidc_idp.configure(
        client_id="mentorship",
        client_secret="s3cret",
        password=IDP_PASSWORD,
        amr=["pwd"],
        acr="",
        audience="",
        expired=False,
        claims={
            "sub": "nb-7",
            "email": "grace.hopper@northbridge.edu",
            "given_name": "Grace",
            "family_name": "Hopper",
        },
    )
    login(admin)
    page.goto(f"{live_server.url}{reverse('institution:sign_in')}")
    page.get_by_role("link", name="Northbridge Health").click()
    expect(
        page.get_by_role("heading", name="Single sign-on for Northbridge Health")
    ).to_be_visible()
    page.get_by_label("OpenID Connect", exact=True).check()
    page.get_by_label("Email domains it serves").fill("northbridge.edu")
    page.get_by_label("Switched on").check()
    page.get_by_label("Issuer (OpenID Connect)").fill(oidc_idp.url)
    page.get_by_label("Client id (OpenID Connect)").fill("mentorship")
    page.get_by_label("Client secret (OpenID Connect)").fill("s3cret")
    page.get_by_role("textbox", name="Email address attribute:", exact=True).fill("email")
    page.get_by_label("Given name attribute").fill("given_name")
    page.get_by_label("Family name attribute").fill("family_name")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Single sign-on for Northbridge Health switched on.")).to_be_visible()
    axe(page, context="on the admin's single sign-on page")
    page.screenshot(path="/tmp/sso/admin_sso_page.png", full_page=True)

    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("button", name="Sign in with Northbridge")).to_be_visible()
    axe(page, context="on the sign-in page with single sign-on")
    page.screenshot(path="/tmp/sso/login_page.png", full_page=True)
    page.get_by_label("Email").fill("grace.hopper@northbridge.edu")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Test IdP (OpenID Connect)")).to_be_visible()
    page.get_by_label("Password").fill(IDP_PASSWORD)
    page.get_by_role("button", name="Sign in at the IdP").click()
    expect(page.get_by_role("heading", name="Welcome, Grace")).to_be_visible()
    assert User.objects.filter(email="grace.hopper@northbridge.edu").exists()

    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("button", name="Also sign out of Northbridge")).to_be_visible()
    page.get_by_role("button", name="Also sign out of Northbridge").click()
    expect(page.get_by_role("heading", name="Signed out of the test IdP")).to_be_visible()


def test_saml_round_trip_from_the_button(page, live_server, admin, institution, saml_idp):
    idp = identity_provider_save(
        institution=institution,
        by=admin,
        protocol="saml",
        display_name="Northbridge",
        is_enabled=True,
        email_domains=["northbridge.edu"],
        sso_only=True,
        attribute_map={
            "email": "urn:oid:0.9.2342.19200300.100.1.3",
            "given_name": "urn:oid:2.5.4.42",
            "family_name": "urn:oid:2.5.4.4",
        },
        mfa_values=["https://refeds.org/profile/mfa"],
        saml_metadata_url=f"{saml_idp.url}/metadata",
    )
    admin_client = Client(HTTP_HOST=urlparse(live_server.url).netloc)
    admin_client.force_login(admin)
    sp = admin_client.get(reverse("institution:sp_metadata", args=[institution.pk]))
    saml_idp.configure(
        sp_metadata=sp.content.decode(),
        password=IDP_PASSWORD,
        name_id="nb-0009",
        mode="normal",
        authn_context="https://refeds.org/profile/mfa",
        attributes={"mail": "ada.lovelace@northbridge.edu", "givenName": "Ada", "sn": "Lovelace"},
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name="Sign in with Northbridge").click()
    expect(page.get_by_role("heading", name="Test SAML IdP sign-in")).to_be_visible()
    page.get_by_label("Password").fill(IDP_PASSWORD)
    page.get_by_role("button", name="Sign in at the IdP").click()
    expect(page.get_by_role("heading", name="Welcome, Ada")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/$"))
    user = User.objects.get(email="ada.lovelace@northbridge.edu")
    assert user.socialaccount_set.get().provider == idp.slug
