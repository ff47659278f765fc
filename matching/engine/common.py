"""Pieces the exact solvers (:mod:`solvers`), the block solver (:mod:`blocks`) and group
formation (:mod:`groups`) share: peer pairs as a maximum-weight matching, and the residual
graph and potentials that certify a min-cost flow optimal, and a min-heap for numba kernels.

Kept apart so that each of those modules can import them without importing the others.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

NO_ELIGIBLE_PEER = "no_eligible_peer"
NOT_PAIRED = "not_paired"


@dataclass(frozen=True, eq=False)
class PeerPairing:
    """Result of a peer pairing: ``pairs`` as ``(i, j)`` with ``i < j``, their symmetric
    weights, the total, and each unpaired peer's reason (``no_eligible_peer`` or
    ``not_paired``: every eligible partner was paired with someone who fit them better, or the
    cohort had an odd one out)."""

    pairs: list[tuple[int, int]]
    weights: np.ndarray
    total: float
    unpaired: dict[int, str]


def pair_on_edges(
    rows: np.ndarray, cols: np.ndarray, units: np.ndarray, weight: np.ndarray, both: np.ndarray
) -> PeerPairing:
    """The maximum-weight matching over the edges ``(rows[e], cols[e])`` (integer weights
    ``units``), reported with the pairs' float ``weight`` and why each peer left out is
    unpaired (``both``: who may pair with whom)."""
    n = both.shape[0]
    chosen = max_weight_matching(n, rows, cols, units)
    pairs = sorted(zip(rows[chosen].tolist(), cols[chosen].tolist(), strict=True))
    weights = np.array([weight[a, b] for a, b in pairs], dtype=np.float64)
    paired = {p for pair in pairs for p in pair}
    unpaired = {
        i: (NO_ELIGIBLE_PEER if not both[i].any() else NOT_PAIRED)
        for i in range(n)
        if i not in paired
    }
    return PeerPairing(pairs=pairs, weights=weights, total=float(weights.sum()), unpaired=unpaired)


def max_weight_matching(
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
    return np.asarray(result.x > 0.5)


@numba.njit(cache=True, nogil=True)
def maximum_at(target, index, value):  # pragma: no cover
    """``np.maximum.at(target, index, value)`` for 1-D arrays: ufunc ``.at`` costs about 50 ns
    a pair (4 ms for 80,000 listed pairs, a twentieth of a whole solve at 3 % density)."""
    for k in range(len(index)):
        if value[k] > target[index[k]]:
            target[index[k]] = value[k]


@numba.njit(cache=True, nogil=True)
def minimum_at(target, index, value):  # pragma: no cover
    """``np.minimum.at(target, index, value)`` for 1-D arrays (see :func:`maximum_at`)."""
    for k in range(len(index)):
        if value[k] < target[index[k]]:
            target[index[k]] = value[k]


@numba.njit(cache=True, nogil=True)
def move_flow(excess, tails, heads, flow):  # pragma: no cover
    """What ``flow`` on the arcs ``tails -> heads`` moves: taken from each tail's ``excess``
    and added to each head's, in place (``np.subtract.at`` and ``np.add.at`` in one pass)."""
    for k in range(len(tails)):
        excess[tails[k]] -= flow[k]
        excess[heads[k]] += flow[k]


@numba.njit(cache=True, nogil=True)
def residual_graph(n_nodes, tails, heads, capacity, flow, cost):  # pragma: no cover
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
def lower_potentials(first, adjacent, head, residual, cost, pot, passes=64):  # pragma: no cover
    """Lower potentials until every residual arc has ``cost + pot[tail] - pot[head] >= 0``
    (Bellman-Ford with a FIFO queue). Possible exactly when the flow is optimal (no negative
    cycle); a starting point close to valid potentials makes it quick. False if it fails
    within about ``passes`` visits of every node (``len(pot)`` passes always suffice)."""
    n = len(pot)
    queue = np.empty(n, np.int64)
    queued = np.ones(n, np.bool_)
    for v in range(n):
        queue[v] = v
    qhead, size = 0, n
    budget = np.int64(n) * np.int64(passes) + 1_000_000
    while size > 0:
        u = queue[qhead]
        qhead = (qhead + 1) % n
        size -= 1
        queued[u] = False
        budget -= 1
        if budget < 0:
            return False
        base = pot[u]
        for k in range(first[u], first[u + 1]):
            e = adjacent[k]
            if residual[e] <= 0:
                continue
            v = head[e]
            limit = base + cost[e]
            if pot[v] > limit:
                pot[v] = limit
                if not queued[v]:
                    queued[v] = True
                    queue[(qhead + size) % n] = v
                    size += 1
    return True


