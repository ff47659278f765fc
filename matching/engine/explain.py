"""Plain-words explanations of a pair's score: what each criterion contributed, and why.

Mentees and directors read these next to a suggested match, so they speak to the mentee
("you") and name the actual areas, roles, topics and modes. Points use the same criterion
values as :func:`matching.engine.scoring.score_pairs`, so the items add up to the score shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from matching.engine.features import ExclusionReason, Locality, MatchingFeatures
from matching.engine.scoring import (
    CRITERIA,
    STAGE_AHEAD_POINTS,
    StageMode,
    criterion_values,
    exclusion_reasons,
    validate_weights,
)

EXCLUSION_SENTENCES: Mapping[str, str] = {
    ExclusionReason.SELF: "This is you.",
    ExclusionReason.REPORTING_LINE: (
        "Has authority over you (reporting line, department head or division chief), "
        "so cannot be your mentor."
    ),
    ExclusionReason.CONFLICT_OF_INTEREST: "A conflict of interest has been declared.",
    ExclusionReason.ENDED_BEFORE: (
        "You were paired before and that relationship ended; a director can allow a new match."
    ),
    ExclusionReason.FORBIDDEN: "The program director has ruled out this pairing.",
    ExclusionReason.NO_CAPACITY: "Not taking new mentees right now.",
    ExclusionReason.NO_REMOTE: "Mentors only at their own institution, and you are elsewhere.",
    ExclusionReason.UNTRAINED: "Has not yet completed the mentor training your program asks for.",
}

_PEAK_START = STAGE_AHEAD_POINTS[1][0]
_PEAK_END = STAGE_AHEAD_POINTS[2][0]
_ORDINALS = ("first", "second", "third", "fourth", "fifth")


@dataclass(frozen=True)
class ExplanationItem:
    """One criterion's share of the score."""

    criterion: str
    points: float  # contribution to the 0–100 score
    max_points: float  # the most this criterion can contribute with these weights
    sentence: str


@dataclass(frozen=True)
class PairExplanation:
    """Why a mentor scores what they do for a mentee (or why they are excluded)."""

    mentee: int
    mentor: int
    score: float
    eligible: bool
    exclusions: list[str]
    exclusion_sentences: list[str]
    items: list[ExplanationItem]


def explain_pair(
    features: MatchingFeatures,
    mentee: int,
    mentor: int,
    weights: Mapping[str, float] | None = None,
    *,
    mode: StageMode | str = StageMode.TRADITIONAL,
) -> PairExplanation:
    """Breakdown of one (mentee index, mentor index) pair."""
    return explain_pairs(features, [(mentee, mentor)], weights, mode=mode)[0]


def explain_pairs(
    features: MatchingFeatures,
    pairs: Iterable[tuple[int, int]],
    weights: Mapping[str, float] | None = None,
    *,
    mode: StageMode | str = StageMode.TRADITIONAL,
) -> list[PairExplanation]:
    """Breakdowns for a small list of pairs (one per suggestion shown on a page)."""
    full = validate_weights(weights)
    total_weight = sum(full.values())
    pair_list = [(int(i), int(j)) for i, j in pairs]
    values = criterion_values(
        features, [i for i, _ in pair_list], [j for _, j in pair_list], mode=mode
    )
    explanations = []
    for k, (i, j) in enumerate(pair_list):
        items = []
        for name in CRITERIA:
            max_points = 100.0 * full[name] / total_weight
            items.append(
                ExplanationItem(
                    criterion=name,
                    # Never above the criterion's maximum, whatever float rounding does.
                    points=round(min(max_points * float(values[name][k]), max_points), 2),
                    max_points=round(max_points, 2),
                    sentence=_SENTENCES[name](features, i, j, StageMode(mode)),
                )
            )
        reasons = exclusion_reasons(features, i, j)
        score = min(100.0, sum(item.points for item in items)) if not reasons else 0.0
        explanations.append(
            PairExplanation(
                mentee=i,
                mentor=j,
                score=round(score, 2),
                eligible=not reasons,
                exclusions=reasons,
                exclusion_sentences=[EXCLUSION_SENTENCES[r] for r in reasons],
                items=items,
            )
        )
    return explanations


# --- Sentences ----------------------------------------------------------------------------------

