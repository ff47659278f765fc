"""Directors' oversight pages: the program dashboard, the relationships table, mentor
recognition, and the director's page of one relationship with its actions (reassign, extend the
pilot, record a brokered conversation; ending reuses the ordinary ending page)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from allauth.account.decorators import reauthentication_required
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_stubs_ext import WithAnnotations

from mentorship.http import AuthenticatedHttpRequest
from programs.access import (
    RelationshipAccess,
    can_see_ended_reason,
    concerns_for_director,
    director_notes_visible_to,
    get_program_for_director,
    get_relationship_for_director,
    review_requests_for_director,
    risks_for_director,
)
from programs.domain.figures import SMALL_CELL, SUPPRESSED, quiet_definition
from programs.exports.charts import match_rate_charts, meetings_chart, score_chart, stages_chart
from programs.exports.reports import neutralise
from programs.exports.tables import RECOGNITION_COLUMNS
from programs.forms.oversight import DirectorNoteForm, ExtendPilotForm, ReassignForm
from programs.forms.programs import apply_errors
from programs.models import (
    GUIDING_SIDES,
    MENTOR_ROLES,
    STAGE_LITERATURE,
    ActionItem,
    ActionItemStatus,
    FacultyProfile,
    Meeting,
    MeetingStatus,
    Membership,
    MemberSide,
    Program,
    Relationship,
    RelationshipMember,
    RelationshipStage,
    RiskReason,
)
from programs.selectors.dashboard import (
    MIN_REVIEWS_FOR_MEAN,
    RECOGNITION_SORTS,
    Recognition,
    TableFilters,
    TableRow,
    dashboard_for,
    filter_choices,
    mentor_name,
    mentor_recognition,
    relationships_table,
    table_filters,
)
from programs.selectors.figures import with_quiet
from programs.selectors.relationships import agreement_state, relationship_members, with_activity
from programs.selectors.reviews import ReviewSignal, latest_review_signal
from programs.services.audit import audit_record
from programs.services.pairing import OVERRIDE_LABELS, Overrides, overridable_in, overrides_on
from programs.services.relationships import (
    director_note_add,
    relationship_extend_pilot,
    relationship_reassign,
    relationship_reassign_check,
)
from programs.views.submissions import once_per_submission

PER_PAGE = 50


# --- Dashboard -----------------------------------------------------------------------------------


def _dashboard(request: AuthenticatedHttpRequest, program: Program) -> Any:
    """The dashboard's figures, kept for a minute per program and viewer (the concern count
    depends on who looks). Aggregating a large program takes ~100 ms of database time; caching
    lets many directors reload it at once. `?refresh=1` recomputes."""
    seconds = settings.MENTORSHIP_DASHBOARD_CACHE_SECONDS
    key = f"oversight:dashboard:{program.pk}:{request.user.pk}"
    if seconds and request.GET.get("refresh") != "1":
        cached = cache.get(key)
        if cached is not None:
            return cached
    dashboard = dashboard_for(
        program=program,
        director_concerns=concerns_for_director(request.user),
        risks=risks_for_director(request.user),
        review_requests=review_requests_for_director(request.user),
    )
    if seconds:
        cache.set(key, dashboard, seconds)
    return dashboard


def program_dashboard(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    dashboard = _dashboard(request, program)
    c = dashboard.charts
    return render(
        request,
        "oversight/dashboard.html",
        {
            "program": program,
            "d": dashboard,
            "meetings_chart": meetings_chart(
                c["meetings"], title="Meetings and check-ins held per month, last 12 months"
            ),
            "stages_chart": stages_chart(
                c["stages"]["labels"],
                c["stages"]["series"],
                title="Relationships open, concluded and ended early, at the end of each month",
            ),
            "scores_chart": score_chart(
                c["scores"], title="Relationship reviews by score (1 = poor, 5 = healthy)"
            ),
            "match_charts": match_rate_charts(c["match"]),
            "quiet_definition": _quiet_definition(program),
            "small_cell": SMALL_CELL,
            "suppressed": SUPPRESSED,
        },
    )


def _quiet_definition(program: Program) -> str:
    return quiet_definition(
        cadence_days=program.meeting_cadence_days, grace_days=program.checkin_grace_days
    )


# --- The relationships table ---------------------------------------------------------------------


def _filters(request: AuthenticatedHttpRequest) -> TableFilters:
    return table_filters(request.GET)


SORT_LABELS = {
    "started": "Newest first",
    "-started": "Oldest first",
    "last_met": "Longest since last met",
    "-last_met": "Most recently met",
    "next_meeting": "Next meeting soonest",
    "score": "Lowest review score",
    "-score": "Highest review score",
    "stage": "Stage",
    "mentee": "Mentee name",
}


def _sides(
    r: WithAnnotations[Relationship, TableRow],
) -> tuple[Relationship, list[RelationshipMember], list[RelationshipMember]]:
    """A row of the relationships table: the relationship, its mentees (or peers), its guides."""
    members = r.active_members
    return (
        r,
        [m for m in members if m.side not in GUIDING_SIDES],
        [m for m in members if m.side in GUIDING_SIDES],
    )


def program_relationships(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    filters = _filters(request)
    relationships = relationships_table(
        program=program,
        filters=filters,
        director_concerns=concerns_for_director(request.user),
        risks=risks_for_director(request.user),
        review_requests=review_requests_for_director(request.user),
    )
    page = Paginator(relationships, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "oversight/relationships.html",
        {
            "program": program,
            "page": page,
            "rows": [_sides(r) for r in page],
            "filters": filters,
            "choices": filter_choices(program=program),
            "mentor_filter_name": mentor_name(program=program, person_id=filters.mentor),
            "stages": RelationshipStage.choices,
            "stage_literature": STAGE_LITERATURE,
            "sorts": SORT_LABELS,
            "risk_labels": dict(RiskReason.choices),
            "quiet_definition": _quiet_definition(program),
        },
    )


# --- Mentor recognition --------------------------------------------------------------------------


def _recognition_score(m: WithAnnotations[Membership, Recognition]) -> str:
    if m.review_count < MIN_REVIEWS_FOR_MEAN:
        return f"fewer than {MIN_REVIEWS_FOR_MEAN} reviews"
    return f"{m.mean_score:.1f}"


def mentor_recognition_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    sort = request.GET.get("sort", "total")
    sort = sort if sort in RECOGNITION_SORTS else "total"
    rows = mentor_recognition(
        program=program, sort=sort, review_requests=review_requests_for_director(request.user)
    )
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    for m in page:
        m.score_text = _recognition_score(m)  # type: ignore[attr-defined]
    return render(
        request,
        "oversight/mentor_recognition.html",
        {"program": program, "page": page, "sort": sort, "min_reviews": MIN_REVIEWS_FOR_MEAN},
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def mentor_recognition_csv(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The recognition table as CSV, streamed row by row; recorded in the audit log. Access is
    checked before asking for the password again, so nobody else is ever asked."""
    program = get_program_for_director(request.user, pk)
    return _recognition_csv(request, program)


