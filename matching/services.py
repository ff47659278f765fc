"""Every write of the matching engine: weights, conflicts and pair rules, mentee requests, manual
assignment and bulk-matching runs. The only module of `matching` that touches the database for
writing; scoring and solvers stay pure.

Concurrency: accepting a request locks the mentor's and the mentee's memberships (in a fixed
order, so two acceptances cannot deadlock) and counts open relationships under those locks, so two
acceptances at once can neither over-fill a mentor nor give a mentee two mentors for one need."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from matching.engine.features import ExclusionReason
from matching.engine.scoring import exclusion_reasons, score_pairs, validate_weights
from matching.explanations import explain_pairs
from matching.models import (
    ConflictOfInterest,
    MatchRun,
    MatchSettings,
    MatchSuggestion,
    MentorMark,
    MentorRequest,
    PairRule,
    PairRuleKind,
    RequestStatus,
    RunMode,
    RunStatus,
    ShortlistMark,
    SuggestionStatus,
)
from matching.sources import load_problem
from mentorship.jobs import JobStopped, given_up_before, heartbeat, requeue_before, stale_before
from mentorship.notifications.kinds import Kind
from mentorship.notifications.services import Planned, notifications_send_soon
from mentorship.queue import enqueue, enqueue_on_commit
from programs.models import (
    MENTEE_ROLES,
    MENTOR_ROLES,
    Cohort,
    FacultyProfile,
    Membership,
    MembershipStatus,
    NeedArea,
    Program,
    Relationship,
    RelationshipKind,
    RelationshipSource,
)
from programs.models.relationships import GUIDING_SIDES, OPEN_STAGES, RECEIVING_SIDES
from programs.services.audit import audit_record
from programs.services.relationships import relationship_create

logger = logging.getLogger(__name__)

DECLINE_DEFAULT = (
    "Thank you for thinking of me. I'm not able to take this on right now, and I hope you find "
    "a great fit — the program can suggest other mentors."
)
EXCLUSION_WORDS = {
    ExclusionReason.SELF: "the same person",
    ExclusionReason.REPORTING_LINE: "in the mentee's reporting line (holds authority over them)",
    ExclusionReason.CONFLICT_OF_INTEREST: "a declared conflict of interest",
    ExclusionReason.ENDED_BEFORE: "a relationship between them ended before",
    ExclusionReason.FORBIDDEN: "a director forbade this pair",
    ExclusionReason.NO_CAPACITY: "at capacity, paused or not taking mentees",
    ExclusionReason.NO_REMOTE: "does not mentor remotely and works elsewhere",
}


class MatchingError(ValidationError):
    """A matching action that cannot be done, in words for the person who tried."""


# --- settings, conflicts, rules ---------------------------------------------------------------


def program_weights(program: Program) -> dict[str, float]:
    settings_row = MatchSettings.objects.filter(program=program).first()
    return validate_weights(settings_row.weights if settings_row else None)


@transaction.atomic
def weights_update(*, program: Program, weights: Mapping[str, float], by: Any) -> MatchSettings:
    try:
        full = validate_weights(weights)
    except ValueError as e:
        raise MatchingError(str(e)) from None
    row, _ = MatchSettings.objects.update_or_create(
        program=program, defaults={"weights": full, "updated_by": by}
    )
    audit_record(actor=by, verb="matching.weights", target=row, program=program, weights=full)
    return row


@transaction.atomic
def conflict_declare(
    *, person: FacultyProfile, other: FacultyProfile, by: Any, note: str = ""
) -> ConflictOfInterest:
    if person.pk == other.pk:
        raise MatchingError("A conflict of interest needs two different people.")
    a, b = sorted((person, other), key=lambda p: p.pk)
    conflict, _ = ConflictOfInterest.objects.get_or_create(
        person=a, other=b, defaults={"declared_by": by, "note": note}
    )
    audit_record(actor=by, verb="matching.conflict_declare", target=conflict)
    return conflict


@transaction.atomic
def pair_rule_set(
    *,
    program: Program,
    mentee: FacultyProfile,
    mentor: FacultyProfile,
    kind: str,
    by: Any,
    note: str = "",
) -> PairRule:
    if kind not in PairRuleKind.values:
        raise MatchingError(f"Unknown rule “{kind}”.")
    opposite = {PairRuleKind.PIN: PairRuleKind.FORBID, PairRuleKind.FORBID: PairRuleKind.PIN}
    if kind in opposite:
        PairRule.objects.filter(
            program=program, mentee=mentee, mentor=mentor, kind=opposite[kind]
        ).delete()
    if kind == PairRuleKind.PIN:
        # One pin per mentee: pinning a new mentor replaces the old pin.
        PairRule.objects.filter(program=program, mentee=mentee, kind=PairRuleKind.PIN).delete()
    rule, _ = PairRule.objects.update_or_create(
        program=program,
        mentee=mentee,
        mentor=mentor,
        kind=kind,
        defaults={"note": note, "created_by": by},
    )
    audit_record(actor=by, verb=f"matching.rule_{kind}", target=rule, program=program)
    return rule


@transaction.atomic
def pair_rule_remove(*, rule: PairRule, by: Any) -> None:
    audit_record(
        actor=by, verb=f"matching.rule_{rule.kind}_remove", target=rule, program=rule.program
    )
    rule.delete()


@transaction.atomic
def mentor_mark(
    *, program: Program, mentee: FacultyProfile, mentor: FacultyProfile, mark: str | None
) -> None:
    """Bookmark or hide a mentor in one's shortlist; `mark=None` clears it."""
    if mark is None:
        MentorMark.objects.filter(program=program, mentee=mentee, mentor=mentor).delete()
        return
    if mark not in ShortlistMark.values:
        raise MatchingError(f"Unknown mark “{mark}”.")
    MentorMark.objects.update_or_create(
        program=program, mentee=mentee, mentor=mentor, defaults={"mark": mark}
    )


