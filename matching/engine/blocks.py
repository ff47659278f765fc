"""Exact one-to-one assignment for cohorts too large to hold every pair at once.

At consortium scale (50,000 mentees × 10,000 mentors, 500 million pairs) the dense score matrix
alone would take 2 GB, and the solvers in :mod:`matching.engine.solvers` would lay out another
copy. :func:`assign_in_blocks` never holds more than one block of rows:

1. Prices are guessed from one mentee in :data:`SAMPLE_EVERY`, each standing for that many
   mentees (a small min-cost flow). Each block of mentee rows is then scored and one pass per
   row keeps each mentee's ``per_mentee`` best mentors by ``score - guessed price`` with the
   best such value among the rest (``rest_best``), and each mentor's ``per_mentor`` mentees for
   whom it comes closest to their best: without those, a mentor nobody ranks first gets no
   arcs and the first prices come out far too low. For a :class:`scoring.RowScorer` scoring
   and selection are one numba kernel (:class:`fused.FusedScorer`): a mentee's scores against
   every mentor stay in cache and no block of scores is laid out. Any other callable's blocks
   of scores are selected from by the kernels here.
2. The pruned problem (mentor -> mentee arcs, capacities) is solved exactly as a min-cost flow
   by OR-Tools, and node potentials that prove the flow optimal are recovered
   (:func:`common.lower_potentials` from the sink: of all such potentials, those with the
   highest mentor prices, which rule out the most pairs left out). When a later round adds
   at most :data:`_REPAIR_UP_TO` pairs, the last optimal flow is repaired along cheapest paths
   instead (:class:`solvers._FlowNetwork`, from the lowest valid potentials).
3. Certificate over all pairs: a pair left out violates the potentials only if its score
   exceeds ``pot[mentor] - pot[mentee]``. Each row keeps a bound on ``score - price`` over
   its pairs left out, at the prices of when it was last looked at; prices that have since
   dropped loosen it by that much. Mentors whose price dropped a lot are checked column by
   column (a few mentors against every mentee is cheap); rows whose bound still cannot rule
   out a violation are scored again whole (both by the same selection as step 1, the pairs
   already in the network skipped). Violating pairs are added and the pruned problem
   re-solved. When a round finds no violation the potentials are dual prices for the full
   problem, so no better assignment exists.

The objective is the same quantised total as the dense solvers (``SCORE_SCALE`` units per
point), so the results agree exactly on instances both can take.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from queue import SimpleQueue
from typing import cast

import numba
import numpy as np
from ortools.graph.python import min_cost_flow

from matching.engine.common import (
    column_heap_push,
    lower_potentials,
    raise_potentials,
    residual_graph,
)
from matching.engine.fused import NONE, FusedScorer, keep_best
from matching.engine.scoring import RowScorer
from matching.engine.solvers import (
    CAPACITY_EXHAUSTED,
    MAX_ROUNDS,
    NO_ELIGIBLE_MENTOR,
    SCORE_SCALE,
    ZERO_SCORE_ONLY,
    Assignment,
    Progress,
    _FlowNetwork,
)

ScoreRows = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
"""``rows -> (scores, eligible)``, both ``(len(rows), m)``, for sorted mentee indices."""

_NONE = NONE
_FAR = np.int64(2**60)
_ADD_PER_ROW = 8
_REPAIR_UP_TO = 2_000
"""A round that adds at most this many pairs repairs the last flow rather than solving anew."""
_RAISE_FROM = 8
"""From this many pairs added the repair starts from the lowest valid potentials."""
SAMPLE_EVERY = 10
"""The price guess solves one mentee in this many, each standing for this many mentees."""
SAMPLE_MIN_MENTEES = 2_000
"""Below this many mentees the guess is skipped: the certificate rounds are cheap anyway."""
_SAMPLE_PER_MENTEE = 48
_SAMPLE_PER_MENTOR = 16


def assign_in_blocks(
    score_rows: ScoreRows,
    shape: tuple[int, int],
    capacities: np.ndarray | Sequence[int],
    *,
    per_mentee: int = 12,
    per_mentor: int = 64,
    block_rows: int = 64,
    threads: int = 2,
    sample_every: int | None = None,
    on_progress: Progress | None = None,
    time_limit: float | None = None,
) -> Assignment:
    """Maximise the total quantised score, each mentee with at most one mentor and mentor
    ``j`` with at most ``capacities[j]`` mentees, scoring ``block_rows`` mentees at a time.
    The first pass keeps each mentee's ``per_mentee`` best mentors and each mentor's
    ``per_mentor`` best mentees: without the latter, the competition for a sought-after mentor
    stays hidden and its first price is far too low, so most rows would be scored again.

    Same result contract as :func:`solvers.assign_with_capacities` (no pins). Blocks are scored
    on ``threads`` threads (numpy releases the GIL in the heavy steps). ``sample_every``
    overrides :data:`SAMPLE_EVERY` (0: no price guess; the default skips it for small cohorts).
    """
    started = time.monotonic()
    n, m = shape
    caps = np.maximum(np.asarray(capacities, dtype=np.int64).reshape(-1), 0)
    if len(caps) != m:
        raise ValueError("capacities must have one entry per mentor")

    def report(fraction: float, message: str) -> None:
        if on_progress is not None:
            on_progress(fraction, message)

    open_mentor = caps > 0
    selector = _selector(score_rows)
    k = min(max(1, per_mentee), m)
    if sample_every is None:
        sample_every = SAMPLE_EVERY if n >= SAMPLE_MIN_MENTEES else 0
    guess = np.zeros(m, np.int64)
    if sample_every > 1 and open_mentor.any():
        report(0.0, "Estimating how sought-after each mentor is")
        guess = _price_guess(selector, n, caps, sample_every, block_rows, threads)
    first = _FirstPass(selector, np.arange(n), open_mentor, guess, k, min(per_mentor, n))
    blocks = list(_blocks(np.arange(n), block_rows))
    with ThreadPoolExecutor(max(1, threads)) as pool:
        for done, _ in enumerate(pool.map(first.scan, blocks), start=1):
            report(0.6 * done / max(len(blocks), 1), "Scoring every pair, a block at a time")
    network = _Network(n, m, caps)
    first.fill(network)
    any_eligible, rest_best = first.seen, first.rest
    network.pot[:m] = guess
    network.start_bounds(rest_best, guess)
    rounds, proven, timed_out = 0, False, False
    while rounds < MAX_ROUNDS:
        rounds += 1
        report(
            min(0.6 + 0.1 * rounds, 0.95),
            f"Checking that no better assignment exists (pass {rounds})",
        )
        network.solve()
        doubtful, column_checks = network.plan_check()
        if len(doubtful) == 0 and not column_checks:
            proven = True
            break
        if time_limit is not None and time.monotonic() - started >= time_limit:
            timed_out = True
            break
        snapshot = network.snapshot()
        added = 0
        for rows, cols, cut in column_checks:
            added += network.check_columns(
                selector, rows, cols, cut, snapshot, open_mentor, block_rows, threads
            )
        if len(doubtful):
            added += network.add_violations(
                selector, doubtful, snapshot, open_mentor, block_rows, threads
            )
        if added == 0:
            # Every pair left out was checked at these potentials and none violates them.
            proven = True
            break
    mentee, mentor, q = network.assignment()
    return Assignment(
        mentee=mentee,
        mentor=mentor,
        scores=q / SCORE_SCALE,
        total=float(q.sum()) / SCORE_SCALE,
        total_units=int(q.sum()),
        unmatched=_unmatched(selector, n, mentee, mentor, caps, any_eligible, block_rows),
        proven_optimal=proven,
        rounds=rounds,
        pruned_pairs=network.n_pairs,
        timed_out=timed_out,
    )


def _blocks(rows: np.ndarray, size: int) -> Iterator[np.ndarray]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _selector(score_rows: ScoreRows) -> Selector:
    """What scores and selects the pairs: :class:`fused.FusedScorer`'s kernels for a
    :class:`scoring.RowScorer` (never a block of scores in memory), else the callable's blocks
    of scores and :func:`_best_reduced`."""
    if isinstance(score_rows, FusedScorer | _Scored):
        return score_rows
    if isinstance(score_rows, RowScorer):
        return FusedScorer.of(score_rows)
    return _Scored(score_rows)


class _Scored:
    """A :data:`ScoreRows` callable behind :class:`fused.FusedScorer`'s interface: each block
    of rows is scored whole, then the kernels below select from it."""

    def __init__(self, score_rows: ScoreRows) -> None:
        self.score_rows = score_rows

    def __call__(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.score_rows(rows)

    def columns(self, cols: np.ndarray) -> _Scored:
        return _Scored(_column_scorer(self.score_rows, cols))

    def select(
        self,
        rows: np.ndarray,
        open_mentor: np.ndarray,
        price: np.ndarray,
        k: int,
        skip: tuple[np.ndarray, np.ndarray] | None = None,
        heaps: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """As :meth:`fused.FusedScorer.select`."""
        scores, eligible = self.score_rows(rows)
        scores = np.asarray(scores)
        eligible = np.array(eligible, dtype=bool)  # a copy: the skipped pairs are cleared
        if skip is not None:
            ptr, cols = skip
            eligible[np.repeat(np.arange(len(rows)), np.diff(ptr)), cols] = False
        top, top_q, rest, seen = _best_reduced(scores, eligible, open_mentor, price, k)
        gain = np.where(top_q > _NONE, top_q - price[np.maximum(top, 0)], 0)
        best = gain.max(axis=1, initial=0)
        if heaps is not None:
            ids, col_q, col_row = heaps
            _keep_best_per_column(scores, eligible, open_mentor, price, best, ids, col_q, col_row)
        return top, top_q, rest, seen, best


Selector = FusedScorer | _Scored


def _skip_lists(
    row: np.ndarray, col: np.ndarray, start: int, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """The pairs ``(row, col)`` (``row`` sorted) with ``start <= row < start + count`` as
    per-row lists for ``select(skip=...)``: rows counted from ``start``."""
    lo, hi = np.searchsorted(row, [start, start + count])
    ptr = np.searchsorted(row[lo:hi] - start, np.arange(count + 1)).astype(np.int64)
    return ptr, col[lo:hi].astype(np.int64)


def _best_reduced(
    scores: np.ndarray, eligible: np.ndarray, open_mentor: np.ndarray, price: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per row, the ``k`` usable mentors with the largest ``q - price`` (indices, ``q``; -1
    and ``_NONE`` where fewer), the largest ``q - price`` among the rest, and whether the row
    has any usable mentor."""
    rows = scores.shape[0]
    top = np.full((rows, k), -1, np.int64)
    top_q = np.full((rows, k), _NONE, np.int64)
    rest = np.full(rows, _NONE, np.int64)
    seen = np.zeros(rows, bool)
    ok = _keep_best(
        np.asarray(scores), np.asarray(eligible, bool), open_mentor, price, top, top_q, rest, seen
    )
    if not ok:
        raise ValueError("scores of eligible pairs must be finite")
    return top, top_q, rest, seen


