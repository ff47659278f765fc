"""Every path that creates or changes who mentors whom goes through the pairing gate, and the gate
refuses every hard rule on every path.

Two enumerations, so that a new path cannot slip past:
1. The source of the apps is scanned (AST) for writes to `RelationshipMember` that create a
   membership or change its person or side: only `relationship_create` may do that, and it asks
   the gate.
2. The source is scanned for every function that calls `relationship_create` (directly, or
   through a function that does): each must be a path with a driver below, and each driver is
   run against every rule the gate has (`pairing.RULES`), with a violation of that rule planted.
   A rule that does not apply on a path is exempted here with the reason, so a rule added later
   fails this test until every path is considered."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from matching.models import (
    ConflictOfInterest,
    MatchRun,
    MatchSuggestion,
    MentorRequest,
    PairRule,
    PairRuleKind,
    RequestKind,
    RunMode,
    RunStatus,
)
from matching.services import (
    manual_assign,
    match_run_publish,
    outside_mentor_invite,
    request_accept,
)
from programs.models import (
    AcademicRank,
    Membership,
    MemberSide,
    MentorOffer,
    NeedArea,
    Relationship,
    RelationshipKind,
    RelationshipMember,
    Role,
)
from programs.services import pairing
from programs.services.joining import circle_join_request_create, circle_join_request_decide
from programs.services.pairing import OVERRIDABLE, Overrides, Rule
from programs.services.relationships import (
    relationship_end,
    relationship_reassign,
)
from tests.factories import InstitutionFactory, MembershipFactory, ProgramFactory, person
from tests.relationship_fixtures import senior_facilitator

ROOT = Path(__file__).resolve().parents[2]
APPS = ("programs", "matching", "mentorship")
EVERYTHING = Overrides.of(OVERRIDABLE, "Setting the scene for a test.")


# --- 1. who writes memberships -------------------------------------------------------------------


def _modules():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            yield path, ast.parse(path.read_text(), filename=str(path))


def _functions(tree: ast.AST):
    """(qualified name, node) of every function, methods included."""
    found = []

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                found.append((prefix + child.name, child))
                walk(child, prefix + child.name + ".")
            elif isinstance(child, ast.ClassDef):
                walk(child, prefix + child.name + ".")
            else:
                walk(child, prefix)

    walk(tree, "")
    return found


def _source(node: ast.AST) -> str:
    return ast.unparse(node)


CREATING = {"create", "bulk_create", "get_or_create", "update_or_create"}
PAIRING_FIELDS = {"person", "person_id", "side"}


def _membership_writes(fn: ast.AST) -> list[str]:
    """Calls in this function that create a RelationshipMember or change who or which side."""
    writes = []
    for node in ast.walk(fn):
        if not isinstance(node, ast.Call):
            continue
        text = _source(node.func)
        if text == "RelationshipMember" or text.endswith(".RelationshipMember"):
            writes.append(_source(node))
        elif isinstance(node.func, ast.Attribute):
            chain = _source(node.func.value)
            name = node.func.attr
            if "RelationshipMember" in chain or chain.endswith("members"):
                if name in CREATING or name == "add":
                    writes.append(_source(node))
                if name == "update" and {k.arg for k in node.keywords} & PAIRING_FIELDS:
                    writes.append(_source(node))
            if name == "save":
                for k in node.keywords:
                    if k.arg == "update_fields" and PAIRING_FIELDS & {
                        getattr(e, "value", None) for e in getattr(k.value, "elts", [])
                    }:
                        writes.append(_source(node))
    return writes


def test_only_relationship_create_writes_who_is_in_a_relationship():
    writers = {
        f"{path.relative_to(ROOT)}:{name}": writes
        for path, tree in _modules()
        for name, fn in _functions(tree)
        if (writes := _membership_writes(fn))
    }
    assert set(writers) == {"programs/services/relationships.py:relationship_create"}, writers


def test_relationship_create_asks_the_gate_before_writing():
    tree = ast.parse((ROOT / "programs/services/relationships.py").read_text())
    create = dict(_functions(tree))["relationship_create"]
    calls = [_source(n.func) for n in ast.walk(create) if isinstance(n, ast.Call)]
    assert "pairing_require" in calls
    gate = calls.index("pairing_require")
    assert all(
        calls.index(c) > gate for c in calls if c.endswith("bulk_create") or c.endswith("create")
    )


# --- 2. every path, against every rule -------------------------------------------------------------


def _callers_of(target: str) -> set[str]:
    """Every function (outside the demo seeding) that reaches `target`, transitively."""
    calls: dict[str, set[str]] = {}
    for path, tree in _modules():
        if "demo" in path.parts or "management" in path.parts:
            continue
        for name, fn in _functions(tree):
            names = set()
            for n in ast.walk(fn):
                if isinstance(n, ast.Call):
                    f = n.func
                    names.add(f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", ""))
            calls[f"{path.relative_to(ROOT).with_suffix('')}:{name}".replace("/", ".")] = names
    reached, frontier = set(), {target}
    while frontier:
        found = {
            key
            for key, names in calls.items()
            if names & frontier and key not in reached and key.split(":")[1] != target
        }
        reached |= found
        frontier = {key.split(":")[1].split(".")[-1] for key in found}
    return reached


@dataclass
class Ctx:
    program: Any
    other_program: Any
    director: Any
    mentee: Any  # profile
    partner: Any  # profile: mentor, facilitator or peer
    area: Any
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Path_:
    name: str
    side: str  # the partner's side
    act: Callable[[Ctx, Any], Any]
    prepare: Callable[[Ctx], None] = lambda ctx: None
    outside: bool = False
    with_area: bool = True
    exempt: dict[str, str] = field(default_factory=dict)


def _request(ctx: Ctx, client: Any) -> Any:
    request = MentorRequest.objects.create(
        program=ctx.program,
        mentee=ctx.mentee,
        mentor=ctx.partner,
        focus_area=ctx.area,
        message="Would you mentor me?",
        score=50,
        expires_at=timezone.now() + timedelta(days=7),
    )
    return request_accept(request=request, by=ctx.partner.user)


def _run(mode: str) -> Callable[[Ctx, Any], Any]:
    def act(ctx: Ctx, client: Any) -> Any:
        run = MatchRun.objects.create(
            program=ctx.program, mode=mode, status=RunStatus.READY, created_by=ctx.director
        )
        if mode == RunMode.PEER_GROUPS:
            if ctx.extra.get("partner_in_group"):
                # An earlier group of the same proposal has the facilitator as a member.
                # Senior to everyone, the (senior) facilitator-to-be included.
                leader = _member(ctx.program, Role.MENTOR, year_joined_faculty=1980)
                others = [_member(ctx.program, Role.MENTEE) for _ in range(2)]
                for member in [ctx.partner, *others]:
                    MatchSuggestion.objects.create(
                        run=run, mentee=member, mentor=leader, group=0, score=50
                    )
            for mentee in [ctx.mentee, *ctx.extra["group"]]:
                MatchSuggestion.objects.create(
                    run=run, mentee=mentee, mentor=ctx.partner, group=1, score=50
                )
        else:
            MatchSuggestion.objects.create(
                run=run, mentee=ctx.mentee, mentor=ctx.partner, area=ctx.area, score=50
            )
        return match_run_publish(run=run, by=ctx.director)

    return act


def _group(ctx: Ctx) -> None:
    ctx.extra["group"] = [_member(ctx.program, Role.MENTEE) for _ in range(2)]


def _manual(ctx: Ctx, client: Any) -> Any:
    return manual_assign(
        program=ctx.program,
        mentee=ctx.mentee,
        mentor=ctx.partner,
        focus_area=ctx.area,
        by=ctx.director,
    )


def _rematch(ctx: Ctx, client: Any) -> Any:
    return manual_assign(
        program=ctx.program,
        mentee=ctx.mentee,
        mentor=ctx.partner,
        focus_area=ctx.area,
        rematch_of=ctx.extra["ended"],
        by=ctx.director,
    )


def _ended_elsewhere(ctx: Ctx) -> None:
    old = _member(ctx.program, Role.MENTOR)
    rel = _make(ctx.program, [ctx.mentee], [old], area=ctx.area)
    ctx.extra["ended"] = relationship_end(relationship=rel, by=ctx.director)


def _director_form(kind: str) -> Callable[[Ctx, Any], Any]:
    def act(ctx: Ctx, client: Any) -> Any:
        data = {"kind": kind, "started_on": timezone.localdate().isoformat()}
        if kind == RelationshipKind.PEER:
            data |= {"mentees": [ctx.mentee.pk, ctx.partner.pk]}
        else:
            data |= {"mentees": [ctx.mentee.pk], "mentors": [ctx.partner.pk]}
            data["focus_area"] = ctx.area.pk
        response = client.post(reverse("relationship_new", args=[ctx.program.pk]), data)
        if response.status_code != 302:
            raise ValidationError("refused on the page")
        return response

    return act


def _reassign_base(ctx: Ctx) -> None:
    old = _member(ctx.program, Role.MENTOR)
    ctx.extra["old"] = old
    ctx.extra["relationship"] = _make(ctx.program, [ctx.mentee], [old], area=ctx.area)


def _reassign(ctx: Ctx, client: Any) -> Any:
    return relationship_reassign(
        relationship=ctx.extra["relationship"],
        outgoing=ctx.extra["old"],
        incoming=ctx.partner,
        by=ctx.director,
    )


def _group_base(ctx: Ctx) -> None:
    old = _member(ctx.program, Role.MENTOR)
    group = [_member(ctx.program, Role.MENTEE) for _ in range(2)]
    ctx.extra["old"] = old
    ctx.extra["relationship"] = _make(
        ctx.program,
        [ctx.mentee, *group],
        [],
        facilitator=old,
        kind=RelationshipKind.FACILITATED_GROUP,
    )


def _outside(ctx: Ctx, client: Any) -> Any:
    """Invited (the gate is asked before anyone is emailed), then accepted (asked again)."""
    request = outside_mentor_invite(
        program=ctx.program,
        mentee=ctx.mentee,
        email=ctx.partner.user.email,
        given_name=ctx.partner.given_name,
        family_name=ctx.partner.family_name,
        focus_area=ctx.area,
        by=ctx.mentee.user,
    )
    return request_accept(request=request, by=ctx.partner.user)


def _peer_request(ctx: Ctx, client: Any) -> Any:
    """A peer's proposal, accepted by the other peer (created directly, so the gate's refusal
    is seen at acceptance: the proposal's own check is the same gate)."""
    request = MentorRequest.objects.create(
        program=ctx.program,
        mentee=ctx.mentee,
        mentor=ctx.partner,
        kind=RequestKind.PEER,
        message="Shall we pair as peers?",
        expires_at=timezone.now() + timedelta(days=7),
    )
    return request_accept(request=request, by=ctx.partner.user)


