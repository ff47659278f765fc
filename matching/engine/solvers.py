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
   near-optimal assignment and near-optimal prices. Each mentor keeps a short list of its best
   seats at current prices and rescans its full row only when that list can no longer be
   trusted, so the whole matrix is read only a few times.
3. The auction's prices and its best candidates become a pruned min-cost flow network with
   valid node potentials. Successive shortest paths (Dijkstra on reduced costs) repair whatever
   the auction left loose; the result is optimal on the pruned network.
4. Certificate: the potentials are dual prices. One pass over the *full* matrix checks that no
   pruned pair has a negative reduced cost. If one does it is added, the flow is repaired and
   the check runs again. When the check passes, no better assignment exists over all pairs.

The optimum is exact for the quantised objective: ``total_units`` is the maximal sum of
quantised scores, which an exact reference (e.g. ``scipy.optimize.linear_sum_assignment``) on
the same quantised matrix reproduces exactly; on raw float scores the total is within
``0.0005 * pairs`` points of the float optimum.

Peer pairing is an exact maximum-weight matching in a general graph (an integer program solved
by HiGHS, which scipy ships). Facilitated
peer groups are NP-hard to optimise; :func:`form_peer_groups` is a documented deterministic
heuristic, and only its facilitator assignment is exact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numba
import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

SCORE_SCALE = 1000
"""Integer units per score point used by the exact solvers."""

MAX_ABS_SCORE = 1_000_000.0
"""Largest score magnitude the exact solvers accept (quantised scores must fit in int32)."""

PEER_PAIRING_LIMIT = 800
"""Largest peer cohort :func:`pair_peers` accepts (the exact integer program takes about 13 s
for 600 peers with nearly every pair eligible on the reference 2-core machine)."""

MAX_ROUNDS = 100
"""Certificate rounds before giving up (never reached in practice; the result then says
``proven_optimal=False``)."""

NO_ELIGIBLE_MENTOR = "no_eligible_mentor"
CAPACITY_EXHAUSTED = "capacity_exhausted"
ALREADY_ON_BOARD = "already_on_board"
ZERO_SCORE_ONLY = "zero_score_only"
NO_ELIGIBLE_PEER = "no_eligible_peer"
NOT_PAIRED = "not_paired"
TOO_FEW_MENTEES = "too_few_mentees"
NO_COMPATIBLE_GROUP = "no_compatible_group"
NO_ELIGIBLE_FACILITATOR = "no_eligible_facilitator"
FACILITATORS_FULL = "facilitators_full"

_AUCTION_LIST_EXTRA = 8
_VIOLATIONS_PER_MENTOR = 16
_MISSING = np.int32(-(2**31) + 1)


