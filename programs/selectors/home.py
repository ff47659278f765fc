"""What a faculty member should do next, shown on their home page."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from programs.models import FacultyProfile, Membership
from programs.selectors.relationships import RelationshipStep, next_steps_in_relationships


@dataclass(frozen=True)
class NextStep:
    title: str
    detail: str
    url: str
    action: str


def next_steps_for(
    *,
    profile: FacultyProfile,
    memberships: list[Membership],
    has_relationships: bool = False,
) -> list[NextStep]:
    steps: list[NextStep] = [relationship_step(s) for s in next_steps_in_relationships(profile)]
    missing = profile_gaps(profile)
    if missing:
        steps.append(
            NextStep(
                title="Complete your profile",
                detail="Still missing: " + ", ".join(missing) + ". Matching uses these.",
                url=reverse("profile_edit"),
                action="Edit profile",
            )
        )
    if not memberships and not has_relationships:
        steps.append(
            NextStep(
                title="Join a program",
                detail="You are not in a mentorship program yet. Your program director or "
                "faculty affairs office adds people to programs.",
                url="",
                action="",
            )
        )
    return steps


def profile_gaps(profile: FacultyProfile) -> list[str]:
    checks = [
        (profile.given_name and profile.family_name, "your name"),
        (profile.department_id, "department"),
        (profile.rank_id, "academic rank"),
        (profile.stream_id, "academic stream"),
        (profile.year_joined_faculty, "the year you joined the faculty"),
        (profile.communication_modes, "how you like to communicate"),
    ]
    return [label for present, label in checks if not present]


def relationship_step(step: RelationshipStep) -> NextStep:
    r = step.relationship
    if step.kind == "agreement":
        return NextStep(
            title="Confirm your mentoring agreement",
            detail="Read the agreement and confirm it, or propose changes.",
            url=reverse("relationship_agreement", args=[r.pk]),
            action="Open the agreement",
        )
    if step.kind == "review":
        return NextStep(
            title="Review your mentoring agreement",
            detail="Its review date has come. Revisit it together: keep it with a new review "
            "date, or propose changes.",
            url=reverse("relationship_agreement", args=[r.pk]),
            action="Review the agreement",
        )
    if step.kind == "pilot":
        return NextStep(
            title="Decide after the pilot",
            detail=f"The pilot period ends on {step.when:%d %B %Y}. Continue, or end it without "
            "blame.",
            url=reverse("relationship_detail", args=[r.pk]),
            action="Decide",
        )
    if step.kind == "agenda":
        return NextStep(
            title="Prepare your agenda",
            detail="A meeting is coming up and has no agenda yet. Bring your topics and goals.",
            url=reverse("meeting_detail", args=[step.meeting.pk]),  # type: ignore[union-attr]
            action="Prepare the agenda",
        )
    if step.kind == "log":
        return NextStep(
            title="Log your meeting",
            detail="Record what you covered, the action items and a short recap.",
            url=reverse("meeting_detail", args=[step.meeting.pk]),  # type: ignore[union-attr]
            action="Log the meeting",
        )
    return NextStep(
        title="Confirm a meeting recap",
        detail="Reiterate and review: check the recap of your last meeting and confirm it.",
        url=reverse("meeting_detail", args=[step.meeting.pk]) + "#recap",  # type: ignore[union-attr]
        action="Read the recap",
    )
