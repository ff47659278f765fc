"""Reading one program's matching problem from the database.

A fixed number of set-based queries (no query per person), so the 10,000 × 2,000 bench spends its
time in numpy, not in the ORM. The result maps database ids to row indices so services can turn
solver output back into people."""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from matching.engine.features import (
    Locality,
    MatchingFeatures,
    MenteeInput,
    MentorInput,
    build_features,
)
from matching.models import ConflictOfInterest, PairRule, PairRuleKind
from programs.models import (
    MENTEE_ROLES,
    MENTOR_ROLES,
    AssessmentStatus,
    Cohort,
    Department,
    Division,
    FacultyProfile,
    MembershipStatus,
    MentoringNeed,
    MentorOffer,
    MentorTraining,
    NeedArea,
    Program,
    RelationshipMember,
    RelationshipStage,
    SelfAssessment,
    Topic,
    TrainingAttendance,
)
from programs.models.relationships import GUIDING_SIDES, OPEN_STAGES, RECEIVING_SIDES
from programs.selectors.figures import meets_training_rule, training_hours

# Career years to assume when a profile does not say when the person joined the faculty,
# by rank order (1 = most junior); matching still needs a guess to judge career stage.
YEARS_BY_RANK = {1: 2.0, 2: 5.0, 3: 12.0, 4: 20.0}
UNKNOWN_YEARS = 6.0
# One row of a values() query, read by column name.
Row = Mapping[str, Any]


@dataclass
class Problem:
    """A program's problem: the features and the ids behind each row and column."""

    features: MatchingFeatures
    mentee_ids: list[int]
    mentor_ids: list[int]
    topic_names: dict[str, str] = field(default_factory=dict)
    area_names: dict[str, str] = field(default_factory=dict)
    pins: list[tuple[int, int]] = field(default_factory=list)  # (mentee id, mentor id)
    without_self_evaluation: set[int] = field(default_factory=set)

    def mentee_index(self) -> dict[int, int]:
        return {pk: i for i, pk in enumerate(self.mentee_ids)}

    def mentor_index(self) -> dict[int, int]:
        return {pk: j for j, pk in enumerate(self.mentor_ids)}


