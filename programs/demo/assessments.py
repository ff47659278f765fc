"""Demo self-evaluations and mentor offers, added at the end of `programs.demo.institution.seed_demo`.

Most mentees get a submitted self-evaluation (a few only a draft, a few nothing, so directors see
who has not completed it); the demo mentee has two versions a year apart, so the comparison page
has something to show, and shares the latest with the demo mentor. Most mentors describe what they
offer and list a training.

Idempotent: people who already have a self-evaluation or an offer are left alone, and the random
choices come from a fixed seed."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.utils import timezone

from programs.models import (
    MENTEE_ROLES,
    MENTOR_ROLES,
    CommunicationMode,
    FacultyProfile,
    GoalStatus,
    LocationPreference,
    MentorRole,
    NeedArea,
    Program,
    SelfAssessment,
)
from programs.services.assessments import (
    OfferData,
    assessment_autosave,
    assessment_share,
    assessment_start_draft,
    assessment_submit,
    mentor_offer_update,
    mentor_training_add,
)

MISSIONS = [
    "To build an independent research program in {topic} that changes how we care for patients.",
    "To become a clinician leader who makes our {division} service a place people want to work.",
    "To grow into a medical educator whose teaching in {topic} is known beyond this institution.",
    "To combine clinical work with quality improvement in {topic}, and lead a unit one day.",
    "To be an excellent clinician-teacher and a reliable colleague, with room for a life outside.",
]
SUCCESS = [
    "Independent funding, a team I enjoy working with, and being home for dinner most nights.",
    "A national reputation in {topic}, and residents who say I changed how they practise.",
    "Leading a program I built, and still seeing patients one day a week.",
    "Being promoted on time without burning out, and mentoring others in turn.",
    "Work that matters to patients, recognised by my peers, and time for my family.",
]
SHORT_GOALS = [
    "Submit a career development award application",
    "Build leadership skills through a formal course",
    "Publish two first-author papers on {topic}",
    "Design and run a new teaching session for residents",
    "Prepare my promotion dossier",
    "Present at a national meeting",
    "Start a quality improvement project on my unit",
    "Join a hospital committee",
]
LONG_GOALS = [
    "Build a national reputation in medical education",
    "Lead an independently funded research program in {topic}",
    "Establish a teaching rotation in {division}",
    "Direct a clinical program",
    "Get involved in national specialty committees",
    "Be promoted to professor",
]
PERSONAL = [
    "Time with my young children, running a half-marathon, and learning Spanish.",
    "Caring for a parent nearby, staying healthy, and keeping weekends mostly free.",
    "Music — I play in a community orchestra — and travelling to see family abroad.",
    "Finishing our house renovation and volunteering at my children's school.",
]
INTERFACE = [
    "Clinic days are long, so writing has to happen early in the morning; I protect Fridays.",
    "Conference travel competes with family time; I would like to choose meetings carefully.",
    "My personal interests recharge me; when I drop them my work suffers within weeks.",
]
STRENGTHS = [
    "Writing, program development and collaborative work. Teaching energises me.",
    "Clinical reasoning, calm in a crisis, and bringing people together around a problem.",
    "Data analysis and study design; I enjoy turning a messy question into a clear one.",
    "Curriculum design and giving feedback; learners tell me I make things make sense.",
]
CHALLENGES = [
    "Resolving administrative or team conflict. Saying no to new roles.",
    "Knowing which roles and tasks to take on; I spread myself too thin.",
    "Grant writing feels isolating and I procrastinate on it.",
    "Negotiating protected time with my division.",
]
NEEDS_NOTES = [
    "I would like a sponsor here who knows how promotion committees read a dossier.",
    "A mentor for my first grant — someone who has sat on a study section.",
    "Someone outside my division to talk to about balancing clinical and academic work.",
    "",
]
MOTIVATORS = [
    "Clear goals, visible progress, and working alongside people I respect.",
    "Recognition of the work, protected time, and a deadline I agreed to myself.",
    "Patients and learners. Knowing why a task matters.",
]
DEADLINES = [
    "I do best with a firm date agreed at the end of each meeting.",
    "Short, frequent check-ins keep me on track better than one big deadline.",
    "I like to set my own deadlines and share them.",
]
HINDRANCES = [
    "Interruptions and unclear expectations; last-minute schedule changes.",
    "Meetings without agendas. Unclear ownership of tasks.",
    "An unpredictable clinical schedule and email during writing time.",
]
QUALITIES = [
    "Timeliness, being discreet, and candour delivered kindly.",
    "Reliability, curiosity and a sense of humour.",
    "Honesty, generosity with credit, and respect for people's time.",
]
PITCHES = [
    "I am an assistant professor at Northbridge building a program in {topic}. I admire your "
    "work and would value your advice on taking the next step towards independent funding. "
    "Would you have 30 minutes for a video call in the coming weeks?",
    "",
]
TRAININGS = [
    "Mentor development workshop",
    "Mentoring across difference (online course)",
    "Research mentor training",
    "Faculty development: coaching skills",
]
OFFER_NOTES = [
    "I like to meet monthly with a short agenda from my mentee. Happy to read drafts.",
    "I enjoy helping with grant strategy and with the first years of running a lab.",
    "Glad to talk through career decisions and promotion; I sit on our promotions committee.",
    "",
]


def seed_assessments(*, builder_seed: int = 11) -> None:
    rng = random.Random(builder_seed)
    areas = list(NeedArea.objects.filter(is_active=True).order_by("order"))
    junior = Program.objects.filter(name="Junior Faculty Mentoring Program").first()
    if junior is not None and junior.reassessment_months is None:
        junior.reassessment_months = 12
        junior.save(update_fields=["reassessment_months"])

    demo_mentee = FacultyProfile.objects.filter(user__email="mentee@northbridge.example").first()
    demo_mentor = FacultyProfile.objects.filter(user__email="mentor@northbridge.example").first()
    if demo_mentee is not None and not SelfAssessment.objects.filter(person=demo_mentee).exists():
        _demo_mentee_versions(demo_mentee, demo_mentor, areas)

    mentees = (
        FacultyProfile.objects.filter(memberships__role__in=MENTEE_ROLES)
        .exclude(self_assessments__isnull=False)
        .select_related("user", "division")
        .prefetch_related("expertise")
        .distinct()
        .order_by("pk")
    )
    # Who is left out depends on the person, not on the loop, so a second run adds nobody.
    for person in mentees:
        if person.pk % 7 == 3:
            continue  # has not started: directors see who still needs to
        months_ago = rng.choice([1, 2, 4, 6, 9, 14])
        assessment = _draft(person, rng, areas)
        if person.pk % 9 == 5:
            continue  # a draft in progress
        _submit(assessment, person, days_ago=months_ago * 30 + rng.randint(0, 20))

    mentors = (
        FacultyProfile.objects.filter(memberships__role__in=MENTOR_ROLES)
        .exclude(mentor_offer__isnull=False)
        .select_related("user")
        .distinct()
        .order_by("pk")
    )
    for person in mentors:
        if person.pk % 5 == 4 and person != demo_mentor:
            continue  # has not described their offer yet
        _offer(person, rng, areas, demo=person == demo_mentor)


def _fill(template: str, person: FacultyProfile) -> str:
    topics = [t.name for t in person.expertise.all()] or ["medical education"]
    division = person.division.name if person.division else "our"
    return template.format(topic=topics[0], division=division)


def _draft(person: FacultyProfile, rng: random.Random, areas: list[NeedArea]) -> SelfAssessment:
    draft = assessment_start_draft(person=person, by=person.user)
    needs = rng.sample(areas, k=rng.randint(2, 4))
    goals = [
        _goal("short", _fill(text, person), rng)
        for text in rng.sample(SHORT_GOALS, k=rng.randint(1, 3))
    ] + [
        _goal("long", _fill(text, person), rng)
        for text in rng.sample(LONG_GOALS, k=rng.randint(1, 2))
    ]
    data: dict[str, Any] = {
        "mission": _fill(rng.choice(MISSIONS), person),
        "success_definition": _fill(rng.choice(SUCCESS), person),
        "personal_goals": rng.choice(PERSONAL),
        "goals_interface": rng.choice(INTERFACE),
        "strengths": rng.choice(STRENGTHS),
        "challenges": rng.choice(CHALLENGES),
        "needs": {a.pk: rng.choice([1, 1, 2, 2, 3]) for a in needs},
        "roles_wanted": rng.sample(MentorRole.values, k=rng.randint(2, 4)),
        "location_preference": rng.choice(LocationPreference.values),
        "needs_notes": rng.choice(NEEDS_NOTES),
        "motivators": rng.choice(MOTIVATORS),
        "communication_modes": rng.sample(CommunicationMode.values, k=rng.randint(1, 3)),
        "deadlines": rng.choice(DEADLINES),
        "hindrances": rng.choice(HINDRANCES),
        "valued_qualities": rng.choice(QUALITIES),
        "elevator_pitch": _fill(rng.choice(PITCHES), person),
        "goals": goals,
    }
    return assessment_autosave(
        assessment=draft, revision=draft.revision, data=data, by=person.user, step=10
    )


def _goal(horizon: str, text: str, rng: random.Random) -> dict[str, Any]:
    target = None
    if rng.random() < 0.6:
        years = rng.randint(1, 4) if horizon == "short" else rng.randint(5, 9)
        target = timezone.localdate().replace(month=6, day=30) + timedelta(days=365 * years)
    return {
        "lineage": None,
        "horizon": horizon,
        "text": text,
        "target_date": target,
        "status": rng.choice([GoalStatus.NOT_STARTED, GoalStatus.IN_PROGRESS]),
    }


def _submit(assessment: SelfAssessment, person: FacultyProfile, *, days_ago: int) -> None:
    submitted = assessment_submit(assessment=assessment, by=person.user)
    when = timezone.now() - timedelta(days=days_ago)
    SelfAssessment.objects.filter(pk=submitted.pk).update(
        submitted_at=when, created_at=when - timedelta(days=3), updated_at=when
    )


def _demo_mentee_versions(
    person: FacultyProfile, mentor: FacultyProfile | None, areas: list[NeedArea]
) -> None:
    """Version 1 thirteen months ago; version 2 last month, with goals and needs moved on."""
    by_slug = {a.slug: a for a in areas}
    first = assessment_start_draft(person=person, by=person.user)
    first = assessment_autosave(
        assessment=first,
        revision=first.revision,
        by=person.user,
        step=10,
        data={
            "mission": "To build an independent research program in hospital medicine that "
            "makes care safer for older adults, and to teach residents to do the same.",
            "success_definition": "Independent funding, a small team I enjoy working with, "
            "residents who ask to work with me — and being home for dinner most nights.",
            "personal_goals": "Time with my two young children; running a half-marathon; "
            "keeping Sundays free.",
            "goals_interface": "Clinic weeks are long, so writing happens early in the morning. "
            "Conference travel competes with family time, so I choose one meeting a year.",
            "strengths": "Writing, program development and collaborative work. Teaching "
            "residents energises me.",
            "challenges": "Resolving team conflict. Saying no: I take on too many small roles.",
            "needs": {
                by_slug["research"].pk: 1,
                by_slug["career-guidance"].pk: 1,
                by_slug["work-life"].pk: 2,
            },
            "roles_wanted": [MentorRole.TEACHER, MentorRole.ADVISOR, MentorRole.COACH],
            "location_preference": LocationPreference.EITHER,
            "needs_notes": "A mentor for my first grant — someone who has sat on a study section.",
            "motivators": "Clear goals, visible progress, working alongside people I respect.",
            "communication_modes": [CommunicationMode.IN_PERSON, CommunicationMode.VIDEO],
            "deadlines": "I do best with a firm date agreed at the end of each meeting.",
            "hindrances": "Interruptions and unclear expectations; last-minute clinic changes.",
            "valued_qualities": "Timeliness, being discreet, and candour delivered kindly.",
            "elevator_pitch": "",
            "goals": [
                {
                    "lineage": None,
                    "horizon": "short",
                    "text": "Submit a career development award application",
                    "target_date": None,
                    "status": GoalStatus.IN_PROGRESS,
                },
                {
                    "lineage": None,
                    "horizon": "short",
                    "text": "Build leadership skills",
                    "target_date": None,
                    "status": GoalStatus.NOT_STARTED,
                },
                {
                    "lineage": None,
                    "horizon": "long",
                    "text": "Lead an independently funded research program on delirium",
                    "target_date": None,
                    "status": GoalStatus.NOT_STARTED,
                },
            ],
        },
    )
    _submit(first, person, days_ago=395)

    second = assessment_start_draft(person=person, by=person.user)
    goals = [
        {
            "lineage": str(g.lineage),
            "horizon": g.horizon,
            "text": g.text,
            "target_date": g.target_date,
            "status": g.status,
        }
        for g in second.goals.all().order_by("horizon", "order")
    ]
    for goal in goals:
        if str(goal["text"]).startswith("Submit a career"):
            goal["status"] = GoalStatus.ACHIEVED
        if goal["text"] == "Build leadership skills":
            goal["text"] = "Build leadership skills: lead the delirium QI working group"
            goal["status"] = GoalStatus.IN_PROGRESS
    goals.append(
        {
            "lineage": None,
            "horizon": "short",
            "text": "Publish the pilot study as first author",
            "target_date": timezone.localdate().replace(month=6, day=30) + timedelta(days=365),
            "status": GoalStatus.IN_PROGRESS,
        }
    )
    second = assessment_autosave(
        assessment=second,
        revision=second.revision,
        by=person.user,
        step=10,
        data={
            "mission": "To lead an independent research program in hospital medicine that "
            "makes care safer for older adults, and to teach residents to do the same.",
            "needs": {
                by_slug["research"].pk: 1,
                by_slug["leadership"].pk: 1,
                by_slug["promotion"].pk: 2,
                by_slug["work-life"].pk: 3,
            },
            "roles_wanted": [MentorRole.SPONSOR, MentorRole.ADVISOR, MentorRole.COACH],
            "location_preference": LocationPreference.LOCAL,
            "elevator_pitch": "I am an assistant professor of medicine at Northbridge, building "
            "a research program on delirium in older inpatients. My pilot study is under review. "
            "I would value your advice on designing a multi-site trial. Would you have 30 "
            "minutes for a video call next month?",
            "goals": goals,
        },
    )
    _submit(second, person, days_ago=30)
    if mentor is not None:
        latest = SelfAssessment.objects.get(pk=second.pk)
        assessment_share(assessment=latest, mentor=mentor, by=person.user)


def _offer(
    person: FacultyProfile, rng: random.Random, areas: list[NeedArea], *, demo: bool = False
) -> None:
    paused = rng.random() < 0.15 and not demo
    mentor_offer_update(
        person=person,
        offer=OfferData(
            need_areas=rng.sample(areas, k=rng.randint(2, 5)),
            roles_offered=rng.sample(MentorRole.values, k=rng.randint(2, 5)),
            accepting=not paused,
            paused_until=timezone.localdate() + timedelta(days=rng.randint(20, 120))
            if paused
            else None,
            mentors_remotely=rng.random() < 0.7,
            years_mentoring=18 if demo else rng.randint(2, 25),
            prior_mentees=14 if demo else rng.randint(1, 30),
            notes=rng.choice(OFFER_NOTES),
        ),
        by=person.user,
    )
    # The demo mentor always lists the research mentor training (their page shows how a
    # training is listed and removed); the others' depend on the draw, which the database's
    # ids steer, so it differs from one database to the next.
    trained = [TRAININGS[2]] if demo else rng.sample(TRAININGS, k=rng.randint(0, 2))
    for name in trained:
        mentor_training_add(
            person=person,
            name=name,
            completed_on=timezone.localdate() - timedelta(days=rng.randint(60, 2000)),
            by=person.user,
        )
