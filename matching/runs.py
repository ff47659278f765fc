"""Solving one bulk-matching run: read the cohort, score, solve exactly, explain, and build the
suggestions and summary the director reviews. No writes here (`services` stores the result)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.utils import timezone

from matching.engine.blocks import assign_in_blocks
from matching.engine.groups import PEER_NEIGHBOURS, form_groups, pair_peers_at_scale, seniority
from matching.engine.scoring import RowScorer, StageMode, score_mosaic, score_pairs
from matching.engine.solvers import (
    PEER_PAIRING_LIMIT,
    Assignment,
    assign_mosaic,
    assign_with_capacities,
    pair_peers,
)
from matching.explanations import explain_pairs, group_breakdown, unmatched_reason_words
from matching.models import MatchRun, MatchSuggestion, RunMode
from matching.sources import Problem, load_problem
from programs.models import FacultyProfile
from programs.models.relationships import GROUP_SIZE

Progress = Callable[[int, str], None]


@dataclass
class Outcome:
    suggestions: list[MatchSuggestion] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


def solve_run(run: MatchRun, *, progress: Progress) -> Outcome:
    started = time.perf_counter()
    phases: list[list[Any]] = []

    def timed(percent: int, message: str) -> None:
        # Phase timings go into the summary, for curious directors and for the bench.
        now = time.perf_counter()
        if phases:
            phases[-1][1] = round(now - phases[-1][1], 3)
        phases.append([message, now])
        progress(percent, message)

    timed(5, "Reading the cohort…")
    solver = {
        RunMode.ONE_TO_ONE: _one_to_one,
        RunMode.MOSAIC: _mosaic,
        RunMode.PEER: _peers,
        RunMode.PEER_GROUPS: _groups,
        RunMode.MASTERMIND: _groups,
    }[RunMode(run.mode)]
    outcome = solver(run, timed)
    phases[-1][1] = round(time.perf_counter() - phases[-1][1], 3)
    outcome.summary["phases"] = phases
    outcome.summary["seconds"] = round(time.perf_counter() - started, 2)
    _name_unmatched(outcome.summary)
    return outcome


def _one_to_one(run: MatchRun, progress: Progress) -> Outcome:
    waiting, already = _waiting_mentees(run)
    problem = load_problem(program=run.program, cohort=run.cohort, mentee_ids=waiting)
    summary = _counts(problem, already_matched=already)
    if not _can_run(problem, summary):
        return Outcome(summary=summary)
    progress(30, f"Scoring {summary['mentees']} × {summary['mentors']} pairs…")
    solving = _solver_progress(
        progress,
        "Finding the assignment with the highest total fit",
        summary["mentees"] * summary["mentors"],
    )
    if _in_blocks(run, problem):
        result = _assign_in_blocks(run, problem, solving)
        pins: list[tuple[int, int]] = []
        chosen = dict(zip(result.pairs(), result.scores.tolist(), strict=True))
        score_of: Callable[[int, int], float] = lambda i, j: chosen[(i, j)]  # noqa: E731
    else:
        scored = score_pairs(problem.features, run.weights)
        pins = _pins(problem, scored.eligible, summary)
        result = assign_with_capacities(
            scored.scores,
            scored.eligible,
            problem.features.mentor_capacity,
            pins=pins,
            maximise_matched_first=run.maximise_matched_first,
            on_progress=solving,
            time_limit=_time_limit(),
        )
        score_of = lambda i, j: float(scored.scores[i, j])  # noqa: E731
    _note_time_limit(result.timed_out, summary)
    progress(80, "Explaining each suggestion…")
    pairs = result.pairs()
    breakdowns = explain_pairs(problem, pairs, run.weights, about_the_mentee=True)
    pinned = set(pins)
    suggestions = [
        MatchSuggestion(
            run=run,
            mentee_id=problem.mentee_ids[i],
            mentor_id=problem.mentor_ids[j],
            score=score_of(i, j),
            breakdown=breakdown,
            is_pinned=(i, j) in pinned,
        )
        for (i, j), breakdown in zip(pairs, breakdowns, strict=True)
    ]
    summary.update(
        matched=len(pairs),
        total_score=round(result.total, 1),
        mean_score=round(result.total / len(pairs), 1) if pairs else None,
        proven_optimal=result.proven_optimal,
        unmatched=_unmatched(problem, result.unmatched),
    )
    return Outcome(suggestions, summary)


BLOCKS_FROM_PAIRS = 100_000_000
"""From this many pairs (a consortium: 10,000 mentees × 10,000 mentors) a one-to-one run
without pins or "match as many as possible first" is scored a block of mentees at a time
(:func:`blocks.assign_in_blocks`) instead of holding every pair's score at once."""


