"""What a faculty member should do next, shown on their home page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse
from django.utils import timezone

from programs.models import FacultyProfile, Membership, MentorOffer
from programs.selectors.assessments import assessment_state, reassessment_due
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
    open_programs: bool = True,
    is_admin: bool = False,
) -> list[NextStep]:
    if is_admin and not memberships and not has_relationships:
        # An admin who takes part in no program runs the institution: mentee prompts (join a
        # program, start a self-evaluation, complete the profile matching uses) are not for them.
        return [relationship_step(s) for s in next_steps_in_relationships(profile)]
    steps: list[NextStep] = [relationship_step(s) for s in next_steps_in_relationships(profile)]
    steps.extend(matching_steps(profile=profile, memberships=memberships))
    steps.extend(review_steps(profile=profile))
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
    if any(m.is_mentee for m in memberships):
        step = self_evaluation_step(profile=profile, memberships=memberships)
        if step is not None:
            steps.append(step)
    if (
        any(m.is_mentor for m in memberships)
        and not MentorOffer.objects.filter(person=profile).exists()
    ):
        steps.append(
            NextStep(
                title="Tell mentees what you offer",
                detail="The need areas you can help with, the mentor roles you are glad to play, "
                "how many mentees you can take and whether you mentor remotely.",
                url=reverse("assessments:mentor_offer"),
                action="Describe what you offer",
            )
        )
    if not memberships and not has_relationships:
        steps.append(
            NextStep(
                title="Join a program",
                detail="You are not in a mentorship program yet. Ask to join one of your "
                "institution's programs below; its directors will answer by email.",
                url="#open-programs",
                action="See the programs",
            )
            if open_programs
            else NextStep(
                title="Join a program",
                detail="You are not in a mentorship program yet. Your program director or "
                "faculty affairs office adds people to programs.",
                url="",
                action="",
            )
        )
        # The self-evaluation needs no program: newcomers can start while they wait.
        step = self_evaluation_step(profile=profile, memberships=[])
        if step is not None:
            steps.append(step)
    return steps


def self_evaluation_step(
    *, profile: FacultyProfile, memberships: list[Membership]
) -> NextStep | None:
    """Start, continue, or redo (when a program asks for it) the self-evaluation."""
    state = assessment_state(person=profile)
    hub = reverse("assessments:hub")
    if state.draft_pk is not None:
        return NextStep(
            title="Continue your self-evaluation",
            detail="Your draft is saved; pick up where you stopped.",
            url=hub,
            action="Continue",
        )
    if not state.completed:
        return NextStep(
            title="Start your self-evaluation",
            detail="Eight short sections on your goals, strengths, challenges and mentoring "
            "needs. It comes first: your program uses your needs to find you mentors"
            + ("." if memberships else ", and you need no program to start it."),
            url=hub,
            action="Start your self-evaluation",
        )
    programs = [m.program for m in memberships if m.is_mentee]
    due = reassessment_due(state=state, programs=programs)
    if due is not None:
        return NextStep(
            title="Time to update your self-evaluation",
            detail=f"Your program asks for a new version regularly; version "
            f"{state.latest_version} is from {_long_date(state.latest_submitted_at)}. A new "  # type: ignore[arg-type]
            "version starts as a copy, so only what changed needs updating.",
            url=hub,
            action="Start a new version",
        )
    return None


def _long_date(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.day} {local:%B %Y}"


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


def matching_steps(*, profile: FacultyProfile, memberships: list[Membership]) -> list[NextStep]:
    """Requests waiting for this mentor's answer, and programs where a mentee has no mentor."""
    from matching.models import MentorRequest, RequestStatus

    steps = []
    waiting = MentorRequest.objects.filter(mentor=profile, status=RequestStatus.PENDING).count()
    if waiting:
        steps.append(
            NextStep(
                title=f"{waiting} mentee{'s' if waiting != 1 else ''} asked you to mentor them",
                detail="Accept, or decline kindly — no reason is needed.",
                url=reverse("matching:my_requests"),
                action="Answer requests",
            )
        )
    mentee_programs = [m.program for m in memberships if m.is_mentee and m.status == "active"]
    if mentee_programs:
        with_mentor = programs_with_a_mentor(profile)
        for program in mentee_programs:
            if program.pk not in with_mentor:
                steps.append(
                    NextStep(
                        title=f"Find a mentor in {program.name}",
                        detail="Your shortlist ranks mentors by fit, with the reasons.",
                        url=reverse("matching:shortlist", args=[program.pk]),
                        action="See your shortlist",
                    )
                )
    return steps


def programs_with_a_mentor(profile: FacultyProfile) -> set[int]:
    from programs.models import Relationship
    from programs.models.relationships import OPEN_STAGES, RECEIVING_SIDES

    return set(
        Relationship.objects.filter(
            stage__in=OPEN_STAGES,
            members__person=profile,
            members__side__in=RECEIVING_SIDES,
            members__left_at__isnull=True,
        ).values_list("program_id", flat=True)
    )


def review_steps(*, profile: FacultyProfile) -> list[NextStep]:
    """Relationship reviews waiting for this person's answer."""
    from programs.selectors.reviews import open_reviews_for

    waiting = list(open_reviews_for(profile)[:5])
    if not waiting:
        return []
    closes = min(r.closes_on for r in waiting)
    return [
        NextStep(
            title=f"{len(waiting)} relationship review{'s' if len(waiting) != 1 else ''} to answer",
            detail=f"A few questions on how your mentoring is going; your answers are never shown "
            f"to the other person. Open until {closes:%-d %B}.",
            url=reverse("my_reviews"),
            action="Answer",
        )
    ]