# --- one pair: eligibility, score, explanation --------------------------------------------------


def pair_fit(*, program: Program, mentee: FacultyProfile, mentor: FacultyProfile) -> dict[str, Any]:
    """Score, explanation and exclusion reasons of one pair (for requests and manual assignment)."""
    problem = load_problem(program=program, mentee_ids=[mentee.pk], mentor_ids=[mentor.pk])
    if not problem.mentee_ids or not problem.mentor_ids:
        return {"score": None, "breakdown": [], "excluded": ["not_in_program"]}
    scored = score_pairs(problem.features, program_weights(program))
    excluded = exclusion_reasons(problem.features, 0, 0)
    return {
        "score": float(scored.scores[0, 0]),
        "breakdown": explain_pairs(problem, [(0, 0)], program_weights(program))[0],
        "excluded": excluded,
    }


def exclusion_sentence(codes: Iterable[str]) -> str:
    return "; ".join(EXCLUSION_WORDS.get(ExclusionReason(c), c) for c in codes)


# --- mentee requests ----------------------------------------------------------------------------


def _membership(program: Program, person: FacultyProfile, roles: Iterable[str]) -> Membership:
    membership = Membership.objects.filter(
        program=program, person=person, role__in=list(roles)
    ).first()
    if membership is None:
        raise MatchingError(
            f"{person.display_name} does not take part in {program.name} in that role."
        )
    return membership


@transaction.atomic
def request_send(
    *,
    program: Program,
    mentee: FacultyProfile,
    mentor: FacultyProfile,
    message: str,
    focus_area: NeedArea | None = None,
    by: Any,
) -> MentorRequest:
    _membership(program, mentee, MENTEE_ROLES)
    # Lock the mentee's membership so two quick requests cannot both slip under the limit.
    Membership.objects.select_for_update().filter(program=program, person=mentee).first()
    pending = MentorRequest.objects.filter(
        program=program, mentee=mentee, status=RequestStatus.PENDING
    )
    if pending.filter(mentor=mentor).exists():
        raise MatchingError(f"You have already asked {mentor.display_name}; they will answer soon.")
    if pending.count() >= program.max_pending_requests:
        raise MatchingError(
            f"You can have {program.max_pending_requests} requests waiting at once. Withdraw one, "
            "or wait for an answer, before asking someone else."
        )
    fit = pair_fit(program=program, mentee=mentee, mentor=mentor)
    if fit["excluded"]:
        # The reason may be confidential (a conflict, a reporting line): say only that it is not
        # possible, and log the reason for directors.
        logger.info("Request %s→%s refused: %s", mentee.pk, mentor.pk, fit["excluded"])
        raise MatchingError(
            f"{mentor.display_name} cannot take a request from you in {program.name} right now. "
            "Please choose another mentor from your shortlist."
        )
    request = MentorRequest.objects.create(
        program=program,
        mentee=mentee,
        mentor=mentor,
        focus_area=focus_area,
        message=message,
        score=fit["score"],
        expires_at=timezone.now() + timedelta(days=program.request_expiry_days),
    )
    audit_record(actor=by, verb="matching.request_send", target=request, program=program)
    _notify_request(request, "received", recipient=mentor)
    return request