def _in_blocks(run: MatchRun, problem: Problem) -> bool:
    pairs = problem.features.n_mentees * problem.features.n_mentors
    return pairs >= BLOCKS_FROM_PAIRS and not problem.pins and not run.maximise_matched_first


def _assign_in_blocks(
    run: MatchRun, problem: Problem, solving: Callable[[float, str], None]
) -> Assignment:
    scorer = RowScorer(problem.features, run.weights)
    return assign_in_blocks(
        scorer,
        scorer.shape,
        problem.features.mentor_capacity,
        on_progress=solving,
        time_limit=_time_limit(),
    )


def _mosaic(run: MatchRun, progress: Progress) -> Outcome:
    problem = load_problem(program=run.program, cohort=run.cohort)
    summary = _counts(problem)
    covered = _covered_areas(run)
    areas = list(run.areas.order_by("order", "name"))
    summary["areas"] = [a.name for a in areas]
    if not _can_run(problem, summary):
        return Outcome(summary=summary)
    labels = list(problem.features.area_labels)
    seats = np.array([labels.index(a.slug) for a in areas if a.slug in labels], dtype=np.int64)
    mentee_areas = np.tile(seats, (problem.features.n_mentees, 1))
    # A seat whose need area already has a mentor on this mentee's board stays empty.
    for i, pk in enumerate(problem.mentee_ids):
        for seat, area in enumerate(seats):
            if (pk, labels[int(area)]) in covered:
                mentee_areas[i, seat] = -1
    progress(
        30, f"Scoring {summary['mentees']} × {len(seats)} seats × {summary['mentors']} mentors…"
    )
    area_scores, eligible = score_mosaic(problem.features, mentee_areas, run.weights)
    rows, columns = problem.mentee_index(), problem.mentor_index()
    for mentee, mentor in _current_pairs(run):
        if mentee in rows and mentor in columns:
            eligible[rows[mentee], :, columns[mentor]] = False  # already on this board
    solving = _solver_progress(
        progress, "Finding the boards with the highest total fit", area_scores.size
    )
    result = assign_mosaic(
        area_scores,
        eligible,
        problem.features.mentor_capacity,
        mentee_areas,
        maximise_matched_first=run.maximise_matched_first,
        on_progress=solving,
        time_limit=_time_limit(),
    )
    _note_time_limit(result.timed_out, summary)
    progress(80, "Explaining each suggestion…")
    pairs = list(zip(result.mentee.tolist(), result.mentor.tolist(), strict=True))
    breakdowns = explain_pairs(problem, pairs, run.weights, about_the_mentee=True)
    by_slug = {a.slug: a for a in areas}
    suggestions = [
        MatchSuggestion(
            run=run,
            mentee_id=problem.mentee_ids[i],
            mentor_id=problem.mentor_ids[j],
            area=by_slug[labels[int(area)]],
            score=float(score),
            breakdown=breakdown,
        )
        for (i, j), area, score, breakdown in zip(
            pairs, result.area, result.scores, breakdowns, strict=True
        )
    ]
    unfilled: dict[int, list[str]] = {}
    for (i, seat), reason in result.unfilled.items():
        unfilled.setdefault(i, []).append(f"{areas[seat].name}: {reason}")
    summary.update(
        matched=len({i for i, _ in pairs}),
        seats_filled=len(pairs),
        seats=int(len(seats) * problem.features.n_mentees),
        total_score=round(result.total, 1),
        mean_score=round(result.total / len(pairs), 1) if pairs else None,
        proven_optimal=result.proven_optimal,
        unmatched=[
            {"person": problem.mentee_ids[i], "reason": "; ".join(reasons)}
            for i, reasons in sorted(unfilled.items())
        ],
    )
    return Outcome(suggestions, summary)


