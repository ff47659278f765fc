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
from programs.exports.charts import outcome_charts
from programs.selectors.figures import program_outcomes


def program_outcomes_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    program = get_program_overseen(request.user, pk)
    years = parse_int(request.GET.get("years"), default=DEFAULT_YEARS)
    if years not in YEARS_CHOICES:
        years = DEFAULT_YEARS
    rows = program_outcomes(program=program, years=years)
    return render(
        request,
        "oversight/outcomes.html",
        {
            "program": program,
            "rows": rows,
            "charts": outcome_charts(rows, years=years) if rows else [],
            "years": years,
            "years_choices": YEARS_CHOICES,
            "small_cell": SMALL_CELL,
            "mentored_label": MENTORED,
            "comparison_label": COMPARISON,
        },
    )
