"""The program's outcomes page: promotion within N years and retention, mentored faculty beside
faculty of the same rank and stream not mentored. Descriptive, for directors and admins."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from mentorship.http import AuthenticatedHttpRequest
from mentorship.params import parse_int
from programs.access import get_program_overseen
from programs.domain.outcomes import COMPARISON, DEFAULT_YEARS, MENTORED, YEARS_CHOICES
from programs.domain.small_cells import SMALL_CELL
from programs.selectors.figures import program_outcomes


def program_outcomes_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    program = get_program_overseen(request.user, pk)
    years = parse_int(request.GET.get("years"), default=DEFAULT_YEARS)
    if years not in YEARS_CHOICES:
        years = DEFAULT_YEARS
    return render(
        request,
        "oversight/outcomes.html",
        {
            "program": program,
            "rows": program_outcomes(program=program, years=years),
            "years": years,
            "years_choices": YEARS_CHOICES,
            "small_cell": SMALL_CELL,
            "mentored_label": MENTORED,
            "comparison_label": COMPARISON,
        },
    )
