""":class:`scoring.RowScorer`'s scores computed a mentee at a time inside numba kernels, fused
with the selection the block solver (:mod:`blocks`) makes of them.

At consortium scale (500 million pairs) scoring dominates: numpy fills a ``(rows, m)`` float
block criterion by criterion, each pass through memory, and the selection then reads the block
again. Here one kernel computes a mentee's scores against every mentor into a buffer that stays
in cache and immediately keeps what the solver needs (each mentee's best mentors by
``q - price``, the best value among the rest, each mentor's closest mentees), so no block of
scores is ever materialised.

The arithmetic is :func:`scoring._weighted_block`'s, term for term in the same order and in
float32, so every score is bit-for-bit the one :class:`~scoring.RowScorer` returns (tests compare
them on random cohorts and every weight setting): the sparse products are sums in the order of
the sparse rows' stored entries (as scipy's ``csr @ dense`` does), the shared-interest count
(a sum of 0/1 products, exact) indexes a table of ``exp2(-count) * weight`` computed by numpy,
and criteria whose weight is zero are skipped as numpy skips them. Eligibility is RowScorer's.
"""

from __future__ import annotations

import dataclasses

import numba
import numpy as np

from matching.engine.common import column_heap_push, heap_pop, heap_push
from matching.engine.scoring import CRITERIA, RowScorer
from matching.engine.solvers import SCORE_SCALE

NONE = np.int64(-(2**62))
"""Quantised value of a pair that cannot be used."""