# Sentences are written to the mentee ("you"); directors and mentors read them about the mentee.
# Longest phrases first, so that "you want" is rewritten before a bare "you".
_THIRD_PERSON = (
    ("This is you.", "This is the mentee themself."),
    ("You have not listed", "The mentee has not listed"),
    (
        "You have not said which mentor roles you want",
        "The mentee has not said which mentor roles they want",
    ),
    (
        "You have not said how you like to communicate",
        "The mentee has not said how they like to communicate",
    ),
    ("You were paired before", "They were paired before"),
    ("and you are elsewhere", "and the mentee is elsewhere"),
    ("has authority over you", "has authority over the mentee"),
    ("Has authority over you", "Has authority over the mentee"),
    ("cannot be your mentor", "cannot be their mentor"),
    ("as you do", "as the mentee does"),
    ("you asked", "the mentee asked"),
    ("you want", "the mentee wants"),
    ("you look for", "the mentee looks for"),
    ("you prefer", "the mentee prefers"),
    ("ahead of you", "ahead of the mentee"),
    ("after you", "after the mentee"),
    ("as you", "as the mentee"),
    ("your own", "the mentee's own"),
    ("your", "the mentee's"),
)


def about_the_mentee(sentence: str) -> str:
    """A sentence written to the mentee, rewritten in the third person (for directors and
    mentors, who must not read "you" as themselves)."""
    for second, third in _THIRD_PERSON:
        sentence = sentence.replace(second, third)
    return sentence


def _label(text: str) -> str:
    return text.replace("_", " ")


def _join(words: Sequence[str]) -> str:
    words = [_label(w) for w in words]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _years(value: float) -> str:
    count = round(abs(value))
    return f"{count} year" if count == 1 else f"{count} years"


def _needs_sentence(f: MatchingFeatures, i: int, j: int, mode: StageMode) -> str:
    weights = f.need_weights[i]
    needed = np.flatnonzero(weights > 0)
    if len(needed) == 0:
        return "You have not listed mentoring needs yet, so this counts as neutral."
    needed = needed[np.argsort(-weights[needed], kind="stable")]
    covered = [f.area_labels[a] for a in needed if f.mentor_areas[j, a]]
    missing = [f.area_labels[a] for a in needed if not f.mentor_areas[j, a]]
    if not covered:
        return f"Does not cover your need areas ({_join(missing)})."
    if not missing:
        if len(needed) == 1:
            return f"Covers your need area ({_join(covered)})."
        return f"Covers all {len(needed)} of your need areas ({_join(covered)})."
    return f"Covers {len(covered)} of your {len(needed)} need areas ({_join(covered)})."


def _roles_sentence(f: MatchingFeatures, i: int, j: int, mode: StageMode) -> str:
    wanted = np.flatnonzero(f.roles_wanted[i])
    if len(wanted) == 0:
        return "You have not said which mentor roles you want, so this counts as neutral."
    offered = [f.role_labels[r] for r in wanted if f.mentor_roles[j, r]]
    if not offered:
        names = [f.role_labels[r] for r in wanted]
        return f"Does not offer the roles you want ({_join(names)})."
    if len(offered) == len(wanted):
        return f"Offers every role you want: {_join(offered)}."
    return f"Offers {len(offered)} of the {len(wanted)} roles you want: {_join(offered)}."


def _interests_sentence(f: MatchingFeatures, i: int, j: int, mode: StageMode) -> str:
    topics = [f.topic_labels[t] for t in np.flatnonzero(f.mentee_topics[i] & f.mentor_topics[j])]
    qualities = [
        f.quality_labels[q] for q in np.flatnonzero(f.mentee_qualities[i] & f.mentor_qualities[j])
    ]
    if not topics and not qualities:
        return "No shared interests or values listed yet."
    parts = []
    if topics:
        noun = "interest" if len(topics) == 1 else "interests"
        parts.append(f"Shares {len(topics)} {noun}: {_join(topics)}")
    if qualities:
        lead = "values" if topics else "Shares values"
        parts.append(f"{lead} you look for in a colleague: {_join(qualities)}")
    return "; ".join(parts) + "."