def load_problem(
    *,
    program: Program,
    cohort: Cohort | None = None,
    mentee_ids: Iterable[int] | None = None,
    mentor_ids: Iterable[int] | None = None,
    peers: bool = False,
    ignore_availability: bool = False,
    now: datetime | None = None,
) -> Problem:
    """The problem for a program (optionally one cohort, or some mentees/mentors). With
    `peers=True` the mentees are matched among themselves: each is also a "mentor" column, with
    one place, because peers give and receive. `ignore_availability` scores existing pairs as if
    every mentor had a place (for reports on relationships that already exist)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    mentee_rows = _mentee_memberships(program, cohort, mentee_ids)
    if peers:
        mentor_rows: list[Row] = [
            {"person_id": row["person_id"], "mentor_capacity": 1} for row in mentee_rows
        ]
    else:
        mentor_rows = _mentor_memberships(program, mentor_ids)
    mentees = [row["person_id"] for row in mentee_rows]
    mentors = [row["person_id"] for row in mentor_rows]
    people = set(mentees) | set(mentors)

    profiles = _profiles(people)
    topics = _topics(people)
    assessments = _assessments(mentees)
    needs = _needs([a["pk"] for a in assessments.values()])
    offers = _offers(mentors)
    # "Trained" (a scoring feature) counts training the mentor reported and sessions a program
    # recorded; the program's own hours decide its training-before-matching rule.
    trained = set(
        MentorTraining.objects.filter(person_id__in=mentors).values_list("person_id", flat=True)
    ) | set(
        TrainingAttendance.objects.filter(person_id__in=mentors).values_list("person_id", flat=True)
    )
    training = (
        training_hours(program=program, person_ids=mentors, today=today)
        if program.mentor_training_hours_required and not peers
        else {}
    )
    guiding = {} if peers else _open_guiding_counts(program, mentors)
    authority = _authority(mentees, profiles)
    areas = list(NeedArea.objects.filter(is_active=True).order_by("order", "name"))
    area_slugs = [a.slug for a in areas]

    mentee_inputs = [
        _mentee_input(pk, profiles[pk], topics[pk], assessments.get(pk), needs, authority[pk], now)
        for pk in mentees
    ]
    capacity = {row["person_id"]: row["mentor_capacity"] for row in mentor_rows}
    mentor_inputs = [
        _mentor_input(
            pk,
            profiles[pk],
            topics[pk],
            offers.get(pk),
            trained=pk in trained,
            meets_training_rule=peers or meets_training_rule(program, training.get(pk)),
            remaining=capacity[pk] - guiding.get(pk, 0),
            today=today,
            now=now,
            peer=peers or ignore_availability,
        )
        for pk in mentors
    ]
    if ignore_availability:
        mentor_inputs = [
            replace(m, capacity=max(m.capacity, 1), accepting=True, meets_training_rule=True)
            for m in mentor_inputs
        ]
    rules = list(
        PairRule.objects.filter(program=program).values_list("mentee_id", "mentor_id", "kind")
    )
    excluded = [
        *_reporting_line_pairs(mentees, set(mentors), authority),
        *_conflicts(people),
        *_ended_pairs(mentees, mentors),
        *[(a, b, "forbidden") for a, b, kind in rules if kind == PairRuleKind.FORBID],
    ]
    features = build_features(
        mentee_inputs,
        mentor_inputs,
        area_labels=area_slugs,
        institution_specific_areas={a.slug for a in areas if a.institution_specific},
        excluded_pairs=excluded,
        allowed_again=[(a, b) for a, b, kind in rules if kind == PairRuleKind.ALLOW_AGAIN],
    )
    topic_ids = {t for ids in topics.values() for t in ids}
    return Problem(
        features=features,
        mentee_ids=mentees,
        mentor_ids=mentors,
        topic_names={
            str(pk): name
            for pk, name in Topic.objects.filter(pk__in=topic_ids).values_list("pk", "name")
        },
        area_names={a.slug: a.name for a in areas},
        pins=[(a, b) for a, b, kind in rules if kind == PairRuleKind.PIN],
        without_self_evaluation={pk for pk in mentees if pk not in assessments},
    )


# --- queries ----------------------------------------------------------------------------------


def _mentee_memberships(
    program: Program, cohort: Cohort | None, only: Iterable[int] | None
) -> list[Row]:
    rows = program.memberships.filter(role__in=MENTEE_ROLES, status=MembershipStatus.ACTIVE)
    if cohort is not None:
        rows = rows.filter(cohort=cohort)
    if only is not None:
        rows = rows.filter(person_id__in=list(only))
    return list(rows.order_by("person_id").values("person_id", "cohort_id"))


def _mentor_memberships(program: Program, only: Iterable[int] | None) -> list[Row]:
    rows = program.memberships.filter(role__in=MENTOR_ROLES, status=MembershipStatus.ACTIVE)
    if only is not None:
        rows = rows.filter(person_id__in=list(only))
    return list(rows.order_by("person_id").values("person_id", "mentor_capacity"))


def _profiles(people: set[int]) -> dict[int, Row]:
    rows = FacultyProfile.objects.filter(pk__in=people).values(
        "pk",
        "institution_id",
        "department_id",
        "division_id",
        "rank__order",
        "year_joined_faculty",
        "time_zone",
        "communication_modes",
        "reports_to_id",
    )
    return {row["pk"]: row for row in rows}


def _topics(people: set[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = defaultdict(set)
    for relation in (FacultyProfile.expertise.through, FacultyProfile.interests.through):
        for person, topic in relation.objects.filter(facultyprofile_id__in=people).values_list(
            "facultyprofile_id", "topic_id"
        ):
            found[person].add(str(topic))
    return found


def _assessments(mentees: list[int]) -> dict[int, Row]:
    """Each mentee's latest submitted version. Picked in Python from all submitted versions:
    a correlated NOT EXISTS over ten thousand people costs seconds in PostgreSQL, and people
    have only a handful of versions each."""
    rows = (
        SelfAssessment.objects.filter(person_id__in=mentees, status=AssessmentStatus.SUBMITTED)
        .order_by("person_id", "version")
        .values("pk", "person_id", "roles_wanted", "location_preference", "communication_modes")
    )
    return {row["person_id"]: row for row in rows}  # the last (highest version) wins


def _needs(assessment_ids: list[int]) -> dict[int, dict[str, int]]:
    found: dict[int, dict[str, int]] = defaultdict(dict)
    rows = MentoringNeed.objects.filter(assessment_id__in=assessment_ids, area__is_active=True)
    for assessment, slug, priority in rows.values_list("assessment_id", "area__slug", "priority"):
        found[assessment][slug] = priority
    return found


def _offers(mentors: list[int]) -> dict[int, dict[str, Any]]:
    offers: dict[int, dict[str, Any]] = {
        row["person_id"]: {**row, "areas": set()}
        for row in MentorOffer.objects.filter(person_id__in=mentors).values(
            "pk",
            "person_id",
            "roles_offered",
            "accepting",
            "paused_until",
            "mentors_remotely",
            "years_mentoring",
            "prior_mentees",
        )
    }
    by_pk = {offer["pk"]: offer for offer in offers.values()}
    through = MentorOffer.need_areas.through.objects.filter(
        mentoroffer_id__in=list(by_pk), needarea__is_active=True
    )
    for offer_pk, slug in through.values_list("mentoroffer_id", "needarea__slug"):
        by_pk[offer_pk]["areas"].add(slug)
    return offers


def _open_guiding_counts(
    program: Program, mentors: Iterable[int], *, ignore: Iterable[int] = ()
) -> dict[int, int]:
    """A mentor's true load: open relationships of the program they guide (as mentor or
    facilitator) and have not left. The pre-filter, the pairing gate and the services count the
    same; `ignore` leaves out relationships about to end (a reassignment being checked)."""
    rows = (
        RelationshipMember.objects.filter(
            person_id__in=list(mentors),
            side__in=GUIDING_SIDES,
            left_at__isnull=True,
            relationship__program=program,
            relationship__stage__in=OPEN_STAGES,
        )
        .exclude(relationship_id__in=list(ignore))
        .values("person_id")
        .annotate(n=Count("relationship", distinct=True))
    )
    return {row["person_id"]: row["n"] for row in rows}


AUTHORITY_SUPERVISOR = "supervisor"
AUTHORITY_ABOVE = "above_supervisor"
AUTHORITY_DIVISION_CHIEF = "division_chief"
AUTHORITY_DEPARTMENT_HEAD = "department_head"


def authority_roles(mentees: Iterable[int]) -> dict[int, dict[int, str]]:
    """For each mentee, everyone who holds authority over them or their resources, with the role
    that gives it: their supervisor, people further up that reporting line, their division chief
    and their department head. The matching pre-filter and the pairing gate both read this."""
    mentees = list(mentees)
    reports_to = dict(
        FacultyProfile.objects.exclude(reports_to=None).values_list("pk", "reports_to_id")
    )
    heads = dict(Department.objects.exclude(head=None).values_list("pk", "head_id"))
    chiefs = dict(Division.objects.exclude(chief=None).values_list("pk", "chief_id"))
    places = {
        row["pk"]: row
        for row in FacultyProfile.objects.filter(pk__in=mentees).values(
            "pk", "department_id", "division_id"
        )
    }
    found: dict[int, dict[int, str]] = {}
    for pk in mentees:
        roles: dict[int, str] = {}
        current = reports_to.get(pk)
        while current is not None and current not in roles and current != pk:
            roles[current] = AUTHORITY_SUPERVISOR if not roles else AUTHORITY_ABOVE
            current = reports_to.get(current)
        place = places.get(pk)
        division = place["division_id"] if place else None
        department = place["department_id"] if place else None
        for boss, role in (
            (chiefs.get(division) if division is not None else None, AUTHORITY_DIVISION_CHIEF),
            (heads.get(department) if department is not None else None, AUTHORITY_DEPARTMENT_HEAD),
        ):
            if boss is not None and boss != pk:
                roles.setdefault(boss, role)
        found[pk] = roles
    return found


def _authority(mentees: list[int], profiles: dict[int, Row]) -> dict[int, set[int]]:
    """Everyone above each mentee in their reporting line, plus their department head and
    division chief: people who hold authority over them or their resources."""
    return {pk: set(roles) for pk, roles in authority_roles(mentees).items()}


def _reporting_line_pairs(
    mentees: list[int], mentors: set[int], authority: dict[int, set[int]]
) -> list[tuple[int, int, str]]:
    return [
        (mentee, boss, "reporting_line")
        for mentee in mentees
        for boss in authority[mentee] & mentors
    ]


def _conflicts(people: set[int]) -> list[tuple[int, int, str]]:
    rows = ConflictOfInterest.objects.filter(
        Q(person_id__in=people) | Q(other_id__in=people)
    ).values_list("person_id", "other_id")
    # A conflict binds both ways: whoever is the mentee in a pairing.
    return [
        pair
        for a, b in rows
        for pair in ((a, b, "conflict_of_interest"), (b, a, "conflict_of_interest"))
    ]


def _ended_pairs(mentees: list[int], mentors: list[int]) -> list[tuple[int, int, str]]:
    """Pairs whose relationship ended early (in any program), unless a director allows again."""
    members = RelationshipMember.objects.filter(
        relationship__stage=RelationshipStage.ENDED,
        person_id__in=set(mentees) | set(mentors),
    ).values_list("relationship_id", "person_id", "side")
    by_relationship: dict[int, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for relationship, person, side in members:
        group = "receiving" if side in RECEIVING_SIDES else "guiding"
        by_relationship[relationship][group].add(person)
    pairs = set()
    for sides in by_relationship.values():
        for a in sides["receiving"]:
            for b in sides["guiding"] | sides["receiving"]:
                if a != b:
                    pairs.add((a, b, "ended_before"))
    return sorted(pairs)


# --- inputs -----------------------------------------------------------------------------------


def _career_years(profile: Row, now: datetime) -> float:
    if profile["year_joined_faculty"]:
        return float(max(0, now.year - profile["year_joined_faculty"]))
    return YEARS_BY_RANK.get(profile["rank__order"] or 0, UNKNOWN_YEARS)


def _utc_offset(time_zone: str, now: datetime) -> float:
    try:
        offset = now.astimezone(zoneinfo.ZoneInfo(time_zone)).utcoffset()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return 0.0
    return offset.total_seconds() / 3600 if offset else 0.0


def _mentee_input(
    pk: int,
    profile: Row,
    topics: set[str],
    assessment: Row | None,
    needs: dict[int, dict[str, int]],
    authority: set[int],
    now: datetime,
) -> MenteeInput:
    modes = (assessment or {}).get("communication_modes") or profile["communication_modes"] or []
    return MenteeInput(
        id=pk,
        needs=needs.get(assessment["pk"], {}) if assessment else {},
        roles_wanted=(assessment or {}).get("roles_wanted") or (),
        topics=topics,
        career_years=_career_years(profile, now),
        modes=list(modes),
        utc_offset=_utc_offset(profile["time_zone"], now),
        institution=profile["institution_id"] or 0,
        locality=Locality[(assessment or {}).get("location_preference", "either").upper()],
        authority_ids=authority,
    )


def _mentor_input(
    pk: int,
    profile: Row,
    topics: set[str],
    offer: Row | None,
    *,
    trained: bool,
    meets_training_rule: bool = True,
    remaining: int,
    today: date,
    now: datetime,
    peer: bool = False,
) -> MentorInput:
    offer = offer or {}
    if peer:
        # Peers give and receive within the cohort: "not taking mentees" and the remote
        # preference are about mentees, not about being someone's peer. A pause (a leave, a
        # busy term) is about taking on anything new, so it still holds until its date.
        paused = offer.get("paused_until")
        on_pause = not offer.get("accepting", True) and paused is not None and paused > today
        offer = {**offer, "accepting": not on_pause, "paused_until": None, "mentors_remotely": True}
    # Same rule as MentorOffer.is_accepting: a pause ends on its date.
    paused_until = offer.get("paused_until")
    accepting = offer.get("accepting", True) or (paused_until is not None and paused_until <= today)
    return MentorInput(
        id=pk,
        areas=offer.get("areas", set()),
        roles=offer.get("roles_offered") or (),
        topics=topics,
        career_years=_career_years(profile, now),
        mentoring_years=float(offer.get("years_mentoring") or 0),
        prior_mentees=int(offer.get("prior_mentees") or 0),
        trained=trained,
        meets_training_rule=meets_training_rule,
        modes=profile["communication_modes"] or [],
        utc_offset=_utc_offset(profile["time_zone"], now),
        institution=profile["institution_id"] or 0,
        remote_ok=offer.get("mentors_remotely", True),
        capacity=max(remaining, 0),
        accepting=accepting,
    )
