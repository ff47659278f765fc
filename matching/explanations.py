"""Plain-words breakdowns of fit scores, for mentees and directors.

Each criterion's points are computed by the same scoring functions as the score itself
(`criterion_values`), so a breakdown always adds up to the score shown beside it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from matching.features import MatchingFeatures
from matching.scoring import CRITERIA, StageMode, criterion_values, validate_weights

LABELS = {
    "needs": "Need areas",
    "roles": "Mentor roles",
    "interests": "Shared interests",
    "career_stage": "Career stage",
    "experience": "Mentoring experience",
    "communication": "Communication",
    "time_zone": "Time zones",
    "locality": "Local or remote",
}
MODE_WORDS = {
    "in_person": "meeting in person",
    "video": "video",
    "phone": "phone",
    "email": "email",
    "messaging": "messaging",
}
ROLE_WORDS = {
    "teacher": "teacher",
    "sponsor": "sponsor",
    "advisor": "advisor",
    "agent": "agent",
    "role_model": "role model",
    "coach": "coach",
    "confidant": "confidant",
}


def explain_pairs(
    problem: Any,
    pairs: Sequence[tuple[int, int]],
    weights: Mapping[str, float] | None = None,
    *,
    mode: StageMode | str = StageMode.TRADITIONAL,
) -> list[list[dict[str, Any]]]:
    """For each (mentee index, mentor index), the criteria as dicts: criterion, label, points,
    max_points and a sentence. `problem` is a `matching.sources.Problem`."""
    if not pairs:
        return []
    full = validate_weights(weights)
    total_weight = sum(full.values())
    rows = np.array([i for i, _ in pairs])
    cols = np.array([j for _, j in pairs])
    values = criterion_values(problem.features, rows, cols, mode=mode)
    explained = []
    for k, (i, j) in enumerate(pairs):
        items = []
        for name in CRITERIA:
            weight = full[name]
            if weight <= 0:
                continue
            max_points = 100 * weight / total_weight
            items.append(
                {
                    "criterion": name,
                    "label": LABELS[name],
                    "points": round(float(values[name][k]) * max_points, 1),
                    "max_points": round(max_points, 1),
                    "sentence": SENTENCES[name](problem, i, j, StageMode(mode)),
                }
            )
        explained.append(items)
    return explained


def _names(labels: Sequence[str], mask: np.ndarray, words: Mapping[str, str]) -> list[str]:
    return [words.get(labels[k], labels[k]) for k in np.flatnonzero(mask)]


def _listed(names: list[str], limit: int = 4) -> str:
    shown = names[:limit]
    more = len(names) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _needs(problem: Any, i: int, j: int, mode: StageMode) -> str:
    f: MatchingFeatures = problem.features
    wanted = f.need_weights[i] > 0
    if not wanted.any():
        return "No need areas listed yet in the self-evaluation, so this counts as neutral."
    covered = wanted & f.mentor_areas[j]
    names = _names(f.area_labels, covered, problem.area_names)
    if not covered.any():
        return f"Offers none of your {int(wanted.sum())} need areas."
    return f"Covers {int(covered.sum())} of your {int(wanted.sum())} need areas ({_listed(names)})."


def _roles(problem: Any, i: int, j: int, mode: StageMode) -> str:
    f = problem.features
    wanted = f.roles_wanted[i]
    if not wanted.any():
        return "You did not ask for particular mentor roles."
    offered = wanted & f.mentor_roles[j]
    if not offered.any():
        return "Offers none of the mentor roles you want."
    names = _names(f.role_labels, offered, ROLE_WORDS)
    return f"Glad to be your {_listed(names)} — {int(offered.sum())} of the {int(wanted.sum())} roles you want."


def _interests(problem: Any, i: int, j: int, mode: StageMode) -> str:
    f = problem.features
    shared = f.mentee_topics[i] & f.mentor_topics[j]
    count = int(shared.sum())
    if count == 0:
        return "No shared interests or expertise listed."
    names = _names(f.topic_labels, shared, problem.topic_names)
    return f"Shares {count} interest{'s' if count != 1 else ''}: {_listed(names)}."


def _career_stage(problem: Any, i: int, j: int, mode: StageMode) -> str:
    f = problem.features
    gap = round(float(f.mentor_career_years[j] - f.mentee_career_years[i]))
    if mode == StageMode.PEER:
        if abs(gap) <= 3:
            return "At a similar career stage — a good peer."
        return f"{abs(gap)} years apart in career stage — further apart than peers usually are."
    if gap <= 0:
        return "Not ahead of you in career stage — better suited to peer mentoring."
    if gap < 8:
        return f"{gap} year{'s' if gap != 1 else ''} ahead — close to a peer."
    if gap <= 15:
        return f"{gap} years ahead — about half a generation, the distance that tends to work best."
    return f"{gap} years ahead — experienced, though further ahead than is usually ideal."


def _experience(problem: Any, i: int, j: int, mode: StageMode) -> str:
    f = problem.features
    prior = int(f.mentor_prior_mentees[j])
    years = round(float(f.mentor_mentoring_years[j]))
    if prior or years:
        people = "person" if prior == 1 else "people"
        sentence = f"Has mentored {prior} {people} over {years} year{'s' if years != 1 else ''}"
    else:
        sentence = "New to mentoring"
    if f.mentor_trained[j]:
        sentence += "; completed mentor training"
    return sentence + "."


def _communication(problem: Any, i: int, j: int, mode: StageMode) -> str:
    f = problem.features
    ranked = np.argsort(-f.mentee_modes[i], kind="stable")
    for k in ranked:
        if f.mentee_modes[i][k] <= 0:
            break
        if f.mentor_modes[j][k]:
            return f"Prefers {MODE_WORDS.get(f.mode_labels[k], f.mode_labels[k])}, as you do."
    if not (f.mentee_modes[i] > 0).any():
        return "You have not said how you like to communicate."
    return "No way of communicating in common yet."


def _same_place(problem: Any, i: int, j: int) -> bool:
    f = problem.features
    return bool(f.mentee_institution[i] == f.mentor_institution[j])


def _time_zone(problem: Any, i: int, j: int, mode: StageMode) -> str:
    f = problem.features
    hours = abs(float(f.mentee_utc_offset[i] - f.mentor_utc_offset[j]))
    hours = min(hours, 24 - hours)
    if _same_place(problem, i, j) and hours < 1:
        return "Same institution and time zone."
    if hours < 1:
        return "Same time zone."
    shown = f"{hours:.1f}".rstrip("0").rstrip(".")
    return f"{shown} h time-zone difference."


def _locality(problem: Any, i: int, j: int, mode: StageMode) -> str:
    f = problem.features
    specific = (f.need_weights[i] > 0) & f.institution_specific
    names = _names(f.area_labels, specific, problem.area_names)
    if _same_place(problem, i, j):
        if names:
            return f"Same institution — good for {_listed(names)}."
        return "Same institution."
    if names:
        return f"Works at another institution — less placed to help with {_listed(names)}."
    return "Works at another institution — a remote mentor."


SENTENCES = {
    "needs": _needs,
    "roles": _roles,
    "interests": _interests,
    "career_stage": _career_stage,
    "experience": _experience,
    "communication": _communication,
    "time_zone": _time_zone,
    "locality": _locality,
}
