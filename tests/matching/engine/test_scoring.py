"""Fit criteria, weights, hard exclusions and the plain-words explanations."""

import numpy as np
import pytest

from matching.engine.explain import explain_pair
from matching.engine.features import (
    NEED_AREAS,
    MenteeInput,
    MentorInput,
    build_features,
    synthetic_problem,
)
from matching.engine.fused import FusedScorer
from matching.engine.scoring import (
    CRITERIA,
    DEFAULT_WEIGHTS,
    NEUTRAL,
    RowScorer,
    StageMode,
    criterion_matrix,
    criterion_values,
    eligibility,
    excluded_mentors,
    exclusion_reasons,
    score_mosaic,
    score_pairs,
    stage_value,
    validate_weights,
)


def _one(mentee: MenteeInput, mentors: list[MentorInput], **kwargs):
    return build_features([mentee], mentors, **kwargs)


def _criterion(features, name, mode=StageMode.TRADITIONAL):
    return criterion_matrix(features, name, mode=mode)[0]


# --- Weights ------------------------------------------------------------------------------------


def test_default_weights_cover_every_criterion():
    assert set(DEFAULT_WEIGHTS) == set(CRITERIA)
    assert validate_weights() == dict(DEFAULT_WEIGHTS)


def test_missing_weights_take_defaults():
    assert validate_weights({"needs": 5})["needs"] == 5
    assert validate_weights({"needs": 5})["roles"] == DEFAULT_WEIGHTS["roles"]


def test_it_rejects_negative_weights():
    with pytest.raises(ValueError, match="cannot be negative"):
        validate_weights({"roles": -1})


def test_it_rejects_all_zero_weights():
    with pytest.raises(ValueError, match="At least one weight must be above zero"):
        validate_weights(dict.fromkeys(CRITERIA, 0))


def test_scoring_refuses_all_zero_weights():
    with pytest.raises(ValueError, match="At least one weight must be above zero"):
        score_pairs(synthetic_problem(3, 3), dict.fromkeys(CRITERIA, 0.0))


def test_it_rejects_unknown_criteria():
    with pytest.raises(ValueError, match="Unknown criterion"):
        validate_weights({"charisma": 1})


# --- Scores -------------------------------------------------------------------------------------


def test_scores_lie_in_range_and_are_zero_when_excluded():
    features = synthetic_problem(200, 50, seed=2)
    scored = score_pairs(features)
    assert scored.scores.dtype == np.float32
    assert scored.scores.min() >= 0
    assert scored.scores.max() <= 100
    assert (scored.scores[~scored.eligible] == 0).all()
    assert not scored.eligible.all()


def test_score_is_the_weighted_mean_of_criteria():
    features = synthetic_problem(120, 40, seed=5)
    weights = {
        "needs": 2,
        "roles": 0,
        "interests": 1,
        "career_stage": 3,
        "experience": 0.5,
        "communication": 1,
        "time_zone": 0.25,
        "locality": 1,
    }
    scored = score_pairs(features, weights)
    full = validate_weights(weights)
    expected = sum(full[k] * criterion_matrix(features, k) for k in CRITERIA)
    expected = np.minimum(100 * expected / sum(full.values()), 100) * scored.eligible
    np.testing.assert_allclose(scored.scores, expected, atol=1e-3)


def test_a_single_weight_makes_the_score_that_criterion():
    features = synthetic_problem(30, 10, seed=1)
    only_stage = {name: (1.0 if name == "career_stage" else 0.0) for name in CRITERIA}
    scored = score_pairs(features, only_stage)
    stage = criterion_matrix(features, "career_stage")
    np.testing.assert_allclose(scored.scores, 100 * stage * scored.eligible, atol=1e-3)


def test_peer_mode_scores_use_the_peer_stage_curve():
    features = synthetic_problem(30, 10, seed=1)
    only_stage = {name: (1.0 if name == "career_stage" else 0.0) for name in CRITERIA}
    scored = score_pairs(features, only_stage, mode="peer")
    stage = criterion_matrix(features, "career_stage", mode="peer")
    np.testing.assert_allclose(scored.scores, 100 * stage * scored.eligible, atol=1e-3)


# --- Criteria -----------------------------------------------------------------------------------