def _circle_base(ctx: Ctx) -> None:
    """An open facilitated circle (facilitated by the partner) that the mentee asks to join."""
    others = [_member(ctx.program, Role.MENTEE) for _ in range(3)]
    ctx.extra["circle"] = _make(
        ctx.program, others, [], facilitator=ctx.partner, kind=RelationshipKind.FACILITATED_GROUP
    )


def _circle_join(ctx: Ctx, client: Any) -> Any:
    request = circle_join_request_create(
        circle=ctx.extra["circle"], person=ctx.mentee, by=ctx.mentee.user
    )
    return circle_join_request_decide(join_request=request, approve=True, by=ctx.director)


BOARD = "a group's facilitator is not a seat on a mentee's board"
PEER_POOL = "peers give and receive: mentor pool rules do not apply to them"
NOT_OFFERED = "the form lists only the program's members (a field message)"
SELF_SHAPE = "the same person twice is refused by the shape check before the gate"
IN_A_PROPOSAL = "being in another group is a rule between the groups of one proposal"

PATHS = {
    "matching.services:request_accept": Path_("request accepted", MemberSide.MENTOR, _request),
    "matching.services:manual_assign": Path_("assign by hand", MemberSide.MENTOR, _manual),
    "rematch": Path_("rematch", MemberSide.MENTOR, _rematch, prepare=_ended_elsewhere),
    "matching.services:match_run_publish[one_to_one]": Path_(
        "proposal published, one-to-one", MemberSide.MENTOR, _run(RunMode.ONE_TO_ONE)
    ),
    "matching.services:match_run_publish[mosaic]": Path_(
        "proposal published, mosaic", MemberSide.MENTOR, _run(RunMode.MOSAIC)
    ),
    "matching.services:match_run_publish[peer]": Path_(
        "proposal published, peer pairs",
        MemberSide.PEER,
        _run(RunMode.PEER),
        exempt={Rule.SELF: SELF_SHAPE},
    ),
    "matching.services:match_run_publish[peer_groups]": Path_(
        "proposal published, facilitated groups",
        MemberSide.FACILITATOR,
        _run(RunMode.PEER_GROUPS),
        prepare=_group,
        exempt={Rule.SELF: SELF_SHAPE},
    ),
    "programs.views.relationships:relationship_new": Path_(
        "director's new relationship",
        MemberSide.MENTOR,
        _director_form(RelationshipKind.ONE_TO_ONE),
        exempt=dict.fromkeys([Rule.NOT_MENTEE, Rule.NOT_MENTOR], NOT_OFFERED),
    ),
    "relationship_new[peer]": Path_(
        "director's new peer pair",
        MemberSide.PEER,
        _director_form(RelationshipKind.PEER),
        with_area=False,
        exempt={Rule.SELF: SELF_SHAPE}
        | dict.fromkeys([Rule.NOT_MENTEE, Rule.NOT_MENTOR], NOT_OFFERED),
    ),
    "programs.services.relationships:relationship_reassign": Path_(
        "reassign",
        MemberSide.MENTOR,
        _reassign,
        prepare=_reassign_base,
        exempt={Rule.SELF: "the mentee is already in the relationship (a field message)"},
    ),
    "reassign[facilitator]": Path_(
        "group membership change (a new facilitator)",
        MemberSide.FACILITATOR,
        _reassign,
        prepare=_group_base,
        with_area=False,
        exempt={
            Rule.SELF: "the mentee is already in the group (a field message)",
            Rule.IN_ANOTHER_GROUP: IN_A_PROPOSAL,
        },
    ),
    "request_accept[outside]": Path_(
        "outside mentor, invited then accepting",
        MemberSide.MENTOR,
        _outside,
        outside=True,
        exempt={
            Rule.SELF: "your own email address is refused on the form",
            Rule.NOT_MENTEE: "the service says 'you are not a mentee' before inviting anyone",
        },
    ),
    "request_accept[peer]": Path_(
        "peer proposal accepted",
        MemberSide.PEER,
        _peer_request,
        exempt={Rule.SELF: SELF_SHAPE},
    ),
    "programs.services.joining:circle_join_request_decide": Path_(
        "request to join a circle, approved",
        MemberSide.FACILITATOR,
        _circle_join,
        prepare=_circle_base,
        with_area=False,
        exempt={
            Rule.SELF: "the facilitator is already in the circle (a field message)",
            Rule.NOT_MENTEE: "only participants may ask to join (a message before anyone is asked)",
            Rule.IN_ANOTHER_GROUP: IN_A_PROPOSAL,
        },
    ),
}

