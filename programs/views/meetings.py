"""Meeting pages: scheduling, the meeting itself (agenda, checklist, shared and private notes,
action items, recap), `.ics` invites, and each person's private calendar feed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mentorship.http import AuthenticatedHttpRequest
from mentorship.params import parse_int
from programs.access import (
    MeetingAccess,
    get_meeting_for_user,
    get_relationship_for_user,
    private_note_of,
    versions_readable_by,
)
from programs.exports import ics
from programs.exports.meeting_calendar import meeting_event
from programs.forms.programs import apply_errors
from programs.forms.relationships import (
    ActionItemForm,
    AgendaItemForm,
    MeetingForm,
    MeetingLogForm,
    NotesForm,
    PrivateNoteForm,
    RecapForm,
    attach_errors,
    service_errors_for_meeting,
)
from programs.models import AgendaItem, CalendarFeed, Meeting, MeetingStatus, MemberSide
from programs.selectors.relationships import (
    agenda_of,
    agreed_meeting_mode,
    calendar_meetings_for,
    carry_over_for,
    mentee_goals,
    recap_of,
    relationship_members,
)
from programs.services.meetings import (
    NotesConflict,
    agenda_item_add,
    agenda_item_remove,
    calendar_feed_create,
    calendar_feed_lookup,
    calendar_feed_revoke,
    meeting_cancel,
    meeting_log,
    meeting_reschedule,
    meeting_schedule,
    meeting_update_notes,
    private_note_save,
    recap_confirm,
    recap_write,
)
from programs.services.people import profile_ensure
from programs.views.submissions import once_per_submission


def _viewer_zone(request: AuthenticatedHttpRequest) -> str:
    """The zone the middleware activated for this viewer (their profile's)."""
    return timezone.get_current_timezone_name()


@once_per_submission
@require_http_methods(["GET", "POST"])
def meeting_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    viewer = get_relationship_for_user(request.user, pk, write=True)
    relationship = viewer.relationship
    if not relationship.is_open:
        messages.info(request, "This relationship has ended, so no new meetings can be added.")
        return redirect(relationship)
    zone = _viewer_zone(request)
    initial: dict[str, Any] = {"starts": "09:00", "ends": "10:00"}
    agreed = agreed_meeting_mode(relationship)
    if agreed:
        initial["mode"] = agreed
    elif relationship.is_remote:
        initial["mode"] = "video"
    if "on" in request.GET:
        initial["on"] = request.GET["on"]
    form = MeetingForm(
        request.POST if request.method == "POST" else None, time_zone=zone, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            meeting = meeting_schedule(
                relationship=relationship,
                already_held=form.cleaned_data.get("already_held", False),
                by=request.user,
                **form.service_kwargs(),
            )
        except ValidationError as e:
            apply_errors(form, service_errors_for_meeting(e))
        else:
            if meeting.status == MeetingStatus.HELD:
                messages.success(request, "Past meeting logged. Add notes, actions and a recap.")
            else:
                messages.success(
                    request,
                    "Meeting scheduled. We emailed an invitation to the others; add it to your own "
                    "calendar below.",
                )
            return redirect(meeting)
    members = relationship_members(relationship)
    return render(
        request,
        "meetings/meeting_form.html",
        {
            "relationship": relationship,
            "program": relationship.program,
            "me": viewer.member,
            "form": form,
            "others": [m for m in members if m.person.user_id != request.user.pk],
            "meeting": None,
        },
        status=400 if request.method == "POST" else 200,
    )


@once_per_submission
@require_http_methods(["GET", "POST"])
def meeting_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    viewer = get_meeting_for_user(request.user, pk)
    meeting = viewer.meeting
    relationship = meeting.relationship
    if meeting.status != MeetingStatus.SCHEDULED or not relationship.is_open:
        messages.info(request, "Only an upcoming meeting can be changed.")
        return redirect(meeting)
    zone = _viewer_zone(request)
    local = timezone.localtime(meeting.starts_at)
    form = MeetingForm(
        request.POST if request.method == "POST" else None,
        time_zone=zone,
        allow_past=False,
        initial={
            "on": local.date(),
            "starts": local.time(),
            "ends": timezone.localtime(meeting.ends_at).time(),
            "mode": meeting.mode,
            "location": meeting.location,
            "video_url": meeting.video_url,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            meeting_reschedule(meeting=meeting, by=request.user, **form.service_kwargs())
        except ValidationError as e:
            apply_errors(form, service_errors_for_meeting(e))
        else:
            messages.success(
                request,
                "Meeting changed. We emailed the update to the others; calendars pick it up.",
            )
            return redirect(meeting)
    members = relationship_members(relationship)
    return render(
        request,
        "meetings/meeting_form.html",
        {
            "relationship": relationship,
            "program": relationship.program,
            "form": form,
            "meeting": meeting,
            "me": viewer.member,
            "others": [m for m in members if m.person.user_id != request.user.pk],
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def meeting_cancel_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, pk).meeting
    try:
        meeting_cancel(meeting=meeting, by=request.user)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, "Meeting cancelled. We emailed the others a cancellation.")
    return redirect(meeting.relationship)


def meeting_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return render_meeting(request, get_meeting_for_user(request.user, pk))


def render_meeting(
    request: AuthenticatedHttpRequest,
    viewer: MeetingAccess,
    *,
    status: int = 200,
    **forms: Any,
) -> HttpResponse:
    """The meeting page; POST handlers re-render it with their bound form on errors."""
    meeting = viewer.meeting
    relationship = meeting.relationship
    members = relationship_members(relationship)
    me = next(m for m in members if m.pk == viewer.member.pk)
    # Only goals from versions the viewer may read: their own, or ones shared with them.
    readable = versions_readable_by(request.user)
    goals = mentee_goals(relationship, readable=readable)
    note = private_note_of(request.user, meeting)
    recap = recap_of(meeting)
    now = timezone.now()
    has_started = meeting.starts_at <= now
    writable = relationship.is_open and meeting.status != MeetingStatus.CANCELLED
    viewer_zone = _viewer_zone(request)
    context = {
        "meeting": meeting,
        "relationship": relationship,
        "program": relationship.program,
        "me": me,
        "members": members,
        "others": [m for m in members if m.person_id != me.person_id],
        "other_zones": [
            m for m in members if m.person_id != me.person_id and m.person.time_zone != viewer_zone
        ],
        "viewer_zone": viewer_zone,
        "agenda": list(agenda_of(meeting)),
        "carry_over": carry_over_for(meeting, goals=goals) if not meeting.is_check_in else None,
        "items": list(
            meeting.action_items.select_related("owner", "goal").order_by("status", "due_on")
        ),
        "recap": recap,
        "has_started": has_started,
        "writable": writable,
        "is_mentee_side": me.side in (MemberSide.MENTEE, MemberSide.PEER),
        "agenda_form": forms.get("agenda_form") or AgendaItemForm(goals=goals),
        "notes_form": forms.get("notes_form")
        or NotesForm(initial={"text": meeting.shared_notes, "revision": meeting.notes_revision}),
        "notes_conflict": forms.get("notes_conflict"),
        "private_form": forms.get("private_form")
        or PrivateNoteForm(
            initial={"text": note.text if note else "", "revision": note.revision if note else 0}
        ),
        "private_conflict": forms.get("private_conflict"),
        "private_saved_at": note.updated_at if note else None,
        "action_form": forms.get("action_form")
        or ActionItemForm(
            members=[m.person for m in members], goals=goals, initial={"owner": me.person_id}
        ),
        "log_form": forms.get("log_form")
        or MeetingLogForm(
            initial={"checklist": meeting.checklist, "next_meeting_on": meeting.next_meeting_on}
        ),
        "recap_form": forms.get("recap_form")
        or RecapForm(
            initial={
                "text": recap.text if recap else "",
                "revision": recap.revision if recap else 0,
            }
        ),
        "recap_conflict": forms.get("recap_conflict"),
        "recap_changed": forms.get("recap_changed"),
    }
    return render(request, "meetings/meeting_detail.html", context, status=status)


def _member_meeting(request: AuthenticatedHttpRequest, pk: int) -> MeetingAccess:
    return get_meeting_for_user(request.user, pk)


def _save_form(
    request: AuthenticatedHttpRequest,
    viewer: MeetingAccess,
    form: Any,
    *,
    save: Callable[[dict[str, Any]], Any],
    success: str,
    anchor: str,
    form_key: str,
) -> HttpResponse:
    """The shape every form on the meeting page shares: validate, call the service, show its
    errors on the form (keeping what was typed) or confirm and go back to that section."""
    if form.is_valid():
        try:
            save(form.cleaned_data)
        except ValidationError as e:
            attach_errors(request, form, e)
        else:
            messages.success(request, success.format(**form.cleaned_data))
            return redirect(reverse("meeting_detail", args=[viewer.meeting.pk]) + anchor)
    return render_meeting(request, viewer, status=400, **{form_key: form})


@once_per_submission
@require_POST
def agenda_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    viewer = _member_meeting(request, pk)
    meeting = viewer.meeting
    return _save_form(
        request,
        viewer,
        AgendaItemForm(
            request.POST,
            goals=mentee_goals(meeting.relationship, readable=versions_readable_by(request.user)),
        ),
        save=lambda data: agenda_item_add(meeting=meeting, by=request.user, **data),
        success="Added to the agenda: {topic}.",
        anchor="#agenda",
        form_key="agenda_form",
    )


@require_POST
def agenda_remove(request: AuthenticatedHttpRequest, pk: int, item_pk: int) -> HttpResponse:
    viewer = _member_meeting(request, pk)
    meeting = viewer.meeting
    item = get_object_or_404(AgendaItem, pk=item_pk, meeting=meeting)
    try:
        agenda_item_remove(item=item, by=request.user)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, f"Removed “{item.topic}” from the agenda.")
    return redirect(reverse("meeting_detail", args=[meeting.pk]) + "#agenda")


@require_POST
def notes_save(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    viewer = _member_meeting(request, pk)
    meeting = viewer.meeting
    form = NotesForm(request.POST)
    if form.is_valid():
        try:
            meeting_update_notes(
                meeting=meeting,
                revision=form.cleaned_data["revision"],
                text=form.cleaned_data["text"],
                by=request.user,
            )
        except NotesConflict as conflict:
            # Keep what this person typed in the box; show the saved text beside it; let the
            # next save go through against the revision they have now seen.
            data = request.POST.copy()
            data["revision"] = str(conflict.current_revision)
            form = NotesForm(data)
            form.is_valid()
            form.add_error(
                "text",
                f"{conflict.updated_by} saved the notes while you were editing. Your text is "
                "still here; their version is shown next to it. Merge what you need, then save.",
            )
            meeting.refresh_from_db()
            return render_meeting(
                request, viewer, notes_form=form, notes_conflict=conflict, status=409
            )
        except ValidationError as e:
            attach_errors(request, form, e)
        else:
            messages.success(request, "Shared notes saved.")
            return redirect(reverse("meeting_detail", args=[meeting.pk]) + "#notes")
    return render_meeting(request, viewer, notes_form=form, status=400)


@once_per_submission
@require_POST
def private_note_save_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    viewer = _member_meeting(request, pk)
    meeting = viewer.meeting
    return _save_versioned(
        request,
        viewer,
        PrivateNoteForm(request.POST),
        save=lambda data: private_note_save(
            meeting=meeting, text=data["text"], revision=data["revision"], by=request.user
        ),
        success="Your private notes are saved. Only you can see them.",
        anchor="#private",
        form_key="private_form",
        conflict_key="private_conflict",
        conflict_message="Your private notes were saved from another window while you were "
        "editing here. Your text is still here; the saved version is shown next to it.",
    )


def _save_versioned(
    request: AuthenticatedHttpRequest,
    viewer: MeetingAccess,
    form: Any,
    *,
    save: Callable[[dict[str, Any]], Any],
    success: str,
    anchor: str,
    form_key: str,
    conflict_key: str,
    conflict_message: str,
) -> HttpResponse:
    """`_save_form` for text that names the revision it started from: a save over someone
    else's newer one gets the shared notes' conflict page — the typed text kept in the box,
    the saved text beside it, and the next save made against the revision now shown."""
    if form.is_valid():
        try:
            save(form.cleaned_data)
        except NotesConflict as conflict:
            data = form.data.copy()
            data["revision"] = str(conflict.current_revision)
            form = type(form)(data)
            form.is_valid()
            form.add_error("text", conflict_message.format(name=conflict.updated_by))
            viewer.meeting.refresh_from_db()
            return render_meeting(
                request, viewer, status=409, **{form_key: form, conflict_key: conflict}
            )
        except ValidationError as e:
            attach_errors(request, form, e)
        else:
            messages.success(request, success.format(**form.cleaned_data))
            return redirect(reverse("meeting_detail", args=[viewer.meeting.pk]) + anchor)
    return render_meeting(request, viewer, status=400, **{form_key: form})


@require_POST
def notes_autosave(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Save the shared notes while the person types (static/js/autosave.js). The same
    revision check as the Save button: a save from another tab or person is a 409 conflict."""
    viewer = _member_meeting(request, pk)
    meeting = viewer.meeting
    return _autosave(
        request,
        NotesForm(request.POST),
        save=lambda data: (
            meeting_update_notes(
                meeting=meeting, revision=data["revision"], text=data["text"], by=request.user
            ).notes_revision
        ),
        conflict_template="meetings/_notes_conflict.html",
    )


@require_POST
def private_note_autosave(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Save the person's private notes while they type; a save from their other window since
    this page loaded is a 409 conflict."""
    viewer = _member_meeting(request, pk)
    meeting = viewer.meeting
    return _autosave(
        request,
        PrivateNoteForm(request.POST),
        save=lambda data: (
            private_note_save(
                meeting=meeting, text=data["text"], revision=data["revision"] or 0, by=request.user
            ).revision
        ),
        conflict_template="meetings/_private_conflict.html",
    )


def _autosave(
    request: AuthenticatedHttpRequest,
    form: NotesForm | PrivateNoteForm,
    *,
    save: Callable[[dict[str, Any]], int],
    conflict_template: str,
) -> HttpResponse:
    """Answer a status line (X-Autosave: saved / invalid) or the conflict panel (409,
    X-Autosave: conflict). X-Revision is the revision the next save must name: the new one
    after a save, the saved one after a conflict (the script only uses it for the Save
    button, and pauses autosave until the person has merged)."""
    errors: list[str] = []
    if form.is_valid():
        try:
            revision = save(form.cleaned_data)
        except NotesConflict as conflict:
            response = render(request, conflict_template, {"conflict": conflict}, status=409)
            response["X-Autosave"] = "conflict"
            response["X-Revision"] = str(conflict.current_revision)
            return response
        except ValidationError as e:
            errors = e.messages
        else:
            response = render(
                request, "meetings/_autosave_status.html", {"saved_at": timezone.now()}
            )
            response["X-Autosave"] = "saved"
            response["X-Revision"] = str(revision)
            return response
    else:
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
    response = render(request, "meetings/_autosave_status.html", {"errors": errors})
    response["X-Autosave"] = "invalid"
    return response


@require_POST
def meeting_log_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    viewer = _member_meeting(request, pk)
    meeting = viewer.meeting
    return _save_form(
        request,
        viewer,
        MeetingLogForm(request.POST),
        save=lambda data: meeting_log(meeting=meeting, by=request.user, **data),
        success="Meeting logged.",
        anchor="#log",
        form_key="log_form",
    )


@require_POST
def recap_write_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    viewer = _member_meeting(request, pk)
    meeting = viewer.meeting
    return _save_versioned(
        request,
        viewer,
        RecapForm(request.POST),
        save=lambda data: recap_write(
            meeting=meeting, text=data["text"], revision=data["revision"], by=request.user
        ),
        success="Recap saved. The others are asked to confirm it.",
        anchor="#recap",
        form_key="recap_form",
        conflict_key="recap_conflict",
        conflict_message="{name} wrote the recap while you were writing yours. Your text is "
        "still here; theirs is shown next to it. Merge what you need, then save.",
    )


@require_POST
def recap_confirm_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Confirm the recap the person read: the form names its revision. If it was rewritten
    since, nothing is confirmed and the page shows the new text to read (409)."""
    viewer = _member_meeting(request, pk)
    meeting = viewer.meeting
    # A confirmation that does not say what it read confirms nothing.
    revision = parse_int(request.POST.get("revision"), default=-1)
    try:
        recap_confirm(meeting=meeting, revision=revision, by=request.user)
    except NotesConflict as conflict:
        meeting.refresh_from_db()
        return render_meeting(request, viewer, status=409, recap_changed=conflict)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, "You confirmed the recap.")
    return redirect(reverse("meeting_detail", args=[meeting.pk]) + "#recap")


# --- Calendars ---------------------------------------------------------------------------------


def _event(meeting: Meeting) -> ics.Event:
    members = getattr(meeting.relationship, "active_members", None)
    if members is None:
        members = relationship_members(meeting.relationship)
    return meeting_event(meeting, members)


def _ics_response(body: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def meeting_ics(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, pk).meeting
    if meeting.is_check_in:
        raise Http404("A check-in is not a calendar event.")
    body = ics.calendar([_event(meeting)], method="PUBLISH")
    return _ics_response(body, f"mentoring-meeting-{meeting.pk}.ics")


@login_not_required
@never_cache
@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The token is the credential: calendar apps cannot sign in. Unknown tokens get 404."""
    feed = calendar_feed_lookup(token)
    if feed is None:
        raise Http404("No such calendar.")
    events = [_event(m) for m in calendar_meetings_for(feed.person)]
    body = ics.calendar(events, name="Mentoring meetings")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["X-Robots-Tag"] = "noindex"
    return response


@require_http_methods(["GET", "POST"])
def calendar_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    profile = profile_ensure(user=request.user)
    new_url = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            created = calendar_feed_create(person=profile, by=request.user)
            new_url = request.build_absolute_uri(reverse("calendar_feed", args=[created.token]))
            messages.success(
                request, "Your calendar address is ready. Any earlier address no longer works."
            )
        elif action == "revoke":
            calendar_feed_revoke(person=profile, by=request.user)
            messages.success(request, "Your calendar address is switched off.")
            return redirect("calendar_settings")
        else:
            raise PermissionDenied
    feed = CalendarFeed.objects.filter(person=profile).first()
    return render(
        request,
        "meetings/calendar_settings.html",
        {"feed": feed, "new_url": new_url},
    )
