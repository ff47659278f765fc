"""The pairing gate: the one place that decides whether a change of who mentors whom may happen.

Every path that creates a relationship or changes who is in one — a request accepted, a proposal
published, a director's assignment or new relationship, a reassignment, an outside mentor, a
rematch, a peer pair, a group — reaches `relationship_create`, which asks `pairing_require`.
Proposals are re-checked in one pass with a `PairingBatch`, which counts the places the earlier
suggestions of the same proposal take.

The gate returns *every* reason at once (`pairing_reasons`), each a `Reason` with a code, plain
words naming the people, and data (the date a pause ends, which authority a boss holds, a load).
Some rules may be overridden deliberately, one rule at a time, with a reason written down: the
override is recorded in the audit log ("pairing.override") and shown on the relationship page.

Adding a rule: write a function `(batch, pairing) -> Reason | None`, decorate it with `@rule(...)`
saying its code, which sides it applies to, whether a director may override it and whether it
applies to a mentee's outside mentor. If it needs data, add a cached property to `PairingBatch`
that loads it for every person of the batch in one query. The enumeration test in
`tests/programs/test_pairing_paths.py` then runs it on every path."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from matching.engine.groups import is_senior
from matching.models import ConflictOfInterest, PairRule, PairRuleKind
from matching.sources import (
    AUTHORITY_ABOVE,
    AUTHORITY_DEPARTMENT_HEAD,
    AUTHORITY_DIVISION_CHIEF,
    AUTHORITY_SUPERVISOR,
    _ended_pairs,
    _open_guiding_counts,
    authority_roles,
)
from mentorship.accounts.models import User
from programs.models import (
    MENTEE_ROLES,
    MENTOR_ROLES,
    OPEN_STAGES,
    FacultyProfile,
    Membership,
    MembershipStatus,
    MemberSide,
    MentoringModel,
    MentorOffer,
    NeedArea,
    Program,
    Relationship,
    RelationshipKind,
    RelationshipMember,
    RelationshipSource,
)
from programs.models.relationships import GUIDING_SIDES, RECEIVING_SIDES
from programs.selectors.figures import meets_training_rule, training_hours
from programs.services.audit import audit_record


class Rule:
    """Reason codes, in the order reasons are listed."""

    NOT_MENTEE = "not_mentee"
    NOT_MENTOR = "not_mentor"
    SELF = "self"
    REPORTING_LINE = "reporting_line"
    CONFLICT = "conflict_of_interest"
    FORBIDDEN = "forbidden"
    ENDED_BEFORE = "ended_before"
    ALREADY_ON_BOARD = "already_on_board"
    ONE_MENTOR = "one_mentor_per_mentee"
    AREA_COVERED = "area_covered"
    NOT_ACCEPTING = "not_accepting"
    PAUSED = "paused"
    CAPACITY = "capacity"
    NO_REMOTE = "no_remote"
    UNTRAINED = "untrained"
    NOT_SENIOR = "facilitator_not_senior"
    IN_ANOTHER_GROUP = "in_another_group"


# What a director ticks to override a rule, in their words. Rules absent here cannot be
# overridden: nobody mentors themselves, their boss, someone they conflict with, someone a
# director forbade (remove the rule instead) or someone already on the same board.
OVERRIDE_LABELS: dict[str, str] = {
    Rule.ENDED_BEFORE: "Pair them again although an earlier relationship between them ended",
    Rule.ONE_MENTOR: "Give the mentee another mentor in this program",
    Rule.AREA_COVERED: "Give the mentee a second mentor for the same need",
    Rule.NOT_ACCEPTING: "Assign although the mentor is not taking new mentees",
    Rule.PAUSED: "Assign although the mentor has paused",
    Rule.CAPACITY: "Assign although the mentor is full",
    Rule.NO_REMOTE: "Assign although the mentor does not mentor remotely",
    Rule.UNTRAINED: "Assign although the mentor has not completed the required training",
    Rule.NOT_SENIOR: "Let the facilitator lead although they are not senior enough to everyone",
}
OVERRIDABLE = frozenset(OVERRIDE_LABELS)

AUTHORITY_WORDS = {
    AUTHORITY_SUPERVISOR: "supervisor",
    AUTHORITY_ABOVE: "superior further up the reporting line",
    AUTHORITY_DIVISION_CHIEF: "division chief",
    AUTHORITY_DEPARTMENT_HEAD: "department head",
}


@dataclass(frozen=True)
class Reason:
    """One reason a pairing may not happen, in words a director can act on."""

    code: str
    message: str
    mentee_id: int
    partner_id: int
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def overridable(self) -> bool:
        return self.code in OVERRIDABLE

    @property
    def override_label(self) -> str:
        return OVERRIDE_LABELS.get(self.code, "")


@dataclass(frozen=True)
class Overrides:
    """Rules a director deliberately sets aside for this one change, and why (required)."""

    rules: frozenset[str] = frozenset()
    why: str = ""

    @classmethod
    def of(cls, rules: Iterable[str] = (), why: str = "") -> Overrides:
        return cls(frozenset(rules), (why or "").strip())


NO_OVERRIDES = Overrides()


@dataclass(frozen=True)
class Pairing:
    """One receiving person (a mentee, or a peer) and one partner on the other side."""

    mentee: FacultyProfile
    partner: FacultyProfile
    side: str  # the partner's side: mentor, facilitator or peer


@dataclass(frozen=True)
class Proposed:
    """A proposed relationship (or a new membership of one), as the gate sees it."""

    program: Program
    kind: str
    sides: Sequence[tuple[FacultyProfile, str]]
    focus_area: NeedArea | None = None
    source: str = RelationshipSource.MANUAL
    label: str = ""  # how a list of conflicts names this unit, e.g. "Suggestion for Ana Ruiz"
    # People joining an existing circle: only the pairs they are part of are new, so only those
    # are checked (the circle's other pairs were checked when they joined).
    newcomers: frozenset[int] = frozenset()

    @property
    def people(self) -> list[FacultyProfile]:
        return [p for p, _ in self.sides]

    def pairings(self) -> list[Pairing]:
        receiving = [p for p, s in self.sides if s == MemberSide.MENTEE]
        guiding = [(p, s) for p, s in self.sides if s in GUIDING_SIDES]
        peers = [p for p, s in self.sides if s == MemberSide.PEER]
        found = [Pairing(m, g, s) for m in receiving for g, s in guiding]
        # Peers give and receive: each is checked as the other's partner (a pause, a boss).
        found += [Pairing(a, b, MemberSide.PEER) for a in peers for b in peers if a is not b]
        if self.newcomers:
            found = [p for p in found if {p.mentee.pk, p.partner.pk} & self.newcomers]
        return found


class PairingRefused(ValidationError):
    """The gate said no. `reasons` lists every reason (overridable or not)."""

    WHY_MISSING = "Say why these rules are set aside; it is kept in the audit log."

    def __init__(
        self, reasons: Sequence[Reason], *, field: str = "mentors", why_missing: bool = False
    ) -> None:
        self.reasons = list(reasons)
        self.field = field
        errors: dict[str, list[str]] = {field: [r.message for r in self.reasons]}
        if why_missing:
            errors["override_why"] = [self.WHY_MISSING]
        super().__init__(errors)


# --- rules --------------------------------------------------------------------------------------

Check = Callable[["PairingBatch", Pairing, Proposed], "Reason | None"]


@dataclass(frozen=True)
class RuleSpec:
    code: str
    check: Check
    sides: frozenset[str]
    outside: bool  # applies to a mentor the mentee found outside the program's pool


RULES: list[RuleSpec] = []
ALL_SIDES = frozenset({MemberSide.MENTOR, MemberSide.FACILITATOR, MemberSide.PEER})
POOL_SIDES = frozenset({MemberSide.MENTOR, MemberSide.FACILITATOR})


def rule(
    code: str, *, sides: Iterable[str] = ALL_SIDES, outside: bool = True
) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        RULES.append(RuleSpec(code, check, frozenset(sides), outside))
        return check

    return register


def _reason(code: str, pairing: Pairing, message: str, **data: Any) -> Reason:
    return Reason(code, message, pairing.mentee.pk, pairing.partner.pk, data)


@rule(Rule.NOT_MENTEE)
def _not_mentee(batch: PairingBatch, p: Pairing, unit: Proposed) -> Reason | None:
    membership = batch.memberships.get(p.mentee.pk)
    if membership is not None and membership.role in MENTEE_ROLES:
        return None
    return _reason(
        Rule.NOT_MENTEE,
        p,
        f"{p.mentee.display_name} is not a mentee in {unit.program.name}.",
    )


@rule(Rule.NOT_MENTOR, outside=False)
def _not_mentor(batch: PairingBatch, p: Pairing, unit: Proposed) -> Reason | None:
    membership = batch.memberships.get(p.partner.pk)
    wanted = MENTEE_ROLES if p.side == MemberSide.PEER else MENTOR_ROLES
    if membership is not None and membership.role in wanted:
        return None
    what = "a participant" if p.side == MemberSide.PEER else "a mentor"
    return _reason(
        Rule.NOT_MENTOR, p, f"{p.partner.display_name} is not {what} in {unit.program.name}."
    )


@rule(Rule.SELF)
def _self(batch: PairingBatch, p: Pairing, unit: Proposed) -> Reason | None:
    if p.mentee.pk != p.partner.pk:
        return None
    return _reason(
        Rule.SELF,
        p,
        f"Nobody can mentor themselves: choose someone other than {p.mentee.display_name}.",
    )


@rule(Rule.REPORTING_LINE)
def _reporting_line(batch: PairingBatch, p: Pairing, unit: Proposed) -> Reason | None:
    for boss, junior in ((p.partner, p.mentee), (p.mentee, p.partner)):
        role = batch.authority.get(junior.pk, {}).get(boss.pk)
        if role is None or (junior is p.partner and p.side != MemberSide.PEER):
            continue
        return _reason(
            Rule.REPORTING_LINE,
            p,
            f"{boss.display_name} is in {junior.display_name}'s reporting line (their "
            f"{AUTHORITY_WORDS[role]}): a mentor should not hold authority over their mentee.",
            role=role,
            authority_id=boss.pk,
        )
    return None


@rule(Rule.CONFLICT)
def _conflict(batch: PairingBatch, p: Pairing, unit: Proposed) -> Reason | None:
    if frozenset((p.mentee.pk, p.partner.pk)) not in batch.conflicts:
        return None
    # Confidential: never say who declared it, nor that it is a declared conflict.
    return _reason(
        Rule.CONFLICT,
        p,
        f"{p.partner.display_name} and {p.mentee.display_name} cannot be paired, for a "
        "confidential reason.",
    )


@rule(Rule.FORBIDDEN)
def _forbidden(batch: PairingBatch, p: Pairing, unit: Proposed) -> Reason | None:
    if (p.mentee.pk, p.partner.pk, PairRuleKind.FORBID) not in batch.pair_rules and (
        p.partner.pk,
        p.mentee.pk,
        PairRuleKind.FORBID,
    ) not in batch.pair_rules:
        return None
    return _reason(
        Rule.FORBIDDEN,
        p,
        f"A director ruled that {p.mentee.display_name} and {p.partner.display_name} are never "
        "paired (see the program's pair rules).",
    )


@rule(Rule.ENDED_BEFORE)
def _ended_before(batch: PairingBatch, p: Pairing, unit: Proposed) -> Reason | None:
    a, b = p.mentee.pk, p.partner.pk
    if (a, b) not in batch.ended and (b, a) not in batch.ended:
        return None
    if {(a, b, PairRuleKind.ALLOW_AGAIN), (b, a, PairRuleKind.ALLOW_AGAIN)} & batch.pair_rules:
        return None
    return _reason(
        Rule.ENDED_BEFORE,
        p,
        f"An earlier relationship between {p.mentee.display_name} and {p.partner.display_name} "
        "ended early.",
    )


@rule(Rule.ALREADY_ON_BOARD, sides={MemberSide.MENTOR, MemberSide.PEER})
def _already_on_board(batch: PairingBatch, p: Pairing, unit: Proposed) -> Reason | None:
    if p.side == MemberSide.PEER and unit.kind != RelationshipKind.PEER:
        return None
    for seat in batch.board(p.mentee.pk):
        if seat.partner_id != p.partner.pk or (seat.side == MemberSide.PEER) != (
            p.side == MemberSide.PEER
        ):
            continue
        where = ", ".join(x for x in (seat.area, f"in {seat.program_name}") if x)
        verb = "is already paired with" if p.side == MemberSide.PEER else "already mentors"
        return _reason(
            Rule.ALREADY_ON_BOARD,
            p,
            f"{p.partner.display_name} {verb} {p.mentee.display_name} ({where}).",
            relationship_id=seat.relationship_id,
            program=seat.program_name,
        )
    return None


@rule(Rule.ONE_MENTOR, sides={MemberSide.MENTOR}, outside=False)
def _one_mentor(batch: PairingBatch, p: Pairing, unit: Proposed) -> Reason | None:
    if not one_mentor_per_mentee(unit.program):
        return None
    others = [
        s
        for s in batch.board(p.mentee.pk)
        if s.program_id == unit.program.pk
        and s.side == MemberSide.MENTOR
        and s.partner_id != p.partner.pk  # the same person twice is `already_on_board`
    ]
    if not others:
        return None
    names = "; ".join(s.partner_name for s in others)
    return _reason(
        Rule.ONE_MENTOR,
        p,
        f"{unit.program.name} gives each mentee one mentor, and {p.mentee.display_name} already "
        f"has {names}.",
    )


@rule(Rule.AREA_COVERED, sides={MemberSide.MENTOR}, outside=False)
def _area_covered(batch: PairingBatch, p: Pairing, unit: Proposed) -> Reason | None:
    if unit.focus_area is None:
        return None
    others = [
        s
        for s in batch.board(p.mentee.pk)
        if s.program_id == unit.program.pk
        and s.side == MemberSide.MENTOR
        and s.area_id == unit.focus_area.pk
        and s.partner_id != p.partner.pk
    ]
    if not others:
        return None
    return _reason(
        Rule.AREA_COVERED,
        p,
        f"{p.mentee.display_name} already has a mentor for {unit.focus_area.name} in "
        f"{unit.program.name}: {'; '.join(s.partner_name for s in others)}.",
    )


@rule(Rule.NOT_ACCEPTING, sides=POOL_SIDES, outside=False)
def _not_accepting(batch: PairingBatch, p: Pairing, unit: Proposed) -> Reason | None:
    offer = batch.offers.get(p.partner.pk)
    if offer is None or offer.accepting or offer.paused_until is not None:
        return None
    return _reason(Rule.NOT_ACCEPTING, p, f"{p.partner.display_name} is not taking new mentees.")


@rule(Rule.PAUSED, outside=False)
def _paused(batch: PairingBatch, p: Pairing, unit: Proposed) -> Reason | None:
    offer = batch.offers.get(p.partner.pk)
    until = offer.paused_until if offer is not None and not offer.accepting else None
    if until is not None and until > batch.today:
        return _reason(
            Rule.PAUSED,
            p,
            f"{p.partner.display_name} has paused until {until:%-d %B %Y}.",
            until=until.isoformat(),
        )
    membership = batch.memberships.get(p.partner.pk)
    if membership is not None and membership.status == MembershipStatus.PAUSED:
        return _reason(
            Rule.PAUSED,
            p,
            f"{p.partner.display_name}'s participation in {unit.program.name} is paused.",
            until=None,
        )
    return None


@rule(Rule.CAPACITY, sides=POOL_SIDES, outside=False)
def _capacity(batch: PairingBatch, p: Pairing, unit: Proposed) -> Reason | None:
    membership = batch.memberships.get(p.partner.pk)
    if membership is None:
        return None
    load = batch.load(p.partner.pk)
    if load < membership.mentor_capacity:
        return None
    return _reason(
        Rule.CAPACITY,
        p,
        f"{p.partner.display_name} is full: {load} of {membership.mentor_capacity} places "
        f"taken in {unit.program.name}.",
        load=load,
        capacity=membership.mentor_capacity,
    )


@rule(Rule.NO_REMOTE, sides=POOL_SIDES, outside=False)
def _no_remote(batch: PairingBatch, p: Pairing, unit: Proposed) -> Reason | None:
    offer = batch.offers.get(p.partner.pk)
    if offer is None or offer.mentors_remotely:
        return None
    if p.mentee.institution_id == p.partner.institution_id:
        return None
    return _reason(
        Rule.NO_REMOTE,
        p,
        f"{p.partner.display_name} does not mentor remotely, and {p.mentee.display_name} is at "
        "another institution.",
    )


@rule(Rule.UNTRAINED, sides=POOL_SIDES, outside=False)
def _untrained(batch: PairingBatch, p: Pairing, unit: Proposed) -> Reason | None:
    required = unit.program.mentor_training_hours_required
    hours = batch.training_hours.get(p.partner.pk)
    if meets_training_rule(unit.program, hours):
        return None
    done = f"{float(hours):g} hour{'s' if hours != 1 else ''}" if hours else "none"
    return _reason(
        Rule.UNTRAINED,
        p,
        f"{unit.program.name} asks mentors for {required} hours of its mentor training before "
        f"they are matched; {p.partner.display_name} has {done} recorded.",
        hours=float(hours or 0),
        required=required,
    )


@rule(Rule.NOT_SENIOR, sides={MemberSide.FACILITATOR}, outside=False)
def _not_senior(batch: PairingBatch, p: Pairing, unit: Proposed) -> Reason | None:
    member, facilitator = batch.standing.get(p.mentee.pk), batch.standing.get(p.partner.pk)
    if member is None or facilitator is None:
        return None
    program = unit.program
    if is_senior(
        *member,
        *facilitator,
        rank_gap=program.facilitator_rank_gap,
        years_gap=program.facilitator_years_gap,
    ):
        return None
    return _reason(
        Rule.NOT_SENIOR,
        p,
        f"{p.partner.display_name} is not senior enough to facilitate {p.mentee.display_name}: "
        f"{program.name} asks for a facilitator {program.facilitator_rank_gap} "
        f"rank{'s' if program.facilitator_rank_gap != 1 else ''} above each member, or with "
        f"{program.facilitator_years_gap} more years on the faculty.",
    )


@rule(Rule.IN_ANOTHER_GROUP, sides={MemberSide.FACILITATOR}, outside=False)
def _in_another_group(batch: PairingBatch, p: Pairing, unit: Proposed) -> Reason | None:
    """Within one proposal (a batch), a group's facilitator is never a member of another
    group, nor a member someone else's group's facilitator."""
    if batch.group_member(p.partner.pk):
        return _reason(
            Rule.IN_ANOTHER_GROUP,
            p,
            f"{p.partner.display_name} is a member of another group in this proposal, so "
            "cannot facilitate one.",
        )
    if batch.group_facilitator(p.mentee.pk):
        return _reason(
            Rule.IN_ANOTHER_GROUP,
            p,
            f"{p.mentee.display_name} facilitates another group in this proposal, so cannot "
            "be a member of one.",
        )
    return None


def one_mentor_per_mentee(program: Program) -> bool:
    """A program that does not offer mosaic boards gives each mentee one mentor at a time."""
    return MentoringModel.MOSAIC not in (program.allowed_models or [])


# --- the batch: data for every person, loaded once ------------------------------------------------


@dataclass(frozen=True)
class Seat:
    """An open relationship on a receiving person's board."""

    relationship_id: int
    program_id: int
    program_name: str
    area_id: int | None
    area: str
    partner_id: int
    partner_name: str
    side: str


