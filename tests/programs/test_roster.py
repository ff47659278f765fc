"""Roster import: reading files, checking every row, and the confirmed import (atomic,
idempotent, invitations to new people); bad input gives a clear message and writes nothing."""

from __future__ import annotations

import io

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from programs.domain.roster import RosterFileError, read_roster, sniff
from programs.models import (
    AcademicRank,
    AcademicStream,
    Cohort,
    Department,
    FacultyProfile,
    Invitation,
    Membership,
    RosterImport,
)
from programs.services.roster import roster_apply, roster_import_create, roster_plan
from tests.factories import InstitutionFactory, person

HEADER = "email,given name,family name,department,division,rank,stream,reporting line email,role in program\n"


@pytest.fixture
def institution(db):
    return InstitutionFactory()


@pytest.fixture
def medicine(institution):
    return Department.objects.create(institution=institution, name="Medicine")


def _rank() -> str:
    return AcademicRank.objects.order_by("order").first().name


def _stream() -> str:
    return AcademicStream.objects.order_by("order").first().name


def _csv(*rows: str) -> bytes:
    return (HEADER + "".join(r + "\n" for r in rows)).encode()


def _row(
    email: str, boss: str = "", role: str = "mentee", rank: str | None = None, given: str = "Ana"
) -> str:
    return f"{email},{given},Silva,Medicine,,{rank or _rank()},{_stream()},{boss},{role}"


def _xlsx(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _plan(data: bytes, *, program=None, by, institution):
    parsed = read_roster(data)
    return roster_plan(
        rows=parsed.rows, columns=parsed.columns, program=program, institution=institution, by=by
    )


# --- Reading files (no database) ----------------------------------------------------------------------


def test_it_reads_csv_with_semicolons_and_a_bom():
    data = "\ufeffEmail;Given name;Family name;Department;Rank;Stream\na@x.test;A;B;Medicine;Professor;Scientist\n"
    parsed = read_roster(data.encode())
    assert parsed.rows == [
        {
            "row": 2,
            "email": "a@x.test",
            "given_name": "A",
            "family_name": "B",
            "department": "Medicine",
            "rank": "Professor",
            "stream": "Scientist",
        }
    ]


def test_it_reads_xlsx():
    data = _xlsx(
        [
            ["Email", "Given name", "Family name", "Department", "Rank", "Stream"],
            ["a@x.test", "A", "B", "Medicine", "Professor", 12.0],
        ]
    )
    parsed = read_roster(data)
    assert parsed.kind == "xlsx"
    assert parsed.rows[0]["stream"] == "12"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"%PDF-1.7 blah", "PDF"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "old-style Excel"),
        (b"\x89PNG\r\n\x1a\nrest", "image"),
        (b"\x00\x01\x02binary", "not a spreadsheet"),
        (b"PK\x03\x04garbage", "damaged"),
    ],
)
def test_it_refuses_files_that_are_not_spreadsheets(data, message):
    with pytest.raises(RosterFileError, match=message):
        read_roster(data, "roster.csv")


def test_an_xlsx_extension_does_not_make_a_pdf_a_spreadsheet():
    with pytest.raises(RosterFileError, match="PDF"):
        sniff(b"%PDF-1.4", "roster.xlsx")


def test_missing_columns_are_named():
    with pytest.raises(RosterFileError, match="Missing: department, rank, stream"):
        read_roster(b"email,given name,family name\na@x.test,A,B\n")


def test_a_heading_without_people_is_refused():
    with pytest.raises(RosterFileError, match="no people"):
        read_roster(HEADER.encode())


# --- Checking rows ---------------------------------------------------------------------------------------


def test_unknown_ranks_list_the_known_ones(admin, medicine, institution):
    plan = _plan(
        _csv(_row("a@x.test", rank="Assoc Prof", role="")), by=admin, institution=institution
    )
    errors = plan.rows[0].errors["rank"][0]
    assert "Unknown rank “Assoc Prof”" in errors
    assert f"“{_rank()}”" in errors


def test_duplicate_emails_name_both_rows(admin, medicine, institution):
    plan = _plan(
        _csv(_row("a@x.test", role=""), _row("b@x.test", role=""), _row("A@x.test", role="")),
        by=admin,
        institution=institution,
    )
    assert "rows 2 and 4" in plan.rows[0].errors["email"][0]
    assert "rows 2 and 4" in plan.rows[2].errors["email"][0]
    assert plan.rows[1].action == "create"


