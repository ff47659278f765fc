"""Relationship reviews: the emailed link, answering, risk flags, and programs' own instruments.

Each party answers privately. Nothing here ever tells the other party whether, when or how
someone answered; directors see the answers (see `selectors/reviews.py`). A response that scores
below the program's threshold, drops sharply since the person's previous review, or chooses to
end flags the relationship at risk and tells the program's directors. Choosing "end" never ends
anything by itself: the page then offers the no-fault ending of issue 5."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from mentorship.accounts.models import User
from mentorship.emails import absolute_url
from mentorship.notifications.kinds import Kind
from mentorship.notifications.services import Planned, notifications_send_soon
from programs.access import AnyUser, can_direct
from programs.domain.instrument_file import InstrumentSpec, ItemSpec
from programs.domain.review_instrument import ensure_default_instrument
from programs.domain.review_scores import (
    Answer,
    on_five_point_scale,
    response_score,
    risk_reasons,
    subscale_label,
)
from programs.models import (
    ItemPolarity,
    Membership,
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
    Role,
)
from programs.selectors.reviews import items_for_respondent
from programs.services.audit import audit_record

LINK_SALT = "programs.reviews.link"
MIN_SCALE, MAX_SCALE = 3, 10
MAX_ITEMS = 40


# --- Instruments -------------------------------------------------------------------------------


def default_instrument() -> ReviewInstrument:
    return ensure_default_instrument(ReviewInstrument, ReviewItem)


def instrument_for(program: Program) -> ReviewInstrument:
    """The instrument a program uses now: its choice if still active, else the shipped one."""
    if program.review_instrument_id:
        chosen = ReviewInstrument.objects.filter(
            pk=program.review_instrument_id, is_active=True
        ).first()
        if chosen is not None:
            return chosen
    return default_instrument()


def instrument_in_use(instrument: ReviewInstrument) -> bool:
    """Answers exist: changing its items would change the meaning of what people said."""
    return ReviewAnswer.objects.filter(item__instrument=instrument).exists()


@dataclass(frozen=True)
class ItemData:
    text: str
    construct: str
    polarity: str


def _check_instrument(
    *, name: str, scale_max: int, scale_labels: Sequence[str], items: Sequence[ItemData]
) -> None:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Give the instrument a name."
    if not MIN_SCALE <= scale_max <= MAX_SCALE:
        errors["scale_max"] = f"A scale has {MIN_SCALE} to {MAX_SCALE} points."
    if scale_labels and len(scale_labels) != scale_max:
        errors["scale_labels"] = (
            f"Give one label for each of the {scale_max} points, lowest first "
            f"(you gave {len(scale_labels)}), or none to show numbers only."
        )
    if not items:
        errors["__all__"] = "Add at least one item."
    elif len(items) > MAX_ITEMS:
        errors["__all__"] = f"An instrument has at most {MAX_ITEMS} items."
    if any(i.polarity not in ItemPolarity.values for i in items):
        errors["__all__"] = "Each item is either a strength or a warning sign."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def instrument_save(
    *,
    program: Program,
    instrument: ReviewInstrument | None,
    name: str,
    description: str = "",
    source: str = "",
    scale_max: int,
    scale_labels: Sequence[str],
    items: Sequence[ItemData],
    by: User,
    revision: int | None = None,
) -> ReviewInstrument:
    """Create a program's instrument, or change one nobody has answered yet. `revision` is the
    one the editor showed; a save over a newer one raises StaleInstrument instead of undoing it."""
    _check_instrument(name=name, scale_max=scale_max, scale_labels=scale_labels, items=items)
    if instrument is None:
        instrument = ReviewInstrument(program=program)
    else:
        if instrument.program_id != program.pk:
            raise ValidationError("Instruments shipped with the app cannot be changed; copy one.")
        instrument = ReviewInstrument.objects.select_for_update().get(pk=instrument.pk)
        if revision is not None and revision != instrument.revision:
            raise StaleInstrument(instrument)
        if instrument_in_use(instrument):
            raise ValidationError(
                "People have already answered this instrument, so its items cannot change. "
                "Make a copy and change the copy."
            )
    instrument.name = name.strip()
    instrument.description = description.strip()
    instrument.source = source.strip()
    instrument.scale_min, instrument.scale_max = 1, scale_max
    instrument.scale_labels = [label.strip() for label in scale_labels]
    instrument.revision += 1
    instrument.save()
    # Unanswered reviews already sent keep pointing at these items, so replace them in place.
    existing = list(instrument.items.order_by("order", "pk"))
    for order, data in enumerate(items, start=1):
        item = existing[order - 1] if order <= len(existing) else ReviewItem(instrument=instrument)
        item.order, item.text = order, data.text.strip()
        item.construct = data.construct.strip() or "general"
        item.polarity = data.polarity
        item.save()
    ReviewItem.objects.filter(pk__in=[i.pk for i in existing[len(items) :]]).delete()
    audit_record(actor=by, verb="review_instrument.save", target=instrument, program=program)
    return instrument


class StaleInstrument(Exception):
    """The instrument was saved by someone else since the editor was opened."""

    def __init__(self, current: ReviewInstrument) -> None:
        super().__init__("The instrument was changed by someone else.")
        self.current = current


@transaction.atomic
def instrument_copy(
    *, instrument: ReviewInstrument, program: Program, by: User
) -> ReviewInstrument:
    copy = ReviewInstrument.objects.create(
        program=program,
        name=f"{instrument.name} (copy)"[:160],
        description=instrument.description,
        source=instrument.source,
        scale_min=instrument.scale_min,
        scale_max=instrument.scale_max,
        scale_labels=list(instrument.scale_labels),
        licence=instrument.licence,
        subscale_names=dict(instrument.subscale_names or {}),
    )
    ReviewItem.objects.bulk_create(
        ReviewItem(
            instrument=copy,
            order=i.order,
            construct=i.construct,
            text=i.text,
            polarity=i.polarity,
            answered_by=i.answered_by,
        )
        for i in instrument.items.all()
    )
    audit_record(actor=by, verb="review_instrument.copy", target=copy, program=program)
    return copy


@transaction.atomic
def program_instrument_choose(
    *, program: Program, instrument: ReviewInstrument | None, by: User
) -> Program:
    """Reviews opened from now on use this instrument; those already sent keep theirs."""
    if instrument is not None and instrument.program_id not in (None, program.pk):
        raise ValidationError({"instrument": "Choose one of this program's instruments."})
    if instrument is not None and not instrument.is_active:
        raise ValidationError({"instrument": "That instrument is archived."})
    program.review_instrument = instrument
    program.save(update_fields=["review_instrument"])
    audit_record(
        actor=by,
        verb="program.review_instrument",
        target=program,
        program=program,
        instrument=instrument.pk if instrument else None,
    )
    return program


# --- The emailed link --------------------------------------------------------------------------


def review_token(request: ReviewRequest) -> str:
    return signing.dumps({"r": request.pk, "n": request.token_nonce}, salt=LINK_SALT)


def review_url(request: ReviewRequest) -> str:
    return absolute_url(reverse("review_answer", args=[review_token(request)]))


class ReviewLinkProblem(Exception):
    """Why a review link cannot be answered; `reason` picks the page's explanation."""

    INVALID = "invalid"
    WRONG_PERSON = "wrong_person"
    ANSWERED = "answered"
    EXPIRED = "expired"
    NOT_OPEN = "not_open"
    ENDED = "ended"

    def __init__(self, reason: str, request: ReviewRequest | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.request = request


def review_request_for_link(
    *, token: str, user: AnyUser, today: date | None = None
) -> ReviewRequest:
    """The request a link stands for, if `user` may answer it now; else ReviewLinkProblem.

    The wrong person learns nothing about the request (not even that it exists): the same
    page as an altered link."""
    try:
        data = signing.loads(token, salt=LINK_SALT)
        request = (
            ReviewRequest.objects.select_related(
                "relationship__program", "respondent__user", "instrument"
            )
            .filter(pk=int(data["r"]), token_nonce=str(data["n"]))
            .first()
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        request = None
    if request is None:
        raise ReviewLinkProblem(ReviewLinkProblem.INVALID)
    if request.respondent.user_id != getattr(user, "pk", None):
        raise ReviewLinkProblem(ReviewLinkProblem.WRONG_PERSON)
    today = today or timezone.localdate()
    if request.completed_at is not None:
        raise ReviewLinkProblem(ReviewLinkProblem.ANSWERED, request)
    if not request.relationship.is_open:
        raise ReviewLinkProblem(ReviewLinkProblem.ENDED, request)
    if today > request.closes_on:
        raise ReviewLinkProblem(ReviewLinkProblem.EXPIRED, request)
    if today < request.opens_on:
        raise ReviewLinkProblem(ReviewLinkProblem.NOT_OPEN, request)
    return request


# --- Answering ---------------------------------------------------------------------------------


@transaction.atomic
def review_submit(
    *,
    request: ReviewRequest,
    answers: Mapping[int, int | None],
    choice: str,
    comment_for_directors: str = "",
    by: User,
) -> ReviewResponse:
    """Record one party's answers once. A second submission (a double click, the link used
    again, two tabs) is refused and records nothing."""
    request = (
        ReviewRequest.objects.select_for_update(of=("self",))
        .select_related("relationship__program", "respondent", "instrument")
        .get(pk=request.pk)
    )
    if request.respondent.user_id != getattr(by, "pk", None):
        raise ValidationError("This review is for someone else.")
    if request.completed_at is not None:
        raise ValidationError("You have already answered this review. Thank you.")
    if not request.relationship.is_open:
        raise ValidationError("This relationship has ended, so the review is closed.")
    if choice not in ReviewChoice.values:
        raise ValidationError({"choice": "Choose how you would like to go on."})
    instrument = request.instrument
    items = items_for_respondent(request)  # only the items for the respondent's side
    unknown = set(answers) - {i.pk for i in items}
    if unknown:
        raise ValidationError("Some answers are for questions that are not on this review.")
    for item in items:
        value = answers.get(item.pk)
        if value is not None and not instrument.scale_min <= value <= instrument.scale_max:
            raise ValidationError(
                {
                    f"item_{item.pk}": f"Choose a point from {instrument.scale_min} to "
                    f"{instrument.scale_max}, or “Not sure”."
                }
            )
    score = response_score(
        (Answer(answers.get(i.pk), i.polarity == ItemPolarity.WARNING) for i in items),
        scale_min=instrument.scale_min,
        scale_max=instrument.scale_max,
    )
    try:
        with transaction.atomic():
            response = ReviewResponse.objects.create(
                request=request,
                choice=choice,
                score=score,
                comment_for_directors=comment_for_directors.strip(),
            )
    except IntegrityError:
        raise ValidationError("You have already answered this review. Thank you.") from None
    ReviewAnswer.objects.bulk_create(
        ReviewAnswer(response=response, item=item, value=answers.get(item.pk)) for item in items
    )
    request.completed_at = timezone.now()
    request.save(update_fields=["completed_at"])
    # What was answered stays out of the audit log: only that a review was completed.
    audit_record(
        actor=by, verb="review.submit", target=request, program=request.relationship.program
    )
    risks_flag(responses=[response])
    return response


# --- Risk --------------------------------------------------------------------------------------


def _previous_scores(responses: Sequence[ReviewResponse]) -> dict[int, Decimal | None]:
    """Each response's respondent's previous score in the same relationship (one query)."""
    keys = {(r.request.relationship_id, r.request.respondent_id) for r in responses}
    if not keys:
        return {}
    rows = (
        ReviewResponse.objects.filter(
            request__relationship__in={k[0] for k in keys},
            request__respondent__in={k[1] for k in keys},
        )
        .select_related("request__instrument")
        .order_by("request__cycle", "submitted_at")
    )
    history: dict[tuple[int, int], list[ReviewResponse]] = defaultdict(list)
    for row in rows:
        history[(row.request.relationship_id, row.request.respondent_id)].append(row)
    previous: dict[int, Decimal | None] = {}
    for r in responses:
        earlier = [
            h
            for h in history[(r.request.relationship_id, r.request.respondent_id)]
            if h.request.cycle < r.request.cycle and h.score is not None
        ]
        last = earlier[-1] if earlier else None
        previous[r.pk] = (
            on_five_point_scale(
                last.score,
                scale_min=last.request.instrument.scale_min,
                scale_max=last.request.instrument.scale_max,
            )
            if last is not None and last.score is not None
            else None
        )
    return previous


def risks_flag(*, responses: Iterable[ReviewResponse]) -> list[RelationshipRisk]:
    """Flag the relationships of these responses at risk where the program's rules say so, and
    tell the program's directors (never anyone in the relationship). Set-based: a fixed number
    of queries for any number of responses."""
    responses = list(responses)
    if not responses:
        return []
    previous = _previous_scores(responses)
    risks = []
    flagged: set[ReviewResponse] = set()
    for r in responses:
        program = r.request.relationship.program
        instrument = r.request.instrument
        score = (
            on_five_point_scale(
                r.score, scale_min=instrument.scale_min, scale_max=instrument.scale_max
            )
            if r.score is not None
            else None
        )
        for reason in risk_reasons(
            score=score,
            previous=previous.get(r.pk),
            choice=r.choice,
            risk_threshold=program.review_risk_threshold,
            drop_threshold=program.review_drop_threshold,
        ):
            risks.append(
                RelationshipRisk(relationship_id=r.request.relationship_id, reason=reason, review=r)
            )
            flagged.add(r)
    if not risks:
        return []
    RelationshipRisk.objects.bulk_create(risks)
    _tell_directors(responses=flagged)
    return risks


def _tell_directors(*, responses: set[ReviewResponse]) -> None:
    relationship_ids = {r.request.relationship_id for r in responses}
    program_ids = {r.request.relationship.program_id for r in responses}
    members: dict[int, set[int]] = defaultdict(set)
    for relationship_id, user_id in RelationshipMember.objects.filter(
        relationship__in=relationship_ids
    ).values_list("relationship_id", "person__user_id"):
        members[relationship_id].add(user_id)
    directors: dict[int, set[int]] = defaultdict(set)
    for program_id, user_id in Membership.objects.filter(
        program__in=program_ids, role=Role.DIRECTOR, person__user__is_active=True
    ).values_list("program_id", "person__user_id"):
        directors[program_id].add(user_id)
    notifications_send_soon(
        Planned(
            recipient_id=user_id,
            kind=Kind.AT_RISK,
            subject=f"relationship:{r.request.relationship_id}",
            cycle=f"risk:{r.pk}",
            program_id=r.request.relationship.program_id,
        )
        for r in sorted(responses, key=lambda r: r.pk)
        # A director who is in the relationship does not hear about the other party's review.
        for user_id in sorted(
            directors[r.request.relationship.program_id] - members[r.request.relationship_id]
        )
    )


@transaction.atomic
def risk_clear(*, risk: RelationshipRisk, note: str, by: User) -> RelationshipRisk:
    """A director has looked into it. Clears every open flag of the relationship raised up to
    now, with the note kept for the other directors."""
    relationship = Relationship.objects.select_related("program").get(pk=risk.relationship_id)
    if not can_direct(by, relationship.program_id):
        raise ValidationError("Only the program's directors can clear a risk.")
    note = note.strip()
    if not note:
        raise ValidationError({"note": "Say what you found or did; other directors will read it."})
    now = timezone.now()
    open_risks = RelationshipRisk.objects.select_for_update().filter(
        relationship=relationship, cleared_at__isnull=True, flagged_at__lte=now
    )
    if not open_risks.exists():
        raise ValidationError("This relationship is not flagged at risk any more.")
    open_risks.update(cleared_at=now, cleared_by=by, cleared_note=note)
    audit_record(
        actor=by, verb="relationship.risk_clear", target=relationship, program=relationship.program
    )
    risk.refresh_from_db()
    return risk


def open_risks(relationship: Relationship) -> QuerySet[RelationshipRisk]:
    return RelationshipRisk.objects.filter(relationship=relationship, cleared_at__isnull=True)


# --- Instruments as data (docs/review-instruments.md) -------------------------------------------


def instrument_spec(instrument: ReviewInstrument) -> InstrumentSpec:
    """What the export file says: everything a program needs to load the same instrument."""
    items = list(instrument.items.order_by("order", "pk"))
    names = dict(instrument.subscale_names or {})
    for item in items:
        names.setdefault(item.construct, subscale_label(item.construct))
    return InstrumentSpec(
        name=instrument.name,
        description=instrument.description,
        citation=instrument.source,
        licence=instrument.licence,
        scale_min=instrument.scale_min,
        scale_max=instrument.scale_max,
        scale_labels=list(instrument.scale_labels or []),
        subscales=names,
        items=[
            ItemSpec(
                text=i.text,
                subscale=i.construct,
                reverse_scored=i.polarity == ItemPolarity.WARNING,
                answered_by=i.answered_by,
            )
            for i in items
        ],
    )


@transaction.atomic
def instrument_import(*, program: Program, spec: InstrumentSpec, by: User) -> ReviewInstrument:
    """A new instrument of the program from a checked file (the program chooses it to use it)."""
    name = spec.name
    taken = set(ReviewInstrument.objects.filter(program=program).values_list("name", flat=True))
    if name in taken:
        name = f"{name} (imported {timezone.localdate():%Y-%m-%d})"[:160]
    instrument = ReviewInstrument.objects.create(
        program=program,
        name=name,
        description=spec.description,
        source=spec.citation,
        licence=spec.licence,
        scale_min=spec.scale_min,
        scale_max=spec.scale_max,
        scale_labels=spec.scale_labels,
        subscale_names=spec.subscales,
    )
    ReviewItem.objects.bulk_create(
        ReviewItem(
            instrument=instrument,
            order=n,
            construct=i.subscale,
            text=i.text,
            polarity=ItemPolarity.WARNING if i.reverse_scored else ItemPolarity.STRENGTH,
            answered_by=i.answered_by,
        )
        for n, i in enumerate(spec.items, start=1)
    )
    audit_record(actor=by, verb="review_instrument.import", target=instrument, program=program)
    return instrument
