"""Group formation: facilitated peer groups, peer "mastermind" groups, peer pairs at scale.

Pure numpy/scipy (no Django). Two mentees may share a group only if they are eligible both ways;
their affinity is the mean of their two directed scores. A member's *fit* is their mean affinity
to the others in their group, and a group's *score* is the mean of its members' fits (for a
symmetric affinity, the mean affinity over the group's pairs). Grouping maximises the sum of the
members' fits — a group of four with score 70 counts 280.

Forming groups is NP-hard (it generalises clique partitioning), so :func:`form_groups` is a
documented deterministic heuristic, and :func:`grouping_upper_bound` gives an upper bound from
the LP relaxation (HiGHS), with triangle cuts, so the bench can print how far from the best
possible a grouping can at most be.

Facilitators (facilitated groups) are then assigned exactly (:func:`assign_with_capacities`): a
facilitator may lead a group only if eligible for, and senior enough to, every member
(:func:`seniority`), and a person placed as a member of a group never facilitates another.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from matching.engine.common import PeerPairing, pair_on_edges
from matching.engine.solvers import (
    FACILITATORS_FULL,
    NO_COMPATIBLE_GROUP,
    NO_ELIGIBLE_FACILITATOR,
    NO_ELIGIBLE_MENTOR,
    TOO_FEW_MENTEES,
    assign_with_capacities,
    quantise,
)

NOT_SENIOR_ENOUGH = "no_senior_facilitator"
"""A group none of whose eligible facilitators is senior enough to every member."""

_EPS = 1e-9
PERTURBATION_ROUNDS = 80
PERTURBATION_SECONDS = 60.0
"""Iterated local search stops after this many rounds per restart or CPU seconds in all,
whichever comes first (the rounds make small and medium cohorts reproducible; the seconds
bound a very large one)."""
RESTARTS = 3
"""Iterated local search restarts from the recombined grouping while recombining improves it."""
PEER_NEIGHBOURS = 40
"""Above the exact peer-pairing limit, each peer keeps this many best partners as candidates."""


# --- seniority ----------------------------------------------------------------------------------


def seniority(
    member_rank: np.ndarray,
    member_years: np.ndarray,
    facilitator_rank: np.ndarray,
    facilitator_years: np.ndarray,
    *,
    rank_gap: int,
    years_gap: int,
) -> np.ndarray:
    """``senior[i, f]``: facilitator ``f`` is senior to member ``i`` — at least ``rank_gap`` ranks
    above (rank orders, 1 the most junior) or at least ``years_gap`` more career years. A
    missing rank or year (encoded as a negative number) proves nothing on that count; when
    neither can be compared (the profiles are incomplete) the pair is not refused, since the
    rule cannot judge it — directors see the ranks on the proposal."""
    m_rank, f_rank = np.asarray(member_rank, float), np.asarray(facilitator_rank, float)
    m_years, f_years = np.asarray(member_years, float), np.asarray(facilitator_years, float)
    known_rank = (m_rank[:, None] >= 0) & (f_rank[None, :] >= 0)
    known_years = (m_years[:, None] >= 0) & (f_years[None, :] >= 0)
    by_rank = known_rank & (f_rank[None, :] - m_rank[:, None] >= rank_gap)
    by_years = known_years & (f_years[None, :] - m_years[:, None] >= years_gap)
    unknown = ~(known_rank | known_years)
    return np.asarray(by_rank | by_years | unknown, dtype=bool)


def is_senior(
    member_rank: int | None,
    member_years: int | None,
    facilitator_rank: int | None,
    facilitator_years: int | None,
    *,
    rank_gap: int,
    years_gap: int,
) -> bool:
    """:func:`seniority` for one member and one facilitator (``None``: unknown)."""

    def code(value: int | None) -> float:
        return -1.0 if value is None else float(value)

    return bool(
        seniority(
            np.array([code(member_rank)]),
            np.array([code(member_years)]),
            np.array([code(facilitator_rank)]),
            np.array([code(facilitator_years)]),
            rank_gap=rank_gap,
            years_gap=years_gap,
        )[0, 0]
    )


# --- forming groups -------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Groups:
    """Result of :func:`form_groups`.

    ``groups`` lists member indices per group (sorted); ``facilitators[g]`` is group ``g``'s
    facilitator or -1 (``unfacilitated[g]`` says why; always -1 without facilitators);
    ``scores[g]`` the group's score; ``fits[i]`` each placed member's fit; ``leftovers`` maps
    each mentee not placed to a reason code; ``objective`` is the sum of the members' fits."""

    groups: list[list[int]]
    facilitators: list[int]
    scores: list[float]
    fits: dict[int, float]
    leftovers: dict[int, str]
    unfacilitated: dict[int, str]
    objective: float


