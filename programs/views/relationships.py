"""Relationship pages: a relationship (members' view or directors' view), its agreement, the
pilot decision, concluding and no-fault ending, action items, check-ins, a director's "new
relationship" and list, and a mentee's "add an outside mentor"."""

from __future__ import annotations

from datetime import datetime, time

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from matching.services import outside_mentor_invite
from mentorship.accounts.models import User
from mentorship.http import AuthenticatedHttpRequest
from mentorship.params import parse_int
from programs.access import (
    MeetingAccess,
    RelationshipAccess,
    concerns_visible_to,
    get_program_for_director,
    get_relationship_for_user,
    versions_readable_by,
)
from programs.forms.programs import apply_errors
from programs.forms.relationships import (
    ActionItemForm,
    AgreementForm,
    CheckinForm,
    EndForm,
    OutsideMentorForm,
    RelationshipForm,
    attach_errors,
)
from programs.models import (
    MENTEE_ROLES,
    ActionItem,
    ActionItemStatus,
    JoinRequest,
    JoinRequestStatus,
    Meeting,
    MeetingStatus,
    MemberSide,
    Program,
    Relationship,
    RelationshipMember,
    RelationshipSource,
    RelationshipStage,
)
from programs.selectors.relationships import (
    action_items_of,
    agreement_history,
    agreement_state,
    goal_progress,
    meetings_of,
    mentee_goals,
    program_members_for_pairing,
    relationship_members,
)
from programs.services.agreements import (
    AGREEMENT_FIELDS,
    AgreementConflict,
    agreement_changes,
    agreement_confirm,
    agreement_save,
)
from programs.services.meetings import (
    NotesConflict,
    action_item_create,
    action_item_set_status,
    checkin_log,
)
from programs.services.pairing import (
    OVERRIDE_LABELS,
    Overrides,
    overridable_in,
)
from programs.services.people import profile_ensure
from programs.services.relationships import (
    relationship_conclude,
    relationship_confirm_pilot,
    relationship_create,
    relationship_end,
    relationship_keep_going,
    relationship_mark_alumni,
    rematch_path,
)
from programs.views.oversight import director_view
from programs.views.submissions import once_per_submission

PER_PAGE = 50


# --- One relationship --------------------------------------------------------------------------


def relationship_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    viewer = get_relationship_for_user(request.user, pk)
    if viewer.member is None:
        return director_view(request, viewer)
    return _member_view(request, viewer)


def _circle_waiting(relationship: Relationship, me: RelationshipMember) -> int | None:
    """Requests to join waiting for a circle's facilitator (None: not theirs to answer)."""
    if not relationship.is_group or me.side != MemberSide.FACILITATOR:
        return None
    return JoinRequest.objects.filter(circle=relationship, status=JoinRequestStatus.PENDING).count()


def _member_view(
    request: AuthenticatedHttpRequest,
    viewer: RelationshipAccess,
    *,
    action_form: ActionItemForm | None = None,
    status: int = 200,
) -> HttpResponse:
    relationship, me = viewer.relationship, viewer.member
    assert me is not None
    members = relationship_members(relationship)
    goals = mentee_goals(relationship, readable=versions_readable_by(request.user))
    meetings = list(meetings_of(relationship))
    now = timezone.now()
    upcoming = sorted(
        (m for m in meetings if m.status == MeetingStatus.SCHEDULED and m.starts_at > now),
        key=lambda m: m.starts_at,
    )
    past = [m for m in meetings if m not in upcoming]
    items = list(action_items_of(relationship))
    # Only the viewer's own concerns: the other party's never appear here, in any form.
    my_concerns = concerns_visible_to(request.user).filter(
        relationship=relationship, raised_by=me.person
    )
    return render(
        request,
        "relationships/relationship_detail.html",
        {
            "relationship": relationship,
            "viewer": viewer,
            "program": relationship.program,
            "me": me,
            "members": members,
            "circle_waiting": _circle_waiting(relationship, me),
            "others": [m for m in members if m.person_id != me.person_id],
            "agreement": agreement_state(relationship),
            "upcoming": upcoming,
            "past": past,
            "open_items": [i for i in items if i.status == ActionItemStatus.OPEN],
            "closed_items": [i for i in items if i.status != ActionItemStatus.OPEN],
            "goals": goal_progress(goals=goals, relationship_ids=[relationship.pk]),
            "my_concerns": my_concerns,
            "action_form": action_form
            or ActionItemForm(
                members=[m.person for m in members],
                goals=goals,
                initial={"owner": me.person_id},
            ),
            "pilot_waiting": [m for m in members if m.pilot_confirmed_at is None],
            "rematch_url": rematch_path(relationship),
            **_continued(relationship, request.user),
        },
        status=status,
    )


