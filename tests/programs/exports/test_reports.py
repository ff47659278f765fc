"""Program reports: the pure aggregation (suppression, formulas, neutralising), the exports
(re-authentication, audit, background job, streaming writers, no confidential text) and who may
reach them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from programs.exports.files import write_csv, write_pdf, write_xlsx
from programs.exports.reports import (
    SUPPRESSED,
    Person,
    RelationshipRow,
    ReportData,
    ReviewRow,
    build_report,
    neutralise,
    text_of,
)
from programs.models import (
    AuditEvent,
    Concern,
    ExportStatus,
    RelationshipRisk,
    ReportExport,
    ReviewRequest,
)
from programs.selectors.reports import report_data
from programs.services.relationships import relationship_end
from programs.services.reports import report_export_run
from tests.oversight_fixtures import populate

D = dt.date

# --- Pure functions (no database) -------------------------------------------------------------------


@pytest.mark.parametrize("value", ["=1+1", "+SUM(A1)", "-2", "@cmd", "\tx", "\rx"])
def test_formulas_are_neutralised(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["Ana", "", 5, -3, 2.5, D(2026, 1, 1), None, "a=b"])
def test_other_values_pass_unchanged(value):
    assert neutralise(value) == value


def _people(n: int, **fields) -> list[Person]:
    start = fields.pop("start", 1)
    return [
        Person(id=i, name=f"P{i}", role="mentee", joined_on=D(2026, 1, 1), **fields)
        for i in range(start, start + n)
    ]


def _data(people, relationships, **extra) -> ReportData:
    return ReportData(
        program="P",
        start=D(2026, 1, 1),
        end=D(2026, 12, 31),
        people=people,
        relationships=relationships,
        **extra,
    )


def test_time_to_match_counts_from_the_later_of_joining_and_cohort_start():
    people = [
        Person(id=1, name="A", role="mentee", joined_on=D(2026, 1, 1), cohort_start=D(2026, 3, 1))
    ]
    rel = RelationshipRow(
        id=1,
        kind="one_to_one",
        stage="active",
        started_on=D(2026, 3, 11),
        ended_on=None,
        mentees=(1,),
        guides=(9,),
    )
    report = build_report(_data(people, [rel]))
    matching = next(s for s in report.sections if s.title == "Matching")
    assert list(matching.tables[1].rows) == [[1, 10, 10.0, 10]]


def test_the_equity_breakdown_hides_groups_under_five():
    people = (
        _people(6, gender="Woman")
        + _people(2, gender="Man", start=50)
        + _people(7, gender="Non-binary", start=80)
    )
    rels = [
        RelationshipRow(
            id=p.id,
            kind="one_to_one",
            stage="active",
            started_on=D(2026, 2, 1),
            ended_on=None,
            mentees=(p.id,),
            guides=(999,),
        )
        for p in people
    ]
    reviews = [
        ReviewRow(
            relationship_id=p.id, respondent_id=p.id, side="mentee", score=4.0, choice="continue"
        )
        for p in people
    ]
    report = build_report(_data(people, rels, reviews=reviews))
    by_gender = next(t for s in report.sections for t in s.tables if t.title == "By gender")
    rows = {r[0]: r for r in by_gender.rows}
    assert rows["Man"][1] == SUPPRESSED
    assert rows["Woman"][1] == SUPPRESSED  # the complement of the one hidden group
    assert rows["Non-binary"][1] == 7
    assert text_of(rows["Non-binary"][2]) == "100%"
    assert text_of(rows["Non-binary"][5]) == "4.0"


def test_meetings_and_endings_are_counted():
    people = _people(2)
    rels = [
        RelationshipRow(
            id=1,
            kind="one_to_one",
            stage="concluded",
            started_on=D(2025, 6, 1),
            ended_on=D(2026, 6, 1),
            mentees=(1,),
            guides=(9,),
        ),
        RelationshipRow(
            id=2,
            kind="one_to_one",
            stage="ended",
            started_on=D(2026, 2, 1),
            ended_on=D(2026, 5, 1),
            mentees=(2,),
            guides=(9,),
        ),
    ]
    meetings = {1: Counter({"video": 3, "in_person": 1}), 2: Counter({"phone": 2})}
    report = build_report(_data(people, rels, meetings=meetings))
    sections = {s.title: s for s in report.sections}
    assert next(iter(sections["Meetings"].tables[0].rows))[:2] == [6, 2]
    endings = list(sections["Endings"].tables[0].rows)
    assert endings[0][1] == 1
    assert endings[1][1] == 1


def _sample_report():
    people = [
        Person(
            id=1,
            name="=HYPERLINK(evil)",
            role="mentee",
            joined_on=D(2026, 1, 1),
            department="@dept",
        )
    ]
    rels = [
        RelationshipRow(
            id=1,
            kind="one_to_one",
            stage="active",
            started_on=D(2026, 2, 1),
            ended_on=None,
            mentees=(1,),
            guides=(2,),
        )
    ]
    return build_report(_data(people, rels, names={1: "=HYPERLINK(evil)", 2: "+mentor"}))


def test_the_csv_neutralises_every_cell():
    out = io.StringIO()
    write_csv(_sample_report(), out)
    cells = [c for row in csv.reader(io.StringIO(out.getvalue())) for c in row]
    assert "'=HYPERLINK(evil)" in cells
    assert "'@dept" in cells
    assert not any(c.startswith(("=", "+", "@")) for c in cells)


def test_the_xlsx_neutralises_every_cell(tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "r.xlsx"
    write_xlsx(_sample_report(), str(path))
    values = [
        c
        for ws in load_workbook(path).worksheets
        for row in ws.iter_rows(values_only=True)
        for c in row
        if isinstance(c, str)
    ]
    assert "'=HYPERLINK(evil)" in values
    assert not any(v.startswith(("=", "+", "@")) for v in values)


def test_the_pdf_is_written(tmp_path):
    path = tmp_path / "r.pdf"
    write_pdf(_sample_report(), str(path))
    assert path.read_bytes().startswith(b"%PDF")


# --- With the database --------------------------------------------------------------------------------


@pytest.fixture
def busy_program(program, director, mentee, mentor):
    populate(program, director, 6)
    return program


def _reauthenticate(client):
    client.post(reverse("account_reauthenticate"), {"password": "correct-horse-battery"})


def _export(client, program, fmt="csv", follow=False):
    today = timezone.localdate()
    return client.post(
        reverse("report_export", args=[program.pk]),
        {
            "start": (today - dt.timedelta(days=365)).isoformat(),
            "end": today.isoformat(),
            "format": fmt,
        },
        follow=follow,
    )


@pytest.mark.django_db
def test_report_data_uses_a_fixed_number_of_queries(busy_program, django_assert_max_num_queries):
    # Nine for the rows, the institution's name, meetings by month, eight summary figures;
    # mentor training (three) and its sessions (one); outcomes (seven: cohorts, careers' four
    # — ranks, streams, departures, people —, everyone ever mentored, the program's mentees).
    with django_assert_max_num_queries(30):
        data = report_data(
            program=busy_program,
            start=D(2020, 1, 1),
            end=timezone.localdate(),
            risks=RelationshipRisk.objects.all(),
            review_requests=ReviewRequest.objects.all(),
        )
    assert len(data.relationships) == 6


@pytest.mark.django_db
def test_the_report_page_shows_the_summary(busy_program, director, client_for):
    body = (
        client_for(director)
        .get(reverse("program_reports", args=[busy_program.pk]))
        .content.decode()
    )
    assert "Equity of access to mentoring" in body
    assert "Time to match" in body


@pytest.mark.django_db
def test_exporting_asks_for_the_password_again(busy_program, director, client_for):
    response = _export(client_for(director), busy_program)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert ReportExport.objects.count() == 0
    assert not AuditEvent.objects.filter(verb="report.export").exists()


@pytest.mark.django_db
def test_after_reauthentication_the_export_is_replayed_and_runs(
    busy_program, director, client_for, django_capture_on_commit_callbacks
):
    client = client_for(director)
    first = _export(client, busy_program)
    with django_capture_on_commit_callbacks(execute=True):
        # allauth replays the suspended POST once the password is confirmed.
        response = client.post(first["Location"], {"password": "correct-horse-battery"})
    export = ReportExport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "report_export_status", args=[busy_program.pk, export.pk]
    )
    assert export.status == ExportStatus.READY
    event = AuditEvent.objects.get(verb="report.export")
    assert event.actor == director
    assert event.detail["format"] == "csv"


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
def test_each_format_downloads_without_confidential_text(
    fmt, busy_program, pair, director, mentee, client_for, django_capture_on_commit_callbacks
):
    Concern.objects.create(
        relationship=pair, raised_by=mentee.profile, category="other", text="CONCERN-TEXT"
    )
    relationship_end(relationship=pair, by=mentee, reason_for_directors="ENDED-REASON")
    client = client_for(director)
    _reauthenticate(client)
    with django_capture_on_commit_callbacks(execute=True):
        _export(client, busy_program, fmt)
    export = ReportExport.objects.get()
    status = client.get(
        reverse("report_export_status", args=[busy_program.pk, export.pk]), HTTP_HX_REQUEST="true"
    )
    assert "Download" in status.content.decode()
    response = client.get(reverse("report_export_download", args=[busy_program.pk, export.pk]))
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    assert content
    for secret in (b"CONCERN-TEXT", b"ENDED-REASON", b"COMMENT-SECRET"):
        assert secret not in content
    if fmt == "csv":
        text = content.decode("utf-8-sig")
        assert "Maya Mentee" in text
        assert "Equity of access to mentoring" in text
    assert AuditEvent.objects.filter(verb="report.download", actor=director).exists()


@pytest.mark.django_db
def test_the_status_fragment_polls_until_ready(program, director, client_for):
    export = ReportExport.objects.create(
        program=program,
        requested_by=director,
        format="csv",
        period_start=D(2026, 1, 1),
        period_end=D(2026, 2, 1),
    )
    body = (
        client_for(director)
        .get(reverse("report_export_status", args=[program.pk, export.pk]), HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert 'hx-trigger="every 1s"' in body
    assert "<progress" in body


@pytest.mark.django_db
def test_a_finished_export_is_not_run_twice(program, director):
    export = ReportExport.objects.create(
        program=program,
        requested_by=director,
        format="csv",
        period_start=D(2026, 1, 1),
        period_end=D(2026, 2, 1),
    )
    assert report_export_run(export_id=export.pk) is True
    assert report_export_run(export_id=export.pk) is False
    export.refresh_from_db()
    assert default_storage.exists(export.file.name)


YEAR_START = D(2026, 1, 1)


@pytest.mark.django_db
def test_the_pdf_and_the_excel_of_one_report_read_its_rows_once(
    busy_program, director, admin, settings, monkeypatch
):
    import programs.services.reports as service

    settings.MENTORSHIP_REPORT_SHARE_SECONDS = 300
    reads = []
    monkeypatch.setattr(service, "_shared", [])
    monkeypatch.setattr(
        service, "report_data", lambda **kwargs: reads.append(kwargs) or report_data(**kwargs)
    )

    def export(fmt, by, start=YEAR_START):
        made = ReportExport.objects.create(
            program=busy_program,
            requested_by=by,
            format=fmt,
            period_start=start,
            period_end=timezone.localdate(),
        )
        assert report_export_run(export_id=made.pk)

    export("pdf", director)
    export("xlsx", director)
    assert len(reads) == 1
    export("xlsx", admin)  # another person may see other things: read again
    export("xlsx", director, start=D(2025, 1, 1))  # another period
    assert len(reads) == 3


# --- Permissions -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_faculty_and_other_directors_cannot_reach_reports(cast, program, client_for):
    url = reverse("program_reports", args=[program.pk])
    for who in ("mentee", "mentor"):
        assert client_for(cast[who]).get(url).status_code == 403
        assert _export(client_for(cast[who]), program).status_code == 403
    for who in ("other_director", "outsider"):
        assert client_for(cast[who]).get(url).status_code == 404
        assert _export(client_for(cast[who]), program).status_code == 404
    assert client_for(cast["admin"]).get(url).status_code == 200
    assert ReportExport.objects.count() == 0


@pytest.mark.django_db
def test_export_ids_of_other_programs_and_people_are_404(cast, program, other_program, client_for):
    export = ReportExport.objects.create(
        program=program,
        requested_by=cast["director"],
        format="csv",
        period_start=D(2026, 1, 1),
        period_end=D(2026, 2, 1),
    )
    report_export_run(export_id=export.pk)
    for who, program_pk in (
        ("other_director", other_program.pk),
        ("other_director", program.pk),
        ("admin", program.pk),
        ("mentee", program.pk),
    ):
        client = client_for(cast[who])
        for name in ("report_export_status", "report_export_download"):
            assert client.get(reverse(name, args=[program_pk, export.pk])).status_code in (403, 404)
    own = client_for(cast["director"])
    assert (
        own.get(reverse("report_export_download", args=[other_program.pk, export.pk])).status_code
        == 404
    )
    assert (
        own.get(reverse("report_export_download", args=[program.pk, export.pk])).status_code == 200
    )