def test_reporting_line_cycles_are_shown(admin, medicine, institution):
    plan = _plan(
        _csv(_row("a@x.test", "b@x.test", role=""), _row("b@x.test", "a@x.test", role="")),
        by=admin,
        institution=institution,
    )
    assert "a@x.test → b@x.test → a@x.test" in plan.rows[0].errors["reports_to"][0]


def test_cycles_through_the_database_are_found(admin, medicine, institution):
    boss = person("boss@x.test")
    worker = person("worker@x.test", reports_to=boss)
    del worker
    plan = _plan(
        _csv(_row("boss@x.test", "worker@x.test", role="")), by=admin, institution=institution
    )
    assert "cycle" in plan.rows[0].errors["reports_to"][0]


def test_unknown_reporting_lines_and_bad_emails(admin, medicine, institution):
    plan = _plan(
        _csv(_row("nobody-at-all", role=""), _row("c@x.test", "ghost@x.test", role="")),
        by=admin,
        institution=institution,
    )
    assert "not a valid email" in plan.rows[0].errors["email"][0]
    assert "not found in the file or among the faculty" in plan.rows[1].errors["reports_to"][0]


def test_role_needs_a_program(admin, medicine, institution):
    plan = _plan(_csv(_row("a@x.test", role="mentee")), by=admin, institution=institution)
    assert "Choose a program" in plan.rows[0].errors["role"][0]


# --- Applying --------------------------------------------------------------------------------------------


def _import(data: bytes, *, by, program=None):
    parsed = read_roster(data)
    scope = "institution" if getattr(by, "is_institution_admin", False) else "program"
    return roster_import_create(
        parsed=parsed, file_name="r.csv", file_sha256="x", program=program, by=by, scope=scope
    )


def test_a_confirmed_import_creates_invites_and_links_reporting_lines(
    admin, program, medicine, django_capture_on_commit_callbacks
):
    data = _csv(
        _row("new.mentee@x.test", "new.boss@x.test"), _row("new.boss@x.test", role="mentor")
    )
    roster = _import(data, by=admin, program=program)
    with django_capture_on_commit_callbacks(execute=True):
        counts = roster_apply(roster=roster, by=admin)
    assert counts == {"created": 2, "updated": 0}
    mentee = FacultyProfile.objects.get(user__email="new.mentee@x.test")
    assert mentee.reports_to.user.email == "new.boss@x.test"
    assert mentee.department == medicine
    assert Membership.objects.get(program=program, person=mentee).role == "mentee"
    assert Invitation.objects.count() == 2
    assert len(mail.outbox) == 2


def test_importing_the_same_file_again_changes_nothing(admin, program, medicine):
    data = _csv(_row("again@x.test"))
    roster_apply(roster=_import(data, by=admin, program=program), by=admin)
    second = _import(data, by=admin, program=program)
    plan = _plan(data, program=program, by=admin, institution=program.institution)
    assert [r.action for r in plan.rows] == ["unchanged"]
    assert roster_apply(roster=second, by=admin) == {"created": 0, "updated": 0}
    assert FacultyProfile.objects.filter(user__email="again@x.test").count() == 1


def test_an_update_changes_only_what_differs(admin, program, medicine):
    existing = person("known@x.test", given_name="Old", family_name="Silva")
    plan = _plan(
        _csv(_row("known@x.test", given="Ana")),
        program=program,
        by=admin,
        institution=program.institution,
    )
    assert plan.rows[0].action == "update"
    assert plan.rows[0].changes["given_name"] == ("Old", "Ana")
    roster_apply(
        roster=_import(_csv(_row("known@x.test", given="Ana")), by=admin, program=program), by=admin
    )
    existing.refresh_from_db()
    assert existing.given_name == "Ana"


def test_a_roster_with_an_error_writes_nothing(admin, program, medicine):
    roster = _import(
        _csv(_row("fine@x.test"), _row("bad@x.test", rank="Assoc Prof")), by=admin, program=program
    )
    with pytest.raises(Exception, match="errors"):
        roster_apply(roster=roster, by=admin)
    assert not FacultyProfile.objects.filter(user__email="fine@x.test").exists()


def test_a_directors_import_keeps_outsiders_records(director, program, medicine):
    outsider = person("someone@x.test", given_name="Keep")
    plan = _plan(
        _csv(_row("someone@x.test", given="Changed")),
        program=program,
        by=director,
        institution=program.institution,
    )
    row = plan.rows[0]
    assert "given_name" not in row.changes
    assert "role" in row.changes
    roster_apply(
        roster=_import(_csv(_row("someone@x.test", given="Changed")), by=director, program=program),
        by=director,
    )
    outsider.refresh_from_db()
    assert outsider.given_name == "Keep"
    assert Membership.objects.filter(program=program, person=outsider, role="mentee").exists()


