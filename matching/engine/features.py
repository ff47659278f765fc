"""Plain arrays describing one matching problem: what mentees need, what mentors offer, who may not meet.

No Django here. ``matching.services`` turns profiles, self-assessments and mentor offers into the small
input dataclasses below and calls :func:`build_features`; scoring and solvers only ever see the frozen
:class:`MatchingFeatures`. :func:`synthetic_problem` makes realistic problems of any size for tests
and the benchmark.

Indices: mentee ``i`` is row ``i`` of every mentee array, mentor ``j`` is row ``j`` of every mentor
array. Ids are the database primary keys of the *person* (``FacultyProfile``), so a faculty member who
is both a mentee and a mentor in a program has the same id on both sides; that is how ``self`` pairs
are recognised.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

ROLES: tuple[str, ...] = (
    "teacher",
    "sponsor",
    "advisor",
    "agent",
    "role_model",
    "coach",
    "confidant",
)
"""Tobin's seven mentor roles."""

MODES: tuple[str, ...] = ("in_person", "video", "phone", "email", "messaging")
"""Communication modes, in the order used by every mode array."""

NEED_AREAS: tuple[str, ...] = (
    "career_guidance",
    "research",
    "grant_writing",
    "leadership",
    "education",
    "clinical_practice",
    "promotion",
    "work_life_balance",
    "personal_growth",
    "sponsorship",
    "networking",
    "specific_project",
)
"""Default mentoring need areas (a program may pass its own labels)."""

INSTITUTION_SPECIFIC_AREAS: frozenset[str] = frozenset({"promotion", "sponsorship"})
"""Areas a mentor from the mentee's own institution is best placed to help with."""

PRIORITY_WEIGHTS: Mapping[int, float] = {1: 1.0, 2: 0.6, 3: 0.3}
"""Weight of a need by its priority (1 = high .. 3 = low)."""

MODE_RANK_WEIGHTS: tuple[float, ...] = (1.0, 0.8, 0.6, 0.45, 0.3)
"""Weight of a mentee's communication mode by its rank in their list (first = most preferred)."""


class Locality(enum.IntEnum):
    """A mentee's preference for a mentor at their own institution or elsewhere."""

    EITHER = 0
    LOCAL = 1
    REMOTE = 2


class ExclusionReason(enum.StrEnum):
    """Why a (mentee, mentor) pair may never be proposed. Hard rules, never a weight."""

    SELF = "self"
    REPORTING_LINE = "reporting_line"
    CONFLICT_OF_INTEREST = "conflict_of_interest"
    ENDED_BEFORE = "ended_before"
    FORBIDDEN = "forbidden"
    NO_CAPACITY = "no_capacity"
    NO_REMOTE = "no_remote"
    UNTRAINED = "untrained"  # the program requires training before matching; not done yet


EXCLUSION_REASONS: tuple[ExclusionReason, ...] = tuple(ExclusionReason)
"""Reason codes in a fixed order; ``MatchingFeatures.excluded_reason`` stores indices into it."""

PAIR_REASONS: frozenset[ExclusionReason] = frozenset(
    {
        ExclusionReason.REPORTING_LINE,
        ExclusionReason.CONFLICT_OF_INTEREST,
        ExclusionReason.ENDED_BEFORE,
        ExclusionReason.FORBIDDEN,
    }
)
"""Reasons that the caller declares per pair (the others are derived from the arrays)."""


@dataclass(frozen=True)
class MenteeInput:
    """What matching needs to know about one mentee.

    ``needs`` maps a need area to its priority (1 = high .. 3 = low); ``need_weights``, when given,
    maps areas to explicit weights instead. ``modes`` lists preferred communication modes, most
    preferred first. ``authority_ids`` are the ids of people in authority over the mentee (reporting
    chain, department head, division chief), computed by the caller.
    """

    id: int
    needs: Mapping[str, int] = field(default_factory=dict)
    roles_wanted: Collection[str] = ()
    topics: Collection[str] = ()
    qualities_valued: Collection[str] = ()
    career_years: float = 0.0
    modes: Sequence[str] = ()
    utc_offset: float = 0.0
    institution: Hashable = 0
    locality: Locality | str = Locality.EITHER
    authority_ids: Collection[int] = ()
    need_weights: Mapping[str, float] | None = None