def test_needs_weights_by_priority():
    mentee = MenteeInput(id=1, needs={"research": 1, "promotion": 3})
    features = _one(
        mentee,
        [
            MentorInput(id=2, areas=["research"]),
            MentorInput(id=3, areas=["promotion"]),
            MentorInput(id=4, areas=["research", "promotion"]),
        ],
    )
    needs = _criterion(features, "needs")
    assert needs[0] == pytest.approx(1.0 / 1.3)
    assert needs[1] == pytest.approx(0.3 / 1.3)
    assert needs[2] == pytest.approx(1.0)


def test_needs_are_neutral_for_a_mentee_without_needs():
    features = _one(MenteeInput(id=1), [MentorInput(id=2, areas=["research"])])
    assert _criterion(features, "needs")[0] == pytest.approx(NEUTRAL)


def test_roles_count_the_fraction_covered():
    mentee = MenteeInput(id=1, roles_wanted=["sponsor", "coach", "confidant", "teacher"])
    features = _one(
        mentee, [MentorInput(id=2, roles=["sponsor", "coach", "advisor"]), MentorInput(id=3)]
    )
    assert _criterion(features, "roles").tolist() == pytest.approx([0.5, 0.0])


def test_interests_saturate():
    mentee = MenteeInput(id=1, topics=["a", "b", "c", "d"], qualities_valued=["honesty"])
    mentors = [
        MentorInput(id=2),
        MentorInput(id=3, topics=["a"]),
        MentorInput(id=4, topics=["a", "b"]),
        MentorInput(id=5, topics=["a", "b", "c"], qualities=["honesty"]),
    ]
    interests = _criterion(_one(mentee, mentors), "interests")
    assert interests.tolist() == pytest.approx([0, 0.5, 0.75, 0.9375])


def test_career_stage_prefers_half_a_generation_ahead():
    mentee = MenteeInput(id=1, career_years=5)
    mentors = [MentorInput(id=10 + y, career_years=5 + y) for y in (-2, 0, 3, 8, 12, 15, 25, 35)]
    stage = dict(
        zip(
            (-2, 0, 3, 8, 12, 15, 25, 35),
            _criterion(_one(mentee, mentors), "career_stage"),
            strict=True,
        )
    )
    assert stage[12] == stage[8] == stage[15] == 1
    assert 0 < stage[3] < 1
    assert 0 < stage[25] < 1
    assert stage[-2] == stage[0] == stage[35] == 0


def test_peer_mode_prefers_same_stage():
    mentee = MenteeInput(id=1, career_years=10)
    mentors = [MentorInput(id=10 + y, career_years=10 + y) for y in (-3, 0, 2, 6, 12)]
    stage = _criterion(_one(mentee, mentors), "career_stage", mode=StageMode.PEER)
    assert stage.tolist() == pytest.approx([1, 1, 1, 4 / 7, 0])


def test_stage_value_is_symmetric_only_for_peers():
    assert stage_value(np.array([-5.0]), StageMode.PEER) == stage_value(np.array([5.0]), "peer")
    assert stage_value(np.array([-5.0]))[0] < stage_value(np.array([5.0]))[0]


def test_experience_saturates():
    mentee = MenteeInput(id=1)
    mentors = [
        MentorInput(id=2),
        MentorInput(id=3, mentoring_years=4, prior_mentees=3),
        MentorInput(id=4, mentoring_years=40, prior_mentees=30, trained=True),
    ]
    experience = _criterion(_one(mentee, mentors), "experience")
    assert experience[0] == 0
    assert experience[1] == pytest.approx(1 / 3)
    assert 0.99 < experience[2] <= 1


def test_communication_takes_the_best_shared_mode():
    mentee = MenteeInput(id=1, modes=["video", "phone"])
    mentors = [
        MentorInput(id=2, modes=["video", "email"]),
        MentorInput(id=3, modes=["phone"]),
        MentorInput(id=4, modes=["in_person"]),
        MentorInput(id=5),
    ]
    communication = _criterion(_one(mentee, mentors), "communication")
    assert communication.tolist() == pytest.approx([1.0, 0.8, 0.0, NEUTRAL])


