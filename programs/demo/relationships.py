"""Demo relationships for the embedded run, built through the real services.

For the demo mentee (mentee@northbridge.example): a board of two mentors — one of them the demo
mentor — with confirmed agreements, past meetings with agendas, recaps and action items, and an
upcoming meeting. One facilitated group. A few dozen other relationships in the junior program in
every stage: new pilots, active pairs, some quiet for months, one ended early, one concluded.
One confidential concern, in a relationship that does not involve the demo mentor. In the
peer program, two peer "mastermind" circles that meet each quarter, and a request to join one
waiting for the director.

Idempotent: nothing is created if the junior program already has relationships. Dates are
relative to today, so the demo always looks current. Notification tasks are marked done, so
seeding never emails anyone."""

from __future__ import annotations

import random
import zoneinfo
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from matching.engine.groups import is_senior
from mentorship.notifications.models import Notification, Status
from programs.models import (
    ActionItem,
    ActionItemStatus,
    AssessmentStatus,
    FacultyProfile,
    Goal,
    Meeting,
    MentoringNeed,
    NeedArea,
    Program,
    Relationship,
    RelationshipKind,
    RelationshipSource,
    Role,
    SelfAssessment,
)
from programs.selectors.relationships import agreement_state
from programs.services.agreements import AGREEMENT_FIELDS, agreement_confirm, agreement_save
from programs.services.concerns import concern_acknowledge, concern_raise
from programs.services.joining import circle_join_request_create
from programs.services.meetings import (
    agenda_item_add,
    meeting_log,
    meeting_schedule,
    meeting_update_notes,
    private_note_save,
    recap_confirm,
    recap_write,
)
from programs.services.pairing import PairingRefused
from programs.services.relationships import (
    relationship_conclude,
    relationship_confirm_pilot,
    relationship_create,
    relationship_end,
    relationship_mark_alumni,
)

TORONTO = zoneinfo.ZoneInfo("America/Toronto")
JUNIOR_PROGRAM = "Junior Faculty Mentoring Program"
PEER_PROGRAM = "Mid-Career Leadership Peer Circles"

AGENDA_TOPICS = [
    (
        "Specific aims for the K award",
        "I have two versions of Aim 2; I lean towards the cohort design.",
    ),
    ("Teaching load next term", "I was asked to take a second block; unsure it is wise this year."),
    ("Promotion timeline", "My chair mentioned the dossier; I do not know where to start."),
    ("First-author paper", "Reviewer 2 asks for a new analysis. Worth it?"),
    ("Committee invitation", "Invited to the curriculum committee. Visibility vs. time."),
    ("Work–life balance", "Clinic is overrunning most days."),
]
RECAPS = [
    "We agreed Aim 2 uses the cohort design. Maya drafts the aims page by the 15th; Robert "
    "reads it within a week and introduces her to the biostatistics core.",
    "We reviewed the teaching request: Maya accepts one block only and says so this week. "
    "Robert will mention her work to the research committee.",
    "We mapped the promotion criteria against Maya's CV. Gaps: teaching evaluations and one "
    "more senior-author paper. Next time: the paper plan.",
    "Reviewer response agreed: do the sensitivity analysis, not the new cohort. Draft response "
    "shared two weeks ahead of the deadline.",
]


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=TORONTO)


def _meet(
    relationship: Relationship,
    *,
    day: date,
    users: list[Any],
    topics: list[tuple[str, str]],
    goals: list[Goal],
    recap: str = "",
    confirm: bool = True,
) -> Meeting:
    """A past meeting with its agenda, notes, checklist and recap, through the services."""
    mentee, mentor = users[0], users[1]
    meeting = meeting_schedule(
        relationship=relationship,
        starts_at=_at(day, 9),
        time_zone="America/Toronto",
        mode="in_person" if not relationship.is_remote else "video",
        location="Mentoring room, 4th floor" if not relationship.is_remote else "",
        already_held=True,
        by=mentor,
    )
    for i, (topic, analysis) in enumerate(topics):
        agenda_item_add(
            meeting=meeting,
            topic=topic,
            analysis=analysis,
            goal=goals[i % len(goals)] if goals else None,
            by=mentee,
        )
    meeting_update_notes(
        meeting=meeting,
        revision=0,
        text="\n".join(f"- {t}: discussed." for t, _ in topics),
        by=mentee,
    )
    meeting_log(
        meeting=meeting,
        checklist=["career", "research", "personal"],
        next_meeting_on=day + timedelta(days=30),
        by=mentee,
    )
    if recap:
        recap_write(meeting=meeting, text=recap, by=mentee)
        if confirm:
            recap_confirm(meeting=meeting, by=mentor)
    return meeting