@numba.njit(cache=True, nogil=True)
def _keep_best(scores, eligible, open_mentor, price, top, top_q, rest, seen):  # pragma: no cover
    """Each row's ``k`` best ``q - price`` (``q`` the quantised score) by the fused kernels'
    selection (:func:`fused.keep_best`, one pass with a min-heap: a full sort or partition
    of every row would cost several). False if an eligible score is not finite."""
    rows, m = scores.shape
    k = top.shape[1]
    heap = np.empty(k, np.int64)  # reduced values
    where = np.empty(k, np.int64)  # their columns
    reduced = np.empty(m, np.int64)
    for r in range(rows):
        for j in range(m):
            reduced[j] = _NONE
            if not (eligible[r, j] and open_mentor[j]):
                continue
            s = np.float64(scores[r, j])
            if not np.isfinite(s):
                return False
            seen[r] = True
            reduced[j] = np.int64(np.rint(s * SCORE_SCALE)) - price[j]
        size, rest[r] = keep_best(reduced, heap, where, k)
        for t in range(size):
            top[r, t] = where[t]
            top_q[r, t] = heap[t] + price[where[t]]
    return True


@numba.njit(cache=True, nogil=True)
def _keep_best_per_column(
    scores, eligible, open_mentor, price, best, rows, col_q, col_row
):  # pragma: no cover
    """Fold a block of rows into each column's min-heap of its best ``(q - price - best,
    -row)`` (:func:`common.column_heap_push`): the mentees for whom this mentor comes closest
    to their best ``q - price``."""
    n_rows, m = scores.shape
    for i in range(n_rows):
        for j in range(m):
            if not (eligible[i, j] and open_mentor[j]):
                continue
            q = np.int64(np.rint(np.float64(scores[i, j]) * SCORE_SCALE)) - price[j] - best[i]
            column_heap_push(col_q, col_row, j, q, rows[i])