@dataclasses.dataclass(frozen=True, eq=False)
class FusedScorer:
    """The numba form of a :class:`~scoring.RowScorer`: per-mentee arrays (``rows``), per-mentor
    arrays (``cols``) and the pairs excluded one by one (self pairs, declared exclusions) as
    sorted per-mentee lists of mentor positions."""

    rows: tuple
    cols: tuple
    forbid_ptr: np.ndarray  # (n + 1,) int64
    forbid_col: np.ndarray  # mentor positions, each mentee's slice sorted
    n: int
    m: int

    @classmethod
    def of(cls, scorer: RowScorer) -> FusedScorer:
        p, f = scorer.prepared, scorer.features
        w = {name: np.float32(scorer.weights[name] * scorer.scale) for name in CRITERIA}
        n_areas = p.needs_rows.shape[1]
        column_weights = np.where(
            np.arange(p.linear_cols.shape[0]) < n_areas, w["needs"], w["roles"]
        )
        interest_rows = p.interest_rows.tocsr()
        if len(interest_rows.data) and not (interest_rows.data == 1).all():
            raise ValueError("interest rows must be 0/1")
        interest_cols = np.ascontiguousarray(p.interest_cols)
        if not np.isin(interest_cols, (0, 1)).all():
            raise ValueError("interest columns must be 0/1")
        linear_rows = p.linear_rows.tocsr()
        linear_rows.sort_indices()
        # The same elementwise float32 products as _weighted_block, made once for all rows.
        neutral = (p.needs_neutral * w["needs"] + p.roles_neutral * w["roles"]).reshape(-1)
        most_shared = interest_cols.shape[0]
        interest_table = (
            np.exp2(-np.arange(most_shared + 1, dtype=np.float32)) * w["interests"]
        ).astype(np.float32)
        single = w["time_zone"] + (p.locality_same - p.locality_remote) * w["locality"]
        flags = np.array(
            [
                bool(w["interests"]),
                bool(w["career_stage"]),
                bool(w["communication"]),
                bool(w["time_zone"]),
                bool(w["locality"]),
                bool(p.single_institution),
            ]
        )
        rows = (
            linear_rows.indptr.astype(np.int64),
            linear_rows.indices.astype(np.int64),
            linear_rows.data.astype(np.float32),
            neutral.astype(np.float32),
            interest_rows.indptr.astype(np.int64),
            interest_rows.indices.astype(np.int64),
            p.stage_row_offset.astype(np.int64),
            np.ascontiguousarray(p.mode_table * w["communication"], dtype=np.float32),
            (p.locality_remote * w["locality"]).reshape(-1).astype(np.float32),
            single.reshape(-1).astype(np.float32),
            ((p.locality_same - p.locality_remote) * w["locality"]).reshape(-1).astype(np.float32),
            p.place_row_offset.astype(np.int64),
            np.asarray(p.mentee_institution, np.int64),
        )
        usable = np.ones(f.n_mentors, bool)
        usable[scorer.unavailable] = False
        local_only = np.zeros(f.n_mentors, bool)
        local_only[scorer.no_remote] = True
        cols = (
            np.ascontiguousarray(p.linear_cols * column_weights[:, None], dtype=np.float32),
            (p.experience * w["experience"]).astype(np.float32),
            interest_cols.astype(np.uint8),
            np.asarray(p.stage_col_index, np.int64),
            (p.stage_table * w["career_stage"]).astype(np.float32),
            np.asarray(p.mentor_mode_mask, np.int64),
            np.asarray(p.place_col_index, np.int64),
            (p.place_table * w["time_zone"]).astype(np.float32),
            np.asarray(p.mentor_institution, np.int64),
            usable,
            local_only,
            interest_table,
            flags,
        )
        mentees = np.concatenate([scorer.self_mentee, f.excluded_mentee]).astype(np.int64)
        mentors = np.concatenate([scorer.self_mentor, f.excluded_mentor]).astype(np.int64)
        order = np.lexsort((mentors, mentees))
        forbid_ptr = np.searchsorted(mentees[order], np.arange(f.n_mentees + 1)).astype(np.int64)
        fused = cls(rows, cols, forbid_ptr, mentors[order], f.n_mentees, f.n_mentors)
        fused._check_tables()
        return fused

    def _check_tables(self) -> None:
        """The tables are indexed without numpy's ``mode="wrap"``: every index must be in range
        (it is by construction; checked once so that a kernel never reads out of bounds)."""
        r, c = self.rows, self.cols
        for row_offset, col_index, table in ((r[6], c[3], c[4]), (r[11], c[6], c[7])):
            if self.n and self.m:
                low = row_offset.min() + col_index.min()
                high = row_offset.max() + col_index.max()
                if low < 0 or high >= len(table):
                    raise ValueError("a look-up index is out of range")
        if self.n and self.m and (c[5].min() < 0 or c[5].max() >= r[7].shape[1]):
            raise ValueError("a mode mask is out of range")

    def columns(self, cols: np.ndarray) -> FusedScorer:
        """The same scorer restricted to the mentors ``cols`` (sorted indices)."""
        cols = np.asarray(cols, dtype=np.int64)
        c = self.cols
        narrow = (
            np.ascontiguousarray(c[0][:, cols]),
            c[1][cols],
            np.ascontiguousarray(c[2][:, cols]),
            c[3][cols],
            c[4],
            c[5][cols],
            c[6][cols],
            c[7],
            c[8][cols],
            c[9][cols],
            c[10][cols],
            c[11],
            c[12],
        )
        position = np.full(self.m, -1, np.int64)
        position[cols] = np.arange(len(cols))
        at = position[self.forbid_col]
        kept = at >= 0
        mentee = np.repeat(np.arange(self.n), np.diff(self.forbid_ptr))[kept]
        ptr = np.searchsorted(mentee, np.arange(self.n + 1)).astype(np.int64)
        return FusedScorer(self.rows, narrow, ptr, at[kept], self.n, len(cols))

    def __call__(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(scores, eligible)`` exactly as :meth:`RowScorer.__call__` returns them."""
        rows = _int64(rows)
        scores = np.empty((len(rows), self.m), np.float32)
        eligible = np.empty((len(rows), self.m), bool)
        _score_rows(self.rows, self.cols, self.forbid_ptr, self.forbid_col, rows, scores, eligible)
        return scores, eligible

    def select(
        self,
        rows: np.ndarray,
        open_mentor: np.ndarray,
        price: np.ndarray,
        k: int,
        skip: tuple[np.ndarray, np.ndarray] | None = None,
        heaps: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per row of ``rows``: the ``k`` usable mentors with the largest ``q - price`` (their
        positions and ``q``; -1 and ``NONE`` where fewer), the largest ``q - price`` among the
        rest, whether the row has a usable mentor, and its best ``q - price`` (0 if none is
        above 0). ``q`` is the quantised score; a pair is usable when eligible and its mentor
        open. ``skip`` = ``(ptr, cols)``: per row, mentor positions to treat as unusable
        (``cols[ptr[r]:ptr[r + 1]]``). ``heaps`` = ``(ids, col_q, col_row)``: fold the rows,
        known by ``ids``, into each mentor's min-heap of its best ``(q - price - best, -id)``.
        """
        rows = _int64(rows)
        count = len(rows)
        top = np.full((count, k), -1, np.int64)
        top_q = np.full((count, k), NONE, np.int64)
        rest = np.full(count, NONE, np.int64)
        seen = np.zeros(count, bool)
        best = np.zeros(count, np.int64)
        if skip is None:
            skip = (np.zeros(count + 1, np.int64), np.zeros(0, np.int64))
        if heaps is None:
            heaps = (rows, np.zeros((self.m, 0), np.int64), np.zeros((self.m, 0), np.int64))
        usable = np.ascontiguousarray(np.asarray(open_mentor, bool) & self.cols[9])
        ok = _select(
            self.rows,
            self.cols,
            self.forbid_ptr,
            self.forbid_col,
            rows,
            usable,
            _int64(price),
            _int64(skip[0]),
            _int64(skip[1]),
            top,
            top_q,
            rest,
            seen,
            best,
            _int64(heaps[0]),
            heaps[1],
            heaps[2],
        )
        if not ok:
            raise ValueError("scores of eligible pairs must be finite")
        return top, top_q, rest, seen, best


def _int64(values: np.ndarray) -> np.ndarray:
    """Contiguous int64: the layout the kernels are compiled (and cached) for."""
    return np.ascontiguousarray(values, dtype=np.int64)


@numba.njit(cache=True, nogil=True)
def _row_values(i, R, C, out, shared):  # pragma: no cover
    """Mentee ``i``'s float32 scores against every mentor, before eligibility: the terms of
    scoring._weighted_block in its order."""
    lin_ptr, lin_idx, lin_val, neutral, int_ptr, int_idx = R[0], R[1], R[2], R[3], R[4], R[5]
    stage_off, mode_w, loc_remote, single_w, loc_same, place_off, inst = (
        R[6],
        R[7],
        R[8],
        R[9],
        R[10],
        R[11],
        R[12],
    )
    lin_cols, exp_w, int_cols, stage_idx, stage_tab, mode_mask = C[0], C[1], C[2], C[3], C[4], C[5]
    place_idx, place_tab, col_inst, int_tab, flags = C[6], C[7], C[8], C[11], C[12]
    m = len(exp_w)
    for j in range(m):
        out[j] = np.float32(0.0)
    for e in range(lin_ptr[i], lin_ptr[i + 1]):
        a = lin_val[e]
        line = lin_cols[lin_idx[e]]
        for j in range(m):
            out[j] += a * line[j]
    has_interests, has_stage, has_modes = flags[0], flags[1], flags[2]
    has_time_zone, has_locality, single = flags[3], flags[4], flags[5]
    if has_interests:
        for j in range(m):
            shared[j] = 0
        for e in range(int_ptr[i], int_ptr[i + 1]):
            line = int_cols[int_idx[e]]
            for j in range(m):
                shared[j] += line[j]
    # One pass per term, the loop-invariant tests outside: each pass vectorises.
    base = neutral[i]
    for j in range(m):
        out[j] += base
    for j in range(m):
        out[j] += exp_w[j]
    if has_interests:
        w_interests = int_tab[0]
        for j in range(m):
            out[j] = (out[j] + w_interests) - int_tab[shared[j]]
    if has_stage:
        so = stage_off[i]
        for j in range(m):
            out[j] += stage_tab[stage_idx[j] + so]
    if has_modes:
        modes = mode_w[i]
        for j in range(m):
            out[j] += modes[mode_mask[j]]
    remote = loc_remote[i]
    for j in range(m):
        out[j] += remote
    if single:
        single_value = single_w[i]
        for j in range(m):
            out[j] += single_value
        return
    if has_time_zone:
        po = place_off[i]
        for j in range(m):
            out[j] += place_tab[place_idx[j] + po]
    if has_locality:
        home = inst[i]
        same_value = loc_same[i]
        for j in range(m):
            if col_inst[j] == home:
                out[j] += same_value


@numba.njit(cache=True, nogil=True)
def _row_quantised(values, ok, q):  # pragma: no cover
    """``q`` = the quantised scores, ``NONE`` where not ``ok``; False if a usable score is
    not finite."""
    finite = True
    for j in range(len(q)):
        s = min(values[j], np.float32(100.0))
        finite &= not ok[j] or np.isfinite(s)
        q[j] = np.int64(np.rint(np.float64(s) * SCORE_SCALE)) if ok[j] else NONE
    return finite


@numba.njit(cache=True, nogil=True)
def _row_usable(i, R, C, usable, forbid_ptr, forbid_col, ok):  # pragma: no cover
    """Which mentors mentee ``i`` may be paired with (``usable``: the per-mentor part)."""
    col_inst, local_only = C[8], C[10]
    home = R[12][i]
    for j in range(len(usable)):
        ok[j] = usable[j] and (not local_only[j] or col_inst[j] == home)
    for e in range(forbid_ptr[i], forbid_ptr[i + 1]):
        ok[forbid_col[e]] = False


@numba.njit(cache=True, nogil=True)
def _score_rows(R, C, forbid_ptr, forbid_col, rows, scores, eligible):  # pragma: no cover
    m = scores.shape[1]
    shared = np.empty(m, np.int64)
    for r in range(len(rows)):
        _row_values(rows[r], R, C, scores[r], shared)
        _row_usable(rows[r], R, C, C[9], forbid_ptr, forbid_col, eligible[r])
        for j in range(m):
            v = scores[r, j] * np.float32(eligible[r, j])
            scores[r, j] = min(v, np.float32(100.0))


@numba.njit(cache=True, nogil=True)
def _select(
    R,
    C,
    forbid_ptr,
    forbid_col,
    rows,
    usable,
    price,
    skip_ptr,
    skip_col,
    top,
    top_q,
    rest,
    seen,
    best,
    ids,
    col_q,
    col_row,
):  # pragma: no cover
    """FusedScorer.select, a row at a time. False if an eligible score is not finite."""
    m = len(usable)
    k = top.shape[1]
    per_column = col_q.shape[1]
    # The heaps' smallest keys, contiguous: most pairs fail the first comparison.
    floor = col_q[:, 0].copy()
    values = np.empty(m, np.float32)
    shared = np.empty(m, np.int64)
    ok = np.empty(m, np.bool_)
    q = np.empty(m, np.int64)
    reduced = np.empty(m, np.int64)
    heap = np.empty(k, np.int64)  # reduced values
    where = np.empty(k, np.int64)  # their columns
    for r in range(len(rows)):
        i = rows[r]
        _row_values(i, R, C, values, shared)
        _row_usable(i, R, C, usable, forbid_ptr, forbid_col, ok)
        for e in range(skip_ptr[r], skip_ptr[r + 1]):
            ok[skip_col[e]] = False
        if not _row_quantised(values, ok, q):
            return False
        seen[r] = _reduce(q, price, reduced)
        size, best_rest = keep_best(reduced, heap, where, k)
        row_best = np.int64(0)
        for t in range(size):
            top[r, t] = where[t]
            top_q[r, t] = heap[t] + price[where[t]]
            if heap[t] > row_best:
                row_best = heap[t]
        rest[r] = best_rest
        best[r] = row_best
        if per_column:
            _fold_columns(reduced, row_best, ids[r], col_q, col_row, floor)
    return True


_CHUNK = 32
"""Columns a selection pass passes over at once when none of them can get in."""


@numba.njit(cache=True, nogil=True)
def _reduce(q, price, reduced):  # pragma: no cover
    """``reduced = q - price`` (``NONE`` where ``q`` is); whether any pair is usable."""
    any_usable = False
    for j in range(len(q)):
        usable = q[j] != NONE
        any_usable |= usable
        reduced[j] = q[j] - price[j] if usable else NONE
    return any_usable


@numba.njit(cache=True, nogil=True)
def keep_best(reduced, heap, where, k):  # pragma: no cover
    """The ``k`` largest of one row's ``reduced`` (``NONE``: unusable) in the min-heap
    ``(heap, where)`` and the largest among the rest: ``(size, rest)``.

    The row's chunks of :data:`_CHUNK` columns are summarised by their max first: the
    ``k``-th largest chunk max is at most the ``k``-th largest value, so chunks whose max is
    below it hold nothing to keep and are passed over at the cost of their max (a scan that
    vectorises). The heap sees the other columns in order."""
    m = len(reduced)
    n_chunks = (m + _CHUNK - 1) // _CHUNK
    chunk_max = np.empty(n_chunks, np.int64)
    for c in range(n_chunks):
        # A slice, so that numba knows the index is not negative and vectorises.
        chunk = reduced[c * _CHUNK : min((c + 1) * _CHUNK, m)]
        top = NONE
        for j in range(len(chunk)):
            top = max(top, chunk[j])
        chunk_max[c] = top
    threshold = NONE
    if n_chunks >= k:
        size = 0
        for c in range(n_chunks):
            if size < k:
                size = heap_push(heap, where, size, chunk_max[c], c)
            elif chunk_max[c] > heap[0]:
                _key, _node, size = heap_pop(heap, where, size)
                size = heap_push(heap, where, size, chunk_max[c], c)
        threshold = heap[0]
    size = 0
    best_rest = NONE
    for c in range(n_chunks):
        if chunk_max[c] < threshold:
            best_rest = max(best_rest, chunk_max[c])
            continue
        for j in range(c * _CHUNK, min((c + 1) * _CHUNK, m)):
            value = reduced[j]
            if value == NONE:
                continue
            if size < k:
                size = heap_push(heap, where, size, value, j)
                continue
            if value <= heap[0]:
                best_rest = max(best_rest, value)
                continue
            best_rest = max(best_rest, heap[0])
            _key, _node, size = heap_pop(heap, where, size)
            size = heap_push(heap, where, size, value, j)
    return size, best_rest


@numba.njit(cache=True, nogil=True)
def _fold_columns(reduced, row_best, row, col_q, col_row, floor):  # pragma: no cover
    """Offer one row's usable pairs, keyed ``reduced - row_best``, to each column's heap
    (blocks._keep_best_per_column for a single row); ``floor`` mirrors the heaps' smallest
    keys, and a chunk of columns where no key reaches its floor is passed over at once."""
    m = len(reduced)
    for start in range(0, m, _CHUNK):
        stop = min(start + _CHUNK, m)
        values, floors = reduced[start:stop], floor[start:stop]
        gap = NONE
        for j in range(len(values)):
            gap = max(gap, values[j] - floors[j])
        if gap < row_best:
            continue
        for j in range(start, stop):
            if reduced[j] == NONE:
                continue
            key = reduced[j] - row_best
            if key < floor[j]:
                continue
            column_heap_push(col_q, col_row, j, key, row)
            floor[j] = col_q[j, 0]