def _lock_request(request: MentorRequest) -> MentorRequest:
    locked = (
        MentorRequest.objects.select_for_update(of=("self",))
        .select_related("program", "mentee__user", "mentor__user", "focus_area")
        .get(pk=request.pk)
    )
    if locked.status == RequestStatus.PENDING and locked.expires_at <= timezone.now():
        locked.status = RequestStatus.EXPIRED
        locked.save(update_fields=["status"])
    return locked


def _refuse_unless_pending(request: MentorRequest) -> None:
    if request.status != RequestStatus.PENDING:
        state = {
            RequestStatus.ACCEPTED: "was already accepted",
            RequestStatus.DECLINED: "was already declined",
            RequestStatus.WITHDRAWN: "was withdrawn by the mentee",
            RequestStatus.EXPIRED: "has expired",
        }[RequestStatus(request.status)]
        raise MatchingError(f"This request {state}.")


def open_guiding_count(*, program: Program, person: FacultyProfile) -> int:
    return (
        Relationship.objects.filter(
            program=program,
            stage__in=OPEN_STAGES,
            members__person=person,
            members__side__in=GUIDING_SIDES,
            members__left_at__isnull=True,
        )
        .distinct()
        .count()
    )


@transaction.atomic
def request_accept(*, request: MentorRequest, by: Any, message: str = "") -> Relationship:
    request = _lock_request(request)
    _refuse_unless_pending(request)
    program, mentee, mentor = request.program, request.mentee, request.mentor
    # Lock both memberships in id order: concurrent acceptances queue here.
    locked = list(
        Membership.objects.select_for_update()
        .filter(program=program, person__in=[mentee, mentor])
        .order_by("pk")
    )
    mentor_membership = next((m for m in locked if m.person_id == mentor.pk), None)
    if mentor_membership is None or mentor_membership.role not in MENTOR_ROLES:
        raise MatchingError(f"You are no longer a mentor in {program.name}.")
    if mentor_membership.status == MembershipStatus.PAUSED:
        raise MatchingError(
            "Your participation is paused. Ask the program team to resume it before accepting."
        )
    taken = open_guiding_count(program=program, person=mentor)
    if taken >= mentor_membership.mentor_capacity:
        raise MatchingError(
            f"You already mentor {taken} of your {mentor_membership.mentor_capacity} places in "
            f"{program.name}. Raise your capacity on “What I offer”, or decline this request."
        )
    if request.focus_area_id and _has_open_mentor_for(program, mentee, request.focus_area_id):
        raise MatchingError(
            f"{mentee.display_name} has just been matched with another mentor for "
            f"{request.focus_area.name}. The request is closed."
        )
    relationship = relationship_create(
        program=program,
        kind=RelationshipKind.ONE_TO_ONE,
        mentees=[mentee],
        mentors=[mentor],
        focus_area=request.focus_area,
        is_remote=mentee.institution_id != mentor.institution_id,
        source=RelationshipSource.REQUEST,
        by=by,
    )
    request.status = RequestStatus.ACCEPTED
    request.responded_at = timezone.now()
    request.response_message = message
    request.relationship = relationship
    request.save(update_fields=["status", "responded_at", "response_message", "relationship"])
    audit_record(actor=by, verb="matching.request_accept", target=request, program=program)
    _notify_request(request, "accepted", recipient=mentee)
    if request.focus_area_id:
        # First acceptance wins: the mentee's other requests for the same need are closed.
        for other in MentorRequest.objects.filter(
            program=program,
            mentee=mentee,
            focus_area_id=request.focus_area_id,
            status=RequestStatus.PENDING,
        ).select_related("mentor__user"):
            other.status = RequestStatus.WITHDRAWN
            other.responded_at = timezone.now()
            other.save(update_fields=["status", "responded_at"])
            _notify_request(other, "filled", recipient=other.mentor)
    return relationship


