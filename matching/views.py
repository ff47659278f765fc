"""Matching pages: a mentee's shortlist and requests, a mentor's answers, and the director's
weights, rules, manual assignment, bulk proposals and fairness view."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from matching.explanations import unmatched_reason_words
from matching.forms import (
    AnswerForm,
    AssignForm,
    ChangeMentorForm,
    ChooseMenteeForm,
    DeclineForm,
    PairRuleForm,
    RequestForm,
    RunForm,
    ShortlistFilterForm,
    WeightsForm,
)
from matching.models import (
    GROUP_MODES,
    MatchRun,
    MentorRequest,
    PairRule,
    RequestKind,
    RequestStatus,
    RunMode,
    RunStatus,
    ShortlistMark,
    SuggestionStatus,
)
from matching.selectors import (
    ROTATION_BAND,
    fairness,
    mentor_options,
    pair_rules_of,
    peer_list_for,
    proposal_groups,
    publish_plan,
    requests_received,
    requests_sent,
    run_suggestions,
    runs_of,
    shortlist_for,
    waiting_requests,
)
from matching.services import (
    ProposalConflicts,
    conflict_declare,
    group_facilitator_change,
    group_member_move,
    manual_assign,
    match_run_discard,
    match_run_publish,
    match_run_retry,
    match_run_start,
    match_run_stop,
    mentor_mark,
    pair_fit,
    pair_rule_remove,
    pair_rule_set,
    program_weights,
    proposal_staleness,
    request_accept,
    request_decline,
    request_send,
    request_withdraw,
    suggestion_change_mentor,
    suggestion_remove,
    suggestion_restore,
    weights_update,
)
from mentorship.http import AuthenticatedHttpRequest
from mentorship.job_views import job_control
from mentorship.params import id_param, parse_int
from programs.access import (
    circles_open_to,
    get_match_run_for_director,
    get_mentee_membership,
    get_profile_for_user,
    get_program_for_director,
    get_request_for_mentor,
    get_request_for_user,
    get_request_for_withdrawal,
    get_suggestion_for_director,
)
from programs.domain.figures import SUPPRESSED
from programs.exports.charts import match_rate_charts
from programs.forms.programs import apply_errors
from programs.models import (
    MENTEE_ROLES,
    MENTOR_ROLES,
    FacultyProfile,
    Membership,
    MemberSide,
    Program,
    Relationship,
    RelationshipKind,
)
from programs.selectors.circles import circles_for_participant
from programs.services.pairing import (
    OVERRIDE_LABELS,
    Overrides,
    PairingBatch,
    Proposed,
    overridable_in,
)
from programs.services.people import profile_ensure
from programs.views.submissions import once_per_submission

# --- mentee -----------------------------------------------------------------------------------


def shortlist(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    membership = get_mentee_membership(request.user, pk)
    if not membership.program.offers_mentors:
        return redirect("matching:peers", pk=pk)  # a peer program: peers, not mentors
    form = ShortlistFilterForm(request.GET or None, program=membership.program)
    found = shortlist_for(membership=membership, filters=form.filters())
    cap = membership.program.max_pending_requests
    return render(
        request,
        "matching/shortlist.html",
        {
            "program": membership.program,
            "shortlist": found,
            "filter_form": form,
            "max_pending": cap,
            "at_request_cap": len(found.pending) >= cap,
            "rotation_band": ROTATION_BAND,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def _program_mentor(
    request: AuthenticatedHttpRequest, pk: int, mentor_pk: int
) -> tuple[Membership, FacultyProfile]:
    membership = get_mentee_membership(request.user, pk)
    mentor = get_object_or_404(
        FacultyProfile,
        pk=mentor_pk,
        memberships__program=membership.program,
        memberships__role__in=MENTOR_ROLES,
    )
    return membership, mentor


@require_POST
def mark(request: AuthenticatedHttpRequest, pk: int, mentor_pk: int) -> HttpResponse:
    membership, mentor = _program_mentor(request, pk, mentor_pk)
    value = request.POST.get("mark") or None
    if value not in (None, ShortlistMark.BOOKMARK, ShortlistMark.HIDDEN):
        value = None
    mentor_mark(program=membership.program, mentee=membership.person, mentor=mentor, mark=value)
    words: dict[str | None, str] = {
        ShortlistMark.BOOKMARK: f"Bookmarked {mentor.display_name}.",
        ShortlistMark.HIDDEN: f"{mentor.display_name} is hidden from your list.",
        None: f"{mentor.display_name} is back in your list as usual.",
    }
    messages.success(request, words[value])
    return redirect("matching:shortlist", pk=pk)


@once_per_submission
@require_POST
def declare_conflict(request: AuthenticatedHttpRequest, pk: int, mentor_pk: int) -> HttpResponse:
    membership, mentor = _program_mentor(request, pk, mentor_pk)
    conflict_declare(person=membership.person, other=mentor, by=request.user)
    messages.success(
        request,
        f"Noted, confidentially: you will not be matched with {mentor.display_name}. "
        "They are not told.",
    )
    return redirect("matching:shortlist", pk=pk)


@once_per_submission
@require_http_methods(["GET", "POST"])
def request_new(request: AuthenticatedHttpRequest, pk: int, mentor_pk: int) -> HttpResponse:
    membership, mentor = _program_mentor(request, pk, mentor_pk)
    program = membership.program
    fit = pair_fit(program=program, mentee=membership.person, mentor=mentor)
    form = RequestForm(request.POST or None)
    if _request_sent(
        request,
        form,
        membership=membership,
        mentor=mentor,
        kind=RequestKind.MENTOR,
        sent=f"Your request is on its way to {mentor.display_name}. You will hear back by email.",
    ):
        return redirect("matching:shortlist", pk=pk)
    return render(
        request,
        "matching/request_new.html",
        {"program": program, "mentor": mentor, "form": form, "fit": fit},
    )


def _request_sent(
    request: AuthenticatedHttpRequest,
    form: RequestForm,
    *,
    membership: Membership,
    mentor: FacultyProfile,
    kind: str,
    sent: str,
) -> bool:
    """Send the request (or peer proposal) the posted form asks for and say so; False when
    nothing was posted or it was refused (the form then carries the reasons by their fields)."""
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        request_send(
            program=membership.program,
            mentee=membership.person,
            mentor=mentor,
            message=form.cleaned_data["message"],
            focus_area=form.cleaned_data["focus_area"],
            kind=kind,
            by=request.user,
        )
    except ValidationError as e:
        apply_errors(form, e)
        return False
    messages.success(request, sent)
    return True


@require_POST
def request_withdraw_view(request: AuthenticatedHttpRequest, request_pk: int) -> HttpResponse:
    mentor_request = get_request_for_withdrawal(request.user, request_pk)
    what = {
        RequestKind.PEER: "proposal",
        RequestKind.OUTSIDE: "invitation",
    }.get(RequestKind(mentor_request.kind), "request")
    try:
        request_withdraw(request=mentor_request, by=request.user)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(
            request, f"You withdrew the {what} to {mentor_request.mentor.display_name}."
        )
    if mentor_request.mentee.user_id != request.user.pk:
        return redirect("matching:hub", pk=mentor_request.program_id)  # a director
    if mentor_request.is_outside:
        return redirect("mentee_board")
    if mentor_request.is_peer:
        return redirect("matching:peers", pk=mentor_request.program_id)
    return redirect("matching:shortlist", pk=mentor_request.program_id)


# --- peers ------------------------------------------------------------------------------------


def peers(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A participant's peers (similar career stage, shared needs) to propose a pairing to, the
    proposals waiting either way, and the program's circles."""
    membership = get_mentee_membership(request.user, pk)
    program = membership.program
    if not program.offers_peers:
        raise Http404("This program has no peer mentoring or circles.")
    circles = circles_for_participant(
        circles=circles_open_to(request.user, program), person=membership.person
    )
    return render(
        request,
        "matching/peers.html",
        {
            "program": program,
            "peers": peer_list_for(membership=membership),
            "circles": circles,
            "me": membership.person,
            "max_pending": program.max_pending_requests,
        },
    )


