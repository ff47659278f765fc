"""The identity provider's metadata kept current: the daily sweep re-reads each metadata address
(an IdP that rolls its signing certificate publishes the new one there), keeps what it had when
a reading fails, and emails the admins 30 and 7 days before the certificate expires and once it
has: once each, and not after a new certificate is in."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
import requests
import time_machine
from django.conf import settings
from django.core import mail
from django.urls import reverse

from mentorship.notifications.kinds import Kind
from mentorship.notifications.models import Notification, Status
from mentorship.notifications.services import notification_deliver
from programs.models import AuditEvent, IdentityProvider
from programs.services.sso import (
    certificate_stage,
    identity_provider_refresh,
    identity_providers_sweep,
)
from tests.factories import InstitutionFactory
from tests.programs.test_sso_settings import metadata_with_certificate

pytestmark = pytest.mark.django_db

START = dt.datetime(2027, 1, 4, 16, 0, tzinfo=dt.UTC)  # daytime in the admins' zones
EXPIRES = START + dt.timedelta(days=40)
ADDRESS = "https://idp.northbridge.edu/metadata"


@pytest.fixture
def published(monkeypatch):
    """What the IdP's metadata address answers: set `published.xml`, or `published.error`."""
    state = SimpleNamespace(xml=metadata_with_certificate(EXPIRES), error=None)

    def fetch(url):
        assert url == ADDRESS
        if state.error:
            raise requests.ConnectionError(state.error)
        return SimpleNamespace(text=state.xml)

    monkeypatch.setattr("programs.services.sso._fetch", fetch)
    return state


@pytest.fixture
def idp(db, published):
    with time_machine.travel(START, tick=False):
        institution = InstitutionFactory(name="Northbridge Health", short_name="Northbridge")
        return IdentityProvider.objects.create(
            institution=institution,
            protocol="saml",
            slug="northbridge",
            display_name="Northbridge",
            is_enabled=True,
            email_domains=["northbridge.edu"],
            saml_metadata_url=ADDRESS,
            idp_entity_id="https://idp.northbridge.edu/idp",
            idp_sso_url="https://idp.northbridge.edu/sso",
            idp_x509cert="old",
            idp_cert_not_after=EXPIRES,
        )


def deliver_pending() -> None:
    pending = Notification.objects.filter(kind=Kind.SSO_CERTIFICATE, status=Status.PENDING)
    for pk in pending.values_list("pk", flat=True):
        notification_deliver(notification_id=pk)


def sweep_at(moment: dt.datetime) -> list:
    with time_machine.travel(moment, tick=False):
        identity_providers_sweep()
        deliver_pending()
    sent = list(mail.outbox)
    mail.outbox.clear()
    return sent


def test_a_new_certificate_published_at_the_address_is_taken(idp, published):
    renewed = EXPIRES + dt.timedelta(days=300)
    published.xml = metadata_with_certificate(renewed)
    with time_machine.travel(START, tick=False):
        assert identity_provider_refresh(idp=idp) == "changed"
        assert identity_provider_refresh(idp=idp) == "same"
    idp.refresh_from_db()
    assert idp.idp_cert_not_after == renewed
    assert idp.idp_x509cert != "old"
    assert idp.metadata_checked_at == START
    assert AuditEvent.objects.filter(verb="identity_provider.refresh").count() == 1


@pytest.mark.parametrize(
    ("answer", "shown"),
    [
        ({"error": "connection refused"}, "Could not fetch the metadata"),
        ({"xml": "not xml"}, "This is not XML"),
        ({"xml": metadata_with_certificate(START - dt.timedelta(days=1))}, "expired on"),
    ],
)
def test_a_failed_reading_keeps_the_metadata_and_is_shown(
    idp, published, answer, shown, admin, client_for
):
    for name, value in answer.items():
        setattr(published, name, value)
    with time_machine.travel(START, tick=False):
        assert identity_provider_refresh(idp=idp) == "failed"
    idp.refresh_from_db()
    assert (idp.idp_x509cert, idp.idp_cert_not_after) == ("old", EXPIRES)
    assert shown in idp.metadata_error
    page = client_for(admin).get(reverse("institution:sign_in_edit", args=[idp.institution_id]))
    assert "The latest reading of the metadata address failed" in page.content.decode()
    assert shown in page.content.decode()