# Functions that reach relationship_create and are not user paths of their own: the view that
# calls manual_assign, and the shared helper of a proposal's publishing.
NOT_PATHS = {
    "matching.services:_publish_one": "match_run_publish's step",
    "matching.views:assign": "calls manual_assign (driven above, with rematch)",
    "matching.views:request_detail": "calls request_accept (the mentor's answer)",
    "matching.views:_answer_request": "calls request_accept (the mentor's answer, for request_detail)",
    "matching.views:run_publish": "calls match_run_publish",
    "programs.views.oversight:relationship_reassign_view": "calls relationship_reassign",
    "matching.views:peer_propose": "sends a proposal; request_accept pairs (driven above)",
    "programs.views.joining:circle_request_answer": "calls circle_join_request_decide",
}


def test_every_path_to_relationship_create_has_a_driver():
    callers = _callers_of("relationship_create")
    driven = {key.split("[")[0] for key in PATHS if ":" in key}
    missing = sorted(c for c in callers if c not in driven and c not in NOT_PATHS)
    assert not missing, f"A new pairing path needs a driver in PATHS: {missing}"
    assert driven <= callers | set(NOT_PATHS)


def _member(program: Any, role: str, capacity: int = 3, **fields: Any) -> Any:
    profile = person(**fields)
    MembershipFactory(program=program, person=profile, role=role, mentor_capacity=capacity)
    return profile


