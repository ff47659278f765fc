"""Roster import: check every row of an uploaded roster against the institution's data, show
what would happen, and — once confirmed — apply it all in one transaction.

The check (`roster_plan`) writes nothing and runs a fixed number of queries whatever the
number of rows. Applying (`roster_apply`) plans again against the database as it is now, refuses
if any row has an error, and is idempotent: rows that already match change nothing, so importing
the same file twice changes nothing the second time. New people are invited with
`faculty_invite` (their emails go out after the commit)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from mentorship.accounts.models import User
from programs.access import can_direct, roles_for
from programs.domain.roster import LABELS, ParsedRoster
from programs.models import (
    AcademicRank,
    AcademicStream,
    CareerSource,
    Cohort,
    Department,
    Departure,
    Division,
    FacultyProfile,
    Institution,
    Membership,
    Program,
    RankChange,
    Role,
    RosterImport,
    RosterImportStatus,
)
from programs.services.audit import audit_record
from programs.services.careers import (
    departure_record,
    rank_change_record,
    stream_change_record,
)
from programs.services.conflicts import reporting_line_conflicts_notify
from programs.services.invitations import faculty_invite
from programs.services.programs import membership_add
from programs.validators import validate_name

CREATE, UPDATE, UNCHANGED, ERROR = "create", "update", "unchanged", "error"
ACTION_LABELS = {
    CREATE: "Will create and invite",
    UPDATE: "Will update",
    UNCHANGED: "Unchanged",
    ERROR: "Error",
}
ROLE_WORDS = {
    "mentee": Role.MENTEE,
    "mentor": Role.MENTOR,
    "both": Role.BOTH,
    "mentee and mentor": Role.BOTH,
    "mentor and mentee": Role.BOTH,
    "mentee & mentor": Role.BOTH,
}
PROFILE_FIELDS = (
    "given_name",
    "family_name",
    "department",
    "division",
    "rank",
    "stream",
    "employee_id",
)
MAX_EMPLOYEE_ID = 40
MAX_NAME = 80


@dataclass
class RowPlan:
    row: int
    email: str
    values: dict[str, str]
    action: str = UNCHANGED
    errors: dict[str, list[str]] = field(default_factory=dict)
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # Resolved objects, for applying.
    resolved: dict[str, Any] = field(default_factory=dict)

    def error(self, column: str, message: str) -> None:
        self.errors.setdefault(column, []).append(message)
        self.action = ERROR

    @property
    def label(self) -> str:
        return ACTION_LABELS[self.action]

    def cells(self, columns: list[str]) -> list[dict[str, Any]]:
        return [
            {
                "column": c,
                "value": self.values.get(c, ""),
                "errors": self.errors.get(c, []),
                "change": self.changes.get(c),
            }
            for c in columns
        ]


@dataclass
class RosterPlan:
    rows: list[RowPlan]
    columns: list[str]
    program: Program | None

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def counts(self) -> dict[str, int]:
        return {a: self.count(a) for a in (CREATE, UPDATE, UNCHANGED, ERROR)}

    @property
    def has_errors(self) -> bool:
        return any(r.action == ERROR for r in self.rows)

    @property
    def has_changes(self) -> bool:
        return any(r.action in (CREATE, UPDATE) for r in self.rows)


def _known(names: list[str]) -> str:
    return ", ".join(f"“{n}”" for n in names) or "none yet"


def _lower_map(rows: Any) -> dict[str, Any]:
    return {r.name.casefold(): r for r in rows}


@dataclass(frozen=True)
class RosterContext:
    """What every row is checked against, read once for the whole file (a fixed number of
    queries whatever the number of rows)."""

    program: Program | None
    departments: dict[str, Department]
    divisions: dict[tuple[int, str], Division]
    ranks: dict[str, AcademicRank]
    streams: dict[str, AcademicStream]
    cohorts: dict[str, Cohort]
    existing: Mapping[str, FacultyProfile]  # by lower-case email
    memberships: dict[int, Membership]  # by person id, in the program
    file_emails: frozenset[str]  # every email in the file
    db_lines: dict[str, str]  # reporting lines already stored: email -> boss's email
    employee_ids: dict[str, str]  # employee ids the file names that are stored: id -> email
    # The careers already kept for the people in the file, so that a row's rank-since and
    # left-on dates are compared without a query per row: (person, date, rank) and
    # (person, date) — withdrawn departures included, which a re-import leaves withdrawn.
    rank_changes: frozenset[tuple[int, dt.date, int]] = frozenset()
    departures: frozenset[tuple[int, dt.date]] = frozenset()


def _context(
    plans: list[RowPlan], *, program: Program | None, institution: Institution
) -> RosterContext:
    emails = {p.email for p in plans if p.email} | {
        (p.values.get("reports_to") or "").strip().lower() for p in plans
    }
    emails.discard("")
    existing = {
        p.email_lower: p
        for p in FacultyProfile.objects.annotate(email_lower=Lower("user__email"))
        .filter(email_lower__in=emails)
        .select_related("user", "department", "division", "rank", "stream", "reports_to__user")
    }
    memberships = (
        {
            m.person_id: m
            for m in Membership.objects.filter(
                program=program, person__in=[p.pk for p in existing.values()]
            ).select_related("cohort")
        }
        if program
        else {}
    )
    people = [p.pk for p in existing.values()]
    return RosterContext(
        program=program,
        departments=_lower_map(Department.objects.filter(institution=institution)),
        divisions={
            (d.department_id, d.name.casefold()): d
            for d in Division.objects.filter(department__institution=institution)
        },
        ranks=_lower_map(AcademicRank.objects.filter(is_active=True)),
        streams=_lower_map(AcademicStream.objects.filter(is_active=True)),
        cohorts=_lower_map(Cohort.objects.filter(program=program)) if program else {},
        existing=existing,
        memberships=memberships,
        file_emails=frozenset(p.email for p in plans if p.email),
        # The reporting lines already in the database, to find cycles through people not in
        # the file.
        db_lines=dict(
            FacultyProfile.objects.filter(institution=institution, reports_to__isnull=False)
            .annotate(e=Lower("user__email"), boss=Lower("reports_to__user__email"))
            .values_list("e", "boss")
        ),
        employee_ids=dict(
            FacultyProfile.objects.filter(
                institution=institution,
                employee_id__in=[
                    v for p in plans if (v := (p.values.get("employee_id") or "").strip())
                ],
            )
            .annotate(e=Lower("user__email"))
            .values_list("employee_id", "e")
        ),
        rank_changes=frozenset(
            RankChange.objects.filter(person__in=people).values_list(
                "person_id", "effective_on", "rank_id"
            )
        ),
        departures=frozenset(
            Departure.objects.filter(person__in=people).values_list("person_id", "left_on")
        ),
    )


class RosterRowForm(forms.Form):
    """One roster row checked against the institution's data: every error is a sentence next to
    its cell. Checks that need the other rows (duplicates, reporting-line cycles) are made after,
    in one pass over the whole file."""

    email = forms.CharField(required=False)
    given_name = forms.CharField(required=False)
    family_name = forms.CharField(required=False)
    employee_id = forms.CharField(required=False)
    department = forms.CharField(required=False)
    division = forms.CharField(required=False)
    rank = forms.CharField(required=False)
    stream = forms.CharField(required=False)
    reports_to = forms.CharField(required=False)
    role = forms.CharField(required=False)
    cohort = forms.CharField(required=False)
    # The date the row's rank took effect (promotion date), and the date the person left the
    # faculty: kept in their career history for the outcomes figures.
    rank_since = forms.DateField(
        required=False,
        error_messages={"invalid": "Give the date the rank took effect as YYYY-MM-DD."},
    )
    left_on = forms.DateField(
        required=False,
        error_messages={"invalid": "Give the date the person left as YYYY-MM-DD."},
    )

    def __init__(
        self, values: dict[str, Any], *, person: FacultyProfile | None, context: RosterContext
    ) -> None:
        super().__init__(data={key: values.get(key) or "" for key in LABELS})
        self.person = person
        self.context = context

    def clean_email(self) -> str:
        value = self.cleaned_data["email"]
        if not value:
            raise ValidationError("Email is missing.")
        try:
            validate_email(value.lower())
        except ValidationError:
            raise ValidationError(f"“{value}” is not a valid email address.") from None
        return value.lower()

    def _name(self, name_field: str) -> str:
        value = self.cleaned_data[name_field]
        if not value and self.person is None:
            raise ValidationError(f"The {LABELS[name_field]} is missing.")
        if len(value) > MAX_NAME:
            raise ValidationError(f"At most {MAX_NAME} characters.")
        if value:
            # The same rule as every form and the model: no markup, formulas or bidi tricks.
            validate_name(value)
        return value

    def clean_employee_id(self) -> str:
        """The institution's own key for a person, so unique there (duplicates within the file
        are found across rows)."""
        value: str = self.cleaned_data["employee_id"]
        if len(value) > MAX_EMPLOYEE_ID:
            raise ValidationError(f"At most {MAX_EMPLOYEE_ID} characters.")
        owner = self.context.employee_ids.get(value) if value else None
        email = self.person.user.email.lower() if self.person else self.data.get("email", "")
        if owner is not None and owner != (email or "").strip().lower():
            raise ValidationError(f"Employee id {value} belongs to {owner} already.")
        return value

    def clean_given_name(self) -> str:
        return self._name("given_name")

    def clean_family_name(self) -> str:
        return self._name("family_name")

    def clean_department(self) -> Department | None:
        value = self.cleaned_data["department"]
        if not value:
            return None
        departments = self.context.departments
        department = departments.get(value.casefold())
        if department is None:
            raise ValidationError(
                f"Unknown department “{value}”. Known departments are "
                f"{_known(sorted(d.name for d in departments.values()))}."
            )
        return department

    def clean_division(self) -> Division | None:
        value = self.cleaned_data["division"]
        if not value:
            return None
        dept = self.cleaned_data.get("department") or (
            self.person.department if self.person else None
        )
        if dept is None:
            raise ValidationError("Give the department this division belongs to.")
        divisions = self.context.divisions
        division = divisions.get((dept.pk, value.casefold()))
        if division is None:
            names = sorted(d.name for (dpk, _), d in divisions.items() if dpk == dept.pk)
            raise ValidationError(
                f"Unknown division “{value}” in {dept.name}. Its divisions are {_known(names)}."
            )
        return division

    def _reference(self, key: str, table: dict[str, Any], word: str) -> Any:
        value = self.cleaned_data[key]
        if not value:
            return None
        found = table.get(value.casefold())
        if found is None:
            names = [r.name for r in sorted(table.values(), key=lambda r: (r.order, r.name))]
            raise ValidationError(f"Unknown {key} “{value}”. Known {word} are {_known(names)}.")
        return found

    def clean_rank(self) -> AcademicRank | None:
        return self._reference("rank", self.context.ranks, "ranks")

    def clean_stream(self) -> AcademicStream | None:
        return self._reference("stream", self.context.streams, "streams")

    def clean_reports_to(self) -> str:
        value = self.cleaned_data["reports_to"]
        boss = value.lower()
        if not boss:
            return ""
        try:
            validate_email(boss)
        except ValidationError:
            raise ValidationError(f"“{value}” is not a valid email address.") from None
        own = (self.data.get("email") or "").strip().lower()
        if boss == own:
            raise ValidationError("A person cannot report to themselves.")
        if boss not in self.context.file_emails and boss not in self.context.existing:
            raise ValidationError(
                f"Reporting line email {boss} was not found in the file or among the faculty."
            )
        return boss

    def clean_role(self) -> str:
        value = self.cleaned_data["role"]
        if not value:
            return ""
        if self.context.program is None:
            raise ValidationError("Choose a program above to import roles into.")
        if value.casefold() == "director":
            raise ValidationError(
                "Directors are appointed on the program's Directors page, not by import."
            )
        role = ROLE_WORDS.get(value.casefold(), "")
        if not role:
            raise ValidationError(f"Unknown role “{value}”. Use mentee, mentor or both.")
        return role

    def clean_cohort(self) -> Cohort | None:
        value, program = self.cleaned_data["cohort"], self.context.program
        if not value:
            return None
        if program is None:
            raise ValidationError("Choose a program above to import cohorts.")
        cohort = self.context.cohorts.get(value.casefold())
        if cohort is None:
            raise ValidationError(
                f"Unknown cohort “{value}”. {program.name}'s cohorts are "
                f"{_known(sorted(c.name for c in self.context.cohorts.values()))}."
            )
        return cohort

    def _sensible(self, key: str, what: str) -> Any:
        value = self.cleaned_data.get(key)
        if value is not None and not (
            dt.date(1950, 1, 1) <= value <= timezone.localdate() + dt.timedelta(days=366)
        ):
            raise ValidationError(f"{value:%Y-%m-%d} is not a plausible date for {what}.")
        return value

    def clean_rank_since(self) -> Any:
        return self._sensible("rank_since", "a rank")

    def clean_left_on(self) -> Any:
        return self._sensible("left_on", "leaving the faculty")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        program = self.context.program
        if data.get("rank_since") and not data.get("rank") and "rank" not in self.errors:
            self.add_error("rank_since", "A rank-since date needs the rank in the same row.")
        data["membership"] = self.context.memberships.get(self.person.pk) if self.person else None
        if (
            program is not None
            and not data.get("role")
            and not data["membership"]
            and "role" not in self.errors
        ):
            self.add_error(
                "role", f"Give this person's role in {program.name}: mentee, mentor or both."
            )
        return data


RESOLVED = (
    "department",
    "division",
    "rank",
    "stream",
    "role",
    "membership",
    "cohort",
    "employee_id",
    "rank_since",
    "left_on",
)


def _check_row(p: RowPlan, context: RosterContext) -> str:
    """Check one row with its form; return its reporting line's email if that is usable."""
    person = context.existing.get(p.email)
    form = RosterRowForm(p.values, person=person, context=context)
    form.is_valid()
    for column, messages in form.errors.items():
        for message in messages:
            p.error(column, str(message))
    data = form.cleaned_data
    p.resolved = {"person": person, **{key: data.get(key) for key in RESOLVED}}
    p.resolved["role"] = p.resolved["role"] or ""
    p.resolved["employee_id"] = p.resolved["employee_id"] or ""
    return data.get("reports_to", "") if p.email else ""


