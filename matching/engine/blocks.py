"""Exact one-to-one assignment for cohorts too large to hold every pair at once.

At consortium scale (50,000 mentees × 10,000 mentors, 500 million pairs) the dense score matrix
alone would take 2 GB, and the solvers in :mod:`matching.engine.solvers` would lay out another
copy. :func:`assign_in_blocks` never holds more than one block of rows:

1. Each block of mentee rows is scored (by a callable, e.g. :class:`scoring.RowScorer`) and
   only each mentee's ``per_mentee`` best eligible mentors are kept, together with the best
   score among the rest (``rest_best``): no pair left out scores more than that.
2. The pruned problem (mentor -> mentee arcs, capacities) is solved exactly as a min-cost flow
   by OR-Tools, and node potentials that prove the flow optimal are recovered (a
   label-correcting pass over the residual graph; they exist because the flow is optimal).
3. Certificate over all pairs: a pair left out violates the potentials only if its score
   exceeds ``pot[mentor] - pot[mentee]``. Each row keeps a bound on ``score - price`` over
   its pairs left out, at the prices of when it was last looked at; prices that have since
   dropped loosen it by that much. Mentors whose price dropped a lot are checked column by
   column (a few mentors against every mentee is cheap); rows whose bound still cannot rule
   out a violation are scored again whole. Violating pairs are added and the pruned problem
   re-solved. When a round finds no violation the potentials are dual prices for the full
   problem, so no better assignment exists.

The objective is the same quantised total as the dense solvers (``SCORE_SCALE`` units per
point), so the results agree exactly on instances both can take.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
from ortools.graph.python import min_cost_flow

from matching.engine.solvers import (
    CAPACITY_EXHAUSTED,
    MAX_ROUNDS,
    NO_ELIGIBLE_MENTOR,
    SCORE_SCALE,
    ZERO_SCORE_ONLY,
    Assignment,
    Progress,
)

ScoreRows = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
"""``rows -> (scores, eligible)``, both ``(len(rows), m)``, for sorted mentee indices."""

_NONE = np.int64(-(2**62))
_ADD_PER_ROW = 8


def assign_in_blocks(
    score_rows: ScoreRows,
    shape: tuple[int, int],
    capacities: np.ndarray | Sequence[int],
    *,
    per_mentee: int = 12,
    block_rows: int = 1024,
    threads: int = 2,
    on_progress: Progress | None = None,
    time_limit: float | None = None,
) -> Assignment:
    """Maximise the total quantised score, each mentee with at most one mentor and mentor
    ``j`` with at most ``capacities[j]`` mentees, scoring ``block_rows`` mentees at a time.

    Same result contract as :func:`solvers.assign_with_capacities` (no pins). Blocks are scored
    on ``threads`` threads (numpy releases the GIL in the heavy steps).
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
    k = min(max(1, per_mentee), m)
    cand_mentor = np.full((n, k), -1, np.int64)
    cand_q = np.full((n, k), _NONE, np.int64)
    rest_best = np.full(n, _NONE, np.int64)
    any_eligible = np.zeros(n, bool)

    def first_pass(rows: np.ndarray) -> None:
        q, usable = _quantised(score_rows, rows, open_mentor)
        any_eligible[rows] = usable.any(axis=1)
        top, top_q, rest = _top_k(q, k)
        cand_mentor[rows], cand_q[rows], rest_best[rows] = top, top_q, rest

    blocks = list(_blocks(np.arange(n), block_rows))
    with ThreadPoolExecutor(max(1, threads)) as pool:
        for done, _ in enumerate(pool.map(first_pass, blocks), start=1):
            report(0.6 * done / max(len(blocks), 1), "Scoring every pair, a block at a time")
    keep = cand_q > _NONE
    network = _Network(n, m, caps)
    network.add(np.nonzero(keep)[0], cand_mentor[keep], cand_q[keep])
    network.start_bounds(rest_best)
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
                score_rows, rows, cols, cut, snapshot, open_mentor, block_rows
            )
        if len(doubtful):
            added += network.add_violations(
                score_rows, doubtful, snapshot, open_mentor, block_rows, threads
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
        unmatched=_unmatched(score_rows, n, mentee, mentor, caps, any_eligible, block_rows),
        proven_optimal=proven,
        rounds=rounds,
        pruned_pairs=network.n_pairs,
        timed_out=timed_out,
    )


