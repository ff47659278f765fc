"""Admins keep the institution's ranks, streams and need areas."""

from __future__ import annotations

import pytest
from django.urls import reverse

from programs.models import AcademicRank, Institution, NeedArea

pytestmark = pytest.mark.django_db


def formset_data(queryset, fields, extra_row=None):
    rows = list(queryset)
    data = {
        "form-TOTAL_FORMS": str(len(rows) + 1),
        "form-INITIAL_FORMS": str(len(rows)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        data[f"form-{i}-id"] = str(row.pk)
        for field in fields:
            value = getattr(row, field)
            if isinstance(value, bool):
                if value:
                    data[f"form-{i}-{field}"] = "on"
            else:
                data[f"form-{i}-{field}"] = str(value)
    # A browser posts the blank row's initial values (order 0, active ticked).
    for field, value in {"order": "0", "is_active": "on", **(extra_row or {})}.items():
        data[f"form-{len(rows)}-{field}"] = value
    return data


def test_ranks_are_seeded_from_the_study(client_for, admin):
    html = client_for(admin).get(reverse("institution:reference", args=["ranks"])).content.decode()
    for name in (
        "Lecturer / instructor",
        "Assistant professor",
        "Associate professor",
        "Professor",
    ):
        assert name in html


def test_an_admin_adds_a_rank(client_for, admin):
    ranks = AcademicRank.objects.order_by("order", "name")
    data = formset_data(
        ranks,
        ["name", "order", "is_active"],
        {"name": "Clinical professor", "order": "5", "is_active": "on"},
    )
    response = client_for(admin).post(reverse("institution:reference", args=["ranks"]), data)
    assert response.status_code == 302
    assert AcademicRank.objects.filter(name="Clinical professor", order=5).exists()


def test_an_admin_retires_a_need_area(client_for, admin):
    areas = NeedArea.objects.order_by("order", "name")
    fields = ["name", "slug", "description", "institution_specific", "order", "is_active"]
    data = formset_data(areas, fields)
    del data["form-0-is_active"]
    response = client_for(admin).post(reverse("institution:reference", args=["need-areas"]), data)
    assert response.status_code == 302
    assert not NeedArea.objects.order_by("order", "name").first().is_active


def test_markup_in_a_name_is_refused(client_for, admin):
    ranks = AcademicRank.objects.order_by("order", "name")
    data = formset_data(
        ranks, ["name", "order", "is_active"], {"name": "<b>Boss</b>", "order": "9"}
    )
    response = client_for(admin).post(reverse("institution:reference", args=["ranks"]), data)
    assert response.status_code == 200
    assert "remove the HTML tags" in response.content.decode()
    assert not AcademicRank.objects.filter(order=9).exists()


@pytest.mark.parametrize("who", ["director", "mentee", "outsider"])
def test_only_admins_edit_reference_data(client_for, cast, who):
    url = reverse("institution:reference", args=["ranks"])
    assert client_for(cast[who]).get(url).status_code == 403


def test_an_unknown_list_is_not_found(client_for, admin):
    assert client_for(admin).get("/institution/reference/bananas/").status_code == 404


def test_an_admin_adds_a_partner_institution_with_its_domain(client_for, admin):
    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "0",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "form-0-name": "Lakeside University Health",
        "form-0-short_name": "Lakeside",
        "form-0-email_domains_text": "@Lakeside.test, lakeside-health.test",
    }
    response = client_for(admin).post(reverse("institution:reference", args=["institutions"]), data)
    assert response.status_code == 302
    lakeside = Institution.objects.get(name="Lakeside University Health")
    assert lakeside.email_domains == ["lakeside.test", "lakeside-health.test"]


def test_a_bad_domain_is_explained(client_for, admin):
    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "0",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "form-0-name": "Lakeside",
        "form-0-email_domains_text": "https://lakeside",
    }
    response = client_for(admin).post(reverse("institution:reference", args=["institutions"]), data)
    assert "is not an email domain" in response.content.decode()