def _make(program, mentees, mentors, *, area=None, facilitator=None, kind=None) -> Relationship:
    from programs.services.relationships import relationship_create

    return relationship_create(
        program=program,
        kind=kind or RelationshipKind.ONE_TO_ONE,
        mentees=mentees,
        mentors=mentors,
        facilitator=facilitator,
        focus_area=area,
        source="manual",
        notify=False,
        overrides=EVERYTHING,
        by=None,
    )


def _offer(profile: Any, **fields: Any) -> None:
    MentorOffer.objects.update_or_create(person=profile, defaults=fields)


def _violate(rule: str, ctx: Ctx) -> None:
    m, p = ctx.mentee, ctx.partner
    if rule == Rule.SELF:
        Membership.objects.filter(program=ctx.program, person=m).update(role=Role.BOTH)
        ctx.partner = m
    elif rule == Rule.NOT_MENTEE:
        Membership.objects.filter(program=ctx.program, person=m).delete()
    elif rule == Rule.NOT_MENTOR:
        Membership.objects.filter(program=ctx.program, person=p).delete()
    elif rule == Rule.REPORTING_LINE:
        m.reports_to = p
        m.save(update_fields=["reports_to"])
    elif rule == Rule.CONFLICT:
        ConflictOfInterest.objects.create(person=m, other=p, declared_by=m.user)
    elif rule == Rule.FORBIDDEN:
        PairRule.objects.create(program=ctx.program, mentee=m, mentor=p, kind=PairRuleKind.FORBID)
    elif rule == Rule.ENDED_BEFORE:
        kind = RelationshipKind.PEER if ctx.extra["peer"] else RelationshipKind.ONE_TO_ONE
        rel = _make(ctx.program, [m], [p], kind=kind)
        relationship_end(relationship=rel, by=ctx.director)
    elif rule == Rule.ALREADY_ON_BOARD:
        peer = ctx.extra["peer"]
        MembershipFactory(program=ctx.other_program, person=m, role=Role.MENTEE)
        MembershipFactory(
            program=ctx.other_program, person=p, role=Role.MENTEE if peer else Role.MENTOR
        )
        kind = RelationshipKind.PEER if peer else RelationshipKind.ONE_TO_ONE
        _make(ctx.other_program, [m], [p], kind=kind)
    elif rule in (Rule.ONE_MENTOR, Rule.AREA_COVERED):
        other = _member(ctx.program, Role.MENTOR)
        _make(ctx.program, [m], [other], area=ctx.area)
    elif rule == Rule.NOT_ACCEPTING:
        _offer(p, accepting=False, paused_until=None)
    elif rule == Rule.PAUSED:
        _offer(p, accepting=False, paused_until=timezone.localdate() + timedelta(days=30))
    elif rule == Rule.CAPACITY:
        Membership.objects.filter(program=ctx.program, person=p).update(mentor_capacity=0)
    elif rule == Rule.NO_REMOTE:
        _offer(p, mentors_remotely=False)
        p.institution = InstitutionFactory(name="Elsewhere University")
        p.save(update_fields=["institution"])
    elif rule == Rule.UNTRAINED:
        # The program asks for training its mentor has not had (none recorded).
        type(ctx.program).objects.filter(pk=ctx.program.pk).update(mentor_training_hours_required=2)
        ctx.program.refresh_from_db()
    elif rule == Rule.NOT_SENIOR:
        ranks = list(AcademicRank.objects.order_by("order")[:2])
        p.rank, m.rank = ranks[0], ranks[1]
        p.year_joined_faculty = m.year_joined_faculty = 2015
        p.save(update_fields=["rank", "year_joined_faculty"])
        m.save(update_fields=["rank", "year_joined_faculty"])
    elif rule == Rule.IN_ANOTHER_GROUP:
        Membership.objects.filter(program=ctx.program, person=p).update(role=Role.BOTH)
        ctx.extra["partner_in_group"] = True
    else:  # a rule added to the gate needs a way to violate it here
        raise AssertionError(f"No violation for rule {rule!r}")