def _check_across_rows(
    plans: list[RowPlan], file_lines: dict[str, str], db_lines: dict[str, str]
) -> None:
    """What no single row shows: an email twice in the file, and reporting-line cycles through
    the file and the database together."""
    rows_of: dict[str, list[int]] = {}
    for p in plans:
        if p.email:
            rows_of.setdefault(p.email, []).append(p.row)
    ids_of: dict[str, list[int]] = {}
    for p in plans:
        if employee_id := (p.values.get("employee_id") or "").strip():
            ids_of.setdefault(employee_id, []).append(p.row)
    for p in plans:
        if len(rows_of.get(p.email, [])) > 1:
            others = " and ".join(str(n) for n in rows_of[p.email])
            p.error("email", f"Duplicate email: {p.email} is in rows {others}.")
        employee_id = (p.values.get("employee_id") or "").strip()
        if len(ids_of.get(employee_id, [])) > 1:
            others = " and ".join(str(n) for n in ids_of[employee_id])
            p.error("employee_id", f"Duplicate employee id {employee_id} in rows {others}.")
    lines = {**db_lines, **file_lines}
    for p in plans:
        if p.email not in file_lines:
            continue
        path, current = [p.email], file_lines[p.email]
        while current and current not in path and len(path) < 200:
            path.append(current)
            current = lines.get(current, "")
        if current == p.email:
            p.error(
                "reports_to",
                "Reporting-line cycle: " + " → ".join([*path, p.email]) + ".",
            )


