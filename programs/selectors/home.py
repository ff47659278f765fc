"""What a faculty member should do next, shown on their home page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from programs.models import FacultyProfile, Membership, MentorOffer, ReviewRequest
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
    relationship_steps = unique_steps(next_steps_in_relationships(profile))
    reviews = unique_reviews(profile=profile)
    others = other_people_in(
        profile=profile,
        relationship_ids={s.relationship.pk for s in relationship_steps}
        | {r.relationship_id for r in reviews},
    )
    steps: list[NextStep] = [
        relationship_step(s, others.get(s.relationship.pk, "")) for s in relationship_steps
    ]
    if is_admin and not memberships and not has_relationships:
        # An admin who takes part in no program runs the institution: mentee prompts (join a
        # program, start a self-evaluation, complete the profile matching uses) are not for them.
        return steps
    steps.extend(matching_steps(profile=profile, memberships=memberships))
    steps.extend(review_steps(reviews, others))
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
    if not memberships and not has_relationships and not _asked_as_outside_mentor(profile):
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
    # Due implies a submitted version (reassessment_due counts from it).
    if due is not None and state.latest_submitted_at is not None:
        return NextStep(
            title="Time to update your self-evaluation",
            detail=f"Your program asks for a new version regularly; version "
            f"{state.latest_version} is from {_long_date(state.latest_submitted_at)}. A new "
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


def unique_steps(steps: list[RelationshipStep]) -> list[RelationshipStep]:
    """One card per thing to do: per relationship for its agreement and pilot, per meeting for
    the meeting (logging it comes before confirming its recap, which the log page shows)."""
    seen: set[tuple[str, int]] = set()
    unique = []
    for step in steps:
        key = (
            ("meeting", step.meeting.pk)
            if step.meeting is not None
            else (step.kind, step.relationship.pk)
        )
        if key not in seen:
            seen.add(key)
            unique.append(step)
    return unique


def other_people_in(*, profile: FacultyProfile, relationship_ids: set[int]) -> dict[int, str]:
    """ "Robert Lindqvist and Ana Silva": the others in each relationship, in one query."""
    from programs.models import RelationshipMember

    names: dict[int, list[str]] = {}
    for member in (
        RelationshipMember.objects.filter(
            relationship_id__in=relationship_ids, left_at__isnull=True
        )
        .exclude(person=profile)
        .select_related("person")
        .order_by("relationship_id", "side", "person__family_name", "person__given_name")
    ):
        names.setdefault(member.relationship_id, []).append(member.person.display_name)
    return {pk: _and_list(people) for pk, people in names.items()}


def _and_list(people: list[str]) -> str:
    if len(people) <= 2:
        return " and ".join(people)
    return ", ".join(people[:-1]) + " and " + people[-1]


def _with(others: str) -> str:
    return f" with {others}" if others else ""


def relationship_step(step: RelationshipStep, others: str = "") -> NextStep:
    r = step.relationship
    with_them = _with(others)
    if step.kind == "agreement":
        return NextStep(
            title=f"Confirm your mentoring agreement{with_them}",
            detail="Read the agreement and confirm it, or propose changes.",
            url=reverse("relationship_agreement", args=[r.pk]),
            action="Open the agreement",
        )
    if step.kind == "review":
        return NextStep(
            title=f"Review your mentoring agreement{with_them}",
            detail="Its review date has come. Revisit it together: keep it with a new review "
            "date, or propose changes.",
            url=reverse("relationship_agreement", args=[r.pk]),
            action="Review the agreement",
        )
    if step.kind == "pilot":
        return NextStep(
            title=f"Decide after the pilot{with_them}",
            detail=f"The pilot period ends on {step.when:%d %B %Y}. Continue, or end it without "
            "blame.",
            url=reverse("relationship_detail", args=[r.pk]),
            action="Decide",
        )
    meeting = step.meeting
    if meeting is None:  # the agenda, log and recap steps are each about a meeting
        raise ValueError(f"A “{step.kind}” step names no meeting.")
    if step.kind == "agenda":
        return NextStep(
            title=f"Prepare your agenda for the meeting{with_them}",
            detail="A meeting is coming up and has no agenda yet. Bring your topics and goals.",
            url=reverse("meeting_detail", args=[meeting.pk]),
            action="Prepare the agenda",
        )
    if step.kind == "log":
        return NextStep(
            title=f"Log your meeting{with_them}",
            detail="Record what you covered, the action items and a short recap.",
            url=reverse("meeting_detail", args=[meeting.pk]),
            action="Log the meeting",
        )
    return NextStep(
        title=f"Confirm the recap of your meeting{with_them}",
        detail="Reiterate and review: check the recap of your last meeting and confirm it.",
        url=reverse("meeting_detail", args=[meeting.pk]) + "#recap",
        action="Read the recap",
    )


def matching_steps(*, profile: FacultyProfile, memberships: list[Membership]) -> list[NextStep]:
    """Requests waiting for this mentor's answer, and programs where a mentee has no mentor."""
    from matching.models import MentorRequest, RequestKind, RequestStatus

    steps = []
    pending = MentorRequest.objects.filter(mentor=profile, status=RequestStatus.PENDING)
    counts = dict(pending.values("kind").annotate(n=Count("pk")).values_list("kind", "n"))
    waiting = counts.get(RequestKind.MENTOR, 0) + counts.get(RequestKind.OUTSIDE, 0)
    proposals = counts.get(RequestKind.PEER, 0)
    if proposals:
        steps.append(
            NextStep(
                title=f"{proposals} colleague{'s' if proposals != 1 else ''} proposed pairing "
                "with you as peers",
                detail="Accept, or decline kindly — no reason is needed.",
                url=reverse("matching:my_requests"),
                action="Answer proposals",
            )
        )
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
            if program.pk not in with_mentor and not program.offers_mentors:
                steps.append(
                    NextStep(
                        title=f"Find a peer or a circle in {program.name}",
                        detail="Colleagues at a similar stage, with needs like yours.",
                        url=reverse("matching:peers", args=[program.pk]),
                        action="See peers and circles",
                    )
                )
            elif program.pk not in with_mentor:
                steps.append(
                    NextStep(
                        title=f"Find a mentor in {program.name}",
                        detail="Your shortlist ranks mentors by fit, with the reasons.",
                        url=reverse("matching:shortlist", args=[program.pk]),
                        action="See your shortlist",
                    )
                )
    return steps


def _asked_as_outside_mentor(profile: FacultyProfile) -> bool:
    """An outside mentor answers a mentee's invitation; they are not asked to join a program."""
    from matching.models import MentorRequest, RequestKind

    return MentorRequest.objects.filter(mentor=profile, kind=RequestKind.OUTSIDE).exists()


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


def unique_reviews(*, profile: FacultyProfile) -> list[ReviewRequest]:
    """The person's open reviews, one per relationship (the one closing first)."""
    from programs.selectors.reviews import open_reviews_for

    first: dict[int, ReviewRequest] = {}
    for review in open_reviews_for(profile):
        first.setdefault(review.relationship_id, review)
    return list(first.values())


def review_steps(reviews: list[ReviewRequest], others: dict[int, str]) -> list[NextStep]:
    """One card per relationship whose review waits for this person's answer."""
    return [
        NextStep(
            title=f"Answer the review of your mentoring{_with(others.get(r.relationship_id, ''))}",
            detail="A few questions on how your mentoring is going; your answers are never shown "
            f"to the other person. Open until {r.closes_on:%-d %B}.",
            url=reverse("my_reviews"),
            action="Answer the review",
        )
        for r in reviews
    ]