def peer_affinity(scores: np.ndarray, eligible: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric affinity (0 where two mentees may not share a group) and compatibility."""
    scores = np.asarray(scores, dtype=np.float64)
    n = scores.shape[0]
    if scores.shape != (n, n):
        raise ValueError("peer scores must be a square matrix")
    mask = np.asarray(eligible, dtype=bool)
    if mask.shape != (n, n):
        raise ValueError("eligibility must have the shape of the scores")
    compatible = mask & mask.T & ~np.eye(n, dtype=bool)
    if not np.isfinite(scores[compatible]).all() or (scores[compatible] < 0).any():
        raise ValueError("eligible scores must be finite and non-negative")
    affinity = np.where(compatible, (scores + scores.T) / 2, 0.0)
    return affinity, compatible


def form_groups(
    scores: np.ndarray,
    eligible: np.ndarray,
    *,
    min_size: int = 3,
    max_size: int = 5,
    facilitator_scores: np.ndarray | None = None,
    facilitator_eligible: np.ndarray | None = None,
    facilitator_capacity: np.ndarray | Sequence[int] | None = None,
    senior: np.ndarray | None = None,
    facilitator_member: np.ndarray | Sequence[int] | None = None,
    rounds: int = PERTURBATION_ROUNDS,
) -> Groups:
    """Groups of ``min_size``–``max_size`` mentees maximising the sum of members' fits.

    HEURISTIC, deterministic:

    1. Mentees with fewer than ``min_size - 1`` compatible peers can join no group.
    2. For each candidate number of groups (from as few as the size limit allows up to as many,
       capped by the facilitators' total capacity when groups are facilitated): seeds are
       chosen farthest-first, the hardest to place first; everyone else joins the compatible
       group with room where their mean affinity is highest (groups below ``min_size`` first).
    3. Best-improvement local search over every move of one member to another group (or of a
       left-over mentee into a group) and every swap of two members, vectorised over all
       candidates at once, until no move or swap raises the objective.
    4. The best of the candidate group counts is kept, then improved by ``rounds`` of iterated
       local search: a few members (a fixed pseudo-random draw, so the result is reproducible)
       leave their groups, the local search places them again, and the grouping is kept if the
       objective rose. Groups still below ``min_size`` are finally dissolved.

    With facilitators (``facilitator_scores`` given: mentees × facilitators), each group gets the
    facilitator with the highest total mean score, exactly, among those eligible for and
    ``senior`` to every member, within ``facilitator_capacity`` groups each; a facilitator who
    is also a mentee (``facilitator_member[f]``, the mentee index or -1) and was placed in a
    group facilitates none.
    """
    affinity, compatible = peer_affinity(scores, eligible)
    affinity.shape[0]
    if min_size < 2 or max_size < min_size:
        raise ValueError("group sizes need 2 <= min_size <= max_size")
    degree = compatible.sum(axis=1)
    placeable = np.flatnonzero(degree >= min_size - 1)
    leftovers = dict.fromkeys(np.flatnonzero(degree < min_size - 1).tolist(), NO_COMPATIBLE_GROUP)
    facilitated = facilitator_scores is not None
    limit = None
    if facilitated:
        limit = int(
            np.asarray(facilitator_capacity if facilitator_capacity is not None else []).sum()
        )
    best: tuple[float, np.ndarray] | None = None
    for count in _group_counts(len(placeable), min_size, max_size, limit):
        label = _initial_groups(affinity, compatible, placeable, count, min_size, max_size)
        label = _local_search(affinity, compatible, label, count, min_size, max_size)
        value = _objective(affinity, label, count, min_size)
        if best is None or value > best[0] + _EPS:
            best = (value, label)
    if best is None:
        leftovers.update(dict.fromkeys(placeable.tolist(), TOO_FEW_MENTEES))
        return Groups([], [], [], {}, dict(sorted(leftovers.items())), {}, 0.0)
    label = _perturb_and_improve(affinity, compatible, best[1], min_size, max_size, rounds)
    groups = _dissolve_small(label, min_size, leftovers)
    fits = {i: _fit(affinity, i, g) for g in groups for i in g}
    scores_out = [float(np.mean([fits[i] for i in g])) for g in groups]
    facilitators: list[int] = [-1] * len(groups)
    unfacilitated: dict[int, str] = {}
    if facilitated:
        facilitators, unfacilitated = _assign_facilitators(
            groups,
            np.asarray(facilitator_scores, dtype=np.float64),
            facilitator_eligible,
            facilitator_capacity,
            senior,
            facilitator_member,
        )
    return Groups(
        groups=groups,
        facilitators=facilitators,
        scores=scores_out,
        fits=fits,
        leftovers=dict(sorted(leftovers.items())),
        unfacilitated=unfacilitated,
        objective=float(sum(fits.values())),
    )


def _group_counts(n: int, min_size: int, max_size: int, limit: int | None) -> list[int]:
    fewest, most = -(-n // max_size), n // min_size
    if limit is not None:
        most = min(most, limit)
    if most < 1 or fewest > most:
        return [most] if most >= 1 else []
    # A few counts across the range: the local search does the rest.
    steps = sorted({fewest, (fewest + most) // 2, most, fewest + (most - fewest) // 4})
    return [c for c in steps if fewest <= c <= most]


def _initial_groups(
    affinity: np.ndarray,
    compatible: np.ndarray,
    placeable: np.ndarray,
    count: int,
    min_size: int,
    max_size: int,
) -> np.ndarray:
    """Label per mentee (group index, or -1): farthest-first seeds, then greedy fill."""
    n = affinity.shape[0]
    label = np.full(n, -1, np.int64)
    degree = compatible.sum(axis=1)
    order = placeable[np.lexsort((placeable, degree[placeable]))]
    seeds = [int(order[0])]
    while len(seeds) < count:
        closeness = affinity[order][:, seeds].max(axis=1)
        closeness[np.isin(order, seeds)] = np.inf
        seeds.append(int(order[np.lexsort((order, degree[order], closeness))[0]]))
    for g, s in enumerate(seeds):
        label[s] = g
    sums = affinity[:, seeds].astype(np.float64)  # sum of affinity to each group's members
    fitting = compatible[:, seeds].astype(np.int64)  # compatible members of each group
    sizes = np.ones(count, np.int64)
    for person in order.tolist():
        if label[person] >= 0:
            continue
        room = (sizes < max_size) & (fitting[person] == sizes)
        if not room.any():
            continue
        key = np.where(room, sums[person] / sizes + 1e6 * (sizes < min_size), -np.inf)
        g = int(np.argmax(key))
        label[person] = g
        sizes[g] += 1
        sums[:, g] += affinity[:, person]
        fitting[:, g] += compatible[:, person]
    return label


def _local_search(
    affinity: np.ndarray,
    compatible: np.ndarray,
    label: np.ndarray,
    count: int,
    min_size: int,
    max_size: int,
    max_steps: int = 20_000,
) -> np.ndarray:
    """Best-improvement moves and swaps, every candidate scored at once with numpy.

    ``S[i, g]`` is i's total affinity to g's members and ``C[i, g]`` how many of them i is
    compatible with; a group's value is ``2 W_g / (k_g - 1)`` (W its total pair affinity), so
    each move's or swap's gain follows from S, C and the sizes alone."""
    n = affinity.shape[0]
    label = label.copy()
    onehot = np.zeros((n, count + 1))
    onehot[np.arange(n), np.where(label >= 0, label, count)] = 1
    onehot = onehot[:, :count]
    S = affinity @ onehot
    C = compatible.astype(np.float64) @ onehot
    sizes = onehot.sum(axis=0)
    W = 0.5 * (S * onehot).sum(axis=0)
    rows = np.arange(n)
    for _ in range(max_steps):
        value = _values(W, sizes, min_size)
        placed = label >= 0
        own = np.where(placed, label, 0)
        # Moves: i leaves its group a (or the leftovers) for group b.
        k_a = np.where(placed, sizes[own], 0)
        own_s = np.where(placed, S[rows, own], 0.0)
        left_value = np.where(
            placed, _value_of(W[own] - own_s, k_a - 1, min_size) - value[own], 0.0
        )
        join_value = _value_of(W[None, :] + S, sizes[None, :] + 1, min_size) - value[None, :]
        gain = left_value[:, None] + join_value
        allowed = (sizes[None, :] < max_size) & (sizes[None, :] == C)
        allowed &= ~(placed[:, None] & (k_a[:, None] <= min_size))
        allowed[rows[placed], own[placed]] = False
        gain = np.where(allowed, gain, -np.inf)
        move = np.unravel_index(int(np.argmax(gain)), gain.shape)
        best_move = gain[move]
        # Swaps: i in a and j in b exchange groups (sizes unchanged).
        swap_gain, swap = _best_swap(affinity, compatible, label, S, C, sizes, W, value, min_size)
        if max(best_move, swap_gain) <= 1e-7:
            break
        if best_move >= swap_gain:
            person, target = int(move[0]), int(move[1])
            _relabel(label, S, C, W, sizes, affinity, compatible, person, target)
        else:
            i, j = swap
            a, b = int(label[i]), int(label[j])
            _relabel(label, S, C, W, sizes, affinity, compatible, i, b)
            _relabel(label, S, C, W, sizes, affinity, compatible, j, a)
    return label


def _perturb_and_improve(
    affinity: np.ndarray,
    compatible: np.ndarray,
    label: np.ndarray,
    min_size: int,
    max_size: int,
    rounds: int,
) -> np.ndarray:
    count = int(label.max()) + 1 if (label >= 0).any() else 0
    if count == 0 or rounds <= 0:
        return label
    rng = np.random.default_rng(12)
    best, best_value = label, _objective(affinity, label, count, min_size)
    pool: set[tuple[int, ...]] = set(_groups_of(label, min_size))
    deadline = time.process_time() + PERTURBATION_SECONDS
    for _ in range(RESTARTS):
        best, best_value = _iterated_search(
            affinity,
            compatible,
            best,
            best_value,
            count,
            min_size,
            max_size,
            rounds,
            rng,
            pool,
            deadline,
        )
        combined = _recombine(affinity, best, best_value, sorted(pool), count)
        if combined is best:
            break
        combined = _local_search(affinity, compatible, combined, count, min_size, max_size)
        value = _objective(affinity, combined, count, min_size)
        if value <= best_value + 1e-7:
            break
        # Restart the perturbations from the recombined grouping: its groups came from
        # different local optima, so its neighbourhood is new ground.
        best, best_value = combined, value
        if time.process_time() > deadline:
            break
    return best


def _iterated_search(
    affinity: np.ndarray,
    compatible: np.ndarray,
    best: np.ndarray,
    best_value: float,
    count: int,
    min_size: int,
    max_size: int,
    rounds: int,
    rng: np.random.Generator,
    pool: set[tuple[int, ...]],
    deadline: float,
) -> tuple[np.ndarray, float]:
    """``rounds`` of: a few members (or whole groups) leave, the local search places them
    again, and the grouping is kept if the objective rose. Every group seen joins ``pool``."""
    placed = np.flatnonzero(best >= 0)
    eject = max(2, len(placed) // 25)
    for _ in range(rounds):
        if time.process_time() > deadline:
            break
        trial = best.copy()
        # Whole groups are broken up now and then, single members otherwise.
        if rng.random() < 0.5:
            broken = rng.choice(count, size=min(count, max(2, count // 20)), replace=False)
            trial[np.isin(trial, broken)] = -1
        else:
            trial[rng.choice(placed, size=min(eject, len(placed)), replace=False)] = -1
        trial = _local_search(affinity, compatible, trial, count, min_size, max_size)
        pool.update(_groups_of(trial, min_size))
        value = _objective(affinity, trial, count, min_size)
        if value > best_value + 1e-7:
            best, best_value = trial, value
            placed = np.flatnonzero(best >= 0)
    return best, best_value


def _groups_of(label: np.ndarray, min_size: int) -> list[tuple[int, ...]]:
    found = []
    for g in np.unique(label[label >= 0]).tolist():
        members = tuple(np.flatnonzero(label == g).tolist())
        if len(members) >= min_size:
            found.append(members)
    return found


def _recombine(
    affinity: np.ndarray,
    best: np.ndarray,
    best_value: float,
    pool: list[tuple[int, ...]],
    count: int,
) -> np.ndarray:
    """The best disjoint selection of at most ``count`` groups among every group seen in any
    local optimum (a set-packing integer program, HiGHS): good groups of different local optima
    combine. Never worse than the best local optimum, which is one such selection."""
    n = affinity.shape[0]
    values = np.array([affinity[np.ix_(g, g)].sum() / (len(g) - 1) for g in pool])
    r = [i for g in pool for i in g]
    c = [k for k, g in enumerate(pool) for _ in g]
    members = sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(n, len(pool)))
    constraints = [
        LinearConstraint(members, 0, 1),
        LinearConstraint(np.ones((1, len(pool))), 0, count),
    ]
    result = milp(
        -values,
        constraints=constraints,
        integrality=np.ones(len(pool)),
        bounds=Bounds(0, 1),
        options={"mip_rel_gap": 1e-6, "time_limit": 20.0},
    )
    if result.x is None or -float(result.fun) <= best_value + 1e-7:
        return best
    label = np.full(n, -1, np.int64)
    for g, k in enumerate(np.flatnonzero(result.x > 0.5).tolist()):
        label[list(pool[k])] = g
    return label


def _value_of(w: np.ndarray, k: np.ndarray, min_size: int) -> np.ndarray:
    """Group value 2W/(k-1); a group below ``min_size`` will be dissolved, so it is worth 0."""
    k = np.asarray(k, dtype=np.float64)
    safe = np.maximum(k - 1, 1)
    return np.where(k >= min_size, 2 * np.asarray(w) / safe, 0.0)


def _values(W: np.ndarray, sizes: np.ndarray, min_size: int) -> np.ndarray:
    return _value_of(W, sizes, min_size)


def _best_swap(
    affinity: np.ndarray,
    compatible: np.ndarray,
    label: np.ndarray,
    S: np.ndarray,
    C: np.ndarray,
    sizes: np.ndarray,
    W: np.ndarray,
    value: np.ndarray,
    min_size: int,
) -> tuple[float, tuple[int, int]]:
    members = np.flatnonzero(label >= 0)
    if len(members) < 2:
        return -np.inf, (-1, -1)
    g = label[members]
    a_ij = affinity[np.ix_(members, members)]
    s_own = S[members, g]  # i's sum to its own group
    s_other = S[np.ix_(members, g)]  # [i, j]: i's sum to j's group
    new_w_a = W[g][:, None] - s_own[:, None] + s_other.T - a_ij  # a = i's group, j joins
    new_w_b = W[g][None, :] - s_own[None, :] + s_other - a_ij
    k_a, k_b = sizes[g][:, None], sizes[g][None, :]
    gain = (
        _value_of(new_w_a, k_a, min_size)
        - value[g][:, None]
        + _value_of(new_w_b, k_b, min_size)
        - value[g][None, :]
    )
    c_ij = compatible[np.ix_(members, members)]
    c_other = C[np.ix_(members, g)]  # [i, j]: i's compatible members of j's group
    fits_a = (c_other.T - c_ij) == (k_a - 1)  # j fits a without i
    fits_b = (c_other - c_ij) == (k_b - 1)  # i fits b without j
    ok = fits_a & fits_b & (g[:, None] < g[None, :])
    gain = np.where(ok, gain, -np.inf)
    flat = int(np.argmax(gain))
    i, j = np.unravel_index(flat, gain.shape)
    return float(gain[i, j]), (int(members[i]), int(members[j]))


def _relabel(
    label: np.ndarray,
    S: np.ndarray,
    C: np.ndarray,
    W: np.ndarray,
    sizes: np.ndarray,
    affinity: np.ndarray,
    compatible: np.ndarray,
    person: int,
    target: int,
) -> None:
    old = int(label[person])
    if old >= 0:
        W[old] -= S[person, old]
        sizes[old] -= 1
        S[:, old] -= affinity[:, person]
        C[:, old] -= compatible[:, person]
    W[target] += S[person, target]
    sizes[target] += 1
    S[:, target] += affinity[:, person]
    C[:, target] += compatible[:, person]
    label[person] = target


def _objective(affinity: np.ndarray, label: np.ndarray, count: int, min_size: int) -> float:
    total = 0.0
    for g in range(count):
        members = np.flatnonzero(label == g)
        if len(members) >= min_size:
            total += 2 * affinity[np.ix_(members, members)].sum() / 2 / (len(members) - 1)
    return total


def _dissolve_small(label: np.ndarray, min_size: int, leftovers: dict[int, str]) -> list[list[int]]:
    groups = []
    for g in np.unique(label[label >= 0]).tolist():
        members = np.flatnonzero(label == g).tolist()
        if len(members) >= min_size:
            groups.append(members)
        else:
            leftovers.update(dict.fromkeys(members, NO_COMPATIBLE_GROUP))
    for i in np.flatnonzero(label < 0).tolist():
        leftovers.setdefault(i, NO_COMPATIBLE_GROUP)
    return sorted(groups)


def _fit(affinity: np.ndarray, person: int, members: Sequence[int]) -> float:
    others = [p for p in members if p != person]
    return float(affinity[person, others].mean()) if others else 0.0


def _assign_facilitators(
    groups: list[list[int]],
    scores: np.ndarray,
    eligible: np.ndarray | None,
    capacity: np.ndarray | Sequence[int] | None,
    senior: np.ndarray | None,
    member_of: np.ndarray | Sequence[int] | None,
) -> tuple[list[int], dict[int, str]]:
    n_fac = scores.shape[1] if scores.ndim == 2 else 0
    mask = np.ones(scores.shape, bool) if eligible is None else np.asarray(eligible, bool)
    ranked = np.ones(scores.shape, bool) if senior is None else np.asarray(senior, bool)
    placed = {i for g in groups for i in g}
    usable = np.ones(n_fac, bool)
    if member_of is not None:
        usable = np.array([int(m) < 0 or int(m) not in placed for m in member_of], bool)
    caps = np.zeros(n_fac, np.int64) if capacity is None else np.asarray(capacity, np.int64)
    group_scores = np.array([scores[g].mean(axis=0) for g in groups]).reshape(len(groups), n_fac)
    fits = np.array([mask[g].all(axis=0) for g in groups], bool).reshape(len(groups), n_fac)
    seniors = np.array([ranked[g].all(axis=0) for g in groups], bool).reshape(len(groups), n_fac)
    allowed = fits & seniors & usable[None, :]
    result = assign_with_capacities(group_scores, allowed, caps, maximise_matched_first=True)
    facilitators = [-1] * len(groups)
    for g, f in result.pairs():
        facilitators[g] = f
    unfacilitated = {}
    for g, reason in result.unmatched.items():
        if reason != NO_ELIGIBLE_MENTOR:
            unfacilitated[g] = FACILITATORS_FULL
        elif (fits[g] & usable).any() and not allowed[g].any():
            unfacilitated[g] = NOT_SENIOR_ENOUGH
        else:
            unfacilitated[g] = NO_ELIGIBLE_FACILITATOR
    return facilitators, unfacilitated


# --- the upper bound ----------------------------------------------------------------------------


@dataclass(frozen=True)
class UpperBound:
    value: float
    cuts: int
    rounds: int
    converged: bool


def grouping_upper_bound(
    affinity: np.ndarray,
    compatible: np.ndarray,
    *,
    min_size: int = 3,
    max_rounds: int = 30,
    cuts_per_round: int = 5_000,
) -> UpperBound:
    """An upper bound on the sum of members' fits over every grouping with groups of at least
    ``min_size`` (so on :func:`form_groups`' objective), from a linear relaxation solved with
    HiGHS.

    Variable ``y_ij`` is ``1/(k-1)`` when i and j share a group of size k, else 0; so for every
    grouping: ``sum_j y_ij <= 1``, ``0 <= y_ij <= 1/(min_size-1)``, and for every triangle
    ``y_ij + y_jk - y_ik <= 1/(min_size-1)`` (two of i, j, k together with the third means all
    three together, with the same value). The objective ``sum_{i<j} 2 a_ij y_ij`` then equals
    the sum of fits. Triangle inequalities are added as cuts, the most violated first, until
    none is violated or ``max_rounds`` is reached (the bound is valid at every round)."""
    rows, cols = np.nonzero(np.triu(compatible, 1) & (affinity > 0))
    n, n_edges = affinity.shape[0], len(rows)
    if n_edges == 0:
        return UpperBound(0.0, 0, 0, True)
    top = 1.0 / (min_size - 1)
    index = {(int(a), int(b)): e for e, (a, b) in enumerate(zip(rows, cols, strict=True))}
    incidence = sp.csr_matrix(
        (np.ones(2 * n_edges), (np.concatenate([rows, cols]), np.tile(np.arange(n_edges), 2))),
        shape=(n, n_edges),
    )
    cost = -2 * affinity[rows, cols]
    cut_rows: list[list[tuple[int, float]]] = []
    rounds, converged, value = 0, False, 0.0
    while rounds < max_rounds:
        rounds += 1
        a_ub = sp.vstack([incidence, _cut_matrix(cut_rows, n_edges)]) if cut_rows else incidence
        b_ub = np.concatenate([np.ones(n), np.full(len(cut_rows), top)])
        result = linprog(cost, A_ub=a_ub, b_ub=b_ub, bounds=(0, top), method="highs")
        if result.status != 0:
            raise RuntimeError(f"upper bound LP failed: {result.message}")
        value = -float(result.fun)
        new = _violated_triangles(result.x, rows, cols, index, n, top, cuts_per_round)
        if not new:
            converged = True
            break
        cut_rows.extend(new)
    return UpperBound(value, len(cut_rows), rounds, converged)


def _cut_matrix(cuts: list[list[tuple[int, float]]], n_edges: int) -> sp.csr_matrix:
    data, r, c = [], [], []
    for k, cut in enumerate(cuts):
        for e, coefficient in cut:
            r.append(k)
            c.append(e)
            data.append(coefficient)
    return sp.csr_matrix((data, (r, c)), shape=(len(cuts), n_edges))


def _violated_triangles(
    y: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    index: dict[tuple[int, int], int],
    n: int,
    top: float,
    limit: int,
) -> list[list[tuple[int, float]]]:
    """Triangles (i, j, k) centred on j with y_ij + y_jk - y_ik above the bound."""
    support = y > 1e-7
    neighbours: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for e in np.flatnonzero(support).tolist():
        a, b = int(rows[e]), int(cols[e])
        neighbours[a].append((b, e))
        neighbours[b].append((a, e))
    found: list[tuple[float, list[tuple[int, float]]]] = []
    for j in range(n):
        near = neighbours[j]
        for x in range(len(near)):
            i, e_ij = near[x]
            for z in range(x + 1, len(near)):
                k, e_jk = near[z]
                e_ik = index.get((min(i, k), max(i, k)))
                y_ik = y[e_ik] if e_ik is not None else 0.0
                excess = y[e_ij] + y[e_jk] - y_ik - top
                if excess > 1e-6:
                    cut = [(e_ij, 1.0), (e_jk, 1.0)]
                    if e_ik is not None:
                        cut.append((e_ik, -1.0))
                    found.append((excess, cut))
    found.sort(key=lambda item: -item[0])
    return [cut for _, cut in found[:limit]]


# --- peer pairs at scale --------------------------------------------------------------------------


def pair_peers_at_scale(
    scores: np.ndarray, eligible: np.ndarray, *, neighbours: int = PEER_NEIGHBOURS
) -> PeerPairing:
    """Peer pairs for cohorts of any size: the maximum-weight matching (integer program, HiGHS,
    zero gap) over the graph in which each peer keeps only their ``neighbours`` best eligible
    partners. Optimal on that graph; a pair left out of it is one neither peer ranks near the
    top, which an optimal matching almost never uses. Memory and time grow with
    ``n * neighbours``, not ``n²`` edges."""
    scores = np.asarray(scores, dtype=np.float64)
    n = scores.shape[0]
    if scores.shape != (n, n):
        raise ValueError("peer scores must be a square matrix")
    both = np.asarray(eligible, bool) & np.asarray(eligible, bool).T & ~np.eye(n, dtype=bool)
    weight = np.where(both, (scores + scores.T) / 2, -np.inf)
    keep = min(neighbours, max(n - 1, 1))
    best = np.argpartition(-weight, keep - 1, axis=1)[:, :keep] if n > 1 else np.zeros((n, 0), int)
    a = np.repeat(np.arange(n), best.shape[1])
    b = best.ravel()
    valid = np.isfinite(weight[a, b]) & (weight[a, b] > 0)
    lo, hi = np.minimum(a, b)[valid], np.maximum(a, b)[valid]
    edges = np.unique(lo * n + hi)
    rows, cols = edges // n, edges % n
    units = quantise(np.where(np.isfinite(weight), weight, 0.0))[rows, cols]
    return pair_on_edges(rows, cols, units, weight, both)