def _plan_changes(
    p: RowPlan, context: RosterContext, *, boss: str, program: Program | None, limited: bool
) -> None:
    """What applying a checked row would change (a blank cell never erases anything)."""
    person, r = p.resolved["person"], p.resolved
    if person is None:
        p.action = CREATE
        return
    in_program = r["membership"] is not None
    if not (limited and not in_program):
        current = {
            "given_name": person.given_name,
            "family_name": person.family_name,
            "department": person.department.name if person.department else "",
            "division": person.division.name if person.division else "",
            "rank": person.rank.name if person.rank else "",
            "stream": person.stream.name if person.stream else "",
            "reports_to": person.reports_to.user.email.lower() if person.reports_to else "",
            "employee_id": person.employee_id,
        }
        wanted = {
            "given_name": p.values.get("given_name", "").strip(),
            "family_name": p.values.get("family_name", "").strip(),
            "department": r["department"].name if r["department"] else "",
            "division": r["division"].name if r["division"] else "",
            "rank": r["rank"].name if r["rank"] else "",
            "stream": r["stream"].name if r["stream"] else "",
            "reports_to": boss,
            "employee_id": r["employee_id"],
        }
        for key, new in wanted.items():
            if new and new != current[key]:
                p.changes[key] = (current[key] or "—", new)
        if (
            r["rank_since"]
            and (person.pk, r["rank_since"], r["rank"].pk) not in context.rank_changes
        ):
            p.changes["rank_since"] = ("—", f"{r['rank_since']:%Y-%m-%d}")
        if r["left_on"] and (person.pk, r["left_on"]) not in context.departures:
            p.changes["left_on"] = ("—", f"{r['left_on']:%Y-%m-%d}")
    elif any(p.values.get(k) for k in PROFILE_FIELDS):
        p.notes.append(
            "Already on the faculty list: their record is kept as it is (admins manage it)."
        )
    if program is not None:
        membership, role, cohort = r["membership"], r["role"], r["cohort"]
        if membership is None:
            p.changes["role"] = ("—", dict(Role.choices)[role])
        elif role and membership.role != role:
            p.changes["role"] = (membership.get_role_display(), dict(Role.choices)[role])
        if cohort and (membership is None or membership.cohort_id != cohort.pk):
            old = membership.cohort.name if membership and membership.cohort else "—"
            p.changes["cohort"] = (old, cohort.name)
    p.action = UPDATE if p.changes else UNCHANGED


