"""Answering a request to join: a role that is not one of the choices is refused next to the
field (found by the hostile-input test), never silently replaced."""

from __future__ import annotations

import pytest
from django.urls import reverse

from programs.models import JoinRequestStatus
from programs.services.joining import join_request_create

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["9" * 25, "-1", "abc<b>"])
def test_an_unknown_role_in_an_answer_is_refused_next_to_the_field(
    program, director, outsider, client_for, role
):
    join_request = join_request_create(program=program, person=outsider.profile, by=outsider)
    response = client_for(director).post(
        reverse("programs:join_answer", args=[program.pk, join_request.pk]),
        {"decision": "approve", "role": role},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="join-role-{join_request.pk}_error"' in html
    assert "abc<b>" not in html
    join_request.refresh_from_db()
    assert join_request.status == JoinRequestStatus.PENDING


def test_a_valid_answer_still_approves(program, director, outsider, client_for):
    join_request = join_request_create(program=program, person=outsider.profile, by=outsider)
    response = client_for(director).post(
        reverse("programs:join_answer", args=[program.pk, join_request.pk]),
        {"decision": "approve", "role": "mentee"},
    )
    assert response.status_code == 302
    join_request.refresh_from_db()
    assert join_request.status == JoinRequestStatus.APPROVED