def test_time_zone_only_matters_when_remote():
    mentee = MenteeInput(id=1, utc_offset=-5, institution="North")
    mentors = [
        MentorInput(id=2, utc_offset=3, institution="North"),
        MentorInput(id=3, utc_offset=-5, institution="South"),
        MentorInput(id=4, utc_offset=1, institution="South"),
        MentorInput(id=5, utc_offset=9, institution="South"),
    ]
    assert _criterion(_one(mentee, mentors), "time_zone").tolist() == pytest.approx([1, 1, 0.25, 0])


def test_time_zone_difference_wraps_around_the_clock():
    mentee = MenteeInput(id=1, utc_offset=11, institution="A")
    features = _one(mentee, [MentorInput(id=2, utc_offset=-11, institution="B")])
    assert _criterion(features, "time_zone")[0] == pytest.approx(0.75)


def test_locality_favours_a_local_mentor_for_institution_specific_needs():
    mentors = [MentorInput(id=2, institution="Home"), MentorInput(id=3, institution="Away")]
    sponsorship = _one(MenteeInput(id=1, needs={"sponsorship": 1}, institution="Home"), mentors)
    research = _one(MenteeInput(id=1, needs={"research": 1}, institution="Home"), mentors)
    assert _criterion(sponsorship, "locality").tolist() == pytest.approx([1, 0])
    assert _criterion(research, "locality").tolist() == pytest.approx([1, 1])


def test_locality_follows_the_stated_preference():
    mentors = [MentorInput(id=2, institution="Home"), MentorInput(id=3, institution="Away")]
    local = _criterion(
        _one(MenteeInput(id=1, institution="Home", locality="local"), mentors), "locality"
    )
    remote = _criterion(
        _one(MenteeInput(id=1, institution="Home", locality="remote"), mentors), "locality"
    )
    assert local[0] > local[1]
    assert remote[1] > remote[0]


def test_fast_scores_match_the_per_pair_criteria():
    features = synthetic_problem(40, 15, seed=9)
    rows, cols = np.meshgrid(np.arange(40), np.arange(15), indexing="ij")
    values = criterion_values(features, rows.ravel()[:50], cols.ravel()[:50])
    for name in CRITERIA:
        np.testing.assert_allclose(
            values[name], criterion_matrix(features, name).ravel()[:50], atol=1e-6
        )


def test_mosaic_seats_need_a_mentor_who_offers_the_area():
    mentee = MenteeInput(id=1, needs={"research": 1, "leadership": 2})
    mentors = [
        MentorInput(id=2, areas=["research"]),
        MentorInput(id=3, areas=["research", "leadership"]),
    ]
    features = _one(mentee, mentors)
    seats = np.array([[NEED_AREAS.index("research"), NEED_AREAS.index("leadership"), -1]])
    area_scores, eligible = score_mosaic(features, seats)
    assert eligible[0].tolist() == [[True, True], [False, True], [False, False]]
    assert area_scores[0, 1, 0] == 0
    assert area_scores[0, 0, 1] == pytest.approx(area_scores[0, 1, 1])
    assert area_scores[0, 0, 0] > 0


# --- Exclusions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mentor", "declared", "reason"),
    [
        (MentorInput(id=1), [], "self"),
        (MentorInput(id=50), [], "reporting_line"),
        (MentorInput(id=2), [(1, 2, "conflict_of_interest")], "conflict_of_interest"),
        (MentorInput(id=2), [(1, 2, "ended_before")], "ended_before"),
        (MentorInput(id=2), [(1, 2, "forbidden")], "forbidden"),
        (MentorInput(id=2, capacity=0), [], "no_capacity"),
        (MentorInput(id=2, accepting=False), [], "no_capacity"),
        (MentorInput(id=2, institution="Away", remote_ok=False), [], "no_remote"),
        (MentorInput(id=2, meets_training_rule=False), [], "untrained"),
    ],
)
def test_each_exclusion_has_its_reason(mentor, declared, reason):
    mentee = MenteeInput(id=1, institution=0, authority_ids=[50])
    features = _one(mentee, [mentor], excluded_pairs=declared)
    assert exclusion_reasons(features, 0, 0) == [reason]
    assert not eligibility(features)[0, 0]
    assert score_pairs(features).scores[0, 0] == 0
    # The block solver's scorers apply the same rules.
    assert not RowScorer(features)(np.array([0]))[1][0, 0]
    assert not FusedScorer.of(RowScorer(features))(np.array([0]))[1][0, 0]


