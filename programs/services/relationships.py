"""Starting, confirming, concluding and ending mentoring relationships, and their notices.

`relationship_create` is the one way a relationship comes to exist — a director's form, a mentee
adding an outside mentor, and the matching engine publishing a run all call it.

Ending is no-fault (seed 000, seed 001): either party may end at any time without giving the
other a reason; an optional reason is stored for the program's directors only, and the other
party receives a neutral, kind notice."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from mentorship.notifications.kinds import Kind
from mentorship.notifications.services import Planned, notifications_send_soon
from programs.access import can_direct
from programs.models import (
    GROUP_SIZE,
    MENTEE_ROLES,
    MENTOR_ROLES,
    OPEN_STAGES,
    Cohort,
    DirectorNote,
    DirectorNoteKind,
    FacultyProfile,
    Institution,
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
from programs.selectors.directory import authority_map
from programs.services.agreements import agreement_start
from programs.services.audit import audit_record
from programs.services.invitations import faculty_invite

User = get_user_model()

CLOSED_MESSAGE = "This relationship has ended, so it can no longer be changed."


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
        return [(m, MemberSide.MENTEE) for m in mentees] + [(facilitator, MemberSide.FACILITATOR)]
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


def _check_memberships(
    *, program: Program, sides: list[tuple[FacultyProfile, str]], source: str
) -> dict[int, Membership]:
    memberships = {
        m.person_id: m
        for m in Membership.objects.filter(program=program, person__in=[p for p, _ in sides])
    }
    for person, side in sides:
        membership = memberships.get(person.pk)
        if side in (MemberSide.MENTOR, MemberSide.FACILITATOR):
            if source == RelationshipSource.OUTSIDE:
                continue  # a mentor the mentee found elsewhere is not a program member
            if membership is None or membership.role not in MENTOR_ROLES:
                raise ValidationError(
                    {"mentors": f"{person.display_name} is not a mentor in {program.name}."}
                )
        elif side == MemberSide.MENTEE:
            if membership is None or membership.role not in MENTEE_ROLES:
                raise ValidationError(
                    {"mentees": f"{person.display_name} is not a mentee in {program.name}."}
                )
        elif membership is None or not (membership.is_mentee or membership.is_mentor):
            raise ValidationError(
                {"mentees": f"{person.display_name} does not take part in {program.name}."}
            )
    return memberships


def _check_reporting_lines(sides: list[tuple[FacultyProfile, str]]) -> None:
    """A mentor must not hold authority over their mentee (seed 001: conflicts of interest)."""
    guides = [p for p, side in sides if side in (MemberSide.MENTOR, MemberSide.FACILITATOR)]
    if not guides:
        return
    authority = authority_map()  # the same rule lists conflicts for directors later
    for person, side in sides:
        if side != MemberSide.MENTEE:
            continue
        for guide in guides:
            how = authority.over(person, guide.pk)
            if how:
                raise ValidationError(
                    {
                        "mentors": f"{guide.display_name} is in {person.display_name}'s reporting "
                        f"line ({how}). A mentor should not hold authority over their mentee."
                    }
                )


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
    by: Any,
) -> Relationship:
    """Start a relationship in its pilot period, with a draft agreement, and (after commit) tell
    each member. Peers may be passed as `mentees`, `mentors` or both; they all become peers."""
    if source not in RelationshipSource.values:
        raise ValidationError({"source": f"Unknown source “{source}”."})
    mentees, mentors = _unique(mentees), _unique(mentors)
    roles = list(dict.fromkeys(roles))
    unknown_roles = set(roles) - set(MentorRole.values)
    if unknown_roles:
        raise ValidationError(
            {"roles": f"Unknown mentor roles: {', '.join(sorted(unknown_roles))}."}
        )
    everyone = [*mentees, *mentors, *([facilitator] if facilitator else [])]
    if len({p.pk for p in everyone}) != len(everyone):
        raise ValidationError(
            {"mentors": "The same person is on both sides. Nobody can mentor themselves."}
        )
    sides = _sides_for(kind=kind, mentees=mentees, mentors=mentors, facilitator=facilitator)
    memberships = _check_memberships(program=program, sides=sides, source=source)
    _check_reporting_lines(sides)
    if cohort is not None and cohort.program_id != program.pk:
        raise ValidationError({"cohort": "That cohort belongs to another program."})
    if kind in (RelationshipKind.ONE_TO_ONE, RelationshipKind.PEER):
        a, b = (p.pk for p, _ in sides)
        duplicate = (
            Relationship.objects.filter(program=program, stage__in=OPEN_STAGES, members__person=a)
            .filter(members__person=b)
            .exclude(kind__in=[RelationshipKind.FACILITATED_GROUP, RelationshipKind.PEER_GROUP])
        )
        if duplicate.exists():
            raise ValidationError(
                f"{sides[0][0].display_name} and {sides[1][0].display_name} already have an open "
                f"relationship in {program.name}."
            )
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
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    RelationshipMember.objects.bulk_create(
        [RelationshipMember(relationship=relationship, person=p, side=side) for p, side in sides]
    )
    agreement_start(relationship=relationship)
    audit_record(
        actor=by,
        verb="relationship.create",
        target=relationship,
        program=program,
        kind=kind,
        source=source,
        people=[p.pk for p in everyone],
    )
    if notify:
        _notify_members(
            relationship,
            [p.user_id for p, _ in sides],
            kind=Kind.RELATIONSHIP_STARTED,
            cycle="started",
        )
    return relationship


def lock_relationship(relationship: Relationship) -> Relationship:
    """A fresh copy of the relationship, locked for the rest of the transaction: writes to one
    relationship queue up instead of deciding on a stale stage. Only the relationship's own row is
    locked (`of=self`), never the program it joins — other pairs in the program carry on; and
    PostgreSQL refuses FOR UPDATE across the nullable side of an outer join anyway."""
    return (
        Relationship.objects.select_for_update(of=("self",))
        .select_related("program")
        .get(pk=relationship.pk)
    )


def _active_member(relationship: Relationship, by: Any) -> RelationshipMember | None:
    return (
        RelationshipMember.objects.select_related("person")
        .filter(relationship=relationship, person__user=by, left_at__isnull=True)
        .first()
    )


def _require_member(relationship: Relationship, by: Any) -> RelationshipMember:
    member = _active_member(relationship, by)
    if member is None:
        raise ValidationError("Only the people in this relationship can do this.")
    return member


def require_open(relationship: Relationship) -> None:
    if not relationship.is_open:
        raise ValidationError(CLOSED_MESSAGE)


@transaction.atomic
def relationship_confirm_pilot(*, relationship: Relationship, by: Any) -> Relationship:
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


@transaction.atomic
def relationship_end(
    *, relationship: Relationship, by: Any, reason_for_directors: str | None = None
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
    relationship.stage = RelationshipStage.ENDED
    relationship.outcome = RelationshipOutcome.ENDED_EARLY
    relationship.ended_at = timezone.now()
    relationship.ended_by = by if getattr(by, "is_authenticated", False) else None
    relationship.ended_reason = reason
    relationship.save(update_fields=["stage", "outcome", "ended_at", "ended_by", "ended_reason"])
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
def relationship_conclude(*, relationship: Relationship, by: Any) -> Relationship:
    """Conclude a relationship that met its goals — a celebrated outcome, not an ending. One
    party proposes (the stage becomes "concluding"), another confirms. Directors conclude at once
    (e.g. at the end of a cohort)."""
    relationship = lock_relationship(relationship)
    require_open(relationship)
    member = _active_member(relationship, by)
    is_director = member is None and can_direct(by, relationship.program_id)
    if member is None and not is_director:
        raise ValidationError("Only the people in this relationship can conclude it.")
    if not is_director and relationship.stage != RelationshipStage.CONCLUDING:
        relationship.stage = RelationshipStage.CONCLUDING
        relationship.concluding_proposed_by = member.person  # type: ignore[union-attr]
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
def relationship_keep_going(*, relationship: Relationship, by: Any) -> Relationship:
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
    *, relationship: Relationship, by: Any, stays_in_touch: bool = True
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


# --- Outside mentors ---------------------------------------------------------------------------


def _institution_for_domain(email: str) -> Institution | None:
    domain = email.rsplit("@", 1)[-1].lower()
    for institution in Institution.objects.exclude(email_domains=[]):
        if domain in {d.lower() for d in institution.email_domains}:
            return institution
    return None


@transaction.atomic
def outside_mentor_invite(
    *,
    program: Program,
    mentee: FacultyProfile,
    email: str,
    given_name: str,
    family_name: str,
    organisation: str = "",
    focus_area: NeedArea | None = None,
    roles: Iterable[str] = (),
    is_remote: bool = True,
    message: str = "",
    by: Any,
) -> Relationship:
    """A mentee adds a mentor they found themselves (often at another institution), so their
    whole board lives in one place. The mentor is invited by email if they have no account; they
    do not join the program's mentor pool."""
    email = User.objects.normalize_email(email).lower()
    if email == mentee.user.email.lower():
        raise ValidationError({"email": "That is your own email address."})
    membership = Membership.objects.filter(program=program, person=mentee).first()
    if membership is None or not membership.is_mentee:
        raise ValidationError({"program": f"You are not a mentee in {program.name}."})
    result = faculty_invite(
        email=email,
        given_name=given_name,
        family_name=family_name,
        institution=_institution_for_domain(email),
        program=program,
        message=message
        or f"{mentee.display_name} would like you on their board of mentors in {program.name}.",
        by=by,
        location=organisation[:120],
    )
    mentor = result.person
    if result.created and mentor.institution_id and not _institution_for_domain(email):
        # faculty_invite falls back to the home institution; an outside mentor is not from it.
        mentor.institution = None
        mentor.save(update_fields=["institution"])
    return relationship_create(
        program=program,
        kind=RelationshipKind.ONE_TO_ONE,
        mentees=[mentee],
        mentors=[mentor],
        focus_area=focus_area,
        roles=roles,
        is_remote=is_remote,
        source=RelationshipSource.OUTSIDE,
        by=by,
    )


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