@dataclass(frozen=True)
class MentorInput:
    """What matching needs to know about one mentor (their ``MentorOffer`` and profile).

    ``capacity`` is the number of *remaining* slots (total capacity minus active mentees).
    ``accepting`` is False while the mentor has paused or is not taking mentees.
    """

    id: int
    areas: Collection[str] = ()
    roles: Collection[str] = ()
    topics: Collection[str] = ()
    qualities: Collection[str] = ()
    career_years: float = 0.0
    mentoring_years: float = 0.0
    prior_mentees: int = 0
    trained: bool = False
    modes: Collection[str] = ()
    utc_offset: float = 0.0
    institution: Hashable = 0
    remote_ok: bool = True
    capacity: int = 1
    accepting: bool = True
    meets_training_rule: bool = True  # False: the program requires training this mentor lacks


@dataclass(frozen=True, eq=False)
class MatchingFeatures:
    """Everything scoring and the exclusion rules need, as numpy arrays (n mentees, m mentors).

    Set-valued attributes are 0/1 (or weight) matrices whose columns follow the matching label
    tuple (``area_labels``, ``role_labels``, ``topic_labels``, ``quality_labels``, ``mode_labels``).
    Declared pair exclusions are three parallel arrays: mentee index, mentor index, and the index of
    the reason in :data:`EXCLUSION_REASONS`.
    """

    mentee_ids: np.ndarray  # (n,) int64
    mentor_ids: np.ndarray  # (m,) int64
    area_labels: tuple[str, ...]
    role_labels: tuple[str, ...]
    topic_labels: tuple[str, ...]
    quality_labels: tuple[str, ...]
    mode_labels: tuple[str, ...]
    institution_specific: np.ndarray  # (A,) bool
    need_weights: np.ndarray  # (n, A) float32, 0 = not a need
    roles_wanted: np.ndarray  # (n, R) bool
    mentee_topics: np.ndarray  # (n, T) bool
    mentee_qualities: np.ndarray  # (n, Q) bool
    mentee_career_years: np.ndarray  # (n,) float32
    mentee_modes: np.ndarray  # (n, M) float32 rank weights, 0 = not used
    mentee_utc_offset: np.ndarray  # (n,) float32 hours
    mentee_institution: np.ndarray  # (n,) int32
    mentee_locality: np.ndarray  # (n,) int8, a Locality
    mentor_areas: np.ndarray  # (m, A) bool
    mentor_roles: np.ndarray  # (m, R) bool
    mentor_topics: np.ndarray  # (m, T) bool
    mentor_qualities: np.ndarray  # (m, Q) bool
    mentor_career_years: np.ndarray  # (m,) float32
    mentor_mentoring_years: np.ndarray  # (m,) float32
    mentor_prior_mentees: np.ndarray  # (m,) int32
    mentor_trained: np.ndarray  # (m,) bool
    mentor_modes: np.ndarray  # (m, M) bool
    mentor_utc_offset: np.ndarray  # (m,) float32 hours
    mentor_institution: np.ndarray  # (m,) int32
    mentor_remote_ok: np.ndarray  # (m,) bool
    mentor_capacity: np.ndarray  # (m,) int32 remaining slots
    mentor_accepting: np.ndarray  # (m,) bool
    mentor_meets_training: np.ndarray  # (m,) bool: the program's training-before-matching rule
    excluded_mentee: np.ndarray  # (e,) int32
    excluded_mentor: np.ndarray  # (e,) int32
    excluded_reason: np.ndarray  # (e,) int8 index into EXCLUSION_REASONS

    @property
    def n_mentees(self) -> int:
        return len(self.mentee_ids)

    @property
    def n_mentors(self) -> int:
        return len(self.mentor_ids)