def _record_career(
    person: FacultyProfile,
    r: dict[str, Any],
    *,
    rank_changed: bool,
    stream_changed: bool,
    by: User,
) -> None:
    """The row's rank (from its rank-since date, else today), stream (from today) and
    departure, in the person's career history."""
    if r["stream"] is not None and stream_changed:
        stream_change_record(person=person, stream=r["stream"], source=CareerSource.ROSTER, by=by)
    if r["rank"] is not None and (rank_changed or r["rank_since"]):
        rank_change_record(
            person=person,
            rank=r["rank"],
            effective_on=r["rank_since"],
            source=CareerSource.ROSTER,
            by=by,
        )
    if r["left_on"]:
        departure_record(person=person, left_on=r["left_on"], source=CareerSource.ROSTER, by=by)


def roster_plan(
    *,
    rows: list[dict[str, Any]],
    columns: list[str],
    program: Program | None,
    institution: Institution,
    by: User,
) -> RosterPlan:
    """What importing these rows would do, row by row and cell by cell. Writes nothing."""
    limited = not roles_for(by).is_admin  # a director: only their program's people
    plans = [
        RowPlan(row=r["row"], email=(r.get("email") or "").strip().lower(), values=dict(r))
        for r in rows
    ]
    context = _context(plans, program=program, institution=institution)
    file_lines: dict[str, str] = {}
    for p in plans:
        if boss := _check_row(p, context):
            file_lines[p.email] = boss
    _check_across_rows(plans, file_lines, context.db_lines)
    for p in plans:
        if p.action != ERROR:
            _plan_changes(
                p, context, boss=file_lines.get(p.email, ""), program=program, limited=limited
            )
    return RosterPlan(rows=plans, columns=columns, program=program)


