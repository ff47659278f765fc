"""Explainable fit scores for every (mentee, mentor) pair, and the hard rules that exclude pairs.

A score is ``100 * sum(w_k * c_k) / sum(w_k)`` over the criteria in :data:`CRITERIA`, each
``c_k`` in [0, 1], so it lies in [0, 100]. Weights are a program setting (:data:`DEFAULT_WEIGHTS`,
checked by :func:`validate_weights`). Exclusions are never a weight: an excluded pair gets score 0
and ``eligible = False``, and :func:`exclusion_reasons` / :func:`excluded_mentors` say why.

Everything is vectorised over all pairs: set overlaps are matrix products of 0/1 (or weight)
matrices, career stage and time zones are look-up tables indexed by differences, and the full
matrix is filled in blocks of mentee rows so that temporaries stay small and in cache.
"""

from __future__ import annotations

import copy
import dataclasses
import enum
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import scipy.sparse as sp

from matching.engine.features import EXCLUSION_REASONS, ExclusionReason, Locality, MatchingFeatures

CRITERIA: tuple[str, ...] = (
    "needs",
    "roles",
    "interests",
    "career_stage",
    "experience",
    "communication",
    "time_zone",
    "locality",
)

DEFAULT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        "needs": 3.0,
        "roles": 2.0,
        "interests": 1.5,
        "career_stage": 1.5,
        "experience": 1.0,
        "communication": 1.0,
        "time_zone": 0.5,
        "locality": 1.0,
    }
)

NEUTRAL = 0.5
"""Value of a criterion that cannot be judged (e.g. a mentee who listed no needs yet)."""

# Career stage: mentor minus mentee career years -> value. "Half a generation ahead" is the peak.
STAGE_AHEAD_POINTS = ((0.0, 0.0), (8.0, 1.0), (15.0, 1.0), (35.0, 0.0))
STAGE_PEER_POINTS = ((0.0, 1.0), (3.0, 1.0), (10.0, 0.0))
TIME_ZONE_ZERO_AT_HOURS = 8.0
REMOTE_PREFERRING_LOCAL_PAIR = 0.3
"""Locality value of a same-institution mentor for a mentee who asked for someone from elsewhere."""

_BLOCK_ROWS = 256
_MENTOR_FIELDS = (
    "mentor_ids",
    "mentor_areas",
    "mentor_roles",
    "mentor_topics",
    "mentor_qualities",
    "mentor_career_years",
    "mentor_mentoring_years",
    "mentor_prior_mentees",
    "mentor_trained",
    "mentor_modes",
    "mentor_utc_offset",
    "mentor_institution",
    "mentor_remote_ok",
    "mentor_capacity",
    "mentor_accepting",
    "mentor_meets_training",
)


class StageMode(enum.StrEnum):
    """How career stage is judged: a guide ahead of the mentee, or a peer at the same stage."""

    TRADITIONAL = "traditional"
    PEER = "peer"


def validate_weights(weights: Mapping[str, float] | None = None) -> dict[str, float]:
    """Return a complete weight mapping; missing criteria take their default weight.

    Raises ``ValueError`` for unknown criteria, negative or non-finite weights, and when every
    weight is zero (a score would be undefined).
    """
    merged = dict(DEFAULT_WEIGHTS)
    for name, value in (weights or {}).items():
        if name not in DEFAULT_WEIGHTS:
            raise ValueError(f"Unknown criterion: {name!r}")
        value = float(value)
        if not np.isfinite(value):
            raise ValueError(f"Weight for {name} must be a number")
        if value < 0:
            raise ValueError(f"Weight for {name} cannot be negative")
        merged[name] = value
    if sum(merged.values()) <= 0:
        raise ValueError("At least one weight must be above zero")
    return merged


@dataclass(frozen=True, eq=False)
class PairScores:
    """Scores for all pairs. ``scores[i, j]`` is 0 wherever ``eligible[i, j]`` is False."""

    scores: np.ndarray  # (n, m) float32 in [0, 100]
    eligible: np.ndarray  # (n, m) bool
    weights: Mapping[str, float]
    mode: StageMode


