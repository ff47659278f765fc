"""A faculty member adds a profile photo in a real browser: a wrong file is refused next to the
field, a real photo shows on their profile and on their mentee's board, and removing it brings
back the initials."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.photo_files import SVG, jpeg_with_metadata

pytestmark = pytest.mark.django_db(transaction=True)

# "Visible" comes before the image has loaded: wait for it to decode, then read its width.
LOADED_WIDTH = "img => img.decode().then(() => img.naturalWidth)"


def test_a_mentor_uploads_replaces_and_removes_a_photo(
    page, context, live_server, login, pair, mentee, mentor, axe
):
    login(mentor)
    page.goto(f"{live_server.url}/me/profile/")
    expect(page.locator("#photo .avatar-initials")).to_have_text("RM")
    axe(page, context="on the profile page without a photo")

    # An SVG pretending to be a photo: refused, said next to the field.
    page.get_by_label("Profile photo").set_input_files(
        files=[{"name": "me.svg", "mimeType": "image/svg+xml", "buffer": SVG}]
    )
    page.get_by_role("button", name="Upload my photo").click()
    expect(page.get_by_role("alert")).to_contain_text("SVG drawings cannot be used")
    expect(page.locator("#photo")).to_contain_text("SVG drawings cannot be used")
    axe(page, context="on the profile page with a refused photo")

    page.get_by_label("Profile photo").set_input_files(
        files=[{"name": "holiday.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_metadata()}]
    )
    page.get_by_role("button", name="Upload my photo").click()
    expect(page.get_by_text("Your photo is saved.")).to_be_visible()
    photo = page.locator("#photo img.avatar")
    expect(photo).to_be_visible()
    assert photo.evaluate(LOADED_WIDTH) == 400

    # The mentee sees it on their board, with what the mentor offers.
    context.clear_cookies()
    login(mentee)
    page.goto(f"{live_server.url}/me/board/")
    card = page.locator("article.card").first
    expect(card.locator("img.avatar")).to_be_visible()
    assert card.locator("img.avatar").evaluate(LOADED_WIDTH) == 400
    axe(page, context="on the board with a photo")

    context.clear_cookies()
    login(mentor)
    page.goto(f"{live_server.url}/me/profile/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove my photo").click()
    expect(page.get_by_text("Your photo is removed")).to_be_visible()
    expect(page.locator("#photo .avatar-initials")).to_have_text("RM")