def _peers(run: MatchRun, progress: Progress) -> Outcome:
    waiting, already = _waiting_mentees(run)
    problem = load_problem(program=run.program, cohort=run.cohort, mentee_ids=waiting, peers=True)
    summary = _counts(problem, already_matched=already)
    summary["mentors"] = summary["mentees"]
    if summary["mentees"] < 2:
        summary["message"] = "Peer pairs need at least two mentees in the cohort."
        summary["unmatched"] = _unmatched(
            problem, dict.fromkeys(range(summary["mentees"]), "no_eligible_peer")
        )
        return Outcome(summary=summary)
    progress(30, f"Scoring {summary['mentees']} peers against each other…")
    scored = score_pairs(problem.features, run.weights, mode=StageMode.PEER)
    progress(55, "Pairing peers for the highest total fit…")
    exact = summary["mentees"] <= PEER_PAIRING_LIMIT
    if exact:
        result = pair_peers(scored.scores, scored.eligible)
    else:
        # Large cohorts: optimal over each peer's best candidates (time grows linearly).
        result = pair_peers_at_scale(scored.scores, scored.eligible)
    progress(80, "Explaining each pair…")
    breakdowns = explain_pairs(
        problem, result.pairs, run.weights, mode=StageMode.PEER, about_the_mentee=True
    )
    suggestions = [
        MatchSuggestion(
            run=run,
            mentee_id=problem.mentee_ids[a],
            mentor_id=problem.mentor_ids[b],
            score=float(weight),
            breakdown=breakdown,
        )
        for (a, b), weight, breakdown in zip(result.pairs, result.weights, breakdowns, strict=True)
    ]
    summary.update(
        matched=2 * len(result.pairs),
        total_score=round(result.total, 1),
        mean_score=round(result.total / len(result.pairs), 1) if result.pairs else None,
        proven_optimal=exact,
        scaled=None if exact else PEER_NEIGHBOURS,
        unmatched=_unmatched(problem, result.unpaired),
    )
    return Outcome(suggestions, summary)


def _groups(run: MatchRun, progress: Progress) -> Outcome:
    """Facilitated peer groups (a senior facilitator each) or, in mastermind mode, peer groups
    without one; both formed by `matching.engine.groups.form_groups`."""
    facilitated = run.mode == RunMode.PEER_GROUPS
    waiting, already = _waiting_mentees(run)
    peers = load_problem(program=run.program, cohort=run.cohort, mentee_ids=waiting, peers=True)
    summary = _counts(peers, already_matched=already)
    summary.pop("places")
    progress(25, "Scoring mentees against each other…")
    peer_scores = score_pairs(peers.features, run.weights, mode=StageMode.PEER)
    options: dict[str, Any] = {}
    facilitators = None
    if facilitated:
        facilitators = load_problem(program=run.program, cohort=run.cohort, mentee_ids=waiting)
        summary["mentors"] = len(facilitators.mentor_ids)
        progress(45, "Scoring facilitators and checking who is senior to whom…")
        options = _facilitator_options(run, peers, facilitators)
    else:
        summary["mentors"] = 0
    low, high = GROUP_SIZE
    progress(60, f"Forming groups of {low}–{high}…")
    result = form_groups(
        peer_scores.scores, peer_scores.eligible, min_size=low, max_size=high, **options
    )
    progress(80, "Explaining each group…")
    suggestions = []
    for number, (members, facilitator) in enumerate(
        zip(result.groups, result.facilitators, strict=True), start=1
    ):
        score, breakdown = group_breakdown(peers, members, run.weights)
        mentor_id = (
            facilitators.mentor_ids[facilitator] if facilitators and facilitator >= 0 else None
        )
        suggestions += [
            MatchSuggestion(
                run=run,
                mentee_id=peers.mentee_ids[i],
                mentor_id=mentor_id,
                group=number,
                score=score,
                breakdown=breakdown,
            )
            for i in members
        ]
    unfacilitated = len(result.unfacilitated)
    if unfacilitated:
        summary["warnings"].append(
            f"{unfacilitated} group{'s' if unfacilitated != 1 else ''} found no facilitator "
            "who is eligible, senior enough to every member and has a place: choose one for "
            f"{'them' if unfacilitated != 1 else 'it'} below, or remove "
            f"{'them' if unfacilitated != 1 else 'it'} before publishing."
        )
    summary.update(
        groups=len(result.groups),
        matched=sum(len(g) for g in result.groups),
        unfacilitated=unfacilitated,
        mean_score=(
            round(float(np.mean([s.score for s in suggestions])), 1) if suggestions else None
        ),
        proven_optimal=False,
        heuristic=True,
        unmatched=_unmatched(peers, result.leftovers),
    )
    return Outcome(suggestions, summary)


