"""Reads for the matching pages: shortlists, request inboxes, proposals and the fairness view."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from matching.engine.scoring import excluded_mentors, score_pairs
from matching.explanations import explain_pairs
from matching.models import (
    MatchRun,
    MatchSuggestion,
    MentorMark,
    MentorRequest,
    PairRule,
    RequestKind,
    RequestStatus,
    RunMode,
    ShortlistMark,
    SuggestionStatus,
)
from matching.services import EXCLUSION_WORDS, program_weights
from matching.sources import load_problem
from programs.domain.figures import DIMENSIONS, GroupRate, Mentee, match_rates_by_group, rate
from programs.models import (
    MENTEE_ROLES,
    FacultyProfile,
    Gender,
    Membership,
    MembershipStatus,
    MemberSide,
    Program,
    Relationship,
    RelationshipKind,
)
from programs.models.relationships import GUIDING_SIDES, OPEN_STAGES, RECEIVING_SIDES
from programs.selectors.assessments import latest_submitted_assessments
from programs.selectors.figures import active_mentees, has_mentor, load_text, mentor_loads
from programs.services.pairing import PairingBatch, Proposed

ROTATION_BAND = 3.0  # mentors within this many points share a band whose order rotates weekly


@dataclass
class ShortlistEntry:
    mentor: FacultyProfile
    score: float
    breakdown: list[dict[str, Any]]
    mark: str | None = None
    request: MentorRequest | None = None


@dataclass
class Shortlist:
    entries: list[ShortlistEntry]
    hidden: list[ShortlistEntry]
    pending: list[MentorRequest]
    answered: list[MentorRequest]
    has_self_evaluation: bool
    unavailable: int = 0
    filtered_out: int = 0  # suitable mentors the mentee's filters leave out


@dataclass(frozen=True)
class ShortlistFilters:
    """What a mentee narrows the shortlist to; empty values do not filter."""

    need_area: int | None = None
    role: str = ""
    institution: int | None = None
    remote: str = ""  # "local": at the mentee's institution; "remote": mentors remotely

    @property
    def active(self) -> bool:
        return bool(self.need_area or self.role or self.institution or self.remote)


NO_FILTERS = ShortlistFilters()


def _matching_filters(
    filters: ShortlistFilters, mentor_ids: list[int], mentee: FacultyProfile
) -> set[int]:
    """The mentors among `mentor_ids` who pass every filter (two queries)."""
    from programs.models import MentorOffer

    offers = {
        row["person_id"]: row
        for row in MentorOffer.objects.filter(person_id__in=mentor_ids).values(
            "person_id", "roles_offered", "mentors_remotely"
        )
    }
    institutions = dict(
        FacultyProfile.objects.filter(pk__in=mentor_ids).values_list("pk", "institution_id")
    )
    with_area: set[int] | None = None
    if filters.need_area:
        with_area = set(
            MentorOffer.need_areas.through.objects.filter(
                mentoroffer__person_id__in=mentor_ids, needarea_id=filters.need_area
            ).values_list("mentoroffer__person_id", flat=True)
        )
    kept = set()
    for pk in mentor_ids:
        offer: dict[str, Any] = dict(offers.get(pk, {}))
        if with_area is not None and pk not in with_area:
            continue
        if filters.role and filters.role not in (offer.get("roles_offered") or []):
            continue
        if filters.institution and institutions.get(pk) != filters.institution:
            continue
        if filters.remote == "local" and institutions.get(pk) != mentee.institution_id:
            continue
        if filters.remote == "remote" and not offer.get("mentors_remotely", True):
            continue
        kept.add(pk)
    return kept


def _rotation_key(mentee_id: int, mentor_id: int) -> str:
    """A weekly-changing tie-break, so mentees with similar needs do not all see the same star
    at the top (users ask for this; see USERS-ASK 9)."""
    year, week, _ = timezone.localdate().isocalendar()
    return hashlib.sha256(f"{mentee_id}:{mentor_id}:{year}-{week}".encode()).hexdigest()


def shortlist_for(
    *, membership: Membership, limit: int = 10, filters: ShortlistFilters = NO_FILTERS
) -> Shortlist:
    program, mentee = membership.program, membership.person
    problem = load_problem(program=program, mentee_ids=[mentee.pk])
    weights = program_weights(program)
    requests = list(
        MentorRequest.objects.filter(program=program, mentee=mentee)
        .select_related("mentor__user", "focus_area")
        .order_by("-created_at")
    )
    pending = [r for r in requests if r.status == RequestStatus.PENDING]
    if not problem.mentee_ids or not problem.mentor_ids:
        return Shortlist([], [], pending, _answered(requests), not problem.without_self_evaluation)
    scored = score_pairs(problem.features, weights)
    already = _current_mentor_ids(program, mentee)
    order = [j for j in np.flatnonzero(scored.eligible[0]) if problem.mentor_ids[j] not in already]
    filtered_out = 0
    if filters.active:
        kept = _matching_filters(filters, [problem.mentor_ids[j] for j in order], mentee)
        filtered_out = sum(1 for j in order if problem.mentor_ids[j] not in kept)
        order = [j for j in order if problem.mentor_ids[j] in kept]
    order.sort(
        key=lambda j: (
            -int(scored.scores[0, j] // ROTATION_BAND),
            _rotation_key(mentee.pk, problem.mentor_ids[j]),
        )
    )
    marks = dict(
        MentorMark.objects.filter(program=program, mentee=mentee).values_list("mentor_id", "mark")
    )
    # Plain ints (not numpy's): they index the problem and name the pairs to explain.
    hidden_js = [int(j) for j in order if marks.get(problem.mentor_ids[j]) == ShortlistMark.HIDDEN]
    shown_js = [int(j) for j in order if marks.get(problem.mentor_ids[j]) != ShortlistMark.HIDDEN]
    # Bookmarked mentors stay on the list even beyond its length.
    chosen = [
        j
        for k, j in enumerate(shown_js)
        if k < limit or marks.get(problem.mentor_ids[j]) == ShortlistMark.BOOKMARK
    ]
    people = (
        FacultyProfile.objects.select_related(
            "user", "institution", "department", "rank", "stream", "mentor_offer"
        )
        .prefetch_related("mentor_offer__need_areas")
        .in_bulk([problem.mentor_ids[j] for j in chosen + hidden_js])
    )
    breakdowns = explain_pairs(problem, [(0, j) for j in chosen], weights)
    by_mentor = {r.mentor_id: r for r in pending}

    def entry(j: int, breakdown: list[dict[str, Any]]) -> ShortlistEntry:
        pk = problem.mentor_ids[j]
        return ShortlistEntry(
            mentor=people[pk],
            score=round(float(scored.scores[0, j])),
            breakdown=breakdown,
            mark=marks.get(pk),
            request=by_mentor.get(pk),
        )

    return Shortlist(
        entries=[entry(j, b) for j, b in zip(chosen, breakdowns, strict=True)],
        hidden=[entry(j, []) for j in hidden_js],
        pending=pending,
        answered=_answered(requests),
        has_self_evaluation=not problem.without_self_evaluation,
        unavailable=int((~scored.eligible[0]).sum()),
        filtered_out=filtered_out,
    )


def _answered(requests: list[MentorRequest]) -> list[MentorRequest]:
    return [r for r in requests if r.status != RequestStatus.PENDING][:10]


def _current_mentor_ids(program: Program, mentee: FacultyProfile) -> set[int]:
    """Everyone already on the mentee's board, in any program (the pairing gate would refuse
    them again as `already_on_board`, so they are never suggested)."""
    relationships = Relationship.objects.filter(
        stage__in=OPEN_STAGES,
        members__person=mentee,
        members__side__in=RECEIVING_SIDES,
    )
    return set(
        relationships.filter(members__side__in=GUIDING_SIDES).values_list(
            "members__person_id", flat=True
        )
    )


def requests_received(person: FacultyProfile) -> QuerySet[MentorRequest]:
    return (
        MentorRequest.objects.filter(mentor=person)
        .select_related(
            "program", "mentee__user", "mentee__rank", "mentee__department", "focus_area"
        )
        .order_by("status", "-created_at")
    )


def requests_sent(person: FacultyProfile) -> QuerySet[MentorRequest]:
    return (
        MentorRequest.objects.filter(mentee=person)
        .select_related("program", "mentor__user", "focus_area")
        .order_by("-created_at")
    )


def waiting_requests(program: Program) -> QuerySet[MentorRequest]:
    """Requests still waiting, oldest first: directors follow up on unresponsive mentors."""
    return (
        MentorRequest.objects.filter(program=program, status=RequestStatus.PENDING)
        .select_related("mentee__user", "mentor__user")
        .order_by("created_at")
    )


def runs_of(program: Program) -> QuerySet[MatchRun]:
    return (
        MatchRun.objects.filter(program=program)
        .select_related("cohort", "created_by__profile")
        .annotate(
            proposed=Count("suggestions", filter=Q(suggestions__status=SuggestionStatus.PROPOSED))
        )
        .order_by("-created_at")
    )


def run_suggestions(run: MatchRun) -> QuerySet[MatchSuggestion]:
    return (
        MatchSuggestion.objects.filter(run=run)
        .select_related("mentee__user", "mentee__rank", "mentor__user", "mentor__rank", "area")
        .order_by("group", "mentee__family_name", "mentee__given_name", "pk")
    )


@dataclass
class ProposedGroup:
    """One group of a group proposal, as the run page shows it."""

    number: int
    members: list[MatchSuggestion]
    proposed: int = 0

    @property
    def facilitator(self) -> FacultyProfile | None:
        return next((s.mentor for s in self.members if s.status == "proposed"), None)

    @property
    def lead(self) -> MatchSuggestion:
        """A proposed member's row, which carries the group's score and breakdown."""
        return next((s for s in self.members if s.status == "proposed"), self.members[0])


def proposal_groups(suggestions: list[MatchSuggestion]) -> list[ProposedGroup]:
    groups: dict[int, ProposedGroup] = {}
    for s in suggestions:
        group = groups.setdefault(s.group or 0, ProposedGroup(s.group or 0, []))
        group.members.append(s)
        group.proposed += s.status == SuggestionStatus.PROPOSED
    return list(groups.values())


@dataclass(frozen=True)
class PublishPlan:
    """What publishing will create, counted the way the publish button says it."""

    relationships: int
    mentees: int
    guides: int  # distinct mentors or facilitators (0 for peers)
    words: str


def publish_plan(run: MatchRun, suggestions: list[MatchSuggestion]) -> PublishPlan:
    proposed = [s for s in suggestions if s.status == SuggestionStatus.PROPOSED]
    mentees = len({s.mentee_id for s in proposed})
    guides = len({s.mentor_id for s in proposed if s.mentor_id is not None})

    def plural(n: int, word: str, many: str | None = None) -> str:
        return f"{n} {word if n == 1 else (many or word + 's')}"

    if run.mode in (RunMode.PEER_GROUPS, RunMode.MASTERMIND):
        count = len({s.group for s in proposed})
        words = f"{plural(count, 'group')} with {plural(mentees, 'member')}"
        if run.mode == RunMode.PEER_GROUPS:
            words += f" and {plural(guides, 'facilitator')}"
    elif run.mode == RunMode.PEER:
        count = len(proposed)
        words = f"{plural(count, 'peer pair')} ({plural(2 * count, 'person', 'people')})"
        guides = 0
    else:
        count = len(proposed)
        words = (
            f"{plural(count, 'relationship')} for {plural(mentees, 'mentee')} "
            f"with {plural(guides, 'mentor')}"
        )
    return PublishPlan(relationships=count, mentees=mentees, guides=guides, words=words)


def pair_rules_of(program: Program) -> QuerySet[PairRule]:
    return PairRule.objects.filter(program=program).select_related("mentee", "mentor")


@dataclass
class MentorOption:
    mentor: FacultyProfile
    score: float | None
    excluded: list[str] = field(default_factory=list)
    breakdown: list[dict[str, Any]] = field(default_factory=list)
    load: str = ""

    @property
    def only_full(self) -> bool:
        """Excluded only because the mentor is at capacity: a director may still override."""
        return self.excluded == ["no_capacity"]

    @property
    def excluded_words(self) -> list[str]:
        return [EXCLUSION_WORDS.get(code, code) for code in self.excluded]


def mentor_options(
    *, program: Program, mentee: FacultyProfile, explain: bool = True
) -> list[MentorOption]:
    """Every mentor of the program for one mentee: score, explanation, and why any is excluded.
    For the director's manual assignment and for changing a suggestion."""
    problem = load_problem(program=program, mentee_ids=[mentee.pk])
    if not problem.mentee_ids or not problem.mentor_ids:
        return []
    weights = program_weights(program)
    scored = score_pairs(problem.features, weights)
    excluded = excluded_mentors(problem.features, 0)
    people = FacultyProfile.objects.select_related("user", "rank", "department").in_bulk(
        problem.mentor_ids
    )
    capacity = dict(
        Membership.objects.filter(program=program, person_id__in=problem.mentor_ids).values_list(
            "person_id", "mentor_capacity"
        )
    )
    loads = mentor_loads(program=program, person_ids=problem.mentor_ids)
    eligible = [j for j in range(len(problem.mentor_ids)) if j not in excluded]
    breakdowns = (
        dict(
            zip(
                eligible,
                explain_pairs(problem, [(0, j) for j in eligible], weights, about_the_mentee=True),
                strict=True,
            )
        )
        if explain
        else {}
    )
    options = []
    for j, pk in enumerate(problem.mentor_ids):
        options.append(
            MentorOption(
                mentor=people[pk],
                score=None if j in excluded else round(float(scored.scores[0, j]), 1),
                excluded=excluded.get(j, []),
                breakdown=breakdowns.get(j, []),
                load=load_text(loads.get(pk, 0), capacity.get(pk, 0)),
            )
        )
    options.sort(key=lambda o: (o.score is None, -(o.score or 0), o.mentor.display_name))
    return options


