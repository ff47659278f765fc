"""The mentoring self-evaluation: the person's overview, the step-by-step form with autosave,
review and submit, and the versions (view, print, PDF, share, compare); plus the directors'
summary of their mentees' needs.

Autosave (htmx) posts a step's whole form with the `revision` the page was loaded at; a stale
revision answers 409 with both versions side by side instead of overwriting. The buttons of the
form (Previous, Next, Add/Remove goal, the progress links via app JS) post the same form and save
it too, so the form also works without JavaScript."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from mentorship.http import AuthenticatedHttpRequest
from mentorship.params import id_param, parse_int
from programs.access import (
    get_assessment_for_user,
    get_own_assessment,
    get_program_for_director,
)
from programs.domain.assessment_sections import SECTIONS, label_for
from programs.exports.assessment_pdf import assessment_pdf
from programs.forms.assessments import (
    REQUIRED_STEPS,
    STEP_BY_SLUG,
    STEPS,
    GoalsStepForm,
    NeedsStepForm,
    ShareForm,
    Step,
    StepForm,
)
from programs.forms.programs import apply_errors
from programs.models import (
    MAX_GOALS_PER_HORIZON,
    AssessmentShare,
    AssessmentStatus,
    FacultyProfile,
    NeedArea,
    SelfAssessment,
)
from programs.selectors.assessments import (
    MODE_LABELS,
    ROLE_LABELS,
    active_shares,
    answered_steps,
    assessment_state,
    assessment_with_parts,
    assessments_to_compare,
    compare_assessments,
    mentors_to_share_with,
    person_versions,
    program_needs_summary,
    reassessment_due,
    structured_assessment,
    structured_summary,
)
from programs.selectors.programs import memberships_of_person
from programs.services.assessments import (
    AssessmentConflict,
    AssessmentNotDraft,
    assessment_autosave,
    assessment_discard,
    assessment_record_download,
    assessment_share,
    assessment_start_draft,
    assessment_submit,
    assessment_unshare,
    too_many_goals_message,
)
from programs.services.people import profile_ensure

REVIEW_STEP = len(STEPS) + 1


# --- Overview and starting --------------------------------------------------------------------


def hub(request: AuthenticatedHttpRequest) -> HttpResponse:
    profile = profile_ensure(user=request.user)
    versions = list(person_versions(person=profile))
    draft = next((v for v in versions if v.status == AssessmentStatus.DRAFT), None)
    submitted = [v for v in versions if v.status == AssessmentStatus.SUBMITTED]
    mentee_programs = [
        m.program for m in memberships_of_person(person_id=profile.pk) if m.is_mentee
    ]
    state = assessment_state(person=profile)
    return render(
        request,
        "assessments/hub.html",
        {
            "profile": profile,
            "draft": draft,
            "resume": _resume_target(draft) if draft else None,
            "submitted": submitted,
            "latest": submitted[0] if submitted else None,
            "due": reassessment_due(state=state, programs=mentee_programs),
            "reassessment_months": min(
                (p.reassessment_months for p in mentee_programs if p.reassessment_months),
                default=None,
            ),
            "steps": STEPS,
        },
    )


@require_POST
def start(request: AuthenticatedHttpRequest) -> HttpResponse:
    draft = assessment_start_draft(person=profile_ensure(user=request.user), by=request.user)
    return redirect(_resume_target(draft)["url"])


def _resume_target(draft: SelfAssessment) -> dict[str, Any]:
    if draft.current_step > len(STEPS):
        return {"title": "Review and submit", "url": reverse("assessments:review", args=[draft.pk])}
    step = STEPS[max(draft.current_step, 1) - 1]
    return {
        "title": f"Step {step.number}: {step.title}",
        "url": reverse("assessments:step", args=[draft.pk, step.slug]),
    }


@require_POST
def discard(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assessment = get_own_assessment(request.user, pk)
    try:
        assessment_discard(assessment=assessment, by=request.user)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, "Your draft was discarded. Your submitted versions are kept.")
    return redirect("assessments:hub")


# --- The steps --------------------------------------------------------------------------------


def _draft_or_redirect(request: AuthenticatedHttpRequest, pk: int) -> SelfAssessment | HttpResponse:
    assessment = get_own_assessment(request.user, pk)
    if assessment.status != AssessmentStatus.DRAFT:
        messages.info(
            request,
            f"Version {assessment.version} is submitted and kept as it is. Start a new version "
            "to update your self-evaluation.",
        )
        return redirect("assessments:version", pk=assessment.pk)
    return assessment_with_parts(pk=assessment.pk)


def _step_or_404(slug: str) -> Step:
    step = STEP_BY_SLUG.get(slug)
    if step is None:
        raise Http404("No such step.")
    return step


def _make_form(
    step: Step,
    assessment: SelfAssessment,
    data: Any = None,
    *,
    add: str | None = None,
    remove: str | None = None,
) -> StepForm:
    kwargs: dict[str, Any] = {"assessment": assessment}
    if step.form_class is GoalsStepForm:
        kwargs.update(goals=assessment.goals.all(), add=add, remove=remove)
    elif step.form_class is NeedsStepForm:
        kwargs["areas"] = NeedArea.objects.order_by("order", "name")
    return step.form_class(data, **kwargs)


def _revision(data: Any) -> int:
    for key in ("overwrite_revision", "revision"):
        revision = parse_int(data.get(key))
        if revision is not None:
            return revision
    return -1


def _target(step: Step, action: str) -> int:
    """The step number a navigation button leads to (REVIEW_STEP for the review page)."""
    if action == "next":
        return step.number + 1
    if action == "previous":
        return max(step.number - 1, 1)
    if action.startswith("goto:"):
        slug = action.removeprefix("goto:")
        if slug == "review":
            return REVIEW_STEP
        if slug in STEP_BY_SLUG:
            return STEP_BY_SLUG[slug].number
    return step.number


def _step_url(assessment: SelfAssessment, number: int) -> str:
    if number >= REVIEW_STEP:
        return reverse("assessments:review", args=[assessment.pk])
    return reverse("assessments:step", args=[assessment.pk, STEPS[number - 1].slug])


@require_http_methods(["GET", "POST"])
def step_view(request: AuthenticatedHttpRequest, pk: int, slug: str) -> HttpResponse:
    step = _step_or_404(slug)
    assessment = _draft_or_redirect(request, pk)
    if isinstance(assessment, HttpResponse):
        return assessment
    if request.method == "GET":
        form = _make_form(step, assessment, add=request.GET.get("add"))
        return _render_step(request, assessment, step, form)

    action = request.POST.get("action", "save")
    remove = action.removeprefix("remove:") if action.startswith("remove:") else None
    form = _make_form(step, assessment, request.POST, remove=remove)
    if not form.is_valid():
        return _render_step(request, assessment, step, form, status=400)
    target = _target(step, action)
    try:
        saved = assessment_autosave(
            assessment=assessment,
            revision=_revision(request.POST),
            data=form.step_data(),
            by=request.user,
            editor=request.POST.get("editor", ""),
            step=target,
        )
    except AssessmentConflict as conflict:
        return _render_step(request, assessment, step, form, conflict=conflict, status=409)
    except AssessmentNotDraft:
        messages.error(request, "This draft was submitted or discarded in another window.")
        return redirect("assessments:hub")
    except ValidationError as e:
        apply_errors(form, e)
        return _render_step(request, assessment, step, form, status=400)

    here = reverse("assessments:step", args=[saved.pk, step.slug])
    if action.startswith("add:"):
        horizon = action.removeprefix("add:")
        if isinstance(form, GoalsStepForm) and horizon in form.rows:
            if form.goal_count(horizon) >= MAX_GOALS_PER_HORIZON:
                # Everything typed was saved; only the extra goal is refused.
                form.add_error(None, too_many_goals_message(horizon))
                fresh = assessment_with_parts(pk=saved.pk)
                return _render_step(request, fresh, step, form, status=400)
            # No #fragment: a fragment target stops the browser honouring autofocus.
            return redirect(f"{here}?add={horizon}")
    if remove is not None:
        messages.success(request, "The goal was removed.")
        return redirect(here)
    if action == "save" or target == step.number:
        messages.success(request, "Saved.")
        return redirect(here)
    return redirect(_step_url(saved, target))


@require_POST
def autosave(request: AuthenticatedHttpRequest, pk: int, slug: str) -> HttpResponse:
    """htmx: save a step while the person types. Answers a status fragment (200), or the
    conflict panel (409) when another tab saved something different since this page loaded."""
    step = _step_or_404(slug)
    assessment = get_own_assessment(request.user, pk)
    if assessment.status != AssessmentStatus.DRAFT:
        return _conflict_response(request, assessment, step, gone=True)
    assessment = assessment_with_parts(pk=assessment.pk)
    form = _make_form(step, assessment, request.POST)
    if not form.is_valid():
        return _status_response(request, assessment, form=form)
    try:
        saved = assessment_autosave(
            assessment=assessment,
            revision=_revision(request.POST),
            data=form.step_data(),
            by=request.user,
            editor=request.POST.get("editor", ""),
            step=step.number,
        )
    except AssessmentConflict as conflict:
        return _conflict_response(request, assessment, step, conflict=conflict)
    except AssessmentNotDraft:
        return _conflict_response(request, assessment, step, gone=True)
    except ValidationError as e:
        apply_errors(form, e)
        return _status_response(request, assessment, form=form)
    return _status_response(request, saved)


def _status_response(
    request: AuthenticatedHttpRequest, assessment: SelfAssessment, *, form: StepForm | None = None
) -> HttpResponse:
    errors = []
    if form is not None:
        for name, field_errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            errors += [f"{label}: {e}" if label else e for e in field_errors]
    response = render(
        request,
        "assessments/_autosave_status.html",
        {"assessment": assessment, "errors": errors},
    )
    response["X-Autosave"] = "invalid" if errors else "saved"
    return response


def _conflict_response(
    request: AuthenticatedHttpRequest,
    assessment: SelfAssessment,
    step: Step,
    *,
    conflict: AssessmentConflict | None = None,
    gone: bool = False,
) -> HttpResponse:
    response = render(
        request,
        "assessments/_conflict.html",
        _conflict_context(assessment, step, conflict, gone=gone),
        status=409,
    )
    reswap(retarget(response, "#autosave-conflict"), "innerHTML")
    response["X-Autosave"] = "conflict"
    return response


def _conflict_context(
    assessment: SelfAssessment,
    step: Step,
    conflict: AssessmentConflict | None,
    *,
    gone: bool = False,
) -> dict[str, Any]:
    rows = []
    if conflict is not None:
        area_names = {}
        if "needs" in conflict.current:
            area_names = dict(NeedArea.objects.values_list("pk", "name"))
        for key in conflict.mine:
            rows.append(
                {
                    "label": _conflict_label(key),
                    "mine": _describe(key, conflict.mine[key], area_names),
                    "theirs": _describe(key, conflict.current[key], area_names),
                }
            )
    return {
        "assessment": assessment,
        "step": step,
        "conflict": conflict,
        "rows": rows,
        "gone": gone,
        "reload_url": reverse("assessments:step", args=[assessment.pk, step.slug]),
    }


def _conflict_label(key: str) -> str:
    return {"goals": "Goals", "needs": "Areas where you want mentoring"}.get(key) or label_for(key)


def _describe(key: str, value: Any, area_names: dict[int, str]) -> list[str]:
    """A value as lines of text, to show two versions side by side."""
    if key == "goals":
        return [
            f"{'Short' if g['horizon'] == 'short' else 'Long'} term: {g['text']}"
            + (f" (by {g['target_date']:%d %b %Y})" if g["target_date"] else "")
            for g in value
        ] or ["(no goals)"]
    if key == "needs":
        names = {1: "high", 2: "medium", 3: "low"}
        return [f"{area_names.get(a, a)}: {names[p]} priority" for a, p in value.items()] or [
            "(none chosen)"
        ]
    if key == "roles_wanted":
        return [ROLE_LABELS.get(v, v) for v in value] or ["(none chosen)"]
    if key == "communication_modes":
        return [MODE_LABELS.get(v, v) for v in value] or ["(none chosen)"]
    return [str(value)] if value else ["(empty)"]


def _progress(assessment: SelfAssessment, current: int) -> list[dict[str, Any]]:
    answered = answered_steps(assessment)
    items = [
        {
            "number": step.number,
            "title": step.title + (" (optional)" if step.section.optional else ""),
            "slug": step.slug,
            "url": reverse("assessments:step", args=[assessment.pk, step.slug]),
            "current": step.number == current,
            "answered": step.slug in answered,
        }
        for step in STEPS
    ]
    items.append(
        {
            "number": REVIEW_STEP,
            "title": "Review and submit",
            "slug": "review",
            "url": reverse("assessments:review", args=[assessment.pk]),
            "current": current == REVIEW_STEP,
            "answered": False,
        }
    )
    return items


def _render_step(
    request: AuthenticatedHttpRequest,
    assessment: SelfAssessment,
    step: Step,
    form: StepForm,
    *,
    conflict: AssessmentConflict | None = None,
    status: int = 200,
) -> HttpResponse:
    here = reverse("assessments:step", args=[assessment.pk, step.slug])
    context = {
        "assessment": assessment,
        "step": step,
        "form": form,
        "progress": _progress(assessment, step.number),
        "previous_step": STEPS[step.number - 2] if step.number > 1 else None,
        "next_title": STEPS[step.number].title if step.number < len(STEPS) else "Review",
        "step_count": len(REQUIRED_STEPS),
        "editor": secrets.token_hex(8),
        "autosave_url": reverse("assessments:autosave", args=[assessment.pk, step.slug]),
        "login_url": f"{reverse('account_login')}?next={quote(here)}",
    }
    if conflict is not None:
        context["conflict_panel"] = _conflict_context(assessment, step, conflict)
    return render(request, "assessments/step.html", context, status=status)


# --- Review and submit ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def review(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assessment = _draft_or_redirect(request, pk)
    if isinstance(assessment, HttpResponse):
        return assessment
    errors: list[dict[str, str]] = []
    if request.method == "POST":
        try:
            submitted = assessment_submit(assessment=assessment, by=request.user)
        except ValidationError as e:
            by_field = e.message_dict.items() if hasattr(e, "error_dict") else [(None, e.messages)]
            for field, field_messages in by_field:
                url = reverse("assessments:step", args=[assessment.pk, field]) if field else ""
                errors += [{"message": message, "url": url} for message in field_messages]
        else:
            messages.success(
                request,
                f"Version {submitted.version} of your self-evaluation is saved. Share it with a "
                "mentor before your first meeting, or print it to bring along.",
            )
            return redirect("assessments:version", pk=submitted.pk)
    answered = answered_steps(assessment)
    return render(
        request,
        "assessments/review.html",
        {
            "assessment": assessment,
            "progress": _progress(assessment, REVIEW_STEP),
            "sections": _sections(assessment),
            "empty_steps": [s for s in REQUIRED_STEPS if s.slug not in answered],
            "errors": errors,
            "steps": STEPS,
        },
        status=400 if errors else 200,
    )


def _sections(assessment: SelfAssessment) -> list[dict[str, Any]]:
    """Every section with its answers, for the review, version and print pages."""
    goals = list(assessment.goals.all())
    needs = sorted(assessment.needs.all(), key=lambda n: (n.priority, n.area.order))
    sections = []
    for number, section in enumerate(SECTIONS, start=1):
        answers = [
            {
                "label": q.label,
                "visibility": q.visibility,
                "value": _display(assessment, q.field),
                "field": q.field,
            }
            for q in section.questions
            if q.field not in ("goals_short", "goals_long", "needs")
        ]
        sections.append(
            {
                "number": number,
                "section": section,
                "answers": answers,
                "url": reverse("assessments:step", args=[assessment.pk, section.slug])
                if assessment.status == AssessmentStatus.DRAFT
                else "",
                "goals": {
                    "short": [g for g in goals if g.horizon == "short"],
                    "long": [g for g in goals if g.horizon == "long"],
                }
                if section.slug == "goals"
                else None,
                "needs": needs if section.slug == "needs" else None,
            }
        )
    return sections


def _display(assessment: SelfAssessment, field: str) -> str:
    if field == "roles_wanted":
        return ", ".join(ROLE_LABELS.get(r, r) for r in assessment.roles_wanted)
    if field == "communication_modes":
        return ", ".join(MODE_LABELS.get(m, m) for m in assessment.communication_modes)
    if field == "location_preference":
        return assessment.get_location_preference_display()
    return getattr(assessment, field)


# --- Versions ---------------------------------------------------------------------------------


def version_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    access = get_assessment_for_user(request.user, pk)
    if not access.sees_reflections:
        assessment = structured_assessment(pk=pk)
        person = FacultyProfile.objects.select_related("user").get(pk=assessment.person_id)
        return render(
            request,
            "assessments/version_structured.html",
            {"summary": structured_summary(assessment), "person": person},
        )
    if access.is_owner and access.assessment.status == AssessmentStatus.DRAFT:
        return redirect("assessments:review", pk=pk)
    assessment = assessment_with_parts(pk=pk)
    return render(
        request,
        "assessments/version_detail.html",
        {
            "assessment": assessment,
            "person": assessment.person,
            "is_owner": access.is_owner,
            "sections": _sections(assessment),
            "shares": list(active_shares(assessment=assessment)) if access.is_owner else [],
        },
    )


def _full_version(request: AuthenticatedHttpRequest, pk: int) -> SelfAssessment:
    """The owner's or a shared mentor's view of a submitted version; 404 for anyone else."""
    access = get_assessment_for_user(request.user, pk)
    if not access.sees_reflections or access.assessment.status != AssessmentStatus.SUBMITTED:
        raise Http404("No such self-evaluation.")
    return assessment_with_parts(pk=pk)


def version_print(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assessment = _full_version(request, pk)
    return render(
        request,
        "assessments/version_print.html",
        {"assessment": assessment, "person": assessment.person, "sections": _sections(assessment)},
    )


def version_pdf(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assessment = _full_version(request, pk)
    body = assessment_pdf(assessment=assessment)
    assessment_record_download(assessment=assessment, by=request.user)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="self-evaluation-v{assessment.version}.pdf"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
def sharing(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assessment = get_own_assessment(request.user, pk)
    if assessment.status != AssessmentStatus.SUBMITTED:
        messages.info(request, "Submit your draft first; then you can share that version.")
        return redirect("assessments:hub")
    mentors = mentors_to_share_with(person=assessment.person)
    form = ShareForm(request.POST or None, mentors=mentors)
    if request.method == "POST" and form.is_valid():
        mentor = form.cleaned_data["mentor"]
        try:
            assessment_share(assessment=assessment, mentor=mentor, by=request.user)
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(
                request,
                f"Version {assessment.version} is now shared with {mentor.display_name}. They can "
                "read all of it, including your private reflections, until you stop sharing.",
            )
            return redirect("assessments:sharing", pk=assessment.pk)
    return render(
        request,
        "assessments/sharing.html",
        {
            "assessment": assessment,
            "form": form,
            "shares": active_shares(assessment=assessment),
            "has_mentors": mentors.exists(),
        },
        status=400 if form.errors else 200,
    )


@require_POST
def unshare(request: AuthenticatedHttpRequest, pk: int, share_pk: int) -> HttpResponse:
    assessment = get_own_assessment(request.user, pk)
    share = get_object_or_404(
        AssessmentShare.objects.select_related("shared_with"), pk=share_pk, assessment=assessment
    )
    assessment_unshare(share=share, by=request.user)
    messages.success(
        request,
        format_html(
            "{} can no longer see version {}.", share.shared_with.display_name, assessment.version
        ),
    )
    return redirect("assessments:sharing", pk=assessment.pk)


def compare(request: AuthenticatedHttpRequest) -> HttpResponse:
    profile = profile_ensure(user=request.user)
    versions = list(person_versions(person=profile))
    choices = [v.pk for v in versions]
    context: dict[str, Any] = {"versions": versions}
    if len(versions) < 2:
        return render(request, "assessments/compare.html", context)
    # Defaults: the latest version against the one before it.
    a, b = id_param(request.GET.get("a")), id_param(request.GET.get("b"))
    if a not in choices:
        a = versions[1].pk
    if b not in choices:
        b = versions[0].pk
    context.update(a=a, b=b)
    if a == b:
        context["error"] = "Choose two different versions to compare."
        return render(request, "assessments/compare.html", context, status=400)
    loaded = assessments_to_compare(person=profile, pks=[a, b])
    before, after = sorted(loaded.values(), key=_version_order)
    context["comparison"] = compare_assessments(before, after)
    return render(request, "assessments/compare.html", context)


def _version_order(assessment: SelfAssessment) -> tuple[int, int]:
    return (assessment.status == AssessmentStatus.DRAFT, assessment.version)


# --- Directors --------------------------------------------------------------------------------


def program_needs(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_director(request.user, pk)
    return render(
        request,
        "programs/needs.html",
        {"program": program, "summary": program_needs_summary(program=program)},
    )