def _require_director(relationship: Relationship, by: Any) -> None:
    if not can_direct(by, relationship.program_id):
        raise ValidationError("Only the program's directors can do this.")


@transaction.atomic
def relationship_reassign(
    *,
    relationship: Relationship,
    outgoing: FacultyProfile,
    incoming: FacultyProfile,
    by: Any,
    reason_for_directors: str = "",
) -> Relationship:
    """Replace a mentor (or facilitator): the outgoing person's participation ends without
    fault, the incoming one joins on the same side, and the relationship starts a fresh pilot
    period, because an assigned pair needs one before committing (DOMAIN point 4). Meetings and
    action items stay with the relationship. The reason is for directors only."""
    relationship = lock_relationship(relationship)
    _require_director(relationship, by)
    require_open(relationship)
    leaving = (
        RelationshipMember.objects.select_for_update(of=("self",))
        .filter(relationship=relationship, person=outgoing, left_at__isnull=True)
        .first()
    )
    if leaving is None or leaving.side not in (MemberSide.MENTOR, MemberSide.FACILITATOR):
        raise ValidationError(
            {"outgoing": "Choose the mentor or facilitator who is leaving this relationship."}
        )
    if incoming.pk == outgoing.pk:
        raise ValidationError({"incoming": "Choose a different mentor."})
    if RelationshipMember.objects.filter(
        relationship=relationship, person=incoming, left_at__isnull=True
    ).exists():
        raise ValidationError(
            {"incoming": f"{incoming.display_name} is already in this relationship."}
        )
    membership = Membership.objects.filter(program=relationship.program, person=incoming).first()
    if membership is None or membership.role not in MENTOR_ROLES:
        raise ValidationError(
            {"incoming": f"{incoming.display_name} is not a mentor in {relationship.program.name}."}
        )
    mentees = [
        m.person
        for m in RelationshipMember.objects.select_related("person").filter(
            relationship=relationship, left_at__isnull=True
        )
        if m.pk != leaving.pk
    ]
    sides = [(p, MemberSide.MENTEE) for p in mentees] + [(incoming, leaving.side)]
    try:
        _check_reporting_lines(sides)
    except ValidationError as e:
        raise ValidationError({"incoming": e.message_dict["mentors"]}) from None
    now = timezone.now()
    leaving.left_at = now
    leaving.left_reason = (reason_for_directors or "").strip()
    leaving.save(update_fields=["left_at", "left_reason"])
    previous = RelationshipMember.objects.filter(relationship=relationship, person=incoming).first()
    if previous is not None:  # someone who left earlier comes back
        previous.left_at = None
        previous.side = leaving.side
        previous.pilot_confirmed_at = None
        previous.save(update_fields=["left_at", "side", "pilot_confirmed_at"])
    else:
        RelationshipMember.objects.create(
            relationship=relationship, person=incoming, side=leaving.side
        )
    # Everyone still in it confirms the new pilot again.
    remaining = RelationshipMember.objects.filter(relationship=relationship, left_at__isnull=True)
    remaining.update(pilot_confirmed_at=None)
    today = timezone.localdate()
    relationship.stage = RelationshipStage.PILOT
    relationship.concluding_proposed_by = None
    relationship.pilot_ends_on = max(
        today + timedelta(days=relationship.program.pilot_length_days),
        relationship.started_on + timedelta(days=1),
    )
    relationship.save(update_fields=["stage", "concluding_proposed_by", "pilot_ends_on"])
    # The reason is deliberately not copied into the audit log.
    audit_record(
        actor=by,
        verb="relationship.reassign",
        target=relationship,
        program=relationship.program,
        outgoing=outgoing.pk,
        incoming=incoming.pk,
        gave_reason=bool(leaving.left_reason),
    )
    # The remaining people are told by a welcome to the relationship with its new mentor, not by
    # a departure notice; each reassignment is its own occurrence in the ledger.
    _notify_members(
        relationship,
        remaining.values_list("person__user_id", flat=True),
        kind=Kind.RELATIONSHIP_STARTED,
        cycle=f"reassigned-{incoming.pk}-{now:%Y%m%dT%H%M%S}",
    )
    return relationship


MAX_PILOT_DAYS = 365


@transaction.atomic
def relationship_extend_pilot(*, relationship: Relationship, until: date, by: Any) -> Relationship:
    """Give a pair more time to decide (e.g. after a long leave). Only while in the pilot."""
    relationship = lock_relationship(relationship)
    _require_director(relationship, by)
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
    *, relationship: Relationship, text: str, held_on: date, by: Any, kind: str = "brokered"
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