@dataclass(frozen=True, eq=False)
class Assignment:
    """Result of :func:`assign_with_capacities`.

    ``mentee`` and ``mentor`` are parallel index arrays of the chosen pairs (pins included),
    sorted by mentee; ``scores`` are their float scores and ``total`` their sum. ``total_units``
    is the quantised objective that was maximised. ``unmatched`` maps each mentee left without a
    mentor to a reason: ``no_eligible_mentor``, ``capacity_exhausted`` (every eligible mentor is
    full) or ``zero_score_only`` (the only mentors with room score 0, so staying free is as
    good). ``proven_optimal`` is True when the optimality check over all pairs passed.
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
    scores: np.ndarray,
    eligible: np.ndarray,
    capacities: np.ndarray | Sequence[int],
    *,
    pins: Iterable[tuple[int, int]] = (),
    maximise_matched_first: bool = False,
) -> Assignment:
    """Maximise the total score: each mentee gets at most one mentor, mentor ``j`` at most
    ``capacities[j]`` mentees, only eligible pairs. Exact (see the module docstring).

    ``pins`` are (mentee, mentor) pairs that must be in the result; they use up capacity and
    raise ``ValueError`` if out of range, ineligible, repeated for a mentee, or beyond a
    mentor's capacity. With ``maximise_matched_first`` the number of matched mentees is
    maximised first and the total score second (every pair is worth a bonus larger than any
    possible total). Scores must be finite with magnitude at most ``MAX_ABS_SCORE``.
    """
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
        scores[:, None, :], eligible[:, None, :], caps, seat_open, maximise_matched_first
    )
    mentee = np.concatenate([pin_rows, solution.seat_mentee])
    mentor = np.concatenate([pin_cols, solution.seat_mentor])
    order = np.argsort(mentee, kind="stable")
    mentee, mentor = mentee[order], mentor[order]
    chosen = scores[mentee, mentor]
    load = np.bincount(mentor, minlength=m)
    return Assignment(
        mentee=mentee,
        mentor=mentor,
        scores=chosen,
        total=float(chosen.sum(dtype=np.float64)),
        total_units=int(quantise(chosen).sum()),
        unmatched=_unmatched_mentees(
            eligible, caps + np.bincount(pin_cols, minlength=m), load, mentee
        ),
        proven_optimal=solution.proven,
        rounds=solution.rounds,
        pruned_pairs=solution.pruned_pairs,
    )


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
    pins: Iterable[tuple[int, int]], eligible: np.ndarray, caps: np.ndarray
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
    unmatched = np.setdiff1d(np.arange(eligible.shape[0]), matched)
    room = load < caps_total
    reasons: dict[int, str] = {}
    for i in unmatched.tolist():
        candidates = eligible[i]
        if not candidates.any():
            reasons[i] = NO_ELIGIBLE_MENTOR
        elif not (candidates & room).any():
            reasons[i] = CAPACITY_EXHAUSTED
        else:
            reasons[i] = ZERO_SCORE_ONLY
    return reasons


# --- Mosaic boards ------------------------------------------------------------------------------


def assign_mosaic(
    area_scores: np.ndarray,
    eligible: np.ndarray,
    capacities: np.ndarray | Sequence[int],
    mentee_areas: np.ndarray,
    *,
    pins: Iterable[tuple[int, int, int]] = (),
    maximise_matched_first: bool = False,
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
    solution = _solve_seats(area_scores, usable, caps, seat_open, maximise_matched_first)
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


def _solve_seats(
    scores: np.ndarray,
    eligible: np.ndarray,
    caps: np.ndarray,
    seat_open: np.ndarray,
    maximise_matched_first: bool,
) -> _SeatSolution:
    """Fill seats ``(mentee, seat)`` from mentors' places, maximising the quantised total.

    ``scores`` and ``eligible`` are ``(n, seats, m)``. With one seat per mentee the network is
    mentor -> seat -> sink; with several, mentor -> (mentee, mentor) -> seat -> sink, where the
    middle node has capacity 1 so that a mentor fills at most one seat per board.
    """
    n, seats, _m = scores.shape
    col_open = caps > 0
    values = _mentor_major(scores, eligible, seat_open, col_open)
    bonus = 0
    if maximise_matched_first:
        q_max = int(np.abs(values[values != _MISSING]).max(initial=0))
        bonus = q_max * n * seats + 1
    price, owner, lists, list_len = _auction(values, caps, bonus, 1, _AUCTION_LIST_EXTRA)
    network = _SeatNetwork.from_auction(values, caps, bonus, price, owner, lists, list_len)
    rounds, proven = 0, False
    while rounds < MAX_ROUNDS:
        rounds += 1
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
    )


def _mentor_major(
    scores: np.ndarray, eligible: np.ndarray, seat_open: np.ndarray, col_open: np.ndarray
) -> np.ndarray:
    """Quantised scores as ``(m, n, seats)`` int32, ``_MISSING`` where a pair may not be used.

    Inputs are brought to one dtype and layout first: numba compiles a separate version for
    every combination, and each costs seconds on first use.
    """
    if scores.dtype not in (np.float32, np.float64):
        scores = scores.astype(np.float64)
    values, bad = _quantise_mentor_major(
        np.ascontiguousarray(scores),
        np.ascontiguousarray(eligible, dtype=np.bool_),
        np.ascontiguousarray(seat_open, dtype=np.bool_),
        np.ascontiguousarray(col_open, dtype=np.bool_),
        64,
    )
    if bad:
        raise ValueError(f"scores of eligible pairs must be finite and within ±{MAX_ABS_SCORE:g}")
    return values


@numba.njit(cache=True, nogil=True, parallel=True)
def _quantise_mentor_major(scores, eligible, seat_open, col_open, tile):  # pragma: no cover
    """Returns the mentor-major int32 values and whether any usable score was not finite or
    out of range (checked here because this pass reads every score anyway)."""
    n, seats, m = scores.shape
    out = np.empty((m, n, seats), np.int32)
    n_bands = (m + tile - 1) // tile
    bad = np.zeros(max(n_bands, 1), np.bool_)
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
                            out[j, i, s] = np.int32(np.rint(value))
                        else:
                            out[j, i, s] = _MISSING
    return out, bad.any()


@numba.njit(cache=True, nogil=True)
def _scan_row(values, j, price, k, lists, list_len):  # pragma: no cover
    """Refill mentor ``j``'s list with its ``k`` best seats at current prices.

    Returns the (k+1)-th best value: every seat not on the list is worth at most that, and
    since prices only rise, it stays an upper bound until the next scan.
    """
    row = values[j].ravel()
    best = np.empty(k + 1, np.int64)
    found = 0
    for r in range(len(row)):
        if row[r] == _MISSING:
            continue
        v = np.int64(row[r]) - price[r]
        if found == k + 1 and v <= best[k]:
            continue
        pos = min(found, k)
        while pos > 0 and best[pos - 1] < v:
            best[pos] = best[pos - 1]
            if pos < k:
                lists[j, pos] = lists[j, pos - 1]
            pos -= 1
        best[pos] = v
        if pos < k:
            lists[j, pos] = r
        found = min(found + 1, k + 1)
    list_len[j] = min(found, k)
    if found == k + 1:
        return best[k]
    return -(np.int64(1) << 62)


@numba.njit(cache=True, nogil=True)
def _auction(values, caps, bonus, eps, extra):  # pragma: no cover
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
    lists = np.empty((m, k), np.int64)
    list_len = np.zeros(m, np.int64)
    bound = np.full(m, np.int64(1) << 62, np.int64)
    total = caps.sum()
    queue = np.empty(total + 1, np.int64)
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
                v = np.int64(values[j, r // seats, r % seats]) + bonus - price[r]
                if v > best:
                    second = best
                    best = v
                    best_seat = r
                elif v > second:
                    second = v
            # Seats off the list are worth at most bound[j]; trust the list only above it.
            # A fresh list is always right: it holds more seats than j's own boards can take.
            if scanned or (best_seat >= 0 and best - bonus >= bound[j]):
                break
            bound[j] = _scan_row(values, j, price, k, lists, list_len)
            scanned = True
        second = max(second, bound[j] + bonus, 0)
        if best_seat < 0 or best <= 0:
            continue
        previous = owner[best_seat]
        if previous >= 0:
            queue[(head + size) % (total + 1)] = previous
            size += 1
        owner[best_seat] = j
        price[best_seat] += best - second + eps
    # Refresh stale lists so that each list's best beats every seat left off it: then no pruned
    # seat can violate the optimality check unless the exact repair moves the prices.
    for j in range(m):
        top = -(np.int64(1) << 62)
        for t in range(list_len[j]):
            r = lists[j, t]
            top = max(top, np.int64(values[j, r // seats, r % seats]) - price[r])
        if top < bound[j]:
            bound[j] = _scan_row(values, j, price, k, lists, list_len)
    return price, owner, lists, list_len


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
        """Potentials from prices, flow from the auction's tight assignments.

        Seat potential ``-price``, mentor potential ``v_j = max(0, best margin)`` over its
        candidate arcs: every arc then has a non-negative reduced cost. An assignment is kept
        only where it is tight (margin exactly ``v_j``); the rest, and every priced seat or
        mentor left without its flow, becomes excess or demand for the repair step.
        """
        m, n, seats = values.shape
        held = np.flatnonzero(owner >= 0)
        listed_mentor = np.repeat(np.arange(m), list_len)
        listed_seat = lists[np.arange(m).repeat(list_len), _ranks(list_len)]
        mentors = np.concatenate([listed_mentor, owner[held]])
        seat_flat = np.concatenate([listed_seat, held])
        if seats == 1:
            pair_mentor = pair_mentee = np.zeros(0, np.int64)
            arc_mentor, arc_seat = _unique_pairs(mentors, seat_flat, n)
        else:
            pair_mentor, pair_mentee = _unique_pairs(mentors, seat_flat // seats, n)
            arc_mentor, arc_seat = _pair_seat_arcs(values, pair_mentor, pair_mentee)
        q = values[arc_mentor, arc_seat // seats, arc_seat % seats].astype(np.int64) + bonus
        margin = q - price[arc_seat]
        pot_mentor = np.zeros(m, np.int64)
        np.maximum.at(pot_mentor, arc_mentor, margin)
        tight = (owner[arc_seat] == arc_mentor) & (margin == pot_mentor[arc_mentor])
        n_pair = len(pair_mentor)
        n_nodes = m + n_pair + n * seats + 1
        sink = n_nodes - 1
        seat_base = m + n_pair
        seat_filled = np.zeros(n * seats, bool)
        seat_filled[arc_seat[tight]] = True
        tight_count = np.bincount(arc_mentor[tight], minlength=m)
        parts = _ArcList()
        if seats == 1:
            parts.add(arc_mentor, seat_base + arc_seat, 1, -q, tight)
            arc_kind_len = len(arc_mentor)
        else:
            pair_of_arc = _pair_index(pair_mentor, pair_mentee, arc_mentor, arc_seat // seats, n)
            pair_used = np.zeros(n_pair, bool)
            pair_used[pair_of_arc[tight]] = True
            parts.add(pair_mentor, m + np.arange(n_pair), 1, 0, pair_used)
            parts.add(m + pair_of_arc, seat_base + arc_seat, 1, -q, tight)
            arc_kind_len = len(arc_mentor)
        # A seat whose price is positive must end up filled (complementary slackness), so its
        # arc to the sink starts saturated; a mentor with a positive price must be full.
        parts.add(seat_base + np.arange(n * seats), sink, 1, 0, seat_filled | (price > 0))
        parts.add(np.arange(m), sink, caps, 0, np.where(pot_mentor == 0, caps - tight_count, 0))
        # A pair node's potential is the margin of its best seat (never above its mentor's):
        # then only a mentor's best pairs cost nothing to enter, which keeps the searches of
        # the repair step from wandering over every pair of every mentor.
        pot_pair = np.zeros(n_pair, np.int64)
        if seats > 1:
            pot_pair = np.full(n_pair, -(np.int64(1) << 62))
            np.maximum.at(pot_pair, pair_of_arc, margin)
        pot = np.concatenate([pot_mentor, pot_pair, -price, np.zeros(1, np.int64)])
        supply = np.zeros(n_nodes, np.int64)
        supply[:m] = caps
        supply[sink] = -caps.sum()
        flow = _FlowNetwork.with_flow(n_nodes, *parts.arrays(), pot, supply)  # type: ignore[call-arg]
        first = len(pair_mentor) if seats > 1 else 0
        arc_seat_all = np.full(len(flow.tails), -1, np.int64)
        arc_mentor_all = np.full(len(flow.tails), -1, np.int64)
        arc_seat_all[first : first + arc_kind_len] = arc_seat
        arc_mentor_all[first : first + arc_kind_len] = arc_mentor
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
        return _worst_violations(
            values, self.bonus, pot[: self.m], seat_pot, indptr, known, _VIOLATIONS_PER_MENTOR
        )

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


def _ranks(lengths: np.ndarray) -> np.ndarray:
    """0, 1, ..., len-1 for each group of the given lengths, concatenated."""
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.arange(lengths.sum()) - starts


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


def _pair_index(
    pair_mentor: np.ndarray,
    pair_mentee: np.ndarray,
    mentors: np.ndarray,
    mentees: np.ndarray,
    n: int,
) -> np.ndarray:
    keys = pair_mentor * n + pair_mentee  # sorted: built by _unique_pairs
    return np.searchsorted(keys, mentors * n + mentees)


@numba.njit(cache=True, nogil=True, parallel=True)
def _worst_violations(
    values, bonus, pot_mentor, pot_seat, indptr, known, per_mentor
):  # pragma: no cover
    """Per mentor, up to ``per_mentor`` mentees (not in ``known``) with the largest positive
    ``q + bonus - pot_mentor + pot_seat`` over their seats: pairs whose reduced cost is
    negative. One pass over the whole matrix, mentors split across threads (each writes only
    its own rows, so the result does not depend on scheduling)."""
    m, n, seats = values.shape
    found = np.zeros(m, np.int64)
    best = np.zeros((m, per_mentor), np.int64)
    best_mentee = np.zeros((m, per_mentor), np.int64)
    for j in numba.prange(m):
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
            if worst <= 0 or (count == per_mentor and worst <= best[j, per_mentor - 1]):
                continue
            pos = min(count, per_mentor - 1)
            while pos > 0 and best[j, pos - 1] < worst:
                best[j, pos] = best[j, pos - 1]
                best_mentee[j, pos] = best_mentee[j, pos - 1]
                pos -= 1
            best[j, pos] = worst
            best_mentee[j, pos] = i
            count = min(count + 1, per_mentor)
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


@dataclass(frozen=True, eq=False)
class PeerPairing:
    """Result of :func:`pair_peers`: ``pairs`` as ``(i, j)`` with ``i < j``, their symmetric
    weights, the total, and each unpaired peer's reason (``no_eligible_peer`` or
    ``not_paired``: every eligible partner was paired with someone who fit them better, or the
    cohort had an odd one out)."""

    pairs: list[tuple[int, int]]
    weights: np.ndarray
    total: float
    unpaired: dict[int, str]


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
    chosen = _max_weight_matching(n, rows, cols, units[rows, cols])
    pairs = sorted(zip(rows[chosen].tolist(), cols[chosen].tolist(), strict=True))
    weights = np.array([weight[a, b] for a, b in pairs], dtype=np.float64)
    paired = {p for pair in pairs for p in pair}
    unpaired = {
        i: (NO_ELIGIBLE_PEER if not both[i].any() else NOT_PAIRED)
        for i in range(n)
        if i not in paired
    }
    return PeerPairing(pairs=pairs, weights=weights, total=float(weights.sum()), unpaired=unpaired)


def _max_weight_matching(
    n: int, rows: np.ndarray, cols: np.ndarray, units: np.ndarray
) -> np.ndarray:
    """Which edges to take: one binary variable per edge, each person in at most one edge.

    Weights are integers, so with a zero gap the integer program returns an exact optimum
    (the LP relaxation alone could be half-integral on odd cycles; branch and bound settles
    them).
    """
    n_edges = len(rows)
    if n_edges == 0:
        return np.zeros(0, bool)
    incidence = sp.csr_matrix(
        (np.ones(2 * n_edges), (np.concatenate([rows, cols]), np.tile(np.arange(n_edges), 2))),
        shape=(n, n_edges),
    )
    result = milp(
        -units.astype(np.float64),
        constraints=LinearConstraint(incidence, -np.inf, 1),
        integrality=np.ones(n_edges),
        bounds=Bounds(0, 1),
        options={"mip_rel_gap": 0, "presolve": True},
    )
    if result.x is None:
        raise RuntimeError(f"peer pairing failed: {result.message}")
    return result.x > 0.5


# --- Facilitated peer groups ----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PeerGroups:
    """Result of :func:`form_peer_groups`.

    ``groups`` lists member indices per group; ``facilitators[g]`` is the facilitator of group
    ``g`` or -1 (with ``unfacilitated[g]`` giving why); ``affinity[g]`` is the group's mean
    pairwise affinity; ``leftovers`` maps each mentee not placed to a reason
    (``too_few_mentees`` or ``no_compatible_group``).
    """

    groups: list[list[int]]
    facilitators: list[int]
    affinity: list[float]
    leftovers: dict[int, str]
    unfacilitated: dict[int, str]


def form_peer_groups(
    scores: np.ndarray,
    eligible: np.ndarray,
    facilitator_scores: np.ndarray,
    facilitator_capacity: np.ndarray | Sequence[int],
    *,
    facilitator_eligible: np.ndarray | None = None,
    min_size: int = 3,
    max_size: int = 5,
    max_passes: int = 20,
) -> PeerGroups:
    """Facilitated peer groups of ``min_size``–``max_size`` mentees, each with a facilitator.

    HEURISTIC (grouping is NP-hard): affinity of two mentees is the mean of their two directed
    scores; two mentees may share a group only if eligible both ways.

    1. Mentees with fewer than ``min_size - 1`` compatible peers can join no group. Group
       count ``ceil(rest / max_size)`` (fewer if there are not enough for ``min_size`` each).
       Seeds: the mentee with the fewest compatible peers (hardest to place), then each next
       seed the one least similar to the seeds so far.
    2. Greedy fill: mentees, hardest to place first, join the compatible group with room where
       their mean affinity to the members is highest; groups below ``min_size`` get priority.
    3. Local search: moves to another group and swaps between groups are applied while they
       raise the sum over mentees of their mean affinity to their group (first improvement,
       fixed order, at most ``max_passes`` passes), keeping every group within size limits.
    4. Groups still below ``min_size`` are dissolved; their members are leftovers.

    Deterministic: same input, same groups. Facilitators are then assigned to groups exactly
    (:func:`assign_with_capacities` on the mean facilitator score over members), a facilitator
    being eligible for a group only if eligible for every member.
    """
    affinity, compatible = _peer_affinity(scores, eligible)
    n = affinity.shape[0]
    if n < min_size or max_size < min_size or min_size < 1:
        leftovers = dict.fromkeys(range(n), TOO_FEW_MENTEES)
        return PeerGroups([], [], [], leftovers, {})
    groups, leftovers = _greedy_groups(affinity, compatible, min_size, max_size)
    groups = _improve_groups(groups, affinity, compatible, min_size, max_size, max_passes)
    kept = []
    for group in groups:
        if len(group) >= min_size:
            kept.append(sorted(group))
        else:
            leftovers.update(dict.fromkeys(group, NO_COMPATIBLE_GROUP))
    kept.sort()
    facilitators, unfacilitated = _assign_facilitators(
        kept, facilitator_scores, facilitator_capacity, facilitator_eligible
    )
    return PeerGroups(
        groups=kept,
        facilitators=facilitators,
        affinity=[_mean_pairwise(affinity, g) for g in kept],
        leftovers=dict(sorted(leftovers.items())),
        unfacilitated=unfacilitated,
    )


def _peer_affinity(scores: np.ndarray, eligible: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(scores, dtype=np.float64)
    n = scores.shape[0]
    if scores.shape != (n, n):
        raise ValueError("peer scores must be a square matrix")
    mask = _as_mask(eligible, (n, n))
    compatible = mask & mask.T & ~np.eye(n, dtype=bool)
    _check_scores(scores, compatible)
    affinity = np.where(compatible, (scores + scores.T) / 2, 0.0)
    return affinity, compatible


def _greedy_groups(
    affinity: np.ndarray, compatible: np.ndarray, min_size: int, max_size: int
) -> tuple[list[list[int]], dict[int, str]]:
    affinity.shape[0]
    degree = compatible.sum(axis=1)
    leftovers = dict.fromkeys(np.flatnonzero(degree < min_size - 1).tolist(), NO_COMPATIBLE_GROUP)
    placeable = np.flatnonzero(degree >= min_size - 1)
    n_groups = -(-len(placeable) // max_size)
    if n_groups * min_size > len(placeable):
        n_groups = len(placeable) // min_size
    if n_groups == 0:
        leftovers.update(dict.fromkeys(placeable.tolist(), TOO_FEW_MENTEES))
        return [], leftovers
    # Hardest to place first (fewest compatible peers), ties by index.
    order = placeable[np.lexsort((placeable, degree[placeable]))]
    seeds = [int(order[0])]
    while len(seeds) < n_groups:
        # Farthest-first: the next seed is the one least similar to the seeds so far.
        closeness = affinity[order][:, seeds].max(axis=1)
        closeness[np.isin(order, seeds)] = np.inf
        seeds.append(int(order[np.lexsort((order, degree[order], closeness))[0]]))
    groups = [[s] for s in seeds]
    placed = set(seeds)
    for person in order.tolist():
        if person in placed:
            continue
        best, best_key = -1, None
        for g, members in enumerate(groups):
            if len(members) >= max_size or not compatible[person, members].all():
                continue
            key = (len(members) < min_size, affinity[person, members].mean(), -g)
            if best_key is None or key > best_key:
                best, best_key = g, key
        if best < 0:
            leftovers[person] = NO_COMPATIBLE_GROUP
        else:
            groups[best].append(person)
    return groups, leftovers


def _member_fit(affinity: np.ndarray, person: int, members: Sequence[int]) -> float:
    others = [p for p in members if p != person]
    return float(affinity[person, others].mean()) if others else 0.0


def _group_value(affinity: np.ndarray, members: Sequence[int]) -> float:
    """Sum over members of their mean affinity to the others: the local search objective."""
    return sum(_member_fit(affinity, p, members) for p in members)


def _improve_groups(
    groups: list[list[int]],
    affinity: np.ndarray,
    compatible: np.ndarray,
    min_size: int,
    max_size: int,
    max_passes: int,
) -> list[list[int]]:
    groups = [list(g) for g in groups]

    def fits(person: int, members: Sequence[int]) -> bool:
        return all(compatible[person, q] for q in members if q != person)

    for _ in range(max_passes):
        improved = False
        for a in range(len(groups)):
            for b in range(len(groups)):
                if a == b:
                    continue
                improved |= _try_moves(groups, a, b, affinity, fits, min_size, max_size)
                if a < b:
                    improved |= _try_swaps(groups, a, b, affinity, fits)
        if not improved:
            break
    return groups


def _try_moves(
    groups: list[list[int]],
    a: int,
    b: int,
    affinity: np.ndarray,
    fits: Callable[[int, Sequence[int]], bool],
    min_size: int,
    max_size: int,
) -> bool:
    improved = False
    for person in list(groups[a]):
        # A group at its minimum cannot give anyone away; one already below it may (it will be
        # dissolved anyway unless it grows back).
        if len(groups[b]) >= max_size or len(groups[a]) == min_size:
            break
        if not fits(person, groups[b]):
            continue
        before = _group_value(affinity, groups[a]) + _group_value(affinity, groups[b])
        new_a = [p for p in groups[a] if p != person]
        new_b = [*groups[b], person]
        if _group_value(affinity, new_a) + _group_value(affinity, new_b) > before + 1e-9:
            groups[a], groups[b] = new_a, new_b
            improved = True
    return improved


def _try_swaps(
    groups: list[list[int]],
    a: int,
    b: int,
    affinity: np.ndarray,
    fits: Callable[[int, Sequence[int]], bool],
) -> bool:
    improved = False
    for x in list(groups[a]):
        for y in list(groups[b]):
            if x not in groups[a] or y not in groups[b]:
                continue
            new_a = [y if p == x else p for p in groups[a]]
            new_b = [x if p == y else p for p in groups[b]]
            if not (fits(y, new_a) and fits(x, new_b)):
                continue
            before = _group_value(affinity, groups[a]) + _group_value(affinity, groups[b])
            if _group_value(affinity, new_a) + _group_value(affinity, new_b) > before + 1e-9:
                groups[a], groups[b] = new_a, new_b
                improved = True
    return improved


def _mean_pairwise(affinity: np.ndarray, members: Sequence[int]) -> float:
    if len(members) < 2:
        return 0.0
    sub = affinity[np.ix_(members, members)]
    return float(sub[np.triu_indices(len(members), 1)].mean())


def _assign_facilitators(
    groups: list[list[int]],
    facilitator_scores: np.ndarray,
    facilitator_capacity: np.ndarray | Sequence[int],
    facilitator_eligible: np.ndarray | None,
) -> tuple[list[int], dict[int, str]]:
    scores = np.asarray(facilitator_scores, dtype=np.float64)
    n_fac = scores.shape[1] if scores.ndim == 2 else 0
    mask = (
        np.ones(scores.shape, bool)
        if facilitator_eligible is None
        else _as_mask(facilitator_eligible, scores.shape)
    )
    group_scores = np.array([scores[g].mean(axis=0) for g in groups]).reshape(len(groups), n_fac)
    group_ok = np.array([mask[g].all(axis=0) for g in groups], bool).reshape(len(groups), n_fac)
    result = assign_with_capacities(
        group_scores, group_ok, facilitator_capacity, maximise_matched_first=True
    )
    facilitators = [-1] * len(groups)
    for g, f in result.pairs():
        facilitators[g] = f
    unfacilitated = {
        g: NO_ELIGIBLE_FACILITATOR if reason == NO_ELIGIBLE_MENTOR else FACILITATORS_FULL
        for g, reason in result.unmatched.items()
    }
    return facilitators, unfacilitated


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
        np.subtract.at(excess, tails, flow)
        np.add.at(excess, heads, flow)
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
        np.subtract.at(self.excess, tails, flow)
        np.add.at(self.excess, heads, flow)
        self.tails = np.concatenate([self.tails, tails])
        self.heads = np.concatenate([self.heads, heads])
        self.capacity = np.concatenate([self.capacity, capacity])
        self.cost = np.concatenate([self.cost, cost])
        self.flow = np.concatenate([self.flow, flow])

    def solve(self) -> None:
        """Route all excess to demand along cheapest paths."""
        first, adjacent, head, residual, arc_cost = _residual_graph(
            self.n_nodes, self.tails, self.heads, self.capacity, self.flow, self.cost
        )
        sources = np.flatnonzero(self.excess > 0)
        _successive_shortest_paths(
            first, adjacent, head, residual, arc_cost, self.pot, self.excess, sources
        )
        self.flow = residual[1::2].copy()


@numba.njit(cache=True, nogil=True)
def _residual_graph(n_nodes, tails, heads, capacity, flow, cost):  # pragma: no cover
    """Residual arcs in pairs (``e`` forward, ``e ^ 1`` reverse) with a CSR index by tail."""
    n_arcs = len(tails)
    head = np.empty(2 * n_arcs, np.int64)
    residual = np.empty(2 * n_arcs, np.int64)
    arc_cost = np.empty(2 * n_arcs, np.int64)
    first = np.zeros(n_nodes + 1, np.int64)
    for k in range(n_arcs):
        head[2 * k] = heads[k]
        head[2 * k + 1] = tails[k]
        residual[2 * k] = capacity[k] - flow[k]
        residual[2 * k + 1] = flow[k]
        arc_cost[2 * k] = cost[k]
        arc_cost[2 * k + 1] = -cost[k]
        first[tails[k] + 1] += 1
        first[heads[k] + 1] += 1
    for v in range(n_nodes):
        first[v + 1] += first[v]
    fill = first[:-1].copy()
    adjacent = np.empty(2 * n_arcs, np.int64)
    for k in range(n_arcs):
        adjacent[fill[tails[k]]] = 2 * k
        fill[tails[k]] += 1
        adjacent[fill[heads[k]]] = 2 * k + 1
        fill[heads[k]] += 1
    return first, adjacent, head, residual, arc_cost


@numba.njit(cache=True, nogil=True)
def _heap_push(keys, nodes, size, key, node):  # pragma: no cover
    pos = size
    while pos > 0:
        parent = (pos - 1) >> 1
        if keys[parent] <= key:
            break
        keys[pos] = keys[parent]
        nodes[pos] = nodes[parent]
        pos = parent
    keys[pos] = key
    nodes[pos] = node
    return size + 1


@numba.njit(cache=True, nogil=True)
def _heap_pop(keys, nodes, size):  # pragma: no cover
    top_key = keys[0]
    top_node = nodes[0]
    size -= 1
    key = keys[size]
    node = nodes[size]
    pos = 0
    while True:
        child = 2 * pos + 1
        if child >= size:
            break
        if child + 1 < size and keys[child + 1] < keys[child]:
            child += 1
        if keys[child] >= key:
            break
        keys[pos] = keys[child]
        nodes[pos] = nodes[child]
        pos = child
    if size > 0:
        keys[pos] = key
        nodes[pos] = node
    return top_key, top_node, size


@numba.njit(cache=True, nogil=True)
def _successive_shortest_paths(
    first, adjacent, head, residual, cost, pot, excess, sources
):  # pragma: no cover
    """Route every source's excess to nodes with demand, one cheapest path at a time.

    Dijkstra on reduced costs from the source stops at the first node with demand; settled
    nodes then move their potential by ``dist - dist[end]``, which keeps every reduced cost
    non-negative and touches only the nodes this search visited.
    """
    n_nodes = len(pot)
    inf = np.int64(1) << 62
    dist = np.full(n_nodes, inf, np.int64)
    pred = np.full(n_nodes, -1, np.int64)
    done = np.zeros(n_nodes, np.bool_)
    touched = np.empty(n_nodes, np.int64)
    heap_keys = np.empty(len(head) + n_nodes, np.int64)
    heap_nodes = np.empty(len(head) + n_nodes, np.int64)
    for source in sources:
        while excess[source] > 0:
            dist[source] = 0
            touched[0] = source
            n_touched = 1
            size = _heap_push(heap_keys, heap_nodes, 0, 0, source)
            end = -1
            while size > 0:
                d, u, size = _heap_pop(heap_keys, heap_nodes, size)
                if done[u] or d > dist[u]:
                    continue
                done[u] = True
                if excess[u] < 0:
                    end = u
                    break
                base = d + pot[u]
                for k in range(first[u], first[u + 1]):
                    e = adjacent[k]
                    if residual[e] <= 0:
                        continue
                    v = head[e]
                    if done[v]:
                        continue
                    nd = base + cost[e] - pot[v]
                    if nd < dist[v]:
                        if dist[v] == inf:
                            touched[n_touched] = v
                            n_touched += 1
                        dist[v] = nd
                        pred[v] = e
                        if nd == d and excess[v] < 0:
                            # Nothing is closer than d: stop without popping the plateau.
                            done[v] = True
                            end = v
                            break
                        size = _heap_push(heap_keys, heap_nodes, size, nd, v)
                if end >= 0:
                    break
            if end < 0:
                raise ValueError("infeasible flow: supply cannot reach any demand")
            amount = min(excess[source], -excess[end])
            v = end
            while v != source:
                e = pred[v]
                amount = min(amount, residual[e])
                v = head[e ^ 1]
            v = end
            while v != source:
                e = pred[v]
                residual[e] -= amount
                residual[e ^ 1] += amount
                v = head[e ^ 1]
            excess[source] -= amount
            excess[end] += amount
            d_end = dist[end]
            for k in range(n_touched):
                v = touched[k]
                if done[v]:
                    pot[v] += dist[v] - d_end
                dist[v] = inf
                pred[v] = -1
                done[v] = False