def _best_per_column(
    heaps: list[tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The per-thread column heaps (``(m, keep)``) merged: each column's best ``(key, -row)``
    pairs as ``(mentees, mentors, key)``."""
    q = np.hstack([h[0] for h in heaps])
    row = np.hstack([h[1] for h in heaps])
    keep = heaps[0][0].shape[1]
    order = np.lexsort((row, -q), axis=1)[:, :keep] if q.size else np.zeros(q.shape, np.int64)
    q = np.take_along_axis(q, order, axis=1)
    row = np.take_along_axis(row, order, axis=1)
    mentor = np.broadcast_to(np.arange(q.shape[0])[:, None], q.shape)
    used = row >= 0
    return row[used], mentor[used], q[used]


def _price_guess(
    selector: Selector,
    n: int,
    caps: np.ndarray,
    every: int,
    block_rows: int,
    threads: int,
) -> np.ndarray:
    """Mentor prices (potentials) of a cohort made of one mentee in ``every``, each standing
    for ``every`` mentees with the same scores, and every mentor with full capacity. The
    ``every`` mentees go to distinct mentors: like real mentees with similar profiles, who
    spread over several mentors, rather than all queueing for the same one.

    Prices only guide what the first pass keeps and how tight its row bounds are: the closer
    to the final ones, the fewer rows are scored again. Any guess keeps the result exact.
    """
    rows = np.arange(0, n, every)
    m = len(caps)
    first = _FirstPass(
        selector,
        rows,
        caps > 0,
        np.zeros(m, np.int64),
        min(_SAMPLE_PER_MENTEE, m),
        _SAMPLE_PER_MENTOR,
    )
    with ThreadPoolExecutor(max(1, threads)) as pool:
        list(pool.map(first.scan, _blocks(rows, block_rows)))
    network = _Network(len(rows), m, caps, multiplicity=every)
    first.fill(network)
    network.solve()
    return network.pot[:m].copy()


class _FirstPass:
    """Scores blocks of ``rows`` (any thread) and keeps, in row positions: each row's ``k``
    best mentors by ``q - price`` with a bound on the rest (``select``), and each mentor's
    ``per_column`` rows for whom it comes closest to their best (``q - price`` minus the row's
    best, or minus 0 when staying unmatched is better)."""

    def __init__(
        self,
        selector: Selector,
        rows: np.ndarray,
        open_mentor: np.ndarray,
        price: np.ndarray,
        k: int,
        per_column: int,
    ) -> None:
        n, m = len(rows), len(open_mentor)
        self.selector, self.open_mentor, self.price = selector, open_mentor, price
        self.position = np.full(int(rows.max()) + 1 if n else 0, -1, np.int64)
        self.position[rows] = np.arange(n)
        self.top = np.full((n, k), -1, np.int64)
        self.top_q = np.full((n, k), _NONE, np.int64)
        self.rest = np.full(n, _NONE, np.int64)
        self.seen = np.zeros(n, bool)
        self.best = np.zeros(n, np.int64)
        self.per_column = min(per_column, n)
        # One set of column heaps per thread: the numba kernel writes them without a lock.
        self.heaps: SimpleQueue[tuple[np.ndarray, np.ndarray]] = SimpleQueue()
        for _ in range(4):
            self.heaps.put(
                (np.full((m, self.per_column), _NONE, np.int64), np.full((m, self.per_column), -1))
            )

    def scan(self, rows: np.ndarray) -> None:
        at = self.position[rows]
        k = self.top.shape[1]
        if not self.per_column:
            found = self.selector.select(rows, self.open_mentor, self.price, k)
        else:
            col_q, col_row = self.heaps.get()
            try:
                found = self.selector.select(
                    rows, self.open_mentor, self.price, k, heaps=(at, col_q, col_row)
                )
            finally:
                self.heaps.put((col_q, col_row))
        top, top_q, rest, seen, best = found
        self.top[at], self.top_q[at], self.rest[at], self.seen[at] = top, top_q, rest, seen
        self.best[at] = best

    def fill(self, network: _Network) -> None:
        """Add what was kept to ``network`` (whose mentees are the row positions)."""
        keep = self.top_q > _NONE
        network.add(np.nonzero(keep)[0], self.top[keep], self.top_q[keep])
        if self.per_column:
            heaps = []
            while not self.heaps.empty():
                heaps.append(self.heaps.get())
            mentees, mentors, gain = _best_per_column(heaps)
            # Pairs already among the mentee's best are in the network.
            fresh = ~(self.top[mentees] == mentors[:, None]).any(axis=1)
            mentees, mentors, gain = mentees[fresh], mentors[fresh], gain[fresh]
            network.add(mentees, mentors, gain + self.price[mentors] + self.best[mentees])


class _Network:
    """Mentors ``[0, m)``, mentees ``[m, m + n)``, the sink ``m + n``; arcs mentor -> mentee
    (capacity 1, cost ``-q``), mentee -> sink (capacity 1) and mentor -> sink (capacity
    ``caps[j]``: places left unused). With ``multiplicity`` k each mentee node stands for k
    mentees with the same scores (its arc to the sink has capacity k)."""

    def __init__(self, n: int, m: int, caps: np.ndarray, multiplicity: int = 1) -> None:
        self.n, self.m, self.caps = n, m, caps
        self.multiplicity = multiplicity
        self.sink = m + n
        self.pair_mentee = np.zeros(0, np.int64)
        self.pair_mentor = np.zeros(0, np.int64)
        self.pair_q = np.zeros(0, np.int64)
        self.flow = np.zeros(0, np.int64)
        self.pot = np.zeros(m + n + 1, np.int64)
        self.network: _FlowNetwork | None = None
        self.pair_arc = np.zeros(0, np.int64)  # each pair's arc in ``network``

    @property
    def n_pairs(self) -> int:
        return len(self.pair_q)

    def add(self, mentees: np.ndarray, mentors: np.ndarray, q: np.ndarray) -> None:
        self.pair_mentee = np.concatenate([self.pair_mentee, mentees.astype(np.int64)])
        self.pair_mentor = np.concatenate([self.pair_mentor, mentors.astype(np.int64)])
        self.pair_q = np.concatenate([self.pair_q, q.astype(np.int64)])

    def solve(self) -> None:
        """Optimal flow on the pruned network, then potentials that prove it.

        From scratch (OR-Tools) the first time and when more than :data:`_REPAIR_UP_TO` pairs
        were added since; otherwise the pairs are :meth:`solvers._FlowNetwork.add_arcs` to
        the last optimal flow, which is repaired along cheapest paths (a solve from scratch
        costs as much as the first, and a certificate round adds a few dozen pairs)."""
        count = self.n_pairs - len(self.pair_arc)
        if self.network is None or count > _REPAIR_UP_TO:
            self.network = self._solve_from_scratch()
            self.pair_arc = np.arange(self.n_pairs)
        else:
            new = slice(len(self.pair_arc), self.n_pairs)
            self.pair_arc = np.concatenate(
                [self.pair_arc, len(self.network.tails) + np.arange(count)]
            )
            self.network.pot = self._repair_potentials(count)
            self.network.add_arcs(
                self.pair_mentor[new],
                self.m + self.pair_mentee[new],
                np.ones(count, np.int64),
                -self.pair_q[new],
            )
            self.network.solve()
        net = self.network
        self.flow = net.flow[self.pair_arc]
        first, adjacent, head, residual, arc_cost = residual_graph(
            net.n_nodes, net.tails, net.heads, net.capacity, net.flow, net.cost
        )
        m, n, sink = self.m, self.n, self.sink
        # Distances from the sink: of all potentials proving this flow optimal (sink at 0),
        # those with the highest mentor prices, which rule out the most pairs left out.
        self.pot[:] = _FAR
        self.pot[sink] = 0
        # A node can be lowered at most once per node before a negative cycle shows.
        if not lower_potentials(first, adjacent, head, residual, arc_cost, self.pot, m + n + 1):
            raise ValueError("no potentials prove this flow optimal")
        if self.pot[sink] != 0:
            raise ValueError("no potentials prove this flow optimal")
        # Nodes the sink cannot reach have no arc into them: the lowest valid value is 0.
        self.pot[self.pot >= _FAR] = 0

    def _repair_potentials(self, count: int) -> np.ndarray:
        """Potentials for repairing the last flow along cheapest paths after ``count`` pairs
        were added. The certificate's (the highest mentor prices) make a plateau of the
        network: every node has a tight path from the sink, so each search from a new pair
        that reaches the sink settles most of the network, and the repair routes one pair
        per search. The lowest valid potentials (:func:`common.raise_potentials`) leave the
        arcs out of the sink slack: a search stops near where it started and one serves
        many pairs. Raising them costs about a search over the whole network, which pays
        from a few pairs on."""
        if count < _RAISE_FROM:
            return self.pot.copy()
        net = self.network
        assert net is not None
        pot = np.full(net.n_nodes, -_FAR, np.int64)
        pot[self.sink] = 0
        arcs = (net.tails, net.heads, net.capacity, net.flow, net.cost)
        if not raise_potentials(net.n_nodes, *arcs, pot, net.n_nodes):
            raise ValueError("no potentials prove this flow optimal")
        # Nodes with no path to the sink have no arc out of them: the highest valid value is 0.
        pot[pot <= -_FAR] = 0
        return pot

    def _solve_from_scratch(self) -> _FlowNetwork:
        """The network's optimal flow by OR-Tools (cost scaling)."""
        n, m, sink = self.n, self.m, self.sink
        tails = np.concatenate([self.pair_mentor, m + np.arange(n), np.arange(m)])
        heads = np.concatenate([m + self.pair_mentee, np.full(n, sink), np.full(m, sink)])
        capacity = np.concatenate(
            [np.ones(self.n_pairs, np.int64), np.full(n, self.multiplicity, np.int64), self.caps]
        )
        cost = np.concatenate([-self.pair_q, np.zeros(n + m, np.int64)])
        solver = min_cost_flow.SimpleMinCostFlow()
        solver.add_arcs_with_capacity_and_unit_cost(
            tails.astype(np.int32), heads.astype(np.int32), capacity, cost
        )
        supply = np.zeros(m + n + 1, np.int64)
        supply[:m] = self.caps
        supply[sink] = -self.caps.sum()
        solver.set_nodes_supplies(np.arange(m + n + 1, dtype=np.int32), supply)
        status = solver.solve()
        if status != solver.OPTIMAL:
            raise ValueError(f"min-cost flow failed: OR-Tools status {status}")
        flow = solver.flows(np.arange(len(tails), dtype=np.int64)).astype(np.int64)
        return _FlowNetwork.with_flow(
            m + n + 1, tails, heads, capacity, cost, flow, self.pot, supply
        )

    def start_bounds(self, rest_best: np.ndarray, prices: np.ndarray) -> None:
        """Per mentee, a bound on ``q - price`` over the pairs left out, at a price snapshot.

        From the first pass: ``q - prices <= rest_best`` (the guessed prices). A row scored again gets
        the exact bound at the prices of that moment. At later prices ``p`` the bound grows
        by at most ``max_j (snapshot_j - p_j)``, so a row is only scored again when its
        bound, so moved, could beat what the mentee gets now.
        """
        self.bound = rest_best.copy()
        self.bound_at = np.zeros(self.n, np.int64)
        self.snapshots = [prices.copy()]

    def plan_check(self) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray, int]]]:
        """What to score again so that every pair left out is checked against the potentials:
        a pair (i, j) outside the network is fine when ``q <= pot[j] - pot[m + i]``.

        Row ``i``'s bound, recorded at a price snapshot, still holds for mentor ``j`` up to
        ``snapshot_j - price_j`` (the drop of j's price since). Mentors whose price dropped
        more than a threshold are checked column by column against every row of that
        snapshot; the other mentors through the bound, and rows where even that cannot rule
        out a violation are scored again whole. The threshold is chosen to score the fewest
        pairs. Returns ``(rows to score whole, [(rows, mentor columns, threshold), ...])``.
        """
        price = self.pot[: self.m]
        open_mentor = self.caps > 0
        if not open_mentor.any():
            return np.zeros(0, np.int64), []
        mentee_pot = self.pot[self.m : self.m + self.n]
        live = self.bound > _NONE
        drifts = [np.where(open_mentor, snap - price, _NONE) for snap in self.snapshots]
        tops = np.array([d.max() for d in drifts])
        members = [np.flatnonzero(live & (self.bound_at == s)) for s in range(len(drifts))]
        spread = np.concatenate([d[d > _NONE] for d in drifts])
        thresholds = np.unique(np.concatenate([np.quantile(spread, np.linspace(0.5, 1, 26)), [0]]))
        best: tuple[float, np.ndarray, list[tuple[np.ndarray, np.ndarray, int]]] | None = None
        for tau in thresholds.astype(np.int64):
            cut = np.minimum(tau, tops)
            doubtful = live & (self.bound + cut[self.bound_at] + mentee_pot > 0)
            checks = []
            cost = float(doubtful.sum()) * self.m
            for s, rows in enumerate(members):
                cols = np.flatnonzero(drifts[s] > cut[s])
                rows = rows[~doubtful[rows]]
                if len(cols) and len(rows):
                    checks.append((rows, cols, int(cut[s])))
                    cost += len(rows) * len(cols)
            if best is None or cost < best[0]:
                best = (cost, np.flatnonzero(doubtful), checks)
        assert best is not None
        return best[1], best[2]

    def check_columns(
        self,
        selector: Selector,
        rows: np.ndarray,
        cols: np.ndarray,
        cut: int,
        snapshot: int,
        open_mentor: np.ndarray,
        block_rows: int,
        threads: int = 1,
    ) -> int:
        """Check the pairs ``rows`` x ``cols`` exactly and add each row's worst violations
        (blocks of rows on ``threads`` threads).

        The rows' bounds move to today's prices without scoring the other columns: those
        gained at most ``cut`` since the rows' snapshot. Returns how many pairs were added.
        """
        narrow = selector.columns(cols)
        price, usable = self.pot[cols], open_mentor[cols]
        known_row, known_col = self._known(rows, cols)
        # The worst few per row are enough: the next round checks again.
        count = min(_ADD_PER_ROW, len(cols))
        step = max(block_rows, block_rows * self.m // max(len(cols), 1))

        def check(start: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            block = rows[start : start + step]
            skip = _skip_lists(known_row, known_col, start, len(block))
            top, top_q, rest, _seen, _best = narrow.select(block, usable, price, count, skip=skip)
            found = top_q > _NONE
            reduced = np.where(found, top_q - price[np.maximum(top, 0)], _NONE)
            checked = np.maximum(rest, reduced.max(axis=1, initial=_NONE))
            # Each block writes its own rows' bounds: no two threads touch the same row.
            self.bound[block] = np.maximum(self.bound[block] + cut, checked)
            self.bound_at[block] = snapshot
            r, c = np.nonzero(found & (reduced + self.pot[self.m + block][:, None] > 0))
            return block[r], cols[top[r, c]], top_q[r, c]

        return self._add_found(check, range(0, len(rows), step), threads)

    def _add_found(
        self,
        check: Callable[[int], tuple[np.ndarray, np.ndarray, np.ndarray]],
        starts: range,
        threads: int,
    ) -> int:
        """Run ``check`` over ``starts`` on ``threads`` threads and add the pairs found
        (in the order of ``starts``, whatever the threads' timing); how many."""
        with ThreadPoolExecutor(max(1, threads)) as pool:
            found = list(pool.map(check, starts))
        if not found:
            return 0
        mentees = np.concatenate([f[0] for f in found])
        mentors = np.concatenate([f[1] for f in found])
        q = np.concatenate([f[2] for f in found])
        self.add(mentees, mentors, q)
        return len(q)

    def _known(
        self, rows: np.ndarray, cols: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The network's pairs among ``rows`` x ``cols`` (all mentors if None) as positions in
        ``rows`` (sorted) and in ``cols``."""
        row = np.full(self.n, -1, np.int64)
        row[rows] = np.arange(len(rows))
        column = np.arange(self.m)
        if cols is not None:
            column = np.full(self.m, -1, np.int64)
            column[cols] = np.arange(len(cols))
        inside = (row[self.pair_mentee] >= 0) & (column[self.pair_mentor] >= 0)
        known_row = row[self.pair_mentee[inside]]
        order = np.argsort(known_row, kind="stable")
        return known_row[order], column[self.pair_mentor[inside]][order]

    def snapshot(self) -> int:
        """Record today's prices; the index that row bounds refer to."""
        self.snapshots.append(self.pot[: self.m].copy())
        return len(self.snapshots) - 1

    def add_violations(
        self,
        selector: Selector,
        rows: np.ndarray,
        snapshot: int,
        open_mentor: np.ndarray,
        block_rows: int,
        threads: int,
    ) -> int:
        """Score ``rows`` again, add each row's worst violating pairs and record the exact
        bound over the rest at today's prices; how many pairs were added."""
        price = self.snapshots[snapshot]
        in_rows, in_mentor = self._known(rows)
        count = min(_ADD_PER_ROW, self.m)

        def check(start: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            block = rows[start : start + block_rows]
            # The pairs already in the network are skipped.
            skip = _skip_lists(in_rows, in_mentor, start, len(block))
            best, best_q, rest, _seen, _best = selector.select(
                block, open_mentor, price, count, skip=skip
            )
            found = best_q > _NONE
            reduced = np.where(found, best_q - price[np.maximum(best, 0)], _NONE)
            add = found & (reduced + self.pot[self.m + block][:, None] > 0)
            # The best pair not added bounds everything left out of this row.
            self.bound[block] = np.maximum(
                rest, np.where(add, _NONE, reduced).max(axis=1, initial=_NONE)
            )
            self.bound_at[block] = snapshot
            r, c = np.nonzero(add)
            return block[r], best[r, c], best_q[r, c]

        return self._add_found(check, range(0, len(rows), block_rows), threads)

    def assignment(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        used = self.flow > 0
        order = np.argsort(self.pair_mentee[used], kind="stable")
        return (
            self.pair_mentee[used][order],
            self.pair_mentor[used][order],
            self.pair_q[used][order],
        )


def _column_scorer(score_rows: ScoreRows, cols: np.ndarray) -> ScoreRows:
    """``score_rows`` restricted to the mentors ``cols``: scoring only those columns when the
    scorer can (``RowScorer.columns``), else slicing whole rows."""
    narrow = getattr(score_rows, "columns", None)
    if narrow is not None:
        return cast(ScoreRows, narrow(cols))

    def scorer(block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        scores, eligible = score_rows(block)
        return scores[:, cols], eligible[:, cols]

    return scorer


def _unmatched(
    selector: Selector,
    n: int,
    mentee: np.ndarray,
    mentor: np.ndarray,
    caps: np.ndarray,
    any_eligible: np.ndarray,
    block_rows: int,
) -> dict[int, str]:
    """Reasons for the mentees left without a mentor (rows scored again only when a mentor
    still has room, to tell "every eligible mentor is full" from "only zero scores left")."""
    free = np.setdiff1d(np.arange(n), mentee)
    reasons = {int(i): NO_ELIGIBLE_MENTOR for i in free[~any_eligible[free]]}
    rest = free[any_eligible[free]]
    room = np.bincount(mentor, minlength=len(caps)) < caps
    if not room.any():
        reasons.update({int(i): CAPACITY_EXHAUSTED for i in rest})
        return reasons
    cols = np.flatnonzero(room)
    scorer = selector.columns(cols)
    # Only the mentors with room are scored, so more rows fit in a block of the same size.
    step = max(block_rows, block_rows * len(caps) // len(cols))
    for block in _blocks(rest, step):
        _scores, eligible = scorer(block)
        with_room: list[bool] = np.asarray(np.asarray(eligible, bool).any(axis=1)).tolist()
        for i, has_room in zip(block.tolist(), with_room, strict=True):
            reasons[i] = ZERO_SCORE_ONLY if has_room else CAPACITY_EXHAUSTED
    return dict(sorted(reasons.items()))
