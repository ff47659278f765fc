"""The home page, one per role: faculty see their programs and next steps, directors their
programs' state, admins every program."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from mentorship.http import AuthenticatedHttpRequest
from programs.access import (
    concerns_for_director,
    programs_open_to_join,
    programs_visible_to,
    risks_for_director,
    roles_for,
)
from programs.selectors.assessments import shared_with_me
from programs.selectors.figures import attention_first, institution_figures
from programs.selectors.home import next_steps_for
from programs.selectors.joining import join_requests_of
from programs.selectors.programs import (
    memberships_of_person,
    programs_needing_attention,
    programs_with_counts,
)
from programs.selectors.relationships import relationship_counts
from programs.services.people import profile_ensure


def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    roles = roles_for(request.user)
    profile = profile_ensure(user=request.user)
    memberships = list(memberships_of_person(person_id=profile.pk))
    directed = []
    if roles.director_of:
        directed = list(
            programs_needing_attention(
                programs_with_counts(programs_visible_to(request.user)).filter(
                    pk__in=roles.director_of
                ),
                concerns=concerns_for_director(request.user),
                risks=risks_for_director(request.user),
            )
        )
    counts = relationship_counts(profile)
    open_programs: list = []
    if not memberships and not roles.is_admin:  # admins see and add to every program
        requests = join_requests_of(person=profile)
        open_programs = [
            (program, requests.get(program.pk))
            for program in programs_open_to_join(request.user).order_by("name")
        ]
    all_programs: list = []
    institution = None
    if roles.is_admin:
        visible = programs_visible_to(request.user)
        concerns, risks = concerns_for_director(request.user), risks_for_director(request.user)
        institution = institution_figures(visible, concerns=concerns, risks=risks)
        all_programs = list(
            attention_first(
                programs_needing_attention(
                    programs_with_counts(visible), concerns=concerns, risks=risks
                )
            )
        )
    return render(
        request,
        "home.html",
        {
            "profile": profile,
            "memberships": [m for m in memberships if not m.is_director],
            "directed_programs": directed,
            "all_programs": all_programs,
            "open_programs": open_programs,
            "shared_with_me": list(shared_with_me(person=profile)) if roles.mentor_in else [],
            "next_steps": next_steps_for(
                profile=profile,
                memberships=memberships,
                has_relationships=bool(counts["receiving"] or counts["guiding"]),
                open_programs=bool(open_programs),
                is_admin=roles.is_admin,
            ),
            "institution": institution,
            "relationship_counts": counts,
        },
    )