def _applicable(path: Path_) -> list[str]:
    codes = []
    for spec in pairing.RULES:
        if path.side not in spec.sides or (path.outside and not spec.outside):
            continue
        if spec.code == Rule.AREA_COVERED and not path.with_area:
            continue
        if spec.code in path.exempt:
            continue
        codes.append(spec.code)
    return codes


CASES = [(key, code) for key, path in PATHS.items() for code in _applicable(path)]


def test_each_rule_applies_or_is_exempted_with_a_reason_on_each_path():
    for path in PATHS.values():
        considered = set(_applicable(path)) | set(path.exempt)
        inapplicable = {
            s.code
            for s in pairing.RULES
            if path.side not in s.sides
            or (path.outside and not s.outside)
            or (s.code == Rule.AREA_COVERED and not path.with_area)
        }
        assert considered | inapplicable == {s.code for s in pairing.RULES}, path.name


@pytest.mark.parametrize(("key", "rule"), CASES, ids=[f"{k}-{r}" for k, r in CASES])
def test_every_path_refuses_every_rule(key, rule, director, client_for, monkeypatch):
    path = PATHS[key]
    program = director.profile.memberships.get().program
    other_program = ProgramFactory(name="Program C")
    area = NeedArea.objects.filter(is_active=True).first()
    peer = path.side == MemberSide.PEER
    mentee = _member(program, Role.MENTEE, given_name="Maya", family_name="Mentee")
    partner = _member(
        program,
        Role.MENTEE if peer else Role.MENTOR,
        given_name="Robert",
        family_name="Lindqvist",
        institution=mentee.institution,
    )
    _offer(partner, accepting=True, mentors_remotely=True)
    if path.side == MemberSide.FACILITATOR:
        senior_facilitator(partner)
    ctx = Ctx(program, other_program, director, mentee, partner, area, {"peer": peer})
    path.prepare(ctx)
    _violate(rule, ctx)

    seen: list[str] = []
    check = pairing.PairingBatch.check

    def spy(self, unit):
        reasons = check(self, unit)
        seen.extend(r.code for r in reasons)
        return reasons

    monkeypatch.setattr(pairing.PairingBatch, "check", spy)
    before = RelationshipMember.objects.filter(person=ctx.partner).count()
    with pytest.raises(ValidationError):
        path.act(ctx, client_for(director))
    assert rule in seen, f"{path.name}: {rule} was not among {seen}"
    assert RelationshipMember.objects.filter(person=ctx.partner).count() == before


def test_a_path_passes_when_no_rule_is_broken(director):
    """The control: the same setup without a violation pairs them (so refusals above are the
    rule's doing)."""
    program = director.profile.memberships.get().program
    mentee = _member(program, Role.MENTEE)
    partner = _member(program, Role.MENTOR, institution=mentee.institution)
    relationship = manual_assign(program=program, mentee=mentee, mentor=partner, by=director)
    assert relationship.members.count() == 2