def test_admins_are_warned_thirty_and_seven_days_before_and_once_expired(
    idp, published, admin, director
):
    assert sweep_at(START) == []  # 40 days left
    first = sweep_at(EXPIRES - dt.timedelta(days=29, hours=1))
    assert [m.to for m in first] == [[admin.email]]  # admins only, not directors
    assert "Northbridge sign-in stops in 29 days" in first[0].subject
    body = first[0].body
    assert "expires on 13 February 2027" in body
    assert "reads the identity provider's metadata address each day" in body
    assert reverse("institution:sign_in_edit", args=[idp.institution_id]) in body
    assert sweep_at(EXPIRES - dt.timedelta(days=20)) == []  # told already
    assert len(sweep_at(EXPIRES - dt.timedelta(days=6))) == 1
    published.xml = metadata_with_certificate(EXPIRES)  # still the same certificate published
    expired = sweep_at(EXPIRES + dt.timedelta(hours=1))
    assert len(expired) == 1
    assert "sign-in is failing" in expired[0].subject
    assert "expired on 13 February 2027" in expired[0].body
    assert "the last reading failed" in expired[0].body  # the address serves an expired one
    assert sweep_at(EXPIRES + dt.timedelta(days=2)) == []


def test_a_warning_planned_before_a_new_certificate_came_in_is_dropped(idp, published, admin):
    with time_machine.travel(EXPIRES - dt.timedelta(days=10), tick=False):
        identity_providers_sweep()
    assert Notification.objects.filter(kind=Kind.SSO_CERTIFICATE).count() == 1
    published.xml = metadata_with_certificate(EXPIRES + dt.timedelta(days=300))
    with time_machine.travel(EXPIRES - dt.timedelta(days=10), tick=False):
        identity_provider_refresh(idp=idp)
        deliver_pending()
    assert mail.outbox == []


def test_pasted_metadata_is_not_read_again_but_its_expiry_is_warned(idp, admin):
    idp.saml_metadata_url, idp.saml_metadata_xml = "", "<xml/>"
    idp.save()
    assert identity_provider_refresh(idp=idp) == "not_applicable"
    sent = sweep_at(EXPIRES - dt.timedelta(days=3))
    assert len(sent) == 1
    assert "cannot pick up the new certificate by itself" in sent[0].body


def test_a_switched_off_idp_warns_nobody(idp, admin):
    idp.is_enabled = False
    idp.save()
    assert sweep_at(EXPIRES - dt.timedelta(days=3)) == []


def test_the_certificate_page_warns_when_it_expires_soon(idp, admin, client_for):
    url = reverse("institution:sign_in_edit", args=[idp.institution_id])
    with time_machine.travel(EXPIRES - dt.timedelta(days=12), tick=False):
        page = client_for(admin).get(url).content.decode()
    assert "signing certificate expires on <strong>13 February 2027</strong>" in page
    with time_machine.travel(START, tick=False):
        page = client_for(admin).get(url).content.decode()
    assert "valid until 13 February 2027" in page


@pytest.mark.parametrize(
    ("days_left", "stage"), [(45, None), (29, "30"), (7.5, "30"), (6, "7"), (-1, "expired")]
)
def test_certificate_stages(days_left, stage):
    assert certificate_stage(START + dt.timedelta(days=days_left), now=START) == stage


def test_the_sweep_runs_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-identity-providers"]
    assert entry["task"] == "programs.tasks.sweep_identity_providers"
    assert entry["schedule"] == 24 * 60 * 60
