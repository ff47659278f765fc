"""Ids from query strings and URLs are bounded integers: no value reaches the database as an
overflow."""

from __future__ import annotations

import pytest

from mentorship.params import MAX_ID, id_param, path_ids_in_range


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", 12),
        (" 7 ", 7),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        ("9" * 40, None),
        ("-1", None),
        ("0", None),
        ("abc", None),
        ("1e5", None),
        ("", None),
        (None, None),
        ("١٢", None),  # Arabic-Indic digits: int() accepts them, a database id is not one
    ],
)
def test_id_param(value, expected):
    assert id_param(value) == expected


def test_path_ids():
    assert path_ids_in_range("/meetings/12/edit/")
    assert path_ids_in_range("/calendar/abc123.ics")
    assert path_ids_in_range("/people/²/")
    assert not path_ids_in_range(f"/meetings/{MAX_ID + 1}/")
    assert not path_ids_in_range("/meetings/" + "9" * 30 + "/invite.ics")


@pytest.mark.django_db
def test_a_huge_id_in_a_url_is_not_found(client_for, mentee):
    assert client_for(mentee).get("/meetings/" + "9" * 30 + "/").status_code == 404


def test_text_params_lose_control_characters_and_length():
    from mentorship.params import text_param

    assert text_param(" Ma\x00ya\t ") == "Maya"
    assert text_param("x" * 500) == "x" * 100
    assert text_param(None) == ""


@pytest.mark.django_db
def test_a_nul_in_a_search_is_harmless(client_for, admin, director, program):
    assert client_for(admin).get("/institution/people/", {"q": "a\x00b"}).status_code == 200
    url = f"/programs/{program.pk}/relationships/"
    assert client_for(director).get(url, {"mentor_name": "a\x00b"}).status_code == 200
