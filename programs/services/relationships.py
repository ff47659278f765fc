"""Starting, confirming, concluding and ending mentoring relationships, and their notices.

`relationship_create` is the one way a relationship comes to exist, or a circle gains a member — a
director's form, an accepted request (mentor, peer or outside mentor), an approved request to join
a circle, and the matching engine publishing a run all call it.

Ending is no-fault (seed 000, seed 001): either party may end at any time without giving the
other a reason; an optional reason is stored for the program's directors only, and the other
party receives a neutral, kind notice."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from mentorship.accounts.models import User
from mentorship.notifications.kinds import Kind
from mentorship.notifications.services import Planned, notifications_send_soon
from programs.access import can_direct
from programs.models import (
    GROUP_SIZE,
    Cohort,
    DirectorNote,
    DirectorNoteKind,
    FacultyProfile,
    Meeting,
    MeetingStatus,
    Membership,
    MemberSide,
    MentorRole,
    NeedArea,
    Program,
    Relationship,
    RelationshipKind,
    RelationshipMember,
    RelationshipOutcome,
    RelationshipSource,
    RelationshipStage,
)
from programs.models.relationships import GUIDING_SIDES, RECEIVING_SIDES
from programs.services.agreements import agreement_start
from programs.services.audit import audit_record
from programs.services.guards import active_member as _active_member
from programs.services.guards import lock_relationship, require_open
from programs.services.guards import require_member as _require_member
from programs.services.pairing import (
    NO_OVERRIDES,
    Overrides,
    PairingRefused,
    Proposed,
    Reason,
    pairing_reasons,
    pairing_record_overrides,
    pairing_require,
)


def _unique(people: Iterable[FacultyProfile]) -> list[FacultyProfile]:
    seen: dict[int, FacultyProfile] = {}
    for p in people:
        seen.setdefault(p.pk, p)
    return list(seen.values())


def _sides_for(
    *,
    kind: str,
    mentees: Sequence[FacultyProfile],
    mentors: Sequence[FacultyProfile],
    facilitator: FacultyProfile | None,
) -> list[tuple[FacultyProfile, str]]:
    """Check the shape of the relationship for its kind and say who sits on which side."""
    low, high = GROUP_SIZE
    if kind == RelationshipKind.ONE_TO_ONE:
        if len(mentees) != 1:
            raise ValidationError({"mentees": "Choose exactly one mentee."})
        if len(mentors) != 1:
            raise ValidationError({"mentors": "Choose exactly one mentor."})
        if facilitator is not None:
            raise ValidationError({"facilitator": "A one-to-one pair has no facilitator."})
        return [(mentees[0], MemberSide.MENTEE), (mentors[0], MemberSide.MENTOR)]
    if kind == RelationshipKind.PEER:
        peers = [*mentees, *mentors]
        if len(peers) != 2 or facilitator is not None:
            raise ValidationError({"mentees": "A peer pair is exactly two people."})
        return [(p, MemberSide.PEER) for p in peers]
    if kind == RelationshipKind.FACILITATED_GROUP:
        if facilitator is None:
            raise ValidationError({"facilitator": "A facilitated group needs a facilitator."})
        if mentors:
            raise ValidationError(
                {"mentors": "A facilitated group has one facilitator and no other mentors."}
            )
        if not low <= len(mentees) <= high:
            raise ValidationError({"mentees": f"A facilitated group has {low} to {high} mentees."})
        return [
            *((m, MemberSide.MENTEE) for m in mentees),
            (facilitator, MemberSide.FACILITATOR),
        ]
    if kind == RelationshipKind.PEER_GROUP:
        peers = [*mentees, *mentors]
        if facilitator is not None:
            raise ValidationError(
                {"facilitator": "A peer group has no facilitator; choose a facilitated group."}
            )
        if not low <= len(peers) <= high:
            raise ValidationError({"mentees": f"A peer group has {low} to {high} people."})
        return [(p, MemberSide.PEER) for p in peers]
    raise ValidationError({"kind": f"Unknown kind of relationship “{kind}”."})


def _joining(
    circle: Relationship, newcomers: Sequence[FacultyProfile], source: str
) -> tuple[Proposed, list[tuple[FacultyProfile, str]]]:
    """The circle as it would be with the newcomers, for the gate, and the newcomers' sides."""
    if not circle.is_group:
        raise ValidationError({"circle": "Only a circle (a group) can be joined."})
    require_open(circle)
    members = list(
        RelationshipMember.objects.select_related("person").filter(
            relationship=circle, left_at__isnull=True
        )
    )
    present = {m.person_id for m in members}
    for person in newcomers:
        if person.pk in present:
            raise ValidationError({"person": f"{person.display_name} is already in this circle."})
    participants = [m for m in members if m.side in RECEIVING_SIDES]
    high = GROUP_SIZE[1]
    if len(participants) + len(newcomers) > high:
        raise ValidationError({"person": f"This circle is full: a circle has at most {high}."})
    side = (
        MemberSide.MENTEE if circle.kind == RelationshipKind.FACILITATED_GROUP else MemberSide.PEER
    )
    joining: list[tuple[FacultyProfile, str]] = [(p, side) for p in newcomers]
    unit = Proposed(
        program=circle.program,
        kind=circle.kind,
        sides=[*((m.person, m.side) for m in members), *joining],
        focus_area=circle.focus_area,
        source=source,
        newcomers=frozenset(p.pk for p in newcomers),
    )
    return unit, joining


