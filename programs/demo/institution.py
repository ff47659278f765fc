"""A realistic demo institution for the embedded run: departments and divisions with their
heads and chiefs, 150+ faculty across ranks and streams with reporting lines, a partner
institution for remote mentors, and three programs with directors, mentors and mentees.

Idempotent: everything is looked up by a natural key (email, name) before it is created, and the
random choices come from a fixed seed, so running it twice changes nothing."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from mentorship.accounts.models import User
from programs.demo.assessments import seed_assessments
from programs.models import (
    AcademicRank,
    AcademicStream,
    Cohort,
    CommunicationMode,
    Department,
    Division,
    FacultyProfile,
    Institution,
    MeetingCadence,
    Membership,
    MentoringModel,
    Program,
    Role,
)
from programs.services.people import faculty_create, topics_get_or_create
from programs.services.programs import cohort_create, membership_add, program_create

DEMO_PASSWORD = "mentor-demo-2026"  # noqa: S105 - printed for the local demo on purpose
DOMAIN = "northbridge.example"
PARTNER_DOMAIN = "lakeside.example"

DEPARTMENTS = {
    "Medicine": ["Cardiology", "General Internal Medicine", "Nephrology", "Infectious Diseases"],
    "Surgery": ["General Surgery", "Orthopaedic Surgery", "Cardiac Surgery"],
    "Pediatrics": ["Neonatology", "Pediatric Oncology"],
    "Psychiatry": ["Child and Adolescent Psychiatry", "Geriatric Psychiatry"],
    "Family and Community Medicine": ["Primary Care", "Global Health"],
    "Obstetrics and Gynecology": ["Maternal-Fetal Medicine"],
    "Anesthesiology": ["Pain Medicine"],
}

TOPICS = {
    "Medicine": [
        "heart failure",
        "HIV",
        "kidney transplantation",
        "hospital medicine",
        "antimicrobial stewardship",
        "clinical trials",
        "quality improvement",
    ],
    "Surgery": [
        "surgical education",
        "trauma",
        "joint replacement",
        "outcomes research",
        "simulation",
        "robotic surgery",
    ],
    "Pediatrics": [
        "neonatal outcomes",
        "childhood cancer",
        "family-centred care",
        "developmental pediatrics",
    ],
    "Psychiatry": ["youth mental health", "dementia care", "psychotherapy", "addiction"],
    "Family and Community Medicine": [
        "primary care access",
        "global health",
        "health equity",
        "community engagement",
    ],
    "Obstetrics and Gynecology": ["maternal health", "high-risk pregnancy", "reproductive health"],
    "Anesthesiology": ["pain management", "perioperative medicine", "patient safety"],
}
SHARED_TOPICS = [
    "medical education",
    "qualitative methods",
    "health policy",
    "grant writing",
    "health equity",
    "leadership development",
    "wellness",
    "digital health",
    "implementation science",
    "biostatistics",
]

GIVEN = [
    "Amira",
    "Ben",
    "Chloé",
    "Daniel",
    "Elena",
    "Farid",
    "Grace",
    "Hiroshi",
    "Ines",
    "Jonah",
    "Keisha",
    "Liam",
    "Maya",
    "Nikhil",
    "Olivia",
    "Pedro",
    "Quinn",
    "Rosa",
    "Samir",
    "Tess",
    "Uma",
    "Victor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoe",
    "Aaliyah",
    "Bruno",
    "Carmen",
    "Dmitri",
    "Esther",
    "Felix",
    "Gita",
    "Hugo",
    "Ifeoma",
    "Jae",
    "Kofi",
    "Lucia",
    "Mateo",
    "Nadia",
]
FAMILY = [
    "Okafor",
    "Chen",
    "Dubois",
    "Singh",
    "Martins",
    "Haddad",
    "Kowalski",
    "Nakamura",
    "Oliveira",
    "Fischer",
    "Abebe",
    "Rossi",
    "Larsen",
    "Mensah",
    "Park",
    "Gonzalez",
    "Novak",
    "Ahmed",
    "Murphy",
    "Tanaka",
    "Schmidt",
    "Kaur",
    "Mwangi",
    "Ivanova",
    "Byrne",
    "Silva",
    "Cohen",
    "Yilmaz",
    "Andersson",
    "Nguyen",
    "Owusu",
    "Petrov",
    "Ramirez",
    "Sato",
]
TIME_ZONES = ["America/Toronto"] * 8 + ["America/Vancouver", "Europe/London"]
GENDERS = ["woman", "man", "woman", "man", "non_binary", ""]


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    note: str


@dataclass
class DemoResult:
    logins: list[DemoLogin] = field(default_factory=list)
    faculty: int = 0
    programs: int = 0


RANK_YEARS = {  # rank order -> (min, max) years on faculty
    1: (0, 3),
    2: (1, 8),
    3: (7, 16),
    4: (14, 35),
}


class DemoBuilder:
    def __init__(self, seed: int = 2026) -> None:
        self.rng = random.Random(seed)
        self.password_hash = make_password(DEMO_PASSWORD)
        self.ranks = {r.order: r for r in AcademicRank.objects.all()}
        self.streams = list(AcademicStream.objects.all())
        self.year = timezone.now().year
        self.used_names: set[tuple[str, str]] = set()
        self.people: list[FacultyProfile] = []

    # --- people -------------------------------------------------------------------------------
    def person(
        self,
        *,
        email: str,
        institution: Institution,
        department: Department | None,
        division: Division | None,
        rank_order: int,
        stream_name: str | None = None,
        reports_to: FacultyProfile | None = None,
        given: str | None = None,
        family: str | None = None,
        is_admin: bool = False,
        time_zone: str | None = None,
    ) -> FacultyProfile:
        existing = FacultyProfile.objects.filter(user__email=email).first()
        if existing is not None:
            return existing
        given, family = given or "", family or ""
        if not given:
            given, family = self._unique_name()
        low, high = RANK_YEARS[rank_order]
        stream = (
            next(s for s in self.streams if s.name == stream_name)
            if stream_name
            else self._stream_for(rank_order)
        )
        profile = faculty_create(
            email=email,
            given_name=given,
            family_name=family,
            institution=institution,
            department=department,
            division=division,
            rank=self.ranks.get(rank_order),
            stream=stream,
            year_joined_faculty=self.year - self.rng.randint(low, high),
            time_zone=time_zone or self.rng.choice(TIME_ZONES),
            location=f"{institution.short_name} — {department.name if department else 'campus'}",
            gender=self.rng.choice(GENDERS),
            communication_modes=self.rng.sample(
                [m.value for m in CommunicationMode], k=self.rng.randint(1, 3)
            ),
            reports_to=reports_to,
            bio=f"{given} works in {division.name if division else 'the department'} and enjoys "
            "teaching residents and collaborating across departments.",
        )
        user = profile.user
        user.password = self.password_hash
        user.is_institution_admin = is_admin
        user.is_staff = is_admin
        user.is_superuser = is_admin
        user.save(update_fields=["password", "is_institution_admin", "is_staff", "is_superuser"])
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        topic_pool = TOPICS.get(department.name if department else "", []) + SHARED_TOPICS
        profile.expertise.set(topics_get_or_create(self.rng.sample(topic_pool, k=3)))
        profile.interests.set(topics_get_or_create(self.rng.sample(SHARED_TOPICS, k=3)))
        self.people.append(profile)
        return profile

    def _unique_name(self) -> tuple[str, str]:
        while True:
            name = (self.rng.choice(GIVEN), self.rng.choice(FAMILY))
            if name not in self.used_names:
                self.used_names.add(name)
                return name

    def _stream_for(self, rank_order: int) -> AcademicStream:
        weights = [4, 3, 3, 2, 1] if rank_order < 4 else [2, 3, 3, 2, 2]
        return self.rng.choices(self.streams, weights=weights[: len(self.streams)])[0]


@transaction.atomic
def seed_demo() -> DemoResult:
    result = DemoResult()
    home, _ = Institution.objects.get_or_create(
        name="Northbridge University School of Medicine",
        defaults={"short_name": "Northbridge", "email_domains": [DOMAIN], "is_home": True},
    )
    partner, _ = Institution.objects.get_or_create(
        name="Lakeside University Health",
        defaults={"short_name": "Lakeside", "email_domains": [PARTNER_DOMAIN]},
    )
    builder = DemoBuilder()

    admin = builder.person(
        email=f"admin@{DOMAIN}",
        institution=home,
        department=None,
        division=None,
        rank_order=4,
        stream_name="Administrator",
        given="Aisha",
        family="Rahman",
        is_admin=True,
    )
    seniors: list[FacultyProfile] = []
    juniors: list[FacultyProfile] = []
    for dept_name, divisions in DEPARTMENTS.items():
        department, _ = Department.objects.get_or_create(institution=home, name=dept_name)
        head = builder.person(
            email=f"head.{_slug(dept_name)}@{DOMAIN}",
            institution=home,
            department=department,
            division=None,
            rank_order=4,
        )
        if department.head_id != head.pk:
            department.head = head
            department.save(update_fields=["head"])
        seniors.append(head)
        for div_name in divisions:
            division, _ = Division.objects.get_or_create(department=department, name=div_name)
            chief = builder.person(
                email=f"chief.{_slug(div_name)}@{DOMAIN}",
                institution=home,
                department=department,
                division=division,
                rank_order=builder.rng.choice([3, 4]),
                reports_to=head,
            )
            if division.chief_id != chief.pk:
                division.chief = chief
                division.save(update_fields=["chief"])
            seniors.append(chief)
            for i in range(8):
                rank_order = builder.rng.choices([1, 2, 3, 4], weights=[2, 6, 3, 2])[0]
                member = builder.person(
                    email=f"{_slug(div_name)}.{i + 1}@{DOMAIN}",
                    institution=home,
                    department=department,
                    division=division,
                    rank_order=rank_order,
                    reports_to=chief,
                )
                (juniors if member.rank and member.rank.order <= 2 else seniors).append(member)

    partner_people = [
        builder.person(
            email=f"mentor.{i + 1}@{PARTNER_DOMAIN}",
            institution=partner,
            department=None,
            division=None,
            rank_order=builder.rng.choice([3, 4]),
            time_zone="America/Chicago",
        )
        for i in range(8)
    ]

    medicine = Department.objects.get(institution=home, name="Medicine")
    gim = Division.objects.get(department=medicine, name="General Internal Medicine")
    cardiology = Division.objects.get(department=medicine, name="Cardiology")
    demo_mentee = builder.person(
        email=f"mentee@{DOMAIN}",
        institution=home,
        department=medicine,
        division=gim,
        rank_order=2,
        stream_name="Clinician-investigator",
        reports_to=gim.chief,
        given="Maya",
        family="Okonkwo",
    )
    demo_mentor = builder.person(
        email=f"mentor@{DOMAIN}",
        institution=home,
        department=medicine,
        division=cardiology,
        rank_order=4,
        stream_name="Clinician-investigator",
        reports_to=cardiology.chief,
        given="Robert",
        family="Lindqvist",
    )
    demo_director = builder.person(
        email=f"director@{DOMAIN}",
        institution=home,
        department=medicine,
        division=None,
        rank_order=4,
        stream_name="Clinician-educator",
        given="Helen",
        family="Achterberg",
    )
    research_director = builder.person(
        email=f"research.director@{DOMAIN}",
        institution=home,
        department=Department.objects.get(institution=home, name="Pediatrics"),
        division=None,
        rank_order=4,
        stream_name="Scientist",
        given="Tomás",
        family="Ferreira",
    )
    outsider = builder.person(
        email=f"outsider@{DOMAIN}",
        institution=home,
        department=medicine,
        division=gim,
        rank_order=2,
        reports_to=gim.chief,
        given="Oskar",
        family="Lind",
    )
    del outsider  # a faculty member in no program: useful to show what others cannot see

    junior_program = _program(
        home,
        admin,
        "Junior Faculty Mentoring Program",
        "Every new faculty member in their first five years is offered a board of mentors: a "
        "career mentor outside their reporting line, plus research, education or clinical "
        "mentors as their self-evaluation shows they need.",
        MeetingCadence.MONTHLY,
        [MentoringModel.ONE_TO_ONE, MentoringModel.MOSAIC, MentoringModel.FACILITATED_GROUP],
    )
    research_program = _program(
        home,
        admin,
        "Clinician-Investigator Research Mentoring",
        "Pairs clinician-investigators and scientists with experienced investigators for grant "
        "and paper milestones, including mentors at Lakeside University Health.",
        MeetingCadence.BIMONTHLY,
        [MentoringModel.ONE_TO_ONE, MentoringModel.PEER],
    )
    peer_program = _program(
        home,
        admin,
        "Mid-Career Leadership Peer Circles",
        "Associate professors meet in small peer “mastermind” circles to work on leadership "
        "goals together.",
        MeetingCadence.QUARTERLY,
        [MentoringModel.PEER_GROUP, MentoringModel.PEER],
    )
    result.programs = 3

    junior_cohort = _cohort(junior_program, admin, "2026–27 new faculty")
    research_cohort = _cohort(research_program, admin, "2026 intake")

    _member(junior_program, demo_director, Role.DIRECTOR, admin)
    _member(research_program, research_director, Role.DIRECTOR, admin)
    _member(peer_program, demo_director, Role.DIRECTOR, admin)
    _member(junior_program, demo_mentee, Role.MENTEE, admin, junior_cohort)
    _member(research_program, demo_mentee, Role.MENTEE, admin, research_cohort)
    _member(junior_program, demo_mentor, Role.MENTOR, admin, capacity=3)
    _member(research_program, demo_mentor, Role.MENTOR, admin, capacity=2)

    rng = random.Random(7)
    for person in juniors[:48]:
        _member(junior_program, person, Role.MENTEE, admin, junior_cohort)
    for person in seniors[:30]:
        if person.pk != demo_director.pk:
            _member(junior_program, person, Role.MENTOR, admin, capacity=rng.randint(1, 4))
    investigators = [p for p in juniors if p.stream and "investigator" in p.stream.name.lower()]
    for person in investigators[:20]:
        _member(research_program, person, Role.MENTEE, admin, research_cohort)
    for person in seniors[30:45] + partner_people:
        _member(research_program, person, Role.MENTOR, admin, capacity=rng.randint(1, 3))
    mid_career = [p for p in seniors if p.rank and p.rank.order == 3]
    for person in mid_career[:18]:
        _member(peer_program, person, Role.BOTH, admin)

    seed_assessments()
    from programs.demo.relationships import seed_relationships

    seed_relationships(admin=admin.user)
    from programs.demo.relationships import seed_circles

    seed_circles(admin=admin.user)
    from programs.demo.matching import seed_matching

    seed_matching(admin=admin.user, mentor_email=f"mentor@{DOMAIN}")
    from programs.demo.reviews import seed_reviews

    seed_reviews()
    _seed_departure(juniors[:48], by=admin.user)

    result.faculty = FacultyProfile.objects.count()
    result.logins = [
        DemoLogin("Institution admin", admin.user.email, "all programs, invitations, reports"),
        DemoLogin(
            "Program director",
            demo_director.user.email,
            "directs the junior faculty program and the peer circles",
        ),
        DemoLogin("Program director", research_director.user.email, "directs the research program"),
        DemoLogin("Mentee", demo_mentee.user.email, "assistant professor in two programs"),
        DemoLogin(
            "Mentor", demo_mentor.user.email, "professor of cardiology, mentors in two programs"
        ),
        DemoLogin("Faculty in no program", f"outsider@{DOMAIN}", "sees only their own profile"),
    ]
    return result


def _seed_departure(mentees: list[FacultyProfile], *, by: User) -> None:
    """One of the junior program's mentees moved to another institution last month, as a
    director would record it on their career record (once: the demo is seeded idempotently)."""
    from programs.models import Departure, DepartureReason
    from programs.services.careers import departure_save

    if Departure.objects.filter(person__in=mentees).exists():
        return
    left_on = timezone.localdate() - dt.timedelta(days=30)
    leaver = next(
        (p for p in reversed(mentees) if (p.year_joined_faculty or 0) < left_on.year), None
    )
    if leaver is not None:
        departure_save(
            person=leaver,
            left_on=left_on,
            reason=DepartureReason.MOVED,
            note="Moved to Lakeside University Health.",
            by=by,
        )


def _slug(name: str) -> str:
    return "".join(c for c in name.lower().replace(" ", "-") if c.isalnum() or c == "-")


def _program(
    institution: Institution,
    admin: FacultyProfile,
    name: str,
    description: str,
    cadence: int,
    models: list[str],
) -> Program:
    existing = Program.objects.filter(institution=institution, name=name).first()
    if existing:
        return existing
    return program_create(
        institution=institution,
        name=name,
        description=description,
        meeting_cadence_days=cadence,
        allowed_models=list(models),
        by=admin.user,
    )


def _cohort(program: Program, admin: FacultyProfile, name: str) -> Cohort:
    existing = Cohort.objects.filter(program=program, name=name).first()
    if existing:
        return existing
    today = timezone.localdate()
    return cohort_create(
        program=program,
        name=name,
        starts_on=today.replace(month=7, day=1),
        ends_on=today.replace(year=today.year + 1, month=6, day=30),
        by=admin.user,
    )


def _member(
    program: Program,
    person: FacultyProfile,
    role: str,
    admin: FacultyProfile,
    cohort: Cohort | None = None,
    capacity: int = 2,
) -> Membership:
    existing = Membership.objects.filter(program=program, person=person).first()
    if existing:
        return existing
    # The demo's people are made up: nobody to welcome by email.
    membership = membership_add(
        program=program, person=person, role=role, cohort=cohort, by=admin.user, notify=False
    )
    if membership.mentor_capacity != capacity:
        membership.mentor_capacity = capacity
        membership.save(update_fields=["mentor_capacity"])
    return membership