# --- fairness -------------------------------------------------------------------------------


@dataclass
class FairnessRow:
    group: str
    people: int | None  # None = hidden (a small cell, or its complement)
    matched: int | None
    rate: float | None
    mean_score: float | None


@dataclass
class FairnessTable:
    dimension: str
    rows: list[FairnessRow]


@dataclass
class Fairness:
    summary: FairnessRow  # all active mentees: the program's match rate
    tables: list[FairnessTable]
    groups: list[GroupRate]  # the same figures, for the chart


def fairness(*, program: Program, run: MatchRun | None = None) -> Fairness:
    """Match rate and mean fit by rank, stream and (aggregate) gender for the program's active
    mentees — from a proposal when given, else "has a mentor now" (`selectors.figures`, as on
    the dashboard and in the report). Small cells and their complements are hidden by the one
    suppression rule, `domain.figures.hidden_groups`."""
    rows = list(
        active_mentees(program)
        .annotate(matched=has_mentor())
        .values_list(
            "person_id", "person__rank__name", "person__stream__name", "person__gender", "matched"
        )
    )
    scores = _scores_by_mentee(program, run, [row[0] for row in rows])
    genders = dict(Gender.choices)
    people = {
        pk: Mentee(
            rank or "",
            stream or "",
            genders.get(gender, "") if gender else "",
            pk in scores if run is not None else bool(matched),
        )
        for pk, rank, stream, gender, matched in rows
    }
    groups = match_rates_by_group(people.values())
    fits: dict[tuple[str, str], list[float]] = defaultdict(list)
    for pk, mentee in people.items():
        if mentee.matched and pk in scores:
            fits[("", "")].append(scores[pk])
            for dimension in DIMENSIONS:
                fits[(dimension, mentee.group(dimension))].append(scores[pk])
    tables = []
    for dimension in DIMENSIONS:
        table_rows = [
            FairnessRow(g.group, None, None, None, None)
            if g.hidden
            else FairnessRow(
                g.group, g.people, g.matched, g.rate, _mean(fits[(dimension, g.group)])
            )
            for g in groups
            if g.dimension == dimension
        ]
        tables.append(FairnessTable(dimension, table_rows))
    matched = sum(m.matched for m in people.values())
    summary = FairnessRow(
        "All active mentees",
        len(people),
        matched,
        rate(matched, len(people)),
        _mean(fits[("", "")]),
    )
    return Fairness(summary, tables, groups)


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def _scores_by_mentee(
    program: Program, run: MatchRun | None, mentee_ids: list[int]
) -> dict[int, float]:
    """Each matched mentee's best fit score: in the proposal, or of their current mentors."""
    if run is not None:
        rows = run.suggestions.filter(status=SuggestionStatus.PROPOSED).values_list(
            "mentee_id", "score"
        )
        best: dict[int, float] = {}
        for mentee, score in rows:
            best[mentee] = max(score, best.get(mentee, 0.0))
        return best
    pairs = (
        Relationship.objects.filter(program=program, stage__in=OPEN_STAGES)
        .filter(members__side__in=RECEIVING_SIDES, members__person__in=mentee_ids)
        .values_list("pk", "members__person_id")
    )
    matched = {person for _, person in pairs}
    if not matched:
        return {}
    problem = load_problem(program=program, mentee_ids=matched, ignore_availability=True)
    scored = score_pairs(problem.features, program_weights(program))
    mentors_of: dict[int, set[int]] = defaultdict(set)
    relationship_ids = {pk for pk, _ in pairs}
    guides = Relationship.objects.filter(
        pk__in=relationship_ids, members__side__in=GUIDING_SIDES
    ).values_list("pk", "members__person_id")
    guide_by_relationship = defaultdict(set)
    for pk, person in guides:
        guide_by_relationship[pk].add(person)
    for pk, person in pairs:
        mentors_of[person] |= guide_by_relationship[pk]
    row, column = problem.mentee_index(), problem.mentor_index()
    found: dict[int, float] = {}
    for person, mentors in mentors_of.items():
        values = [float(scored.scores[row[person], column[m]]) for m in mentors if m in column]
        # A mentor outside the program (an outside mentor) has no score; they still count.
        found[person] = max(values) if values else 0.0
    return found