def _continued(relationship: Relationship, user: User) -> dict[str, object]:
    """After a reassignment, the mentee is pointed to the relationship that continues (the
    outgoing mentor is not a member of it and is not)."""
    successor = relationship.continued_by.first()
    mine = (
        successor is not None
        and RelationshipMember.objects.filter(
            relationship=successor, person__user=user, left_at__isnull=True
        ).exists()
    )
    return {"continued_by": successor if mine else None, "continued_is_mine": mine}


# --- Agreement ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def agreement(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    viewer = get_relationship_for_user(request.user, pk)
    relationship, me = viewer.relationship, viewer.member
    if me is None:
        raise PermissionDenied("The agreement is between the people in the relationship.")
    state = agreement_state(relationship)
    current = state.current
    # The goals the editor may read, plus any already in the agreement (someone put them there
    # for everyone in it to see; keeping them selectable keeps them on save).
    goals = mentee_goals(relationship, readable=versions_readable_by(request.user))
    if current is not None:
        goals += [g for g in current.goals.all() if g not in goals]
    editing = relationship.is_open and (request.method == "POST" or "edit" in request.GET)
    form = None
    status = 200
    if editing:
        initial = {f: getattr(current, f) for f in AGREEMENT_FIELDS} if current else {}
        initial["goals"] = [g.pk for g in current.goals.all()] if current else []
        initial["revision"] = state.revision
        form = AgreementForm(
            request.POST if request.method == "POST" else None, initial=initial, goals=goals
        )
        if request.method == "POST" and form.is_valid():
            data = {f: form.cleaned_data[f] for f in AGREEMENT_FIELDS}
            try:
                agreement_save(
                    relationship=relationship,
                    data=data,
                    goals=form.cleaned_data["goals"],
                    revision=form.cleaned_data["revision"],
                    by=request.user,
                )
            except AgreementConflict as e:
                form.add_error(None, e)
                state = agreement_state(relationship)  # show what the other person saved
                data = request.POST.copy()  # the form's data: keep what they typed
                data["revision"] = str(state.revision)
                form.data = data
                status = 409
            except ValidationError as e:
                apply_errors(form, e)
                status = 400
            else:
                messages.success(
                    request,
                    "Agreement saved. Proposing it counts as your confirmation; the others in "
                    "the relationship are asked to confirm it.",
                )
                return redirect("relationship_agreement", pk=relationship.pk)
        elif request.method == "POST":
            status = 400
    changes = []
    if state.pending is not None and state.in_force is not None:
        changes = agreement_changes(state.in_force, state.pending)
    members = relationship_members(relationship)
    return render(
        request,
        "relationships/agreement.html",
        {
            "relationship": relationship,
            "viewer": viewer,
            "program": relationship.program,
            "me": me,
            "members": members,
            "state": state,
            "version": state.current,
            "changes": changes,
            "form": form,
            "history": agreement_history(relationship) if "history" in request.GET else None,
            "i_confirmed": me.person_id in state.confirmed_by,
            "review_due": state.pending is None
            and state.in_force is not None
            and state.in_force.review_on <= timezone.localdate(),
            "waiting_for": [
                m for m in members if state.pending and m.person_id not in state.confirmed_by
            ],
        },
        status=status,
    )


@require_POST
def agreement_confirm_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    relationship = get_relationship_for_user(request.user, pk, write=True).relationship
    try:
        version = agreement_confirm(
            relationship=relationship,
            revision=parse_int(request.POST.get("revision"), default=-1),
            by=request.user,
        )
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        if version.confirmed_at:
            messages.success(request, "Everyone has confirmed: the agreement is in force.")
        else:
            messages.success(request, "You confirmed the agreement. Waiting for the others.")
    return redirect("relationship_agreement", pk=relationship.pk)


# --- Stage changes -----------------------------------------------------------------------------