@once_per_submission
@require_http_methods(["GET", "POST"])
def peer_propose(request: AuthenticatedHttpRequest, pk: int, peer_pk: int) -> HttpResponse:
    membership = get_mentee_membership(request.user, pk)
    program = membership.program
    if not program.offers_peers:
        raise Http404("This program has no peer mentoring.")
    peer = get_object_or_404(
        FacultyProfile.objects.exclude(pk=membership.person_id),
        pk=peer_pk,
        memberships__program=program,
        memberships__role__in=MENTEE_ROLES,
    )
    form = RequestForm(request.POST or None, peer=True)
    if _request_sent(
        request,
        form,
        membership=membership,
        mentor=peer,
        kind=RequestKind.PEER,
        sent=f"Your proposal is on its way to {peer.display_name}. You will hear by email.",
    ):
        return redirect("matching:peers", pk=pk)
    return render(
        request,
        "matching/request_new.html",
        {"program": program, "mentor": peer, "form": form, "peer": True},
    )


# --- mentor -----------------------------------------------------------------------------------


def my_requests(request: AuthenticatedHttpRequest) -> HttpResponse:
    person = profile_ensure(user=request.user)
    received = list(requests_received(person))
    return render(
        request,
        "matching/my_requests.html",
        {
            "waiting": [r for r in received if r.status == RequestStatus.PENDING],
            "answered": [r for r in received if r.status != RequestStatus.PENDING][:30],
            "sent": requests_sent(person)[:30],
        },
    )