def _confirm_agreement(
    relationship: Relationship, users: list[Any], *, goals: list[Goal] | None = None, **changes: Any
) -> None:
    state = agreement_state(relationship)
    if state.current is not None and state.current.review_on < timezone.localdate():
        # Agreed long ago: the pair reviewed it since and set the next review ahead.
        changes.setdefault("review_on", timezone.localdate() + timedelta(days=60))
    if changes or goals:
        version = state.current
        data = {f: getattr(version, f) for f in AGREEMENT_FIELDS} | changes
        agreement_save(
            relationship=relationship,
            data=data,
            goals=goals or [],
            revision=state.revision,
            by=users[0],
        )
        state = agreement_state(relationship)
    for user in users:
        agreement_confirm(relationship=relationship, revision=state.revision, by=user)


def _item(
    relationship: Relationship,
    meeting: Meeting | None,
    owner: FacultyProfile,
    title: str,
    due: date,
    status: str = ActionItemStatus.OPEN,
    goal: Goal | None = None,
) -> ActionItem:
    # Created directly: the service rightly refuses due dates in the past, which history needs.
    return ActionItem.objects.create(
        relationship=relationship,
        meeting=meeting,
        owner=owner,
        title=title,
        due_on=due,
        status=status,
        goal=goal,
        created_by=owner,
        completed_at=timezone.now() if status == ActionItemStatus.DONE else None,
    )


def _demo_assessment(person: FacultyProfile) -> SelfAssessment:
    """The demo mentee's latest submitted self-evaluation. The self-evaluation issue seeds its
    own; we only add one if none exists, so the board has needs and goals to show."""
    existing = (
        SelfAssessment.objects.filter(person=person, status=AssessmentStatus.SUBMITTED)
        .order_by("-version")
        .first()
    )
    if existing is not None:
        return existing
    assessment = SelfAssessment.objects.create(
        person=person,
        version=1,
        status=AssessmentStatus.SUBMITTED,
        submitted_at=timezone.now() - timedelta(days=250),
        roles_wanted=["advisor", "sponsor", "coach", "teacher"],
        location_preference="either",
    )
    for slug, priority in (("research", 1), ("promotion", 1), ("work-life", 2), ("leadership", 3)):
        MentoringNeed.objects.create(
            assessment=assessment, area=NeedArea.objects.get(slug=slug), priority=priority
        )
    for order, (horizon, text, status) in enumerate(
        [
            ("short", "Submit a K23 career development award", "in_progress"),
            ("short", "Publish two first-author papers", "in_progress"),
            ("short", "Build a teaching portfolio for promotion", "not_started"),
            ("long", "Lead an independent research program in heart failure outcomes", ""),
        ]
    ):
        Goal.objects.create(
            assessment=assessment,
            horizon=horizon,
            text=text,
            status=status or "not_started",
            order=order,
        )
    return assessment


def _quiet_notifications(since: datetime) -> None:
    """Seeding must not email anyone: the ledger rows the services planned while seeding (the
    ending notice, the concern alert) are marked as handled."""
    Notification.objects.filter(status=Status.PENDING, created_at__gte=since).update(
        status=Status.SKIPPED, last_error="Demo data: not sent."
    )


