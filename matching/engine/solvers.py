"""Solvers that turn score matrices into pairs, mosaic boards and peer groups.

Pure functions of numpy arrays: no database, no features. Every solver respects capacities,
never uses an ineligible pair, and reports who was left out and why instead of raising on hard
inputs (no mentors, more mentees than places, empty cohorts). Weights never reach this module:
all-zero or negative weights are refused upstream by ``scoring.validate_weights`` (ValueError),
before any score exists. Invalid pins and non-finite scores are caller errors (ValueError).

How the exact solvers work (:func:`assign_with_capacities`, :func:`assign_mosaic`):

1. Scores are quantised to integers, ``SCORE_SCALE`` units per point, and laid out mentor by
   mentor so that a mentor's row of candidates is contiguous in memory.
2. An *auction* (mentor places bid for mentee seats; a seat's price rises with each bid) finds a
   near-optimal assignment and near-optimal prices. It runs in epsilon-scaling phases (the bid
   increment shrinks sixfold per phase, eightfold over a pair list, prices kept, less the
   overshoot a phase may leave), on prices scaled by ``_PRICE_SCALE``, so that ties and many
   places wanting the same seats cost a few bids instead of a price war. Each mentor keeps a
   short list of its best seats at current prices and rescans its full row only when that
   list can no longer be trusted.
   With several seats per mentee, two phases in a row in which nobody is outbid skip to the
   last phase (finer ones would only repeat them, rescanning every row).
   When places outnumber open seats ``_PLENTY`` times over, the auction is skipped (it would
   be a price war among places that mostly stay unused): with one seat per mentee step 3
   starts from prices 0; with boards, seats bid for places instead (``_seat_auction``, over
   each seat's best few mentors), and step 3 starts from the seats won and the mentors'
   prices reached.
3. The auction's prices and candidates (each mentor's list plus each mentee's best mentors at
   those prices, ties broken by a hash so that look-alike mentors are spread) become a pruned
   min-cost flow network with valid node potentials. One seat per mentee: a mentor's held
   seats are repriced to one common margin so that they are all tight. Several: prices are
   rounded down, each (mentee, mentor) node's potential lies between the margins of its free
   seats and that of the seat it fills, and a mentor's between its free pairs' best margins
   and its filled pairs' (the other seats of a board it sits on are no rivals of its other
   boards), so that nearly every seat the auction filled is kept. What the auction left loose
   (mostly seats priced in an earlier phase and left empty by the last) is repaired exactly:
   by a primal-dual search (one Dijkstra for every source at once, then flow pushed along the
   zero-cost paths it found, depth first and, where ties leave a wide plateau of them, by a
   maximum flow over the plateau; on mosaic boards each search reaches a little past the
   nearest demand, which halves the rounds), within a work budget (one seat per mentee: when
   little is loose), and whatever it leaves by re-solving the pruned network
   with OR-Tools' min-cost flow (given what is left: the residual network of the current flow
   at reduced costs, the excess as supplies) and recovering potentials that prove its flow
   optimal (a warm-started label-correcting pass: lowering the old potentials with one seat
   per mentee; with several, after either repair, raising those from before it, because every
   path there runs through the sink and lowering shifts every node but the free seats, which
   the certificate would then see as underpriced). The result is optimal on the pruned network.
4. Certificate: the potentials are dual prices. One vectorised pass over the *full* matrix
   finds the largest excess of score over prices per mentor and per mentee, leaving out only
   each mentee's own board (a pair of the pruned network off the board cannot exceed its
   prices while they are valid). If anything is positive, the worst violating pairs of the
   mentors concerned (per mentor and per mentee) are added, the flow is repaired and the check
   runs again. When the check passes, no better assignment exists over all pairs.
5. One-to-one with at most ``_SPARSE_DENSITY`` of the pairs eligible, or a sparse score
   matrix: the solver works on the list of eligible pairs alone, mentor by mentor for the
   auction (so a mentor's scan costs its own pairs, not every mentee) and mentee by mentee for
   the rest. This auction ends with a reverse step (seats left empty at a price bid for
   places) and a price unit finer than one score unit over the places and seats, which makes
   its assignment optimal outright: the pruned network (the auction's lists and seats and
   each mentee's best pairs at its prices) starts from that whole assignment, and potentials
   from the prices, corrected by a short label-correcting pass, prove it. Every eligible pair
   is then checked against the potentials in one parallel pass; the worst violations per
   mentee, if any, are added and repaired warm, until none is left.

Measured with ``bench/bench_exact.py`` (hostile families, OR-Tools over every eligible arc as
the reference in the same run). ``on_progress`` reports each step; ``time_limit`` stops the
certificate rounds and returns the best so far, flagged ``timed_out`` and not proven.

The optimum is exact for the quantised objective: ``total_units`` is the maximal sum of
quantised scores, which an exact reference (e.g. ``scipy.optimize.linear_sum_assignment``) on
the same quantised matrix reproduces exactly; on raw float scores the total is within
``0.0005 * pairs`` points of the float optimum.

Peer pairing is an exact maximum-weight matching in a general graph (an integer program solved
by HiGHS, which scipy ships). Peer groups are formed in :mod:`matching.engine.groups`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numba
import numpy as np
import scipy.sparse as sp
from numba.cpython.unsafe.numbers import trailing_zeros as _trailing_zeros
from ortools.graph.python import max_flow, min_cost_flow

from matching.engine.common import PeerPairing, maximum_at, minimum_at, move_flow, pair_on_edges
from matching.engine.common import heap_pop as _heap_pop
from matching.engine.common import heap_push as _heap_push
from matching.engine.common import lower_potentials as _lower_potentials
from matching.engine.common import raise_potentials as _raise_potentials
from matching.engine.common import residual_graph as _residual_graph

SCORE_SCALE = 1000
"""Integer units per score point used by the exact solvers."""

MAX_ABS_SCORE = 1_000_000.0
"""Largest score magnitude the exact solvers accept (quantised scores must fit in int32)."""

PEER_PAIRING_LIMIT = 800
"""Largest peer cohort :func:`pair_peers` accepts (the exact integer program takes about 13 s
for 600 peers with nearly every pair eligible on the reference 2-core machine)."""

Progress = Callable[[float, str], None]
"""Called by the exact solvers with the fraction done (0–1) and a short message."""

MAX_ROUNDS = 100
"""Certificate rounds before giving up (never reached in practice; the result then says
``proven_optimal=False``)."""

NO_ELIGIBLE_MENTOR = "no_eligible_mentor"
CAPACITY_EXHAUSTED = "capacity_exhausted"
ALREADY_ON_BOARD = "already_on_board"
ZERO_SCORE_ONLY = "zero_score_only"
TOO_FEW_MENTEES = "too_few_mentees"
NO_COMPATIBLE_GROUP = "no_compatible_group"
NO_ELIGIBLE_FACILITATOR = "no_eligible_facilitator"
FACILITATORS_FULL = "facilitators_full"

_AUCTION_LIST_EXTRA = 8
_SCAN_BLOCK = 16
"""Seats per block of a full row scan of the dense auction (blocks that cannot enter the
list are skipped after one branch-free pass)."""
_SCAN_AHEAD = 64
"""Queue places the dense auction looks over when a place must rescan its mentor's row: the
mentors among them whose lists are stale too are rescanned with it, in parallel (a scan
reads a row of 30,000 seats; a bid reads a list of a few dozen)."""
_EPS_FACTOR = 6
_PAIR_EPS_FACTOR = 8
"""Epsilon's divisor from one phase of the pair-list auction to the next. Its phases start
over from every place free, so fewer of them pay; 12 and over made scores that every mentee
ranks alike (career_stage alone, 10 % of pairs eligible) 2-3 times slower."""
_PRICE_SCALE = 1024
_REPAIR_BY_PATHS = 256
"""Default of ``_FlowNetwork.paths_up_to``."""
_PATH_BUDGET = 100
"""Work per arc of the network after which the cheapest-path repair hands what is left to
OR-Tools: arcs scanned by the searches, plus ``_PLATEAU_ARC_WORK`` for each arc handed to a
maximum flow. On 27 networks captured from the mosaic bench the repair finished within 87
(0.02-1.7 s against OR-Tools' 0.7-3 s); the budget bounds networks where the
searches wander (places plentiful: 1,455, 50 s). Slow progress stops it sooner
(``_PATH_CHECK_ROUNDS``)."""
_PATH_CHECK_ROUNDS = 30
_PATH_CHECK_SHARE = 0.25
"""After ``_PATH_CHECK_ROUNDS`` rounds, the cheapest-path repair hands over to OR-Tools if
more than this share of what it started with is left. Of the 27 captured mosaic networks all
but one were done within 27 rounds; capacity/demand 1's first repair still had 578 of its 783
units then, and needed 180 rounds (4.6 s against OR-Tools' 2.1 s)."""
_PATH_CHECK_UNITS = 64
"""The check of ``_PATH_CHECK_SHARE`` leaves the repair going when no more than this many
units are left: a few more rounds route them when the repair started small (capacity/demand
1's second repair had 40 of 148 left after 30 rounds of 2 ms, and OR-Tools then took 0.8 s)."""
_PACE_ROUNDS = 4
_OVER_BUDGET = 2
"""See :func:`_finishes_soon`."""
_PLATEAU_ARC_WORK = 4
"""An arc handed to OR-Tools' maximum flow costs about four arcs scanned by a search."""
_PLATEAU_UNITS = 16
"""Excess left after a round's depth-first pass from which a maximum flow over the round's
plateau is tried (:class:`_PathRepair`). Below, the next rounds' searches are cheap and
the maximum flow's set-up is not (a network captured from the mosaic bench, additive
scores, 26 units: 0.75 s trying it every round, about 0.4 s from 16 units up)."""
_SEAT_AUCTION_PATHS = 256
_SEAT_AUCTION_PATH_BUDGET = 16
"""The repairs of the plentiful-places networks (:meth:`_SeatNetwork.from_seat_auction`): up
to this many units, cheapest paths first, within this much work per arc and with no check of
their progress after ``_PATH_CHECK_ROUNDS``. Their first repairs (7,000-28,000 units) take
OR-Tools; the last ones are small, and OR-Tools costs about 1 s for them whatever their
size. Replayed on repairs captured from the mosaic bench (10,000 x 2,000, seed 12):
capacity/demand 2's last, 92 units, 0.13 s by paths against 1.0 s (the round check gave up at
46 units left after 30 rounds of about 1 ms); capacity/demand 5's last, 235 units, is a search
that wanders (1.4 s against OR-Tools' 0.8 s): this budget stops it after 0.2 s with 123
left."""
_PLENTY = 1.5
"""Places per open seat from which the exact solvers skip the auction over mentors' places.
Mosaic boards then start from an auction the other way round (:func:`_seat_auction`)."""
_SEAT_LIST = 16
"""Mentors each seat lists for the seat-side auction (its best at prices 0)."""
_SEAT_CANDIDATES = 4
"""Mentors of its list each seat brings into the first network, the best at the auction's
prices (besides the one it holds)."""
_SEAT_BIDS_PER_SEAT = 8
"""Bids per seat the seat-side auction may take. More seats than places among a few mentors
(their only eligible ones) bid each other up a unit at a time, and with "matched first" the
units run to the bonus (billions); past the budget the exact repair settles the rest."""
_REVERSE_BIDS_PER_PERSON = 4
"""Reverse bids, per place and seat, that a reverse step of the pair-list auction may take
before it leaves the rest to the exact repair (ties can make them creep by one price unit)."""
_REVERSE_LIST = 4
"""Mentors each seat keeps listed between its reverse bids (:func:`_seat_best_two`)."""
_REVERSE_FROM_EPS = 1
"""Phase epsilon (price units) from which the pair-list auction's phases end with a reverse
step: the last phase alone. Each reverse bid raises the bounds of every mentor the seat could
take, so a reverse step before another phase costs that phase a rescan of nearly every
mentor's pairs (5.7 of 33 million pairs scanned at 30 % density, 10,000 x 2,000); with the
last phase's step alone, no family measured, ties included, took more bids or scans."""
_SEARCH_SPREAD = 2
"""``_FlowNetwork.search_spread`` of mosaic networks."""
_PROOF_PASSES = 8
"""Visits of each node (on top of a fixed allowance) within which potentials must prove a
flow with nothing left to route optimal before the network is solved instead."""
_VIOLATIONS_PER_MENTOR = 16
_VIOLATIONS_PER_MENTEE = 4
_CANDIDATES_PER_MENTEE = 4
_SPARSE_CANDIDATES_PER_MENTEE = 8
"""Each mentee's best pairs at the auction's prices in the sparse path's first network: 8
leave about one violation for the certificate at 3 % density, 4 leave a hundred."""
_MISSING = np.int32(-(2**31) + 1)


@dataclass(frozen=True, eq=False)
class Assignment:
    """Result of :func:`assign_with_capacities`.

    ``mentee`` and ``mentor`` are parallel index arrays of the chosen pairs (pins included),
    sorted by mentee; ``scores`` are their float scores and ``total`` their sum. ``total_units``
    is the quantised objective that was maximised. ``unmatched`` maps each mentee left without a
    mentor to a reason: ``no_eligible_mentor``, ``capacity_exhausted`` (every eligible mentor is
    full) or ``zero_score_only`` (the only mentors with room score 0, so staying free is as
    good). ``proven_optimal`` is True when the optimality check over all pairs passed;
    ``timed_out`` means ``time_limit`` stopped that check first (the pairs are then the best
    over the pairs considered so far, feasible but not proven best over all).
    """

    mentee: np.ndarray
    mentor: np.ndarray
    scores: np.ndarray
    total: float
    total_units: int
    unmatched: dict[int, str]
    proven_optimal: bool
    rounds: int = 0
    pruned_pairs: int = 0
    timed_out: bool = False

    def pairs(self) -> list[tuple[int, int]]:
        return list(zip(self.mentee.tolist(), self.mentor.tolist(), strict=True))


@dataclass(frozen=True, eq=False)
class MosaicAssignment:
    """Result of :func:`assign_mosaic`: one row per filled seat (pins included).

    ``mentee``, ``seat`` (column of ``mentee_areas``), ``area`` and ``mentor`` are parallel
    arrays; a mentee's mentors are all different people. ``unfilled`` maps each open
    ``(mentee, seat)`` to a reason: ``no_eligible_mentor``, ``capacity_exhausted``,
    ``already_on_board`` (the only mentors with room already sit on this mentee's board) or
    ``zero_score_only``.
    """

    mentee: np.ndarray
    seat: np.ndarray
    area: np.ndarray
    mentor: np.ndarray
    scores: np.ndarray
    total: float
    total_units: int
    unfilled: dict[tuple[int, int], str]
    proven_optimal: bool
    rounds: int = 0
    pruned_pairs: int = 0
    timed_out: bool = False


def quantise(scores: np.ndarray) -> np.ndarray:
    """Scores as integer units (``SCORE_SCALE`` per point): the exact solvers' objective."""
    return np.rint(np.asarray(scores, dtype=np.float64) * SCORE_SCALE).astype(np.int64)


def extract_candidates(
    scores: np.ndarray, eligible: np.ndarray, *, per_mentee: int = 10, block_rows: int = 512
) -> tuple[np.ndarray, np.ndarray]:
    """Each mentee's ``per_mentee`` best eligible mentors, best first: ``(mentors, valid)``.

    For "other good options" lists in the director's view; the solvers find their own
    candidates. ``mentors`` is ``(n, k)``; ``valid`` is False where a mentee has fewer than
    ``k`` eligible mentors.
    """
    n, m = scores.shape
    k = min(per_mentee, m)
    mentors = np.zeros((n, k), dtype=np.int64)
    valid = np.zeros((n, k), dtype=bool)
    for start in range(0, n if k else 0, block_rows):
        rows = slice(start, min(start + block_rows, n))
        masked = np.where(eligible[rows], scores[rows], -np.inf)
        top = np.argpartition(masked, m - k, axis=1)[:, m - k :]
        order = np.argsort(-np.take_along_axis(masked, top, axis=1), axis=1, kind="stable")
        top = np.take_along_axis(top, order, axis=1)
        mentors[rows] = top
        valid[rows] = np.take_along_axis(eligible[rows], top, axis=1)
    return mentors, valid


# --- One mentor per mentee ----------------------------------------------------------------------


def assign_with_capacities(
    scores: np.ndarray | sp.sparray | sp.spmatrix,
    eligible: np.ndarray | None,
    capacities: np.ndarray | Sequence[int],
    *,
    pins: Iterable[tuple[int, int]] = (),
    maximise_matched_first: bool = False,
    on_progress: Progress | None = None,
    time_limit: float | None = None,
) -> Assignment:
    """Maximise the total score: each mentee gets at most one mentor, mentor ``j`` at most
    ``capacities[j]`` mentees, only eligible pairs. Exact (see the module docstring).

    ``pins`` are (mentee, mentor) pairs that must be in the result; they use up capacity and
    raise ``ValueError`` if out of range, ineligible, repeated for a mentee, or beyond a
    mentor's capacity. With ``maximise_matched_first`` the number of matched mentees is
    maximised first and the total score second (every pair is worth a bonus larger than any
    possible total). Scores must be finite with magnitude at most ``MAX_ABS_SCORE``.
    ``on_progress(fraction, message)`` is called between the solver's steps; ``time_limit``
    (seconds) stops the optimality rounds once passed (checked between rounds).

    ``scores`` may be a scipy sparse matrix with ``eligible=None``: its stored entries
    (explicit zeros included) are then the eligible pairs, and no dense matrix is ever built.
    """
    if sp.issparse(scores):
        if eligible is not None:
            raise ValueError("with sparse scores the stored pairs are the eligible ones")
        return _assign_sparse(
            sp.csr_array(scores),
            capacities,
            pins,
            maximise_matched_first,
            on_progress,
            time_limit,
        )
    if eligible is None:
        raise ValueError("dense scores need an eligibility mask")
    scores = np.asarray(scores)
    if scores.ndim != 2:
        raise ValueError("scores must be a (mentees, mentors) matrix")
    n, m = scores.shape
    eligible = _as_mask(eligible, scores.shape)
    caps = _capacities(capacities, m)
    pin_rows, pin_cols = _apply_pins(pins, eligible, caps)
    seat_open = np.ones((n, 1), bool)
    seat_open[pin_rows, 0] = False
    solution = _solve_seats(
        scores[:, None, :],
        eligible[:, None, :],
        caps,
        seat_open,
        maximise_matched_first,
        on_progress,
        time_limit,
    )
    caps_total = caps + np.bincount(pin_cols, minlength=m)
    return _assignment(
        pin_rows,
        pin_cols,
        solution,
        m,
        lambda mentee, mentor: scores[mentee, mentor],
        lambda mentee, load: _unmatched_mentees(eligible, caps_total, load, mentee),
    )


def _assignment(
    pin_rows: np.ndarray,
    pin_cols: np.ndarray,
    solution: _SeatSolution,
    m: int,
    score_of: Callable[[np.ndarray, np.ndarray], np.ndarray],
    unmatched_of: Callable[[np.ndarray, np.ndarray], dict[int, str]],
) -> Assignment:
    """The result: pins and solved pairs sorted by mentee; ``score_of(mentees, mentors)``
    gives their float scores, ``unmatched_of(matched mentees, mentor loads)`` the reasons."""
    mentee = np.concatenate([pin_rows, solution.seat_mentee])
    mentor = np.concatenate([pin_cols, solution.seat_mentor])
    order = np.argsort(mentee, kind="stable")
    mentee, mentor = mentee[order], mentor[order]
    chosen = score_of(mentee, mentor)
    return Assignment(
        mentee=mentee,
        mentor=mentor,
        scores=chosen,
        total=float(chosen.sum(dtype=np.float64)),
        total_units=int(quantise(chosen).sum()),
        unmatched=unmatched_of(mentee, np.bincount(mentor, minlength=m)),
        proven_optimal=solution.proven,
        rounds=solution.rounds,
        pruned_pairs=solution.pruned_pairs,
        timed_out=solution.timed_out,
    )


def _assign_sparse(
    matrix: sp.csr_array,
    capacities: np.ndarray | Sequence[int],
    pins: Iterable[tuple[int, int]],
    maximise_matched_first: bool,
    on_progress: Progress | None,
    time_limit: float | None,
) -> Assignment:
    """:func:`assign_with_capacities` on the stored pairs of a sparse score matrix."""
    started = time.monotonic()

    def report(fraction: float, message: str) -> None:
        if on_progress is not None:
            on_progress(fraction, message)

    matrix = matrix.copy()
    matrix.sum_duplicates()  # also sorts each row's mentors
    n, m = matrix.shape
    indptr = matrix.indptr.astype(np.int64)
    indices = matrix.indices.astype(np.int64)
    data = np.asarray(matrix.data, dtype=np.float64)
    caps = _capacities(capacities, m)
    pattern = sp.csr_array((np.ones(len(indices), bool), indices, indptr), shape=(n, m))
    pin_rows, pin_cols = _apply_pins(pins, pattern, caps)
    mentee_all = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    mentee_open = np.ones(n, bool)
    mentee_open[pin_rows] = False
    usable = mentee_open[mentee_all] & (caps > 0)[indices]
    value = data[usable] * SCORE_SCALE
    if not (np.abs(value) <= MAX_ABS_SCORE * SCORE_SCALE).all():  # also catches NaN
        raise ValueError(f"scores of eligible pairs must be finite and within ±{MAX_ABS_SCORE:g}")
    rows_indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(mentee_all[usable], minlength=n), out=rows_indptr[1:])
    rows = _SparseRows(
        n, m, rows_indptr, indices[usable], mentee_all[usable], np.rint(value).astype(np.int64)
    )
    report(0.1, "Scores prepared; looking for a first assignment")
    solution = _solve_sparse(rows, caps, maximise_matched_first, report, started, time_limit)
    caps_total = caps + np.bincount(pin_cols, minlength=m)

    def score_of(mentee: np.ndarray, mentor: np.ndarray) -> np.ndarray:
        # Stored pairs are sorted by (mentee, mentor): each chosen pair's score by bisection.
        return data[np.searchsorted(mentee_all * m + indices, mentee * m + mentor)]

    def unmatched_of(mentee: np.ndarray, load: np.ndarray) -> dict[int, str]:
        room = load < caps_total
        with_room = np.bincount(mentee_all, weights=room[indices], minlength=n) > 0
        reasons: dict[int, str] = {}
        left = np.ones(n, bool)
        left[mentee] = False
        for i in np.flatnonzero(left).tolist():
            if indptr[i] == indptr[i + 1]:
                reasons[i] = NO_ELIGIBLE_MENTOR
            else:
                reasons[i] = ZERO_SCORE_ONLY if with_room[i] else CAPACITY_EXHAUSTED
        return reasons

    return _assignment(pin_rows, pin_cols, solution, m, score_of, unmatched_of)


def _as_mask(eligible: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    mask = np.asarray(eligible, dtype=bool)
    if mask.shape != shape:
        raise ValueError(f"eligible must have shape {shape}, not {mask.shape}")
    return mask


def _capacities(capacities: np.ndarray | Sequence[int], m: int) -> np.ndarray:
    caps = np.maximum(np.asarray(capacities, dtype=np.int64).reshape(-1), 0)
    if len(caps) != m:
        raise ValueError("capacities must have one entry per mentor")
    return caps


def _check_scores(scores: np.ndarray, eligible: np.ndarray) -> None:
    used = scores[eligible]
    if not np.isfinite(used).all():
        raise ValueError("scores of eligible pairs must be finite")
    if len(used) and np.abs(used).max() > MAX_ABS_SCORE:
        raise ValueError(f"scores must lie within ±{MAX_ABS_SCORE:g}")


def _apply_pins(
    pins: Iterable[tuple[int, int]], eligible: np.ndarray | sp.csr_array, caps: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Validate pins and take their places out of ``caps`` (in place)."""
    pin_list = [(int(i), int(j)) for i, j in pins]
    seen: set[int] = set()
    for i, j in pin_list:
        if not (0 <= i < eligible.shape[0] and 0 <= j < eligible.shape[1]):
            raise ValueError(f"Pinned pair ({i}, {j}) is out of range")
        if i in seen:
            raise ValueError(f"Mentee {i} is pinned more than once")
        seen.add(i)
        if not eligible[i, j]:
            raise ValueError(f"Pinned pair ({i}, {j}) is not eligible")
        if caps[j] <= 0:
            raise ValueError(f"Pinned pairs exceed mentor {j}'s capacity")
        caps[j] -= 1
    pinned = np.array(pin_list, dtype=np.int64).reshape(-1, 2)
    return pinned[:, 0], pinned[:, 1]


def _unmatched_mentees(
    eligible: np.ndarray, caps_total: np.ndarray, load: np.ndarray, matched: np.ndarray
) -> dict[int, str]:
    left = np.ones(eligible.shape[0], bool)
    left[matched] = False
    unmatched = np.flatnonzero(left)
    candidates = eligible[unmatched]
    with_room = (candidates & (load < caps_total)).any(axis=1)
    reason = np.where(
        candidates.any(axis=1),
        np.where(with_room, ZERO_SCORE_ONLY, CAPACITY_EXHAUSTED),
        NO_ELIGIBLE_MENTOR,
    )
    return dict(zip(unmatched.tolist(), reason.tolist(), strict=True))


# --- Mosaic boards ------------------------------------------------------------------------------


def assign_mosaic(
    area_scores: np.ndarray,
    eligible: np.ndarray,
    capacities: np.ndarray | Sequence[int],
    mentee_areas: np.ndarray,
    *,
    pins: Iterable[tuple[int, int, int]] = (),
    maximise_matched_first: bool = False,
    on_progress: Progress | None = None,
    time_limit: float | None = None,
) -> MosaicAssignment:
    """Mosaic boards: each mentee gets one mentor per chosen need area, all different people.

    ``area_scores[i, s, j]`` is mentor ``j``'s fit for mentee ``i``'s seat ``s`` (the area
    ``mentee_areas[i, s]``; -1 marks an unused seat). ``eligible`` is ``(n, s, m)`` or, when the
    same for every seat, ``(n, m)``. Maximises the total over filled seats, exactly, with mentor
    capacities respected and no mentor twice on one board. ``pins`` are ``(mentee, seat,
    mentor)`` triples that must be kept (validated like :func:`assign_with_capacities` pins).
    """
    area_scores = np.asarray(area_scores)
    if area_scores.ndim != 3:
        raise ValueError("area_scores must be (mentees, seats, mentors)")
    n, seats, m = area_scores.shape
    mask = np.asarray(eligible, dtype=bool)
    if mask.shape == (n, m):
        mask = np.broadcast_to(mask[:, None, :], (n, seats, m))
    mask = _as_mask(mask, (n, seats, m))
    areas = np.asarray(mentee_areas, dtype=np.int64).reshape(n, seats)
    caps = _capacities(capacities, m)
    seat_open = areas >= 0
    pinned = _apply_mosaic_pins(pins, mask, caps, seat_open)
    # A pinned mentor may not take a second seat on the same board.
    banned = np.zeros((n, m), bool)
    banned[pinned[:, 0], pinned[:, 2]] = True
    seat_open[pinned[:, 0], pinned[:, 1]] = False
    usable = mask & ~banned[:, None, :]
    solution = _solve_seats(
        area_scores, usable, caps, seat_open, maximise_matched_first, on_progress, time_limit
    )
    mentee = np.concatenate([pinned[:, 0], solution.seat_mentee])
    seat = np.concatenate([pinned[:, 1], solution.seat_index])
    mentor = np.concatenate([pinned[:, 2], solution.seat_mentor])
    order = np.lexsort((seat, mentee))
    mentee, seat, mentor = mentee[order], seat[order], mentor[order]
    chosen = area_scores[mentee, seat, mentor]
    load = np.bincount(mentor, minlength=m)
    return MosaicAssignment(
        mentee=mentee,
        seat=seat,
        area=areas[mentee, seat],
        mentor=mentor,
        scores=chosen,
        total=float(chosen.sum(dtype=np.float64)),
        total_units=int(quantise(chosen).sum()),
        unfilled=_unfilled_seats(
            mask,
            areas >= 0,
            caps + np.bincount(pinned[:, 2], minlength=m),
            load,
            mentee,
            seat,
            mentor,
        ),
        proven_optimal=solution.proven,
        rounds=solution.rounds,
        pruned_pairs=solution.pruned_pairs,
        timed_out=solution.timed_out,
    )


def _apply_mosaic_pins(
    pins: Iterable[tuple[int, int, int]],
    eligible: np.ndarray,
    caps: np.ndarray,
    seat_open: np.ndarray,
) -> np.ndarray:
    n, seats, m = eligible.shape
    pin_list = [(int(i), int(s), int(j)) for i, s, j in pins]
    seen_seats: set[tuple[int, int]] = set()
    seen_pairs: set[tuple[int, int]] = set()
    for i, s, j in pin_list:
        if not (0 <= i < n and 0 <= s < seats and 0 <= j < m):
            raise ValueError(f"Pinned seat ({i}, {s}, {j}) is out of range")
        if not seat_open[i, s]:
            raise ValueError(f"Seat {s} of mentee {i} is not in use")
        if (i, s) in seen_seats or (i, j) in seen_pairs:
            raise ValueError(f"Mentee {i}'s pins repeat a seat or a mentor")
        seen_seats.add((i, s))
        seen_pairs.add((i, j))
        if not eligible[i, s, j]:
            raise ValueError(f"Pinned seat ({i}, {s}, {j}) is not eligible")
        if caps[j] <= 0:
            raise ValueError(f"Pinned seats exceed mentor {j}'s capacity")
        caps[j] -= 1
    return np.array(pin_list, dtype=np.int64).reshape(-1, 3)


def _unfilled_seats(
    eligible: np.ndarray,
    seat_used: np.ndarray,
    caps_total: np.ndarray,
    load: np.ndarray,
    mentee: np.ndarray,
    seat: np.ndarray,
    mentor: np.ndarray,
) -> dict[tuple[int, int], str]:
    filled = np.zeros(seat_used.shape, bool)
    filled[mentee, seat] = True
    on_board = np.zeros((seat_used.shape[0], len(caps_total)), bool)
    on_board[mentee, mentor] = True
    open_i, open_s = np.nonzero(seat_used & ~filled)
    codes = _seat_reason_codes(
        np.ascontiguousarray(eligible), open_i, open_s, load < caps_total, on_board
    )
    names = (NO_ELIGIBLE_MENTOR, CAPACITY_EXHAUSTED, ALREADY_ON_BOARD, ZERO_SCORE_ONLY)
    return {
        (int(i), int(s)): names[c]
        for i, s, c in zip(open_i.tolist(), open_s.tolist(), codes.tolist(), strict=True)
    }


@numba.njit(cache=True, nogil=True)
def _seat_reason_codes(eligible, open_i, open_s, room, on_board):  # pragma: no cover
    """Per open seat: 0 no eligible mentor, 1 all eligible full, 2 the rest already on the
    board, 3 a mentor with room exists (so the seat only loses on score)."""
    codes = np.empty(len(open_i), np.int64)
    for k in range(len(open_i)):
        i, s = open_i[k], open_s[k]
        code = 0
        for j in range(eligible.shape[2]):
            if eligible[i, s, j]:
                code = max(code, 1)
                if room[j]:
                    code = max(code, 2)
                    if not on_board[i, j]:
                        code = 3
                        break
        codes[k] = code
    return codes


# --- The exact seat solver shared by both ---------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _SeatSolution:
    seat_mentee: np.ndarray
    seat_index: np.ndarray
    seat_mentor: np.ndarray
    proven: bool
    rounds: int
    pruned_pairs: int
    timed_out: bool


def _solve_seats(
    scores: np.ndarray,
    eligible: np.ndarray,
    caps: np.ndarray,
    seat_open: np.ndarray,
    maximise_matched_first: bool,
    on_progress: Progress | None = None,
    time_limit: float | None = None,
) -> _SeatSolution:
    """Fill seats ``(mentee, seat)`` from mentors' places, maximising the quantised total.

    ``scores`` and ``eligible`` are ``(n, seats, m)``. With one seat per mentee the network is
    mentor -> seat -> sink; with several, mentor -> (mentee, mentor) -> seat -> sink, where the
    middle node has capacity 1 so that a mentor fills at most one seat per board.
    """
    started = time.monotonic()

    def report(fraction: float, message: str) -> None:
        if on_progress is not None:
            on_progress(fraction, message)

    n, seats, m = scores.shape
    col_open = caps > 0
    if seats == 1 and _is_sparse(eligible):
        return _solve_sparse(
            _SparseRows.from_dense(scores[:, 0, :], eligible[:, 0, :], seat_open[:, 0], col_open),
            caps,
            maximise_matched_first,
            report,
            started,
            time_limit,
        )
    values, q_max = _mentor_major(scores, eligible, seat_open, col_open)
    report(0.1, "Scores prepared; looking for a first assignment")
    bonus = q_max * n * seats + 1 if maximise_matched_first else 0
    top = (q_max + bonus) * _PRICE_SCALE
    plentiful = caps.sum() >= _PLENTY * seat_open.sum()
    if plentiful and seats > 1:
        # Places far outnumber seats: an auction among mentors' places would be a long price
        # war among places that mostly stay unused. Seats bid for places instead; few
        # mentors fill up, and their prices steer each seat's candidates off them.
        network = _SeatNetwork.from_seat_auction(values, caps, bonus)
    else:
        if plentiful:
            # One seat per mentee: each seat's best few mentors almost surely hold the
            # optimum. Start from them alone (prices 0, no lists); the repair does the rest.
            price = np.zeros(n * seats, np.int64)
            owner = np.full(n * seats, -1, np.int64)
            lists = np.zeros((m, 1), np.int64)
            list_len = np.zeros(m, np.int64)
        else:
            price, owner, lists, list_len = _auction(
                values, caps, bonus, top, _AUCTION_LIST_EXTRA, _PRICE_SCALE
            )
            # Back to score units. One seat per mentee: rounding prices up, so that a
            # mentor's places end up exactly tight (their scaled margins differ by at most one
            # scaled unit), so the repair has little to do. Several: rounding down, because a
            # seat won against a sibling seat nobody bid for (price 0, its margin a whole
            # number of units) is one scaled unit short of it, and rounding up would make
            # that a whole unit.
            price = -((-price) // _PRICE_SCALE) if seats == 1 else price // _PRICE_SCALE
        network = _SeatNetwork.from_auction(values, caps, bonus, price, owner, lists, list_len)
    report(0.4, "A first assignment is found; making it exact")
    rounds, proven, timed_out = 0, False, False
    while rounds < MAX_ROUNDS:
        if time_limit is not None and time.monotonic() - started >= time_limit:
            # What the flow holds is feasible (and, after a round, optimal on the pairs
            # considered so far) but not proven best over all pairs.
            timed_out = True
            break
        rounds += 1
        report(
            min(0.5 + 0.1 * rounds, 0.95),
            f"Checking that no better assignment exists (pass {rounds})",
        )
        network.flow.solve()
        bad_mentor, bad_mentee = network.violations(values)
        if len(bad_mentor) == 0:
            proven = True
            break
        network.add_pairs(values, bad_mentor, bad_mentee)
    seat_flat, seat_mentor = network.filled_seats()
    return _SeatSolution(
        seat_mentee=seat_flat // seats,
        seat_index=seat_flat % seats,
        seat_mentor=seat_mentor,
        proven=proven,
        rounds=rounds,
        pruned_pairs=network.n_pairs,
        timed_out=timed_out,
    )


_SPARSE_DENSITY = 0.5
"""Share of eligible pairs up to which one-to-one problems are solved on the eligible pairs
alone rather than on the whole matrix (at 10,000 x 2,000: 0.40 s against 0.64 s at 10 %,
0.63 s against 0.93 s at 30 %; the whole matrix wins when nearly every pair is eligible)."""
_SPARSE_PER_MENTEE = 10
_SPARSE_ADD_PER_MENTEE = 4


def _is_sparse(eligible: np.ndarray) -> bool:
    return bool(eligible.size) and bool(
        np.count_nonzero(eligible) <= _SPARSE_DENSITY * eligible.size
    )


@dataclass(frozen=True, eq=False)
class _SparseRows:
    """The usable pairs only, mentee by mentee: mentee ``i``'s mentors are
    ``mentor[indptr[i]:indptr[i + 1]]`` with quantised scores ``q``; ``mentee`` repeats each
    mentee's index over its pairs."""

    n: int
    m: int
    indptr: np.ndarray
    mentor: np.ndarray
    mentee: np.ndarray
    q: np.ndarray

    @classmethod
    def from_dense(
        cls,
        scores: np.ndarray,
        eligible: np.ndarray,
        mentee_open: np.ndarray,
        mentor_open: np.ndarray,
    ) -> _SparseRows:
        if scores.dtype not in (np.float32, np.float64):
            scores = scores.astype(np.float64)
        n, m = scores.shape
        usable = _as_words(eligible, mentor_open)
        mentee_open = np.ascontiguousarray(mentee_open, dtype=np.bool_)
        counts = _row_counts(usable[1], usable[3], mentee_open)
        indptr = np.zeros(n + 1, np.int64)
        np.cumsum(counts, out=indptr[1:])
        mentor, mentee, q, bad = _gather_rows(
            np.ascontiguousarray(scores), usable[1], usable[3], mentee_open, indptr
        )
        if bad:
            raise ValueError(
                f"scores of eligible pairs must be finite and within ±{MAX_ABS_SCORE:g}"
            )
        return cls(n, m, indptr, mentor, mentee, q)


def _as_words(eligible: np.ndarray, mentor_open: np.ndarray) -> tuple[np.ndarray, ...]:
    """The usable-pair mask as bytes and, over the same memory, as 64-bit words (eight pairs
    a word), and the open mentors likewise. A row of 2,000 mentors is then 250 words, most of
    them 0 when few pairs are eligible, instead of 2,000 bytes to test one by one. Rows are
    padded with closed mentors to a whole number of words when they are not one already (a
    copy)."""
    n, m = eligible.shape
    width = -(-m // 8) * 8
    mask = np.ascontiguousarray(eligible, dtype=np.bool_)
    if width != m:
        mask = np.zeros((n, width), np.bool_)
        mask[:, :m] = eligible
    mentors = np.zeros(width, np.bool_)
    mentors[:m] = mentor_open
    return mask, mask.view(np.uint64), mentors, mentors.view(np.uint64)


_LOW_BITS = np.uint64(0x0101010101010101)


@numba.njit(cache=True, nogil=True, inline="always")
def _byte_flags(word):  # pragma: no cover
    """1 in each byte of ``word`` that is not 0, else 0 (a bool array's bytes are 0 or 1 when
    numpy made it, but not always when it is a view of other bytes)."""
    word |= word >> np.uint64(4)
    word |= word >> np.uint64(2)
    word |= word >> np.uint64(1)
    return word & _LOW_BITS


@numba.njit(cache=True, nogil=True, parallel=True)
def _row_counts(words, open_words, mentee_open):  # pragma: no cover
    """Usable pairs per mentee: each word's byte flags summed by shifts."""
    n, width = words.shape
    counts = np.zeros(n, np.int64)
    for i in numba.prange(n):
        if mentee_open[i]:
            count = 0
            for x in range(width):
                v = words[i, x]
                if v:
                    v = _byte_flags(v) & open_words[x]
                    v += v >> np.uint64(8)
                    v += v >> np.uint64(16)
                    v += v >> np.uint64(32)
                    count += np.int64(v & np.uint64(0xFF))
            counts[i] = count
    return counts


@numba.njit(cache=True, nogil=True, parallel=True)
def _gather_rows(scores, words, open_words, mentee_open, indptr):  # pragma: no cover
    """Each mentee's usable mentors, its own index and the quantised scores, into its slice
    of the arrays; also whether any usable score was not finite or out of range. Each word of
    :func:`_as_words` yields its non-zero bytes lowest first, which on the little-endian
    machines numba runs on are the word's mentors in order."""
    n, width = words.shape
    mentor = np.empty(indptr[n], np.int64)
    mentee = np.empty(indptr[n], np.int64)
    q = np.empty(indptr[n], np.int64)
    bad = np.zeros(n, np.bool_)
    limit = MAX_ABS_SCORE * SCORE_SCALE
    for i in numba.prange(n):
        if not mentee_open[i]:
            continue
        k = indptr[i]
        for x in range(width):
            v = words[i, x]
            if v:
                v = _byte_flags(v) & open_words[x]
            while v:
                j = x * 8 + _trailing_zeros(v) // 8
                v &= v - np.uint64(1)
                value = np.float64(scores[i, j]) * SCORE_SCALE
                if not np.abs(value) <= limit:  # also catches NaN
                    bad[i] = True
                    value = 0.0
                mentor[k] = j
                mentee[k] = i
                q[k] = np.int64(np.rint(value))
                k += 1
    return mentor, mentee, q, bad.any()


@numba.njit(cache=True, nogil=True, inline="always")
def _keep_top(keys, slots, found, key, slot):  # pragma: no cover
    """Offer ``(key, slot)`` to a list of the largest keys seen so far, largest first:
    ``keys[:found]`` with their ``slots``, at most ``len(keys)`` of them. Returns the new
    count. The one insertion every top-k scan of this module shares (a mentor's best seats,
    a seat's or a mentee's best mentors, a mentor's or a mentee's worst violations)."""
    size = len(keys)
    if found == size and key <= keys[size - 1]:
        return found
    pos = min(found, size - 1)
    while pos > 0 and keys[pos - 1] < key:
        keys[pos] = keys[pos - 1]
        slots[pos] = slots[pos - 1]
        pos -= 1
    keys[pos] = key
    slots[pos] = slot
    return min(found + 1, size)


@numba.njit(cache=True, nogil=True, parallel=True)
def _top_per_row(indptr, mentor, q, pot_mentor, per_row):  # pragma: no cover
    """Positions of each row's ``per_row`` pairs with the largest ``q - pot_mentor``, ties
    broken by a hash of the pair so that look-alike mentors are spread over mentees. Rows
    are taken in parallel chunks."""
    n = len(indptr) - 1
    keep = np.zeros(len(q), np.bool_)
    chunks = min(64, n // 256 + 1)
    for c in numba.prange(chunks):
        best = np.empty(per_row, np.int64)
        where = np.empty(per_row, np.int64)
        for i in range(c * n // chunks, (c + 1) * n // chunks):
            start, stop = indptr[i], indptr[i + 1]
            if stop - start <= per_row:
                keep[start:stop] = True
                continue
            found = 0
            for k in range(start, stop):
                j = mentor[k]
                key = (q[k] - pot_mentor[j]) * 65536
                key += ((i * 2654435761 + j * 40503) >> 7) % 65536
                found = _keep_top(best, where, found, key, k)
            for t in range(found):
                keep[where[t]] = True
    return keep


@numba.njit(cache=True, nogil=True, parallel=True)
def _by_mentor(m, mentor, mentee, q):  # pragma: no cover
    """The pairs laid out mentor by mentor (a stable counting sort): ``(indptr, order,
    mentee, q)``, where mentor ``j``'s pairs are positions ``indptr[j]:indptr[j + 1]`` of the
    new ``mentee`` and ``q`` and positions ``order[...]`` of the given arrays.

    The pairs are cut into chunks sorted in parallel, each chunk writing after the chunks
    before it within every mentor's range. The layout is 32-bit (positions, mentees and
    quantised scores all fit): the scattered writes are the cost, and half the bytes are
    nearly half the time (47 ms against 168 ms for 6 million pairs, with int64 and serial)."""
    total = len(mentor)
    chunks = min(64, total // 16384 + 1)
    size = (total + chunks - 1) // chunks
    counts = np.zeros((chunks, m), np.int64)
    for c in numba.prange(chunks):
        for p in range(c * size, min(total, (c + 1) * size)):
            counts[c, mentor[p]] += 1
    indptr = np.zeros(m + 1, np.int64)
    for j in range(m):
        start = indptr[j]
        for c in range(chunks):
            count = counts[c, j]
            counts[c, j] = start
            start += count
        indptr[j + 1] = start
    order = np.empty(total, np.int32)
    by_mentee = np.empty(total, np.int32)
    by_q = np.empty(total, np.int32)
    for c in numba.prange(chunks):
        for p in range(c * size, min(total, (c + 1) * size)):
            j = mentor[p]
            t = counts[c, j]
            counts[c, j] = t + 1
            order[t] = p
            by_mentee[t] = mentee[p]
            by_q[t] = q[p]
    return indptr, order, by_mentee, by_q


@numba.njit(cache=True, nogil=True, parallel=True)
def _sparse_violations(indptr, mentor, q, pot, m, assigned, per_row):  # pragma: no cover
    """Per mentee ``i``, the positions of up to ``per_row`` pairs with the largest positive
    reduced profit ``q - pot[mentor] + pot[m + i]``, worst first, leaving out the mentee's
    own mentor ``assigned[i]``: the certificate over every usable pair, in one pass."""
    n = len(indptr) - 1
    count = np.zeros(n, np.int64)
    where = np.empty((n, per_row), np.int64)
    worst = np.empty((n, per_row), np.int64)
    for i in numba.prange(n):
        base = pot[m + i]
        found = 0
        for k in range(indptr[i], indptr[i + 1]):
            j = mentor[k]
            excess = q[k] - pot[j] + base
            if excess > 0 and j != assigned[i]:
                found = _keep_top(worst[i], where[i], found, excess, k)
        count[i] = found
    out = np.empty(count.sum(), np.int64)
    t = 0
    for i in range(n):
        for r in range(count[i]):
            out[t] = where[i, r]
            t += 1
    return out


def _exact_scale(people: int, top: int) -> int:
    """Price units per score unit for the pair-list auction: above the number of places and
    seats, so that its last phase (bids raised by one price unit) ends at the optimum, unless
    the prices would then overflow (the repair settles what that leaves)."""
    scale = 1 << max(10, people.bit_length())
    while scale > _PRICE_SCALE and (top + 1) * scale * _PAIR_EPS_FACTOR >= 1 << 62:
        scale >>= 1
    return scale


@numba.njit(cache=True, nogil=True)
def _scan_pairs(indptr, mentee, q, j, price, k, listed, scale, bonus):  # pragma: no cover
    """:func:`_scan_row` over mentor ``j``'s pairs alone. ``listed`` is ``(lists, list_len,
    list_seat, list_value)``: the listed pair positions, and beside them each pair's seat and
    scaled worth with the bonus, which the bids read instead of the scattered pair arrays."""
    lists, list_len, list_seat, list_value = listed
    best = np.empty(k + 1, np.int64)
    where = np.empty(k + 1, np.int64)
    found = 0
    for t in range(indptr[j], indptr[j + 1]):
        found = _keep_top(best, where, found, q[t] * scale - price[mentee[t]], t)
    list_len[j] = min(found, k)
    for s in range(list_len[j]):
        t = where[s]
        lists[j, s] = t
        list_seat[j, s] = mentee[t]
        list_value[j, s] = (np.int64(q[t]) + bonus) * scale
    if found == k + 1:
        return best[k]
    return -(np.int64(1) << 62)


@numba.njit(cache=True, nogil=True)
def _auction_pairs(
    indptr, mentee, q, order, rows_indptr, rows_mentor, rows_q, n, caps, bonus, eps, extra, scale
):  # pragma: no cover
    """:func:`_auction` with one seat per mentee on a mentor-major pair list (``indptr``,
    ``mentee``, ``q``): rows hold only usable pairs, so a scan costs a mentor's pairs, not
    every mentee. ``order[t]`` is pair ``t``'s position in the mentee-major list (``rows_*``),
    which the reverse step reads seat by seat.

    At the end of the last phase, seats left empty at a positive price bid in reverse
    (Bertsekas' reverse auction): each lowers its price to what wins it the mentor that values
    it most over that mentor's least profitable place, or to 0 if no mentor does; the place
    freed bids in reverse in turn. Then no empty seat has a price, every place is within one
    price unit of its best, and the assignment is optimal whenever a price unit times the
    places and seats is under one score unit (``scale`` above their number). Heavy ties can
    make reverse bids creep by a price unit at a time: past a budget the step stops, and the
    exact repair settles what is left. Returns seat prices, seat owners (-1 = free), the
    mentee-major position of the pair each owner holds the seat by, each mentor's candidate
    list (mentor-major positions), and whether every reverse step finished within its budget
    (then the assignment is optimal outright)."""
    m = len(caps)
    price = np.zeros(n, np.int64)
    owner = np.full(n, -1, np.int64)
    held_by = np.full(n, -1, np.int64)
    k = extra + max(caps.max(), 1) if m else 1
    lists = np.empty((m, k), np.int64)
    list_len = np.zeros(m, np.int64)
    list_seat = np.empty((m, k), np.int32)
    list_value = np.empty((m, k), np.int64)
    listed = (lists, list_len, list_seat, list_value)
    bound = np.full(m, np.int64(1) << 62, np.int64)
    total = caps.sum()
    queue = np.empty(total + 1, np.int64)
    held = np.full(n, -1, np.int64)
    budget = _REVERSE_BIDS_PER_PERSON * (n + total)
    ceiling = np.full(m, -(np.int64(1) << 62), np.int64)
    for j in range(m):
        for t in range(indptr[j], indptr[j + 1]):
            ceiling[j] = max(ceiling[j], np.int64(q[t]) * scale)
    phase_eps = eps
    while True:
        phase_eps = max(1, phase_eps // _PAIR_EPS_FACTOR)
        owner[:] = -1
        tail = 0
        for j in range(m):
            for _ in range(caps[j]):
                queue[tail] = j
                tail += 1
        head, size = 0, total
        while size > 0:
            j = queue[head]
            head = (head + 1) % (total + 1)
            size -= 1
            scanned = False
            while True:
                best = -(np.int64(1) << 62)
                second = best
                best_s = -1
                for s in range(list_len[j]):
                    r = list_seat[j, s]
                    if owner[r] == j:
                        continue
                    v = list_value[j, s] - price[r]
                    if v > best:
                        second = best
                        best = v
                        best_s = s
                    elif v > second:
                        second = v
                if scanned or (best_s >= 0 and best - bonus * scale >= bound[j]):
                    break
                bound[j] = _scan_pairs(indptr, mentee, q, j, price, k, listed, scale, bonus)
                scanned = True
            second = max(second, bound[j] + bonus * scale, 0)
            if best_s < 0 or best <= 0:
                continue
            best_t = lists[j, best_s]
            r = list_seat[j, best_s]
            previous = owner[r]
            if previous >= 0:
                queue[(head + size) % (total + 1)] = previous
                size += 1
            owner[r] = j
            held_by[r] = best_t
            price[r] += best - second + phase_eps
        for r in range(n):
            held[r] = order[held_by[r]] if owner[r] >= 0 else -1
        if phase_eps <= _REVERSE_FROM_EPS:
            budget, cheaper = _empty_seats_bid(
                rows_indptr,
                rows_mentor,
                rows_q,
                caps,
                bonus,
                scale,
                phase_eps,
                price,
                owner,
                held,
                budget,
            )
            _raise_bounds(indptr, mentee, q, cheaper, price, bound, scale)
        if phase_eps == 1:
            break
        _give_back(price, bound, ceiling, phase_eps)
    for j in range(m):
        top = -(np.int64(1) << 62)
        for s in range(list_len[j]):
            top = max(top, list_value[j, s] - bonus * scale - price[list_seat[j, s]])
        if top < bound[j]:
            bound[j] = _scan_pairs(indptr, mentee, q, j, price, k, listed, scale, bonus)
    return price, owner, held, lists, list_len, budget > 0


@numba.njit(cache=True, nogil=True)
def _place_slots(caps):  # pragma: no cover
    """Where each mentor's places start among all places laid end to end (one slot a place,
    mentor by mentor), and the number of places at the end."""
    slot_first = np.zeros(len(caps) + 1, np.int64)
    for j in range(len(caps)):
        slot_first[j + 1] = slot_first[j] + caps[j]
    return slot_first


@numba.njit(cache=True, nogil=True)
def _worst_place(slot_first, slot_seat, slot_margin, j):  # pragma: no cover
    """Mentor ``j``'s least profitable place: its slot and profit (an unused place earns 0)."""
    worst = slot_first[j]
    for slot in range(slot_first[j], slot_first[j + 1]):
        if slot_margin[slot] < slot_margin[worst]:
            worst = slot
    return worst, slot_margin[worst]


@numba.njit(cache=True, nogil=True)
def _seat_best_two(
    rows_indptr, rows_mentor, rows_q, bonus, scale, profit, r, keys, slots, lists, list_len, rest
):  # pragma: no cover
    """Seat ``r``'s best and second-best gain over its mentors' least profitable places
    (``(rows_q + bonus) * scale - profit[mentor]``) and the pair of the best (-1: none).

    A reverse step only raises a mentor's least profitable margin, so a seat's gains only
    fall: its best few mentors, listed at its last scan with ``rest`` bounding the others,
    answer while the second best of the list stays at or above that bound. Chains of reverse
    bids come back to the same seats, and a scan of the seat's row costs every mentor it
    could take (600 at 30 % density, 10,000 x 2,000). ``keys`` and ``slots`` are the
    caller's scratch for the scan, one longer than a list. Every seat is listed when the
    step starts (:func:`_reverse_lists`)."""
    low = -(np.int64(1) << 62)
    best, second, best_p = low, low, -1
    for s in range(list_len[r]):
        p = lists[r, s]
        w = (rows_q[p] + bonus) * scale - profit[rows_mentor[p]]
        if w > best:
            second, best, best_p = best, w, p
        elif w > second:
            second = w
    if second >= rest[r]:
        return best, second, best_p
    found = _scan_seat(rows_indptr, rows_mentor, rows_q, bonus, scale, profit, r, keys, slots)
    _list_seat(r, keys, slots, found, lists, list_len, rest)
    best = keys[0] if found > 0 else low
    second = keys[1] if found > 1 else low
    return best, second, slots[0] if found > 0 else -1


@numba.njit(cache=True, nogil=True, inline="always")
def _scan_seat(
    rows_indptr, rows_mentor, rows_q, bonus, scale, profit, r, keys, slots
):  # pragma: no cover
    """Seat ``r``'s best gains into ``keys`` (pairs in ``slots``); returns how many."""
    found = 0
    for p in range(rows_indptr[r], rows_indptr[r + 1]):
        w = (rows_q[p] + bonus) * scale - profit[rows_mentor[p]]
        found = _keep_top(keys, slots, found, w, p)
    return found


@numba.njit(cache=True, nogil=True, inline="always")
def _list_seat(r, keys, slots, found, lists, list_len, rest):  # pragma: no cover
    size = min(found, lists.shape[1])
    list_len[r] = size
    lists[r, :size] = slots[:size]
    rest[r] = keys[size] if found > size else -(np.int64(1) << 62)


@numba.njit(cache=True, nogil=True, parallel=True)
def _reverse_lists(
    rows_indptr, rows_mentor, rows_q, bonus, scale, profit, lists, list_len, rest
):  # pragma: no cover
    """Every seat's list for :func:`_seat_best_two` at the reverse step's start, in parallel.
    Nearly every seat bids or is freed in a step (9,300 of 10,000 at 3 % density), and a list
    made earlier stays valid: gains only fall during the step."""
    n = len(rows_indptr) - 1
    chunks = min(64, n // 256 + 1)
    for c in numba.prange(chunks):
        keys = np.empty(lists.shape[1] + 1, np.int64)
        slots = np.empty(lists.shape[1] + 1, np.int64)
        for r in range(c * n // chunks, (c + 1) * n // chunks):
            found = _scan_seat(
                rows_indptr, rows_mentor, rows_q, bonus, scale, profit, r, keys, slots
            )
            _list_seat(r, keys, slots, found, lists, list_len, rest)


@numba.njit(cache=True, nogil=True)
def _empty_seats_bid(
    rows_indptr, rows_mentor, rows_q, caps, bonus, scale, eps, price, owner, held, budget
):  # pragma: no cover
    """The reverse step of :func:`_auction_pairs` at the phase's ``eps``, within ``budget``
    seat bids; returns the budget left (none: some empty seats may keep a price, which the
    exact repair settles), and which seats it made cheaper (:func:`_raise_bounds` then
    raises their mentors' bounds). Each mentor's places are slots holding a seat (or none,
    earning 0), so its least profitable place is found among its own places, not over its
    pairs."""
    n = len(price)
    m = len(caps)
    # Each mentor's places as slots: the seat held (-1: unused) and its margin.
    slot_first = _place_slots(caps)
    slot_seat = np.full(slot_first[m], -1, np.int64)
    slot_margin = np.zeros(slot_first[m], np.int64)
    fill = slot_first[:m].copy()
    for r in range(n):
        if owner[r] >= 0:
            j = owner[r]
            slot_seat[fill[j]] = r
            slot_margin[fill[j]] = (rows_q[held[r]] + bonus) * scale - price[r]
            fill[j] += 1
    worst = np.empty(m, np.int64)
    profit = np.empty(m, np.int64)
    for j in range(m):
        if caps[j] > 0:
            worst[j], profit[j] = _worst_place(slot_first, slot_seat, slot_margin, j)
    queue = np.empty(n + 1, np.int64)
    size = 0
    for r in range(n):
        if owner[r] < 0 and price[r] > 0:
            queue[size] = r
            size += 1
    head = 0
    cheaper = np.zeros(n, np.bool_)
    # Each seat's best few mentors, kept between its bids (see _seat_best_two).
    keys = np.empty(_REVERSE_LIST + 1, np.int64)
    slots = np.empty(_REVERSE_LIST + 1, np.int64)
    lists = np.empty((n, _REVERSE_LIST), np.int64)
    list_len = np.empty(n, np.int64)
    rest = np.empty(n, np.int64)
    _reverse_lists(rows_indptr, rows_mentor, rows_q, bonus, scale, profit, lists, list_len, rest)
    while size > 0 and budget > 0:
        budget -= 1
        r = queue[head]
        head = (head + 1) % (n + 1)
        size -= 1
        best, second, best_p = _seat_best_two(
            rows_indptr,
            rows_mentor,
            rows_q,
            bonus,
            scale,
            profit,
            r,
            keys,
            slots,
            lists,
            list_len,
            rest,
        )
        if best_p < 0 or best <= 0:
            price[r] = 0  # nobody gains by filling it: it may stay empty
        else:
            price[r] = max(np.int64(0), max(second, 0) - eps)
        cheaper[r] = True
        if best_p < 0 or best <= 0:
            continue
        j = rows_mentor[best_p]
        slot = worst[j]
        freed = slot_seat[slot]
        if freed >= 0:
            owner[freed] = -1
            held[freed] = -1
            if price[freed] > 0:
                queue[(head + size) % (n + 1)] = freed
                size += 1
        owner[r] = j
        held[r] = best_p
        slot_seat[slot] = r
        slot_margin[slot] = (rows_q[best_p] + bonus) * scale - price[r]
        worst[j], profit[j] = _worst_place(slot_first, slot_seat, slot_margin, j)
    return budget, cheaper


@numba.njit(cache=True, nogil=True, parallel=True)
def _raise_bounds(indptr, mentee, q, cheaper, price, bound, scale):  # pragma: no cover
    """After a reverse step, once per seat made cheaper and at its last price (chains of
    reverse bids revisit seats): raise the bound of every mentor that could take it, whose
    list may have left it off at its old price. Mentor by mentor over the mentor-major
    pairs, so that mentors are shared out in parallel without two writing one bound."""
    for j in numba.prange(len(indptr) - 1):
        if bound[j] >= np.int64(1) << 61:
            continue
        top = bound[j]
        for t in range(indptr[j], indptr[j + 1]):
            r = mentee[t]
            if cheaper[r]:
                top = max(top, np.int64(q[t]) * scale - price[r])
        bound[j] = top


def _pair_list_auction(
    rows: _SparseRows, caps: np.ndarray, bonus: int, q_max: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]:
    """The auction over the pair list (:func:`_auction_pairs`) with the solver's layout, price
    unit and epsilon. Returns seat prices in score units (rounded up), seat owners (-1: free),
    the pair (mentee-major position) each owner holds its seat by (-1: free), every mentor's
    listed pairs, and whether the reverse steps finished within their budget: then the
    assignment is optimal and no empty seat is priced."""
    m = rows.m
    if len(rows.q) >= 2**31:
        raise ValueError("more than 2**31 eligible pairs: the pair list is 32-bit")
    indptr, order, by_mentee, by_q = _by_mentor(m, rows.mentor, rows.mentee, rows.q)
    scale = _exact_scale(int(caps.sum()) + rows.n, q_max + bonus)
    price, owner, held, lists, list_len, finished = _auction_pairs(
        indptr,
        by_mentee,
        by_q,
        order,
        rows.indptr,
        rows.mentor,
        rows.q,
        rows.n,
        caps,
        bonus,
        (q_max + bonus) * scale,
        _AUCTION_LIST_EXTRA,
        scale,
    )
    listed = order[lists[np.arange(m).repeat(list_len), _ranks(list_len)]]
    return -((-price) // scale), owner, held, listed, bool(finished)


def _first_sparse_network(
    rows: _SparseRows, q: np.ndarray, caps: np.ndarray, bonus: int, q_max: int
) -> tuple[_FlowNetwork, np.ndarray, bool]:
    """The pruned network the sparse path starts from, which usable pair each arc is (-1: an
    arc to the sink), and whether its starting flow is worth proving as it is.

    As on the dense path (:meth:`_SeatNetwork.from_auction`): unless places are plentiful, an
    auction over the pair list gives prices and an assignment; the network holds each mentor's
    list, the seats held, and each mentee's best mentors at those prices, with the tight held
    pairs as its starting flow and potentials from the prices, so the repair has little to do.
    With plentiful places, each mentee's best pairs at prices 0 (and no flow) are solved whole.
    """
    n, m = rows.n, rows.m
    price = np.zeros(n, np.int64)
    owner = np.full(n, -1, np.int64)
    listed = held = np.zeros(0, np.int64)
    per_mentee = _SPARSE_PER_MENTEE
    provable = True
    if caps.sum() < _PLENTY * np.count_nonzero(np.diff(rows.indptr)):
        price, owner, held_at, listed, provable = _pair_list_auction(rows, caps, bonus, q_max)
        held = held_at[owner >= 0]
        per_mentee = _SPARSE_CANDIDATES_PER_MENTEE
    pot_guess = np.zeros(m, np.int64)
    maximum_at(pot_guess, rows.mentor[listed], q[listed] - price[rows.mentee[listed]])
    keep = _top_per_row(rows.indptr, rows.mentor, q, pot_guess, per_mentee)
    keep[listed] = True
    keep[held] = True
    picked = np.flatnonzero(keep)
    mentor, mentee = rows.mentor[picked], rows.mentee[picked]
    pot_mentor = np.zeros(m, np.int64)
    maximum_at(pot_mentor, mentor, q[picked] - price[mentee])
    # The auction's assignment is the starting flow, whole: nothing is left to route, and
    # potentials from its prices (a unit off here and there after rounding) prove it optimal
    # after a few corrections (``_FlowNetwork.solve``).
    on_board = owner[mentee] == mentor
    load = np.bincount(mentor[on_board], minlength=m)
    sink = m + n
    flow = _FlowNetwork.with_flow(
        m + n + 1,
        np.concatenate([mentor, m + np.arange(n), np.arange(m)]),
        np.concatenate([m + mentee, np.full(n + m, sink)]),
        np.concatenate([np.ones(len(picked) + n, np.int64), caps]),
        np.concatenate([-q[picked], np.zeros(n + m, np.int64)]),
        np.concatenate([on_board, owner >= 0, caps - load]).astype(np.int64),
        np.concatenate([pot_mentor, -price, np.zeros(1, np.int64)]),
        np.concatenate([caps, np.zeros(n, np.int64), [-caps.sum()]]),
    )
    return flow, np.concatenate([picked, np.full(n + m, -1, np.int64)]), provable


def _solve_sparse(
    rows: _SparseRows,
    caps: np.ndarray,
    maximise_matched_first: bool,
    report: Progress,
    started: float,
    time_limit: float | None,
) -> _SeatSolution:
    """One mentor per mentee on the usable pairs alone.

    The pruned network of :func:`_first_sparse_network` is made optimal (repaired by paths or
    solved by OR-Tools, potentials recovered to prove it); the certificate then checks every
    usable pair against those potentials (vectorised over the pair list), and the worst
    violations per mentee are added and repaired, warm, until none is left.
    """
    n, m = rows.n, rows.m
    # Millions of pairs: no temporary arrays where none is needed.
    q_max = max(int(rows.q.max()), -int(rows.q.min())) if len(rows.q) else 0
    bonus = q_max * n + 1 if maximise_matched_first else 0
    q = rows.q + bonus if bonus else rows.q
    # An auction whose reverse steps ran out of budget leaves priced empty seats: its prices
    # cannot prove the flow, so the first round solves without trying.
    flow, arc_pair, provable = _first_sparse_network(rows, q, caps, bonus, q_max)
    report(0.4, "A first assignment is found; making it exact")
    rounds, proven, timed_out = 0, False, False
    while rounds < MAX_ROUNDS:
        # The first round always runs: before it the flow holds no assignment at all.
        if rounds and time_limit is not None and time.monotonic() - started >= time_limit:
            timed_out = True
            break
        rounds += 1
        report(
            min(0.5 + 0.1 * rounds, 0.95),
            f"Checking that no better assignment exists (pass {rounds})",
        )
        flow.solve(prove_first=provable or rounds > 1)
        used = (arc_pair >= 0) & (flow.flow > 0)
        assigned = np.full(n, -1, np.int64)
        assigned[rows.mentee[arc_pair[used]]] = rows.mentor[arc_pair[used]]
        # The worst few violations per mentee: the next round checks again.
        bad = _sparse_violations(
            rows.indptr, rows.mentor, q, flow.pot, m, assigned, _SPARSE_ADD_PER_MENTEE
        )
        if len(bad) == 0:
            proven = True
            break
        flow.add_arcs(rows.mentor[bad], m + rows.mentee[bad], np.ones(len(bad), np.int64), -q[bad])
        arc_pair = np.concatenate([arc_pair, bad])
    used = (arc_pair >= 0) & (flow.flow > 0)
    return _SeatSolution(
        seat_mentee=rows.mentee[arc_pair[used]],
        seat_index=np.zeros(int(used.sum()), np.int64),
        seat_mentor=rows.mentor[arc_pair[used]],
        proven=proven,
        rounds=rounds,
        pruned_pairs=int((arc_pair >= 0).sum()),
        timed_out=timed_out,
    )


def _mentor_major(
    scores: np.ndarray, eligible: np.ndarray, seat_open: np.ndarray, col_open: np.ndarray
) -> tuple[np.ndarray, int]:
    """Quantised scores as ``(m, n, seats)`` int32, ``_MISSING`` where a pair may not be used,
    and the largest magnitude among the usable ones.

    Inputs are brought to one dtype and layout first: numba compiles a separate version for
    every combination, and each costs seconds on first use.
    """
    if scores.dtype not in (np.float32, np.float64):
        scores = scores.astype(np.float64)
    values, top, bad = _quantise_mentor_major(
        np.ascontiguousarray(scores),
        np.ascontiguousarray(eligible, dtype=np.bool_),
        np.ascontiguousarray(seat_open, dtype=np.bool_),
        np.ascontiguousarray(col_open, dtype=np.bool_),
        64,
    )
    if bad:
        raise ValueError(f"scores of eligible pairs must be finite and within ±{MAX_ABS_SCORE:g}")
    return values, int(top)


@numba.njit(cache=True, nogil=True, parallel=True)
def _quantise_mentor_major(scores, eligible, seat_open, col_open, tile):  # pragma: no cover
    """Returns the mentor-major int32 values, the largest usable magnitude, and whether any
    usable score was not finite or out of range (checked here because this pass reads every
    score anyway)."""
    n, seats, m = scores.shape
    out = np.empty((m, n, seats), np.int32)
    n_bands = (m + tile - 1) // tile
    bad = np.zeros(max(n_bands, 1), np.bool_)
    top = np.zeros(max(n_bands, 1), np.int64)
    limit = MAX_ABS_SCORE * SCORE_SCALE
    # Tiles keep both the rows read and the rows written in cache during the transpose;
    # threads take disjoint bands of mentors.
    for band in numba.prange(n_bands):
        j0 = band * tile
        j1 = min(j0 + tile, m)
        for i0 in range(0, n, tile):
            i1 = min(i0 + tile, n)
            for j in range(j0, j1):
                for i in range(i0, i1):
                    for s in range(seats):
                        if eligible[i, s, j] and seat_open[i, s] and col_open[j]:
                            value = np.float64(scores[i, s, j]) * SCORE_SCALE
                            if not np.abs(value) <= limit:  # also catches NaN
                                bad[band] = True
                                value = 0.0
                            q = np.int32(np.rint(value))
                            top[band] = max(top[band], abs(np.int64(q)))
                            out[j, i, s] = q
                        else:
                            out[j, i, s] = _MISSING
    return out, top.max(), bad.any()


@numba.njit(cache=True, nogil=True)
def _scan_row(values, blocks, j, price, k, lists, list_value, list_len, scale):  # pragma: no cover
    """Refill mentor ``j``'s list with its ``k`` best seats at current prices (``blocks``: see
    :func:`_scan_blocks`), and ``list_value`` with their scores: a bid reads the list's scores
    there, side by side, rather than each from the mentor's row far apart (a cache miss
    each: additive scores, 342,000 bids over lists of up to 32).

    Returns the (k+1)-th best value: every seat not on the list is worth at most that, and
    since prices only rise, it stays an upper bound until the next scan.
    """
    row = values[j].ravel()
    best = np.empty(k + 1, np.int64)
    where = np.empty(k + 1, np.int64)
    if values.shape[2] > 1:
        tops, lift, last, given, _common, worth = blocks
        first = _scan_start(j, tops.shape[1])
        found = _scan_blocks(
            row, tops[j], lift[j], worth, last[j], given[0], first, price, scale, best, where
        )
    else:
        # One-to-one rows have few missing pairs: a plain pass is quicker than skipping
        # blocks (needs + roles, 10,000 x 2,000: 1.73 s against 2.20 s in the same run).
        found = 0
        for r in range(len(row)):
            if row[r] != _MISSING:
                found = _keep_top(best, where, found, np.int64(row[r]) * scale - price[r], r)
    list_len[j] = min(found, k)
    for t in range(list_len[j]):
        lists[j, t] = where[t]
        list_value[j, t] = row[where[t]]
    if found == k + 1:
        return best[k]
    return -(np.int64(1) << 62)


@numba.njit(cache=True, nogil=True)
def _scan_start(j, n_blocks):  # pragma: no cover
    """The block mentor ``j``'s scans start from. Among seats worth the same a list keeps the
    first it meets; were that the lowest seat index for every mentor, mentors that rank alike
    would all list, and fight over, the same few seats of a tie (career_stage + experience:
    48,500 rescans over the phases against 37,000)."""
    return (j * 2654435761) % max(n_blocks, 1)


@numba.njit(cache=True, nogil=True)
def _scan_blocks(
    row, tops, lift, worth, last, given, first, price, scale, best, where
):  # pragma: no cover
    """:func:`_scan_row`'s pass over a mosaic row, ``_SCAN_BLOCK`` seats at a time from block
    ``first`` round to the one before it; returns how many seats it offered to the list.

    Once the list is full, a block is read only if it may hold a seat better than the list's
    last entry. Three bounds say it cannot, without reading it: its best score at price 0
    (``tops``); the most this mentor's scores there stand above the seats' common scores
    (``lift``) plus the block's best common score less price (``worth``, kept current by
    the auction: see :func:`_seat_means`); and its best worth when this mentor last read it
    (``last``, stored less the price units ``given`` back by the phases so far, which are
    all that prices have fallen since: within a phase they only rise). In career_stage alone
    the first skips about 64 % of the blocks and the last a third of the rest: seats other
    mentors have priced down to what the list already holds. The second is for mentors that
    rank seats alike (additive scores): it holds as prices move, where the last fails at
    every phase's give-back. A block read is read with a branch-free pass first; a missing
    pair's value there is far below any real one."""
    size = len(best)
    found = 0
    low = -(np.int64(1) << 62)
    n_blocks = len(tops)
    for b in range(n_blocks):
        block = b + first - n_blocks if b + first >= n_blocks else b + first
        start = block * _SCAN_BLOCK
        stop = min(start + _SCAN_BLOCK, len(row))
        if found == size:
            if np.int64(tops[block]) * scale <= best[size - 1]:
                continue
            if np.int64(lift[block]) * scale + worth[block] <= best[size - 1]:
                continue
            if last[block] + given <= best[size - 1]:
                continue
            top = low
            for r in range(start, stop):
                top = max(top, np.int64(row[r]) * scale - price[r])
            last[block] = top - given
            if top <= best[size - 1]:
                continue
        top = low
        for r in range(start, stop):
            if row[r] != _MISSING:
                value = np.int64(row[r]) * scale - price[r]
                top = max(top, value)
                found = _keep_top(best, where, found, value, r)
        last[block] = top - given
    return found


@numba.njit(cache=True, nogil=True)
def _auction(values, caps, bonus, eps, extra, scale):  # pragma: no cover
    """Forward auction: each free mentor place bids for its best seat; the seat's price rises
    to the bidder's margin over its second-best option (plus ``eps``), and the outbid place
    bids again. Places whose best margin is not positive stay unused.

    Seats are the plentiful side, so few bids collide. A mentor never bids for a second seat
    on a board it already sits on. Returns seat prices, seat owners (-1 = free) and each
    mentor's candidate list.
    """
    m, n, seats = values.shape
    n_seats = n * seats
    price = np.zeros(n_seats, np.int64)
    owner = np.full(n_seats, -1, np.int64)
    k = extra + seats * max(caps.max(), 1) if m else 1
    # Each mentor's list is longer than its own boards can take, and no longer: a bid reads
    # the whole list (capacity/demand 1 has places for 2 to 27 boards a mentor).
    k_of = np.minimum(k, extra + seats * np.maximum(caps, 1))
    lists = np.empty((m, k), np.int64)
    list_value = np.empty((m, k), np.int32)
    list_len = np.zeros(m, np.int64)
    bound = np.full(m, np.int64(1) << 62, np.int64)
    total = caps.sum()
    queue = np.empty(total + 1, np.int64)
    # What the phases bid with: prices and owners per seat; per mentor its list (seats and
    # their scores), its length and the bound on seats off it; the queue of free places.
    bidding = (price, owner, lists, list_value, list_len, bound, queue)
    blocks = _scan_state(values, scale, price)
    tops, _lift, _last, given, common, worth = blocks
    ceiling = np.empty(m, np.int64)
    for j in range(m):
        ceiling[j] = _row_ceiling(tops, j, scale)
    # Epsilon scaling: coarse phases settle prices roughly in a few bids, fine phases only
    # adjust them, so a price war (many places wanting the same seats) costs few bids.
    phase_eps = eps
    calm = False
    while True:
        phase_eps = max(1, phase_eps // _EPS_FACTOR)
        outbid = _auction_phase(values, blocks, bidding, caps, bonus, phase_eps, k_of, scale)
        if phase_eps == 1:
            break
        # A phase can push prices up to its epsilon above what any place will pay; staying
        # unused is then wrongly preferred in every later phase. Give that much back.
        _give_back(price, bound, ceiling, phase_eps)
        given[0] += phase_eps
        _block_worths(common, price, scale, worth)
        if seats > 1 and outbid == 0 and calm:
            # Twice in a row nobody was outbid: every place found a seat of its own (boards
            # worth the same to a mentor, say) and each finer phase would only repeat that,
            # rescanning every mentor's row. Go straight to the last phase. (Once is not
            # enough: the first phase's huge steps leave no one outbid, and prices from it
            # alone start a long price war at the finest step.)
            phase_eps = 1
        calm = outbid == 0
    # Refresh stale lists so that each list's best beats every seat left off it: then no pruned
    # seat can violate the optimality check unless the exact repair moves the prices.
    for j in range(m):
        top = -(np.int64(1) << 62)
        for t in range(list_len[j]):
            top = max(top, np.int64(list_value[j, t]) * scale - price[lists[j, t]])
        if top < bound[j]:
            bound[j] = _scan_row(
                values, blocks, j, price, k_of[j], lists, list_value, list_len, scale
            )
    return price, owner, lists, list_len


@numba.njit(cache=True, nogil=True)
def _give_back(price, bound, ceiling, eps):  # pragma: no cover
    """Between epsilon phases: lower every price by ``eps`` (not below 0), and raise each
    mentor's bound on seats off its list to match, though never above ``ceiling`` (its best
    seat's worth at price 0). Under ties the bound is already there (an unpriced seat as good
    as the list's), and raising it would send every mentor back to a full scan."""
    for r in range(len(price)):
        price[r] = max(0, price[r] - eps)
    for j in range(len(bound)):
        if bound[j] < (np.int64(1) << 61):
            bound[j] = min(bound[j] + eps, ceiling[j])


@numba.njit(cache=True, nogil=True)
def _scan_state(values, scale, price):  # pragma: no cover
    """What :func:`_scan_blocks` skips blocks by: ``(tops, lift, last, given, common,
    worth)``. One-to-one rows are read whole: they get ``tops`` (the auction takes each row's
    ceiling from them) and empty arrays for the rest."""
    common = _seat_means(values) if values.shape[2] > 1 else np.zeros(0, np.int32)
    tops, lift = _block_tops(values, common)
    worth = np.empty(len(common) // _SCAN_BLOCK + 1, np.int64)
    _block_worths(common, price, scale, worth)
    # Each mentor's blocks as last read.
    last = np.full(lift.shape, np.int64(1) << 61, np.int64)
    given = np.zeros(1, np.int64)  # price units given back by the phases so far
    return tops, lift, last, given, common, worth


@numba.njit(cache=True, nogil=True, parallel=True)
def _seat_means(values):  # pragma: no cover
    """Per seat, the mean score of the mentors who may take it (0 if none may): what the
    seat is worth to mentors in common. Seats are taken a few blocks at a time so that each
    mentor's scores are read in runs."""
    m = values.shape[0]
    width = values.shape[1] * values.shape[2]
    flat = values.reshape(m, width)
    common = np.zeros(width, np.int32)
    chunk = 64 * _SCAN_BLOCK
    for c in numba.prange((width + chunk - 1) // chunk):
        start = c * chunk
        stop = min(start + chunk, width)
        total = np.zeros(stop - start, np.int64)
        count = np.zeros(stop - start, np.int64)
        for j in range(m):
            for r in range(start, stop):
                if flat[j, r] != _MISSING:
                    total[r - start] += flat[j, r]
                    count[r - start] += 1
        for r in range(start, stop):
            if count[r - start]:
                common[r] = total[r - start] // count[r - start]
    return common


@numba.njit(cache=True, nogil=True)
def _block_worths(common, price, scale, worth):  # pragma: no cover
    """Every block's best common score less price (see :func:`_scan_blocks`)."""
    for b in range((len(common) + _SCAN_BLOCK - 1) // _SCAN_BLOCK):
        _block_worth(common, price, scale, worth, b)


@numba.njit(cache=True, nogil=True, inline="always")
def _block_worth(common, price, scale, worth, block):  # pragma: no cover
    top = -(np.int64(1) << 62)
    for r in range(block * _SCAN_BLOCK, min(block * _SCAN_BLOCK + _SCAN_BLOCK, len(common))):
        top = max(top, np.int64(common[r]) * scale - price[r])
    worth[block] = top


@numba.njit(cache=True, nogil=True, parallel=True)
def _block_tops(values, common):  # pragma: no cover
    """Per mentor and block of ``_SCAN_BLOCK`` seats: the best score (``_MISSING`` if none is
    usable), what a seat there is worth at price 0 and the most it can be worth at any
    prices; and the most a usable score there stands above its seat's ``common`` score
    (``lift``; ``_MISSING`` if none; no columns when ``common`` is empty, as for one-to-one
    rows, which are read whole). Scans skip the blocks that cannot enter the list by either
    without reading them."""
    m = values.shape[0]
    width = values.shape[1] * values.shape[2]
    flat = values.reshape(m, width)
    n_blocks = (width + _SCAN_BLOCK - 1) // _SCAN_BLOCK
    tops = np.empty((m, n_blocks), np.int32)
    with_lift = len(common) > 0
    lift = np.empty((m, n_blocks if with_lift else 0), np.int32)
    for j in numba.prange(m):
        for b in range(n_blocks):
            top = np.int32(_MISSING)  # below every usable score
            above = np.int32(_MISSING)
            for r in range(b * _SCAN_BLOCK, min(b * _SCAN_BLOCK + _SCAN_BLOCK, width)):
                top = max(top, flat[j, r])
                if with_lift and flat[j, r] != _MISSING:
                    above = max(above, flat[j, r] - common[r])
            tops[j, b] = top
            if with_lift:
                lift[j, b] = above
    return tops, lift


@numba.njit(cache=True, nogil=True)
def _row_ceiling(tops, j, scale):  # pragma: no cover
    """The most any of mentor ``j``'s seats can be worth, scaled (a bound whatever the prices)."""
    top = np.int32(_MISSING)
    for b in range(tops.shape[1]):
        top = max(top, tops[j, b])
    return -(np.int64(1) << 62) if top == _MISSING else np.int64(top) * scale


@numba.njit(cache=True, nogil=True)
def _auction_phase(values, blocks, bidding, caps, bonus, eps, k_of, scale):  # pragma: no cover
    """One epsilon phase: every place starts free (prices are kept) and bids until all hold a
    seat or prefer to stay unused (``bidding``: see :func:`_auction`; ``k_of``: each mentor's
    list length). Returns how many places were outbid."""
    price, owner, lists, list_value, list_len, bound, queue = bidding
    _tops, _lift, _last, _given, common, worth = blocks  # see _scan_state
    m, _n, seats = values.shape
    owner[:] = -1
    total = caps.sum()
    tail = 0
    for j in range(m):
        for _ in range(caps[j]):
            queue[tail] = j
            tail += 1
    head, size = 0, total
    outbid = 0
    # Mentors rescanned together (see _stale_ahead), and when each was last looked at.
    batch = np.empty(_SCAN_AHEAD + 1, np.int64)
    mark = np.zeros(m, np.int64)
    stamp = 0
    while size > 0:
        j = queue[head]
        head = (head + 1) % (total + 1)
        size -= 1
        scanned = False
        while True:
            best = -(np.int64(1) << 62)
            second = best
            best_seat = -1
            for t in range(list_len[j]):
                r = lists[j, t]
                base = r - r % seats
                taken = False
                for s in range(seats):
                    if owner[base + s] == j:
                        taken = True
                if taken:
                    continue
                v = (np.int64(list_value[j, t]) + bonus) * scale - price[r]
                if v > best:
                    second = best
                    best = v
                    best_seat = r
                elif v > second:
                    second = v
            # Seats off the list are worth at most bound[j]; trust the list only above it.
            # A fresh list is always right: it holds more seats than j's own boards can take.
            if scanned or (best_seat >= 0 and best - bonus * scale >= bound[j]):
                break
            stamp += 1
            count = _stale_ahead(queue, head, size, j, bidding, scale, batch, mark, stamp)
            if count == 1:
                bound[j] = _scan_row(
                    values, blocks, j, price, k_of[j], lists, list_value, list_len, scale
                )
            else:
                _scan_rows(values, blocks, batch[:count], bidding, k_of, scale)
            scanned = True
        second = max(second, bound[j] + bonus * scale, 0)
        if best_seat < 0 or best <= 0:
            continue
        previous = owner[best_seat]
        if previous >= 0:
            queue[(head + size) % (total + 1)] = previous
            size += 1
            outbid += 1
        owner[best_seat] = j
        price[best_seat] += best - second + eps
        if seats > 1:
            _block_worth(common, price, scale, worth, best_seat // _SCAN_BLOCK)
    return outbid


@numba.njit(cache=True, nogil=True)
def _stale_ahead(queue, head, size, j, bidding, scale, batch, mark, stamp):  # pragma: no cover
    """Mentor ``j``, whose list no longer answers, and the mentors of the next
    ``_SCAN_AHEAD`` places in the queue whose lists are stale too (their best listed seat
    below their bound, whoever holds it): into ``batch``, each once; returns how many.

    Their bids would rescan them soon anyway, one after another; rescanned now, together,
    the two cores share the rows. Lists made a few bids early stay right (prices only rise
    within a phase, so a bound stays a bound): needs + career_stage's auction 1.9 -> 1.1 s,
    additive 2.2 -> 1.4 s."""
    price, _owner, lists, list_value, list_len, bound, _queue = bidding
    batch[0] = j
    mark[j] = stamp
    count = 1
    for d in range(min(size, _SCAN_AHEAD)):
        other = queue[(head + d) % len(queue)]
        if mark[other] == stamp:
            continue
        mark[other] = stamp
        top = -(np.int64(1) << 62)
        for t in range(list_len[other]):
            top = max(top, np.int64(list_value[other, t]) * scale - price[lists[other, t]])
        if top < bound[other]:
            batch[count] = other
            count += 1
    return count


@numba.njit(cache=True, nogil=True, parallel=True)
def _scan_rows(values, blocks, mentors, bidding, k_of, scale):  # pragma: no cover
    """:func:`_scan_row` for several different mentors at once: each writes only its own
    list, bound and blocks as last read. The caller scans a lone mentor itself: with that
    case returned early here, before the parallel loop, the compiled auction never ended
    (numba 0.68; the pure-Python run of the same code did)."""
    price, _owner, lists, list_value, list_len, bound, _queue = bidding
    for t in numba.prange(len(mentors)):
        j = mentors[t]
        bound[j] = _scan_row(values, blocks, j, price, k_of[j], lists, list_value, list_len, scale)


@dataclass(eq=False)
class _SeatNetwork:
    """The pruned flow network built from an auction, plus what maps it back to seats.

    Node layout: mentors ``[0, m)``, then pair nodes (several seats per mentee only), seats,
    the sink, and any pair nodes added by the certificate rounds. ``arc_seat``/``arc_mentor``
    mark the arcs that put a mentor in a seat.
    """

    flow: _FlowNetwork
    m: int
    n: int
    seats: int
    bonus: int
    seat_base: int  # node of seat 0
    pair_mentor: np.ndarray  # per pair node (empty with one seat per mentee)
    pair_mentee: np.ndarray
    pair_node: np.ndarray
    arc_seat: np.ndarray
    arc_mentor: np.ndarray

    @property
    def n_pairs(self) -> int:
        if self.seats == 1:
            return int((self.arc_seat >= 0).sum())
        return len(self.pair_mentor)

    def seat_node(self, seat_flat: np.ndarray) -> np.ndarray:
        return self.seat_base + seat_flat

    @classmethod
    def from_auction(
        cls,
        values: np.ndarray,
        caps: np.ndarray,
        bonus: int,
        price: np.ndarray,
        owner: np.ndarray,
        lists: np.ndarray,
        list_len: np.ndarray,
    ) -> _SeatNetwork:
        """Potentials from prices, flow from the auction's assignments where the potentials
        can prove them (see :meth:`_one_seat` and :meth:`_boards`); the rest, and every priced
        seat or mentor left without its flow, becomes excess or demand for the repair step.
        """
        seats = values.shape[2]
        if seats == 1:
            # A mentor's places are interchangeable, so at equilibrium each earns the same
            # margin: raise the price of the seats a mentor holds cheaply to its worst held
            # seat's margin. That costs the mentor nothing and makes every held seat tight.
            price = _common_margin(values, caps, bonus, price, owner)
        mentors, seat_flat = _candidates(values, bonus, price, owner, lists, list_len)
        if seats == 1:
            return cls._one_seat(values, caps, bonus, price, owner, mentors, seat_flat)
        return cls._boards(values, caps, bonus, price, owner, mentors, seat_flat)

    @classmethod
    def from_seat_auction(cls, values: np.ndarray, caps: np.ndarray, bonus: int) -> _SeatNetwork:
        """Mosaic boards with places plentiful: seats bid for mentors' places
        (:func:`_seat_auction`), and the network holds the seats won, each seat's best
        listed mentors at the prices reached, and its flow where the potentials prove it
        (:meth:`_boards`). A seat's price is what it gains over the mentor's price."""
        _m, n, seats = values.shape
        keys, listed, found = _seat_lists(values, bonus, _SEAT_LIST)
        mentor_price, owner = _seat_auction(caps, keys, listed, found)
        held = np.flatnonzero(owner >= 0)
        price = np.zeros(n * seats, np.int64)
        q_held = values[owner[held], held // seats, held % seats].astype(np.int64)
        price[held] = q_held + bonus - mentor_price[owner[held]]
        low = -(np.int64(1) << 62)
        gain = np.where(listed >= 0, keys - mentor_price[np.maximum(listed, 0)], low)
        top = min(_SEAT_CANDIDATES, _SEAT_LIST)
        best = np.take_along_axis(listed, np.argpartition(-gain, top - 1, axis=1)[:, :top], 1)
        seat_of = np.repeat(np.arange(n * seats), top).reshape(-1, top)
        mentors = np.concatenate([owner[held], best[best >= 0]])
        seat_flat = np.concatenate([held, seat_of[best >= 0]])
        network = cls._boards(values, caps, bonus, price, owner, mentors, seat_flat)
        # Lowered, not raised (see _boards): with the seats' prices raised potentials leave
        # unused places priced, and the certificate then sees a violation in nearly every
        # board (43,000 pairs against 5,500, capacity/demand 2 at full size).
        network.flow.raise_potentials = False
        network.flow.paths_up_to = _SEAT_AUCTION_PATHS
        # Never above the general budget: the warm-up sets that to 0 to compile the re-solve.
        network.flow.path_budget = min(_PATH_BUDGET, _SEAT_AUCTION_PATH_BUDGET)
        network.flow.path_check_rounds = None
        network.flow.search_spread = 1
        return network

    @classmethod
    def _one_seat(
        cls,
        values: np.ndarray,
        caps: np.ndarray,
        bonus: int,
        price: np.ndarray,
        owner: np.ndarray,
        mentors: np.ndarray,
        seat_flat: np.ndarray,
    ) -> _SeatNetwork:
        """mentor -> seat -> sink. Seat potential ``-price``, mentor potential ``v_j = max(0,
        best margin)`` over its candidate arcs: every arc then has a non-negative reduced cost.
        An assignment is kept only where it is tight (margin exactly ``v_j``)."""
        m, n, _seats = values.shape
        arc_mentor, arc_seat = _unique_pairs(mentors, seat_flat, n)
        q = values[arc_mentor, arc_seat, 0].astype(np.int64) + bonus
        margin = q - price[arc_seat]
        pot_mentor = np.zeros(m, np.int64)
        maximum_at(pot_mentor, arc_mentor, margin)
        tight = (owner[arc_seat] == arc_mentor) & (margin == pot_mentor[arc_mentor])
        n_nodes = m + n + 1
        sink = n_nodes - 1
        seat_base = m
        seat_filled = np.zeros(n, bool)
        seat_filled[arc_seat[tight]] = True
        tight_count = np.bincount(arc_mentor[tight], minlength=m)
        parts = _ArcList()
        parts.add(arc_mentor, seat_base + arc_seat, 1, -q, tight)
        # A seat whose price is positive must end up filled (complementary slackness), so its
        # arc to the sink starts saturated; a mentor with a positive price must be full.
        parts.add(seat_base + np.arange(n), sink, 1, 0, seat_filled | (price > 0))
        parts.add(np.arange(m), sink, caps, 0, np.where(pot_mentor == 0, caps - tight_count, 0))
        pot = np.concatenate([pot_mentor, -price, np.zeros(1, np.int64)])
        supply = np.zeros(n_nodes, np.int64)
        supply[:m] = caps
        supply[sink] = -caps.sum()
        flow = _FlowNetwork.with_flow(n_nodes, *parts.arrays(), pot, supply)  # type: ignore[call-arg]
        arc_seat_all = np.full(len(flow.tails), -1, np.int64)
        arc_mentor_all = np.full(len(flow.tails), -1, np.int64)
        arc_seat_all[: len(arc_seat)] = arc_seat
        arc_mentor_all[: len(arc_seat)] = arc_mentor
        empty = np.zeros(0, np.int64)
        return cls(
            flow, m, n, 1, bonus, seat_base, empty, empty, empty, arc_seat_all, arc_mentor_all
        )

    @classmethod
    def _boards(
        cls,
        values: np.ndarray,
        caps: np.ndarray,
        bonus: int,
        price: np.ndarray,
        owner: np.ndarray,
        mentors: np.ndarray,
        seat_flat: np.ndarray,
    ) -> _SeatNetwork:
        """mentor -> (mentee, mentor) pair -> seat -> sink, with the auction's flow kept
        wherever the potentials below can prove it.

        Seat potential ``-price``. A pair node's potential lies between the margins of its
        free seats and that of the seat it fills; a mentor's between its free pairs' best
        margins (and 0: it may leave places unused) and its filled pairs' potentials. The
        auction leaves a mentor's free pairs at most about a unit above its worst held seat,
        so nearly every held seat is kept; the few that are not become excess and demand.
        (The other seats of a board a mentor sits on are no rivals of its other boards: the
        mentor may only move within that board.)
        """
        m, n, seats = values.shape
        pair_mentor, pair_mentee = _unique_pairs(mentors, seat_flat // seats, n)
        arc_mentor, arc_seat = _pair_seat_arcs(values, pair_mentor, pair_mentee)
        n_pair = len(pair_mentor)
        pair_of_arc = np.repeat(
            np.arange(n_pair), _seat_arc_counts(values, pair_mentor, pair_mentee)
        )
        q = values[arc_mentor, arc_seat // seats, arc_seat % seats].astype(np.int64) + bonus
        margin = q - price[arc_seat]
        low = -(np.int64(1) << 62)
        pair_best = np.full(n_pair, low)
        maximum_at(pair_best, pair_of_arc, margin)
        held = owner[arc_seat] == arc_mentor
        pair_held = np.full(n_pair, low)
        pair_held[pair_of_arc[held]] = margin[held]
        # A filled pair is kept when its seat is its best and beats every free pair of its
        # mentor; dropping one frees its pair, which may raise the mentor's bar: repeat.
        kept = pair_held >= pair_best
        while True:
            pot_mentor = np.zeros(m, np.int64)
            maximum_at(pot_mentor, pair_mentor[~kept], pair_best[~kept])
            still = kept & (pair_held >= pot_mentor[pair_mentor])
            if (still == kept).all():
                break
            kept = still
        arc_used = held & kept[pair_of_arc]
        seat_filled = np.zeros(n * seats, bool)
        seat_filled[arc_seat[arc_used]] = True
        kept_count = np.bincount(pair_mentor[kept], minlength=m)
        n_nodes = m + n_pair + n * seats + 1
        sink = n_nodes - 1
        seat_base = m + n_pair
        parts = _ArcList()
        parts.add(pair_mentor, m + np.arange(n_pair), 1, 0, kept)
        parts.add(m + pair_of_arc, seat_base + arc_seat, 1, -q, arc_used)
        # A seat whose price is positive must end up filled (complementary slackness), so its
        # arc to the sink starts saturated; a mentor with a positive potential must be full.
        parts.add(seat_base + np.arange(n * seats), sink, 1, 0, seat_filled | (price > 0))
        parts.add(np.arange(m), sink, caps, 0, np.where(pot_mentor == 0, caps - kept_count, 0))
        # A free pair's potential is its best seat's margin (never above its mentor's): then
        # only a mentor's best pairs cost nothing to enter, which keeps the searches of the
        # repair step from wandering over every pair of every mentor.
        pot_pair = np.where(kept, pair_held, pair_best)
        pot = np.concatenate([pot_mentor, pot_pair, -price, np.zeros(1, np.int64)])
        supply = np.zeros(n_nodes, np.int64)
        supply[:m] = caps
        supply[sink] = -caps.sum()
        flow = _FlowNetwork.with_flow(n_nodes, *parts.arrays(), pot, supply)  # type: ignore[call-arg]
        # Raised potentials stay near the auction's prices. Without an auction (places
        # plentiful: prices 0, nothing held) there is nothing to stay near, and lowering does
        # as well or better (capacity/demand 2 at full size: 10.2 s CPU against 12.9 s).
        flow.raise_potentials = bool((owner >= 0).any())
        flow.search_spread = _SEARCH_SPREAD
        flow.paths_up_to = None
        arc_seat_all = np.full(len(flow.tails), -1, np.int64)
        arc_mentor_all = np.full(len(flow.tails), -1, np.int64)
        arc_seat_all[n_pair : n_pair + len(arc_seat)] = arc_seat
        arc_mentor_all[n_pair : n_pair + len(arc_seat)] = arc_mentor
        return cls(
            flow,
            m,
            n,
            seats,
            bonus,
            seat_base,
            pair_mentor,
            pair_mentee,
            m + np.arange(n_pair),
            arc_seat_all,
            arc_mentor_all,
        )

    def violations(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pruned (mentor, mentee) pairs with a negative reduced cost, worst first per mentor.

        With one seat per mentee every arc is checked (arcs in the network never violate).
        With several, pairs that already have a node are skipped; for a missing pair node the
        best potential it could take is its mentor's, so the test is
        ``q + bonus > pot[mentor] - pot[seat]`` for any of the mentee's seats.
        """
        pot = self.flow.pot
        seat_pot = pot[self.seat_node(np.arange(self.n * self.seats))]
        if self.seats == 1:
            indptr = np.zeros(self.m + 1, np.int64)
            known = np.zeros(0, np.int64)
        else:
            order = np.lexsort((self.pair_mentee, self.pair_mentor))
            indptr = np.zeros(self.m + 1, np.int64)
            np.cumsum(np.bincount(self.pair_mentor, minlength=self.m), out=indptr[1:])
            known = self.pair_mentee[order]
        board = np.full(self.n * self.seats, -1, np.int64)
        seat_flat, seat_mentor = self.filled_seats()
        board[seat_flat] = seat_mentor
        worst_by_mentor, _worst_by_mentee = _violation_extent(
            values, self.bonus, pot[: self.m], seat_pot, board.reshape(self.n, self.seats)
        )
        # Usually nothing violates (the last round always): then one fast pass was the check.
        active = worst_by_mentor > 0
        if not active.any():
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        by_mentor = _worst_violations(
            values,
            self.bonus,
            pot[: self.m],
            seat_pot,
            indptr,
            known,
            np.flatnonzero(active),
            _VIOLATIONS_PER_MENTOR,
        )
        by_mentee = _best_per_mentee(
            values, self.bonus, pot[: self.m], seat_pot, active, _VIOLATIONS_PER_MENTEE, True
        )
        mentors = np.concatenate([by_mentor[0], by_mentee[0]])
        mentees = np.concatenate([by_mentor[1], by_mentee[1]])
        # A pair already in the network is settled by the network's own potentials (its arcs
        # may carry flow, where the mentor-level test above does not apply).
        if self.seats == 1:
            used = self.arc_seat >= 0
            known_keys = self.arc_mentor[used] * self.n + self.arc_seat[used]
        else:
            known_keys = self.pair_mentor * self.n + self.pair_mentee
        fresh = ~np.isin(mentors * self.n + mentees, known_keys)
        return _unique_pairs(mentors[fresh], mentees[fresh], self.n)

    def add_pairs(self, values: np.ndarray, mentors: np.ndarray, mentees: np.ndarray) -> None:
        """Add the violating pairs (saturating arcs with negative reduced cost)."""
        seats = self.seats
        pot = self.flow.pot
        if seats == 1:
            seat_flat = mentees
            q = values[mentors, mentees, 0].astype(np.int64) + self.bonus
            start = len(self.flow.tails)
            self.flow.add_arcs(mentors, self.seat_node(seat_flat), np.ones(len(q), np.int64), -q)
            self._mark(start, seat_flat, mentors)
            return
        nodes = self.flow.add_nodes(len(mentors), pot[mentors])
        self.pair_mentor = np.concatenate([self.pair_mentor, mentors])
        self.pair_mentee = np.concatenate([self.pair_mentee, mentees])
        self.pair_node = np.concatenate([self.pair_node, nodes])
        self.flow.add_arcs(
            mentors, nodes, np.ones(len(nodes), np.int64), np.zeros(len(nodes), np.int64)
        )
        arc_mentor, arc_seat = _pair_seat_arcs(values, mentors, mentees)
        pair_of_arc = np.repeat(nodes, _seat_arc_counts(values, mentors, mentees))
        q = values[arc_mentor, arc_seat // seats, arc_seat % seats].astype(np.int64) + self.bonus
        start = len(self.flow.tails)
        self.flow.add_arcs(pair_of_arc, self.seat_node(arc_seat), np.ones(len(q), np.int64), -q)
        self._mark(start, arc_seat, arc_mentor)

    def _mark(self, start: int, seat_flat: np.ndarray, mentors: np.ndarray) -> None:
        extra = len(self.flow.tails) - len(self.arc_seat)
        self.arc_seat = np.concatenate([self.arc_seat, np.full(extra, -1, np.int64)])
        self.arc_mentor = np.concatenate([self.arc_mentor, np.full(extra, -1, np.int64)])
        self.arc_seat[start : start + len(seat_flat)] = seat_flat
        self.arc_mentor[start : start + len(seat_flat)] = mentors

    def filled_seats(self) -> tuple[np.ndarray, np.ndarray]:
        used = (self.arc_seat >= 0) & (self.flow.flow > 0)
        return self.arc_seat[used], self.arc_mentor[used]


class _ArcList:
    """Collects forward arcs in blocks (tails, heads, capacity, cost, initial flow)."""

    def __init__(self) -> None:
        self.blocks: list[tuple[np.ndarray, ...]] = []

    def add(
        self,
        tails: np.ndarray,
        heads: np.ndarray | int,
        capacity: np.ndarray | int,
        cost: np.ndarray | int,
        flow: np.ndarray | int,
    ) -> None:
        tails = np.asarray(tails, np.int64)
        size = len(tails)
        self.blocks.append(
            tuple(
                np.broadcast_to(np.asarray(x, np.int64), (size,))
                for x in (tails, heads, capacity, cost, flow)
            )
        )

    def arrays(self) -> tuple[np.ndarray, ...]:
        return tuple(np.concatenate([b[k] for b in self.blocks]) for k in range(5))


def _common_margin(
    values: np.ndarray, caps: np.ndarray, bonus: int, price: np.ndarray, owner: np.ndarray
) -> np.ndarray:
    """Prices with each mentor's held seats raised to its worst held seat's margin (0 for a
    mentor with a place left over: it earns nothing at the margin)."""
    m, _n, seats = values.shape
    held = np.flatnonzero(owner >= 0)
    price = price.copy()
    held_q = values[owner[held], held // seats, held % seats].astype(np.int64) + bonus
    held_margin = held_q - price[held]
    level = np.full(m, np.int64(1) << 62)
    minimum_at(level, owner[held], held_margin)
    not_full = np.bincount(owner[held], minlength=m) < caps
    level[not_full] = np.minimum(level[not_full], 0)
    price[held] += held_margin - level[owner[held]]
    return price


def _candidates(
    values: np.ndarray,
    bonus: int,
    price: np.ndarray,
    owner: np.ndarray,
    lists: np.ndarray,
    list_len: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(mentor, flat seat) candidates for the pruned network, repeats allowed: each mentor's
    auction list, the held seats, and each mentee's best mentors at the auction's prices (the
    mentors' lists alone crowd onto the same few mentees when mentors rank mentees alike)."""
    m, _n, seats = values.shape
    held = np.flatnonzero(owner >= 0)
    listed_mentor = np.repeat(np.arange(m), list_len)
    listed_seat = lists[np.arange(m).repeat(list_len), _ranks(list_len)]
    listed_q = values[listed_mentor, listed_seat // seats, listed_seat % seats]
    pot_guess = np.zeros(m, np.int64)
    maximum_at(pot_guess, listed_mentor, listed_q.astype(np.int64) + bonus - price[listed_seat])
    extra_mentor, extra_mentee = _best_per_mentee(
        values, bonus, pot_guess, -price, np.ones(m, np.bool_), _CANDIDATES_PER_MENTEE, False
    )
    extra_seat = _best_seat(values, extra_mentor, extra_mentee, price)
    mentors = np.concatenate([listed_mentor, owner[held], extra_mentor])
    seat_flat = np.concatenate([listed_seat, held, extra_seat])
    return mentors, seat_flat


@numba.njit(cache=True, nogil=True, parallel=True)
def _seat_lists(values, bonus, k):  # pragma: no cover
    """Each seat's ``k`` best mentors (``q + bonus``, largest first) as ``(keys, mentors,
    count)``, seats flat (``mentee * seats + seat``); mentees are read in blocks so that each
    mentor's slice stays in cache."""
    m, n, seats = values.shape
    keys = np.full((n * seats, k), -(np.int64(1) << 62), np.int64)
    mentors = np.full((n * seats, k), -1, np.int64)
    found = np.zeros(n * seats, np.int64)
    block = 256
    for b in numba.prange((n + block - 1) // block):
        for j in range(m):
            for i in range(b * block, min(b * block + block, n)):
                for s in range(seats):
                    q = values[j, i, s]
                    if q != _MISSING:
                        r = i * seats + s
                        found[r] = _keep_top(keys[r], mentors[r], found[r], np.int64(q) + bonus, j)
    return keys, mentors, found


@numba.njit(cache=True, nogil=True)
def _seat_auction(caps, keys, mentors, found):  # pragma: no cover
    """Seats bid for mentors' places (one price unit at a time): each free seat takes the
    listed mentor with the largest gain ``key - price[mentor]`` if positive, bidding the
    mentor's price up by its lead over its second best (or over what an unlisted mentor
    could give, or 0); a full mentor drops its lowest bid, and its price is the lowest bid
    it holds. Seats whose unlisted mentors may be better, or with nothing to gain, stay free
    for the exact repair; a mentor may hold two seats of one board, which the network
    settles, as it settles what is left once ``_SEAT_BIDS_PER_SEAT`` bids a seat are spent.
    Returns the mentors' prices and each seat's mentor (-1: free)."""
    n_seats, k = keys.shape
    m = len(caps)
    price = np.zeros(m, np.int64)
    slot_first = _place_slots(caps)
    slot_seat = np.full(slot_first[m], -1, np.int64)
    slot_bid = np.zeros(slot_first[m], np.int64)
    held = np.zeros(m, np.int64)
    owner = np.full(n_seats, -1, np.int64)
    queue = np.empty(n_seats + 1, np.int64)
    size = 0
    for r in range(n_seats):
        if found[r] > 0:
            queue[size] = r
            size += 1
    head = 0
    budget = _SEAT_BIDS_PER_SEAT * n_seats
    while size > 0 and budget > 0:
        budget -= 1
        r = queue[head]
        head = (head + 1) % (n_seats + 1)
        size -= 1
        best = -(np.int64(1) << 62)
        second = best
        best_j = -1
        for t in range(found[r]):
            j = mentors[r, t]
            if caps[j] == 0:
                continue  # no place to bid for
            gain = keys[r, t] - price[j]
            if gain > best:
                second, best, best_j = best, gain, j
            elif gain > second:
                second = gain
        if found[r] == k:
            if best < keys[r, k - 1]:
                continue  # an unlisted mentor may be better
            second = max(second, keys[r, k - 1])
        if best_j < 0 or best <= 0:
            continue
        bid = price[best_j] + best - max(second, 0) + 1
        first, last = slot_first[best_j], slot_first[best_j + 1]
        if held[best_j] < caps[best_j]:
            t = first
            while slot_seat[t] >= 0:
                t += 1
            held[best_j] += 1
        else:
            t, _lowest = _worst_place(slot_first, slot_seat, slot_bid, best_j)
            owner[slot_seat[t]] = -1
            queue[(head + size) % (n_seats + 1)] = slot_seat[t]
            size += 1
        slot_seat[t] = r
        slot_bid[t] = bid
        owner[r] = best_j
        if held[best_j] == caps[best_j]:
            price[best_j] = slot_bid[first:last].min()
    return price, owner


def _ranks(lengths: np.ndarray) -> np.ndarray:
    """0, 1, ..., len-1 for each group of the given lengths, concatenated."""
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.arange(lengths.sum()) - starts


def _best_seat(
    values: np.ndarray, mentors: np.ndarray, mentees: np.ndarray, price: np.ndarray
) -> np.ndarray:
    """Flat index of the seat of each mentee where the mentor's margin is highest."""
    seats = values.shape[2]
    flat = mentees[:, None] * seats + np.arange(seats)[None, :]
    q = values[mentors, mentees, :].astype(np.int64)
    margin = np.where(q == _MISSING, -(np.int64(1) << 62), q - price[flat])
    return flat[np.arange(len(mentors)), margin.argmax(axis=1)]


def _unique_pairs(a: np.ndarray, b: np.ndarray, b_size: int) -> tuple[np.ndarray, np.ndarray]:
    keys = np.unique(a.astype(np.int64) * b_size + b)
    return keys // b_size, keys % b_size


def _seat_arc_counts(values: np.ndarray, mentors: np.ndarray, mentees: np.ndarray) -> np.ndarray:
    return (values[mentors, mentees, :] != _MISSING).sum(axis=1)


def _pair_seat_arcs(
    values: np.ndarray, mentors: np.ndarray, mentees: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each (mentor, mentee) pair, one arc per usable seat: (mentor, flat seat) arrays."""
    seats = values.shape[2]
    usable = values[mentors, mentees, :] != _MISSING
    pair, seat = np.nonzero(usable)
    return mentors[pair], mentees[pair] * seats + seat


@numba.njit(cache=True, nogil=True, parallel=True)
def _violation_extent(values, bonus, pot_mentor, pot_seat, board):  # pragma: no cover
    """The largest ``q + bonus - pot_mentor + pot_seat`` per mentor and per mentee over every
    usable pair except a mentee's own board (``board[i]`` lists the mentors in its seats, -1
    for none): the whole certificate in one pass. A pair in the pruned network but off the
    board cannot be positive while the network's potentials are valid, so a positive value
    anywhere is a pair to add. Branch-free, so that the compiler vectorises the inner loop;
    mentors are split into bands across threads, each band keeping its own mentee maxima."""
    m, n, seats = values.shape
    low = -(np.int64(1) << 62)
    n_bands = min(m, 16)
    by_mentor = np.full(m, low, np.int64)
    by_band = np.full((max(n_bands, 1), n), low, np.int64)
    flat = values.reshape(m, n * seats)
    for band in numba.prange(n_bands):
        mine = by_band[band]
        for j in range(band * m // n_bands, (band + 1) * m // n_bands):
            row = flat[j]
            offset = bonus - pot_mentor[j]
            top = low
            if seats == 1:
                for i in range(n):
                    q = row[i]
                    value = np.int64(q) + offset + pot_seat[i]
                    value = value if q != _MISSING and board[i, 0] != j else low
                    top = max(top, value)
                    mine[i] = max(mine[i], value)
            else:
                # Seat by seat, so that each loop is a plain strided pass.
                best = np.full(n, low, np.int64)
                for s in range(seats):
                    for i in range(n):
                        q = row[i * seats + s]
                        value = np.int64(q) + offset + pot_seat[i * seats + s]
                        best[i] = max(best[i], value if q != _MISSING else low)
                for s in range(seats):
                    for i in range(n):
                        best[i] = low if board[i, s] == j else best[i]
                for i in range(n):
                    top = max(top, best[i])
                    mine[i] = max(mine[i], best[i])
            by_mentor[j] = top
    by_mentee = np.full(n, low, np.int64)
    for band in range(n_bands):
        for i in range(n):
            by_mentee[i] = max(by_mentee[i], by_band[band, i])
    return by_mentor, by_mentee


@numba.njit(cache=True, nogil=True, parallel=True)
def _worst_violations(
    values, bonus, pot_mentor, pot_seat, indptr, known, mentors, per_mentor
):  # pragma: no cover
    """Per mentor of ``mentors``, up to ``per_mentor`` mentees (not in ``known``) with the largest positive
    ``q + bonus - pot_mentor + pot_seat`` over their seats: pairs whose reduced cost is
    negative. One pass over the whole matrix, mentors split across threads (each writes only
    its own rows, so the result does not depend on scheduling)."""
    m, n, seats = values.shape
    found = np.zeros(m, np.int64)
    best = np.zeros((m, per_mentor), np.int64)
    best_mentee = np.zeros((m, per_mentor), np.int64)
    for position in numba.prange(len(mentors)):
        j = mentors[position]
        skip = np.zeros(n, np.bool_)
        for t in range(indptr[j], indptr[j + 1]):
            skip[known[t]] = True
        count = 0
        for i in range(n):
            if skip[i]:
                continue
            worst = np.int64(0)
            for s in range(seats):
                q = values[j, i, s]
                if q == _MISSING:
                    continue
                excess = np.int64(q) + bonus - pot_mentor[j] + pot_seat[i * seats + s]
                worst = max(worst, excess)
            if worst > 0:
                count = _keep_top(best[j], best_mentee[j], count, worst, i)
        found[j] = count
    total = found.sum()
    out_mentor = np.empty(total, np.int64)
    out_mentee = np.empty(total, np.int64)
    k = 0
    for j in range(m):
        for t in range(found[j]):
            out_mentor[k] = j
            out_mentee[k] = best_mentee[j, t]
            k += 1
    return out_mentor, out_mentee


# --- Peer pairs ---------------------------------------------------------------------------------


def pair_peers(scores: np.ndarray, eligible: np.ndarray) -> PeerPairing:
    """Peer pairs of similar career stage who mentor each other, exactly.

    A pair's weight is the mean of its two directed scores, and a pair is possible only if it
    is eligible in both directions. Maximum-weight matching in a general (non-bipartite) graph,
    solved as an integer program (HiGHS through ``scipy.optimize.milp``, zero optimality gap)
    on quantised integer weights, so the optimum is exact. About 2 s for 300 peers and 13 s
    for 600 with nearly every pair eligible; cohorts above ``PEER_PAIRING_LIMIT`` raise
    ``ValueError``.
    """
    scores = np.asarray(scores, dtype=np.float64)
    n = scores.shape[0]
    if scores.shape != (n, n):
        raise ValueError("peer scores must be a square matrix")
    if n > PEER_PAIRING_LIMIT:
        raise ValueError(f"Peer pairing handles up to {PEER_PAIRING_LIMIT} peers at once")
    mask = _as_mask(eligible, (n, n))
    both = mask & mask.T & ~np.eye(n, dtype=bool)
    _check_scores(scores, both)
    weight = (scores + scores.T) / 2
    units = quantise(weight)
    rows, cols = np.nonzero(np.triu(both, 1) & (units > 0))
    return pair_on_edges(rows, cols, units[rows, cols], weight, both)


# --- Min-cost flow core -------------------------------------------------------------------------


@dataclass(eq=False)
class _FlowNetwork:
    """A min-cost flow problem solved by successive shortest paths, open to new arcs.

    Arrays list forward arcs; ``excess[v]`` is supply not yet routed (> 0) or demand not yet met
    (< 0). ``pot`` are node potentials: every residual arc keeps ``cost + pot[tail] - pot[head]
    >= 0``, which is both what Dijkstra needs and, once all excess is routed, the proof that the
    flow is optimal (no negative cycle can exist).
    """

    n_nodes: int
    tails: np.ndarray
    heads: np.ndarray
    capacity: np.ndarray
    cost: np.ndarray
    flow: np.ndarray
    pot: np.ndarray
    excess: np.ndarray
    raise_potentials: bool = False
    """After a re-solve (OR-Tools or cheapest paths), recover potentials by raising those from
    before the solve instead of lowering them. Mosaic networks use it: every path there runs
    through the sink, so lowering shifts nearly every node but the free seats, and the
    certificate then sees each free seat as underpriced by that shift (29,080 violating pairs
    after 26 units routed, career stage + experience at full size; 125 when raised)."""
    paths_up_to: int | None = _REPAIR_BY_PATHS
    """Flow left to route (units) up to which it is first repaired by cheapest paths, within
    ``_PATH_BUDGET``; above, OR-Tools re-solves it all at once. ``None``: no limit.
    One seat per mentee keeps the default: there OR-Tools is as quick or quicker on anything
    larger (10,000 x 2,000 in one process: needs + career stage 2.5 s against 3.4 s by paths,
    capacity/demand 2 1.0 s against 1.7 s). Mosaic networks, whose ties leave wide plateaus
    that each round's maximum flow routes at once, take none (interests alone, 1,695 units:
    0.5 s against 1.1 s), except with places plentiful, which take ``_SEAT_AUCTION_PATHS``
    within a smaller budget: there the searches may wander over the unused places (235 units
    in 1.4-2.6 s against OR-Tools' 0.7-1.2 s, mosaic capacity/demand 5)."""
    path_budget: int | None = None
    """Work per arc within which the cheapest-path repair must finish (``None``:
    ``_PATH_BUDGET``)."""
    path_check_rounds: int | None = _PATH_CHECK_ROUNDS
    """Rounds after which the cheapest-path repair hands over if it is slow (``None``: never;
    see ``_PATH_CHECK_SHARE``)."""
    search_spread: int = 1
    """How far each search of the cheapest-path repair goes past the first node with demand
    it reaches: until it has settled this many times as many nodes (or enough demand for all
    the excess). See :func:`_path_round`."""

    @classmethod
    def with_flow(
        cls,
        n_nodes: int,
        tails: np.ndarray,
        heads: np.ndarray,
        capacity: np.ndarray,
        cost: np.ndarray,
        flow: np.ndarray,
        pot: np.ndarray,
        supply: np.ndarray,
    ) -> _FlowNetwork:
        """A network with a starting flow; ``excess`` is what that flow leaves unbalanced."""
        excess = supply.astype(np.int64).copy()
        move_flow(excess, tails, heads, flow.astype(np.int64))
        return cls(n_nodes, tails, heads, capacity, cost, flow.copy(), pot.astype(np.int64), excess)

    def add_nodes(self, count: int, pot: np.ndarray) -> np.ndarray:
        """Append ``count`` nodes with the given potentials; returns their indices."""
        new = np.arange(self.n_nodes, self.n_nodes + count)
        self.n_nodes += count
        self.pot = np.concatenate([self.pot, pot.astype(np.int64)])
        self.excess = np.concatenate([self.excess, np.zeros(count, np.int64)])
        return new

    def add_arcs(
        self, tails: np.ndarray, heads: np.ndarray, capacity: np.ndarray, cost: np.ndarray
    ) -> None:
        """Add arcs between solves. An arc with a negative reduced cost is saturated at once
        (its flow moves excess from tail to head) so that the potentials stay valid."""
        tails, heads = tails.astype(np.int64), heads.astype(np.int64)
        capacity, cost = capacity.astype(np.int64), cost.astype(np.int64)
        saturate = cost + self.pot[tails] - self.pot[heads] < 0
        flow = np.where(saturate, capacity, 0)
        move_flow(self.excess, tails, heads, flow)
        self.tails = np.concatenate([self.tails, tails])
        self.heads = np.concatenate([self.heads, heads])
        self.capacity = np.concatenate([self.capacity, capacity])
        self.cost = np.concatenate([self.cost, cost])
        self.flow = np.concatenate([self.flow, flow])

    def solve(self, *, prove_first: bool = True) -> None:
        """Optimal flow with potentials that prove it (reduced costs all non-negative).
        A flow with nothing left to route is proved as it is first, unless the caller knows
        its potentials cannot (``prove_first``). What is left is routed along cheapest paths
        while they promise to be quicker than OR-Tools, which then re-solves the rest."""
        loose = int(self.excess[self.excess > 0].sum())
        if loose == 0 and prove_first and self.prove():
            return
        by_paths = self.paths_up_to is None or loose <= self.paths_up_to
        per_arc = _PATH_BUDGET if self.path_budget is None else self.path_budget
        if loose and by_paths and self.solve_ssp(budget=per_arc * len(self.tails)):
            return
        self.solve_ortools()

    def prove(self) -> bool:
        """Whether potentials prove the flow (all routed) optimal after moving them, warm,
        within ``_PROOF_PASSES`` visits of each node (lowered, or raised as the network asks:
        see ``raise_potentials``); if not, the potentials are left as they were and the
        caller solves."""
        pot = self.pot.copy()
        if not self._fit_potentials(pot, _PROOF_PASSES):
            return False
        self.pot = pot
        return True

    def _fit_potentials(self, pot: np.ndarray, passes: int = 64) -> bool:
        """Move ``pot`` (in place) until it proves the flow optimal, lowered or, for a network
        that asks for it, raised (:func:`common.raise_potentials`); False if that fails
        within about ``passes`` visits of each node."""
        arcs = (self.tails, self.heads, self.capacity, self.flow, self.cost)
        if self.raise_potentials:
            return _raise_potentials(self.n_nodes, *arcs, pot, passes, ordered=True)
        first, adjacent, head, residual, arc_cost = _residual_graph(self.n_nodes, *arcs)
        return bool(_lower_potentials(first, adjacent, head, residual, arc_cost, pot, passes))

    def solve_ortools(self) -> None:
        """Optimal flow on this network by OR-Tools' cost-scaling min-cost flow, then
        potentials that prove it: the current ones moved until no residual arc has a negative
        reduced cost (a label-correcting pass, warm-started, so it touches little).

        OR-Tools is given what is left to do, not the whole problem: the residual network of
        the current flow at reduced costs (all non-negative while the potentials are valid),
        with the excess as supplies (OR-Tools takes no starting flow or prices). On networks
        from the mosaic auction that takes 10-30 % less time than the whole network from no
        flow; on those of the plentiful-places path, about the same (bench/README)."""
        tails, heads, capacity, flow = self.tails, self.heads, self.capacity, self.flow
        reduced = self.cost + self.pot[tails] - self.pot[heads]
        ahead = np.flatnonzero(flow < capacity)
        back = np.flatnonzero(flow > 0)
        solver = min_cost_flow.SimpleMinCostFlow()
        solver.add_arcs_with_capacity_and_unit_cost(
            np.concatenate([tails[ahead], heads[back]]).astype(np.int32),
            np.concatenate([heads[ahead], tails[back]]).astype(np.int32),
            np.concatenate([capacity[ahead] - flow[ahead], flow[back]]),
            np.concatenate([reduced[ahead], -reduced[back]]),
        )
        solver.set_nodes_supplies(np.arange(self.n_nodes, dtype=np.int32), self.excess)
        status = solver.solve()
        if status != solver.OPTIMAL:
            raise ValueError(f"infeasible flow: OR-Tools status {status}")
        moved = solver.flows(np.arange(len(ahead) + len(back), dtype=np.int64)).astype(np.int64)
        flow = flow.copy()
        flow[ahead] += moved[: len(ahead)]
        flow[back] -= moved[len(ahead) :]
        self.flow = flow
        self.excess = np.zeros(self.n_nodes, np.int64)
        if not self._fit_potentials(self.pot):
            raise ValueError("no potentials prove this flow optimal")

    def solve_ssp(self, budget: int | None = None) -> bool:
        """Route the excess to demand along cheapest paths (:class:`_PathRepair`); whether
        all of it was routed. With a ``budget`` the repair may stop early (see
        :meth:`_PathRepair.run`); the flow routed so far is kept, and the caller solves the
        rest.

        With ``raise_potentials`` the potentials are recovered by raising those from before
        (each search lowers every node it settles, and the first one, from every source at
        once, settles nearly the whole network).
        """
        start = self.pot.copy() if self.raise_potentials else self.pot
        repair = _PathRepair(self)
        routed = repair.run(budget)
        self.flow = repair.residual[1::2].copy()
        if not self.raise_potentials:
            return routed
        if routed and not self._fit_potentials(start):
            raise ValueError("no potentials prove this flow optimal")
        # Part routed: OR-Tools takes any potentials, and the ones to raise are these.
        self.pot = start
        return routed


_ResidualGraph = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
"""``first, adjacent, head, residual, cost`` (:func:`common.residual_graph`)."""


class _PathRepair:
    """Cheapest-path rounds over a network's residual graph (primal-dual).

    Each round searches from every node with excess at once (:func:`_path_round`): the
    potentials move so that every cheapest path to the nodes it settled costs nothing, and a
    depth-first pass pushes flow along such paths. When ties leave a wide plateau of paths that
    cost nothing, that pass finds only some of them (it never comes back to a node it left), so
    a maximum flow over the plateau (OR-Tools) routes the rest of what the round can (a
    network captured from the mosaic bench, roles + career stage, 747 units: 30 rounds down to
    4). A maximum flow that routes nothing more is tried again after twice as many rounds each
    time: on networks without ties it is wasted work.
    """

    def __init__(self, network: _FlowNetwork) -> None:
        self.pot, self.excess, self.spread = network.pot, network.excess, network.search_spread
        self.check_rounds = network.path_check_rounds
        self.n_nodes = network.n_nodes
        # first, adjacent, head, residual, cost: every kernel here takes them in this order.
        self.graph: _ResidualGraph = _residual_graph(
            network.n_nodes,
            network.tails,
            network.heads,
            network.capacity,
            network.flow,
            network.cost,
        )
        self.residual = self.graph[3]
        n, n_half = network.n_nodes, len(self.graph[2])
        self.workspace = (
            np.full(n, np.int64(1) << 62, np.int64),  # distance
            np.zeros(n, np.bool_),  # settled
            np.empty(n, np.int64),  # touched (then the settled ones)
            np.empty(n_half + n, np.int64),  # heap keys
            np.empty(n_half + n, np.int64),  # heap nodes
            np.empty(n, np.int64),  # cursor
            np.zeros(n, np.bool_),  # blocked
            np.empty(n, np.int64),  # stack
            np.empty(n, np.int64),  # arc into each stacked node
        )
        self.mark = np.zeros(n, np.bool_)

    def run(self, budget: int | None) -> bool:
        """Route the excess; whether all of it was. With a ``budget`` (work) the repair stops
        when it is spent, unless its pace says it ends soon (:func:`_finishes_soon`), or when
        the network's ``path_check_rounds`` rounds have left more than ``_PATH_CHECK_SHARE``
        of the excess and more than ``_PATH_CHECK_UNITS`` units: many small steps of cost and
        few ties, where OR-Tools' cost scaling is quicker."""
        loose = int(self.excess[self.excess > 0].sum())
        work, rounds = 0, 0
        wait, skip = 0, 0
        history: list[tuple[int, int]] = []  # (work, units left) after each round
        while True:
            sources = np.flatnonzero(self.excess > 0)
            if len(sources) == 0:
                return True
            left = int(self.excess[sources].sum())
            history.append((work, left))
            if budget is not None and (
                (work > budget and not _finishes_soon(history, budget))
                or (
                    rounds == self.check_rounds
                    and left > _PATH_CHECK_SHARE * loose
                    and left > _PATH_CHECK_UNITS
                )
            ):
                return False
            rounds += 1
            n_settled, scanned = _path_round(
                *self.graph, self.pot, self.excess, sources, self.spread, *self.workspace
            )
            work += scanned
            if wait > 0:
                wait -= 1
            elif self.excess[self.excess > 0].sum() >= _PLATEAU_UNITS:
                settled = self.workspace[2][:n_settled].copy()
                more, arcs = self._max_flow(settled)
                work += _PLATEAU_ARC_WORK * arcs
                skip = 0 if more else max(1, 2 * skip)
                wait = skip

    def _max_flow(self, settled: np.ndarray) -> tuple[int, int]:
        """Route what the round's plateau still can (a maximum flow over the arcs that cost
        nothing between settled nodes); units routed and arcs handed over."""
        arcs, tails, heads, room = _plateau_arcs(settled, *self.graph, self.pot, self.mark)
        excess = self.excess
        sources = settled[excess[settled] > 0]
        sinks = settled[excess[settled] < 0]
        if len(sinks) == 0 or len(arcs) == 0:
            return 0, len(arcs)
        source, sink = self.n_nodes, self.n_nodes + 1
        solver = max_flow.SimpleMaxFlow()
        solver.add_arcs_with_capacity(
            np.concatenate([tails, np.full(len(sources), source), sinks]).astype(np.int32),
            np.concatenate([heads, sources, np.full(len(sinks), sink)]).astype(np.int32),
            np.concatenate([room, excess[sources], -excess[sinks]]),
        )
        if solver.solve(source, sink) != solver.OPTIMAL:
            raise ValueError("maximum flow over the plateau failed")
        moved = solver.flows(np.arange(len(arcs) + len(sources) + len(sinks), dtype=np.int64))
        moved = moved.astype(np.int64)
        self.residual[arcs] -= moved[: len(arcs)]
        self.residual[arcs ^ 1] += moved[: len(arcs)]
        excess[sources] -= moved[len(arcs) : len(arcs) + len(sources)]
        excess[sinks] += moved[len(arcs) + len(sources) :]
        return int(solver.optimal_flow()), len(arcs)


def _finishes_soon(history: list[tuple[int, int]], budget: int) -> bool:
    """Whether a cheapest-path repair past its ``budget`` may go on: at the pace of its last
    ``_PACE_ROUNDS`` rounds (work per unit routed) what is left takes it to no more than
    ``_OVER_BUDGET`` times the budget. OR-Tools re-solves the whole network, about as long
    whatever is left: career_stage + time_zone's second repair, 1,546 of 7,732 units left at
    about 300 a round, or 1 of 6,856, went to OR-Tools for 0.75-1.0 s where a few more rounds
    take 0.03-0.3 s."""
    if len(history) <= _PACE_ROUNDS:
        return False
    work, left = history[-1]
    before, left_before = history[-1 - _PACE_ROUNDS]
    routed = left_before - left
    if routed <= 0 or work > _OVER_BUDGET * budget:
        return False
    return work + left * (work - before) / routed <= _OVER_BUDGET * budget


@numba.njit(cache=True, nogil=True)
def _plateau_arcs(settled, first, adjacent, head, residual, cost, pot, mark):  # pragma: no cover
    """Residual arcs between ``settled`` nodes with room and a reduced cost of zero: their
    indices, tails, heads and room. ``mark`` is all False and is left so."""
    for v in settled:
        mark[v] = True
    count = 0
    for u in settled:
        for k in range(first[u], first[u + 1]):
            e = adjacent[k]
            if residual[e] > 0 and mark[head[e]] and cost[e] + pot[u] - pot[head[e]] == 0:
                count += 1
    arcs = np.empty(count, np.int64)
    tails = np.empty(count, np.int64)
    heads = np.empty(count, np.int64)
    room = np.empty(count, np.int64)
    i = 0
    for u in settled:
        for k in range(first[u], first[u + 1]):
            e = adjacent[k]
            v = head[e]
            if residual[e] > 0 and mark[v] and cost[e] + pot[u] - pot[v] == 0:
                arcs[i], tails[i], heads[i], room[i] = e, u, v, residual[e]
                i += 1
    for v in settled:
        mark[v] = False
    return arcs, tails, heads, room


@numba.njit(cache=True, nogil=True)
def _path_round(
    first,
    adjacent,
    head,
    residual,
    cost,
    pot,
    excess,
    sources,
    spread,
    dist,
    done,
    touched,
    heap_keys,
    heap_nodes,
    cursor,
    blocked,
    stack,
    via,
):  # pragma: no cover
    """One round of routing every source's excess to nodes with demand along cheapest paths;
    returns how many nodes it settled (listed first in ``touched``) and how many arcs it
    scanned. The other workspace arrays (``dist`` all infinite, ``done`` and ``blocked`` all
    False) are left as found.

    Dijkstra on reduced costs from every source at once settles every node up to a distance
    ``D``; settled nodes move their potential by ``dist - D``, which keeps every reduced cost
    non-negative (nodes left unsettled are at least ``D`` away) and makes each cheapest path
    to a settled node cost nothing. A depth-first search then pushes flow along as many of
    those zero-cost paths to settled nodes with demand as it finds. ``D`` is the distance at
    which the search has settled ``spread`` times as many nodes as when it reached the first
    node with demand, or enough demand for all the excess: with 1, the nearest demand only;
    beyond, demand a little further is served in the same round (mosaic boards at full size,
    2: about half the rounds and half the work of 1).
    """
    inf = np.int64(1) << 62
    n_touched = 0
    size = 0
    need = 0
    # Nodes reached at the distance being settled wait on ``stack`` (free until the pushes
    # below), not on the heap: after a round, every arc of its cheapest paths costs nothing,
    # so most of the next round's nodes are reached at the distance of the node before.
    level = 0
    for source in sources:
        if excess[source] > 0 and dist[source] != 0:
            dist[source] = 0
            touched[n_touched] = source
            n_touched += 1
            stack[level] = source
            level += 1
            need += excess[source]
    reach = inf
    found = 0
    settled = 0
    settled_at_first = 0
    last = 0
    scanned = 0
    d = np.int64(0)
    while level > 0 or size > 0:
        if level > 0:
            level -= 1
            u = stack[level]
            if done[u]:
                continue
        else:
            d, u, size = _heap_pop(heap_keys, heap_nodes, size)
            if d > reach:
                break
            if done[u] or d > dist[u]:
                continue
        done[u] = True
        settled += 1
        last = d
        if reach == inf:
            if excess[u] < 0:
                found -= excess[u]
                if settled_at_first == 0:
                    settled_at_first = settled
            if settled_at_first and (found >= need or settled >= spread * settled_at_first):
                reach = d
        base = d + pot[u]
        scanned += first[u + 1] - first[u]
        for k in range(first[u], first[u + 1]):
            e = adjacent[k]
            if residual[e] <= 0:
                continue
            v = head[e]
            if done[v]:
                continue
            nd = base + cost[e] - pot[v]
            if nd < dist[v] and nd <= reach:
                if dist[v] == inf:
                    touched[n_touched] = v
                    n_touched += 1
                dist[v] = nd
                if nd == d:
                    stack[level] = v
                    level += 1
                else:
                    size = _heap_push(heap_keys, heap_nodes, size, nd, v)
    if reach == inf and found > 0:
        reach = last  # every node the excess can reach is settled
    if reach == inf:
        raise ValueError("infeasible flow: supply cannot reach any demand")
    for t in range(n_touched):
        v = touched[t]
        if done[v]:
            pot[v] += dist[v] - reach
            cursor[v] = first[v]
    for source in sources:
        if excess[source] <= 0 or blocked[source]:
            continue
        # Push along zero reduced-cost arcs between settled nodes, depth first.
        depth = 0
        stack[0] = source
        blocked[source] = True
        while depth >= 0 and excess[source] > 0:
            u = stack[depth]
            if depth > 0 and excess[u] < 0:
                amount = min(excess[source], -excess[u])
                for t in range(1, depth + 1):
                    amount = min(amount, residual[via[stack[t]]])
                for t in range(1, depth + 1):
                    e = via[stack[t]]
                    residual[e] -= amount
                    residual[e ^ 1] += amount
                excess[source] -= amount
                excess[u] += amount
                # Back off to the first arc that is now full and search on from there.
                back = depth
                for t in range(1, depth + 1):
                    if residual[via[stack[t]]] == 0:
                        back = t - 1
                        break
                for t in range(back + 1, depth + 1):
                    blocked[stack[t]] = False
                if excess[u] < 0 and back == depth:
                    continue
                depth = back
                continue
            advanced = False
            while cursor[u] < first[u + 1]:
                e = adjacent[cursor[u]]
                v = head[e]
                if (
                    residual[e] > 0
                    and done[v]
                    and not blocked[v]
                    and cost[e] + pot[u] - pot[v] == 0
                ):
                    blocked[v] = True
                    via[v] = e
                    depth += 1
                    stack[depth] = v
                    advanced = True
                    break
                cursor[u] += 1
            if not advanced:
                depth -= 1  # a dead end stays blocked for this round
        for t in range(depth + 1):
            blocked[stack[t]] = False  # still on a live path: other sources may use it
    n_settled = 0
    for t in range(n_touched):
        v = touched[t]
        if done[v]:
            touched[n_settled] = v  # n_settled <= t: nothing unread is overwritten
            n_settled += 1
        dist[v] = inf
        done[v] = False
        blocked[v] = False
    return n_settled, scanned


@numba.njit(cache=True, nogil=True, parallel=True)
def _best_per_mentee(
    values, bonus, pot_mentor, pot_seat, active, per_mentee, positive_only
):  # pragma: no cover
    """Per mentee, the ``per_mentee`` ``active`` mentors with the largest ``q + bonus - pot_mentor +
    pot_seat`` over the mentee's seats (only positive ones, i.e. violations, if
    ``positive_only``). Ties are broken by a hash of the pair, so that when many mentors look
    alike every mentee does not pick the same ones. Mentees are read in blocks so that each
    mentor's slice stays in cache."""
    m, n, seats = values.shape
    block = 1024
    n_blocks = (n + block - 1) // block
    best = np.empty((n, per_mentee), np.int64)
    best_mentor = np.empty((n, per_mentee), np.int64)
    found = np.zeros(n, np.int64)
    for b in numba.prange(n_blocks):
        i0 = b * block
        i1 = min(i0 + block, n)
        for j in range(m):
            if not active[j]:
                continue
            for i in range(i0, i1):
                top = np.int64(-(1 << 62))
                for s in range(seats):
                    q = values[j, i, s]
                    if q == _MISSING:
                        continue
                    top = max(top, np.int64(q) + bonus - pot_mentor[j] + pot_seat[i * seats + s])
                if top == -(1 << 62) or (positive_only and top <= 0):
                    continue
                count = found[i]
                if count == per_mentee and top * 65536 + 65535 <= best[i, per_mentee - 1]:
                    continue
                # Key: the margin first, a hash of the pair to break ties.
                key = top * 65536 + ((i * 2654435761 + j * 40503) >> 7) % 65536
                found[i] = _keep_top(best[i], best_mentor[i], count, key, j)
    total = found.sum()
    out_mentor = np.empty(total, np.int64)
    out_mentee = np.empty(total, np.int64)
    k = 0
    for i in range(n):
        for t in range(found[i]):
            out_mentor[k] = best_mentor[i, t]
            out_mentee[k] = i
            k += 1
    return out_mentor, out_mentee