# --- peers --------------------------------------------------------------------------------------

PEER_LIST_LENGTH = 10


@dataclass
class PeerEntry:
    peer: FacultyProfile
    shared_needs: list[str]
    stage: str  # how close their career stage is, in words
    score: int
    request: MentorRequest | None = None  # a proposal waiting, either way


@dataclass
class PeerList:
    entries: list[PeerEntry]
    sent: list[MentorRequest]
    received: list[MentorRequest]
    answered: list[MentorRequest]
    paired_with: list[FacultyProfile]
    has_self_evaluation: bool
    unavailable: int = 0


def _needs_by_person(person_ids: list[int]) -> dict[int, dict[int, str]]:
    """Each person's need areas (id → name) from their latest submitted self-evaluation."""
    found: dict[int, dict[int, str]] = {}
    for assessment in latest_submitted_assessments(person_ids=person_ids):
        found[assessment.person_id] = {n.area_id: n.area.name for n in assessment.needs.all()}
    return found


def _stage_words(me: FacultyProfile, peer: FacultyProfile) -> tuple[str, int]:
    """Similar career stage: the same rank scores most, a neighbouring rank some."""
    if me.rank is None or peer.rank is None:
        return "", 0
    gap = abs(me.rank.order - peer.rank.order)
    if gap == 0:
        return f"Same career stage ({peer.rank.name})", 3
    if gap == 1:
        return f"A neighbouring career stage ({peer.rank.name})", 1
    return "", 0