def seed_relationships(*, admin: Any) -> int:
    """Create the demo relationships; return how many (0 if they already exist)."""
    program = Program.objects.filter(name=JUNIOR_PROGRAM).first()
    if program is None or Relationship.objects.filter(program=program).exists():
        return 0
    started = timezone.now()
    rng = random.Random(5)
    today = timezone.localdate()
    profiles = {
        p.user.email: p
        for p in FacultyProfile.objects.select_related("user").filter(
            user__email__in=["mentee@northbridge.example", "mentor@northbridge.example"]
        )
    }
    maya = profiles["mentee@northbridge.example"]
    robert = profiles["mentor@northbridge.example"]
    director = (
        FacultyProfile.objects.filter(memberships__program=program, memberships__role=Role.DIRECTOR)
        .select_related("user")
        .first()
    )
    by = director.user if director else admin
    # Mentors taking mentees now: the pairing gate refuses one who paused (the demo's offers
    # pause some mentors at random, relative to today).
    mentors = list(
        FacultyProfile.objects.filter(
            memberships__program=program, memberships__role__in=[Role.MENTOR, Role.BOTH]
        )
        .exclude(pk=robert.pk)
        .exclude(mentor_offer__accepting=False)
        .select_related("user")
        .order_by("pk")
    )
    mentees = list(
        FacultyProfile.objects.filter(
            memberships__program=program, memberships__role__in=[Role.MENTEE, Role.BOTH]
        )
        .exclude(pk=maya.pk)
        .select_related("user")
        .order_by("pk")
    )
    created: list[Relationship] = []
    assessment = _demo_assessment(maya)
    goals = list(assessment.goals.order_by("order"))
    areas = {a.slug: a for a in NeedArea.objects.all()}

    # 1. Maya and Robert: research mentoring for eight months, well organised.
    research = relationship_create(
        program=program,
        kind=RelationshipKind.ONE_TO_ONE,
        mentees=[maya],
        mentors=[robert],
        focus_area=areas["research"],
        roles=["advisor", "teacher", "sponsor"],
        started_on=today - timedelta(days=240),
        source=RelationshipSource.MANUAL,
        notify=False,
        by=by,
    )
    created.append(research)
    _confirm_agreement(
        research,
        [maya.user, robert.user],
        progress_measures="K23 submitted by the next cycle; two first-author papers under review.",
        goals=goals[:2],
    )
    for member in (maya, robert):
        relationship_confirm_pilot(relationship=research, by=member.user)
    meetings = []
    for n, days_ago in enumerate([210, 150, 90, 35]):
        topics = AGENDA_TOPICS[n : n + 2]
        meetings.append(
            _meet(
                research,
                day=today - timedelta(days=days_ago),
                users=[maya.user, robert.user],
                topics=topics,
                goals=goals[:2],
                recap=RECAPS[n],
            )
        )
    private_note_save(
        meeting=meetings[-1],
        text="Felt more confident this time. Ask about the R-series timeline next.",
        by=maya.user,
    )
    _item(
        research,
        meetings[0],
        maya,
        "Draft the specific aims page",
        today - timedelta(days=190),
        ActionItemStatus.DONE,
        goals[0],
    )
    _item(
        research,
        meetings[0],
        robert,
        "Introduce Maya to the biostatistics core",
        today - timedelta(days=200),
        ActionItemStatus.DONE,
    )
    _item(
        research,
        meetings[2],
        maya,
        "Send the reviewer response draft",
        today - timedelta(days=5),
        ActionItemStatus.OPEN,
        goals[1],
    )
    _item(
        research,
        meetings[3],
        robert,
        "Read the revised aims page",
        today + timedelta(days=7),
        ActionItemStatus.OPEN,
        goals[0],
    )
    upcoming = meeting_schedule(
        relationship=research,
        starts_at=_at(today + timedelta(days=5), 9),
        time_zone="America/Toronto",
        mode="in_person",
        location="Cardiology offices, room 4.112",
        by=maya.user,
    )
    agenda_item_add(
        meeting=upcoming,
        topic="Budget for the K23",
        analysis="The modular budget looks tight for the statistician's time.",
        goal=goals[0],
        by=maya.user,
    )

    # 2. A second board member: promotion and career, at the end of the pilot.
    career_mentor = next(m for m in mentors if m.department_id != maya.department_id)
    career = relationship_create(
        program=program,
        kind=RelationshipKind.ONE_TO_ONE,
        mentees=[maya],
        mentors=[career_mentor],
        focus_area=areas["promotion"],
        roles=["coach", "role_model"],
        started_on=today - timedelta(days=80),
        source=RelationshipSource.MANUAL,
        notify=False,
        by=by,
    )
    created.append(career)
    _confirm_agreement(
        career,
        [maya.user, career_mentor.user],
        progress_measures="A promotion dossier draft reviewed by the spring.",
        goals=[goals[2]],
    )
    relationship_confirm_pilot(relationship=career, by=career_mentor.user)
    _meet(
        career,
        day=today - timedelta(days=20),
        users=[maya.user, career_mentor.user],
        topics=[AGENDA_TOPICS[2]],
        goals=[goals[2]],
    )
    last = Meeting.objects.filter(relationship=career).latest("starts_at")
    recap_write(
        meeting=last,
        text="We listed the teaching evidence Maya already has and what is missing. Maya asks "
        "for peer observation this term.",
        by=career_mentor.user,
    )  # left for Maya to confirm: a next step on her home page

    # 3. A facilitated peer group on leadership.
    facilitator = mentors[1] if mentors[1].pk != career_mentor.pk else mentors[2]
    # Reporting lines run within a department, so a facilitator from another one is never a
    # group member's boss.
    # The facilitator is senior to every member (the program's rank or years gap).
    group_mentees = [
        m
        for m in mentees
        if m.department_id != facilitator.department_id and _senior(program, facilitator, m)
    ][:4]
    group = relationship_create(
        program=program,
        kind=RelationshipKind.FACILITATED_GROUP,
        mentees=group_mentees,
        facilitator=facilitator,
        focus_area=areas["leadership"],
        roles=["coach"],
        started_on=today - timedelta(days=120),
        source=RelationshipSource.MANUAL,
        notify=False,
        by=by,
    )
    created.append(group)
    members = [facilitator.user] + [m.user for m in group_mentees]
    _confirm_agreement(group, members)
    for user in members:
        relationship_confirm_pilot(relationship=group, by=user)
    for days_ago in (100, 70, 40, 10):
        meeting = meeting_schedule(
            relationship=group,
            starts_at=_at(today - timedelta(days=days_ago), 16),
            time_zone="America/Toronto",
            mode="video",
            video_url="https://video.northbridge.example/leadership-circle",
            already_held=True,
            by=facilitator.user,
        )
        recap_write(
            meeting=meeting,
            text="Each of us brought one leadership challenge; we agreed one step each.",
            by=facilitator.user,
        )
        recap_confirm(meeting=meeting, by=group_mentees[0].user)

    # 4. A few dozen other pairs in every stage.
    pool = [m for m in mentees if m not in group_mentees]
    load: dict[int, int] = {}
    pairs_made = 0
    quiet_pairs = 0  # the demo always shows some quiet pairs, whatever the random draws
    for mentee in pool:
        if pairs_made >= 30:
            break
        rng.shuffle(mentors)
        for mentor in mentors:
            if load.get(mentor.pk, 0) >= 2 or mentor.pk in (facilitator.pk, career_mentor.pk):
                continue
            try:
                relationship = relationship_create(
                    program=program,
                    kind=RelationshipKind.ONE_TO_ONE,
                    mentees=[mentee],
                    mentors=[mentor],
                    focus_area=areas[
                        rng.choice(
                            ["research", "career-guidance", "education", "clinical", "promotion"]
                        )
                    ],
                    roles=rng.sample(["advisor", "teacher", "sponsor", "coach", "role_model"], k=2),
                    is_remote=rng.random() < 0.15,
                    started_on=today - timedelta(days=rng.randint(20, 400)),
                    source=RelationshipSource.MANUAL,
                    notify=False,
                    by=by,
                )
            except ValidationError:
                continue  # reporting line or a duplicate: try another mentor
            load[mentor.pk] = load.get(mentor.pk, 0) + 1
            created.append(relationship)
            pairs_made += 1
            quiet_pairs += _history(
                relationship, mentee, mentor, rng, today, make_quiet=quiet_pairs < 2
            )
            break

    # 5. One ended early (with a reason for directors only) and one concluded as alumni.
    others = list(
        Relationship.objects.filter(pk__in=[r.pk for r in created[3:]], stage="active").order_by(
            "started_on"
        )
    )
    if len(others) >= 2:
        ended, concluded = others[0], others[1]
        a, _b = _pair_users(ended)
        relationship_end(
            relationship=ended,
            by=a,
            reason_for_directors="Our schedules never lined up, and the focus drifted from what "
            "I need. No hard feelings.",
        )
        c, d = _pair_users(concluded)
        relationship_conclude(relationship=concluded, by=c)
        relationship_conclude(relationship=concluded, by=d)
        relationship_mark_alumni(relationship=concluded, by=c)
        relationship_mark_alumni(relationship=concluded, by=d)

    # 6. A confidential concern, not involving the demo mentor.
    target = (
        Relationship.objects.filter(pk__in=[r.pk for r in created[3:]], stage="active")
        .exclude(members__person=robert)
        .order_by("-started_on")
        .first()
    )
    if target is not None:
        raiser, _ = _pair_users(target)
        concern = concern_raise(
            relationship=target,
            category="credit",
            text="My mentor presented the pilot data I collected at a departmental meeting as "
            "their own group's work, without mentioning me. I do not want to make this a "
            "confrontation but I need advice.",
            by=raiser,
        )
        if director is not None:
            concern_acknowledge(concern=concern, by=director.user)

    _quiet_notifications(started)
    return len(created)


