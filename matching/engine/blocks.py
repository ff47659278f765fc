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
   exceeds ``pot[mentor] - pot[mentee]``. A mentee whose ``rest_best`` is at most that for
   the lowest mentor potential cannot have one; only the other rows are scored again, their
   violating pairs added and the pruned problem re-solved. When no row has a violation the
   potentials are dual prices for the full problem, so no better assignment exists.

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
        doubtful = network.doubtful_rows()
        if len(doubtful) == 0:
            proven = True
            break
        if time_limit is not None and time.monotonic() - started >= time_limit:
            timed_out = True
            break
        network.add_violations(score_rows, doubtful, open_mentor, block_rows, threads)
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

    def doubtful_rows(self) -> np.ndarray:
        """Mentees for whom some pair left out might violate the potentials: a pair (i, j)
        outside the network is fine when ``q <= pot[j] - pot[m + i]``."""
        price = self.pot[: self.m]
        open_mentor = self.caps > 0
        if not open_mentor.any():
            return np.zeros(0, np.int64)
        drift = np.array([(snap - price)[open_mentor].max() for snap in self.snapshots])
        reach = self.bound + drift[self.bound_at] + self.pot[self.m : self.m + self.n]
        return np.flatnonzero((self.bound > _NONE) & (reach > 0))

    def add_violations(
        self,
        score_rows: ScoreRows,
        rows: np.ndarray,
        open_mentor: np.ndarray,
        block_rows: int,
        threads: int,
    ) -> int:
        """Score ``rows`` again, add each row's worst violating pairs and record the exact
        bound over the rest at today's prices; how many pairs were added."""
        price = self.pot[: self.m].copy()
        self.snapshots.append(price)
        snapshot = len(self.snapshots) - 1
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