def _has_open_mentor_for(program: Program, mentee: FacultyProfile, area_id: int) -> bool:
    return Relationship.objects.filter(
        program=program,
        stage__in=OPEN_STAGES,
        focus_area_id=area_id,
        members__person=mentee,
        members__side__in=RECEIVING_SIDES,
        members__left_at__isnull=True,
    ).exists()


@transaction.atomic
def request_decline(*, request: MentorRequest, by: Any, message: str = "") -> MentorRequest:
    request = _lock_request(request)
    _refuse_unless_pending(request)
    request.status = RequestStatus.DECLINED
    request.responded_at = timezone.now()
    request.response_message = message.strip() or DECLINE_DEFAULT
    request.save(update_fields=["status", "responded_at", "response_message"])
    audit_record(actor=by, verb="matching.request_decline", target=request, program=request.program)
    _notify_request(request, "declined", recipient=request.mentee)
    return request


@transaction.atomic
def request_withdraw(*, request: MentorRequest, by: Any) -> MentorRequest:
    request = _lock_request(request)
    _refuse_unless_pending(request)
    request.status = RequestStatus.WITHDRAWN
    request.responded_at = timezone.now()
    request.save(update_fields=["status", "responded_at"])
    audit_record(
        actor=by, verb="matching.request_withdraw", target=request, program=request.program
    )
    return request


@transaction.atomic
def requests_expire() -> int:
    """Close requests nobody answered in time and tell their mentees (idempotent)."""
    expired = list(
        MentorRequest.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(status=RequestStatus.PENDING, expires_at__lte=timezone.now())
        .select_related("program", "mentee__user", "mentor")
    )
    for request in expired:
        request.status = RequestStatus.EXPIRED
        request.save(update_fields=["status"])
        _notify_request(request, "expired", recipient=request.mentee)
    return len(expired)


def _notify_request(request: MentorRequest, event: str, *, recipient: FacultyProfile) -> None:
    """Planned in this transaction, delivered after commit (the ledger's shared path)."""
    notifications_send_soon(
        [
            Planned(
                recipient_id=recipient.user_id,
                kind=Kind.MENTOR_REQUEST,
                subject=f"request:{request.pk}",
                cycle=event,
                program_id=request.program_id,
            )
        ]
    )


# --- manual assignment ----------------------------------------------------------------------


@transaction.atomic
def manual_assign(
    *,
    program: Program,
    mentee: FacultyProfile,
    mentor: FacultyProfile,
    focus_area: NeedArea | None = None,
    roles: Iterable[str] = (),
    override_capacity: bool = False,
    by: Any,
) -> Relationship:
    """A director pairs two people after seeing their fit. Hard exclusions still apply; a full
    mentor can be given one more mentee only deliberately (`override_capacity`)."""
    fit = pair_fit(program=program, mentee=mentee, mentor=mentor)
    blocking = [c for c in fit["excluded"] if not (override_capacity and c == "no_capacity")]
    if blocking:
        raise MatchingError(
            f"{mentor.display_name} cannot mentor {mentee.display_name}: "
            f"{exclusion_sentence(blocking)}."
        )
    relationship = relationship_create(
        program=program,
        kind=RelationshipKind.ONE_TO_ONE,
        mentees=[mentee],
        mentors=[mentor],
        focus_area=focus_area,
        roles=roles,
        is_remote=mentee.institution_id != mentor.institution_id,
        source=RelationshipSource.MANUAL,
        by=by,
    )
    audit_record(
        actor=by,
        verb="matching.manual_assign",
        target=relationship,
        program=program,
        score=fit["score"],
        capacity_overridden=override_capacity and "no_capacity" in fit["excluded"],
    )
    return relationship


# --- bulk runs --------------------------------------------------------------------------------


@transaction.atomic
def match_run_start(
    *,
    program: Program,
    mode: str,
    cohort: Cohort | None = None,
    maximise_matched_first: bool = False,
    areas: Iterable[NeedArea] = (),
    by: Any,
) -> MatchRun:
    if mode not in RunMode.values:
        raise MatchingError(f"Unknown way of matching “{mode}”.")
    if cohort is not None and cohort.program_id != program.pk:
        raise MatchingError("That cohort belongs to another program.")
    areas = list(areas)
    if mode == RunMode.MOSAIC and not areas:
        raise MatchingError("Choose the need areas each mentee's board should cover.")
    run = MatchRun.objects.create(
        program=program,
        heartbeat_at=timezone.now(),
        cohort=cohort,
        mode=mode,
        maximise_matched_first=maximise_matched_first,
        weights=program_weights(program),
        created_by=by,
        progress_message="Waiting for a worker…",
    )
    run.areas.set(areas)
    audit_record(actor=by, verb="matching.run_start", target=run, program=program, mode=mode)
    from matching.tasks import execute_match_run

    enqueue_on_commit(execute_match_run, run.pk)
    return run