def _pair_users(relationship: Relationship) -> tuple[Any, Any]:
    members = list(
        relationship.members.select_related("person__user").order_by("side")
    )  # mentee sorts before mentor
    return members[0].person.user, members[1].person.user


def _history(
    relationship: Relationship,
    mentee: FacultyProfile,
    mentor: FacultyProfile,
    rng: random.Random,
    today: date,
    *,
    make_quiet: bool = False,
) -> bool:
    """Some agreement, pilot and meeting history, depending on how long ago it started. Returns
    whether the pair went quiet (no meeting for months); `make_quiet` makes an old enough pair
    go quiet, so the demo shows quiet pairs whatever the random draws."""
    age = (today - relationship.started_on).days
    users = [mentee.user, mentor.user]
    if age > 30:
        _confirm_agreement(relationship, users)
    if age > 100:
        for user in users:
            relationship_confirm_pilot(relationship=relationship, by=user)
    quiet = age > 200 and (make_quiet or rng.random() < 0.35)  # gone quiet: no meeting for months
    count = min(4, age // 45)
    if quiet:
        meeting_days = {rng.randint(130, age - 1) for _ in range(count)}
    else:
        meeting_days = {rng.randint(5, age - 1) for _ in range(count - 1)}
        if count:
            meeting_days.add(rng.randint(5, min(60, age - 1)))  # met recently
    for days_ago in sorted(meeting_days, reverse=True):
        if days_ago >= age:
            continue
        meeting = meeting_schedule(
            relationship=relationship,
            starts_at=_at(today - timedelta(days=days_ago), rng.choice([8, 12, 16])),
            time_zone="America/Toronto",
            mode="video" if relationship.is_remote else "in_person",
            already_held=True,
            by=mentor.user,
        )
        if rng.random() < 0.7:
            recap_write(
                meeting=meeting, text="We reviewed progress and agreed next steps.", by=mentee.user
            )
            recap_confirm(meeting=meeting, by=mentor.user)
    if not quiet and rng.random() < 0.5:
        meeting_schedule(
            relationship=relationship,
            starts_at=_at(today + timedelta(days=rng.randint(3, 40)), rng.choice([9, 13, 15])),
            time_zone="America/Toronto",
            mode="video" if relationship.is_remote else "in_person",
            by=mentee.user,
        )
    if meeting_days and rng.random() < 0.6:
        _item(
            relationship,
            None,
            mentee,
            rng.choice(
                ["Draft the abstract", "Ask for peer observation", "Book the grants office"]
            ),
            today + timedelta(days=rng.randint(-20, 30)),
        )
    return quiet


def _senior(program: Program, facilitator: FacultyProfile, member: FacultyProfile) -> bool:
    return is_senior(
        member.rank.order if member.rank else None,
        member.career_years,
        facilitator.rank.order if facilitator.rank else None,
        facilitator.career_years,
        rank_gap=program.facilitator_rank_gap,
        years_gap=program.facilitator_years_gap,
    )


# Each circle: its focus, how many peers, how its quarterly meetings went.
CIRCLES = [
    ("leadership", 4, "Each of us brought one leadership challenge; we agreed one step each."),
    ("promotion", 3, "We read each other's promotion statements and traded two edits each."),
]


def seed_circles(*, admin: Any) -> int:
    """The peer program's circles and a request to join one (0 if the program has any)."""
    program = Program.objects.filter(name=PEER_PROGRAM).first()
    if program is None or Relationship.objects.filter(program=program).exists():
        return 0
    started = timezone.now()
    today = timezone.localdate()
    peers = list(
        FacultyProfile.objects.filter(memberships__program=program, memberships__role=Role.BOTH)
        .exclude(mentor_offer__accepting=False)  # the gate refuses a peer who paused
        .select_related("user")
        .order_by("pk")
    )
    areas = {a.slug: a for a in NeedArea.objects.all()}
    circles: list[Relationship] = []
    for slug, size, recap in CIRCLES:
        members = _circle_members(peers, size)
        if members is None:
            break
        circle = _circle(program, members, areas.get(slug), today, by=admin)
        if circle is None:
            break
        peers = [p for p in peers if p not in members]
        circles.append(circle)
        for days_ago in (150, 60):
            meeting = meeting_schedule(
                relationship=circle,
                starts_at=_at(today - timedelta(days=days_ago), 12),
                time_zone="America/Toronto",
                mode="in_person",
                location="Faculty Club, room 2",
                already_held=True,
                by=members[0].user,
            )
            recap_write(meeting=meeting, text=recap, by=members[0].user)
            recap_confirm(meeting=meeting, by=members[1].user)
    # A peer asks to join the smaller circle: the director answers (or a member's facilitator).
    if len(circles) == len(CIRCLES) and peers:
        asker = peers[0]
        circle_join_request_create(
            circle=circles[-1],
            person=asker,
            message="I go up for promotion next year and would value the circle's reading.",
            by=asker.user,
        )
    _quiet_notifications(started)
    return len(circles)


def _circle_members(peers: list[FacultyProfile], size: int) -> list[FacultyProfile] | None:
    """Peers none of whom reports to another: nobody in a circle with their own boss."""
    chosen: list[FacultyProfile] = []
    for person in peers:
        if all(person.pk != o.reports_to_id and o.pk != person.reports_to_id for o in chosen):
            chosen.append(person)
        if len(chosen) == size:
            return chosen
    return None


def _circle(
    program: Program,
    members: list[FacultyProfile],
    focus_area: NeedArea | None,
    today: date,
    *,
    by: Any,
) -> Relationship | None:
    try:
        circle = relationship_create(
            program=program,
            kind=RelationshipKind.PEER_GROUP,
            mentees=members,
            focus_area=focus_area,
            started_on=today - timedelta(days=200),
            source=RelationshipSource.MANUAL,
            notify=False,
            by=by,
        )
    except PairingRefused:  # a rule of the gate the demo's random people happen to meet
        return None
    users = [m.user for m in members]
    _confirm_agreement(circle, users)
    for user in users:
        relationship_confirm_pilot(relationship=circle, by=user)
    return circle
