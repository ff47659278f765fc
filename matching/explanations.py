"""Breakdowns for pages and stored suggestions: `matching.engine.explain` with the database's names.

The pure explainer speaks in the feature labels; the database's labels are slugs and topic ids,
so the features are relabelled (a shallow copy: the arrays are shared) before explaining."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from matching.engine import explain
from matching.engine.scoring import StageMode

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


def explain_pairs(
    problem: Any,
    pairs: Sequence[tuple[int, int]],
    weights: Mapping[str, float] | None = None,
    *,
    mode: StageMode | str = StageMode.TRADITIONAL,
    about_the_mentee: bool = False,
) -> list[list[dict[str, Any]]]:
    """For each (mentee index, mentor index): criterion, label, points, max_points, sentence —
    JSON-ready, for storing with a suggestion. Criteria weighted 0 are left out. Sentences speak
    to the mentee ("your need areas") unless ``about_the_mentee`` (director and mentor screens:
    "the mentee's need areas")."""
    voice = explain.about_the_mentee if about_the_mentee else str
    if not pairs:
        return []
    f = problem.features
    named = replace(
        f,
        area_labels=tuple(problem.area_names.get(a, a) for a in f.area_labels),
        topic_labels=tuple(problem.topic_names.get(t, t) for t in f.topic_labels),
    )
    return [
        [
            {
                "criterion": item.criterion,
                "label": LABELS[item.criterion],
                "points": min(round(item.points, 1), round(item.max_points, 1)),
                "max_points": round(item.max_points, 1),
                "sentence": voice(item.sentence),
            }
            for item in explanation.items
            if item.max_points > 0
        ]
        for explanation in explain.explain_pairs(named, pairs, weights, mode=mode)
    ]


def unmatched_reason_words(code: str) -> str:
    """What an unmatched person's reason code means, in the words the run page shows."""
    return {
        "no_eligible_mentor": "no mentor in the program may be paired with them",
        "capacity_exhausted": "every suitable mentor is full",
        "zero_score_only": "the only mentors with room are no fit at all",
        "already_on_board": "the only mentors with room are already on their board",
        "no_eligible_peer": "no peer may be paired with them",
        "not_paired": "every suitable peer was paired with a closer fit (or an odd number)",
        "too_few_mentees": "too few mentees to form a group",
        "no_compatible_group": "no group could take them",
        "no_self_evaluation": "has not submitted a self-evaluation (matched on profile only)",
    }.get(code, code)


def group_breakdown(
    problem: Any, members: Sequence[int], weights: Mapping[str, float] | None = None
) -> tuple[float, list[dict[str, Any]]]:
    """A peer group's score and its breakdown, which add up: each criterion's points are its
    mean over every ordered pair of members (peer scoring), and the score is the sum of those
    points as shown (rounded to one decimal) — the mean affinity over the group's pairs."""
    pairs = [(a, b) for a in members for b in members if a != b]
    if not pairs:
        return 0.0, []
    per_pair = explain_pairs(problem, pairs, weights, mode=StageMode.PEER, about_the_mentee=True)
    breakdown = []
    for k, first in enumerate(per_pair[0]):
        points = [items[k]["points"] for items in per_pair]
        mean = sum(points) / len(points)
        breakdown.append(
            {
                "criterion": first["criterion"],
                "label": first["label"],
                "points": min(round(mean, 1), first["max_points"]),
                "max_points": first["max_points"],
                "sentence": (
                    f"Averaged over the group's {len(pairs) // 2} pairs of members "
                    f"(from {min(points):.0f} to {max(points):.0f} points)."
                    if len(pairs) > 2
                    else first["sentence"]
                ),
            }
        )
    return round(sum(item["points"] for item in breakdown), 1), breakdown
