"""Importing and exporting instruments, items by side, and subscale scores over time."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from programs.access import review_requests_for_director
from programs.domain.instrument_file import read_instrument
from programs.models import ReviewChoice, ReviewInstrument, ReviewRequest
from programs.selectors.figures import program_subscale_trend, relationship_subscale_trend
from programs.selectors.reviews import items_for_respondent
from programs.services.reviews import default_instrument, instrument_import, review_submit

pytestmark = pytest.mark.django_db

FILE = {
    "format": "mentorship-review-instrument",
    "version": 1,
    "name": "Two-sided check",
    "citation": "Test citation",
    "licence": "CC BY 4.0",
    "scale": {"min": 1, "max": 5, "labels": []},
    "subscales": [{"key": "trust", "name": "Trust"}, {"key": "time", "name": "Time"}],
    "items": [
        {"text": "We trust each other.", "subscale": "trust"},
        {"text": "My mentor makes time.", "subscale": "time", "answered_by": "mentee"},
        {"text": "My mentee comes prepared.", "subscale": "time", "answered_by": "mentor"},
        {"text": "We argue.", "subscale": "trust", "reverse_scored": True},
    ],
}


def _upload(obj):
    return SimpleUploadedFile("i.json", json.dumps(obj, indent=2).encode(), "application/json")


def test_a_director_imports_an_instrument_and_exports_it_back(program, director, client_for):
    client = client_for(director)
    response = client.post(
        reverse("review_instrument_import", args=[program.pk]), {"file": _upload(FILE)}
    )
    assert response.status_code == 302
    instrument = ReviewInstrument.objects.get(program=program, name="Two-sided check")
    assert instrument.licence == "CC BY 4.0"
    exported = client.get(reverse("review_instrument_export", args=[program.pk, instrument.pk]))
    assert exported["Content-Disposition"].endswith('two-sided-check.json"')
    spec = read_instrument(exported.content)
    assert [i.answered_by for i in spec.items] == ["both", "mentee", "mentor", "both"]
    assert spec.items[3].reverse_scored


def test_a_bad_file_lists_its_problems_by_line_and_imports_nothing(program, director, client_for):
    bad = {**FILE, "items": [{"text": "<script>x</script>", "subscale": "trust"}]}
    response = client_for(director).post(
        reverse("review_instrument_import", args=[program.pk]), {"file": _upload(bad)}
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "Line " in text
    assert "markup" in text
    assert "<script>x" not in text
    assert not ReviewInstrument.objects.filter(program=program).exists()


@pytest.mark.parametrize("who", ["mentee", "mentor", "outsider", "other_director"])
def test_others_cannot_import_or_export(cast, program, who, client_for):
    client = client_for(cast[who])
    shipped = default_instrument()
    export = client.get(reverse("review_instrument_export", args=[program.pk, shipped.pk]))
    assert export.status_code in (403, 404)
    response = client.post(
        reverse("review_instrument_import", args=[program.pk]), {"file": _upload(FILE)}
    )
    assert response.status_code in (403, 404)
    assert not ReviewInstrument.objects.filter(program=program).exists()


def _request(relationship, user, instrument, cycle=0, days_ago=1):
    opens = timezone.localdate() - timedelta(days=days_ago)
    return ReviewRequest.objects.create(
        relationship=relationship,
        respondent=user.profile,
        instrument=instrument,
        cycle=cycle,
        opens_on=opens,
        closes_on=opens + timedelta(days=30),
    )


def test_each_side_answers_its_own_items_and_subscales_show_per_side(
    pair, mentee, mentor, director, program
):
    instrument = instrument_import(
        program=program, spec=read_instrument(json.dumps(FILE).encode()), by=director
    )
    for cycle, value in ((0, 4), (1, 2)):
        for user in (mentee, mentor):
            request = _request(pair, user, instrument, cycle=cycle, days_ago=100 - 50 * cycle)
            items = items_for_respondent(request)
            side_item = "My mentor makes time." if user == mentee else "My mentee comes prepared."
            assert side_item in [i.text for i in items]
            assert len(items) == 3
            review_submit(
                request=request,
                answers={i.pk: value for i in items},
                choice=ReviewChoice.CONTINUE,
                comment_for_directors="",
                by=user,
            )
    points, subscales = relationship_subscale_trend(
        pair, requests=review_requests_for_director(director)
    )
    assert subscales == ["Trust", "Time"]
    assert [(p.cycle, p.side) for p in points] == [
        (0, "Mentees"),
        (0, "Mentors"),
        (1, "Mentees"),
        (1, "Mentors"),
    ]
    # Trust: "trust" 4 and reversed "argue" 4 -> 2: mean 3. Time: 4.
    assert points[0].scores == {"trust": 3, "time": 4}
    program_points, _ = program_subscale_trend(
        program, requests=review_requests_for_director(director)
    )
    assert all(p.scores["trust"] is None for p in program_points)  # one response each: hidden
    assert program_points[0].responses == 1


def test_the_director_sees_subscales_on_the_relationship_review_page(
    pair, mentee, director, program, client_for
):
    instrument = instrument_import(
        program=program, spec=read_instrument(json.dumps(FILE).encode()), by=director
    )
    request = _request(pair, mentee, instrument)
    review_submit(
        request=request,
        answers={i.pk: 5 for i in items_for_respondent(request)},
        choice=ReviewChoice.CONTINUE,
        comment_for_directors="",
        by=mentee,
    )
    text = client_for(director).get(reverse("review_results", args=[pair.pk])).content.decode()
    assert "Scores by subscale over time" in text
    assert "Trust" in text
