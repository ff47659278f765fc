"""The institution admin's single sign-on page: bad input (metadata that is not XML, an expired
certificate, an attribute map naming nothing) gets a clear message next to the field and changes
nothing; good input is read from the IdP itself (a real SAML IdP process)."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.urls import reverse

from programs.models import IdentityProvider
from tests.factories import InstitutionFactory

pytestmark = pytest.mark.django_db


def metadata_with_certificate(not_after: dt.datetime) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Old IdP")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(not_after - dt.timedelta(days=365))
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    der = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
    return f"""<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.northbridge.edu/idp">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>
      <ds:X509Certificate>{der}</ds:X509Certificate>
    </ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="https://idp.northbridge.edu/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"""


@pytest.fixture
def institution(db):
    return InstitutionFactory(name="Northbridge Health", short_name="Northbridge")


def form_data(**overrides):
    data = {
        "protocol": "saml",
        "display_name": "Northbridge",
        "email_domains": "northbridge.edu",
        "is_enabled": "on",
        "saml_metadata_xml": metadata_with_certificate(
            dt.datetime.now(dt.UTC) + dt.timedelta(days=200)
        ),
        "attr_email": "urn:oid:0.9.2342.19200300.100.1.3",
        "attr_given_name": "urn:oid:2.5.4.42",
        "mfa_values": "https://refeds.org/profile/mfa",
    }
    data.update(overrides)
    return data


def test_only_admins_reach_the_page(client_for, institution, admin, mentee):
    url = reverse("institution:sign_in_edit", args=[institution.pk])
    assert client_for(mentee).get(url).status_code == 403
    page = client_for(admin).get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "/accounts/saml/northbridge/acs/" in text
    assert "/accounts/oidc/northbridge/login/callback/" in text


def test_good_xml_metadata_is_read_and_saved(client_for, institution, admin):
    response = client_for(admin).post(
        reverse("institution:sign_in_edit", args=[institution.pk]), form_data(), follow=True
    )
    assert "Single sign-on for Northbridge Health switched on." in response.content.decode()
    idp = IdentityProvider.objects.get(institution=institution)
    assert idp.idp_entity_id == "https://idp.northbridge.edu/idp"
    assert idp.idp_sso_url == "https://idp.northbridge.edu/sso"
    assert idp.email_domains == ["northbridge.edu"]


def test_metadata_that_is_not_xml_is_refused_and_nothing_changes(client_for, institution, admin):
    client = client_for(admin)
    url = reverse("institution:sign_in_edit", args=[institution.pk])
    client.post(url, form_data())
    before = IdentityProvider.objects.get().updated_at
    page = client.post(
        url, form_data(saml_metadata_xml="entityID = northbridge", display_name="Changed")
    ).content.decode()
    assert "This is not XML" in page
    assert "Nothing was changed" in page
    assert "entityID = northbridge" in page  # what was typed is kept
    idp = IdentityProvider.objects.get()
    assert (idp.display_name, idp.updated_at) == ("Northbridge", before)


def test_broken_xml_is_refused(client_for, institution, admin):
    page = (
        client_for(admin)
        .post(
            reverse("institution:sign_in_edit", args=[institution.pk]),
            form_data(saml_metadata_xml="<md:EntityDescriptor><unclosed>"),
        )
        .content.decode()
    )
    assert "This is not readable SAML metadata" in page
    assert not IdentityProvider.objects.exists()


def test_an_expired_certificate_is_refused_with_its_date(client_for, institution, admin):
    expired = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    page = (
        client_for(admin)
        .post(
            reverse("institution:sign_in_edit", args=[institution.pk]),
            form_data(saml_metadata_xml=metadata_with_certificate(expired)),
        )
        .content.decode()
    )
    assert "The IdP&#x27;s signing certificate expired on 01 March 2025" in page
    assert not IdentityProvider.objects.exists()


def test_an_attribute_map_naming_nothing_is_refused(client_for, institution, admin):
    page = (
        client_for(admin)
        .post(
            reverse("institution:sign_in_edit", args=[institution.pk]),
            form_data(attr_email="", attr_given_name=""),
        )
        .content.decode()
    )
    assert "The attribute map names nothing" in page
    assert not IdentityProvider.objects.exists()


def test_a_domain_served_by_another_idp_is_refused(client_for, institution, admin):
    client = client_for(admin)
    client.post(reverse("institution:sign_in_edit", args=[institution.pk]), form_data())
    other = InstitutionFactory(name="Partner College")
    page = client.post(
        reverse("institution:sign_in_edit", args=[other.pk]), form_data(display_name="Partner")
    ).content.decode()
    assert "Northbridge already serves one of these domains" in page


def test_metadata_fetched_from_the_idps_address(client_for, institution, admin, saml_idp):
    client_for(admin).post(
        reverse("institution:sign_in_edit", args=[institution.pk]),
        form_data(saml_metadata_xml="", saml_metadata_url=f"{saml_idp.url}/metadata"),
    )
    idp = IdentityProvider.objects.get()
    assert idp.idp_entity_id == f"{saml_idp.url}/metadata"
    assert idp.idp_x509cert


def test_an_unreachable_oidc_issuer_is_refused(client_for, institution, admin):
    page = (
        client_for(admin)
        .post(
            reverse("institution:sign_in_edit", args=[institution.pk]),
            form_data(
                protocol="oidc",
                saml_metadata_xml="",
                oidc_issuer="http://127.0.0.1:9/",
                oidc_client_id="app",
                oidc_client_secret="secret",
            ),
        )
        .content.decode()
    )
    assert "Could not read http://127.0.0.1:9/.well-known/openid-configuration" in page
    assert not IdentityProvider.objects.exists()


def test_the_sp_metadata_downloads_as_a_file(client_for, institution, admin):
    response = client_for(admin).get(reverse("institution:sp_metadata", args=[institution.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="northbridge-sp-metadata.xml"'
    body = response.content.decode()
    assert "AssertionConsumerService" in body
    assert "/accounts/saml/northbridge/acs/" in body


def test_the_list_page_reads_in_a_fixed_number_of_queries(client_for, institution, admin):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(admin)
    client.post(reverse("institution:sign_in_edit", args=[institution.pk]), form_data())

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("institution:sign_in")).status_code == 200
        return len(captured)

    one = queries()
    for n in range(5):
        InstitutionFactory(name=f"Partner {n}")
    assert queries() == one
    assert "Partner 4" in client.get(reverse("institution:sign_in")).content.decode()