@once_per_submission
@require_http_methods(["GET", "POST"])
def request_detail(request: AuthenticatedHttpRequest, request_pk: int) -> HttpResponse:
    mentor_request = get_request_for_user(request.user, request_pk)
    is_mentor = mentor_request.mentor.user_id == request.user.pk
    forms = {"accept": AnswerForm(prefix="accept"), "decline": DeclineForm(prefix="decline")}
    status = 200
    if request.method == "POST":
        mentor_request = get_request_for_mentor(request.user, request_pk)
        action = request.POST.get("action", "")
        if action not in forms:
            messages.error(request, "Please choose to accept or decline.")
            status = 400
        else:
            # The answered form is shown again bound: a refused message keeps its text and
            # gets its own error next to it.
            forms[action] = type(forms[action])(request.POST, prefix=action)
            if forms[action].is_valid():
                done = _answer_request(request, mentor_request, action, forms[action])
                if done is not None:
                    return done
                mentor_request.refresh_from_db()
            status = 400
    if mentor_request.is_peer:  # a peer is not a mentee
        for form in forms.values():
            form.fields["message"].label = "A note to them (optional)"
    return render(
        request,
        "matching/request_detail.html",
        {
            "mentor_request": mentor_request,
            "is_mentor": is_mentor,
            "accept_form": forms["accept"],
            "decline_form": forms["decline"],
            "mentee_profile": get_profile_for_user(request.user, mentor_request.mentee_id),
        },
        status=status,
    )


def _answer_request(
    request: AuthenticatedHttpRequest, mentor_request: MentorRequest, action: str, form: AnswerForm
) -> HttpResponse | None:
    """Accept or decline; None (with the reason in the messages) if the service refuses."""
    message = form.cleaned_data["message"]
    try:
        if action == "accept":
            relationship = request_accept(request=mentor_request, by=request.user, message=message)
        else:
            request_decline(request=mentor_request, by=request.user, message=message)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return None
    if action == "accept":
        messages.success(
            request,
            f"You and {mentor_request.mentee.display_name} are now peers: start by agreeing how "
            "you will work together."
            if mentor_request.is_peer
            else f"You are now mentoring {mentor_request.mentee.display_name}. Start by "
            "agreeing how you will work together.",
        )
        return redirect(relationship.get_absolute_url())
    messages.success(request, "Thank you — we let them know, kindly.")
    return redirect("matching:my_requests")


# --- director ---------------------------------------------------------------------------------