def peer_list_for(*, membership: Membership, limit: int = PEER_LIST_LENGTH) -> PeerList:
    """Other participants of a peer program, closest first: a similar career stage and the
    need areas both named in their self-evaluations. Pairs the pairing gate would refuse are
    left out without saying why (a reason may be confidential). A fixed number of queries."""
    program, me = membership.program, membership.person
    requests = list(
        MentorRequest.objects.filter(program=program, kind=RequestKind.PEER)
        .filter(Q(mentee=me) | Q(mentor=me))
        .select_related("mentee__user", "mentor__user", "focus_area")
        .order_by("-created_at")
    )
    pending = [r for r in requests if r.status == RequestStatus.PENDING]
    paired = list(
        FacultyProfile.objects.filter(
            relationship_memberships__relationship__in=Relationship.objects.filter(
                program=program,
                kind=RelationshipKind.PEER,
                stage__in=OPEN_STAGES,
                members__person=me,
                members__left_at__isnull=True,
            ),
            relationship_memberships__left_at__isnull=True,
        )
        .exclude(pk=me.pk)
        .select_related("user")
    )
    candidates = [
        m.person
        for m in Membership.objects.filter(
            program=program, role__in=MENTEE_ROLES, status=MembershipStatus.ACTIVE
        )
        .exclude(person=me)
        .exclude(person__in=[p.pk for p in paired])
        .select_related("person__user", "person__rank", "person__department", "person__institution")
    ]
    me_full = FacultyProfile.objects.select_related("rank").get(pk=me.pk)
    needs = _needs_by_person([me.pk, *(p.pk for p in candidates)])
    mine = needs.get(me.pk, {})
    batch = PairingBatch(program=program, people=[me_full, *candidates])
    waiting = {r.mentor_id if r.mentee_id == me.pk else r.mentee_id: r for r in pending}
    entries, unavailable = [], 0
    for peer in candidates:
        unit = Proposed(
            program=program,
            kind=RelationshipKind.PEER,
            sides=[(me_full, MemberSide.PEER), (peer, MemberSide.PEER)],
        )
        if batch.check(unit):
            unavailable += 1
            continue
        shared = [name for area, name in needs.get(peer.pk, {}).items() if area in mine]
        stage, stage_score = _stage_words(me_full, peer)
        entries.append(
            PeerEntry(
                peer=peer,
                shared_needs=sorted(shared),
                stage=stage,
                score=2 * len(shared) + stage_score,
                request=waiting.get(peer.pk),
            )
        )
    entries.sort(key=lambda e: (-e.score, _rotation_key(me.pk, e.peer.pk)))
    shown = [e for k, e in enumerate(entries) if k < limit or e.request is not None]
    return PeerList(
        entries=shown,
        sent=[r for r in pending if r.mentee_id == me.pk],
        received=[r for r in pending if r.mentor_id == me.pk],
        answered=[r for r in requests if r.status != RequestStatus.PENDING][:10],
        paired_with=paired,
        has_self_evaluation=me.pk in needs,
        unavailable=unavailable,
    )