@reauthentication_required
def _recognition_csv(request: AuthenticatedHttpRequest, program: Program) -> StreamingHttpResponse:
    audit_record(
        actor=request.user,
        verb="report.export",
        target=program,
        program=program,
        kind="mentor_recognition",
        format="csv",
    )
    writer = csv.writer(_Echo())

    def rows() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(RECOGNITION_COLUMNS)
        for m in mentor_recognition(
            program=program, sort="name", review_requests=review_requests_for_director(request.user)
        ).iterator(chunk_size=500):
            yield writer.writerow(
                [
                    neutralise(v)
                    for v in (
                        m.person.display_name,
                        m.person.department.name if m.person.department else "",
                        m.person.rank.name if m.person.rank else "",
                        m.current_mentees,
                        m.total_mentees,
                        m.meetings_held,
                        _recognition_score(m),
                        m.review_count,
                        m.trainings,
                        m.last_training_on.isoformat() if m.last_training_on else "",
                    )
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = (
        f'attachment; filename="mentor-recognition-{program.pk}-{stamp}.csv"'
    )
    return response


# --- Director actions on one relationship --------------------------------------------------------


def director_tools(
    request: AuthenticatedHttpRequest,
    relationship: Relationship,
    *,
    reassign_form: ReassignForm | None = None,
    pilot_form: ExtendPilotForm | None = None,
    note_form: DirectorNoteForm | None = None,
) -> dict[str, Any]:
    """The forms and the confidential notes of the director's relationship page."""
    notes = list(director_notes_visible_to(request.user, relationship))
    if notes:
        audit_record(
            actor=request.user,
            verb="director_note.view",
            target=relationship,
            program=relationship.program,
        )
    return {
        "director_notes": notes,
        "reassign_form": reassign_form or _reassign_form(relationship),
        "pilot_form": pilot_form or ExtendPilotForm(initial={"until": relationship.pilot_ends_on}),
        "note_form": note_form or DirectorNoteForm(),
        "can_keep_notes": can_see_ended_reason(request.user, relationship),
    }


def _reassign_form(relationship: Relationship, data: Any = None, **kwargs: Any) -> ReassignForm:
    current = relationship.members.filter(left_at__isnull=True)
    outgoing = FacultyProfile.objects.filter(
        relationship_memberships__in=current.filter(side__in=GUIDING_SIDES)
    ).order_by("family_name")
    incoming = (
        FacultyProfile.objects.filter(
            memberships__program=relationship.program_id, memberships__role__in=MENTOR_ROLES
        )
        .exclude(pk__in=current.values("person"))
        .order_by("family_name", "given_name")
    )
    return ReassignForm(data, outgoing=outgoing, incoming=incoming, **kwargs)


def director_view(
    request: AuthenticatedHttpRequest,
    viewer: RelationshipAccess,
    *,
    status: int = 200,
    **forms: Any,
) -> HttpResponse:
    """Dates, stages and counts — never meeting content, agenda, notes or the agreement text —
    plus the director's tools: reassign, extend the pilot, end, brokered-conversation notes."""
    relationship = with_activity(
        Relationship.objects.filter(pk=viewer.relationship.pk).select_related("program", "cohort")
    ).get()
    meetings = list(
        Meeting.objects.filter(relationship=relationship)
        .select_related("recap")
        .order_by("-starts_at")
    )
    items = ActionItem.objects.filter(relationship=relationship)
    show_reviews = viewer.oversees
    signal = (
        latest_review_signal(
            [relationship.pk],
            risks=risks_for_director(request.user),
            requests=review_requests_for_director(request.user),
        ).get(relationship.pk, ReviewSignal())
        if show_reviews
        else ReviewSignal()
    )
    return render(
        request,
        "relationships/relationship_director.html",
        {
            "relationship": relationship,
            "viewer": viewer,
            "program": relationship.program,
            "members": relationship_members(relationship),
            "agreement": agreement_state(relationship),
            "meetings": meetings,
            "item_counts": {
                "open": items.filter(status=ActionItemStatus.OPEN).count(),
                "done": items.filter(status=ActionItemStatus.DONE).count(),
            },
            "show_ended_reason": viewer.oversees,
            "overrides": overrides_on(relationship),
            "continued_by": relationship.continued_by.first(),
            "rematch_mentees": [
                m.person
                for m in relationship_members(relationship)
                if m.side == MemberSide.MENTEE and m.left_at is None
            ],
            "concerns": concerns_for_director(request.user)
            .filter(relationship=relationship)
            .select_related("raised_by"),
            "stage_literature": STAGE_LITERATURE,
            # The same rule as the dashboard and the table (the agreed cadence).
            "quiet": with_quiet(Relationship.objects.filter(pk=relationship.pk))
            .values_list("is_quiet", flat=True)
            .get(),
            # Directors who are themselves in the relationship see no review results.
            "show_reviews": show_reviews,
            "review_signal": signal,
            "at_risk": signal.at_risk,
            **director_tools(request, relationship, **forms),
        },
        status=status,
    )


def _back(relationship: Relationship) -> HttpResponse:
    return redirect("relationship_detail", pk=relationship.pk)


def _render_director(
    request: AuthenticatedHttpRequest, viewer: RelationshipAccess, **forms: Any
) -> HttpResponse:
    return director_view(request, viewer, status=400, **forms)


@require_POST
def relationship_reassign_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Two steps: the director's choice first shows what will happen and every reason the
    pairing gate gives (with the rules that may be set aside); only "Confirm" changes anything."""
    viewer = get_relationship_for_director(request.user, pk)
    relationship = viewer.relationship
    form = _reassign_form(
        relationship, request.POST, override_choices=list(OVERRIDE_LABELS.items())
    )
    if not form.is_valid():
        form.offer_overrides([])
        return _render_director(request, viewer, reassign_form=form)
    data = form.cleaned_data
    if request.POST.get("confirm") != "1":
        reasons = relationship_reassign_check(
            relationship=relationship, outgoing=data["outgoing"], incoming=data["incoming"]
        )
        form.offer_overrides(overridable_in(reasons))
        return _reassign_confirm(request, relationship, form, reasons, status=200)
    rules, why = form.chosen_overrides()
    try:
        successor = relationship_reassign(
            relationship=relationship,
            outgoing=data["outgoing"],
            incoming=data["incoming"],
            reason_for_directors=data["reason_for_directors"],
            overrides=Overrides.of(rules, why),
            by=request.user,
        )
    except ValidationError as e:
        apply_errors(form, e)
        form.offer_overrides(overridable_in(getattr(e, "reasons", [])))
        return _reassign_confirm(request, relationship, form, getattr(e, "reasons", []))
    messages.success(
        request,
        f"{data['incoming'].display_name} now mentors in a new relationship, which starts its "
        f"own pilot. The earlier relationship with {data['outgoing'].display_name} ended without "
        "fault and keeps its history. Everyone was told; nobody was given the reason.",
    )
    return redirect(successor)


def _reassign_confirm(
    request: AuthenticatedHttpRequest,
    relationship: Relationship,
    form: ReassignForm,
    reasons: list[Any],
    status: int = 400,
) -> HttpResponse:
    upcoming = relationship.meetings.filter(
        status=MeetingStatus.SCHEDULED, starts_at__gt=timezone.now()
    ).count()
    return render(
        request,
        "relationships/reassign_confirm.html",
        {
            "relationship": relationship,
            "program": relationship.program,
            "form": form,
            "reasons": reasons,
            "blocked": any(not r.overridable for r in reasons),
            "outgoing": form.cleaned_data.get("outgoing"),
            "incoming": form.cleaned_data.get("incoming"),
            "upcoming": upcoming,
            "mentees": [
                m.person
                for m in relationship.members.filter(left_at__isnull=True)
                .select_related("person")
                .exclude(side__in=GUIDING_SIDES)
            ],
        },
        status=status,
    )


@require_POST
def relationship_extend_pilot_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    viewer = get_relationship_for_director(request.user, pk)
    relationship = viewer.relationship
    form = ExtendPilotForm(request.POST)
    if form.is_valid():
        try:
            relationship_extend_pilot(
                relationship=relationship, until=form.cleaned_data["until"], by=request.user
            )
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(
                request, f"The pilot now runs until {form.cleaned_data['until']:%-d %B %Y}."
            )
            return _back(relationship)
    return _render_director(request, viewer, pilot_form=form)


@once_per_submission
@require_POST
def director_note_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    viewer = get_relationship_for_director(request.user, pk)
    relationship = viewer.relationship
    form = DirectorNoteForm(request.POST)
    if form.is_valid():
        try:
            director_note_add(
                relationship=relationship,
                text=form.cleaned_data["text"],
                held_on=form.cleaned_data["held_on"],
                by=request.user,
            )
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(request, "Note saved. Only the program's directors can read it.")
            return _back(relationship)
    return _render_director(request, viewer, note_form=form)