# --- Storing and applying -----------------------------------------------------------------------


@transaction.atomic
def roster_import_create(
    *,
    parsed: ParsedRoster,
    file_name: str,
    file_sha256: str,
    program: Program | None,
    by: User,
    scope: str = "institution",
) -> RosterImport:
    """Keep the parsed rows so that confirming needs no second upload. `scope` says whose
    pages it belongs to: the institution's (admins) or its program's (directors)."""
    if program is not None and not can_direct(by, program):
        raise ValidationError("Only the program's directors can import its roster.")
    if scope == "institution" and not roles_for(by).is_admin:
        raise ValidationError("Only institution admins can import the faculty roster.")
    roster = RosterImport.objects.create(
        program=program,
        uploaded_by=by,
        file_name=file_name[:255],
        file_sha256=file_sha256,
        scope=scope,
        rows=parsed.rows,
        summary={"columns": parsed.columns, "ignored": parsed.ignored, "kind": parsed.kind},
    )
    audit_record(
        actor=by,
        verb="roster.upload",
        target=roster,
        program=program,
        rows=len(parsed.rows),
        sha256=file_sha256,
    )
    return roster


def previous_import_of_same_file(roster: RosterImport) -> RosterImport | None:
    return (
        RosterImport.objects.filter(
            file_sha256=roster.file_sha256,
            program=roster.program,
            status=RosterImportStatus.APPLIED,
        )
        .exclude(pk=roster.pk)
        .order_by("-applied_at")
        .first()
    )