def test_a_remote_only_mentor_is_fine_at_the_same_institution():
    features = _one(
        MenteeInput(id=1, institution="Home"),
        [MentorInput(id=2, institution="Home", remote_ok=False)],
    )
    assert exclusion_reasons(features, 0, 0) == []
    assert eligibility(features)[0, 0]


def test_ended_before_can_be_allowed_again():
    features = _one(
        MenteeInput(id=1),
        [MentorInput(id=2)],
        excluded_pairs=[(1, 2, "ended_before")],
        allowed_again=[(1, 2)],
    )
    assert eligibility(features)[0, 0]


def test_directors_see_every_reason_for_every_excluded_mentor():
    mentee = MenteeInput(id=1, institution="Home", authority_ids=[3])
    mentors = [
        MentorInput(id=2),
        MentorInput(id=3, capacity=0),
        MentorInput(id=4, institution="Away", remote_ok=False),
    ]
    features = _one(mentee, mentors, excluded_pairs=[(1, 3, "forbidden")])
    assert excluded_mentors(features, 0) == {
        1: ["reporting_line", "forbidden", "no_capacity"],
        2: ["no_remote"],
    }


# --- Explanations -------------------------------------------------------------------------------


@pytest.fixture
def hand_made():
    mentee = MenteeInput(
        id=1,
        needs={"research": 1, "promotion": 1, "leadership": 2, "clinical_practice": 3},
        roles_wanted=["sponsor", "coach", "confidant"],
        topics=["health_equity", "qualitative_methods", "genomics"],
        career_years=3,
        modes=["video", "email"],
        utc_offset=-5,
        institution="North",
    )
    mentor = MentorInput(
        id=10,
        areas=["research", "promotion", "leadership"],
        roles=["sponsor", "coach"],
        topics=["health_equity", "qualitative_methods"],
        career_years=15,
        mentoring_years=6,
        prior_mentees=4,
        trained=True,
        modes=["video", "phone"],
        utc_offset=1,
        institution="South",
    )
    local = MentorInput(id=11, areas=["promotion"], career_years=3, institution="North")
    return build_features([mentee], [mentor, local])


def test_explanation_sentences_for_a_hand_made_pair(hand_made):
    sentences = {item.criterion: item.sentence for item in explain_pair(hand_made, 0, 0).items}
    assert sentences == {
        "needs": "Covers 3 of your 4 need areas (research, promotion and leadership).",
        "roles": "Offers 2 of the 3 roles you want: sponsor and coach.",
        "interests": "Shares 2 interests: health equity and qualitative methods.",
        "career_stage": "12 years ahead of you — about half a generation.",
        "experience": (
            "Has mentored for 6 years, with 4 prior mentees, and completed mentor training."
        ),
        "communication": "Prefers video, as you do.",
        "time_zone": "6 h time-zone difference.",
        "locality": "At another institution — less placed to help with promotion.",
    }


def test_explanation_for_a_local_peer(hand_made):
    sentences = {item.criterion: item.sentence for item in explain_pair(hand_made, 0, 1).items}
    assert sentences["locality"] == "Same institution — good for promotion."
    assert sentences["time_zone"] == "Same institution, so time zones do not matter."
    assert (
        sentences["career_stage"] == "At the same career stage as you — more a peer than a guide."
    )
    assert sentences["experience"] == "New to mentoring."


def test_explanation_points_add_up_to_the_score(hand_made):
    explanation = explain_pair(hand_made, 0, 0)
    score = score_pairs(hand_made).scores[0, 0]
    assert sum(item.points for item in explanation.items) == pytest.approx(score, abs=0.05)
    assert explanation.score == pytest.approx(score, abs=0.05)
    assert sum(item.max_points for item in explanation.items) == pytest.approx(100, abs=0.05)


def test_explanation_of_an_excluded_pair_says_why():
    features = _one(MenteeInput(id=1, authority_ids=[2]), [MentorInput(id=2)])
    explanation = explain_pair(features, 0, 0)
    assert not explanation.eligible
    assert explanation.score == 0
    assert explanation.exclusions == ["reporting_line"]
    assert "authority" in explanation.exclusion_sentences[0]
