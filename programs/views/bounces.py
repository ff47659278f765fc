"""Directors see which members' emails bounce, and clear a bounce once the address is fixed."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from mentorship.http import AuthenticatedHttpRequest
from programs.access import get_program_for_director
from programs.services.bounces import bounce_clear, bounces_for_program


def bounces(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    return render(
        request,
        "programs/bounces.html",
        {"program": program, "bounces": bounces_for_program(program=program)},
    )


@require_POST
def bounce_clear_view(request: AuthenticatedHttpRequest, pk: int, bounce_pk: int) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    bounce = get_object_or_404(bounces_for_program(program=program), pk=bounce_pk)
    bounce_clear(bounce=bounce, program=program, by=request.user)
    messages.success(
        request, f"Emails to {bounce.email} will be tried again. You will hear if they bounce."
    )
    return redirect("programs:bounces", pk=program.pk)
