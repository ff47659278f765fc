"""A filtered table exported as it is shown: the relationships table, the members list and the
mentor recognition table, each through the selector and filters of its page, as a one-table
`Report` that the CSV and XLSX writers turn into files (formulas neutralised, cells typed).

What the pages never show is never exported either: no concern text, ended reason, private
note or review comment; review scores only from the requests the requester may read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from programs.domain.figures import SUPPRESSED
from programs.exports.reports import Report, Score, Section, Table
from programs.models import (
    GUIDING_SIDES,
    Concern,
    ExportKind,
    Program,
    RelationshipRisk,
    RelationshipStage,
    ReviewRequest,
    Role,
)
from programs.selectors.dashboard import (
    MIN_REVIEWS_FOR_MEAN,
    TABLE_FILTER_NAMES,
    mentor_recognition,
    relationships_table,
    table_filters,
)
from programs.selectors.programs import program_members

MEMBER_FILTER_NAMES = ("role", "q", "status", "cohort")
FILTER_NAMES: dict[str, tuple[str, ...]] = {
    ExportKind.RELATIONSHIPS: TABLE_FILTER_NAMES,
    ExportKind.MEMBERS: MEMBER_FILTER_NAMES,
    ExportKind.MENTOR_RECOGNITION: ("sort",),
}
STAGE_LABELS = dict(RelationshipStage.choices)
ROLE_LABELS = dict(Role.choices)
CHUNK = 1000


def kept_filters(kind: str, params: Mapping[str, str]) -> dict[str, str]:
    """The page's filters worth storing with an export (known names, non-empty values)."""
    return {
        name: str(params[name])[:200] for name in FILTER_NAMES.get(kind, ()) if params.get(name)
    }


def _local(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def _names(members: list[Any]) -> str:
    return "; ".join(m.person.display_name for m in members)


def _filters_text(filters: Mapping[str, str]) -> str:
    shown = [f"{k.replace('_', ' ')}: {v}" for k, v in filters.items() if k != "sort"]
    return "Filters: " + (", ".join(shown) if shown else "none (every row)")


def relationships_report(
    *,
    program: Program,
    filters: Mapping[str, str],
    director_concerns: QuerySet[Concern],
    risks: QuerySet[RelationshipRisk],
    review_requests: QuerySet[ReviewRequest],
) -> Report:
    rows = relationships_table(
        program=program,
        filters=table_filters(filters),
        director_concerns=director_concerns,
        risks=risks,
        review_requests=review_requests,
    )

    def lines() -> Iterator[list[Any]]:
        for r in rows.iterator(chunk_size=CHUNK):
            members = r.active_members
            yield [
                _names([m for m in members if m.side not in GUIDING_SIDES]),
                _names([m for m in members if m.side in GUIDING_SIDES]),
                STAGE_LABELS.get(r.stage, r.stage),
                r.started_on,
                "yes" if r.is_quiet else "",
                "yes" if r.at_risk else "",
                _local(r.last_met_at),
                _local(r.next_meeting_at),
                Score(r.mentee_score) if r.mentee_score is not None else None,
                Score(r.mentor_score) if r.mentor_score is not None else None,
                r.concern_count or 0,
            ]

    table = Table(
        "Relationships",
        [
            "Mentees or peers",
            "Mentors or facilitator",
            "Stage",
            "Started",
            "Quiet",
            "At risk",
            "Last met",
            "Next meeting",
            "Latest review from the mentee side (1–5)",
            "Latest review from the mentor side (1–5)",
            "Open concerns",
        ],
        lines(),
    )
    return _one_table(program, "Relationships", table, filters)


def members_report(*, program: Program, filters: Mapping[str, str]) -> Report:
    from mentorship.params import id_param, text_param

    rows = program_members(
        program=program,
        role=filters.get("role", ""),
        search=text_param(filters.get("q")),
        cohort_id=id_param(filters.get("cohort")),
        status=filters.get("status", ""),
    )

    def lines() -> Iterator[list[Any]]:
        for m in rows.iterator(chunk_size=CHUNK):
            yield [
                m.person.display_name,
                m.person.user.email if m.person.user else "",
                ROLE_LABELS.get(m.role, m.role),
                m.person.department.name if m.person.department else "",
                m.person.rank.name if m.person.rank else "",
                m.cohort.name if m.cohort else "",
                m.mentor_capacity if m.role in (Role.MENTOR, Role.BOTH) else None,
                m.get_status_display(),
                timezone.localtime(m.joined_at).date(),
            ]

    table = Table(
        "Members",
        ["Name", "Email", "Role", "Department", "Rank", "Cohort", "Capacity", "Status", "Joined"],
        lines(),
    )
    return _one_table(program, "Members", table, filters)


# The recognition table's columns, in the export and the page's own CSV alike.
RECOGNITION_COLUMNS = [
    "Mentor",
    "Department",
    "Rank",
    "Current mentees",
    "Mentees in total",
    "Meetings held",
    "Mean review score from mentees",
    "Reviews from mentees",
    "Mentor trainings completed",
    "Latest training",
]


def recognition_report(
    *, program: Program, filters: Mapping[str, str], review_requests: QuerySet[ReviewRequest]
) -> Report:
    rows = mentor_recognition(
        program=program, sort=filters.get("sort", "total"), review_requests=review_requests
    )

    def lines() -> Iterator[list[Any]]:
        for m in rows.iterator(chunk_size=CHUNK):
            mean = m.mean_score if m.review_count >= MIN_REVIEWS_FOR_MEAN else None
            yield [
                m.person.display_name,
                m.person.department.name if m.person.department else "",
                m.person.rank.name if m.person.rank else "",
                m.current_mentees,
                m.total_mentees,
                m.meetings_held,
                Score(mean) if mean is not None else f"fewer than {MIN_REVIEWS_FOR_MEAN} reviews",
                m.review_count,
                m.trainings,
                m.last_training_on,
            ]

    table = Table(
        "Mentor recognition",
        RECOGNITION_COLUMNS,
        lines(),
        note=f"A mean of fewer than {MIN_REVIEWS_FOR_MEAN} reviews is not shown ({SUPPRESSED}).",
    )
    return _one_table(program, "Mentor recognition", table, filters)


def _one_table(program: Program, title: str, table: Table, filters: Mapping[str, str]) -> Report:
    today = timezone.localdate()
    return Report(
        title=f"{title}: {program.name}",
        program=program.name,
        start=today,
        end=today,
        sections=[Section(title, tables=[table], intro=_filters_text(filters))],
        institution=program.institution.name,
        generated_at=timezone.localtime(),
    )