@require_POST
def pilot_confirm(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    relationship = get_relationship_for_user(request.user, pk, write=True).relationship
    try:
        relationship = relationship_confirm_pilot(relationship=relationship, by=request.user)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        if relationship.stage == RelationshipStage.ACTIVE:
            messages.success(request, "You both chose to continue: the pilot is over.")
        else:
            messages.success(request, "You chose to continue. Waiting for the others.")
    return redirect(relationship)


@require_http_methods(["GET", "POST"])
def relationship_end_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Step two of the two-click ending: an optional reason for directors, then "End"."""
    viewer = get_relationship_for_user(request.user, pk)
    relationship, me = viewer.relationship, viewer.member
    if me is None and not viewer.directs:
        raise PermissionDenied
    if not relationship.is_open:
        messages.info(request, "This relationship has already ended.")
        return redirect(relationship)
    # Every field is optional, so an empty POST is still a submission.
    form = EndForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            relationship_end(
                relationship=relationship,
                by=request.user,
                reason_for_directors=form.cleaned_data["reason_for_directors"],
            )
        except ValidationError as e:
            apply_errors(form, e)
        else:
            relationship.refresh_from_db()
            if me is not None and relationship.is_open:  # left a group that carries on
                messages.success(request, "You have left the group. Thank you for taking part.")
                return redirect("mentee_board")
            messages.success(
                request,
                "The relationship has ended. The others received a short, kind notice with no "
                "reason given.",
            )
            return redirect(relationship)
    members = relationship_members(relationship)
    return render(
        request,
        "relationships/end.html",
        {
            "relationship": relationship,
            "viewer": viewer,
            "program": relationship.program,
            "me": me,
            "others": [m for m in members if me is None or m.person_id != me.person_id],
            "form": form,
            "leaving_group": relationship.is_group and me is not None,
        },
    )


@require_POST
def relationship_conclude_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    viewer = get_relationship_for_user(request.user, pk)
    relationship = viewer.relationship
    if viewer.member is None and not viewer.directs:
        raise PermissionDenied
    try:
        relationship = relationship_conclude(relationship=relationship, by=request.user)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        if relationship.stage == RelationshipStage.CONCLUDED:
            messages.success(
                request, "Congratulations — the relationship has concluded with its goals met."
            )
        else:
            messages.success(
                request, "You proposed concluding. When another member confirms, it concludes."
            )
    return redirect(relationship)


@require_POST
def relationship_keep_going_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    relationship = get_relationship_for_user(request.user, pk, write=True).relationship
    try:
        relationship_keep_going(relationship=relationship, by=request.user)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, "The relationship carries on.")
    return redirect(relationship)


@require_POST
def relationship_alumni_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    relationship = get_relationship_for_user(request.user, pk, write=True).relationship
    stays = request.POST.get("stays_in_touch") == "1"
    try:
        relationship = relationship_mark_alumni(
            relationship=relationship, by=request.user, stays_in_touch=stays
        )
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        if relationship.is_alumni:
            messages.success(request, "You are alumni of this relationship: colleagues for good.")
        elif stays:
            messages.success(request, "Noted: you would like to stay in touch.")
        else:
            messages.success(request, "Noted.")
    return redirect(relationship)


# --- Action items and check-ins ----------------------------------------------------------------


@once_per_submission
@require_POST
def action_item_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    viewer = get_relationship_for_user(request.user, pk, write=True)
    relationship = viewer.relationship
    members = relationship_members(relationship)
    form = ActionItemForm(
        request.POST,
        members=[m.person for m in members],
        goals=mentee_goals(relationship, readable=versions_readable_by(request.user)),
    )
    meeting = None
    if request.POST.get("meeting"):
        meeting_id = parse_int(request.POST.get("meeting"), default=-1)
        meeting = get_object_or_404(Meeting, pk=meeting_id, relationship=relationship)
    if form.is_valid():
        try:
            action_item_create(
                relationship=relationship,
                meeting=meeting,
                by=request.user,
                **form.cleaned_data,
            )
        except ValidationError as e:
            attach_errors(request, form, e)
        else:
            messages.success(request, f"Action added: {form.cleaned_data['title']}.")
            return redirect(meeting or relationship)
    if meeting is not None:
        from programs.views.meetings import render_meeting

        meeting.relationship = relationship
        assert viewer.member is not None
        return render_meeting(
            request, MeetingAccess(meeting, viewer.member), action_form=form, status=400
        )
    return _member_view(request, viewer, action_form=form, status=400)


@require_POST
def action_item_status(request: AuthenticatedHttpRequest, pk: int, item_pk: int) -> HttpResponse:
    relationship = get_relationship_for_user(request.user, pk, write=True).relationship
    item = get_object_or_404(ActionItem, pk=item_pk, relationship=relationship)
    revision = (
        parse_int(request.POST["revision"], default=-1) if "revision" in request.POST else None
    )
    try:
        action_item_set_status(
            item=item, status=request.POST.get("status", ""), revision=revision, by=request.user
        )
    except NotesConflict as conflict:
        messages.error(
            request,
            f"“{item.title}” was changed to “{conflict.current_text.lower()}” after you opened "
            "this page, so nothing was changed. Check it below and choose again.",
        )
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, f"“{item.title}” is now {item.get_status_display().lower()}.")
    next_url = request.POST.get("next")
    return redirect(next_url if next_url and _safe_next(request) else relationship)


@once_per_submission
@require_http_methods(["GET", "POST"])
def checkin_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    viewer = get_relationship_for_user(request.user, pk, write=True)
    relationship = viewer.relationship
    form = CheckinForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # A check-in has a date, not a time: noon in the logger's zone keeps it on that day.
        occurred_at = timezone.make_aware(datetime.combine(data["occurred_on"], time(12)))
        if data["occurred_on"] == timezone.localdate():
            occurred_at = timezone.now()
        try:
            checkin_log(
                relationship=relationship,
                occurred_at=occurred_at,
                mode=data["mode"],
                summary=data["summary"],
                by=request.user,
            )
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(request, "Check-in logged.")
            return redirect(relationship)
    return render(
        request,
        "relationships/checkin_form.html",
        {
            "relationship": relationship,
            "program": relationship.program,
            "me": viewer.member,
            "form": form,
            "others": [
                m for m in relationship_members(relationship) if m.person.user_id != request.user.pk
            ],
        },
        status=400 if request.method == "POST" else 200,
    )


# --- Directors: the program's relationships ----------------------------------------------------


@once_per_submission
@require_http_methods(["GET", "POST"])
def relationship_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    mentees, mentors = program_members_for_pairing(program=program)
    form = RelationshipForm(
        request.POST if request.method == "POST" else None,
        mentees=mentees,
        mentors=mentors,
        program=program,
        override_choices=list(OVERRIDE_LABELS.items()) if request.method == "POST" else None,
        initial={"mentees": request.GET.getlist("mentee")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        rules, why = form.chosen_overrides()
        try:
            relationship = relationship_create(
                program=program,
                kind=data["kind"],
                mentees=list(data["mentees"]),
                mentors=list(data["mentors"]),
                facilitator=data["facilitator"],
                focus_area=data["focus_area"],
                roles=data["roles"],
                is_remote=data["is_remote"],
                started_on=data["started_on"],
                source=RelationshipSource.MANUAL,
                overrides=Overrides.of(rules, why),
                by=request.user,
            )
        except ValidationError as e:
            apply_errors(form, e)
            form.offer_overrides(overridable_in(getattr(e, "reasons", [])))
        else:
            messages.success(request, "Relationship created. Everyone in it has been told.")
            return redirect(relationship)
    elif request.method == "POST" and not request.POST.get("override_why"):
        form.offer_overrides([])
    return render(
        request,
        "relationships/relationship_new.html",
        {"program": program, "form": form},
        status=400 if request.method == "POST" else 200,
    )


# --- Mentees: add an outside mentor ------------------------------------------------------------


@once_per_submission
@require_http_methods(["GET", "POST"])
def outside_mentor_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    profile = profile_ensure(user=request.user)
    programs = Program.objects.filter(
        is_active=True,
        memberships__person=profile,
        memberships__role__in=MENTEE_ROLES,
    ).distinct()
    if not programs:
        raise PermissionDenied("You need to be a mentee in a program to add a mentor.")
    form = OutsideMentorForm(
        request.POST if request.method == "POST" else None,
        programs=programs,
        initial={"program": programs.first()},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            outside_mentor_invite(
                program=data["program"],
                mentee=profile,
                email=data["email"],
                given_name=data["given_name"],
                family_name=data["family_name"],
                organisation=data["organisation"],
                focus_area=data["focus_area"],
                roles=data["roles"],
                is_remote=data["is_remote"],
                message=data["message"],
                by=request.user,
            )
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(
                request,
                f"We emailed {data['given_name']} {data['family_name']} your invitation. Your "
                "relationship starts when they accept; until then it waits on your board, where "
                "you can withdraw it.",
            )
            return redirect("mentee_board")
    return render(
        request,
        "relationships/outside_mentor_form.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


def _safe_next(request: AuthenticatedHttpRequest) -> bool:
    return url_has_allowed_host_and_scheme(
        request.POST.get("next", ""), allowed_hosts={request.get_host()}
    )