def proposed_relationship(
    *,
    program: Program,
    kind: str,
    mentees: Sequence[FacultyProfile],
    mentors: Sequence[FacultyProfile] = (),
    facilitator: FacultyProfile | None = None,
    focus_area: NeedArea | None = None,
    source: str = RelationshipSource.MANUAL,
) -> Proposed:
    """What the pairing gate checks for a relationship of this shape (raises on a bad shape)."""
    sides = _sides_for(
        kind=kind, mentees=_unique(mentees), mentors=_unique(mentors), facilitator=facilitator
    )
    return Proposed(program=program, kind=kind, sides=sides, focus_area=focus_area, source=source)


@transaction.atomic
def relationship_create(
    *,
    program: Program,
    kind: str,
    mentees: Sequence[FacultyProfile],
    mentors: Sequence[FacultyProfile] = (),
    facilitator: FacultyProfile | None = None,
    focus_area: NeedArea | None = None,
    roles: Iterable[str] = (),
    is_remote: bool = False,
    started_on: date | None = None,
    source: str,
    cohort: Cohort | None = None,
    notify: bool = True,
    overrides: Overrides = NO_OVERRIDES,
    previous: Relationship | None = None,
    circle: Relationship | None = None,
    by: User,
) -> Relationship:
    """Start a relationship in its pilot period, with a draft agreement, and (after commit) tell
    each member. Peers may be passed as `mentees`, `mentors` or both; they all become peers.

    Every hard rule is checked by the pairing gate (`services.pairing`), which refuses with every
    reason at once; `overrides` sets chosen rules aside deliberately (audited, with the why).
    `previous` is the relationship this one continues (a reassignment). With `circle`, nothing
    new starts: the `mentees` join that open group (its kind decides their side), checked by the
    gate against the circle's facilitator or peers; the circle is returned."""
    if source not in RelationshipSource.values:
        raise ValidationError({"source": f"Unknown source “{source}”."})
    if circle is not None:
        circle = lock_relationship(circle)
        unit, joining = _joining(circle, _unique([*mentees, *mentors]), source)
        overridden = pairing_require(
            unit, overrides=overrides, field="person", ignore_relationships=[circle.pk]
        )
        RelationshipMember.objects.bulk_create(
            [RelationshipMember(relationship=circle, person=p, side=side) for p, side in joining]
        )
        _record_start(
            circle,
            verb="relationship.join",
            joined=[p for p, _ in joining],
            overridden=overridden,
            overrides=overrides,
            notify=notify,
            by=by,
            people=[p.pk for p, _ in joining],
        )
        return circle
    mentees, mentors = _unique(mentees), _unique(mentors)
    roles = list(dict.fromkeys(roles))
    unknown_roles = set(roles) - set(MentorRole.values)
    if unknown_roles:
        raise ValidationError(
            {"roles": f"Unknown mentor roles: {', '.join(sorted(unknown_roles))}."}
        )
    everyone = _unique([*mentees, *mentors, *([facilitator] if facilitator else [])])
    sides = _sides_for(kind=kind, mentees=mentees, mentors=mentors, facilitator=facilitator)
    if cohort is not None and cohort.program_id != program.pk:
        raise ValidationError({"cohort": "That cohort belongs to another program."})
    unit = Proposed(program=program, kind=kind, sides=sides, focus_area=focus_area, source=source)
    overridden = pairing_require(unit, overrides=overrides)
    memberships = {
        m.person_id: m
        for m in Membership.objects.filter(program=program, person__in=[p for p, _ in sides])
    }
    started_on = started_on or timezone.localdate()
    if cohort is None and len(mentees) == 1:
        membership = memberships.get(mentees[0].pk)
        cohort = membership.cohort if membership else None
    relationship = Relationship.objects.create(
        program=program,
        cohort=cohort,
        kind=kind,
        focus_area=focus_area,
        roles=roles,
        is_remote=is_remote,
        started_on=started_on,
        pilot_ends_on=started_on + timedelta(days=program.pilot_length_days),
        source=source,
        previous=previous,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    RelationshipMember.objects.bulk_create(
        [RelationshipMember(relationship=relationship, person=p, side=side) for p, side in sides]
    )
    agreement_start(relationship=relationship)
    _record_start(
        relationship,
        verb="relationship.create",
        joined=[p for p, _ in sides],
        overridden=overridden,
        overrides=overrides,
        notify=notify,
        by=by,
        kind=kind,
        source=source,
        people=[p.pk for p in everyone],
    )
    return relationship


def _record_start(
    relationship: Relationship,
    *,
    verb: str,
    joined: Sequence[FacultyProfile],
    overridden: Sequence[Reason],
    overrides: Overrides,
    notify: bool,
    by: User,
    **details: Any,
) -> None:
    """Audit people starting in a relationship (a new one, or a circle they join) with any rule
    deliberately overridden, and tell them it has started."""
    audit_record(actor=by, verb=verb, target=relationship, program=relationship.program, **details)
    pairing_record_overrides(
        relationship=relationship, overridden=overridden, overrides=overrides, by=by
    )
    if notify:
        _notify_members(
            relationship,
            [p.user_id for p in joined],
            kind=Kind.RELATIONSHIP_STARTED,
            cycle="started",
        )


@transaction.atomic
def relationship_confirm_pilot(*, relationship: Relationship, by: User) -> Relationship:
    """One party says "let's continue". When every member has, the pilot becomes active."""
    relationship = lock_relationship(relationship)
    if relationship.stage != RelationshipStage.PILOT:
        raise ValidationError("This relationship is past its pilot period.")
    member = _require_member(relationship, by)
    if member.pilot_confirmed_at is None:
        member.pilot_confirmed_at = timezone.now()
        member.save(update_fields=["pilot_confirmed_at"])
    waiting = RelationshipMember.objects.filter(
        relationship=relationship, left_at__isnull=True, pilot_confirmed_at__isnull=True
    )
    if not waiting.exists():
        relationship.stage = RelationshipStage.ACTIVE
        relationship.save(update_fields=["stage"])
    audit_record(
        actor=by,
        verb="relationship.confirm_pilot",
        target=relationship,
        program=relationship.program,
    )
    return relationship


def _group_can_continue_without(relationship: Relationship, member: RelationshipMember) -> bool:
    if not relationship.is_group:
        return False
    others = list(
        RelationshipMember.objects.filter(relationship=relationship, left_at__isnull=True).exclude(
            pk=member.pk
        )
    )
    if member.side == MemberSide.FACILITATOR:
        return False  # a facilitated group ends with its facilitator; directors may start anew
    participants = [m for m in others if m.side in (MemberSide.MENTEE, MemberSide.PEER)]
    return len(participants) >= 2


def _close(relationship: Relationship, *, by: User, outcome: str, reason: str) -> None:
    """End a relationship without fault and cancel its upcoming meetings, so neither person's
    page nor calendar feed still shows them (the feeds carry the cancellation)."""
    now = timezone.now()
    relationship.stage = RelationshipStage.ENDED
    relationship.outcome = outcome
    relationship.ended_at = now
    relationship.ended_by = by if getattr(by, "is_authenticated", False) else None
    relationship.ended_reason = reason
    relationship.save(update_fields=["stage", "outcome", "ended_at", "ended_by", "ended_reason"])
    cancelled = Meeting.objects.filter(
        relationship=relationship, status=MeetingStatus.SCHEDULED, starts_at__gt=now
    ).update(status=MeetingStatus.CANCELLED, sequence=F("sequence") + 1)
    if cancelled:
        audit_record(
            actor=by,
            verb="meeting.cancel_on_end",
            target=relationship,
            program=relationship.program,
            meetings=cancelled,
        )


@transaction.atomic
def relationship_end(
    *, relationship: Relationship, by: User, reason_for_directors: str | None = None
) -> Relationship:
    """End a relationship, no fault and no reason owed. In a group that can carry on, the
    person leaves instead. The reason, if any, is for the program's directors only."""
    relationship = lock_relationship(relationship)
    require_open(relationship)
    reason = (reason_for_directors or "").strip()
    member = _active_member(relationship, by)
    if member is None and not can_direct(by, relationship.program_id):
        raise ValidationError("Only the people in this relationship or its directors can end it.")
    if member is not None and _group_can_continue_without(relationship, member):
        member.left_at = timezone.now()
        member.left_reason = reason
        member.save(update_fields=["left_at", "left_reason"])
        audit_record(
            actor=by, verb="relationship.leave", target=relationship, program=relationship.program
        )
        others = RelationshipMember.objects.filter(
            relationship=relationship, left_at__isnull=True
        ).values_list("person__user_id", flat=True)
        _notify_members(
            relationship, list(others), kind=Kind.GROUP_DEPARTURE, cycle=f"left:{member.pk}"
        )
        return relationship
    _close(relationship, by=by, outcome=RelationshipOutcome.ENDED_EARLY, reason=reason)
    # The reason is deliberately not copied into the audit log.
    audit_record(
        actor=by,
        verb="relationship.end",
        target=relationship,
        program=relationship.program,
        by_side=member.side if member else "director",
        gave_reason=bool(reason),
    )
    # Everyone but the person who ended it hears, in neutral words and without the reason.
    told = RelationshipMember.objects.filter(relationship=relationship, left_at__isnull=True)
    _notify_members(
        relationship,
        [u for u in told.values_list("person__user_id", flat=True) if u != getattr(by, "pk", None)],
        kind=Kind.RELATIONSHIP_ENDED,
        cycle="ended",
    )
    return relationship


@transaction.atomic
def relationship_conclude(*, relationship: Relationship, by: User) -> Relationship:
    """Conclude a relationship that met its goals — a celebrated outcome, not an ending. One
    party proposes (the stage becomes "concluding"), another confirms. Directors conclude at once
    (e.g. at the end of a cohort)."""
    relationship = lock_relationship(relationship)
    require_open(relationship)
    member = _active_member(relationship, by)
    is_director = member is None and can_direct(by, relationship.program_id)
    if member is None and not is_director:
        raise ValidationError("Only the people in this relationship can conclude it.")
    if member is not None and relationship.stage != RelationshipStage.CONCLUDING:
        # A member proposes; a director (never a member here) concludes at once.
        relationship.stage = RelationshipStage.CONCLUDING
        relationship.concluding_proposed_by = member.person
        relationship.save(update_fields=["stage", "concluding_proposed_by"])
        audit_record(
            actor=by,
            verb="relationship.propose_conclusion",
            target=relationship,
            program=relationship.program,
        )
        return relationship
    if member is not None and relationship.concluding_proposed_by_id == member.person_id:
        return relationship  # proposed by this person: another member confirms
    relationship.stage = RelationshipStage.CONCLUDED
    relationship.outcome = RelationshipOutcome.CONCLUDED
    relationship.ended_at = timezone.now()
    relationship.ended_by = by
    relationship.save(update_fields=["stage", "outcome", "ended_at", "ended_by"])
    audit_record(
        actor=by, verb="relationship.conclude", target=relationship, program=relationship.program
    )
    return relationship


@transaction.atomic
def relationship_keep_going(*, relationship: Relationship, by: User) -> Relationship:
    """Withdraw a proposal to conclude: back to active."""
    relationship = lock_relationship(relationship)
    if relationship.stage != RelationshipStage.CONCLUDING:
        raise ValidationError("Nobody has proposed concluding this relationship.")
    _require_member(relationship, by)
    relationship.stage = RelationshipStage.ACTIVE
    relationship.concluding_proposed_by = None
    relationship.save(update_fields=["stage", "concluding_proposed_by"])
    audit_record(
        actor=by, verb="relationship.keep_going", target=relationship, program=relationship.program
    )
    return relationship


@transaction.atomic
def relationship_mark_alumni(
    *, relationship: Relationship, by: User, stays_in_touch: bool = True
) -> Relationship:
    """After a relationship closes, each member may say they would like to stay in touch; when
    all of them do, it becomes an alumni relationship (a lasting collegial friendship)."""
    relationship = lock_relationship(relationship)
    if relationship.is_open:
        raise ValidationError("A relationship becomes alumni once it has concluded or ended.")
    member = _require_member(relationship, by)
    member.stays_in_touch = stays_in_touch
    member.save(update_fields=["stays_in_touch"])
    everyone = RelationshipMember.objects.filter(relationship=relationship, left_at__isnull=True)
    is_alumni = not everyone.filter(stays_in_touch=False).exists()
    if relationship.is_alumni != is_alumni:
        relationship.is_alumni = is_alumni
        relationship.save(update_fields=["is_alumni"])
    audit_record(
        actor=by,
        verb="relationship.alumni",
        target=relationship,
        program=relationship.program,
        stays_in_touch=stays_in_touch,
    )
    return relationship


# --- Notices ------------------------------------------------------------------------------------


def _notify_members(
    relationship: Relationship, user_ids: Iterable[int], *, kind: str, cycle: str
) -> None:
    """Plan the emails in this transaction (the ledger's unique key makes each one happen once)
    and send them after commit. What they say is decided at sending time (`programs.notices`)."""
    notifications_send_soon(
        Planned(
            recipient_id=user_id,
            kind=kind,
            subject=f"relationship:{relationship.pk}",
            cycle=cycle,
            program_id=relationship.program_id,
        )
        for user_id in user_ids
    )


def rematch_path(relationship: Relationship) -> str:
    """Where a mentee goes to find another mentor: their shortlist in the program."""
    return reverse("matching:shortlist", args=[relationship.program_id])


# --- Directors: reassign, extend a pilot, brokered conversations --------------------------------


def _require_director(relationship: Relationship, by: User) -> None:
    if not can_direct(by, relationship.program_id):
        raise ValidationError("Only the program's directors can do this.")


@transaction.atomic
def relationship_reassign(
    *,
    relationship: Relationship,
    outgoing: FacultyProfile,
    incoming: FacultyProfile,
    by: User,
    reason_for_directors: str = "",
    overrides: Overrides = NO_OVERRIDES,
) -> Relationship:
    """Change a mentor (or a group's facilitator) as a whole lifecycle: the relationship ends
    without fault (its flags, reviews and agreement stay with it, for directors to read), its
    upcoming meetings are cancelled, and a new relationship starts — through the pairing gate —
    with its own pilot and agreement (DOMAIN point 4). The mentee and the new mentor are welcomed
    to it; the outgoing mentor is thanked, never told the reason, which is for directors only.
    Returns the new relationship."""
    relationship = lock_relationship(relationship)
    _require_director(relationship, by)
    require_open(relationship)
    members = list(
        RelationshipMember.objects.select_related("person")
        .select_for_update(of=("self",))
        .filter(relationship=relationship, left_at__isnull=True)
    )
    leaving = next((m for m in members if m.person_id == outgoing.pk), None)
    if leaving is None or leaving.side not in GUIDING_SIDES:
        raise ValidationError(
            {"outgoing": "Choose the mentor or facilitator who is leaving this relationship."}
        )
    if incoming.pk == outgoing.pk:
        raise ValidationError({"incoming": "Choose a different mentor."})
    if any(m.person_id == incoming.pk for m in members):
        raise ValidationError(
            {"incoming": f"{incoming.display_name} is already in this relationship."}
        )
    reason = (reason_for_directors or "").strip()
    shape = _successor_shape(members, leaving, incoming)
    _close(relationship, by=by, outcome=RelationshipOutcome.REASSIGNED, reason=reason)
    try:
        successor = relationship_create(
            program=relationship.program,
            kind=relationship.kind,
            **shape,
            focus_area=relationship.focus_area,
            roles=relationship.roles,
            is_remote=relationship.is_remote,
            source=RelationshipSource.MANUAL,
            cohort=relationship.cohort,
            overrides=overrides,
            previous=relationship,
            by=by,
        )
    except PairingRefused as e:
        raise PairingRefused(e.reasons, field="incoming") from None
    # The reason is deliberately not copied into the audit log.
    audit_record(
        actor=by,
        verb="relationship.reassign",
        target=relationship,
        program=relationship.program,
        outgoing=outgoing.pk,
        incoming=incoming.pk,
        successor=successor.pk,
        gave_reason=bool(reason),
    )
    _notify_members(
        relationship, [outgoing.user_id], kind=Kind.MENTOR_REASSIGNED, cycle="reassigned"
    )
    return successor


def _successor_shape(
    members: list[RelationshipMember], leaving: RelationshipMember, incoming: FacultyProfile
) -> dict[str, Any]:
    """Who is on which side of the relationship that continues after a reassignment."""
    staying = [m for m in members if m.pk != leaving.pk]
    receiving = [m.person for m in staying if m.side in RECEIVING_SIDES]
    guiding = [m.person for m in staying if m.side == MemberSide.MENTOR]
    if leaving.side == MemberSide.FACILITATOR:
        return {"mentees": receiving, "mentors": guiding, "facilitator": incoming}
    return {"mentees": receiving, "mentors": [*guiding, incoming], "facilitator": None}


def relationship_reassign_check(
    *, relationship: Relationship, outgoing: FacultyProfile, incoming: FacultyProfile
) -> list[Reason]:
    """Every reason the reassignment would be refused, before anything changes (the
    confirmation step): the relationship that would continue, checked as if this one had ended."""
    members = list(
        RelationshipMember.objects.select_related("person").filter(
            relationship=relationship, left_at__isnull=True
        )
    )
    leaving = next((m for m in members if m.person_id == outgoing.pk), None)
    if leaving is None or any(m.person_id == incoming.pk for m in members):
        return []  # the service itself refuses these with a field message
    unit = proposed_relationship(
        program=relationship.program,
        kind=relationship.kind,
        **_successor_shape(members, leaving, incoming),
        focus_area=relationship.focus_area,
    )
    return pairing_reasons(unit, ignore_relationships=[relationship.pk])


MAX_PILOT_DAYS = 365


@transaction.atomic
def relationship_extend_pilot(*, relationship: Relationship, until: date, by: User) -> Relationship:
    """Give a pair more time to decide (e.g. after a long leave). Only while in the pilot."""
    relationship = lock_relationship(relationship)
    _require_director(relationship, by)
    if RelationshipMember.objects.filter(relationship=relationship, person__user=by).exists():
        # A member's role wins over their role as director: the pair decides on its own pilot.
        raise ValidationError(
            "You take part in this relationship, so another director decides on its pilot."
        )
    if relationship.stage != RelationshipStage.PILOT:
        raise ValidationError("Only a relationship in its pilot period can have it extended.")
    current = relationship.pilot_ends_on or relationship.started_on
    if until <= max(current, timezone.localdate()):
        raise ValidationError(
            {"until": f"Choose a date after {max(current, timezone.localdate()):%-d %B %Y}."}
        )
    if (until - relationship.started_on).days > MAX_PILOT_DAYS:
        raise ValidationError(
            {"until": f"A pilot lasts at most {MAX_PILOT_DAYS} days from the start."}
        )
    previous = relationship.pilot_ends_on
    relationship.pilot_ends_on = until
    relationship.save(update_fields=["pilot_ends_on"])
    audit_record(
        actor=by,
        verb="relationship.extend_pilot",
        target=relationship,
        program=relationship.program,
        previous=previous.isoformat() if previous else None,
        until=until.isoformat(),
    )
    # Each new end date is its own occurrence: extending twice tells the pair twice.
    _notify_members(
        relationship,
        RelationshipMember.objects.filter(
            relationship=relationship, left_at__isnull=True
        ).values_list("person__user_id", flat=True),
        kind=Kind.PILOT_EXTENDED,
        cycle=f"extended:{until.isoformat()}",
    )
    return relationship


@transaction.atomic
def director_note_add(
    *, relationship: Relationship, text: str, held_on: date, by: User, kind: str = "brokered"
) -> DirectorNote:
    """Record a confidential note, e.g. a conversation the director brokered with the pair.
    Directors who are themselves in the relationship cannot write (or read) these."""
    _require_director(relationship, by)
    if RelationshipMember.objects.filter(relationship=relationship, person__user=by).exists():
        raise ValidationError("You take part in this relationship, so you cannot keep notes on it.")
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise ValidationError({"text": "Write what was discussed and agreed."})
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": "The conversation cannot be in the future."})
    if kind not in DirectorNoteKind.values:
        raise ValidationError({"kind": "Unknown kind of note."})
    note = DirectorNote.objects.create(
        relationship=relationship, kind=kind, held_on=held_on, text=text, author=by
    )
    # The text stays out of the audit log, like concern text.
    audit_record(
        actor=by, verb="director_note.add", target=relationship, program=relationship.program
    )
    return note