def match_run_progress(run: MatchRun, percent: int, message: str) -> None:
    """Record progress in its own short write so the page polling it sees it at once; a run
    that is no longer running (stopped by a director) ends here."""
    updated = MatchRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
        progress=percent, progress_message=message, heartbeat_at=timezone.now()
    )
    if not updated:
        raise JobStopped


def match_run_execute(*, run_id: int) -> MatchRun:
    """The background job: read the cohort, score, solve, store suggestions. Idempotent: a run
    that finished, or that a live worker is running, is left alone, so a redelivered task does
    nothing; a run whose worker died (stale heartbeat) starts again."""
    from matching.runs import solve_run

    with transaction.atomic():
        run = (
            MatchRun.objects.select_for_update()
            .filter(pk=run_id)
            .filter(
                Q(status=RunStatus.QUEUED)
                | Q(status=RunStatus.RUNNING, heartbeat_at__lt=stale_before())
            )
            .first()
        )
        if run is None:
            return MatchRun.objects.filter(pk=run_id).first()
        run.status, run.started_at, run.heartbeat_at = (
            RunStatus.RUNNING,
            timezone.now(),
            timezone.now(),
        )
        run.starts += 1
        run.save(update_fields=["status", "started_at", "heartbeat_at", "starts"])
    try:
        with heartbeat(MatchRun, run.pk, running_status=RunStatus.RUNNING):
            outcome = solve_run(run, progress=lambda p, m: match_run_progress(run, p, m))
    except JobStopped:
        run.refresh_from_db()
        return run
    except Exception as e:
        logger.exception("Match run %s failed", run.pk)
        MatchRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED, error=str(e)[:2000], finished_at=timezone.now()
        )
        raise
    with transaction.atomic():
        finished = MatchRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            status=RunStatus.READY,
            progress=100,
            progress_message="Ready for review",
            summary=outcome.summary,
            finished_at=timezone.now(),
        )
        if finished:  # not stopped meanwhile
            MatchSuggestion.objects.filter(run=run).delete()
            MatchSuggestion.objects.bulk_create(outcome.suggestions, batch_size=2000)
    run.refresh_from_db()
    return run


@transaction.atomic
def match_run_stop(*, run: MatchRun, by: Any) -> MatchRun:
    """A director stops a run that is waiting or running; nothing it computed is kept."""
    stopped = MatchRun.objects.filter(
        pk=run.pk, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
    ).update(
        status=RunStatus.STOPPED,
        progress_message="Stopped at your request.",
        finished_at=timezone.now(),
    )
    if not stopped:
        raise ValidationError("This run has already finished.")
    audit_record(actor=by, verb="matching.run_stop", target=run, program=run.program)
    run.refresh_from_db()
    return run


@transaction.atomic
def match_run_retry(*, run: MatchRun, by: Any) -> MatchRun:
    """Run a failed or stopped proposal again with the same settings."""
    retried = MatchRun.objects.filter(
        pk=run.pk, status__in=[RunStatus.FAILED, RunStatus.STOPPED]
    ).update(
        status=RunStatus.QUEUED,
        progress=0,
        progress_message="Waiting for a worker…",
        error="",
        starts=0,
        finished_at=None,
        heartbeat_at=timezone.now(),
    )
    if not retried:
        raise ValidationError("Only a failed or stopped run can be tried again.")
    audit_record(actor=by, verb="matching.run_retry", target=run, program=run.program)
    from matching.tasks import execute_match_run

    enqueue_on_commit(execute_match_run, run.pk)
    run.refresh_from_db()
    return run