def hub(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    return render(
        request,
        "matching/hub.html",
        {
            "program": program,
            "runs": runs_of(program)[:20],
            "run_form": RunForm(program=program),
            "waiting": waiting_requests(program)[:20],
        },
    )


@require_http_methods(["GET", "POST"])
def weights(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    form = WeightsForm(request.POST or None, weights=program_weights(program))
    if request.method == "POST" and form.is_valid():
        try:
            weights_update(program=program, weights=form.weights(), by=request.user)
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(request, "Matching weights saved; new scores use them at once.")
            return redirect("matching:hub", pk=pk)
    return render(request, "matching/weights.html", {"program": program, "form": form})


@once_per_submission
@require_http_methods(["GET", "POST"])
def rules(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    form = PairRuleForm(request.POST or None, program=program)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        pair_rule_set(
            program=program,
            mentee=data["mentee"],
            mentor=data["mentor"],
            kind=data["kind"],
            note=data["note"],
            by=request.user,
        )
        messages.success(request, "Rule saved. It applies to the next proposal.")
        return redirect("matching:rules", pk=pk)
    return render(
        request,
        "matching/rules.html",
        {"program": program, "form": form, "rules": pair_rules_of(program)},
    )


@require_POST
def rule_remove(request: AuthenticatedHttpRequest, pk: int, rule_pk: int) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    rule = get_object_or_404(PairRule, pk=rule_pk, program=program)
    pair_rule_remove(rule=rule, by=request.user)
    messages.success(request, "Rule removed.")
    return redirect("matching:rules", pk=pk)


@once_per_submission
@require_http_methods(["GET", "POST"])
def assign(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Pair a mentee by hand (or rematch one whose relationship ended). Each mentor shows every
    reason the pairing gate gives; the rules that may be set aside are offered per rule, with a
    required why. A refusal is shown next to that mentor's form, keeping what was typed."""
    program = get_program_for_director(request.user, pk)
    chooser = ChooseMenteeForm(request.GET or None, program=program)
    mentee = chooser.cleaned_data["mentee"] if chooser.is_valid() else None
    rematch = _rematch_of(program, mentee, request.GET.get("rematch"))
    form = AssignForm(
        request.POST or None, program=program, override_choices=list(OVERRIDE_LABELS.items())
    )
    refused: ValidationError | None = None
    if request.method == "POST" and mentee is not None and form.is_valid():
        data = form.cleaned_data
        rules, why = form.chosen_overrides()
        try:
            relationship = manual_assign(
                program=program,
                mentee=mentee,
                mentor=data["mentor"],
                focus_area=data["focus_area"],
                roles=data["roles"],
                overrides=Overrides.of(rules, why),
                rematch_of=rematch,
                by=request.user,
            )
        except ValidationError as e:
            refused = e
        else:
            messages.success(
                request,
                f"{data['mentor'].display_name} and {mentee.display_name} start their pilot. "
                "Both have been told.",
            )
            return redirect(relationship.get_absolute_url())
    options = mentor_options(program=program, mentee=mentee) if mentee else []
    reasons = assign_reasons(program=program, mentee=mentee, options=options) if mentee else {}
    posted = form.data.get("mentor") if request.method == "POST" else None
    return render(
        request,
        "matching/assign.html",
        {
            "program": program,
            "chooser": chooser,
            "mentee": mentee,
            "rematch": rematch,
            "rows": [
                {
                    "o": o,
                    "reasons": reasons.get(o.mentor.pk, []),
                    "overridable": overridable_in(reasons.get(o.mentor.pk, [])),
                    "blocked": any(not r.overridable for r in reasons.get(o.mentor.pk, [])),
                    "posted": posted == str(o.mentor.pk),
                }
                for o in options
            ],
            "form": form,
            "refused": refused.messages if refused else [],
            "posted_overrides": request.POST.getlist("overrides"),
            "default_area": (
                form.data.get("focus_area")
                or (str(rematch.focus_area_id) if rematch and rematch.focus_area_id else "")
            ),
        },
        status=400 if refused else 200,
    )


def _rematch_of(program: Program, mentee: FacultyProfile | None, pk: str | None) -> Any:
    """The ended relationship a rematch comes from (only one of this program and mentee)."""
    if mentee is None or pk is None or not pk.isdigit():
        return None
    return (
        Relationship.objects.filter(
            pk=int(pk), program=program, members__person=mentee, ended_at__isnull=False
        )
        .select_related("focus_area")
        .first()
    )


def assign_reasons(
    *, program: Program, mentee: FacultyProfile, options: list[Any]
) -> dict[int, list[Any]]:
    """The gate's reasons for each listed mentor, checked in one batch (a fixed number of
    queries however many mentors the program has)."""
    mentors = [o.mentor for o in options]
    batch = PairingBatch(program=program, people=[mentee, *mentors])
    return {
        m.pk: batch.check(
            Proposed(
                program=program,
                kind=RelationshipKind.ONE_TO_ONE,
                sides=[(mentee, MemberSide.MENTEE), (m, MemberSide.MENTOR)],
            )
        )
        for m in mentors
    }


def fairness_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    run_pk = id_param(request.GET.get("run"))
    run = get_match_run_for_director(request.user, program, run_pk) if run_pk else None
    found = fairness(program=program, run=run)
    return render(
        request,
        "matching/fairness.html",
        {
            "program": program,
            "run": run,
            "summary": found.summary,
            "tables": found.tables,
            "charts": match_rate_charts(found.groups, when="in this proposal" if run else "now"),
            "suppressed": SUPPRESSED,
        },
    )


@once_per_submission
@require_POST
def run_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    form = RunForm(request.POST, program=program)
    if form.is_valid():
        data = form.cleaned_data
        try:
            run = match_run_start(
                program=program,
                mode=data["mode"],
                cohort=data["cohort"],
                maximise_matched_first=data["maximise_matched_first"],
                areas=data["areas"],
                by=request.user,
            )
        except ValidationError as e:
            apply_errors(form, e)
        else:
            return redirect("matching:run", pk=pk, run_pk=run.pk)
    return render(
        request,
        "matching/hub.html",
        {
            "program": program,
            "runs": runs_of(program)[:20],
            "run_form": form,
            "waiting": waiting_requests(program)[:20],
        },
        status=400,
    )


def _run_context(
    program: Program,
    run: MatchRun,
    *,
    change_error: tuple[int, str] | None = None,
    group_error: tuple[int, str, int | None] | None = None,
) -> dict[str, object]:
    """The run's page; `change_error` (suggestion id, message) shows a refused mentor change
    next to that suggestion's own field, its details opened."""
    suggestions = (
        list(run_suggestions(run)) if run.status in (RunStatus.READY, RunStatus.PUBLISHED) else []
    )
    grouped = run.mode in GROUP_MODES
    groups = proposal_groups(suggestions) if grouped else []
    return {
        "program": program,
        "run": run,
        "suggestions": suggestions,
        "groups": groups,
        "group_numbers": [g.number for g in groups],
        "plan": publish_plan(run, suggestions),
        "proposed": sum(1 for s in suggestions if s.status == SuggestionStatus.PROPOSED),
        "change_form": ChangeMentorForm(program=program),
        "change_error": change_error,
        "group_error": group_error,
        "reason_words": unmatched_reason_words,
        "staleness": proposal_staleness(run),
    }


def _render_run(
    request: AuthenticatedHttpRequest,
    program: Program,
    run: MatchRun,
    *,
    change_error: tuple[int, str] | None = None,
    group_error: tuple[int, str, int | None] | None = None,
) -> HttpResponse:
    return render(
        request,
        "matching/run.html",
        _run_context(program, run, change_error=change_error, group_error=group_error),
        status=400 if change_error or group_error else 200,
    )


def run_detail(request: AuthenticatedHttpRequest, pk: int, run_pk: int) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    run = get_match_run_for_director(request.user, program, run_pk)
    return _render_run(request, program, run)


def run_progress(request: AuthenticatedHttpRequest, pk: int, run_pk: int) -> HttpResponse:
    """Polled by htmx while the job runs. Once it ends, the answer is the proposal itself (and the
    new status badge), swapped in place: no reload, so focus and the live region survive."""
    program = get_program_for_director(request.user, pk)
    run = get_match_run_for_director(request.user, program, run_pk)
    if run.is_finished:
        return render(request, "matching/_run_finished.html", _run_context(program, run))
    return render(request, "matching/_progress.html", {"program": program, "run": run})


@require_POST
def suggestion_action(
    request: AuthenticatedHttpRequest, pk: int, run_pk: int, suggestion_pk: int, action: str
) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    run = get_match_run_for_director(request.user, program, run_pk)
    suggestion = get_suggestion_for_director(request.user, run, suggestion_pk)
    try:
        if action == "remove":
            suggestion_remove(suggestion=suggestion, by=request.user)
            messages.success(
                request, f"Removed the suggestion for {suggestion.mentee.display_name}."
            )
        elif action == "restore":
            suggestion_restore(suggestion=suggestion, by=request.user)
            messages.success(
                request, f"Restored the suggestion for {suggestion.mentee.display_name}."
            )
        elif action == "move":
            target = parse_int(request.POST.get("group"))
            if target is None:
                return _render_run(
                    request, program, run, change_error=(suggestion.pk, "Choose a group.")
                )
            try:
                group_member_move(suggestion=suggestion, group=target, by=request.user)
            except ValidationError as e:
                return _render_run(
                    request, program, run, change_error=(suggestion.pk, " ".join(e.messages))
                )
            messages.success(
                request, f"{suggestion.mentee.display_name} is now proposed in group {target}."
            )
        elif action == "change":
            form = ChangeMentorForm(request.POST, program=program)
            if not form.is_valid():
                return _render_run(
                    request,
                    program,
                    run,
                    change_error=(suggestion.pk, "Choose a mentor from the list."),
                )
            suggestion_change_mentor(
                suggestion=suggestion, mentor=form.cleaned_data["mentor"], by=request.user
            )
            messages.success(
                request,
                f"{suggestion.mentee.display_name} is now proposed with "
                f"{form.cleaned_data['mentor'].display_name}.",
            )
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    return redirect(f"{reverse('matching:run', args=[pk, run_pk])}#suggestion-{suggestion.pk}")


@require_POST
def group_facilitator(
    request: AuthenticatedHttpRequest, pk: int, run_pk: int, group: int
) -> HttpResponse:
    """Give a group of a facilitated-group proposal another facilitator (the pairing gate
    decides); a refusal is shown next to that group's own field."""
    program = get_program_for_director(request.user, pk)
    run = get_match_run_for_director(request.user, program, run_pk)
    if run.mode != RunMode.PEER_GROUPS or not run.suggestions.filter(group=group).exists():
        raise Http404
    form = ChangeMentorForm(request.POST, program=program)
    if not form.is_valid():
        return _render_run(
            request, program, run, group_error=(group, "Choose a facilitator from the list.", None)
        )
    facilitator = form.cleaned_data["mentor"]
    try:
        group_facilitator_change(run=run, group=group, facilitator=facilitator, by=request.user)
    except ValidationError as e:
        # The refused choice stays selected, so the director sees what was refused.
        return _render_run(
            request, program, run, group_error=(group, " ".join(e.messages), facilitator.pk)
        )
    messages.success(request, f"{facilitator.display_name} now facilitates group {group}.")
    return redirect(f"{reverse('matching:run', args=[pk, run_pk])}#group-{group}")


@require_POST
def run_publish(request: AuthenticatedHttpRequest, pk: int, run_pk: int) -> HttpResponse:
    """Publishing re-checks every suggestion in one pass. Conflicts are listed all together on
    one page, with "drop them and publish the rest"; nothing is published until then."""
    program = get_program_for_director(request.user, pk)
    run = get_match_run_for_director(request.user, program, run_pk)
    try:
        relationships = match_run_publish(
            run=run, by=request.user, drop_conflicting=request.POST.get("drop_conflicting") == "1"
        )
    except ProposalConflicts as e:
        return render(
            request,
            "matching/publish_conflicts.html",
            {
                "program": program,
                "run": run,
                "conflicts": e.conflicts,
                "dropped": sum(len(c.suggestions) for c in e.conflicts),
                "rest": run.suggestions.filter(status=SuggestionStatus.PROPOSED).count()
                - sum(len(c.suggestions) for c in e.conflicts),
                "staleness": proposal_staleness(run),
            },
            status=409,
        )
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(
            request,
            f"Published: {len(relationships)} relationship{'s' if len(relationships) != 1 else ''} "
            "start their pilot, and everyone has been told.",
        )
    return redirect("matching:run", pk=pk, run_pk=run.pk)


@once_per_submission
@require_POST
def run_rerun(request: AuthenticatedHttpRequest, pk: int, run_pk: int) -> HttpResponse:
    """Compute the proposal again, with the same settings, on the cohort as it is now."""
    program = get_program_for_director(request.user, pk)
    run = get_match_run_for_director(request.user, program, run_pk)
    fresh = match_run_start(
        program=program,
        mode=run.mode,
        cohort=run.cohort,
        maximise_matched_first=run.maximise_matched_first,
        areas=run.areas.all(),
        by=request.user,
    )
    messages.success(request, "A new proposal is being computed on the current cohort.")
    return redirect("matching:run", pk=pk, run_pk=fresh.pk)


@require_POST
def run_discard(request: AuthenticatedHttpRequest, pk: int, run_pk: int) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    run = get_match_run_for_director(request.user, program, run_pk)
    try:
        match_run_discard(run=run, by=request.user)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, "Proposal discarded; nothing was changed.")
    return redirect("matching:hub", pk=pk)


@require_POST
def run_control(
    request: AuthenticatedHttpRequest, pk: int, run_pk: int, action: str
) -> HttpResponse:
    """Stop a run that is waiting or running, or try a failed or stopped one again."""
    program = get_program_for_director(request.user, pk)
    run = get_match_run_for_director(request.user, program, run_pk)
    job_control(
        request,
        action,
        {
            "stop": (
                partial(match_run_stop, run=run, by=request.user),
                "The run is stopped; nothing was changed.",
            ),
            "retry": (
                partial(match_run_retry, run=run, by=request.user),
                "The run has started again.",
            ),
        },
    )
    return redirect("matching:run", pk=pk, run_pk=run.pk)
