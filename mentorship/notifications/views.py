"""The notification centre (what the ledger delivered to me), a person's notification
preferences, and the one-click unsubscribe link in every email."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mentorship.http import AuthenticatedHttpRequest
from mentorship.notifications.forms import PreferencesForm, kinds_for
from mentorship.notifications.kinds import Delivery, Kind, spec
from mentorship.notifications.models import Notification, Preference, QuietHours, Status
from mentorship.notifications.selectors import notifications_for
from mentorship.notifications.services import (
    delivery_health,
    notification_mark_read,
    notifications_mark_all_read,
    notifications_retry_failed,
    preference_set,
    quiet_hours_set,
    relay_resume,
    unsubscribe_from_token,
)
from programs.access import roles_for

PAGE_SIZE = 50


@require_GET
def centre(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(notifications_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/centre.html",
        {"page": page, "notifications": page.object_list, "kind_labels": dict(Kind.choices)},
    )


@require_GET
def open_notification(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Follow a notification to its item, marking it read on the way."""
    n = notification_mark_read(user=request.user, notification_id=pk)
    return redirect(n.link or "notifications:centre")


@require_POST
def mark_read(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    notification_mark_read(user=request.user, notification_id=pk)
    return redirect(_back_to_page(request))


@require_POST
def mark_all_read(request: AuthenticatedHttpRequest) -> HttpResponse:
    count = notifications_mark_all_read(user=request.user)
    if count:
        messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked read.")
    return redirect(_back_to_page(request))


def _back_to_page(request: AuthenticatedHttpRequest) -> str:
    from django.urls import reverse

    page = request.POST.get("page", "")
    url = reverse("notifications:centre")
    return f"{url}?page={int(page)}" if page.isdigit() else url


@require_http_methods(["GET", "POST"])
def preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    kinds = kinds_for(is_privileged=roles_for(request.user).is_privileged)
    current = dict(Preference.objects.filter(user=request.user).values_list("kind", "delivery"))
    quiet = QuietHours.objects.filter(user=request.user).first()
    initial = {"quiet_starts": quiet.starts, "quiet_ends": quiet.ends} if quiet else {}
    form = PreferencesForm(request.POST or None, kinds=kinds, current=current, initial=initial)
    if request.method == "POST" and form.is_valid():
        for kind, delivery in form.deliveries().items():
            preference_set(user=request.user, kind=kind, delivery=delivery)
        quiet_hours_set(
            user=request.user,
            starts=form.cleaned_data.get("quiet_starts"),
            ends=form.cleaned_data.get("quiet_ends"),
        )
        messages.success(request, "Your notification choices are saved.")
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})


# The mail client's one-click POST (RFC 8058) carries no CSRF token; the signed token is the
# credential, and it can only switch one kind of email off.
@csrf_exempt
@login_not_required
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user, kind = unsubscribe_from_token(token)
    except (signing.BadSignature, LookupError):
        return render(request, "notifications/unsubscribe_invalid.html", status=400)
    label = Kind(kind).label
    if spec(kind).mandatory:
        return render(
            request, "notifications/unsubscribe.html", {"label": label, "mandatory": True}
        )
    done = request.method == "POST"
    if done:
        preference_set(user=user, kind=kind, delivery=Delivery.OFF)
    return render(
        request, "notifications/unsubscribe.html", {"label": label, "done": done, "token": token}
    )


# --- delivery health ----------------------------------------------------------------------------


def delivery_notice(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The delivery-health notice directors and admins see on every page (loaded after the
    page, so it never adds to a page's own queries); empty while all is well."""
    if not roles_for(request.user).is_privileged:
        return HttpResponse(status=204)
    health = delivery_health()
    if not health.has_problem:
        return HttpResponse(status=204)
    return render(request, "notifications/_delivery_notice.html", {"health": health})


@require_http_methods(["GET", "POST"])
def delivery(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Institution admins: the relay's state, what waits, what failed; retry failed emails in
    bulk, or resume sending after the relay refused our sender."""
    if not roles_for(request.user).is_admin:
        raise PermissionDenied
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "retry":
            count = notifications_retry_failed(by=request.user)
            messages.success(
                request, f"{count} email{pluralize(count)} will be sent again in the next minute."
            )
        elif action == "resume":
            relay_resume(by=request.user)
            messages.success(request, "Sending resumed. Waiting emails go out in the next minute.")
        return redirect("notifications:delivery")
    failed = (
        Notification.objects.filter(status=Status.FAILED)
        .select_related("recipient", "program")
        .order_by("-due_at")[:50]
    )
    return render(
        request,
        "notifications/delivery.html",
        {"health": delivery_health(), "failed": failed},
    )