def match_runs_sweep() -> dict[str, int]:
    """Runs nobody picked up are queued again; runs whose worker died start again (or fail,
    saying why, after several tries); nothing stays 'Running 55 %' for good."""
    from matching.tasks import execute_match_run

    result = {"requeued": 0, "restarted": 0, "failed": 0}
    now = timezone.now()
    dead = MatchRun.objects.filter(status=RunStatus.RUNNING, heartbeat_at__lt=stale_before())
    result["failed"] += dead.filter(starts__gte=settings.MENTORSHIP_JOB_MAX_STARTS).update(
        status=RunStatus.FAILED,
        error="The worker running it stopped several times. Try again, or ask an admin.",
        finished_at=now,
    )
    restart = list(dead.values_list("pk", flat=True))
    result["restarted"] = MatchRun.objects.filter(pk__in=restart).update(
        status=RunStatus.QUEUED,
        heartbeat_at=now,
        progress_message="The worker stopped; starting again…",
    )
    waiting = MatchRun.objects.filter(status=RunStatus.QUEUED, heartbeat_at__lt=requeue_before())
    result["failed"] += waiting.filter(created_at__lt=given_up_before()).update(
        status=RunStatus.FAILED,
        error="No background worker was available to run it. Try again.",
        finished_at=now,
    )
    requeue = list(waiting.values_list("pk", flat=True))
    MatchRun.objects.filter(pk__in=requeue).update(heartbeat_at=now)
    result["requeued"] = len(requeue)
    for run_id in [*restart, *requeue]:
        if not enqueue(execute_match_run, run_id):
            break
    return result


def _editable(run: MatchRun) -> None:
    if run.status != RunStatus.READY:
        raise MatchingError("Only a proposal that is ready and not yet published can be changed.")


@transaction.atomic
def suggestion_remove(*, suggestion: MatchSuggestion, by: Any) -> MatchSuggestion:
    _editable(suggestion.run)
    suggestion.status = SuggestionStatus.REMOVED
    suggestion.edited_by = by
    suggestion.save(update_fields=["status", "edited_by"])
    audit_record(
        actor=by,
        verb="matching.suggestion_remove",
        target=suggestion,
        program=suggestion.run.program,
    )
    return suggestion


@transaction.atomic
def suggestion_restore(*, suggestion: MatchSuggestion, by: Any) -> MatchSuggestion:
    _editable(suggestion.run)
    suggestion.status = SuggestionStatus.PROPOSED
    suggestion.edited_by = by
    suggestion.save(update_fields=["status", "edited_by"])
    return suggestion


@transaction.atomic
def suggestion_change_mentor(
    *, suggestion: MatchSuggestion, mentor: FacultyProfile, by: Any
) -> MatchSuggestion:
    """Swap in another mentor, re-scored and checked against exclusions and capacity within
    this proposal (the mentor's other proposed mentees count)."""
    run = MatchRun.objects.select_for_update().get(pk=suggestion.run_id)
    _editable(run)
    if run.mode not in (RunMode.ONE_TO_ONE, RunMode.MOSAIC):
        raise MatchingError(
            "In peer matching, remove the suggestion instead and pair them by hand."
        )
    program = run.program
    fit = pair_fit(program=program, mentee=suggestion.mentee, mentor=mentor)
    if fit["excluded"]:
        raise MatchingError(
            f"{mentor.display_name} cannot mentor {suggestion.mentee.display_name}: "
            f"{exclusion_sentence(fit['excluded'])}."
        )
    membership = Membership.objects.get(program=program, person=mentor)
    proposed = (
        run.suggestions.filter(mentor=mentor, status=SuggestionStatus.PROPOSED)
        .exclude(pk=suggestion.pk)
        .count()
    )
    taken = open_guiding_count(program=program, person=mentor)
    if taken + proposed >= membership.mentor_capacity:
        raise MatchingError(
            f"{mentor.display_name} would be over capacity: {taken} current and {proposed} proposed "
            f"mentees, for {membership.mentor_capacity} places."
        )
    if (
        run.mode == RunMode.MOSAIC
        and run.suggestions.filter(
            mentee=suggestion.mentee, mentor=mentor, status=SuggestionStatus.PROPOSED
        )
        .exclude(pk=suggestion.pk)
        .exists()
    ):
        raise MatchingError(f"{mentor.display_name} is already on this mentee's board.")
    suggestion.mentor = mentor
    suggestion.score = fit["score"]
    suggestion.breakdown = fit["breakdown"]
    suggestion.edited_by = by
    suggestion.status = SuggestionStatus.PROPOSED
    suggestion.save(update_fields=["mentor", "score", "breakdown", "edited_by", "status"])
    audit_record(actor=by, verb="matching.suggestion_change", target=suggestion, program=program)
    return suggestion


