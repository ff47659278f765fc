"""Roster import: check every row of an uploaded roster against the institution's data, show
what would happen, and — once confirmed — apply it all in one transaction.

The check (`roster_plan`) writes nothing and runs a fixed number of queries whatever the
number of rows. Applying (`roster_apply`) plans again against the database as it is now, refuses
if any row has an error, and is idempotent: rows that already match change nothing, so importing
the same file twice changes nothing the second time. New people are invited with
`faculty_invite` (their emails go out after the commit)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from programs.access import can_direct, roles_for
from programs.domain.roster import LABELS, ParsedRoster
from programs.models import (
    AcademicRank,
    AcademicStream,
    Cohort,
    Department,
    Division,
    FacultyProfile,
    Institution,
    Membership,
    Program,
    Role,
    RosterImport,
    RosterImportStatus,
)
from programs.services.audit import audit_record
from programs.services.invitations import faculty_invite
from programs.services.programs import membership_add

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
PROFILE_FIELDS = ("given_name", "family_name", "department", "division", "rank", "stream")
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


def roster_plan(
    *,
    rows: list[dict[str, Any]],
    columns: list[str],
    program: Program | None,
    institution: Institution,
    by: Any,
) -> RosterPlan:
    """What importing these rows would do, row by row and cell by cell. Writes nothing."""
    limited = not roles_for(by).is_admin  # a director: only their program's people
    plans = [
        RowPlan(row=r["row"], email=(r.get("email") or "").strip().lower(), values=dict(r))
        for r in rows
    ]
    departments = _lower_map(Department.objects.filter(institution=institution))
    divisions = {
        (d.department_id, d.name.casefold()): d
        for d in Division.objects.filter(department__institution=institution)
    }
    ranks = _lower_map(AcademicRank.objects.filter(is_active=True))
    streams = _lower_map(AcademicStream.objects.filter(is_active=True))
    cohorts = _lower_map(Cohort.objects.filter(program=program)) if program else {}
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
    # The reporting lines already in the database, to find cycles through people not in the file.
    db_lines = dict(
        FacultyProfile.objects.filter(institution=institution, reports_to__isnull=False)
        .annotate(e=Lower("user__email"), boss=Lower("reports_to__user__email"))
        .values_list("e", "boss")
    )

    # Duplicates within the file.
    rows_of: dict[str, list[int]] = {}
    for p in plans:
        if p.email:
            rows_of.setdefault(p.email, []).append(p.row)

    file_lines: dict[str, str] = {}
    for p in plans:
        v = {k: (p.values.get(k) or "").strip() for k in LABELS}
        # Email
        if not p.email:
            p.error("email", "Email is missing.")
        else:
            try:
                validate_email(p.email)
            except ValidationError:
                p.error("email", f"“{v['email']}” is not a valid email address.")
            if len(rows_of.get(p.email, [])) > 1:
                others = " and ".join(str(n) for n in rows_of[p.email])
                p.error("email", f"Duplicate email: {p.email} is in rows {others}.")
        person = existing.get(p.email)
        p.resolved["person"] = person
        # Names
        for name_field in ("given_name", "family_name"):
            if not v[name_field] and person is None:
                p.error(name_field, f"The {LABELS[name_field]} is missing.")
            elif len(v[name_field]) > MAX_NAME:
                p.error(name_field, f"At most {MAX_NAME} characters.")
        # Department, division, rank, stream
        department = None
        if v["department"]:
            department = departments.get(v["department"].casefold())
            if department is None:
                p.error(
                    "department",
                    f"Unknown department “{v['department']}”. Known departments are "
                    f"{_known(sorted(d.name for d in departments.values()))}.",
                )
        p.resolved["department"] = department
        division = None
        if v.get("division"):
            dept = department or (person.department if person else None)
            if dept is None:
                p.error("division", "Give the department this division belongs to.")
            else:
                division = divisions.get((dept.pk, v["division"].casefold()))
                if division is None:
                    names = sorted(d.name for (dpk, _), d in divisions.items() if dpk == dept.pk)
                    p.error(
                        "division",
                        f"Unknown division “{v['division']}” in {dept.name}. Its divisions are "
                        f"{_known(names)}.",
                    )
        p.resolved["division"] = division
        for key, table, word in (("rank", ranks, "ranks"), ("stream", streams, "streams")):
            found = None
            if v[key]:
                found = table.get(v[key].casefold())
                if found is None:
                    names = [
                        r.name for r in sorted(table.values(), key=lambda r: (r.order, r.name))
                    ]
                    p.error(key, f"Unknown {key} “{v[key]}”. Known {word} are {_known(names)}.")
            p.resolved[key] = found
        # Reporting line (checked for cycles once every row is read)
        boss = v.get("reports_to", "").lower()
        if boss:
            try:
                validate_email(boss)
            except ValidationError:
                p.error("reports_to", f"“{v['reports_to']}” is not a valid email address.")
            else:
                if boss == p.email:
                    p.error("reports_to", "A person cannot report to themselves.")
                elif boss not in rows_of and boss not in existing:
                    p.error(
                        "reports_to",
                        f"Reporting line email {boss} was not found in the file or among the "
                        "faculty.",
                    )
                elif p.email:
                    file_lines[p.email] = boss
        # Role and cohort
        role = ""
        if v.get("role"):
            if program is None:
                p.error("role", "Choose a program above to import roles into.")
            elif v["role"].casefold() == "director":
                p.error(
                    "role",
                    "Directors are appointed on the program's Directors page, not by import.",
                )
            else:
                role = ROLE_WORDS.get(v["role"].casefold(), "")
                if not role:
                    p.error(
                        "role",
                        f"Unknown role “{v['role']}”. Use mentee, mentor or both.",
                    )
        p.resolved["role"] = role
        membership = memberships.get(person.pk) if person else None
        p.resolved["membership"] = membership
        if program is not None and not role and not membership and "role" not in p.errors:
            p.error("role", f"Give this person's role in {program.name}: mentee, mentor or both.")
        cohort = None
        if v.get("cohort"):
            if program is None:
                p.error("cohort", "Choose a program above to import cohorts.")
            else:
                cohort = cohorts.get(v["cohort"].casefold())
                if cohort is None:
                    p.error(
                        "cohort",
                        f"Unknown cohort “{v['cohort']}”. {program.name}'s cohorts are "
                        f"{_known(sorted(c.name for c in cohorts.values()))}.",
                    )
        p.resolved["cohort"] = cohort

    # Reporting-line cycles, through the file and the database together.
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

    # What would change.
    for p in plans:
        if p.action == ERROR:
            continue
        person, r = p.resolved["person"], p.resolved
        boss = file_lines.get(p.email, "")
        if person is None:
            p.action = CREATE
            continue
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
            }
            wanted = {
                "given_name": p.values.get("given_name", "").strip(),
                "family_name": p.values.get("family_name", "").strip(),
                "department": r["department"].name if r["department"] else "",
                "division": r["division"].name if r["division"] else "",
                "rank": r["rank"].name if r["rank"] else "",
                "stream": r["stream"].name if r["stream"] else "",
                "reports_to": boss,
            }
            for key, new in wanted.items():
                # A blank cell leaves the field as it is: a roster never erases data.
                if new and new != current[key]:
                    p.changes[key] = (current[key] or "—", new)
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
    return RosterPlan(rows=plans, columns=columns, program=program)


# --- Storing and applying -----------------------------------------------------------------------


@transaction.atomic
def roster_import_create(
    *,
    parsed: ParsedRoster,
    file_name: str,
    file_sha256: str,
    program: Program | None,
    by: Any,
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


def plan_for(roster: RosterImport, *, by: Any) -> RosterPlan:
    program = roster.program
    return roster_plan(
        rows=roster.rows,
        columns=roster.summary.get("columns", []),
        program=program,
        institution=roster_institution(program),
        by=by,
    )


@transaction.atomic
def roster_apply(*, roster: RosterImport, by: Any) -> dict[str, int]:
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
        if fields:
            person.save(update_fields=[*fields, "updated_at"])
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
    counts = {"created": plan.count(CREATE), "updated": plan.count(UPDATE)}
    roster.status = RosterImportStatus.APPLIED
    roster.applied_at = timezone.now()
    roster.summary = {**roster.summary, **counts, "unchanged": plan.count(UNCHANGED)}
    roster.save(update_fields=["status", "applied_at", "summary"])
    audit_record(actor=by, verb="roster.import", target=roster, program=program, **counts)
    return counts
