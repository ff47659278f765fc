"""The relationship review that ships with the app.

Our own wording, on the characteristics of successful mentoring relationships and the warning
signs of failing ones reported in seed 001 (Straus et al., Acad Med 2013). It is a practical
check-up, not a validated instrument; programs that hold a licence for a validated one can load
it as their own instrument.

`ensure_default_instrument` takes the model classes so that the data migration (historical
models) and the test fixtures (current models) share one definition."""

from __future__ import annotations

from typing import Any

DEFAULT_INSTRUMENT_NAME = "Relationship check-up"

SCALE_LABELS = [
    "Strongly disagree",
    "Disagree",
    "Neither agree nor disagree",
    "Agree",
    "Strongly agree",
]

# (construct, polarity, text). Worded for any party — mentee, mentor or peer — about "us".
ITEMS: list[tuple[str, str, str]] = [
    (
        "reciprocity",
        "strength",
        "We both give and gain something from this relationship; it does not feel one-sided.",
    ),
    (
        "mutual_respect",
        "strength",
        "We treat each other's time, ideas and decisions with respect.",
    ),
    (
        "clear_expectations",
        "strength",
        "We both know what we expect of each other: how often we meet, how, and who does what.",
    ),
    (
        "personal_connection",
        "strength",
        "I can be candid in this relationship, including about doubts and setbacks.",
    ),
    (
        "shared_values",
        "strength",
        "We care about similar things in our work and in how it should be done.",
    ),
    (
        "communication",
        "warning",
        "Messages between us go unanswered, or meetings slip without a word.",
    ),
    (
        "commitment",
        "warning",
        "One or both of us has less time or energy for this relationship than we planned.",
    ),
    (
        "personality_differences",
        "warning",
        "Differences in how we work or communicate get in the way.",
    ),
    (
        "competition",
        "warning",
        "I sense that we compete — for credit, funding or opportunities.",
    ),
    (
        "conflict_of_interest",
        "warning",
        "One of us has a say over the other's evaluation, resources or job, and it limits what "
        "we can discuss.",
    ),
    (
        "mentor_experience",
        "warning",
        "The mentoring on offer does not fit the questions being brought — the experience "
        "needed is missing.",
    ),
]

DESCRIPTION = (
    "Eleven short statements about how the relationship is going: five signs of a healthy "
    "relationship and six warning signs. Each party answers privately; the other party never "
    "sees the answers."
)
SOURCE = (
    "Written for this app from the characteristics of successful and failed mentoring "
    "relationships in Straus SE et al., Acad Med 2013;88:82–89. Not a validated instrument."
)


def ensure_default_instrument(instrument_model: Any, item_model: Any) -> Any:
    """Create the shipped instrument with its items if it is missing; return it."""
    instrument = instrument_model.objects.filter(
        program__isnull=True, name=DEFAULT_INSTRUMENT_NAME
    ).first()
    if instrument is not None:
        return instrument
    instrument = instrument_model.objects.create(
        program=None,
        name=DEFAULT_INSTRUMENT_NAME,
        description=DESCRIPTION,
        source=SOURCE,
        scale_min=1,
        scale_max=5,
        scale_labels=SCALE_LABELS,
    )
    item_model.objects.bulk_create(
        item_model(instrument=instrument, order=i, construct=c, polarity=p, text=t)
        for i, (c, p, t) in enumerate(ITEMS, start=1)
    )
    return instrument
