"""Relationship review pages: answering from the emailed link, one's own reviews, and the
directors' results, risks, completion rates and instruments; also undeliverable emails."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods, require_POST

from mentorship.http import AuthenticatedHttpRequest
from mentorship.uploads import upload_was_too_large
from programs.access import (
    get_instrument_for_director,
    get_program_for_director,
    get_relationship_for_review_results,
    review_requests_for_director,
    risks_for_director,
)
from programs.domain.instrument_file import (
    MAX_BYTES as MAX_INSTRUMENT_BYTES,
)
from programs.domain.instrument_file import (
    InstrumentFileError,
    read_instrument,
    write_instrument,
)
from programs.domain.small_cells import SMALL_CELL
from programs.forms.programs import apply_errors
from programs.forms.reviews import InstrumentForm, ItemFormSet, ReviewForm, RiskClearForm
from programs.models import (
    FacultyProfile,
    Program,
    ReviewChoice,
    ReviewInstrument,
    ReviewRequest,
)
from programs.selectors.figures import program_subscale_trend, relationship_subscale_trend
from programs.selectors.relationships import relationship_members
from programs.selectors.reviews import (
    answered_reviews_of,
    at_risk_relationships,
    completion_rates,
    items_for_respondent,
    latest_review_signal,
    open_reviews_for,
    review_history,
)
from programs.services.reviews import (
    ReviewLinkProblem,
    StaleInstrument,
    instrument_copy,
    instrument_for,
    instrument_import,
    instrument_in_use,
    instrument_save,
    instrument_spec,
    open_risks,
    program_instrument_choose,
    review_request_for_link,
    review_submit,
    review_token,
    risk_clear,
)
from programs.views.submissions import once_per_submission

LINK_STATUS = {
    ReviewLinkProblem.INVALID: 404,
    ReviewLinkProblem.WRONG_PERSON: 403,
    ReviewLinkProblem.ANSWERED: 200,
    ReviewLinkProblem.EXPIRED: 410,
    ReviewLinkProblem.NOT_OPEN: 200,
    ReviewLinkProblem.ENDED: 410,
}


# --- Answering ---------------------------------------------------------------------------------


@once_per_submission
@require_http_methods(["GET", "POST"])
def review_answer(request: AuthenticatedHttpRequest, token: str) -> HttpResponse:
    try:
        review = review_request_for_link(token=token, user=request.user)
    except ReviewLinkProblem as problem:
        return render(
            request,
            "reviews/link_problem.html",
            {"reason": problem.reason, "review": problem.request},
            status=LINK_STATUS[problem.reason],
        )
    instrument = review.instrument
    items = items_for_respondent(review)
    form = ReviewForm(request.POST or None, instrument=instrument, items=items)
    if request.method == "POST" and form.is_valid():
        try:
            response = review_submit(
                request=review,
                answers=form.answers(),
                choice=form.cleaned_data["choice"],
                comment_for_directors=form.cleaned_data["comment_for_directors"],
                by=request.user,
            )
        except ValidationError as e:
            apply_errors(form, e)
        else:
            return redirect("review_done", pk=response.request_id)
    members = relationship_members(review.relationship)
    return render(
        request,
        "reviews/answer.html",
        {
            "review": review,
            "relationship": review.relationship,
            "program": review.relationship.program,
            "instrument": instrument,
            "others": [m for m in members if m.person_id != review.respondent_id],
            "form": form,
        },
        status=400 if form.errors else 200,
    )


def review_done(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    review = (
        ReviewRequest.objects.select_related("relationship__program", "response")
        .filter(pk=pk, respondent__user=request.user, completed_at__isnull=False)
        .first()
    )
    if review is None:
        raise Http404("No such review.")
    return render(
        request,
        "reviews/done.html",
        {
            "review": review,
            "relationship": review.relationship,
            "program": review.relationship.program,
            "choice": review.response.choice,
            "END": ReviewChoice.END,
            "ADJUST": ReviewChoice.ADJUST,
        },
    )


def my_reviews(request: AuthenticatedHttpRequest) -> HttpResponse:
    person = FacultyProfile.objects.filter(user=request.user).first()
    pending = [(r, review_token(r)) for r in open_reviews_for(person)] if person else []
    return render(
        request,
        "reviews/mine.html",
        {"pending": pending, "answered": answered_reviews_of(person)[:20] if person else []},
    )


# --- Directors ---------------------------------------------------------------------------------


def program_reviews(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    risks, requests = risks_for_director(request.user), review_requests_for_director(request.user)
    at_risk = list(at_risk_relationships(program=program, risks=risks))
    signals = latest_review_signal(at_risk, risks=risks, requests=requests)
    return render(
        request,
        "reviews/program_reviews.html",
        {
            "program": program,
            "at_risk": [(r, signals.get(r.pk)) for r in at_risk],
            "rates": completion_rates(program, requests=requests),
            "instrument": instrument_for(program),
            "trend": program_subscale_trend(program, requests=requests),
            "small_cell": SMALL_CELL,
        },
    )


def review_results(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    relationship = get_relationship_for_review_results(request.user, pk).relationship
    return _results(request, relationship, RiskClearForm())


def _results(
    request: AuthenticatedHttpRequest, relationship, form: RiskClearForm, status: int = 200
) -> HttpResponse:
    history = review_history(relationship)
    trend = relationship_subscale_trend(
        relationship, requests=review_requests_for_director(request.user)
    )
    return render(
        request,
        "reviews/results.html",
        {
            "trend": trend,
            "relationship": relationship,
            "program": relationship.program,
            "history": history,
            "members": relationship_members(relationship),
            "form": form,
        },
        status=status,
    )


@require_POST
def risk_clear_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    relationship = get_relationship_for_review_results(request.user, pk).relationship
    form = RiskClearForm(request.POST)
    risk = open_risks(relationship).first()
    if risk is None:
        messages.info(request, "This relationship is not flagged at risk any more.")
        return redirect("review_results", pk=relationship.pk)
    if form.is_valid():
        try:
            risk_clear(risk=risk, note=form.cleaned_data["note"], by=request.user)
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(request, "The risk flag is cleared; your note is kept.")
            return redirect("review_results", pk=relationship.pk)
    return _results(request, relationship, form, status=400)


# --- Instruments -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def instruments(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    available = list(
        ReviewInstrument.objects.filter(is_active=True)
        .filter(Q(program=program) | Q(program__isnull=True))
        .prefetch_related("items")
        .order_by("name")
    )
    in_use = instrument_for(program)
    error, status = "", 200
    if request.method == "POST":
        chosen = next((i for i in available if str(i.pk) == request.POST.get("instrument")), None)
        if chosen is None:
            error, status = "Choose one of the instruments listed.", 400
        else:
            program_instrument_choose(program=program, instrument=chosen, by=request.user)
            messages.success(request, f"Reviews opened from now on use “{chosen.name}”.")
            return redirect("review_instruments", pk=program.pk)
    return _instruments_page(request, program, available, in_use, error=error, status=status)


def _instruments_page(
    request: AuthenticatedHttpRequest,
    program: Program,
    available: list[ReviewInstrument] | None = None,
    in_use: ReviewInstrument | None = None,
    *,
    error: str = "",
    import_problems: list[tuple[int, str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    if available is None:
        available = list(
            ReviewInstrument.objects.filter(is_active=True)
            .filter(Q(program=program) | Q(program__isnull=True))
            .prefetch_related("items")
            .order_by("name")
        )
    return render(
        request,
        "reviews/instruments.html",
        {
            "program": program,
            "instruments": available,
            "in_use": in_use or instrument_for(program),
            "error": error,
            "import_problems": import_problems or [],
        },
        status=status,
    )


def instrument_export(
    request: AuthenticatedHttpRequest, pk: int, instrument_pk: int
) -> HttpResponse:
    """The instrument as a JSON file (docs/review-instruments.md) another program can import."""
    program = get_program_for_director(request.user, pk)
    instrument = (
        ReviewInstrument.objects.filter(Q(program=program) | Q(program__isnull=True))
        .filter(pk=instrument_pk)
        .first()
    )
    if instrument is None:
        raise Http404("No such instrument.")
    body = write_instrument(instrument_spec(instrument))
    slug = slugify(instrument.name) or "instrument"
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slug}.json"'
    return response


@once_per_submission
@require_POST
def instrument_import_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    request.POST  # noqa: B018 - parse the upload now, so the size handler has run
    upload = request.FILES.get("file")
    if upload_was_too_large(request) or upload is None:
        problems = [(0, "Choose the instrument file to import.")]
    elif upload.size and upload.size > MAX_INSTRUMENT_BYTES:
        problems = [(0, "The file is too large to be an instrument.")]
    else:
        try:
            spec = read_instrument(upload.read())
        except InstrumentFileError as e:
            problems = e.problems
        else:
            instrument = instrument_import(program=program, spec=spec, by=request.user)
            messages.success(
                request,
                f"Imported “{instrument.name}” with {len(spec.items)} items. Choose it below "
                "to use it for reviews opened from now on.",
            )
            return redirect("review_instruments", pk=program.pk)
    return _instruments_page(request, program, import_problems=problems, status=400)


def instrument_format(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The file format (the full text, with the reasons behind it, is docs/review-instruments.md)."""
    return render(request, "reviews/instrument_format.html")