def build_features(
    mentees: Sequence[MenteeInput],
    mentors: Sequence[MentorInput],
    *,
    area_labels: Sequence[str] = NEED_AREAS,
    institution_specific_areas: Collection[str] = INSTITUTION_SPECIFIC_AREAS,
    excluded_pairs: Iterable[tuple[int, int, str]] = (),
    allowed_again: Iterable[tuple[int, int]] = (),
) -> MatchingFeatures:
    """Turn mentee and mentor inputs into :class:`MatchingFeatures`.

    ``excluded_pairs`` holds ``(mentee_id, mentor_id, reason)`` with a reason among
    ``reporting_line``, ``conflict_of_interest``, ``ended_before`` and ``forbidden``; pairs naming
    someone not in this problem are ignored. ``allowed_again`` lists ``(mentee_id, mentor_id)``
    pairs a director has cleared to meet again: it lifts ``ended_before`` and nothing else.
    Unknown need areas, roles or modes raise ``ValueError`` (they are a fixed vocabulary);
    topics and qualities are open vocabularies collected from the inputs.
    """
    areas = tuple(area_labels)
    topics = _sorted_labels([p.topics for p in mentees] + [p.topics for p in mentors])
    qualities = _sorted_labels(
        [p.qualities_valued for p in mentees] + [p.qualities for p in mentors]
    )
    institutions = _institution_codes([p.institution for p in [*mentees, *mentors]])  # type: ignore[attr-defined]
    mentee_ids = np.array([p.id for p in mentees], dtype=np.int64)
    mentor_ids = np.array([p.id for p in mentors], dtype=np.int64)
    _require_unique(mentee_ids, "mentee")
    _require_unique(mentor_ids, "mentor")

    exc_mentee, exc_mentor, exc_reason = _pair_exclusions(
        mentees, mentee_ids, mentor_ids, excluded_pairs, allowed_again
    )
    return MatchingFeatures(
        mentee_ids=mentee_ids,
        mentor_ids=mentor_ids,
        area_labels=areas,
        role_labels=ROLES,
        topic_labels=topics,
        quality_labels=qualities,
        mode_labels=MODES,
        institution_specific=np.array([a in institution_specific_areas for a in areas], bool),
        need_weights=np.array([_need_row(p, areas) for p in mentees], np.float32).reshape(
            len(mentees), len(areas)
        ),
        roles_wanted=_indicator([p.roles_wanted for p in mentees], ROLES, "role"),
        mentee_topics=_indicator([p.topics for p in mentees], topics, "topic"),
        mentee_qualities=_indicator([p.qualities_valued for p in mentees], qualities, "quality"),
        mentee_career_years=np.array([p.career_years for p in mentees], np.float32),
        mentee_modes=np.array([_mode_rank_row(p.modes) for p in mentees], np.float32).reshape(
            len(mentees), len(MODES)
        ),
        mentee_utc_offset=np.array([p.utc_offset for p in mentees], np.float32),
        mentee_institution=np.array([institutions[p.institution] for p in mentees], np.int32),
        mentee_locality=np.array([_locality(p.locality) for p in mentees], np.int8),
        mentor_areas=_indicator([p.areas for p in mentors], areas, "need area"),
        mentor_roles=_indicator([p.roles for p in mentors], ROLES, "role"),
        mentor_topics=_indicator([p.topics for p in mentors], topics, "topic"),
        mentor_qualities=_indicator([p.qualities for p in mentors], qualities, "quality"),
        mentor_career_years=np.array([p.career_years for p in mentors], np.float32),
        mentor_mentoring_years=np.array([p.mentoring_years for p in mentors], np.float32),
        mentor_prior_mentees=np.array([p.prior_mentees for p in mentors], np.int32),
        mentor_trained=np.array([p.trained for p in mentors], bool),
        mentor_modes=_indicator([p.modes for p in mentors], MODES, "communication mode"),
        mentor_utc_offset=np.array([p.utc_offset for p in mentors], np.float32),
        mentor_institution=np.array([institutions[p.institution] for p in mentors], np.int32),
        mentor_remote_ok=np.array([p.remote_ok for p in mentors], bool),
        mentor_capacity=np.array([max(p.capacity, 0) for p in mentors], np.int32),
        mentor_accepting=np.array([p.accepting for p in mentors], bool),
        mentor_meets_training=np.array([p.meets_training_rule for p in mentors], bool),
        excluded_mentee=exc_mentee,
        excluded_mentor=exc_mentor,
        excluded_reason=exc_reason,
    )


def _sorted_labels(groups: Iterable[Collection[str]]) -> tuple[str, ...]:
    return tuple(sorted({label for group in groups for label in group}))


def _institution_codes(institutions: Iterable[Hashable]) -> dict[Hashable, int]:
    codes: dict[Hashable, int] = {}
    for institution in institutions:
        codes.setdefault(institution, len(codes))
    return codes


def _require_unique(ids: np.ndarray, side: str) -> None:
    if len(np.unique(ids)) != len(ids):
        raise ValueError(f"Each {side} id must appear once")


def _indicator(groups: Sequence[Collection[str]], labels: Sequence[str], kind: str) -> np.ndarray:
    index = {label: k for k, label in enumerate(labels)}
    matrix = np.zeros((len(groups), len(labels)), dtype=bool)
    for row, group in enumerate(groups):
        for label in group:
            if label not in index:
                raise ValueError(f"Unknown {kind}: {label!r}")
            matrix[row, index[label]] = True
    return matrix