class PairingBatch:
    """Checks many proposed changes of one program against the current state, loading each kind
    of data once for everyone. `take` counts a unit that will be created, so the next units see
    the places and board seats it fills (a proposal checked suggestion by suggestion)."""

    def __init__(
        self,
        *,
        program: Program,
        people: Iterable[FacultyProfile],
        ignore_relationships: Iterable[int] = (),
    ) -> None:
        self.program = program
        self.people = {p.pk: p for p in people}
        self.ignore = set(ignore_relationships)
        self.today = timezone.localdate()
        self._taken_load: dict[int, int] = defaultdict(int)
        self._taken_seats: dict[int, list[Seat]] = defaultdict(list)
        self._group_sides: dict[int, set[str]] = defaultdict(set)

    @cached_property
    def ids(self) -> set[int]:
        return set(self.people)

    @cached_property
    def memberships(self) -> dict[int, Membership]:
        rows = Membership.objects.filter(program=self.program, person_id__in=self.ids)
        if transaction.get_connection().in_atomic_block:
            # Two writes for the same mentor queue here, so neither decides on a stale load.
            rows = rows.select_for_update(of=("self",)).order_by("pk")
        return {m.person_id: m for m in rows}

    @cached_property
    def offers(self) -> dict[int, MentorOffer]:
        return {o.person_id: o for o in MentorOffer.objects.filter(person_id__in=self.ids)}

    @cached_property
    def authority(self) -> dict[int, dict[int, str]]:
        return authority_roles(self.ids)

    @cached_property
    def conflicts(self) -> set[frozenset[int]]:
        rows = ConflictOfInterest.objects.filter(
            person_id__in=self.ids, other_id__in=self.ids
        ).values_list("person_id", "other_id")
        return {frozenset(r) for r in rows}

    @cached_property
    def pair_rules(self) -> set[tuple[int, int, str]]:
        rows = PairRule.objects.filter(
            program=self.program, mentee_id__in=self.ids, mentor_id__in=self.ids
        ).values_list("mentee_id", "mentor_id", "kind")
        return set(rows)

    @cached_property
    def ended(self) -> set[tuple[int, int]]:
        ids = sorted(self.ids)
        return {(a, b) for a, b, _ in _ended_pairs(ids, ids)}

    @cached_property
    def standing(self) -> dict[int, tuple[int | None, int | None]]:
        """(rank order, years on the faculty) per person, for the seniority rule."""
        this_year = timezone.localdate().year
        rows = FacultyProfile.objects.filter(pk__in=self.ids).values_list(
            "pk", "rank__order", "year_joined_faculty"
        )
        return {
            pk: (rank, None if joined is None else max(0, this_year - joined))
            for pk, rank, joined in rows
        }

    def group_member(self, person_id: int) -> bool:
        return bool(self._group_sides[person_id] & {MemberSide.MENTEE, MemberSide.PEER})

    def group_facilitator(self, person_id: int) -> bool:
        return MemberSide.FACILITATOR in self._group_sides[person_id]

    @cached_property
    def _loads(self) -> dict[int, int]:
        return _open_guiding_counts(self.program, self.ids, ignore=self.ignore)

    @cached_property
    def training_hours(self) -> dict[int, Any]:
        if not self.program.mentor_training_hours_required:
            return {}
        return training_hours(program=self.program, person_ids=self.ids, today=self.today)

    def load(self, person_id: int) -> int:
        return self._loads.get(person_id, 0) + self._taken_load[person_id]

    @cached_property
    def _boards(self) -> dict[int, list[Seat]]:
        mine = RelationshipMember.objects.filter(
            person_id__in=self.ids,
            side__in=RECEIVING_SIDES,
            left_at__isnull=True,
            relationship__stage__in=OPEN_STAGES,
        ).exclude(relationship_id__in=self.ignore)
        rows = (
            RelationshipMember.objects.filter(
                relationship_id__in=mine.values("relationship_id"), left_at__isnull=True
            )
            .select_related("person", "relationship__program", "relationship__focus_area")
            .order_by("relationship_id", "pk")
        )
        by_relationship: dict[int, list[RelationshipMember]] = defaultdict(list)
        for row in rows:
            by_relationship[row.relationship_id].append(row)
        boards: dict[int, list[Seat]] = defaultdict(list)
        for members in by_relationship.values():
            relationship = members[0].relationship
            if relationship.kind not in (RelationshipKind.ONE_TO_ONE, RelationshipKind.PEER):
                continue
            for receiver in members:
                if receiver.side not in RECEIVING_SIDES:
                    continue
                for other in members:
                    if other.person_id == receiver.person_id or other.side == MemberSide.MENTEE:
                        continue
                    boards[receiver.person_id].append(_seat(relationship, other))
        return boards

    def board(self, person_id: int) -> list[Seat]:
        return self._boards.get(person_id, []) + self._taken_seats[person_id]

    def check(self, unit: Proposed) -> list[Reason]:
        """Every reason this unit may not happen, in rule order, once per (rule, pair)."""
        reasons: list[Reason] = []
        outside = unit.source == RelationshipSource.OUTSIDE
        pairings = unit.pairings()
        for spec in RULES:
            for pairing in pairings:
                if pairing.side not in spec.sides or (outside and not spec.outside):
                    continue
                found = spec.check(self, pairing, unit)
                if found is not None and found not in reasons:
                    reasons.append(found)
        return _dedupe_by_person(reasons)

    def take(self, unit: Proposed) -> None:
        """Count this unit as created for the rest of the batch."""
        if unit.kind in (RelationshipKind.FACILITATED_GROUP, RelationshipKind.PEER_GROUP):
            for person, side in unit.sides:
                self._group_sides[person.pk].add(side)
        # A load is a count of relationships (as `_open_guiding_counts`): a facilitator takes
        # one place for a whole group, not one per member.
        for person_id in {p.partner.pk for p in unit.pairings() if p.side in GUIDING_SIDES}:
            self._taken_load[person_id] += 1
        for pairing in unit.pairings():
            if unit.kind in (RelationshipKind.ONE_TO_ONE, RelationshipKind.PEER):
                self._taken_seats[pairing.mentee.pk].append(
                    Seat(
                        relationship_id=0,
                        program_id=unit.program.pk,
                        program_name=unit.program.name,
                        area_id=unit.focus_area.pk if unit.focus_area else None,
                        area=unit.focus_area.name if unit.focus_area else "",
                        partner_id=pairing.partner.pk,
                        partner_name=pairing.partner.display_name,
                        side=pairing.side,
                    )
                )