@once_per_submission
@require_http_methods(["GET", "POST"])
def instrument_edit(
    request: AuthenticatedHttpRequest, pk: int, instrument_pk: int | None = None
) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    instrument = (
        get_instrument_for_director(request.user, program, instrument_pk) if instrument_pk else None
    )
    read_only = instrument is not None and (
        instrument.program_id is None or instrument_in_use(instrument)
    )
    initial_items = (
        [
            {"text": i.text, "construct": i.construct, "polarity": i.polarity}
            for i in instrument.items.all()
        ]
        if instrument
        else []
    )
    form = InstrumentForm(
        request.POST if request.method == "POST" and not read_only else None,
        instance=instrument or ReviewInstrument(program=program),
        initial={"revision": instrument.revision if instrument else 0},
    )
    status = 400
    items = ItemFormSet(
        request.POST if request.method == "POST" and not read_only else None,
        initial=initial_items,
        prefix="items",
    )
    if request.method == "POST" and not read_only and form.is_valid() and items.is_valid():
        try:
            saved = instrument_save(
                program=program,
                instrument=instrument,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                source=form.cleaned_data["source"],
                scale_max=form.cleaned_data["scale_max"],
                scale_labels=form.labels(),
                items=items.items(),
                revision=form.cleaned_data["revision"],
                by=request.user,
            )
        except StaleInstrument as stale:
            # Keep everything typed; the next save goes through against the revision now shown.
            saved_name, saved_items = stale.current.name, stale.current.items.count()
            post = request.POST.copy()
            post["revision"] = str(stale.current.revision)
            form = InstrumentForm(post, instance=stale.current)
            form.is_valid()
            form.add_error(
                None,
                f"Someone else saved this instrument (now “{saved_name}”, {saved_items} "
                f"item{pluralize(saved_items)}) while you were editing. Your version is still "
                "in the form; open the instrument in another tab to compare, then save again "
                "to keep yours.",
            )
            status = 409
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(request, f"“{saved.name}” saved.")
            return redirect("review_instrument_edit", pk=program.pk, instrument_pk=saved.pk)
    return render(
        request,
        "reviews/instrument_form.html",
        {
            "program": program,
            "instrument": instrument,
            "form": form,
            "items": items,
            "read_only": read_only,
            "shipped": instrument is not None and instrument.program_id is None,
        },
        status=status if request.method == "POST" and not read_only else 200,
    )


@once_per_submission
@require_POST
def instrument_copy_view(
    request: AuthenticatedHttpRequest, pk: int, instrument_pk: int
) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    instrument = get_instrument_for_director(request.user, program, instrument_pk)
    copy = instrument_copy(instrument=instrument, program=program, by=request.user)
    messages.success(request, f"Copied. Change “{copy.name}” as you need, then choose it.")
    return redirect("review_instrument_edit", pk=program.pk, instrument_pk=copy.pk)