def _blocks(rows: np.ndarray, size: int) -> Iterator[np.ndarray]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _quantised(
    score_rows: ScoreRows, rows: np.ndarray, open_mentor: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Quantised scores of ``rows`` (``_NONE`` where the pair cannot be used) and the mask."""
    scores, eligible = score_rows(rows)
    usable = eligible & open_mentor[None, :]
    scores = np.asarray(scores, dtype=np.float64)
    if not np.isfinite(scores[usable]).all():
        raise ValueError("scores of eligible pairs must be finite")
    q = np.where(usable, np.rint(scores * SCORE_SCALE), _NONE).astype(np.int64)
    return q, usable


def _top_k(q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row, the ``k`` largest values (indices, values) and the largest value left out."""
    rows, m = q.shape
    if m <= k:  # every mentor is a candidate (k is at most m)
        top = np.where(q > _NONE, np.arange(m)[None, :], -1)
        return top, q, np.full(rows, _NONE, np.int64)
    part = np.argpartition(q, m - k - 1, axis=1)[:, m - k - 1 :]
    vals = np.take_along_axis(q, part, axis=1)
    low = vals.argmin(axis=1)
    rest = vals[np.arange(rows), low]
    # Drop the (k+1)-th: it bounds every pair left out.
    mask = np.ones(part.shape, bool)
    mask[np.arange(rows), low] = False
    top = part[mask].reshape(rows, k)
    top_q = vals[mask].reshape(rows, k)
    top = np.where(top_q > _NONE, top, -1)
    return top, top_q, rest


class _Network:
    """Mentors ``[0, m)``, mentees ``[m, m + n)``, the sink ``m + n``; arcs mentor -> mentee
    (capacity 1, cost ``-q``), mentee -> sink (capacity 1) and mentor -> sink (capacity
    ``caps[j]``: places left unused)."""

    def __init__(self, n: int, m: int, caps: np.ndarray) -> None:
        self.n, self.m, self.caps = n, m, caps
        self.sink = m + n
        self.pair_mentee = np.zeros(0, np.int64)
        self.pair_mentor = np.zeros(0, np.int64)
        self.pair_q = np.zeros(0, np.int64)
        self.flow = np.zeros(0, np.int64)
        self.pot = np.zeros(m + n + 1, np.int64)

    @property
    def n_pairs(self) -> int:
        return len(self.pair_q)

    def add(self, mentees: np.ndarray, mentors: np.ndarray, q: np.ndarray) -> None:
        self.pair_mentee = np.concatenate([self.pair_mentee, mentees.astype(np.int64)])
        self.pair_mentor = np.concatenate([self.pair_mentor, mentors.astype(np.int64)])
        self.pair_q = np.concatenate([self.pair_q, q.astype(np.int64)])

    def solve(self) -> None:
        """Optimal flow on the pruned network (OR-Tools), then potentials that prove it."""
        n, m, sink = self.n, self.m, self.sink
        tails = np.concatenate([self.pair_mentor, m + np.arange(n), np.arange(m)])
        heads = np.concatenate([m + self.pair_mentee, np.full(n, sink), np.full(m, sink)])
        capacity = np.concatenate([np.ones(self.n_pairs + n, np.int64), self.caps])
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
        self.flow = flow[: self.n_pairs]
        if not _potentials(tails, heads, capacity, cost, flow, self.pot):
            raise ValueError("no potentials prove this flow optimal")
        self.pot -= self.pot[sink]

    def start_bounds(self, rest_best: np.ndarray) -> None:
        """Per mentee, a bound on ``q - price`` over the pairs left out, at a price snapshot.

        From the first pass: ``q <= rest_best`` at prices all zero. A row scored again gets
        the exact bound at the prices of that moment. At later prices ``p`` the bound grows
        by at most ``max_j (snapshot_j - p_j)``, so a row is only scored again when its
        bound, so moved, could beat what the mentee gets now.
        """
        self.bound = rest_best.copy()
        self.bound_at = np.zeros(self.n, np.int64)
        self.snapshots = [np.zeros(self.m, np.int64)]

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
        score_rows: ScoreRows,
        rows: np.ndarray,
        cols: np.ndarray,
        cut: int,
        snapshot: int,
        open_mentor: np.ndarray,
        block_rows: int,
    ) -> int:
        """Check the pairs ``rows`` x ``cols`` exactly and add each row's worst violations.

        The rows' bounds move to today's prices without scoring the other columns: those
        gained at most ``cut`` since the rows' snapshot. Returns how many pairs were added.
        """
        narrow = getattr(score_rows, "columns", None)
        if narrow is not None:
            scorer: ScoreRows = narrow(cols)
        else:

            def scorer(block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
                scores, eligible = score_rows(block)
                return scores[:, cols], eligible[:, cols]

        column = np.full(self.m, -1, np.int64)
        column[cols] = np.arange(len(cols))
        row = np.full(self.n, -1, np.int64)
        row[rows] = np.arange(len(rows))
        inside = (row[self.pair_mentee] >= 0) & (column[self.pair_mentor] >= 0)
        known_row = row[self.pair_mentee[inside]]
        known_col = column[self.pair_mentor[inside]]
        step = max(block_rows, block_rows * self.m // max(len(cols), 1))
        added = 0
        for start in range(0, len(rows), step):
            block = rows[start : start + step]
            q, _usable = _quantised(scorer, block, open_mentor[cols])
            reduced = np.where(q > _NONE, q - self.pot[cols][None, :], _NONE)
            mine = (known_row >= start) & (known_row < start + len(block))
            reduced[known_row[mine] - start, known_col[mine]] = _NONE
            self.bound[block] = np.maximum(self.bound[block] + cut, reduced.max(axis=1))
            self.bound_at[block] = snapshot
            excess = np.where(reduced > _NONE, reduced + self.pot[self.m + block][:, None], 0)
            r, c = np.nonzero(excess > 0)
            if not len(r):
                continue
            # The worst few per row are enough: the next round checks again.
            order = np.lexsort((-excess[r, c], r))
            rank = np.arange(len(order)) - np.searchsorted(r[order], r[order])
            keep = order[rank < _ADD_PER_ROW]
            self.add(block[r[keep]], cols[c[keep]], q[r[keep], c[keep]])
            added += len(keep)
        return added

    def snapshot(self) -> int:
        """Record today's prices; the index that row bounds refer to."""
        self.snapshots.append(self.pot[: self.m].copy())
        return len(self.snapshots) - 1

    def add_violations(
        self,
        score_rows: ScoreRows,
        rows: np.ndarray,
        snapshot: int,
        open_mentor: np.ndarray,
        block_rows: int,
        threads: int,
    ) -> int:
        """Score ``rows`` again, add each row's worst violating pairs and record the exact
        bound over the rest at today's prices; how many pairs were added."""
        price = self.snapshots[snapshot]
        position = np.full(self.n, -1, np.int64)
        position[rows] = np.arange(len(rows))
        inside = position[self.pair_mentee] >= 0
        in_rows, in_mentor = position[self.pair_mentee[inside]], self.pair_mentor[inside]
        count = min(_ADD_PER_ROW + 1, self.m)

        def check(start: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            block = rows[start : start + block_rows]
            q, _usable = _quantised(score_rows, block, open_mentor)
            reduced = np.where(q > _NONE, q - price[None, :], _NONE)
            mine = (in_rows >= start) & (in_rows < start + len(block))
            reduced[in_rows[mine] - start, in_mentor[mine]] = _NONE
            best = np.argpartition(-reduced, count - 1, axis=1)[:, :count]
            best_value = np.take_along_axis(reduced, best, axis=1)
            order = np.argsort(-best_value, axis=1)
            best = np.take_along_axis(best, order, axis=1)
            best_value = np.take_along_axis(best_value, order, axis=1)
            mentee_pot = self.pot[self.m + block][:, None]
            add = (best_value > _NONE) & (best_value + mentee_pot > 0)
            add[:, count - 1 :] = False  # the last one only bounds the rest
            # The best pair not added bounds everything left out of this row.
            rest = np.where(add, _NONE, best_value).max(axis=1)
            self.bound[block] = rest
            self.bound_at[block] = snapshot
            r, c = np.nonzero(add)
            mentors = best[r, c]
            return block[r], mentors, q[r, mentors]

        with ThreadPoolExecutor(max(1, threads)) as pool:
            found = list(pool.map(check, range(0, len(rows), block_rows)))
        mentees = np.concatenate([f[0] for f in found])
        mentors = np.concatenate([f[1] for f in found])
        q = np.concatenate([f[2] for f in found])
        self.add(mentees, mentors, q)
        return len(q)

    def assignment(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        used = self.flow > 0
        order = np.argsort(self.pair_mentee[used], kind="stable")
        return (
            self.pair_mentee[used][order],
            self.pair_mentor[used][order],
            self.pair_q[used][order],
        )


@numba.njit(cache=True, nogil=True)
def _potentials(tails, heads, capacity, cost, flow, pot):  # pragma: no cover
    """Potentials with ``cost + pot[tail] - pot[head] >= 0`` on every residual arc: shortest
    distances from a virtual source joined to every node at cost 0 (Bellman-Ford with a FIFO
    queue, from ``pot``). They exist exactly when the flow is optimal; False otherwise."""
    n_nodes = len(pot)
    n_arcs = len(tails)
    first = np.zeros(n_nodes + 1, np.int64)
    for e in range(n_arcs):
        if flow[e] < capacity[e]:
            first[tails[e] + 1] += 1
        if flow[e] > 0:
            first[heads[e] + 1] += 1
    for v in range(n_nodes):
        first[v + 1] += first[v]
    fill = first[:-1].copy()
    head = np.empty(first[n_nodes], np.int64)
    weight = np.empty(first[n_nodes], np.int64)
    for e in range(n_arcs):
        if flow[e] < capacity[e]:
            head[fill[tails[e]]] = heads[e]
            weight[fill[tails[e]]] = cost[e]
            fill[tails[e]] += 1
        if flow[e] > 0:
            head[fill[heads[e]]] = tails[e]
            weight[fill[heads[e]]] = -cost[e]
            fill[heads[e]] += 1
    queue = np.empty(n_nodes, np.int64)
    queued = np.ones(n_nodes, np.bool_)
    for v in range(n_nodes):
        queue[v] = v
    qhead, size = 0, n_nodes
    # Each node can improve at most n_nodes times without a negative cycle.
    budget = np.int64(n_nodes) * np.int64(n_nodes) + 1
    while size > 0:
        u = queue[qhead]
        qhead = (qhead + 1) % n_nodes
        size -= 1
        queued[u] = False
        budget -= 1
        if budget < 0:
            return False
        base = pot[u]
        for t in range(first[u], first[u + 1]):
            v = head[t]
            limit = base + weight[t]
            if pot[v] > limit:
                pot[v] = limit
                if not queued[v]:
                    queued[v] = True
                    queue[(qhead + size) % n_nodes] = v
                    size += 1
    return True


def _unmatched(
    score_rows: ScoreRows,
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
    for block in _blocks(rest, block_rows):
        _scores, eligible = score_rows(block)
        with_room: list[bool] = np.asarray((eligible & room[None, :]).any(axis=1)).tolist()
        for i, has_room in zip(block.tolist(), with_room, strict=True):
            reasons[i] = ZERO_SCORE_ONLY if has_room else CAPACITY_EXHAUSTED
    return dict(sorted(reasons.items()))