def _facilitator_options(run: MatchRun, peers: Problem, facilitators: Problem) -> dict[str, Any]:
    """Scores, eligibility, capacity and seniority of the facilitators, for `form_groups`."""
    n = len(peers.mentee_ids)
    if not facilitators.mentor_ids or facilitators.mentee_ids != peers.mentee_ids:
        return {
            "facilitator_scores": np.zeros((n, 0)),
            "facilitator_eligible": np.zeros((n, 0), bool),
            "facilitator_capacity": np.zeros(0, np.int64),
        }
    scored = score_pairs(facilitators.features, run.weights)
    standing = _standing([*peers.mentee_ids, *facilitators.mentor_ids])
    member_rank, member_years = (
        np.array(v) for v in zip(*(standing[p] for p in peers.mentee_ids), strict=True)
    )
    fac_rank, fac_years = (
        np.array(v) for v in zip(*(standing[p] for p in facilitators.mentor_ids), strict=True)
    )
    senior = seniority(
        member_rank,
        member_years,
        fac_rank,
        fac_years,
        rank_gap=run.program.facilitator_rank_gap,
        years_gap=run.program.facilitator_years_gap,
    )
    index = peers.mentee_index()
    return {
        "facilitator_scores": scored.scores,
        "facilitator_eligible": scored.eligible,
        "facilitator_capacity": facilitators.features.mentor_capacity,
        "senior": senior,
        "facilitator_member": [index.get(pk, -1) for pk in facilitators.mentor_ids],
    }


def _standing(people: list[int]) -> dict[int, tuple[int, int]]:
    """(rank order, years on the faculty) per person; -1 where unknown (one query)."""
    this_year = timezone.localdate().year
    rows = FacultyProfile.objects.filter(pk__in=people).values_list(
        "pk", "rank__order", "year_joined_faculty"
    )
    return {
        pk: (-1 if rank is None else rank, -1 if joined is None else max(0, this_year - joined))
        for pk, rank, joined in rows
    }


# --- helpers ----------------------------------------------------------------------------------

SECONDS_PER_PAIR = 2e-7
"""The exact solvers' cost per (mentee, seat, mentor) on the 2-core reference machine, from
``bench/bench_exact.py`` (about 2–5 s for 10,000 x 2,000 pairs under load); for estimates only."""


def _solver_progress(progress: Progress, what: str, pairs: int) -> Callable[[float, str], None]:
    """Progress of the solver, shown between 55 % and 80 %, with an estimate of the time."""
    estimate = max(1, round(1 + pairs * SECONDS_PER_PAIR))
    progress(55, f"{what} (usually about {estimate} s)…")

    def solver_step(fraction: float, message: str) -> None:
        progress(55 + int(25 * fraction), f"{what}: {message[0].lower()}{message[1:]}…")

    return solver_step


def _time_limit() -> float:
    from django.conf import settings

    return float(getattr(settings, "MATCHING_TIME_LIMIT_SECONDS", 300))


def _note_time_limit(timed_out: bool, summary: dict[str, Any]) -> None:
    if timed_out:
        summary["warnings"].append(
            f"The time limit ({_time_limit():.0f} s) was reached before this proposal could be "
            "proven the best possible. It is the best found so far and respects every rule; "
            "run it again later, or with fewer people, for a proven optimum."
        )


def _waiting_mentees(run: MatchRun) -> tuple[list[int], int]:
    """Active mentees of the cohort with no open relationship in the program yet (an intake
    run matches those who wait; a board grows through mosaic runs), and how many were left out."""
    from programs.models import MENTEE_ROLES, MembershipStatus, RelationshipMember
    from programs.models.relationships import OPEN_STAGES, RECEIVING_SIDES

    members = run.program.memberships.filter(role__in=MENTEE_ROLES, status=MembershipStatus.ACTIVE)
    if run.cohort_id:
        members = members.filter(cohort_id=run.cohort_id)
    everyone = list(members.values_list("person_id", flat=True))
    matched = set(
        RelationshipMember.objects.filter(
            person_id__in=everyone,
            side__in=RECEIVING_SIDES,
            left_at__isnull=True,
            relationship__program=run.program,
            relationship__stage__in=OPEN_STAGES,
        ).values_list("person_id", flat=True)
    )
    return [pk for pk in everyone if pk not in matched], len(matched)


