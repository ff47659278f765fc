"""Matching pages: a mentee's shortlist and requests, a mentor's answers, and the director's
weights, rules, manual assignment, bulk proposals and fairness view."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from matching.forms import (
    AnswerForm,
    AssignForm,
    ChangeMentorForm,
    ChooseMenteeForm,
    DeclineForm,
    PairRuleForm,
    RequestForm,
    RunForm,
    WeightsForm,
)
from matching.models import PairRule, RequestStatus, RunStatus, ShortlistMark, SuggestionStatus
from matching.selectors import (
    fairness,
    mentor_options,
    pair_rules_of,
    requests_received,
    requests_sent,
    run_suggestions,
    runs_of,
    shortlist_for,
    waiting_requests,
)
from matching.services import (
    conflict_declare,
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
    request_accept,
    request_decline,
    request_send,
    request_withdraw,
    suggestion_change_mentor,
    suggestion_remove,
    suggestion_restore,
    unmatched_reason_words,
    weights_update,
)
from programs.access import (
    get_match_run_for_director,
    get_mentee_membership,
    get_profile_for_user,
    get_program_for_director,
    get_request_for_mentee,
    get_request_for_mentor,
    get_request_for_user,
    get_suggestion_for_director,
)
from programs.forms.programs import apply_errors
from programs.models import MENTOR_ROLES, FacultyProfile, Membership
from programs.services.people import profile_ensure
from programs.views.submissions import once_per_submission

# --- mentee -----------------------------------------------------------------------------------


def shortlist(request: HttpRequest, pk: int) -> HttpResponse:
    membership = get_mentee_membership(request.user, pk)
    return render(
        request,
        "matching/shortlist.html",
        {
            "program": membership.program,
            "shortlist": shortlist_for(membership=membership),
            "max_pending": membership.program.max_pending_requests,
        },
    )


def _program_mentor(
    request: HttpRequest, pk: int, mentor_pk: int
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
def mark(request: HttpRequest, pk: int, mentor_pk: int) -> HttpResponse:
    membership, mentor = _program_mentor(request, pk, mentor_pk)
    value = request.POST.get("mark") or None
    if value not in (None, ShortlistMark.BOOKMARK, ShortlistMark.HIDDEN):
        value = None
    mentor_mark(program=membership.program, mentee=membership.person, mentor=mentor, mark=value)
    words = {
        ShortlistMark.BOOKMARK: f"Bookmarked {mentor.display_name}.",
        ShortlistMark.HIDDEN: f"{mentor.display_name} is hidden from your list.",
        None: f"{mentor.display_name} is back in your list as usual.",
    }
    messages.success(request, words[value])
    return redirect("matching:shortlist", pk=pk)


@once_per_submission
@require_POST
def declare_conflict(request: HttpRequest, pk: int, mentor_pk: int) -> HttpResponse:
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
def request_new(request: HttpRequest, pk: int, mentor_pk: int) -> HttpResponse:
    membership, mentor = _program_mentor(request, pk, mentor_pk)
    program = membership.program
    fit = pair_fit(program=program, mentee=membership.person, mentor=mentor)
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            request_send(
                program=program,
                mentee=membership.person,
                mentor=mentor,
                message=form.cleaned_data["message"],
                focus_area=form.cleaned_data["focus_area"],
                by=request.user,
            )
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(
                request,
                f"Your request is on its way to {mentor.display_name}. You will hear back by email.",
            )
            return redirect("matching:shortlist", pk=pk)
    return render(
        request,
        "matching/request_new.html",
        {"program": program, "mentor": mentor, "form": form, "fit": fit},
    )


@require_POST
def request_withdraw_view(request: HttpRequest, request_pk: int) -> HttpResponse:
    mentor_request = get_request_for_mentee(request.user, request_pk)
    try:
        request_withdraw(request=mentor_request, by=request.user)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(
            request, f"You withdrew your request to {mentor_request.mentor.display_name}."
        )
    return redirect("matching:shortlist", pk=mentor_request.program_id)


# --- mentor -----------------------------------------------------------------------------------


def my_requests(request: HttpRequest) -> HttpResponse:
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


@require_http_methods(["GET", "POST"])
def request_detail(request: HttpRequest, request_pk: int) -> HttpResponse:
    mentor_request = get_request_for_user(request.user, request_pk)
    is_mentor = mentor_request.mentor.user_id == request.user.pk
    accept_form, decline_form = AnswerForm(prefix="accept"), DeclineForm(prefix="decline")
    if request.method == "POST":
        mentor_request = get_request_for_mentor(request.user, request_pk)
        action = request.POST.get("action")
        form = (AnswerForm if action == "accept" else DeclineForm)(request.POST, prefix=action)
        if action not in ("accept", "decline") or not form.is_valid():
            messages.error(request, "Please choose to accept or decline.")
        else:
            try:
                if action == "accept":
                    relationship = request_accept(
                        request=mentor_request,
                        by=request.user,
                        message=form.cleaned_data["message"],
                    )
                    messages.success(
                        request,
                        f"You are now mentoring {mentor_request.mentee.display_name}. Start by "
                        "agreeing how you will work together.",
                    )
                    return redirect(relationship.get_absolute_url())
                request_decline(
                    request=mentor_request, by=request.user, message=form.cleaned_data["message"]
                )
                messages.success(request, "Thank you — we let them know, kindly.")
                return redirect("matching:my_requests")
            except ValidationError as e:
                messages.error(request, " ".join(e.messages))
                mentor_request.refresh_from_db()
    return render(
        request,
        "matching/request_detail.html",
        {
            "mentor_request": mentor_request,
            "is_mentor": is_mentor,
            "accept_form": accept_form,
            "decline_form": decline_form,
            "mentee_profile": get_profile_for_user(request.user, mentor_request.mentee_id),
        },
    )


# --- director ---------------------------------------------------------------------------------


def hub(request: HttpRequest, pk: int) -> HttpResponse:
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
def weights(request: HttpRequest, pk: int) -> HttpResponse:
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
def rules(request: HttpRequest, pk: int) -> HttpResponse:
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
def rule_remove(request: HttpRequest, pk: int, rule_pk: int) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    rule = get_object_or_404(PairRule, pk=rule_pk, program=program)
    pair_rule_remove(rule=rule, by=request.user)
    messages.success(request, "Rule removed.")
    return redirect("matching:rules", pk=pk)


@once_per_submission
@require_http_methods(["GET", "POST"])
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    chooser = ChooseMenteeForm(request.GET or None, program=program)
    mentee = chooser.cleaned_data["mentee"] if chooser.is_valid() else None
    form = AssignForm(request.POST or None, program=program)
    if request.method == "POST" and mentee is not None and form.is_valid():
        data = form.cleaned_data
        try:
            relationship = manual_assign(
                program=program,
                mentee=mentee,
                mentor=data["mentor"],
                focus_area=data["focus_area"],
                roles=data["roles"],
                override_capacity=data["override_capacity"],
                by=request.user,
            )
        except ValidationError as e:
            messages.error(request, " ".join(e.messages))
        else:
            messages.success(
                request,
                f"{data['mentor'].display_name} and {mentee.display_name} start their pilot. "
                "Both have been told.",
            )
            return redirect(relationship.get_absolute_url())
    return render(
        request,
        "matching/assign.html",
        {
            "program": program,
            "chooser": chooser,
            "mentee": mentee,
            "options": mentor_options(program=program, mentee=mentee) if mentee else [],
            "form": form,
        },
    )


def fairness_view(request: HttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    run_pk = request.GET.get("run", "")
    run = (
        get_match_run_for_director(request.user, program, int(run_pk)) if run_pk.isdigit() else None
    )
    return render(
        request,
        "matching/fairness.html",
        {"program": program, "run": run, "tables": fairness(program=program, run=run)},
    )


@once_per_submission
@require_POST
def run_new(request: HttpRequest, pk: int) -> HttpResponse:
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


def run_detail(request: HttpRequest, pk: int, run_pk: int) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    run = get_match_run_for_director(request.user, program, run_pk)
    suggestions = (
        list(run_suggestions(run)) if run.status in (RunStatus.READY, RunStatus.PUBLISHED) else []
    )
    return render(
        request,
        "matching/run.html",
        {
            "program": program,
            "run": run,
            "suggestions": suggestions,
            "proposed": sum(1 for s in suggestions if s.status == SuggestionStatus.PROPOSED),
            "change_form": ChangeMentorForm(program=program),
            "reason_words": unmatched_reason_words,
        },
    )


def run_progress(request: HttpRequest, pk: int, run_pk: int) -> HttpResponse:
    """Polled by htmx while the job runs; once finished, asks the page to reload."""
    program = get_program_for_director(request.user, pk)
    run = get_match_run_for_director(request.user, program, run_pk)
    response = render(request, "matching/_progress.html", {"program": program, "run": run})
    if run.is_finished:
        response["HX-Refresh"] = "true"
    return response


@require_POST
def suggestion_action(
    request: HttpRequest, pk: int, run_pk: int, suggestion_pk: int, action: str
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
        elif action == "change":
            form = ChangeMentorForm(request.POST, program=program)
            if not form.is_valid():
                raise ValidationError("Choose a mentor from the list.")
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
def run_publish(request: HttpRequest, pk: int, run_pk: int) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    run = get_match_run_for_director(request.user, program, run_pk)
    try:
        relationships = match_run_publish(run=run, by=request.user)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(
            request,
            f"Published: {len(relationships)} relationship{'s' if len(relationships) != 1 else ''} "
            "start their pilot, and everyone has been told.",
        )
    return redirect("matching:run", pk=pk, run_pk=run.pk)


@require_POST
def run_discard(request: HttpRequest, pk: int, run_pk: int) -> HttpResponse:
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
def run_control(request: HttpRequest, pk: int, run_pk: int, action: str) -> HttpResponse:
    """Stop a run that is waiting or running, or try a failed or stopped one again."""
    program = get_program_for_director(request.user, pk)
    run = get_match_run_for_director(request.user, program, run_pk)
    try:
        if action == "stop":
            match_run_stop(run=run, by=request.user)
            messages.success(request, "The run is stopped; nothing was changed.")
        elif action == "retry":
            match_run_retry(run=run, by=request.user)
            messages.success(request, "The run has started again.")
        else:
            raise Http404
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    return redirect("matching:run", pk=pk, run_pk=run.pk)
