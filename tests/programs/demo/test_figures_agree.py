"""On the demo institution, every surface gives the same figures for the same program: the home
page, the dashboard (its tiles and the match-rate chart's data), the relationships table, the
fairness view and the exported report (the CSV a director downloads). Pages are read as a user
reads them — the rendered HTML — and the report as the file."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from programs.domain.reminders import zone
from programs.models import FacultyProfile, Program
from programs.services.reports import report_export_run, report_export_start

pytestmark = pytest.mark.django_db

FIGURE = re.compile(r'data-figure="(\w+)"[^>]*>([^<]*)<')


def _figures(html: str) -> dict[str, str]:
    return {name: value.strip() for name, value in FIGURE.findall(html)}


def _home_card(html: str, program: Program) -> str:
    url = reverse("programs:detail", args=[program.pk])
    cards = [c for c in html.split('<article class="card">') if f'href="{url}"' in c]
    assert len(cards) == 1
    return cards[0].split("</article>")[0]


def _table_count(client: Client, program: Program, query: str) -> int:
    html = client.get(reverse("program_relationships", args=[program.pk]) + query).content
    return int(_figures(html.decode())["count"])


def _report_tables(program: Program, director) -> dict[str, list[list[str]]]:
    """The report as a director downloads it: exported through the service, read from the file."""
    today = timezone.localdate(timezone=zone(director.profile.time_zone))
    export = report_export_start(
        program=program, start=dt.date(2000, 1, 1), end=today, format="csv", by=director
    )
    assert report_export_run(export_id=export.pk)
    export.refresh_from_db()
    with export.file.open("rb") as fh:
        rows = list(csv.reader(io.StringIO(fh.read().decode("utf-8-sig"))))
    tables: dict[str, list[list[str]]] = {}
    for i, row in enumerate(rows):
        if len(row) == 1 and ": " in row[0] and i + 1 < len(rows) and len(rows[i + 1]) > 1:
            title = row[0].split(": ", 1)[1]
            width = len(rows[i + 1])  # the columns; a note follows as a one-cell row
            data = []
            for r in rows[i + 2 :]:
                if len(r) != width:
                    break
                data.append(r)
            key = "On" if title.startswith("On ") else title.split(" (")[0]
            tables[key] = data
    return tables


@pytest.fixture
def demo(demo_world):
    director = FacultyProfile.objects.get(user__email="director@northbridge.example").user
    client = Client()
    client.force_login(director)
    return Program.objects.get(name="Junior Faculty Mentoring Program"), client


def test_home_dashboard_table_fairness_and_report_agree(demo):
    program, client = demo
    home = _figures(_home_card(client.get(reverse("home")).content.decode(), program))
    dashboard = _figures(
        client.get(reverse("program_dashboard", args=[program.pk]) + "?refresh=1").content.decode()
    )
    fairness = _figures(
        client.get(reverse("matching:fairness", args=[program.pk])).content.decode()
    )
    director = FacultyProfile.objects.get(user__email="director@northbridge.example").user
    report = _report_tables(program, director)
    [[mentees, with_mentor, rate]] = report["Match rate"]
    [[current, quiet, at_risk]] = report["On"]
    [[_mentors, full, _over]] = report["Capacity"]

    # The demo is meant to show all of these (else the test proves little).
    assert int(dashboard["quiet"]) > 0
    assert int(dashboard["at_risk"]) > 0
    assert int(dashboard["unmatched"]) > 0

    assert home.get("quiet", "0") == dashboard["quiet"] == quiet
    assert int(dashboard["quiet"]) == _table_count(client, program, "?quiet=1")
    assert home.get("at_risk", "0") == dashboard["at_risk"] == at_risk
    assert int(dashboard["at_risk"]) == _table_count(client, program, "?at_risk=1")
    assert dashboard["open"] == current
    assert int(current) == _table_count(client, program, "?stage=open")
    assert dashboard["mentees"] == fairness["mentees"] == mentees
    unmatched = int(mentees) - int(with_mentor)
    assert int(home.get("unmatched", "0")) == int(dashboard["unmatched"]) == unmatched
    assert int(fairness["matched"]) == int(with_mentor)
    assert dashboard["match_rate"] == fairness["match_rate"] + "%" == rate
    assert dashboard["full"] == full
    [[waiting, _median, longest]] = report["Mentees waiting for a mentor at the end of the period"]
    assert int(waiting) == unmatched
    html = client.get(reverse("program_dashboard", args=[program.pk])).content.decode()
    assert str(max(int(n) for n in re.findall(r"waiting (\d+) days?", html))) == longest


def test_the_match_rate_by_group_agrees_on_the_dashboard_chart_fairness_view_and_report(demo):
    program, client = demo
    chart = client.get(reverse("program_dashboard", args=[program.pk])).context["d"].charts["match"]
    tables = client.get(reverse("matching:fairness", args=[program.pk])).context["tables"]
    director = FacultyProfile.objects.get(user__email="director@northbridge.example").user
    report = _report_tables(program, director)
    for table in tables:
        in_report = {row[0]: row for row in report[f"By {table.dimension.lower()}"]}
        in_chart = {g.group: g for g in chart if g.dimension == table.dimension}
        assert set(in_report) == set(in_chart) == {row.group for row in table.rows}
        for row in table.rows:
            g = in_chart[row.group]
            if row.people is None:
                assert g.hidden
                assert in_report[row.group][1] == "fewer than 5"
            else:
                assert (row.people, row.rate) == (g.people, g.rate)
                assert in_report[row.group][1:3] == [str(row.people), f"{row.rate}%"]
