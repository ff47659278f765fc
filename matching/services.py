"""Every write of the matching engine: weights, conflicts and pair rules, mentee requests, manual
assignment and bulk-matching runs. The only module of `matching` that touches the database for
writing; scoring and solvers stay pure.

Concurrency: accepting a request locks the mentor's and the mentee's memberships (in a fixed
order, so two acceptances cannot deadlock) and counts open relationships under those locks, so two
acceptances at once can neither over-fill a mentor nor give a mentee two mentors for one need."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from matching.engine.features import ExclusionReason
from matching.engine.scoring import exclusion_reasons, score_pairs, validate_weights
from matching.explanations import explain_pairs, group_breakdown
from matching.models import (
    GROUP_MODES,
    ConflictOfInterest,
    MatchRun,
    MatchSettings,
    MatchSuggestion,
    MentorMark,
    MentorRequest,
    PairRule,
    PairRuleKind,
    RequestKind,
    RequestStatus,
    RunMode,
    RunStatus,
    ShortlistMark,
    SuggestionStatus,
)
from matching.sources import _open_guiding_counts, load_problem
from mentorship.accounts.models import User
from mentorship.jobs import JobRows, JobStopped, heartbeat
from mentorship.notifications.kinds import Kind
from mentorship.notifications.services import Planned, notifications_send_soon
from mentorship.queue import enqueue, enqueue_on_commit
from programs.access import can_direct
from programs.models import (
    MENTEE_ROLES,
    Cohort,
    FacultyProfile,
    Invitation,
    Membership,
    MemberSide,
    NeedArea,
    Program,
    Relationship,
    RelationshipKind,
    RelationshipSource,
)
from programs.services.audit import audit_record
from programs.services.invitations import (
    INVITATION_DAYS,
    faculty_invite,
    institution_for_domain,
    invitation_revoke,
)
from programs.services.pairing import (
    NO_OVERRIDES,
    Overrides,
    PairingBatch,
    PairingRefused,
    Proposed,
    Reason,
    Rule,
    pairing_reasons,
    pairing_require,
)
from programs.services.relationships import proposed_relationship, relationship_create

logger = logging.getLogger(__name__)
match_runs = JobRows(MatchRun)

DECLINE_DEFAULT = (
    "Thank you for thinking of me. I'm not able to take this on right now, and I hope you find "
    "a great fit — the program can suggest other mentors."
)
EXCLUSION_WORDS: dict[str, str] = {
    ExclusionReason.SELF: "the same person",
    ExclusionReason.REPORTING_LINE: "in the mentee's reporting line (holds authority over them)",
    ExclusionReason.CONFLICT_OF_INTEREST: "a declared conflict of interest",
    ExclusionReason.ENDED_BEFORE: "a relationship between them ended before",
    ExclusionReason.FORBIDDEN: "a director forbade this pair",
    ExclusionReason.NO_CAPACITY: "at capacity, paused or not taking mentees",
    ExclusionReason.NO_REMOTE: "does not mentor remotely and works elsewhere",
    ExclusionReason.UNTRAINED: "has not completed the mentor training the program requires",
}


class MatchingError(ValidationError):
    """A matching action that cannot be done, in words for the person who tried."""


# --- settings, conflicts, rules ---------------------------------------------------------------


def program_weights(program: Program) -> dict[str, float]:
    settings_row = MatchSettings.objects.filter(program=program).first()
    return validate_weights(settings_row.weights if settings_row else None)


@transaction.atomic
def weights_update(*, program: Program, weights: Mapping[str, float], by: User) -> MatchSettings:
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
    *, person: FacultyProfile, other: FacultyProfile, by: User, note: str = ""
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
    by: User,
    note: str = "",
) -> PairRule:
    if kind not in PairRuleKind.values:
        raise MatchingError(f"Unknown rule “{kind}”.")
    opposite: dict[str, str] = {
        PairRuleKind.PIN: PairRuleKind.FORBID,
        PairRuleKind.FORBID: PairRuleKind.PIN,
    }
    if kind in opposite:
        PairRule.objects.filter(
            program=program,
            mentee=mentee,
            mentor=mentor,
            kind=opposite[kind],
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
def pair_rule_remove(*, rule: PairRule, by: User) -> None:
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
        "breakdown": explain_pairs(
            problem, [(0, 0)], program_weights(program), about_the_mentee=True
        )[0],
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
    kind: str = RequestKind.MENTOR,
    by: User,
) -> MentorRequest:
    """A mentee asks a mentor of the program; with `kind` peer, a participant proposes to
    another participant that they pair as peers (both give and receive)."""
    if kind not in (RequestKind.MENTOR, RequestKind.PEER):
        raise MatchingError("Outside mentors are invited from your board.")
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
    if kind == RequestKind.PEER:
        return _peer_proposal_send(
            program=program, proposer=mentee, peer=mentor, message=message, area=focus_area, by=by
        )
    fit = pair_fit(program=program, mentee=mentee, mentor=mentor)
    refused = pairing_reasons(_one_to_one(program, mentee, mentor, focus_area, "request"))
    if fit["excluded"] or refused:
        # The reason may be confidential (a conflict, a reporting line): say only that it is not
        # possible, and log the reason for directors.
        logger.info(
            "Request %s→%s refused: %s",
            mentee.pk,
            mentor.pk,
            fit["excluded"] or [r.code for r in refused],
        )
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


def _peer_proposal_send(
    *,
    program: Program,
    proposer: FacultyProfile,
    peer: FacultyProfile,
    message: str,
    area: NeedArea | None,
    by: User,
) -> MentorRequest:
    """A proposal to pair as peers. A proposal the other already sent is answered, not mirrored;
    the gate checks the pair as peers (both directions) before anyone is asked."""
    _membership(program, peer, MENTEE_ROLES)
    waiting = MentorRequest.objects.filter(
        program=program, mentee=peer, mentor=proposer, status=RequestStatus.PENDING
    ).exists()
    if waiting:
        raise MatchingError(
            f"{peer.display_name} has already proposed pairing with you: answer their proposal."
        )
    refused = pairing_reasons(_peer_pair(program, proposer, peer, area))
    if refused:
        # As for mentor requests: the reason may be confidential, so say only that it is not
        # possible, and log the reason for directors.
        logger.info(
            "Peer proposal %s→%s refused: %s", proposer.pk, peer.pk, [r.code for r in refused]
        )
        raise MatchingError(
            f"You cannot pair with {peer.display_name} in {program.name} right now. "
            "Please choose another peer from your list."
        )
    request = MentorRequest.objects.create(
        program=program,
        mentee=proposer,
        mentor=peer,
        kind=RequestKind.PEER,
        focus_area=area,
        message=message,
        is_remote=proposer.institution_id != peer.institution_id,
        expires_at=timezone.now() + timedelta(days=program.request_expiry_days),
    )
    audit_record(actor=by, verb="matching.peer_propose", target=request, program=program)
    _notify_request(request, "received", recipient=peer)
    return request


def _peer_pair(
    program: Program, a: FacultyProfile, b: FacultyProfile, area: NeedArea | None
) -> Proposed:
    return Proposed(
        program=program,
        kind=RelationshipKind.PEER,
        sides=[(a, MemberSide.PEER), (b, MemberSide.PEER)],
        focus_area=area,
        source=RelationshipSource.REQUEST,
    )


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
    return _open_guiding_counts(program, [person.pk]).get(person.pk, 0)


@transaction.atomic
def request_accept(*, request: MentorRequest, by: User, message: str = "") -> Relationship:
    request = _lock_request(request)
    _refuse_unless_pending(request)
    program, mentee, mentor = request.program, request.mentee, request.mentor
    if mentor.user_id != getattr(by, "pk", None):
        raise MatchingError("Only the person who was asked can accept.")
    # The gate locks both memberships in id order: concurrent acceptances queue there.
    try:
        relationship = relationship_create(
            program=program,
            kind=RelationshipKind.PEER if request.is_peer else RelationshipKind.ONE_TO_ONE,
            mentees=[mentee],
            mentors=[mentor],
            focus_area=request.focus_area,
            roles=request.roles,
            is_remote=request.is_remote or mentee.institution_id != mentor.institution_id,
            source=RelationshipSource.OUTSIDE if request.is_outside else RelationshipSource.REQUEST,
            by=by,
        )
    except PairingRefused as e:
        raise MatchingError(_to_the_mentor(e.reasons, request)) from None
    request.status = RequestStatus.ACCEPTED
    request.responded_at = timezone.now()
    request.response_message = message
    request.relationship = relationship
    request.save(update_fields=["status", "responded_at", "response_message", "relationship"])
    audit_record(actor=by, verb="matching.request_accept", target=request, program=program)
    _notify_request(request, "accepted", recipient=mentee)
    if request.focus_area_id and not request.is_peer:
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


def _to_the_mentor(reasons: list[Reason], request: MentorRequest) -> str:
    """The gate's reasons in the accepting mentor's words. Confidential ones (a conflict, a
    director's rule, a reporting line) are not spelled out: the directors can explain."""
    program, mentee = request.program, request.mentee
    words = []
    for r in reasons:
        if r.code == Rule.PAUSED:
            words.append(
                "Your participation is paused. Ask the program team to resume it before accepting."
            )
        elif r.code == Rule.NOT_ACCEPTING:
            words.append("You are not taking new mentees; change that on “What I offer” first.")
        elif r.code == Rule.CAPACITY:
            words.append(
                f"You already mentor {r.data['load']} of your {r.data['capacity']} places in "
                f"{program.name}. Raise your capacity on “What I offer”, or decline this request."
            )
        elif r.code == Rule.NOT_MENTOR:
            words.append(f"You are no longer a mentor in {program.name}.")
        elif r.code == Rule.UNTRAINED:
            words.append(
                f"{program.name} asks mentors for {r.data['required']} hours of its mentor "
                f"training before taking mentees; you have {r.data['hours']:g} recorded. Your "
                "program directors can tell you about the next session."
            )
        elif r.code in (Rule.AREA_COVERED, Rule.ONE_MENTOR, Rule.ALREADY_ON_BOARD):
            area = f" for {request.focus_area.name}" if request.focus_area else ""
            words.append(
                f"{mentee.display_name} has just been matched with another mentor{area}. "
                "The request is closed."
            )
        else:
            words.append(
                f"This pairing is not possible in {program.name}; the program's directors can "
                "explain."
            )
    return " ".join(dict.fromkeys(words))


@transaction.atomic
def request_decline(*, request: MentorRequest, by: User, message: str = "") -> MentorRequest:
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
def request_withdraw(*, request: MentorRequest, by: User) -> MentorRequest:
    """The person who asked withdraws; an outside mentor's invitation may also be withdrawn by
    the program's directors. An invitation to an account never used is withdrawn with it."""
    request = _lock_request(request)
    _refuse_unless_pending(request)
    asked = request.mentee.user_id == getattr(by, "pk", None)
    if not asked and not (request.is_outside and can_direct(by, request.program_id)):
        raise MatchingError("Only the person who asked can withdraw this request.")
    request.status = RequestStatus.WITHDRAWN
    request.responded_at = timezone.now()
    request.save(update_fields=["status", "responded_at"])
    audit_record(
        actor=by, verb="matching.request_withdraw", target=request, program=request.program
    )
    if request.is_outside:
        _withdraw_account_invitation(request, by=by)
    return request


def _withdraw_account_invitation(request: MentorRequest, *, by: User) -> None:
    """An outside mentor who never set up their account loses the link to it with the
    request (unless another of their invitations still waits)."""
    others = MentorRequest.objects.filter(
        mentor=request.mentor, kind=RequestKind.OUTSIDE, status=RequestStatus.PENDING
    ).exclude(pk=request.pk)
    if others.exists():
        return
    for invitation in Invitation.objects.filter(
        person=request.mentor, accepted_at__isnull=True, revoked_at__isnull=True
    ):
        invitation_revoke(invitation=invitation, by=by)


# --- outside mentors ------------------------------------------------------------------------


@transaction.atomic
def outside_mentor_invite(
    *,
    program: Program,
    mentee: FacultyProfile,
    email: str,
    given_name: str,
    family_name: str,
    organisation: str = "",
    focus_area: NeedArea | None = None,
    roles: Iterable[str] = (),
    is_remote: bool = True,
    message: str = "",
    by: User,
) -> MentorRequest:
    """A mentee invites a mentor they found themselves (often at another institution), so their
    whole board lives in one place. Nothing starts until the mentor agrees: this is a pending
    request (visible to the mentee and the program's directors, who may withdraw it); accepting
    it starts the relationship and its pilot. Someone without an account receives an account
    invitation that says who asks, for which need and in which program; someone with one is
    emailed the request. They do not join the program's mentor pool."""
    email = User.objects.normalize_email(email).lower()
    if email == mentee.user.email.lower():
        raise ValidationError({"email": "That is your own email address."})
    membership = Membership.objects.filter(program=program, person=mentee).first()
    if membership is None or not membership.is_mentee:
        raise ValidationError({"program": f"You are not a mentee in {program.name}."})
    existing = FacultyProfile.objects.filter(user__email__iexact=email).first()
    if existing is not None:
        pending = MentorRequest.objects.filter(
            program=program, mentee=mentee, mentor=existing, status=RequestStatus.PENDING
        )
        if pending.exists():
            raise ValidationError(
                {"email": f"You have already invited {existing.display_name}; they will answer."}
            )
        # The gate's reasons are for the mentee here (like a director's form): the pair and
        # the mentee are theirs to know.
        pairing_require(_one_to_one(program, mentee, existing, focus_area, "outside"))
    message = message.strip() or (
        f"{mentee.display_name} would like you on their board of mentors in {program.name}."
    )
    result = faculty_invite(
        email=email,
        given_name=given_name,
        family_name=family_name,
        institution=institution_for_domain(email),
        program=program,
        message=message,
        by=by,
        location=organisation[:120],
    )
    mentor = result.person
    if result.created and mentor.institution_id and not institution_for_domain(email):
        # faculty_invite falls back to the home institution; an outside mentor is not from it.
        mentor.institution = None
        mentor.save(update_fields=["institution"])
    if existing is None:
        pairing_require(_one_to_one(program, mentee, mentor, focus_area, "outside"))
    request = MentorRequest.objects.create(
        program=program,
        mentee=mentee,
        mentor=mentor,
        kind=RequestKind.OUTSIDE,
        focus_area=focus_area,
        message=message,
        roles=list(dict.fromkeys(roles)),
        is_remote=is_remote,
        expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
    )
    audit_record(actor=by, verb="matching.outside_invite", target=request, program=program)
    if not result.created:
        # A new person's account invitation carries the request; others are emailed it.
        _notify_request(request, "received", recipient=mentor)
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
    overrides: Overrides = NO_OVERRIDES,
    rematch_of: Relationship | None = None,
    by: User,
) -> Relationship:
    """A director pairs two people after seeing their fit (or rematches a mentee whose
    relationship ended). Every hard rule applies through the pairing gate; a rule that may be
    set aside is set aside only deliberately, one rule at a time, with a why (`overrides`)."""
    fit = pair_fit(program=program, mentee=mentee, mentor=mentor)
    relationship = relationship_create(
        program=program,
        kind=RelationshipKind.ONE_TO_ONE,
        mentees=[mentee],
        mentors=[mentor],
        focus_area=focus_area,
        roles=roles,
        is_remote=mentee.institution_id != mentor.institution_id,
        source=RelationshipSource.MANUAL,
        overrides=overrides,
        by=by,
    )
    audit_record(
        actor=by,
        verb="matching.manual_assign",
        target=relationship,
        program=program,
        score=fit["score"],
        overridden=sorted(overrides.rules),
        rematch_of=rematch_of.pk if rematch_of else None,
    )
    return relationship