def _need_row(mentee: MenteeInput, areas: tuple[str, ...]) -> list[float]:
    if mentee.need_weights is not None:
        weights = dict(mentee.need_weights)
    else:
        weights = {}
        for area, priority in mentee.needs.items():
            if priority not in PRIORITY_WEIGHTS:
                raise ValueError(f"Need priority must be 1, 2 or 3, not {priority!r}")
            weights[area] = PRIORITY_WEIGHTS[priority]
    unknown = set(weights) - set(areas)
    if unknown:
        raise ValueError(f"Unknown need area: {sorted(unknown)[0]!r}")
    if any(w < 0 for w in weights.values()):
        raise ValueError("Need weights cannot be negative")
    return [float(weights.get(area, 0.0)) for area in areas]


def _mode_rank_row(modes: Sequence[str]) -> list[float]:
    row = [0.0] * len(MODES)
    for rank, mode in enumerate(dict.fromkeys(modes)):
        if mode not in MODES:
            raise ValueError(f"Unknown communication mode: {mode!r}")
        row[MODES.index(mode)] = MODE_RANK_WEIGHTS[min(rank, len(MODE_RANK_WEIGHTS) - 1)]
    return row


def _locality(value: Locality | str) -> Locality:
    if isinstance(value, Locality):
        return value
    try:
        return Locality[str(value).upper()]
    except KeyError:
        raise ValueError(f"Locality must be local, remote or either, not {value!r}") from None


