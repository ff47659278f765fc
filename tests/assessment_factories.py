"""Self-evaluations built through the real services, for tests."""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps

from programs.domain.review_instrument import ensure_default_instrument
from programs.models import (
    AssessmentStatus,
    FacultyProfile,
    GoalStatus,
    LocationPreference,
    NeedArea,
    ReviewInstrument,
    ReviewItem,
    SelfAssessment,
)
from programs.services.assessments import (
    assessment_autosave,
    assessment_start_draft,
    assessment_submit,
)

REFLECTIONS = {
    "mission": "Become a clinician leader in hospital medicine.",
    "success_definition": "Home for dinner most nights.",
    "personal_goals": "Run a half-marathon.",
    "goals_interface": "Early mornings for writing.",
    "strengths": "Writing and teaching.",
    "challenges": "Saying no to new roles.",
    "needs_notes": "A grant mentor would help.",
    "motivators": "Clear goals.",
    "deadlines": "Firm dates.",
    "hindrances": "Interruptions.",
    "valued_qualities": "Timeliness and discretion.",
    "elevator_pitch": "I am an assistant professor building a program.",
}


def ensure_reference_data() -> None:
    """Re-create the need areas, ranks and streams seeded by migration 0002, and the default review
    instrument of migration 0008, when a transactional (browser) test has flushed them."""
    if not NeedArea.objects.exists():
        importlib.import_module("programs.migrations.0002_reference_data").seed(apps, None)
    ensure_default_instrument(ReviewInstrument, ReviewItem)


def goal(horizon: str, text: str, **extra: Any) -> dict[str, Any]:
    return {
        "lineage": extra.pop("lineage", None),
        "horizon": horizon,
        "text": text,
        "target_date": extra.pop("target_date", None),
        "status": extra.pop("status", GoalStatus.NOT_STARTED),
    }


def draft(person: FacultyProfile, **data: Any) -> SelfAssessment:
    """The person's draft with `data` saved into it (see `assessment_autosave`)."""
    assessment = assessment_start_draft(person=person, by=person.user)
    if data:
        assessment = assessment_autosave(
            assessment=assessment, revision=assessment.revision, data=data, by=person.user
        )
    return assessment


def full_data(*, goal_count: int = 2, need_count: int = 2, **overrides: Any) -> dict[str, Any]:
    """Every section answered; `goal_count` goals (short-term first) and `need_count` needs."""
    areas = list(NeedArea.objects.order_by("order")[:need_count])
    short = [goal("short", f"Short-term goal {i + 1}") for i in range(min(goal_count, 3))]
    long = [goal("long", f"Long-term goal {i + 1}") for i in range(max(0, goal_count - 3))]
    data: dict[str, Any] = {
        **REFLECTIONS,
        "needs": {area.pk: 1 + i % 3 for i, area in enumerate(areas)},
        "roles_wanted": ["sponsor", "coach"],
        "location_preference": LocationPreference.LOCAL,
        "communication_modes": ["video", "email"],
        "goals": short + long,
    }
    data.update(overrides)
    return data


def submitted(person: FacultyProfile, **overrides: Any) -> SelfAssessment:
    """A submitted version: the person's draft (or a new one) filled in and submitted."""
    assessment = draft(person, **full_data(**overrides))
    assessment = assessment_submit(assessment=assessment, by=person.user)
    assert assessment.status == AssessmentStatus.SUBMITTED
    return assessment