def test_cohorts_are_imported(admin, program, medicine):
    cohort = Cohort.objects.create(
        program=program, name="2026 intake", starts_on="2026-07-01", ends_on="2027-06-30"
    )
    data = (
        HEADER.strip()
        + ",cohort\n"
        + _row("c@x.test")
        + ",2026 intake\n"
        + _row("d@x.test")
        + ",Nope\n"
    ).encode()
    plan = _plan(data, program=program, by=admin, institution=program.institution)
    assert plan.rows[0].action == "create"
    assert "Unknown cohort “Nope”" in plan.rows[1].errors["cohort"][0]
    del cohort


# --- Pages ---------------------------------------------------------------------------------------------------


def _upload(client, url, data: bytes, name="roster.csv", **extra):
    return client.post(url, {"file": SimpleUploadedFile(name, data), **extra})


def test_an_admin_uploads_checks_and_confirms(admin, program, medicine, client_for):
    client = client_for(admin)
    response = _upload(
        client, reverse("institution:roster"), _csv(_row("page@x.test")), program=program.pk
    )
    assert response.status_code == 302
    preview = client.get(response["Location"])
    assert "Will create and invite" in preview.content.decode()
    assert not FacultyProfile.objects.filter(user__email="page@x.test").exists()
    roster = RosterImport.objects.get()
    confirm = client.post(reverse("institution:roster_confirm", args=[roster.pk]), follow=True)
    assert "1 people created" in confirm.content.decode()
    assert FacultyProfile.objects.filter(user__email="page@x.test").exists()


def test_the_check_page_shows_every_error(admin, medicine, client_for):
    client = client_for(admin)
    data = _csv(_row("a@x.test", role=""), _row("a@x.test", role="", rank="Assoc Prof"))
    preview = client.get(
        _upload(client, reverse("institution:roster"), data)["Location"]
    ).content.decode()
    assert "Duplicate email" in preview
    assert "Unknown rank" in preview
    assert "Upload the corrected file" in preview


def test_a_50_mb_file_is_refused_without_being_stored(admin, client_for):
    client = client_for(admin)
    big = b"email,given name\n" + b"x" * (50 * 1024 * 1024)
    response = _upload(client, reverse("institution:roster"), big)
    assert response.status_code == 413
    assert "larger than 5 MB" in response.content.decode()
    assert RosterImport.objects.count() == 0


def test_a_pdf_named_csv_is_refused(admin, client_for):
    response = _upload(
        client_for(admin), reverse("institution:roster"), b"%PDF-1.5\n...", name="roster.csv"
    )
    assert response.status_code == 400
    assert "This is a PDF" in response.content.decode()
    assert RosterImport.objects.count() == 0


def test_a_director_imports_into_their_program(director, program, medicine, client_for):
    client = client_for(director)
    response = _upload(
        client, reverse("program_roster", args=[program.pk]), _csv(_row("dir@x.test"))
    )
    roster = RosterImport.objects.get()
    assert roster.program == program
    client.post(reverse("program_roster_confirm", args=[program.pk, roster.pk]))
    assert Membership.objects.filter(program=program, person__user__email="dir@x.test").exists()
    del response


def test_roster_permissions(cast, program, other_program, client_for):
    assert client_for(cast["director"]).get(reverse("institution:roster")).status_code == 403
    for who in ("mentee", "mentor"):
        assert (
            client_for(cast[who]).get(reverse("program_roster", args=[program.pk])).status_code
            == 403
        )
        assert client_for(cast[who]).get(reverse("institution:roster")).status_code == 403
    assert (
        client_for(cast["other_director"])
        .get(reverse("program_roster", args=[program.pk]))
        .status_code
        == 404
    )
    assert (
        client_for(cast["outsider"]).get(reverse("program_roster", args=[program.pk])).status_code
        == 404
    )


def test_nobody_else_opens_or_confirms_an_upload(cast, program, medicine, client_for):
    client = client_for(cast["director"])
    _upload(client, reverse("program_roster", args=[program.pk]), _csv(_row("z@x.test")))
    roster = RosterImport.objects.get()
    admin = client_for(cast["admin"])
    assert (
        admin.get(reverse("program_roster_preview", args=[program.pk, roster.pk])).status_code
        == 404
    )
    assert admin.get(reverse("institution:roster_preview", args=[roster.pk])).status_code == 404
    other = client_for(cast["other_director"])
    assert (
        other.post(reverse("program_roster_confirm", args=[program.pk, roster.pk])).status_code
        == 404
    )
    assert not FacultyProfile.objects.filter(user__email="z@x.test").exists()


