"""An admin names a department's head with the type-ahead people picker (issue 14)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from programs.models import Department

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_admin_picks_a_department_head_by_typing_part_of_a_name(
    page, live_server, login, admin, mentor, axe
):
    login(admin)
    page.goto(f"{live_server.url}/institution/")
    page.get_by_role("link", name="Departments and divisions").click()
    axe(page, context="on the departments page")
    page.get_by_label("Department name").fill("Surgery")
    page.get_by_label("Department head").press_sequentially("robe")
    suggestion = page.get_by_role("button", name="Robert Mentor")
    expect(suggestion).to_be_visible()
    axe(page, context="with people suggested")
    page.get_by_label("Department head").press("ArrowDown")
    expect(suggestion).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Department head")).to_have_value(
        "Robert Mentor <mentor@northbridge.test>"
    )
    page.get_by_role("button", name="Add department").click()
    expect(page.get_by_text("Department “Surgery” added.")).to_be_visible()
    expect(page.get_by_role("cell", name="Robert Mentor")).to_be_visible()
    assert Department.objects.get(name="Surgery").head == mentor.profile