def _covered_areas(run: MatchRun) -> set[tuple[int, str]]:
    """(mentee, need-area slug) pairs that already have an open relationship in the program."""
    from programs.models import RelationshipMember
    from programs.models.relationships import OPEN_STAGES, RECEIVING_SIDES

    return set(
        RelationshipMember.objects.filter(
            side__in=RECEIVING_SIDES,
            left_at__isnull=True,
            relationship__program=run.program,
            relationship__stage__in=OPEN_STAGES,
            relationship__focus_area__isnull=False,
        ).values_list("person_id", "relationship__focus_area__slug")
    )


def _current_pairs(run: MatchRun) -> set[tuple[int, int]]:
    """(mentee, mentor) pairs with an open relationship in the program."""
    from programs.models import RelationshipMember
    from programs.models.relationships import GUIDING_SIDES, OPEN_STAGES, RECEIVING_SIDES

    members = RelationshipMember.objects.filter(
        left_at__isnull=True,
        relationship__program=run.program,
        relationship__stage__in=OPEN_STAGES,
    ).values_list("relationship_id", "person_id", "side")
    receiving: dict[int, list[int]] = {}
    guiding: dict[int, list[int]] = {}
    for relationship, person, side in members:
        if side in RECEIVING_SIDES:
            receiving.setdefault(relationship, []).append(person)
        elif side in GUIDING_SIDES:
            guiding.setdefault(relationship, []).append(person)
    return {
        (mentee, mentor)
        for relationship, mentees in receiving.items()
        for mentee in mentees
        for mentor in guiding.get(relationship, [])
    }


def _counts(problem: Problem, *, already_matched: int = 0) -> dict[str, Any]:
    f = problem.features
    return {
        "already_matched": already_matched,
        "mentees": f.n_mentees,
        "mentors": f.n_mentors,
        "places": int(f.mentor_capacity.sum()) if f.n_mentors else 0,
        "without_self_evaluation": len(problem.without_self_evaluation),
        "warnings": [],
    }


def _can_run(problem: Problem, summary: dict[str, Any]) -> bool:
    if not problem.mentee_ids:
        summary["message"] = "There are no active mentees in this cohort."
        summary["unmatched"] = []
        return False
    if not problem.mentor_ids or summary["places"] == 0:
        summary["message"] = (
            "No mentor in this program has a place free, so nobody could be matched. Add mentors, "
            "raise capacities or un-pause mentors, then run again."
        )
        summary["unmatched"] = [
            {"person": pk, "reason": "no mentor has a place free"} for pk in problem.mentee_ids
        ]
        return False
    if summary["places"] < summary["mentees"]:
        summary["warnings"].append(
            f"There are {summary['mentees']} mentees but only {summary['places']} places with "
            "mentors: some mentees will stay unmatched (listed below with the reason)."
        )
    return True


def _pins(problem: Problem, eligible: np.ndarray, summary: dict[str, Any]) -> list[tuple[int, int]]:
    mentee_index, mentor_index = problem.mentee_index(), problem.mentor_index()
    pins, used = [], np.zeros(len(problem.mentor_ids), np.int64)
    for mentee, mentor in problem.pins:
        i, j = mentee_index.get(mentee), mentor_index.get(mentor)
        if i is None or j is None:
            continue
        if not eligible[i, j] or used[j] >= problem.features.mentor_capacity[j]:
            names = {
                person.pk: person.display_name
                for person in FacultyProfile.objects.filter(pk__in=[mentee, mentor]).select_related(
                    "user"
                )
            }
            summary["warnings"].append(
                f"The pinned pair of {names.get(mentee, 'a mentee')} with "
                f"{names.get(mentor, 'a mentor')} could not be kept: the pair is excluded or "
                "the mentor has no place left."
            )
            continue
        used[j] += 1
        pins.append((i, j))
    return pins


def _unmatched(problem: Problem, reasons: dict[int, str]) -> list[dict[str, Any]]:
    return [
        {"person": problem.mentee_ids[i], "reason": reason} for i, reason in sorted(reasons.items())
    ]


def _name_unmatched(summary: dict[str, Any]) -> None:
    people = {row["person"] for row in summary.get("unmatched", [])}
    names = {
        p.pk: p.display_name
        for p in FacultyProfile.objects.filter(pk__in=people).select_related("user")
    }
    for row in summary.get("unmatched", []):
        row["name"] = names.get(row["person"], "")
        row["reason"] = "; ".join(_reason_words(part) for part in row["reason"].split("; "))


def _reason_words(part: str) -> str:
    """A reason code in words; mosaic reasons come per seat, as "Area: code"."""
    area, _, code = part.rpartition(": ")
    words = unmatched_reason_words(code)
    return f"{area}: {words}" if area else words