def roster_institution(program: Program | None) -> Institution:
    if program is not None:
        return program.institution
    institution = Institution.objects.filter(is_home=True).first()
    if institution is None:
        raise ValidationError("Set up the home institution before importing a roster.")
    return institution


def plan_for(roster: RosterImport, *, by: User) -> RosterPlan:
    program = roster.program
    return roster_plan(
        rows=roster.rows,
        columns=roster.summary.get("columns", []),
        program=program,
        institution=roster_institution(program),
        by=by,
    )


@transaction.atomic
def roster_apply(*, roster: RosterImport, by: User) -> dict[str, int]:
    """Apply a checked roster: all rows or none. Returns how many people were created and
    updated. Raises ValidationError if any row has an error now."""
    roster = (
        RosterImport.objects.select_for_update(of=("self",))
        .select_related("program")
        .get(pk=roster.pk)
    )
    if roster.status == RosterImportStatus.APPLIED:
        raise ValidationError("This roster has already been imported.")
    program = roster.program
    plan = plan_for(roster, by=by)
    if plan.has_errors:
        raise ValidationError(
            f"{plan.count(ERROR)} row(s) have errors. Fix them in the file and upload it again."
        )
    institution = roster_institution(program)
    people: dict[str, FacultyProfile] = {}
    for p in plan.rows:
        r = p.resolved
        if p.action == CREATE:
            result = faculty_invite(
                email=p.email,
                given_name=p.values.get("given_name", "").strip(),
                family_name=p.values.get("family_name", "").strip(),
                institution=institution,
                program=program,
                role=r["role"] or None,
                by=by,
                department=r["department"],
                division=r["division"],
                rank=r["rank"],
                stream=r["stream"],
                employee_id=r["employee_id"],
            )
            people[p.email] = result.person
            if r["cohort"] is not None and program is not None:
                membership_add(
                    program=program, person=result.person, role=r["role"], cohort=r["cohort"], by=by
                )
        elif r["person"] is not None:
            people[p.email] = r["person"]
    # Second pass: profile changes, reporting lines (bosses may be created above) and roles.
    boss_emails = {(p.values.get("reports_to") or "").strip().lower() for p in plan.rows}
    boss_emails.discard("")
    bosses = {
        profile.email_lower: profile
        for profile in FacultyProfile.objects.annotate(email_lower=Lower("user__email")).filter(
            email_lower__in=boss_emails
        )
    }
    moved: list[int] = []  # people whose place in the directory changed
    for p in plan.rows:
        person, r = people.get(p.email), p.resolved
        if person is None:
            continue
        fields: list[str] = []
        for key in PROFILE_FIELDS:
            if key in p.changes:
                value = p.values.get(key, "").strip() if key.endswith("name") else r[key]
                setattr(person, key, value)
                fields.append(key)
        boss_email = (p.values.get("reports_to") or "").strip().lower()
        if ("reports_to" in p.changes or p.action == CREATE) and boss_email:
            person.reports_to = bosses.get(boss_email)
            fields.append("reports_to")
        _record_career(
            person,
            r,
            rank_changed=p.action == CREATE or "rank" in p.changes,
            stream_changed=p.action == CREATE or "stream" in p.changes,
            by=by,
        )
        if fields:
            person.save(update_fields=[*fields, "updated_at"])
            if {"department", "division", "reports_to"} & set(fields):
                moved.append(person.pk)
            if p.action == UPDATE:
                audit_record(
                    actor=by,
                    verb="profile.update",
                    target=person,
                    fields=sorted(fields),
                    via="roster",
                )
        if (
            program is not None
            and p.action == UPDATE
            and ("role" in p.changes or "cohort" in p.changes)
        ):
            membership = r["membership"]
            membership_add(
                program=program,
                person=person,
                role=r["role"] or membership.role,
                cohort=r["cohort"],
                by=by,
            )
    reporting_line_conflicts_notify(profile_ids=moved)
    counts = {"created": plan.count(CREATE), "updated": plan.count(UPDATE)}
    roster.status = RosterImportStatus.APPLIED
    roster.applied_at = timezone.now()
    roster.summary = {**roster.summary, **counts, "unchanged": plan.count(UNCHANGED)}
    roster.save(update_fields=["status", "applied_at", "summary"])
    audit_record(actor=by, verb="roster.import", target=roster, program=program, **counts)
    return counts
