"""Building matching features from plain inputs, and the synthetic problem generator."""

import numpy as np
import pytest

from matching.engine.features import (
    EXCLUSION_REASONS,
    MODES,
    NEED_AREAS,
    ROLES,
    ExclusionReason,
    Locality,
    MenteeInput,
    MentorInput,
    board_areas,
    build_features,
    synthetic_problem,
)


def _reasons(features, mentee, mentor):
    rows = (features.excluded_mentee == mentee) & (features.excluded_mentor == mentor)
    return {EXCLUSION_REASONS[code].value for code in features.excluded_reason[rows]}


def test_it_maps_inputs_to_arrays():
    mentee = MenteeInput(
        id=7,
        needs={"research": 1, "promotion": 3},
        roles_wanted=["coach"],
        topics=["genomics"],
        qualities_valued=["honesty"],
        career_years=4,
        modes=["video", "email"],
        utc_offset=-5,
        institution="North",
        locality="local",
    )
    mentor = MentorInput(
        id=70,
        areas=["research"],
        roles=["coach", "sponsor"],
        topics=["genomics", "ethics"],
        modes=["email"],
        institution="South",
        capacity=3,
    )
    features = build_features([mentee], [mentor])
    research, promotion = NEED_AREAS.index("research"), NEED_AREAS.index("promotion")
    assert features.need_weights[0, research] == pytest.approx(1.0)
    assert features.need_weights[0, promotion] == pytest.approx(0.3)
    assert features.roles_wanted[0, ROLES.index("coach")]
    assert features.topic_labels == ("ethics", "genomics")
    assert features.mentee_topics[0].tolist() == [False, True]
    assert (
        features.mentee_modes[0, MODES.index("video")]
        > features.mentee_modes[0, MODES.index("email")]
        > 0
    )
    assert features.mentee_institution[0] != features.mentor_institution[0]
    assert features.mentee_locality[0] == Locality.LOCAL
    assert features.mentor_capacity.tolist() == [3]
    assert features.institution_specific[promotion]


def test_explicit_need_weights_replace_priorities():
    mentee = MenteeInput(id=1, needs={"research": 1}, need_weights={"leadership": 0.8})
    features = build_features([mentee], [])
    assert features.need_weights[0, NEED_AREAS.index("leadership")] == pytest.approx(0.8)
    assert features.need_weights[0, NEED_AREAS.index("research")] == 0


@pytest.mark.parametrize(
    ("mentee", "mentor"),
    [
        (MenteeInput(id=1, needs={"astrology": 1}), MentorInput(id=2)),
        (MenteeInput(id=1, needs={"research": 4}), MentorInput(id=2)),
        (MenteeInput(id=1, roles_wanted=["boss"]), MentorInput(id=2)),
        (MenteeInput(id=1), MentorInput(id=2, modes=["pigeon"])),
        (MenteeInput(id=1, locality="nearby"), MentorInput(id=2)),
    ],
)
def test_it_rejects_unknown_vocabulary(mentee, mentor):
    with pytest.raises(ValueError, match=r"(?i)unknown|must be"):
        build_features([mentee], [mentor])


def test_it_rejects_repeated_ids():
    with pytest.raises(ValueError, match="once"):
        build_features([MenteeInput(id=1), MenteeInput(id=1)], [])


def test_it_records_reporting_line_and_declared_exclusions():
    mentees = [MenteeInput(id=1, authority_ids=[20, 999])]
    mentors = [MentorInput(id=20), MentorInput(id=21), MentorInput(id=22)]
    features = build_features(
        mentees,
        mentors,
        excluded_pairs=[
            (1, 21, "conflict_of_interest"),
            (1, 22, "forbidden"),
            (5, 22, "forbidden"),
        ],
    )
    assert _reasons(features, 0, 0) == {"reporting_line"}
    assert _reasons(features, 0, 1) == {"conflict_of_interest"}
    assert _reasons(features, 0, 2) == {"forbidden"}
    assert len(features.excluded_mentee) == 3  # unknown ids are ignored


def test_allowed_again_lifts_ended_before_only():
    features = build_features(
        [MenteeInput(id=1)],
        [MentorInput(id=20), MentorInput(id=21)],
        excluded_pairs=[(1, 20, "ended_before"), (1, 21, "ended_before"), (1, 21, "forbidden")],
        allowed_again=[(1, 20), (1, 21)],
    )
    assert _reasons(features, 0, 0) == set()
    assert _reasons(features, 0, 1) == {"forbidden"}


def test_derived_reasons_cannot_be_declared():
    with pytest.raises(ValueError, match="derived"):
        build_features([MenteeInput(id=1)], [MentorInput(id=2)], excluded_pairs=[(1, 2, "self")])


def test_synthetic_problem_is_reproducible():
    first, again = synthetic_problem(60, 20, seed=3), synthetic_problem(60, 20, seed=3)
    other = synthetic_problem(60, 20, seed=4)
    assert np.array_equal(first.need_weights, again.need_weights)
    assert np.array_equal(first.excluded_mentor, again.excluded_mentor)
    assert not np.array_equal(first.mentee_topics, other.mentee_topics)


def test_synthetic_problem_has_realistic_shape():
    features = synthetic_problem(2000, 400, seed=1)
    needs = (features.need_weights > 0).sum(axis=1)
    assert needs.min() >= 1
    assert needs.max() <= 4
    weights = np.unique(features.need_weights[features.need_weights > 0])
    assert np.allclose(weights, [0.3, 0.6, 1.0])
    assert features.mentor_capacity.min() >= 1
    assert features.mentor_capacity.max() <= 8
    assert 0.02 < (~features.mentor_remote_ok).mean() < 0.09
    assert features.mentee_career_years.max() <= 40
    assert features.mentor_career_years.max() <= 40
    assert len(np.unique(features.mentor_institution)) == 3
    assert len(features.topic_labels) == 300
    topic_popularity = features.mentor_topics.sum(axis=0)
    assert topic_popularity[:10].sum() > 5 * topic_popularity[-10:].sum()  # Zipf-like
    reasons = {EXCLUSION_REASONS[c] for c in np.unique(features.excluded_reason)}
    assert {ExclusionReason.REPORTING_LINE, ExclusionReason.CONFLICT_OF_INTEREST} <= reasons
    assert len(np.intersect1d(features.mentee_ids, features.mentor_ids)) > 0  # some "self" pairs


def test_synthetic_problem_handles_empty_sides():
    assert synthetic_problem(0, 5).n_mentees == 0
    assert synthetic_problem(5, 0).n_mentors == 0


def test_board_areas_take_needs_by_priority():
    features = build_features(
        [MenteeInput(id=1, needs={"research": 2, "leadership": 1}), MenteeInput(id=2)],
        [MentorInput(id=3, areas=["education"])],
    )
    areas = board_areas(features, seats=3)
    assert areas[0].tolist() == [NEED_AREAS.index("leadership"), NEED_AREAS.index("research"), -1]
    assert areas[1].tolist() == [-1, -1, -1]
    filled = board_areas(features, seats=3, fill=True)
    assert (filled >= 0).all()
    assert filled[1, 0] == NEED_AREAS.index("education")