def score_pairs(
    features: MatchingFeatures,
    weights: Mapping[str, float] | None = None,
    *,
    mode: StageMode | str = StageMode.TRADITIONAL,
) -> PairScores:
    """Score every (mentee, mentor) pair; excluded pairs score 0 and are marked ineligible."""
    full = validate_weights(weights)
    stage_mode = StageMode(mode)
    prepared = _Prepared.build(features, stage_mode)
    eligible = eligibility(features)
    scores = np.empty((features.n_mentees, features.n_mentors), dtype=np.float32)
    scale = 100.0 / sum(full.values())
    for rows in _row_blocks(features.n_mentees):
        block = _weighted_block(prepared, full, scale, rows)
        block *= eligible[rows]
        # float32 rounding can push a perfect pair a hair above 100.
        np.minimum(block, 100.0, out=block)
        scores[rows] = block
    return PairScores(scores=scores, eligible=eligible, weights=full, mode=stage_mode)


class RowScorer:
    """Scores blocks of mentee rows against every mentor, eligibility included.

    For cohorts too large to hold every pair at once (a consortium of institutions): the
    look-up tables are prepared once and each call scores only the rows asked for, with the
    same arithmetic and the same exclusions as :func:`score_pairs`.
    """

    def __init__(
        self,
        features: MatchingFeatures,
        weights: Mapping[str, float] | None = None,
        *,
        mode: StageMode | str = StageMode.TRADITIONAL,
    ) -> None:
        self.features = features
        self.weights = validate_weights(weights)
        self.prepared = _Prepared.build(features, StageMode(mode))
        self.scale = 100.0 / sum(self.weights.values())
        # The same exclusions as eligibility(): no capacity, paused, or short of the program's
        # training rule.
        self.unavailable = np.union1d(
            _unavailable_mentors(features), np.flatnonzero(~features.mentor_meets_training)
        )
        self.no_remote = np.flatnonzero(~features.mentor_remote_ok)
        _, self.self_mentee, self.self_mentor = np.intersect1d(
            features.mentee_ids, features.mentor_ids, return_indices=True
        )

    @property
    def shape(self) -> tuple[int, int]:
        return self.features.n_mentees, self.features.n_mentors

    def columns(self, cols: np.ndarray) -> RowScorer:
        """The same scorer restricted to the mentors ``cols`` (sorted indices): a check of a
        few mentors against every mentee costs only those columns."""
        cols = np.asarray(cols, dtype=np.int64)
        narrow = copy.copy(self)
        narrow.features = dataclasses.replace(
            self.features,
            **{name: getattr(self.features, name)[cols] for name in _MENTOR_FIELDS},
        )
        p = self.prepared
        narrow.prepared = dataclasses.replace(
            p,
            mentor_areas=p.mentor_areas[cols],
            mentor_roles=p.mentor_roles[cols],
            mentor_interests=p.mentor_interests[cols],
            linear_cols=np.ascontiguousarray(p.linear_cols[:, cols]),
            interest_cols=np.ascontiguousarray(p.interest_cols[:, cols]),
            stage_col_index=p.stage_col_index[cols],
            experience=p.experience[cols],
            mentor_mode_mask=p.mentor_mode_mask[cols],
            mentor_institution=p.mentor_institution[cols],
            tz_col_index=p.tz_col_index[cols],
            place_col_index=p.place_col_index[cols],
        )
        position = np.full(self.features.n_mentors, -1, np.int64)
        position[cols] = np.arange(len(cols))
        narrow.unavailable = position[self.unavailable][position[self.unavailable] >= 0]
        narrow.no_remote = position[self.no_remote][position[self.no_remote] >= 0]
        kept = position[self.self_mentor] >= 0
        narrow.self_mentee = self.self_mentee[kept]
        narrow.self_mentor = position[self.self_mentor[kept]]
        kept = position[self.features.excluded_mentor] >= 0
        narrow.features = dataclasses.replace(
            narrow.features,
            excluded_mentee=self.features.excluded_mentee[kept],
            excluded_mentor=position[self.features.excluded_mentor[kept]],
            excluded_reason=self.features.excluded_reason[kept],
        )
        return narrow

    def __call__(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(scores, eligible)`` for the mentees ``rows`` (sorted indices), ``(len(rows), m)``."""
        rows = np.asarray(rows, dtype=np.int64)
        block = _weighted_block(self.prepared, self.weights, self.scale, rows)
        eligible = self.eligible(rows)
        block *= eligible
        np.minimum(block, 100.0, out=block)
        return block, eligible

    def eligible(self, rows: np.ndarray) -> np.ndarray:
        f = self.features
        eligible = np.ones((len(rows), f.n_mentors), dtype=bool)
        eligible[:, self.unavailable] = False
        if len(self.no_remote):
            same = f.mentee_institution[rows][:, None] == f.mentor_institution[self.no_remote]
            eligible[:, self.no_remote] &= same
        position = np.full(f.n_mentees, -1, np.int64)
        position[rows] = np.arange(len(rows))
        for mentees, mentors in (
            (self.self_mentee, self.self_mentor),
            (f.excluded_mentee, f.excluded_mentor),
        ):
            at = position[mentees]
            inside = at >= 0
            eligible[at[inside], np.asarray(mentors)[inside]] = False
        return eligible


def score_mosaic(
    features: MatchingFeatures,
    mentee_areas: np.ndarray,
    weights: Mapping[str, float] | None = None,
    *,
    mode: StageMode | str = StageMode.TRADITIONAL,
) -> tuple[np.ndarray, np.ndarray]:
    """Area-specific scores for mosaic boards.

    ``mentee_areas`` is ``(n, s)``: for each mentee, the need-area index each board seat is for
    (-1 = seat unused). Returns ``(area_scores, eligible)``, both ``(n, s, m)``: the ``needs``
    criterion becomes "does this mentor offer this seat's area", the other criteria are as in
    :func:`score_pairs`, and a mentor who does not offer the area is not eligible for that seat.
    """
    full = validate_weights(weights)
    prepared = _Prepared.build(features, StageMode(mode))
    eligible = eligibility(features)
    areas = np.asarray(mentee_areas, dtype=np.int64).reshape(features.n_mentees, -1)
    n, seats, m = features.n_mentees, areas.shape[1], features.n_mentors
    scale = 100.0 / sum(full.values())
    without_needs = {**full, "needs": 0.0}
    offers = np.vstack([features.mentor_areas.T, np.zeros((1, m), bool)])  # row -1 = unused seat
    area_scores = np.empty((n, seats, m), dtype=np.float32)
    area_eligible = np.empty((n, seats, m), dtype=bool)
    need_points = np.float32(full["needs"] * scale)
    for rows in _row_blocks(n):
        base = _weighted_block(prepared, without_needs, scale, rows)
        value = np.empty_like(base)
        for seat in range(seats):
            offered = offers[areas[rows, seat]]
            np.logical_and(offered, eligible[rows], out=area_eligible[rows, seat])
            np.multiply(offered, need_points, out=value)
            value += base
            np.minimum(value, 100.0, out=value)
            value *= area_eligible[rows, seat]
            area_scores[rows, seat] = value
    return area_scores, area_eligible


def criterion_values(
    features: MatchingFeatures,
    mentee_index: Sequence[int] | np.ndarray,
    mentor_index: Sequence[int] | np.ndarray,
    *,
    mode: StageMode | str = StageMode.TRADITIONAL,
) -> dict[str, np.ndarray]:
    """Each criterion's value in [0, 1] for the listed pairs (parallel index arrays).

    Uses the same block functions as :func:`score_pairs`, so explanations add up to the score.
    """
    rows = np.asarray(mentee_index, dtype=np.int64)
    cols = np.asarray(mentor_index, dtype=np.int64)
    prepared = _Prepared.build(features, StageMode(mode))
    values = {name: np.empty(len(rows), np.float32) for name in CRITERIA}
    for k, (i, j) in enumerate(zip(rows, cols, strict=True)):
        block = _criteria_block(prepared, np.array([i]), np.array([j]))
        for name in CRITERIA:
            values[name][k] = block[name][0, 0]
    return values


def criterion_matrix(
    features: MatchingFeatures,
    criterion: str,
    *,
    mode: StageMode | str = StageMode.TRADITIONAL,
) -> np.ndarray:
    """One criterion for all pairs, ``(n, m)`` float32; for tests, reports and tuning."""
    if criterion not in CRITERIA:
        raise ValueError(f"Unknown criterion: {criterion!r}")
    prepared = _Prepared.build(features, StageMode(mode))
    rows = np.arange(features.n_mentees)
    cols = np.arange(features.n_mentors)
    return _criteria_block(prepared, rows, cols)[criterion]


# --- Exclusions ---------------------------------------------------------------------------------


def eligibility(features: MatchingFeatures) -> np.ndarray:
    """``(n, m)`` bool: True where the pair may be proposed."""
    n, m = features.n_mentees, features.n_mentors
    eligible = np.ones((n, m), dtype=bool)
    eligible[:, _unavailable_mentors(features)] = False
    eligible[:, ~features.mentor_meets_training] = False
    no_remote = np.flatnonzero(~features.mentor_remote_ok)
    if len(no_remote):
        same = features.mentee_institution[:, None] == features.mentor_institution[no_remote]
        eligible[:, no_remote] &= same
    _, mentee_self, mentor_self = np.intersect1d(
        features.mentee_ids, features.mentor_ids, return_indices=True
    )
    eligible[mentee_self, mentor_self] = False
    eligible[features.excluded_mentee, features.excluded_mentor] = False
    return eligible


def exclusion_reasons(features: MatchingFeatures, mentee: int, mentor: int) -> list[str]:
    """Reason codes (see ``ExclusionReason``) why this pair is excluded; empty if it is eligible."""
    return excluded_mentors(features, mentee, mentors=[mentor]).get(mentor, [])


def excluded_mentors(
    features: MatchingFeatures, mentee: int, *, mentors: Sequence[int] | None = None
) -> dict[int, list[str]]:
    """For one mentee, ``{mentor index: [reason codes]}`` for every excluded mentor.

    Reasons come in the order of :data:`features.EXCLUSION_REASONS`; a pair can have several.
    """
    candidates = np.arange(features.n_mentors) if mentors is None else np.asarray(mentors)
    found: dict[int, set[ExclusionReason]] = {}

    def add(mentor_indices: np.ndarray, reason: ExclusionReason) -> None:
        for j in np.intersect1d(mentor_indices, candidates):
            found.setdefault(int(j), set()).add(reason)

    add(np.flatnonzero(features.mentor_ids == features.mentee_ids[mentee]), ExclusionReason.SELF)
    declared = features.excluded_mentee == mentee
    for code, reason in enumerate(EXCLUSION_REASONS):
        add(features.excluded_mentor[declared & (features.excluded_reason == code)], reason)
    add(_unavailable_mentors(features), ExclusionReason.NO_CAPACITY)
    remote = features.mentor_institution != features.mentee_institution[mentee]
    add(np.flatnonzero(remote & ~features.mentor_remote_ok), ExclusionReason.NO_REMOTE)
    add(np.flatnonzero(~features.mentor_meets_training), ExclusionReason.UNTRAINED)
    return {
        j: [reason.value for reason in EXCLUSION_REASONS if reason in reasons]
        for j, reasons in sorted(found.items())
    }


def _unavailable_mentors(features: MatchingFeatures) -> np.ndarray:
    return np.flatnonzero((features.mentor_capacity <= 0) | ~features.mentor_accepting)


# --- Criteria -----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Prepared:
    """Per-person vectors and look-up tables derived once from the features."""

    needs_rows: np.ndarray  # (n, A) float32 weights normalised to sum 1
    needs_neutral: np.ndarray  # (n, 1) float32: NEUTRAL for mentees without needs
    mentor_areas: np.ndarray  # (m, A) float32
    roles_rows: np.ndarray  # (n, R) float32 normalised
    roles_neutral: np.ndarray  # (n, 1)
    mentor_roles: np.ndarray  # (m, R) float32
    mentee_interests: np.ndarray  # (n, T + Q) float32
    mentor_interests: np.ndarray  # (m, T + Q) float32
    linear_rows: sp.csr_matrix  # (n, A + R): normalised needs | roles, sparse
    linear_cols: np.ndarray  # (A + R, m) float32: offered areas | roles
    interest_rows: sp.csr_matrix  # (n, T + Q) sparse 0/1
    interest_cols: np.ndarray  # (T + Q, m) float32
    stage_row_offset: np.ndarray  # (n,) int32
    stage_col_index: np.ndarray  # (m,) int32
    stage_table: np.ndarray  # float32, by half-year difference
    experience: np.ndarray  # (m,) float32
    mode_table: np.ndarray  # (n, 2**M) float32: mentee's value for each mentor mode set
    mentor_mode_mask: np.ndarray  # (m,) int64 bit mask
    mentee_institution: np.ndarray  # (n,)
    mentor_institution: np.ndarray  # (m,)
    tz_row_offset: np.ndarray  # (n,) int32
    tz_col_index: np.ndarray  # (m,) int32
    tz_table: np.ndarray  # float32, by quarter-hour difference
    single_institution: bool
    locality_same: np.ndarray  # (n, 1) float32
    locality_remote: np.ndarray  # (n, 1) float32
    place_row_offset: np.ndarray  # (n,) int32
    place_col_index: np.ndarray  # (m,) int32
    place_table: np.ndarray  # time-zone value by (institution, quarter-hour) key difference

    @classmethod
    def build(cls, features: MatchingFeatures, mode: StageMode) -> _Prepared:
        f = features
        needs_rows, needs_neutral = _normalised_rows(f.need_weights)
        roles_rows, roles_neutral = _normalised_rows(f.roles_wanted.astype(np.float32))
        stage_row, stage_col, stage_table = _difference_table(
            f.mentee_career_years, f.mentor_career_years, 2, lambda d: stage_value(d, mode)
        )
        tz_row, tz_col, tz_table = _difference_table(
            f.mentee_utc_offset, f.mentor_utc_offset, 4, time_zone_value
        )
        same, remote = _locality_values(f)
        institutions = np.concatenate([f.mentee_institution, f.mentor_institution])
        place_row, place_col, place_table = _place_table(f)
        mentee_interests = np.hstack([f.mentee_topics, f.mentee_qualities]).astype(np.float32)
        mentor_interests = np.hstack([f.mentor_topics, f.mentor_qualities]).astype(np.float32)
        return cls(
            needs_rows=needs_rows,
            needs_neutral=needs_neutral,
            mentor_areas=f.mentor_areas.astype(np.float32),
            roles_rows=roles_rows,
            roles_neutral=roles_neutral,
            mentor_roles=f.mentor_roles.astype(np.float32),
            mentee_interests=mentee_interests,
            mentor_interests=mentor_interests,
            # Mentees list a handful of needs, roles and topics: sparse products beat dense
            # BLAS here, and they stay fast when another process competes for the cores.
            linear_rows=sp.csr_matrix(np.hstack([needs_rows, roles_rows])),
            linear_cols=np.ascontiguousarray(
                np.hstack([f.mentor_areas, f.mentor_roles]).T.astype(np.float32)
            ),
            interest_rows=sp.csr_matrix(mentee_interests),
            interest_cols=np.ascontiguousarray(mentor_interests.T),
            stage_row_offset=stage_row,
            stage_col_index=stage_col,
            stage_table=stage_table,
            experience=experience_value(
                f.mentor_mentoring_years, f.mentor_prior_mentees, f.mentor_trained
            ),
            mode_table=_mode_table(f.mentee_modes),
            mentor_mode_mask=_mode_masks(f.mentor_modes),
            mentee_institution=f.mentee_institution,
            mentor_institution=f.mentor_institution,
            tz_row_offset=tz_row,
            tz_col_index=tz_col,
            tz_table=tz_table,
            single_institution=len(np.unique(institutions)) <= 1,
            locality_same=same[:, None],
            locality_remote=remote[:, None],
            place_row_offset=place_row,
            place_col_index=place_col,
            place_table=place_table,
        )


def stage_value(difference: np.ndarray, mode: StageMode = StageMode.TRADITIONAL) -> np.ndarray:
    """Career-stage fit from ``mentor years - mentee years``.

    Traditional: 0 when the mentor is not ahead, rising to 1 at 8 years ahead, 1 up to 15 years
    ahead ("half a generation"), then falling to 0 at 35 years. Peer: 1 within 3 years either way,
    0 from 10 years apart.
    """
    difference = np.asarray(difference, dtype=np.float64)
    if StageMode(mode) is StageMode.PEER:
        x, y = zip(*STAGE_PEER_POINTS, strict=True)
        return np.interp(np.abs(difference), x, y).astype(np.float32)
    x, y = zip(*STAGE_AHEAD_POINTS, strict=True)  # type: ignore[assignment]
    return np.interp(difference, x, y).astype(np.float32)


def time_zone_value(hours_apart: np.ndarray) -> np.ndarray:
    """1 at the same UTC offset, falling linearly to 0 at 8 hours apart (around the clock)."""
    hours = np.abs(np.asarray(hours_apart, dtype=np.float64)) % 24
    hours = np.minimum(hours, 24 - hours)
    return np.clip(1 - hours / TIME_ZONE_ZERO_AT_HOURS, 0, 1).astype(np.float32)


def experience_value(
    mentoring_years: np.ndarray, prior_mentees: np.ndarray, trained: np.ndarray
) -> np.ndarray:
    """Mentor experience in [0, 1]: a third each for years mentoring, prior mentees and training.

    Years and mentees saturate (half credit at 4 years / 3 mentees) so that seasoned mentors do not
    crowd everybody else out.
    """
    years = 1 - 0.5 ** (np.maximum(np.asarray(mentoring_years, np.float64), 0) / 4)
    mentees = 1 - 0.5 ** (np.maximum(np.asarray(prior_mentees, np.float64), 0) / 3)
    return ((years + mentees + np.asarray(trained, np.float64)) / 3).astype(np.float32)


def _normalised_rows(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    totals = weights.sum(axis=1, keepdims=True, dtype=np.float64)
    rows = np.divide(weights, totals, out=np.zeros(weights.shape), where=totals > 0)
    neutral = np.where(totals > 0, 0.0, NEUTRAL)
    return rows.astype(np.float32), neutral.astype(np.float32)


def _difference_table(
    row_values: np.ndarray, col_values: np.ndarray, steps_per_unit: int, value_of
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A look-up table indexed by ``col_index[j] + row_offset[i]`` = quantised ``col - row``.

    Values are quantised to ``1 / steps_per_unit`` (half years, quarter hours), which is finer
    than the data; one integer add and one gather per pair replace a piecewise formula.
    """
    rows = np.rint(np.asarray(row_values, np.float64) * steps_per_unit).astype(np.int64)
    cols = np.rint(np.asarray(col_values, np.float64) * steps_per_unit).astype(np.int64)
    if len(rows) == 0 or len(cols) == 0:
        return rows.astype(np.int32), cols.astype(np.int32), np.zeros(1, np.float32)
    low = int(cols.min() - rows.max())
    high = int(cols.max() - rows.min())
    table = value_of(np.arange(low, high + 1) / steps_per_unit)
    return (-rows).astype(np.int32), (cols - low).astype(np.int32), table


def _place_table(features: MatchingFeatures) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Time-zone value as one look-up over a combined (institution, UTC offset) key.

    Key = institution * span + quarter hours, with ``span`` wide enough that a key difference
    decodes into (institution difference, offset difference). Same institution means the pair
    is local and time zones do not matter (value 1).
    """
    rows = np.rint(features.mentee_utc_offset.astype(np.float64) * 4).astype(np.int64)
    cols = np.rint(features.mentor_utc_offset.astype(np.float64) * 4).astype(np.int64)
    if len(rows) == 0 or len(cols) == 0:
        return np.zeros(len(rows), np.int32), np.zeros(len(cols), np.int32), np.ones(1, np.float32)
    both = np.concatenate([rows, cols])
    span = 2 * int(both.max() - both.min()) + 1
    row_keys = features.mentee_institution.astype(np.int64) * span + rows
    col_keys = features.mentor_institution.astype(np.int64) * span + cols
    low = int(col_keys.min() - row_keys.max())
    differences = np.arange(low, int(col_keys.max() - row_keys.min()) + 1)
    institution_gap = np.floor_divide(differences + span // 2, span)
    hours = (differences - institution_gap * span) / 4
    table = np.where(institution_gap == 0, 1.0, time_zone_value(hours)).astype(np.float32)
    return (-row_keys).astype(np.int32), (col_keys - low).astype(np.int32), table


def _mode_masks(modes: np.ndarray) -> np.ndarray:
    return (modes.astype(np.int64) << np.arange(modes.shape[1])).sum(axis=1)


def _mode_table(mentee_modes: np.ndarray) -> np.ndarray:
    """Value of each possible mentor mode set for each mentee: the best shared mode's rank weight.

    A mentee with no stated modes, or a mentor with none (mask 0), is neutral.
    """
    n, n_modes = mentee_modes.shape
    masks = np.arange(2**n_modes)
    bits = ((masks[:, None] >> np.arange(n_modes)) & 1).astype(np.float32)  # (2**M, M)
    table = (mentee_modes[:, None, :] * bits[None, :, :]).max(axis=2, initial=0.0)
    table[:, 0] = NEUTRAL
    table[mentee_modes.sum(axis=1) == 0] = NEUTRAL
    return table.astype(np.float32).reshape(n, 2**n_modes)


def _locality_values(features: MatchingFeatures) -> tuple[np.ndarray, np.ndarray]:
    """Locality value per mentee for a same-institution mentor and for one elsewhere.

    Product of two parts: the stated preference (local / remote / either) and, for a remote
    mentor, the share of the mentee's need weight in institution-specific areas (sponsorship,
    promotion), which only someone at their own institution can really help with.
    """
    weights = features.need_weights
    total = weights.sum(axis=1)
    specific = weights[:, features.institution_specific].sum(axis=1)
    share = np.divide(specific, total, out=np.zeros(len(total)), where=total > 0)
    pref = features.mentee_locality
    same = np.where(pref == Locality.REMOTE, REMOTE_PREFERRING_LOCAL_PAIR, 1.0)
    remote = np.where(pref == Locality.LOCAL, 0.0, 1.0) * (1 - share)
    return same.astype(np.float32), remote.astype(np.float32)


def _row_blocks(n: int) -> Iterator[slice]:
    for start in range(0, n, _BLOCK_ROWS):
        yield slice(start, min(start + _BLOCK_ROWS, n))


def _criteria_block(
    p: _Prepared, rows: slice | np.ndarray, cols: slice | np.ndarray
) -> dict[str, np.ndarray]:
    """Every criterion for the rows × cols block, each ``(r, c)`` float32 in [0, 1]."""
    same = p.mentee_institution[rows][:, None] == p.mentor_institution[cols][None, :]
    tz_index = p.tz_col_index[cols][None, :] + p.tz_row_offset[rows][:, None]
    time_zone = np.where(same, np.float32(1), p.tz_table[tz_index])
    stage_index = p.stage_col_index[cols][None, :] + p.stage_row_offset[rows][:, None]
    shared = p.mentee_interests[rows] @ p.mentor_interests[cols].T
    shape = time_zone.shape
    return {
        "needs": p.needs_rows[rows] @ p.mentor_areas[cols].T + p.needs_neutral[rows],
        "roles": p.roles_rows[rows] @ p.mentor_roles[cols].T + p.roles_neutral[rows],
        "interests": 1 - np.exp2(-shared),
        "career_stage": p.stage_table[stage_index],
        "experience": np.broadcast_to(p.experience[cols][None, :], shape),
        "communication": np.take_along_axis(
            p.mode_table[rows], np.broadcast_to(p.mentor_mode_mask[cols][None, :], shape), axis=1
        ),
        "time_zone": time_zone,
        "locality": np.where(same, p.locality_same[rows], p.locality_remote[rows]),
    }


def _weighted_block(
    p: _Prepared, weights: Mapping[str, float], scale: float, rows: slice | np.ndarray
) -> np.ndarray:
    """``scale * sum(w_k * c_k)`` for a block of mentee rows against all mentors.

    The linear criteria (needs, roles) share one matrix product by scaling the mentee side
    first; look-up criteria are gathered from tables pre-multiplied by their weight, so each
    costs one integer add and one gather per pair.
    """
    w = {name: np.float32(weights[name] * scale) for name in CRITERIA}
    n_areas = p.needs_rows.shape[1]
    column_weights = np.where(np.arange(p.linear_cols.shape[0]) < n_areas, w["needs"], w["roles"])
    block = np.asarray(p.linear_rows[rows] @ (p.linear_cols * column_weights[:, None]))
    block += p.needs_neutral[rows] * w["needs"] + p.roles_neutral[rows] * w["roles"]
    block += (p.experience * w["experience"])[None, :]
    index = np.empty(block.shape, dtype=np.int32)
    gathered = np.empty(block.shape, dtype=np.float32)
    if w["interests"]:
        shared = np.asarray(p.interest_rows[rows] @ p.interest_cols)
        np.negative(shared, out=shared)
        np.exp2(shared, out=shared)
        shared *= w["interests"]
        block += w["interests"]
        block -= shared
    if w["career_stage"]:
        np.add(p.stage_col_index[None, :], p.stage_row_offset[rows][:, None], out=index)
        np.take(p.stage_table * w["career_stage"], index, out=gathered, mode="wrap")
        block += gathered
    if w["communication"]:
        table = p.mode_table[rows] * w["communication"]
        offsets = (np.arange(table.shape[0], dtype=np.int32) * table.shape[1])[:, None]
        np.add(p.mentor_mode_mask.astype(np.int32)[None, :], offsets, out=index)
        np.take(table.ravel(), index, out=gathered, mode="wrap")
        block += gathered
    _add_place_terms(p, w, rows, block, index, gathered)
    return block


def _add_place_terms(
    p: _Prepared,
    w: Mapping[str, np.float32],
    rows: slice | np.ndarray,
    block: np.ndarray,
    index: np.ndarray,
    gathered: np.ndarray,
) -> None:
    """Time zone and locality: both depend on whether the pair shares an institution.

    Locality is ``remote_i + same * (local_i - remote_i)``: branch-free, because which mentors
    share a mentee's institution follows no pattern a branch predictor could learn.
    """
    block += p.locality_remote[rows] * w["locality"]
    if p.single_institution:
        block += w["time_zone"] + (p.locality_same[rows] - p.locality_remote[rows]) * w["locality"]
        return
    if w["time_zone"]:
        np.add(p.place_col_index[None, :], p.place_row_offset[rows][:, None], out=index)
        np.take(p.place_table * w["time_zone"], index, out=gathered, mode="wrap")
        block += gathered
    if w["locality"]:
        same = p.mentee_institution[rows][:, None] == p.mentor_institution[None, :]
        np.multiply(
            same, (p.locality_same[rows] - p.locality_remote[rows]) * w["locality"], out=gathered
        )
        block += gathered