def test_a_roster_confirmed_while_the_relay_and_broker_are_down_is_no_error(
    admin, program, medicine, client_for, django_capture_on_commit_callbacks
):
    """The import succeeds, so the page says so: the invitations wait in the ledger."""
    from unittest import mock

    from mentorship.notifications.kinds import Kind
    from mentorship.notifications.models import Notification, Status

    client = client_for(admin)
    emails = [f"p{i}@x.test" for i in range(5)]
    _upload(client, reverse("institution:roster"), _csv(*map(_row, emails)), program=program.pk)
    roster = RosterImport.objects.get()
    with (
        mock.patch(
            "django.core.mail.EmailMultiAlternatives.send",
            side_effect=ConnectionRefusedError(111, "Connection refused"),
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        confirm = client.post(reverse("institution:roster_confirm", args=[roster.pk]), follow=True)
    assert confirm.status_code == 200
    assert "5 people created" in confirm.content.decode()
    invitations = Notification.objects.filter(kind=Kind.INVITATION)
    assert invitations.count() == 5
    assert set(invitations.values_list("status", flat=True)) == {Status.PENDING}


def test_a_roster_upload_belongs_to_the_pages_its_column_names(program, director, admin):
    """Access reads the `scope` column, not a key of the JSON summary: a summary saying
    otherwise changes nothing."""
    from django.http import Http404

    from programs.access import get_roster_import_for_user
    from programs.models import RosterImport, RosterScope

    roster = RosterImport.objects.create(
        program=program,
        uploaded_by=director,
        scope=RosterScope.PROGRAM,
        file_name="r.csv",
        file_sha256="x",
        summary={"scope": "institution"},
    )
    assert get_roster_import_for_user(director, roster.pk, program) == roster
    with pytest.raises(Http404):
        get_roster_import_for_user(director, roster.pk, None)


# --- Employee id and division (issue 14) --------------------------------------------------------

ID_HEADER = (
    "email,given name,family name,department,division,rank,stream,supervisor email,employee id\n"
)


def _id_csv(*rows: str) -> bytes:
    return (ID_HEADER + "".join(r + "\n" for r in rows)).encode()


def _id_row(email: str, employee_id: str, boss: str = "", division: str = "") -> str:
    return f"{email},Ana,Silva,Medicine,{division},{_rank()},{_stream()},{boss},{employee_id}"


def test_the_roster_takes_employee_ids_divisions_and_supervisors(admin, medicine, institution):
    from programs.models import Division

    Division.objects.create(department=medicine, name="Cardiology")
    roster = _import(
        _id_csv(
            _id_row("emp.one@x.test", "E-1001", "emp.two@x.test", "Cardiology"),
            _id_row("emp.two@x.test", "E-1002"),
        ),
        by=admin,
    )
    assert roster_apply(roster=roster, by=admin) == {"created": 2, "updated": 0}
    one = FacultyProfile.objects.get(user__email="emp.one@x.test")
    assert (one.employee_id, one.division.name, one.reports_to.user.email) == (
        "E-1001",
        "Cardiology",
        "emp.two@x.test",
    )
    # A later roster changes the id like any other field, and the preview shows what it was.
    plan = _plan(_id_csv(_id_row("emp.one@x.test", "E-2001")), by=admin, institution=institution)
    assert plan.rows[0].changes["employee_id"] == ("E-1001", "E-2001")


def test_employee_ids_are_unique_in_the_file_and_the_institution(admin, medicine, institution):
    person("holder@x.test", institution=institution, employee_id="E-7")
    plan = _plan(
        _id_csv(
            _id_row("a@x.test", "E-5"),
            _id_row("b@x.test", "E-5"),
            _id_row("c@x.test", "E-7"),
            _id_row("d@x.test", "E" * 41),
        ),
        by=admin,
        institution=institution,
    )
    assert plan.rows[0].errors["employee_id"] == ["Duplicate employee id E-5 in rows 2 and 3."]
    assert plan.rows[2].errors["employee_id"] == [
        "Employee id E-7 belongs to holder@x.test already."
    ]
    assert plan.rows[3].errors["employee_id"] == ["At most 40 characters."]