@numba.njit(cache=True, nogil=True)
def lower_potentials_ordered(
    first, adjacent, head, residual, cost, pot, passes=64
):  # pragma: no cover
    """:func:`lower_potentials`, with the nodes taken in order of how far they have fallen
    (the furthest first, an indexed heap) instead of first in, first out. The result is the
    same, the highest valid potentials at or below the start; the order pays when a repair
    has moved flow along long paths (a node lowered once, to where it ends, rather than again
    and again by each neighbour in turn): mosaic capacity/demand 1, 245 -> 77 ms after
    cheapest paths and 288 -> 227 ms after OR-Tools."""
    n = len(pot)
    start = pot.copy()
    keys = np.empty(n, np.int64)
    nodes = np.empty(n, np.int64)
    where = np.full(n, -1, np.int64)
    size = 0
    for u in range(n):
        for k in range(first[u], first[u + 1]):
            e = adjacent[k]
            if residual[e] > 0 and pot[head[e]] > pot[u] + cost[e]:
                pot[head[e]] = pot[u] + cost[e]
    for v in range(n):
        if pot[v] < start[v]:
            size = _heap_offer(keys, nodes, where, size, pot[v] - start[v], v)
    budget = np.int64(n) * np.int64(passes) + 1_000_000
    while size > 0:
        u = nodes[0]
        size = _heap_take(keys, nodes, where, size)
        budget -= 1
        if budget < 0:
            pot[:] = start
            return False
        base = pot[u]
        for k in range(first[u], first[u + 1]):
            e = adjacent[k]
            if residual[e] <= 0:
                continue
            v = head[e]
            if pot[v] > base + cost[e]:
                pot[v] = base + cost[e]
                size = _heap_offer(keys, nodes, where, size, pot[v] - start[v], v)
    return True


@numba.njit(cache=True, nogil=True, inline="always")
def _heap_place(keys, nodes, where, pos, key, node):  # pragma: no cover
    keys[pos] = key
    nodes[pos] = node
    where[node] = pos


@numba.njit(cache=True, nogil=True)
def _heap_offer(keys, nodes, where, size, key, node):  # pragma: no cover
    """Insert ``node`` into the indexed min-heap, or lower its key if it is there (``where``:
    each node's position, -1 when out); the new size."""
    pos = where[node]
    if pos < 0:
        pos = size
        size += 1
    while pos > 0:
        parent = (pos - 1) >> 1
        if keys[parent] <= key:
            break
        _heap_place(keys, nodes, where, pos, keys[parent], nodes[parent])
        pos = parent
    _heap_place(keys, nodes, where, pos, key, node)
    return size


@numba.njit(cache=True, nogil=True)
def _heap_take(keys, nodes, where, size):  # pragma: no cover
    """Remove the top of the indexed min-heap; the new size."""
    where[nodes[0]] = -1
    size -= 1
    if size == 0:
        return 0
    key, node = keys[size], nodes[size]
    pos = 0
    while True:
        child = 2 * pos + 1
        if child >= size:
            break
        if child + 1 < size and keys[child + 1] < keys[child]:
            child += 1
        if keys[child] >= key:
            break
        _heap_place(keys, nodes, where, pos, keys[child], nodes[child])
        pos = child
    _heap_place(keys, nodes, where, pos, key, node)
    return size


def raise_potentials(
    n_nodes: int,
    tails: np.ndarray,
    heads: np.ndarray,
    capacity: np.ndarray,
    flow: np.ndarray,
    cost: np.ndarray,
    pot: np.ndarray,
    passes: int = 64,
    *,
    ordered: bool = False,
) -> bool:
    """Raise ``pot`` (in place) until every residual arc of ``flow`` has
    ``cost + pot[tail] - pot[head] >= 0``: :func:`lower_potentials` of the negated potentials
    over the reversed arcs, where the reduced costs are the same numbers (with ``ordered``,
    :func:`lower_potentials_ordered`). From the sink at 0 and every other node far below, the
    result is the lowest valid potentials: minus each node's cheapest path to the sink. False,
    leaving ``pot`` as it was, if it fails within about ``passes`` visits of every node."""
    first, adjacent, head, residual, arc_cost = residual_graph(
        n_nodes, heads, tails, capacity, flow, cost
    )
    negated = -pot
    lower = lower_potentials_ordered if ordered else lower_potentials
    if not lower(first, adjacent, head, residual, arc_cost, negated, passes):
        return False
    pot[:] = -negated
    return True


@numba.njit(cache=True, nogil=True)
def heap_push(keys, nodes, size, key, node):  # pragma: no cover
    """Push onto the min-heap ``keys[:size]`` (payload ``nodes``); the new size."""
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
def heap_pop(keys, nodes, size):  # pragma: no cover
    """Pop the smallest key of the min-heap ``keys[:size]``: ``(key, node, new size)``."""
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
def column_heap_push(col_q, col_row, j, key, row):  # pragma: no cover
    """Offer ``(key, -row)`` to column ``j``'s min-heap ``(col_q[j], -col_row[j])``, full from
    the start (empty places hold the lowest key): it replaces the smallest when larger. Ties
    go to the lower row, so the heap's content does not depend on the order rows come in."""
    if key < col_q[j, 0] or (key == col_q[j, 0] and row > col_row[j, 0]):
        return
    r = col_q.shape[1]
    pos = 0
    while True:
        child = 2 * pos + 1
        if child >= r:
            break
        if child + 1 < r and (
            col_q[j, child + 1] < col_q[j, child]
            or (
                col_q[j, child + 1] == col_q[j, child] and col_row[j, child + 1] > col_row[j, child]
            )
        ):
            child += 1
        if col_q[j, child] > key or (col_q[j, child] == key and col_row[j, child] < row):
            break
        col_q[j, pos] = col_q[j, child]
        col_row[j, pos] = col_row[j, child]
        pos = child
    col_q[j, pos] = key
    col_row[j, pos] = row