def _stage_sentence(f: MatchingFeatures, i: int, j: int, mode: StageMode) -> str:
    difference = float(f.mentor_career_years[j] - f.mentee_career_years[i])
    rounded = round(difference)
    if mode is StageMode.PEER:
        if rounded == 0:
            return "At the same career stage as you — a natural peer."
        if abs(rounded) <= 3:
            return f"At a similar career stage ({_years(rounded)} apart) — a natural peer."
        return f"{_years(rounded).capitalize()} apart in career stage — less of a peer."
    if rounded <= 0:
        if rounded == 0:
            return "At the same career stage as you — more a peer than a guide."
        return f"Started {_years(rounded)} after you — more a peer than a guide."
    ahead = f"{_years(rounded)} ahead of you"
    if rounded < _PEAK_START:
        return f"{ahead} — close to your own stage."
    if rounded <= _PEAK_END:
        return f"{ahead} — about half a generation."
    return f"{ahead} — further along than the half-generation ideal."


def _experience_sentence(f: MatchingFeatures, i: int, j: int, mode: StageMode) -> str:
    years = float(f.mentor_mentoring_years[j])
    mentees = int(f.mentor_prior_mentees[j])
    trained = bool(f.mentor_trained[j])
    if years <= 0 and mentees <= 0 and not trained:
        return "New to mentoring."
    plural = "s" if mentees != 1 else ""
    if years > 0:
        sentence = f"Has mentored for {_years(years)}"
        if mentees > 0:
            sentence += f", with {mentees} prior mentee{plural}"
    elif mentees > 0:
        sentence = f"Has had {mentees} prior mentee{plural}"
    else:
        return "Has completed mentor training."
    if trained:
        sentence += ", and completed mentor training"
    return sentence + "."


def _communication_sentence(f: MatchingFeatures, i: int, j: int, mode: StageMode) -> str:
    preference = f.mentee_modes[i]
    if not (preference > 0).any():
        return "You have not said how you like to communicate, so this counts as neutral."
    if not f.mentor_modes[j].any():
        return "Has not said how they like to communicate, so this counts as neutral."
    ranked = np.argsort(-preference, kind="stable")
    ranked = ranked[preference[ranked] > 0]
    for rank, mode_index in enumerate(ranked):
        if f.mentor_modes[j, mode_index]:
            name = _label(f.mode_labels[mode_index])
            if rank == 0:
                return f"Prefers {name}, as you do."
            return f"Uses {name}, your {_ORDINALS[min(rank, 4)]} choice."
    return f"No communication mode in common (you prefer {_label(f.mode_labels[ranked[0]])})."


def _time_zone_sentence(f: MatchingFeatures, i: int, j: int, mode: StageMode) -> str:
    if f.mentee_institution[i] == f.mentor_institution[j]:
        return "Same institution, so time zones do not matter."
    hours = abs(float(f.mentor_utc_offset[j] - f.mentee_utc_offset[i])) % 24
    hours = min(hours, 24 - hours)
    if hours == 0:
        return "Same time zone."
    shown = f"{hours:g}"
    return f"{shown} h time-zone difference."


def _locality_sentence(f: MatchingFeatures, i: int, j: int, mode: StageMode) -> str:
    specific = [
        f.area_labels[a] for a in np.flatnonzero((f.need_weights[i] > 0) & f.institution_specific)
    ]
    preference = Locality(int(f.mentee_locality[i]))
    if f.mentee_institution[i] == f.mentor_institution[j]:
        if specific:
            return f"Same institution — good for {_join(specific)}."
        if preference is Locality.REMOTE:
            return "Same institution, though you asked for someone from elsewhere."
        if preference is Locality.LOCAL:
            return "Same institution, as you asked."
        return "Same institution."
    if preference is Locality.LOCAL:
        return "At another institution — you asked for a local mentor."
    if specific:
        return f"At another institution — less placed to help with {_join(specific)}."
    if preference is Locality.REMOTE:
        return "At another institution, as you asked."
    return "At another institution."


_SENTENCES = {
    "needs": _needs_sentence,
    "roles": _roles_sentence,
    "interests": _interests_sentence,
    "career_stage": _stage_sentence,
    "experience": _experience_sentence,
    "communication": _communication_sentence,
    "time_zone": _time_zone_sentence,
    "locality": _locality_sentence,
}