@transaction.atomic
def match_run_publish(*, run: MatchRun, by: Any) -> list[Relationship]:
    """Create the relationships (in their pilot) and tell everyone. All or nothing: if any pair
    is no longer possible (someone left, a mentor filled up), nothing is published and the
    director is told which pair to fix."""
    run = MatchRun.objects.select_for_update().get(pk=run.pk)
    _editable(run)
    suggestions = list(
        run.suggestions.filter(status=SuggestionStatus.PROPOSED).select_related(
            "mentee", "mentor", "area"
        )
    )
    if not suggestions:
        raise MatchingError("There is nothing to publish: every suggestion was removed.")
    relationships = []
    kind = {
        RunMode.ONE_TO_ONE: RelationshipKind.ONE_TO_ONE,
        RunMode.MOSAIC: RelationshipKind.ONE_TO_ONE,
        RunMode.PEER: RelationshipKind.PEER,
        RunMode.PEER_GROUPS: RelationshipKind.FACILITATED_GROUP,
    }[RunMode(run.mode)]
    for members in _publish_units(run, suggestions):
        try:
            relationship = _publish_one(run, kind, members, by)
        except ValidationError as e:
            names = ", ".join(s.mentee.display_name for s in members)
            raise MatchingError(
                f"Could not publish the pairing of {names}: {' '.join(e.messages)} "
                "Change or remove that suggestion and publish again."
            ) from None
        relationships.append(relationship)
    run.status, run.published_at, run.published_by = RunStatus.PUBLISHED, timezone.now(), by
    run.save(update_fields=["status", "published_at", "published_by"])
    audit_record(
        actor=by,
        verb="matching.run_publish",
        target=run,
        program=run.program,
        relationships=len(relationships),
    )
    return relationships


def _publish_units(
    run: MatchRun, suggestions: list[MatchSuggestion]
) -> list[list[MatchSuggestion]]:
    if run.mode != RunMode.PEER_GROUPS:
        return [[s] for s in suggestions]
    groups: dict[int, list[MatchSuggestion]] = {}
    for s in suggestions:
        groups.setdefault(s.group or 0, []).append(s)
    return list(groups.values())


def _publish_one(run: MatchRun, kind: str, members: list[MatchSuggestion], by: Any) -> Relationship:
    program, first = run.program, members[0]
    if run.mode == RunMode.PEER_GROUPS:
        facilitator = first.mentor
        return relationship_create(
            program=program,
            kind=kind,
            mentees=[s.mentee for s in members],
            facilitator=facilitator,
            source=RelationshipSource.MATCH_RUN,
            cohort=run.cohort,
            by=by,
        )
    if run.mode == RunMode.ONE_TO_ONE or run.mode == RunMode.MOSAIC:
        taken = open_guiding_count(program=program, person=first.mentor)
        capacity = Membership.objects.get(program=program, person=first.mentor).mentor_capacity
        if taken >= capacity:
            raise ValidationError(f"{first.mentor.display_name} has no place left.")
    return relationship_create(
        program=program,
        kind=kind,
        mentees=[first.mentee],
        mentors=[first.mentor],
        focus_area=first.area,
        is_remote=first.mentee.institution_id != first.mentor.institution_id,
        source=RelationshipSource.MATCH_RUN,
        cohort=run.cohort,
        by=by,
    )


@transaction.atomic
def match_run_discard(*, run: MatchRun, by: Any) -> MatchRun:
    run = MatchRun.objects.select_for_update().get(pk=run.pk)
    if run.status == RunStatus.PUBLISHED:
        raise MatchingError("A published proposal cannot be discarded.")
    run.status = RunStatus.DISCARDED
    run.save(update_fields=["status"])
    audit_record(actor=by, verb="matching.run_discard", target=run, program=run.program)
    return run


def unmatched_reason_words(code: str) -> str:
    return {
        "no_eligible_mentor": "no mentor in the program may be paired with them",
        "capacity_exhausted": "every suitable mentor is full",
        "zero_score_only": "the only mentors with room are no fit at all",
        "already_on_board": "the only mentors with room are already on their board",
        "no_eligible_peer": "no peer may be paired with them",
        "not_paired": "every suitable peer was paired with a closer fit (or an odd number)",
        "too_few_mentees": "too few mentees to form a group",
        "no_compatible_group": "no group could take them",
        "no_self_evaluation": "has not submitted a self-evaluation (matched on profile only)",
    }.get(code, code)