def _one_to_one(
    program: Program,
    mentee: FacultyProfile,
    mentor: FacultyProfile,
    area: NeedArea | None,
    source: str,
) -> Proposed:
    return Proposed(
        program=program,
        kind=RelationshipKind.ONE_TO_ONE,
        sides=[(mentee, MemberSide.MENTEE), (mentor, MemberSide.MENTOR)],
        focus_area=area,
        source=source,
    )


# --- bulk runs --------------------------------------------------------------------------------


@transaction.atomic
def match_run_start(
    *,
    program: Program,
    mode: str,
    cohort: Cohort | None = None,
    maximise_matched_first: bool = False,
    areas: Iterable[NeedArea] = (),
    by: User,
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
    match_runs.progress(run.pk, progress=percent, progress_message=message)


def match_run_execute(*, run_id: int) -> MatchRun | None:
    """The background job: read the cohort, score, solve, store suggestions. Idempotent: a run
    that finished, or that a live worker is running, is left alone, so a redelivered task does
    nothing; a run whose worker died (stale heartbeat) starts again."""
    from matching.runs import solve_run

    if not match_runs.claim(run_id, started_at=timezone.now()):
        return MatchRun.objects.filter(pk=run_id).first()
    run = MatchRun.objects.get(pk=run_id)
    try:
        with heartbeat(MatchRun, run.pk, running_status=RunStatus.RUNNING):
            outcome = solve_run(run, progress=lambda p, m: match_run_progress(run, p, m))
    except JobStopped:
        run.refresh_from_db()
        return run
    except Exception as e:
        logger.exception("Match run %s failed", run.pk)
        match_runs.fail(run.pk, error=str(e)[:2000])
        raise
    with transaction.atomic():
        finished = match_runs.finish(
            run.pk, progress_message="Ready for review", summary=outcome.summary
        )
        if finished:  # not stopped meanwhile
            MatchSuggestion.objects.filter(run=run).delete()
            MatchSuggestion.objects.bulk_create(outcome.suggestions, batch_size=2000)
    run.refresh_from_db()
    return run


@transaction.atomic
def match_run_stop(*, run: MatchRun, by: User) -> MatchRun:
    """A director stops a run that is waiting or running; nothing it computed is kept."""
    if not match_runs.stop(run.pk, progress_message="Stopped at your request."):
        raise ValidationError("This run has already finished.")
    audit_record(actor=by, verb="matching.run_stop", target=run, program=run.program)
    run.refresh_from_db()
    return run


@transaction.atomic
def match_run_retry(*, run: MatchRun, by: User) -> MatchRun:
    """Run a failed or stopped proposal again with the same settings."""
    if not match_runs.retry(run.pk, progress_message="Waiting for a worker…"):
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

    return match_runs.sweep(
        enqueue=lambda run_id: enqueue(execute_match_run, run_id),
        died_error="The worker running it stopped several times. Try again, or ask an admin.",
        unpicked_error="No background worker was available to run it. Try again.",
        progress_message="The worker stopped; starting again…",
    )


def _editable(run: MatchRun) -> None:
    if run.status != RunStatus.READY:
        raise MatchingError("Only a proposal that is ready and not yet published can be changed.")


@transaction.atomic
def suggestion_remove(*, suggestion: MatchSuggestion, by: User) -> MatchSuggestion:
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
def suggestion_restore(*, suggestion: MatchSuggestion, by: User) -> MatchSuggestion:
    _editable(suggestion.run)
    suggestion.status = SuggestionStatus.PROPOSED
    suggestion.edited_by = by
    suggestion.save(update_fields=["status", "edited_by"])
    return suggestion


@transaction.atomic
def suggestion_change_mentor(
    *, suggestion: MatchSuggestion, mentor: FacultyProfile, by: User
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
    refused = pairing_reasons(
        _one_to_one(
            program, suggestion.mentee, mentor, suggestion.area, RelationshipSource.MATCH_RUN
        )
    )
    if refused:
        raise MatchingError(" ".join(r.message for r in refused))
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


# --- editing the groups of a proposal ---------------------------------------------------------


def _group_members(run: MatchRun, group: int) -> list[MatchSuggestion]:
    return list(
        run.suggestions.filter(group=group, status=SuggestionStatus.PROPOSED)
        .select_related("mentee__user", "mentor__user")
        .order_by("pk")
    )


def _check_group(
    run: MatchRun, group: int, members: list[MatchSuggestion], *, leaving: int | None = None
) -> None:
    """The pairing gate on one edited group, with the proposal's other groups counted first
    (their facilitators' places, who is a member or a facilitator elsewhere in it); `leaving`
    is the suggestion moving out of its group."""
    rest = [s for s in _proposed_suggestions(run) if s.pk != leaving]
    others = [unit for unit in _publish_units(run, rest) if unit[0].group != group]
    people = {p.pk: p for s in members for p in (s.mentee, s.mentor) if p is not None}
    people.update({p.pk: p for u in others for s in u for p in (s.mentee, s.mentor) if p})
    batch = PairingBatch(program=run.program, people=people.values())
    for unit in others:
        try:
            batch.take(_unit(run, unit))
        except ValidationError:
            continue  # a group still being edited (too small) takes nothing yet
    try:
        proposed = _unit(run, members)
    except ValidationError as e:
        raise MatchingError(" ".join(e.messages)) from e
    reasons = batch.check(proposed)
    if reasons:
        raise MatchingError(_group_reasons_words(reasons, people, run.program))


def _group_reasons_words(
    reasons: list[Reason], people: dict[int, FacultyProfile], program: Program
) -> str:
    """The gate's reasons for a group, the seniority ones said once per facilitator with every
    member they are not senior to (one sentence rather than one per member)."""
    juniors: dict[int, list[str]] = {}
    said: list[str] = []
    for r in reasons:
        if r.code == Rule.NOT_SENIOR:
            juniors.setdefault(r.partner_id, []).append(people[r.mentee_id].display_name)
        elif r.message not in said:
            said.append(r.message)
    gap = program.facilitator_rank_gap
    for facilitator, names in juniors.items():
        said.insert(
            0,
            f"{people[facilitator].display_name} is not senior enough to facilitate "
            f"{_names(names)}: {program.name} asks for a facilitator {gap} "
            f"rank{'s' if gap != 1 else ''} above each member, or with "
            f"{program.facilitator_years_gap} more years on the faculty.",
        )
    return " ".join(said)


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _rescore_group(run: MatchRun, group: int) -> None:
    """A group's score and breakdown after an edit, stored on each member's row."""
    members = _group_members(run, group)
    if not members:
        return
    ids = sorted(s.mentee_id for s in members)
    problem = load_problem(
        program=run.program, mentee_ids=ids, peers=True, ignore_availability=True
    )
    index = problem.mentee_index()
    score, breakdown = group_breakdown(problem, [index[i] for i in ids if i in index], run.weights)
    for s in members:
        s.score, s.breakdown = score, breakdown
    MatchSuggestion.objects.bulk_update(members, ["score", "breakdown"])


@transaction.atomic
def group_member_move(*, suggestion: MatchSuggestion, group: int, by: User) -> MatchSuggestion:
    """Move one member of a proposed group into another group of the same proposal, through
    the pairing gate (the receiving group as it would be published). The group left behind may
    fall below the minimum size: it then cannot be published until it has enough members
    again, and publishing says so."""
    run = MatchRun.objects.select_for_update().get(pk=suggestion.run_id)
    _editable(run)
    if run.mode not in GROUP_MODES:
        raise MatchingError("Only the members of a group proposal can be moved between groups.")
    target = _group_members(run, group)
    if not target:
        raise MatchingError(f"There is no group {group} in this proposal.")
    if suggestion.group == group:
        raise MatchingError(f"{suggestion.mentee.display_name} is already in group {group}.")
    source = suggestion.group
    moved = MatchSuggestion(
        run=run, mentee=suggestion.mentee, mentor=target[0].mentor, group=group, score=0
    )
    _check_group(run, group, [*target, moved], leaving=suggestion.pk)
    suggestion.group, suggestion.mentor = group, target[0].mentor
    suggestion.status, suggestion.edited_by = SuggestionStatus.PROPOSED, by
    suggestion.save(update_fields=["group", "mentor", "status", "edited_by"])
    for number in (source, group):
        if number is not None:
            _rescore_group(run, number)
    audit_record(
        actor=by,
        verb="matching.group_member_move",
        target=suggestion,
        program=run.program,
        from_group=source,
        to_group=group,
    )
    suggestion.refresh_from_db()
    return suggestion


@transaction.atomic
def group_facilitator_change(
    *, run: MatchRun, group: int, facilitator: FacultyProfile, by: User
) -> list[MatchSuggestion]:
    """Give a proposed facilitated group another facilitator, through the pairing gate: senior
    enough to every member, eligible, with a place left once the proposal's other groups are
    counted, and not a member of another group of the proposal."""
    run = MatchRun.objects.select_for_update().get(pk=run.pk)
    _editable(run)
    if run.mode != RunMode.PEER_GROUPS:
        raise MatchingError("Only facilitated groups have a facilitator.")
    members = _group_members(run, group)
    if not members:
        raise MatchingError(f"There is no group {group} in this proposal.")
    for s in members:
        s.mentor = facilitator
    _check_group(run, group, members)
    for s in members:
        s.edited_by = by
    MatchSuggestion.objects.bulk_update(members, ["mentor", "edited_by"])
    audit_record(
        actor=by,
        verb="matching.group_facilitator_change",
        target=run,
        program=run.program,
        group=group,
        facilitator=facilitator.pk,
    )
    return members


@dataclass(frozen=True)
class Conflict:
    """Suggestions of a proposal (one, or a whole group) that can no longer be published."""

    suggestions: list[MatchSuggestion]
    reasons: list[Reason]

    @property
    def names(self) -> str:
        return ", ".join(s.mentee.display_name for s in self.suggestions)


class ProposalConflicts(MatchingError):
    """Publishing found conflicts; `conflicts` lists every one, found in one pass."""

    def __init__(self, conflicts: list[Conflict]) -> None:
        self.conflicts = conflicts
        n = sum(len(c.suggestions) for c in conflicts)
        super().__init__(
            f"{n} suggestion{'s' if n != 1 else ''} can no longer be published as proposed."
        )


RUN_KIND = {
    RunMode.ONE_TO_ONE: RelationshipKind.ONE_TO_ONE,
    RunMode.MOSAIC: RelationshipKind.ONE_TO_ONE,
    RunMode.PEER: RelationshipKind.PEER,
    RunMode.PEER_GROUPS: RelationshipKind.FACILITATED_GROUP,
    RunMode.MASTERMIND: RelationshipKind.PEER_GROUP,
}


def _proposed_suggestions(run: MatchRun) -> list[MatchSuggestion]:
    return list(
        run.suggestions.filter(status=SuggestionStatus.PROPOSED)
        .select_related("mentee", "mentor", "area")
        .order_by("group", "pk")
    )


def _unit(run: MatchRun, members: list[MatchSuggestion]) -> Proposed:
    first = members[0]
    kind = RUN_KIND[RunMode(run.mode)]
    if run.mode in GROUP_MODES:
        return proposed_relationship(
            program=run.program,
            kind=kind,
            mentees=[s.mentee for s in members],
            facilitator=first.mentor if run.mode == RunMode.PEER_GROUPS else None,
            source=RelationshipSource.MATCH_RUN,
        )
    # A one-to-one or mosaic suggestion always names its mentor (only group rows may not).
    assert first.mentor is not None
    return proposed_relationship(
        program=run.program,
        kind=kind,
        mentees=[first.mentee],
        mentors=[first.mentor],
        focus_area=first.area,
        source=RelationshipSource.MATCH_RUN,
    )


def proposal_conflicts(run: MatchRun) -> list[Conflict]:
    """Re-check every proposed suggestion against the current state, in one pass: the places
    and board seats earlier suggestions of this proposal take count for the later ones."""
    suggestions = _proposed_suggestions(run)
    units = _publish_units(run, suggestions)
    people = {p.pk: p for s in suggestions for p in (s.mentee, s.mentor) if p is not None}
    batch = PairingBatch(program=run.program, people=people.values())
    conflicts = []
    for members in units:
        try:
            unit = _unit(run, members)
        except ValidationError as e:  # a group that lost members no longer has a valid shape
            conflicts.append(Conflict(members, [_shape_reason(members, e)]))
            continue
        reasons = batch.check(unit)
        if reasons:
            conflicts.append(Conflict(members, reasons))
        else:
            batch.take(unit)
    return conflicts


def _shape_reason(members: list[MatchSuggestion], e: ValidationError) -> Reason:
    first = members[0]
    return Reason(
        "shape", " ".join(e.messages), first.mentee_id, first.mentor_id or first.mentee_id
    )


def proposal_staleness(run: MatchRun) -> list[str]:
    """What changed in the cohort since the proposal was computed, in words (empty: nothing)."""
    if run.status != RunStatus.READY:
        return []
    mentees = run.program.memberships.filter(role__in=MENTEE_ROLES)
    if run.cohort_id:
        mentees = mentees.filter(cohort_id=run.cohort_id)
    changes = []
    joined = mentees.filter(joined_at__gt=run.created_at).count()
    if joined:
        changes.append(
            f"{joined} mentee{'s' if joined != 1 else ''} joined "
            f"{'the cohort' if run.cohort_id else 'the program'} since this proposal was computed."
        )
    suggested = set(run.suggestions.values_list("mentee_id", flat=True))
    still = set(mentees.filter(person_id__in=suggested).values_list("person_id", flat=True))
    left = len(suggested - still)
    if left:
        changes.append(
            f"{left} suggested mentee{'s' if left != 1 else ''} no longer "
            f"{'take' if left != 1 else 'takes'} part."
        )
    newer = MatchRun.objects.filter(
        program=run.program_id,
        cohort=run.cohort_id,
        status__in=[RunStatus.READY, RunStatus.PUBLISHED],
        created_at__gt=run.created_at,
    ).count()
    if newer:
        changes.append("A newer proposal exists for the same cohort.")
    return changes


@transaction.atomic
def match_run_publish(
    *, run: MatchRun, by: User, drop_conflicting: bool = False
) -> list[Relationship]:
    """Create the relationships (in their pilot) and tell everyone. Every suggestion is first
    re-checked against the current state in one pass: if any conflict, nothing is published and
    every conflict is listed (`ProposalConflicts`) — or, with `drop_conflicting`, the conflicting
    suggestions are removed (audited) and the rest published. Older ready proposals for the same
    cohort are then marked superseded."""
    run = MatchRun.objects.select_for_update().get(pk=run.pk)
    _editable(run)
    conflicts = proposal_conflicts(run)
    if conflicts and not drop_conflicting:
        raise ProposalConflicts(conflicts)
    for conflict in conflicts:
        for suggestion in conflict.suggestions:
            suggestion.status = SuggestionStatus.REMOVED
            suggestion.edited_by = by
            suggestion.save(update_fields=["status", "edited_by"])
        audit_record(
            actor=by,
            verb="matching.suggestion_drop_conflict",
            target=run,
            program=run.program,
            suggestions=[s.pk for s in conflict.suggestions],
            rules=sorted({r.code for r in conflict.reasons}),
        )
    suggestions = _proposed_suggestions(run)
    if not suggestions:
        raise MatchingError("There is nothing to publish: every suggestion was removed.")
    relationships = []
    kind = RUN_KIND[RunMode(run.mode)]
    for members in _publish_units(run, suggestions):
        relationships.append(_publish_one(run, kind, members, by))
    run.status, run.published_at, run.published_by = RunStatus.PUBLISHED, timezone.now(), by
    run.save(update_fields=["status", "published_at", "published_by"])
    superseded = MatchRun.objects.filter(
        program=run.program_id,
        cohort=run.cohort_id,
        status=RunStatus.READY,
        created_at__lt=run.created_at,
    ).update(status=RunStatus.SUPERSEDED)
    audit_record(
        actor=by,
        verb="matching.run_publish",
        target=run,
        program=run.program,
        relationships=len(relationships),
        dropped=sum(len(c.suggestions) for c in conflicts),
        superseded=superseded,
    )
    return relationships


def _publish_units(
    run: MatchRun, suggestions: list[MatchSuggestion]
) -> list[list[MatchSuggestion]]:
    if run.mode not in GROUP_MODES:
        return [[s] for s in suggestions]
    groups: dict[int, list[MatchSuggestion]] = {}
    for s in suggestions:
        groups.setdefault(s.group or 0, []).append(s)
    return list(groups.values())


def _publish_one(
    run: MatchRun, kind: str, members: list[MatchSuggestion], by: User
) -> Relationship:
    program, first = run.program, members[0]
    if run.mode in GROUP_MODES:
        return relationship_create(
            program=program,
            kind=kind,
            mentees=[s.mentee for s in members],
            facilitator=first.mentor if run.mode == RunMode.PEER_GROUPS else None,
            source=RelationshipSource.MATCH_RUN,
            cohort=run.cohort,
            by=by,
        )
    mentor = first.mentor
    if mentor is None:  # a pair's suggestion always names its mentor
        raise MatchingError("This suggestion names no mentor.")
    return relationship_create(
        program=program,
        kind=kind,
        mentees=[first.mentee],
        mentors=[mentor],
        focus_area=first.area,
        is_remote=first.mentee.institution_id != mentor.institution_id,
        source=RelationshipSource.MATCH_RUN,
        cohort=run.cohort,
        by=by,
    )


@transaction.atomic
def match_run_discard(*, run: MatchRun, by: User) -> MatchRun:
    run = MatchRun.objects.select_for_update().get(pk=run.pk)
    if run.status == RunStatus.PUBLISHED:
        raise MatchingError("A published proposal cannot be discarded.")
    run.status = RunStatus.DISCARDED
    run.save(update_fields=["status"])
    audit_record(actor=by, verb="matching.run_discard", target=run, program=run.program)
    return run
