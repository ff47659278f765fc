"""Reads about relationship reviews, for directors' pages and dashboards.

Every function here returns its result from a fixed number of queries, whatever the number of
relationships (dashboards call them with a whole program). Answers and comments are only ever
read for directors; the other party of a relationship never reaches these functions (see
`access.get_relationship_for_review_results`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from programs.domain.review_scores import on_five_point_scale
from programs.models import (
    OPEN_STAGES,
    FacultyProfile,
    Program,
    Relationship,
    RelationshipMember,
    RelationshipRisk,
    ReviewAnswer,
    ReviewChoice,
    ReviewInstrument,
    ReviewItem,
    ReviewRequest,
    ReviewResponse,
    RiskReason,
)
from programs.selectors.figures import at_risk_condition

# --- For dashboards ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewSignal:
    """What a director's list shows about one relationship's reviews."""

    at_risk: bool = False
    risk_reasons: tuple[str, ...] = ()  # labels, e.g. "A party chose to end in a review"
    lowest_score: Decimal | None = None  # the lower of the parties' latest scores, on 1–5
    last_reviewed_at: datetime | None = None
    answered: int = 0  # of the current cycle's requests
    requested: int = 0


def _relationship_filter(relationships: Iterable[Relationship | int] | QuerySet[Any]) -> Q:
    if isinstance(relationships, QuerySet):
        return Q(relationship__in=relationships.order_by().values("pk"))
    ids = [r if isinstance(r, int) else r.pk for r in relationships]
    return Q(relationship__in=ids)


def latest_review_signal(
    relationships: Iterable[Relationship | int] | QuerySet[Any],
    *,
    risks: QuerySet[RelationshipRisk] | None = None,
    requests: QuerySet[ReviewRequest] | None = None,
) -> dict[int, ReviewSignal]:
    """Per relationship id: open risk flags, the latest scores and the current cycle's
    completion. Three queries for any number of relationships (pass a query set to keep the
    SQL small for a whole program). Pages pass the viewer's `access.risks_for_director` and
    `access.review_requests_for_director`; without them (sweeps) every row counts."""
    where = _relationship_filter(relationships)
    risks = RelationshipRisk.objects.all() if risks is None else risks
    responses = ReviewResponse.objects.all()
    if requests is None:
        requests = ReviewRequest.objects.all()
    else:
        responses = responses.filter(request__in=requests)
    reasons: dict[int, list[str]] = defaultdict(list)
    labels = dict(RiskReason.choices)
    for relationship_id, reason in (
        risks.filter(where, cleared_at__isnull=True)
        .order_by("flagged_at")
        .values_list("relationship_id", "reason")
    ):
        if labels[reason] not in reasons[relationship_id]:
            reasons[relationship_id].append(labels[reason])

    latest: dict[int, dict[int, tuple[Decimal | None, datetime]]] = defaultdict(dict)
    for relationship_id, respondent_id, score, low, high, at in (
        responses.filter(_prefixed(where, "request__"))
        .order_by("submitted_at")
        .values_list(
            "request__relationship_id",
            "request__respondent_id",
            "score",
            "request__instrument__scale_min",
            "request__instrument__scale_max",
            "submitted_at",
        )
    ):
        value = (
            on_five_point_scale(score, scale_min=low, scale_max=high) if score is not None else None
        )
        latest[relationship_id][respondent_id] = (value, at)

    completion: dict[int, tuple[int, int]] = {}
    current: dict[int, int] = {}
    for relationship_id, cycle, requested, answered in (
        requests.filter(where)
        .values("relationship_id", "cycle")
        .annotate(n=Count("pk"), done=Count("pk", filter=Q(completed_at__isnull=False)))
        .values_list("relationship_id", "cycle", "n", "done")
    ):
        if cycle >= current.get(relationship_id, -1):
            current[relationship_id] = cycle
            completion[relationship_id] = (requested, answered)

    signals = {}
    for relationship_id in set(reasons) | set(latest) | set(completion):
        parties = latest.get(relationship_id, {})
        scores = [s for s, _ in parties.values() if s is not None]
        requested, answered = completion.get(relationship_id, (0, 0))
        signals[relationship_id] = ReviewSignal(
            at_risk=bool(reasons.get(relationship_id)),
            risk_reasons=tuple(reasons.get(relationship_id, ())),
            lowest_score=min(scores) if scores else None,
            last_reviewed_at=max((at for _, at in parties.values()), default=None),
            answered=answered,
            requested=requested,
        )
    return signals


def _prefixed(condition: Q, prefix: str) -> Q:
    q = Q()
    q.connector, q.negated = condition.connector, condition.negated
    q.children = [(f"{prefix}{k}", v) for k, v in condition.children]  # type: ignore[misc]
    return q


def at_risk_relationships(
    *, program: Program, risks: QuerySet[RelationshipRisk]
) -> QuerySet[Relationship]:
    """Open relationships of the program with a risk flag no director has cleared yet (the
    one definition, `selectors.figures.at_risk_condition`, over the flags in `risks`: the
    viewer's `access.risks_for_director`)."""
    return (
        Relationship.objects.filter(at_risk_condition(risks), program=program)
        .prefetch_related(
            _active_members(),
        )
        .order_by("-started_on", "-pk")
    )


def _active_members() -> Any:
    from programs.selectors.relationships import active_members

    return active_members()


@dataclass
class Rate:
    label: str
    requested: int = 0  # requests already open
    answered: int = 0
    missed: int = 0  # closed without an answer

    @property
    def percent(self) -> int | None:
        return round(100 * self.answered / self.requested) if self.requested else None


@dataclass
class CompletionRates:
    total: Rate
    by_cohort: list[Rate] = field(default_factory=list)


def completion_rates(
    program: Program,
    *,
    today: date | None = None,
    requests: QuerySet[ReviewRequest] | None = None,
) -> CompletionRates:
    """How many of the review requests opened so far were answered, for the program and for
    each cohort (one GROUP BY query). "Missed" counts requests whose window closed unanswered.
    `requests`: the viewer's `access.review_requests_for_director`."""
    today = today or timezone.localdate()
    requests = ReviewRequest.objects.all() if requests is None else requests
    rows = (
        requests.filter(relationship__program=program, opens_on__lte=today)
        .values(
            "relationship__cohort_id",
            "relationship__cohort__name",
            "relationship__cohort__starts_on",
        )
        .annotate(
            n=Count("pk"),
            done=Count("pk", filter=Q(completed_at__isnull=False)),
            missed=Count("pk", filter=Q(completed_at__isnull=True, closes_on__lt=today)),
        )
        .order_by("-relationship__cohort__starts_on", "relationship__cohort__name")
    )
    total = Rate("All cohorts")
    cohorts = []
    for row in rows:
        rate = Rate(
            row["relationship__cohort__name"] or "No cohort", row["n"], row["done"], row["missed"]
        )
        cohorts.append(rate)
        total.requested += rate.requested
        total.answered += rate.answered
        total.missed += rate.missed
    return CompletionRates(total, cohorts)


# --- One relationship's results (directors) ----------------------------------------------------


@dataclass
class PartyReview:
    request: ReviewRequest
    response: ReviewResponse | None
    answers: dict[int, int | None]  # item id -> value
    score_five: Decimal | None

    @property
    def status(self) -> str:
        if self.response is not None:
            return "answered"
        return "missed" if self.request.closes_on < timezone.localdate() else "waiting"


@dataclass
class CycleResults:
    cycle: int
    opens_on: date
    instrument: ReviewInstrument
    items: list[ReviewItem]
    parties: dict[int, PartyReview]  # respondent id -> their review

    @property
    def label(self) -> str:
        return "End of pilot" if self.cycle == 0 else f"Review {self.cycle}"

    columns: list[PartyReview | None] = field(default_factory=list)  # one per person
    rows: list[tuple[ReviewItem, list[int | str | None]]] = field(default_factory=list)

    def lay_out(self, people: list[FacultyProfile]) -> None:
        """Columns in the order of `people`; each item with each person's answer ('' where
        they did not answer, None for "not sure")."""
        self.columns = [self.parties.get(p.pk) for p in people]
        self.rows = [
            (
                item,
                [
                    c.answers.get(item.pk) if c is not None and c.response is not None else ""
                    for c in self.columns
                ],
            )
            for item in self.items
        ]


@dataclass
class ReviewHistory:
    people: list[FacultyProfile]
    cycles: list[CycleResults]
    open_risks: list[RelationshipRisk]
    cleared_risks: list[RelationshipRisk]

    def trend(self) -> list[tuple[FacultyProfile, list[tuple[str, Decimal | None, str]]]]:
        """Each person's score (on 1–5) over the cycles, oldest first, with the choice made."""
        rows = []
        for person in self.people:
            points = []
            for c in reversed(self.cycles):
                party = c.parties.get(person.pk)
                if party is not None:
                    choice = party.response.get_choice_display() if party.response else ""
                    points.append((c.label, party.score_five, choice))
            rows.append((person, points))
        return rows


def review_history(relationship: Relationship) -> ReviewHistory:
    """Both parties' answers side by side, cycle by cycle (newest first), for directors."""
    requests = list(
        ReviewRequest.objects.filter(relationship=relationship)
        .select_related("respondent", "instrument", "response")
        .order_by("-cycle", "respondent__family_name")
    )
    answers: dict[int, dict[int, int | None]] = defaultdict(dict)
    for response_id, item_id, value in ReviewAnswer.objects.filter(
        response__request__relationship=relationship
    ).values_list("response_id", "item_id", "value"):
        answers[response_id][item_id] = value
    instruments = {r.instrument_id for r in requests}
    items: dict[int, list[ReviewItem]] = defaultdict(list)
    for item in ReviewItem.objects.filter(instrument__in=instruments).order_by("order", "pk"):
        items[item.instrument_id].append(item)
    members = list(
        RelationshipMember.objects.filter(relationship=relationship)
        .select_related("person")
        .order_by("side", "person__family_name")
    )
    people = [m.person for m in members]
    cycles: dict[int, CycleResults] = {}
    for r in requests:
        response = getattr(r, "response", None)
        cycle = cycles.setdefault(
            r.cycle,
            CycleResults(r.cycle, r.opens_on, r.instrument, items[r.instrument_id], {}),
        )
        score = (
            on_five_point_scale(
                response.score, scale_min=r.instrument.scale_min, scale_max=r.instrument.scale_max
            )
            if response is not None and response.score is not None
            else None
        )
        cycle.parties[r.respondent_id] = PartyReview(
            r, response, answers.get(response.pk, {}) if response else {}, score
        )
    for cycle in cycles.values():
        cycle.lay_out(people)
    risks = list(
        RelationshipRisk.objects.filter(relationship=relationship)
        .select_related("cleared_by__profile", "review__request__respondent")
        .order_by("-flagged_at")
    )
    return ReviewHistory(
        people=people,
        cycles=sorted(cycles.values(), key=lambda c: -c.cycle),
        open_risks=[r for r in risks if r.cleared_at is None],
        cleared_risks=[r for r in risks if r.cleared_at is not None],
    )


# --- For the respondent ------------------------------------------------------------------------


def open_reviews_for(
    person: FacultyProfile, *, today: date | None = None
) -> QuerySet[ReviewRequest]:
    """The person's own unanswered reviews whose window is open."""
    today = today or timezone.localdate()
    return (
        ReviewRequest.objects.filter(
            respondent=person,
            completed_at__isnull=True,
            opens_on__lte=today,
            closes_on__gte=today,
            relationship__stage__in=OPEN_STAGES,
        )
        .select_related("relationship__program")
        .order_by("closes_on")
    )


def answered_reviews_of(person: FacultyProfile) -> QuerySet[ReviewRequest]:
    return (
        ReviewRequest.objects.filter(respondent=person, completed_at__isnull=False)
        .select_related("relationship__program")
        .order_by("-completed_at")
    )


CHOICES = dict(ReviewChoice.choices)


def items_for_respondent(review: ReviewRequest) -> list[ReviewItem]:
    """The instrument's items this respondent answers: those for both sides, and those for their
    side (mentees and peers answer mentee items — peers also mentor items, as they give and
    receive; mentors and facilitators answer mentor items)."""
    from programs.models import AnsweredBy, MemberSide, RelationshipMember

    side = (
        RelationshipMember.objects.filter(
            relationship=review.relationship_id, person=review.respondent_id
        )
        .values_list("side", flat=True)
        .first()
    )
    wanted = {AnsweredBy.BOTH}
    if side in (MemberSide.MENTEE, MemberSide.PEER):
        wanted.add(AnsweredBy.MENTEE)
    if side in (MemberSide.MENTOR, MemberSide.FACILITATOR, MemberSide.PEER):
        wanted.add(AnsweredBy.MENTOR)
    return list(review.instrument.items.filter(answered_by__in=wanted))