def _seat(relationship: Relationship, other: RelationshipMember) -> Seat:
    return Seat(
        relationship_id=relationship.pk,
        program_id=relationship.program_id,
        program_name=relationship.program.name,
        area_id=relationship.focus_area_id,
        area=relationship.focus_area.name if relationship.focus_area else "",
        partner_id=other.person_id,
        partner_name=other.person.display_name,
        side=other.side,
    )


def _dedupe_by_person(reasons: list[Reason]) -> list[Reason]:
    """A person-level reason (not a mentee, full, paused) is said once, not once per pair."""
    person_level = {Rule.NOT_MENTEE, Rule.NOT_MENTOR, Rule.NOT_ACCEPTING, Rule.PAUSED}
    person_level |= {Rule.CAPACITY, Rule.SELF, Rule.IN_ANOTHER_GROUP}
    seen: set[tuple[str, object]] = set()
    kept = []
    for r in reasons:
        pair = frozenset((r.mentee_id, r.partner_id))
        key = (r.code, r.message) if r.code in person_level else (r.code, pair)
        if key not in seen:
            seen.add(key)
            kept.append(r)
    return kept


# --- the API ---------------------------------------------------------------------------------------


def pairing_reasons(unit: Proposed, *, ignore_relationships: Iterable[int] = ()) -> list[Reason]:
    """Every reason the proposed relationship may not start (empty: it may)."""
    batch = PairingBatch(
        program=unit.program, people=unit.people, ignore_relationships=ignore_relationships
    )
    return batch.check(unit)