def _pair_exclusions(
    mentees: Sequence[MenteeInput],
    mentee_ids: np.ndarray,
    mentor_ids: np.ndarray,
    excluded_pairs: Iterable[tuple[int, int, str]],
    allowed_again: Iterable[tuple[int, int]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mentee_index = {int(pk): i for i, pk in enumerate(mentee_ids)}
    mentor_index = {int(pk): j for j, pk in enumerate(mentor_ids)}
    cleared = {(int(a), int(b)) for a, b in allowed_again}
    rows: set[tuple[int, int, int]] = set()
    for mentee in mentees:
        for authority_id in mentee.authority_ids:
            if authority_id in mentor_index:
                rows.add(
                    (
                        mentee_index[mentee.id],
                        mentor_index[authority_id],
                        EXCLUSION_REASONS.index(ExclusionReason.REPORTING_LINE),
                    )
                )
    for mentee_id, mentor_id, reason in excluded_pairs:
        code = ExclusionReason(reason)
        if code not in PAIR_REASONS:
            raise ValueError(f"{reason!r} is derived from the data, not declared per pair")
        if code is ExclusionReason.ENDED_BEFORE and (mentee_id, mentor_id) in cleared:
            continue
        if mentee_id in mentee_index and mentor_id in mentor_index:
            rows.add(
                (mentee_index[mentee_id], mentor_index[mentor_id], EXCLUSION_REASONS.index(code))
            )
    table = np.array(sorted(rows), dtype=np.int64).reshape(-1, 3)
    return table[:, 0].astype(np.int32), table[:, 1].astype(np.int32), table[:, 2].astype(np.int8)


def synthetic_problem(
    n_mentees: int,
    n_mentors: int,
    seed: int = 0,
    *,
    n_topics: int = 300,
    n_qualities: int = 12,
    n_institutions: int = 3,
    capacity_range: tuple[int, int] = (1, 8),
) -> MatchingFeatures:
    """A reproducible, realistic problem for tests and benchmarks (same seed, same arrays).

    Mentees are mostly early-career (0–20 years), mentors 3–40 years; each mentee has 1–4 needs
    among twelve areas with priorities 1–3 and wants 1–4 of the seven roles; topic popularity is
    Zipf-like over ``n_topics`` topics; institutions sit in a few time zones; about 5% of mentors do
    not mentor remotely and 3% have paused; capacities are uniform in ``capacity_range``; some
    mentors are also mentees (same id, so ``self`` pairs exist); reporting-line, conflict-of-interest,
    ended-before and forbidden pairs are sprinkled in.
    """
    rng = np.random.default_rng(seed)
    n, m, n_areas = n_mentees, n_mentors, len(NEED_AREAS)
    n_inst = max(1, n_institutions)
    area_popularity = _zipf(n_areas, 0.6)

    need_weights = np.zeros((n, n_areas), np.float32)
    chosen = _sample_sets(rng, n, area_popularity, rng.integers(1, 5, n))
    priorities = rng.choice(np.array([1.0, 0.6, 0.3], np.float32), size=(n, n_areas))
    need_weights[chosen] = priorities[chosen]

    institution_home_offset = np.array([-5.0, -8.0, 1.0, 5.5, 9.0, -3.0])[np.arange(n_inst) % 6]
    mentee_inst = rng.integers(0, n_inst, n).astype(np.int32)
    mentor_inst = rng.integers(0, n_inst, m).astype(np.int32)

    mentor_ids = np.arange(1_000_000, 1_000_000 + m, dtype=np.int64)
    both = (
        rng.choice(m, size=min(m, n, max(1, m // 20)), replace=False)
        if n and m
        else np.array([], dtype=np.int64)
    )
    mentee_ids = np.arange(1, n + 1, dtype=np.int64)
    mentor_ids[both] = mentee_ids[: len(both)]

    mentee_years = np.minimum(rng.gamma(2.0, 3.5, n), 40).round().astype(np.float32)
    mentor_years = rng.uniform(3, 40, m).round().astype(np.float32)
    mentee_years[: len(both)] = mentor_years[both]
    mentee_inst[: len(both)] = mentor_inst[both]

    features = MatchingFeatures(
        mentee_ids=mentee_ids,
        mentor_ids=mentor_ids,
        area_labels=NEED_AREAS,
        role_labels=ROLES,
        topic_labels=tuple(f"topic_{k:03d}" for k in range(n_topics)),
        quality_labels=tuple(f"quality_{k:02d}" for k in range(n_qualities)),
        mode_labels=MODES,
        institution_specific=np.array([a in INSTITUTION_SPECIFIC_AREAS for a in NEED_AREAS]),
        need_weights=need_weights,
        roles_wanted=_sample_sets(rng, n, _zipf(len(ROLES), 0.3), rng.integers(1, 5, n)),
        mentee_topics=_sample_sets(rng, n, _zipf(n_topics, 1.1), rng.integers(2, 7, n)),
        mentee_qualities=_sample_sets(rng, n, _zipf(n_qualities, 0.5), rng.integers(1, 4, n)),
        mentee_career_years=mentee_years,
        mentee_modes=_ranked_modes(rng, n),
        mentee_utc_offset=_offsets(rng, institution_home_offset[mentee_inst]),
        mentee_institution=mentee_inst,
        mentee_locality=rng.choice(np.array([0, 1, 2], np.int8), size=n, p=[0.5, 0.3, 0.2]),
        mentor_areas=_sample_sets(rng, m, area_popularity, rng.integers(2, 7, m)),
        mentor_roles=_sample_sets(rng, m, _zipf(len(ROLES), 0.3), rng.integers(2, 6, m)),
        mentor_topics=_sample_sets(rng, m, _zipf(n_topics, 1.1), rng.integers(3, 11, m)),
        mentor_qualities=_sample_sets(rng, m, _zipf(n_qualities, 0.5), rng.integers(2, 5, m)),
        mentor_career_years=mentor_years,
        mentor_mentoring_years=np.floor(mentor_years * rng.uniform(0, 0.8, m)).astype(np.float32),
        mentor_prior_mentees=rng.poisson(np.maximum(mentor_years - 3, 0) / 4).astype(np.int32),
        mentor_trained=rng.random(m) < 0.4,
        mentor_modes=_sample_sets(
            rng, m, np.full(len(MODES), 1 / len(MODES)), rng.integers(2, 5, m)
        ),
        mentor_utc_offset=_offsets(rng, institution_home_offset[mentor_inst]),
        mentor_institution=mentor_inst,
        mentor_remote_ok=rng.random(m) >= 0.05,
        mentor_capacity=rng.integers(capacity_range[0], capacity_range[1] + 1, m).astype(np.int32),
        mentor_accepting=rng.random(m) >= 0.03,
        mentor_meets_training=np.ones(m, bool),
        **_synthetic_exclusions(rng, mentee_inst, mentor_inst, mentee_years, mentor_years),
    )
    return features


def _zipf(size: int, exponent: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, size + 1) ** exponent
    return weights / weights.sum()


def _sample_sets(
    rng: np.random.Generator, rows: int, popularity: np.ndarray, sizes: np.ndarray
) -> np.ndarray:
    """Each row draws ``sizes[row]`` distinct labels weighted by popularity (Gumbel top-k)."""
    n_labels = len(popularity)
    out = np.zeros((rows, n_labels), dtype=bool)
    if rows == 0 or n_labels == 0:
        return out
    keys = np.log(popularity)[None, :] + rng.gumbel(size=(rows, n_labels))
    order = np.argsort(-keys, axis=1, kind="stable")
    take = np.arange(n_labels)[None, :] < np.minimum(sizes, n_labels)[:, None]
    np.put_along_axis(out, order, take, axis=1)
    return out


def _ranked_modes(rng: np.random.Generator, rows: int) -> np.ndarray:
    popularity = np.array([0.3, 0.3, 0.15, 0.15, 0.1])
    keys = np.log(popularity)[None, :] + rng.gumbel(size=(rows, len(MODES)))
    order = np.argsort(-keys, axis=1, kind="stable")
    sizes = rng.integers(1, 4, rows)
    rank_weights = np.array(MODE_RANK_WEIGHTS, np.float32)
    ranks = np.arange(len(MODES))[None, :]
    values = np.where(ranks < sizes[:, None], rank_weights[None, :], 0).astype(np.float32)
    out = np.zeros((rows, len(MODES)), np.float32)
    np.put_along_axis(out, order, values, axis=1)
    return out


def _offsets(rng: np.random.Generator, home: np.ndarray) -> np.ndarray:
    """Most people work in their institution's zone; a few work elsewhere (visiting, remote)."""
    away = rng.random(len(home)) < 0.05
    shift = rng.choice(np.array([-3.0, -1.0, 1.0, 2.0, 6.0]), size=len(home))
    return np.where(away, home + shift, home).astype(np.float32)


def _synthetic_exclusions(
    rng: np.random.Generator,
    mentee_inst: np.ndarray,
    mentor_inst: np.ndarray,
    mentee_years: np.ndarray,
    mentor_years: np.ndarray,
) -> dict[str, np.ndarray]:
    n, m = len(mentee_inst), len(mentor_inst)
    if n == 0 or m == 0:
        empty = np.zeros(0, np.int32)
        return {
            "excluded_mentee": empty,
            "excluded_mentor": empty,
            "excluded_reason": empty.astype(np.int8),
        }
    rows = []
    # Reporting line: up to two senior colleagues at the same institution hold authority.
    for _ in range(2):
        mentee = np.arange(n)
        mentor = rng.integers(0, m, n)
        keep = (
            (rng.random(n) < 0.6)
            & (mentor_inst[mentor] == mentee_inst)
            & (mentor_years[mentor] > mentee_years + 5)
        )
        rows.append((mentee[keep], mentor[keep], ExclusionReason.REPORTING_LINE))
    for reason, share in (
        (ExclusionReason.CONFLICT_OF_INTEREST, 0.3),
        (ExclusionReason.ENDED_BEFORE, 0.05),
        (ExclusionReason.FORBIDDEN, 0.02),
    ):
        count = int(n * share)
        rows.append((rng.integers(0, n, count), rng.integers(0, m, count), reason))
    mentee_col = np.concatenate([r[0] for r in rows]).astype(np.int32)
    mentor_col = np.concatenate([r[1] for r in rows]).astype(np.int32)
    reason_col = np.concatenate(
        [np.full(len(r[0]), EXCLUSION_REASONS.index(r[2]), np.int8) for r in rows]
    )
    return {
        "excluded_mentee": mentee_col,
        "excluded_mentor": mentor_col,
        "excluded_reason": reason_col,
    }


def board_areas(features: MatchingFeatures, seats: int = 3, *, fill: bool = False) -> np.ndarray:
    """Need-area index per mosaic board seat, ``(n, seats)``; -1 marks an unused seat.

    Seats go to the mentee's needs by weight (highest priority first, ties by area order).
    With ``fill``, seats left over take the areas most mentors offer, so every board has
    ``seats`` seats (used by the benchmark to reach full size).
    """
    n, n_areas = features.need_weights.shape
    # Stable sort on -weight keeps area order among equal weights.
    order = np.argsort(-features.need_weights, axis=1, kind="stable")[:, :seats]
    chosen = np.take_along_axis(features.need_weights, order, axis=1) > 0
    areas = np.where(chosen, order, -1)
    if fill and n_areas:
        popular = np.argsort(-features.mentor_areas.sum(axis=0), kind="stable")
        for i in np.flatnonzero((areas < 0).any(axis=1)):
            extra = [a for a in popular if a not in areas[i]]
            for s in np.flatnonzero(areas[i] < 0)[: len(extra)]:
                areas[i, s] = extra.pop(0)
    return areas.reshape(n, seats).astype(np.int64)
