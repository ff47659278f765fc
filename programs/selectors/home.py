"""What a faculty member should do next, shown on their home page."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from programs.models import FacultyProfile, Membership


@dataclass(frozen=True)
class NextStep:
    title: str
    detail: str
    url: str
    action: str


def next_steps_for(*, profile: FacultyProfile, memberships: list[Membership]) -> list[NextStep]:
    steps: list[NextStep] = []
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
    if not memberships:
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
