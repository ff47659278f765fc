"""Review scores and risk rules: pure functions, no database.

Scores are "higher is healthier": agreeing with a warning sign is reversed on the instrument's
scale. Thresholds are set by programs on a 1–5 scale, so scores of instruments with another scale
are placed on 1–5 before comparing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

LOW_SCORE, SHARP_DROP, WANTS_TO_END = "low_score", "sharp_drop", "wants_to_end"


@dataclass(frozen=True)
class Answer:
    value: int | None  # None = "not sure"
    warning: bool


def response_score(answers: Iterable[Answer], *, scale_min: int, scale_max: int) -> Decimal | None:
    """The mean of the answered items on the instrument's scale, warning signs reversed; None
    when every item was left as "not sure"."""
    values = [
        scale_min + scale_max - a.value if a.warning else a.value
        for a in answers
        if a.value is not None
    ]
    if not values:
        return None
    mean = Decimal(sum(values)) / Decimal(len(values))
    return mean.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def on_five_point_scale(score: Decimal, *, scale_min: int, scale_max: int) -> Decimal:
    if (scale_min, scale_max) == (1, 5):
        return score
    return Decimal(1) + (score - scale_min) * 4 / Decimal(scale_max - scale_min)


def risk_reasons(
    *,
    score: Decimal | None,
    previous: Decimal | None,
    choice: str,
    risk_threshold: Decimal,
    drop_threshold: Decimal,
) -> list[str]:
    """Why a response flags its relationship at risk (scores already on the 1–5 scale): a score
    below the program's threshold, a fall of at least the drop threshold since the same person's
    previous review, or choosing to end."""
    reasons = []
    if score is not None and score < risk_threshold:
        reasons.append(LOW_SCORE)
    if score is not None and previous is not None and previous - score >= drop_threshold:
        reasons.append(SHARP_DROP)
    if choice == "end":
        reasons.append(WANTS_TO_END)
    return reasons


def subscale_label(key: str) -> str:
    """How a subscale key reads on pages and in reports: "clear_expectations" is "Clear
    expectations" (an instrument that names its subscales says so instead)."""
    return key.replace("_", " ").capitalize()


def subscale_means(
    answers: Iterable[tuple[str, int | None, bool]], *, scale_min: int, scale_max: int
) -> dict[str, Decimal]:
    """Per subscale, the mean of the answered items (reverse-scored ones reversed), placed on
    the 1–5 scale so instruments and programs compare. `answers` are (subscale, value, reverse)."""
    values: dict[str, list[int]] = {}
    for subscale, value, reverse in answers:
        if value is None:
            continue
        values.setdefault(subscale, []).append(scale_min + scale_max - value if reverse else value)
    return {
        s: on_five_point_scale(
            (Decimal(sum(v)) / Decimal(len(v))), scale_min=scale_min, scale_max=scale_max
        ).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        for s, v in values.items()
    }