def blocking(reasons: Iterable[Reason], overrides: Overrides = NO_OVERRIDES) -> list[Reason]:
    """The reasons that still stand once the deliberate overrides are applied."""
    return [r for r in reasons if not (r.overridable and r.code in overrides.rules)]


def pairing_require(
    unit: Proposed,
    *,
    overrides: Overrides = NO_OVERRIDES,
    field: str = "mentors",
    ignore_relationships: Iterable[int] = (),
) -> list[Reason]:
    """Refuse (with every reason) unless each reason is deliberately overridden with a why.
    Returns the reasons that were overridden, for `pairing_record_overrides`."""
    reasons = pairing_reasons(unit, ignore_relationships=ignore_relationships)
    standing = blocking(reasons, overrides)
    if standing:
        raise PairingRefused(reasons, field=field)
    overridden = [r for r in reasons if r not in standing]
    if overridden and not overrides.why:
        raise PairingRefused(reasons, field=field, why_missing=True)
    return overridden


def pairing_record_overrides(
    *, relationship: Relationship, overridden: Sequence[Reason], overrides: Overrides, by: User
) -> None:
    """Write each deliberate override to the audit log, where the relationship page reads it."""
    if not overridden:
        return
    audit_record(
        actor=by,
        verb="pairing.override",
        target=relationship,
        program=relationship.program,
        rules=sorted({r.code for r in overridden}),
        reasons=[r.message for r in overridden],
        why=overrides.why,
    )


def overrides_on(relationship: Relationship) -> list[dict[str, Any]]:
    """The rules deliberately set aside when this relationship started: who, when, why."""
    from programs.models import AuditEvent

    events = AuditEvent.objects.filter(
        verb="pairing.override",
        object_type=Relationship._meta.label_lower,
        object_id=str(relationship.pk),
    ).select_related("actor")
    return [
        {
            "at": e.at,
            "actor": e.actor,
            "rules": [OVERRIDE_LABELS.get(code, code) for code in e.detail.get("rules", [])],
            "reasons": e.detail.get("reasons", []),
            "why": e.detail.get("why", ""),
        }
        for e in events
    ]


def overridable_in(reasons: Iterable[Reason]) -> list[tuple[str, str]]:
    """(code, label) of the rules among these reasons a director may override, in rule order."""
    codes = {r.code for r in reasons if r.overridable}
    return [(code, label) for code, label in OVERRIDE_LABELS.items() if code in codes]
