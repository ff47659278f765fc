"""The program report: pure aggregation over rows already fetched from the database.

Nothing here touches the database, so the formulas, the small-cell suppression and the
neutralising of spreadsheet formulas can be tested (and timed) on their own. The rows come from
`programs.selectors.reports.report_data`; the files are written by `programs.exports.files`.

What a report never contains: private notes, private reflections, concern text, ended reasons,
review comments, and anyone's gender next to their name (gender appears only in aggregates)."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from mentorship import charts
from mentorship.charts import Chart
from programs.domain.figures import (
    DIMENSIONS,
    SMALL_CELL,
    SUPPRESSED,
    Mentee,
    days_waited,
    match_rates_by_group,
    rate,
    waiting_from,
)
from programs.domain.outcomes import DEFAULT_YEARS, MENTORED, OutcomeRow
from programs.exports.charts import match_rate_charts, meetings_chart, outcome_charts
from programs.models import (
    CommunicationMode,
    GoalStatus,
    RelationshipKind,
    RelationshipOutcome,
    RelationshipStage,
    ReviewChoice,
)
from programs.selectors.figures import (
    Cadence,
    MatchRates,
    SubscaleScore,
    TimeToMatch,
    TrainingFigures,
)

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# --- Safety of cells -----------------------------------------------------------------------------


def neutralise(value: Any) -> Any:
    """Stop a spreadsheet from treating text as a formula (CSV/formula injection): text that
    begins with = + - @, a tab or a carriage return gets a leading apostrophe. Numbers, dates
    and empty values pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


# --- Input rows ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    role: str  # mentee, mentor, both
    joined_on: dt.date
    cohort: str = ""
    cohort_start: dt.date | None = None
    department: str = ""
    rank: str = ""
    stream: str = ""
    gender: str = ""  # a label; only ever used in aggregates
    capacity: int = 0
    active: bool = True  # the membership is active (not paused)

    @property
    def is_mentee(self) -> bool:
        return self.role in ("mentee", "both")

    @property
    def is_mentor(self) -> bool:
        return self.role in ("mentor", "both")

    @property
    def waiting_from(self) -> dt.date:
        """Time to match counts from joining, or from the cohort's start if that is later."""
        return waiting_from(self.joined_on, self.cohort_start)


@dataclass(frozen=True)
class RelationshipRow:
    id: int
    kind: str
    stage: str
    started_on: dt.date
    ended_on: dt.date | None
    mentees: tuple[int, ...]
    guides: tuple[int, ...]
    at_risk: bool = False  # `selectors.figures`: current, with an uncleared risk flag
    quiet: bool = False  # `selectors.figures`, on the day the report is made

    def open_on(self, day: dt.date) -> bool:
        return self.started_on <= day and (self.ended_on is None or self.ended_on > day)

    def active_during(self, start: dt.date, end: dt.date) -> bool:
        return self.started_on <= end and (self.ended_on is None or self.ended_on >= start)


@dataclass(frozen=True)
class ReviewRow:
    relationship_id: int
    respondent_id: int
    side: str  # "mentee" (receiving) or "mentor" (guiding)
    score: float | None
    choice: str


@dataclass
class ReportData:
    program: str
    start: dt.date
    end: dt.date
    people: list[Person]
    relationships: list[RelationshipRow]
    names: dict[int, str] = field(default_factory=dict)  # everyone in a relationship
    meetings: dict[int, Counter[str]] = field(default_factory=dict)  # relationship -> mode counts
    last_met: dict[int, dt.date] = field(default_factory=dict)
    reviews: list[ReviewRow] = field(default_factory=list)
    review_requests: dict[int, tuple[int, int]] = field(default_factory=dict)  # person -> (n, done)
    goal_statuses: dict[int, Counter[str]] = field(default_factory=dict)  # mentee -> status counts
    trainings: dict[int, int] = field(default_factory=dict)
    as_of: dt.date | None = None  # the day the rows were read (quiet and at risk are for it)
    institution: str = ""
    generated_at: dt.datetime | None = None
    meetings_by_month: list[tuple[str, int]] = field(default_factory=list)
    figures: ReportFigures | None = None  # the summary's figures, from `selectors.figures`
    training: TrainingFigures | None = None  # `selectors.figures.mentor_training_figures`
    # (date, title, curriculum, hours, attended) of the program's sessions in the period
    training_sessions: list[tuple[Any, ...]] = field(default_factory=list)
    outcomes: list[OutcomeRow] = field(default_factory=list)  # `program_outcomes`
    outcome_years: int = DEFAULT_YEARS


@dataclass(frozen=True)
class ReportFigures:
    """The one-page summary's figures, each from its one selector in `selectors/figures.py`
    (the same definitions as the dashboard, the fairness view and the home page)."""

    members: dict[str, int]  # members_by_role
    match: MatchRates  # match_rates(on=end)
    time_to_match: TimeToMatch
    cadence: Cadence  # meetings_against_cadence
    subscales: list[SubscaleScore]  # review_scores_by_subscale
    endings: dict[str, int]  # endings_by_category
    at_risk: int  # at_risk_now
    mentors_trained: tuple[int, int]  # (mentors, trained)


# --- Output --------------------------------------------------------------------------------------


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: Iterable[Sequence[Any]]
    note: str = ""
    appendix: bool = False  # long lists: in CSV and XLSX, not in the PDF


@dataclass(frozen=True)
class Figure:
    """One headline number of a section: "Match rate 62% — 41 of 66 active mentees"."""

    label: str
    value: Any  # int, Percent, Score, str or None ("—")
    detail: str = ""


@dataclass
class Section:
    """A part of the report: its headline figures, its charts, then its tables. Every writer
    (page, PDF, XLSX, CSV) walks these in this order, so a new section is one function that
    returns one of these, added to `build_report`'s list."""

    title: str
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    intro: str = ""

    @property
    def is_appendix(self) -> bool:
        return bool(self.tables) and all(t.appendix for t in self.tables) and not self.charts


@dataclass
class Report:
    title: str
    program: str
    start: dt.date
    end: dt.date
    sections: list[Section]
    institution: str = ""
    generated_at: dt.datetime | None = None
    summary: Section | None = None  # the one-page summary, first in every format

    @property
    def period(self) -> str:
        if self.start == self.end:
            return self.start.isoformat()
        return f"{self.start.isoformat()} to {self.end.isoformat()}"

    @property
    def all_sections(self) -> list[Section]:
        return ([self.summary] if self.summary else []) + self.sections

    @property
    def charts(self) -> list[Chart]:
        return [c for s in self.sections for c in s.charts]

    @property
    def generated(self) -> str:
        return text_of(self.generated_at) if self.generated_at else ""


class Percent(float):
    """A share from 0 to 1, written as a percentage: "62%" in CSV and PDF, a number formatted
    0% in a spreadsheet (so it sorts and sums as a number)."""


class Score(float):
    """A mean on the 1–5 review scale: one decimal everywhere."""


def _pct(part: int, whole: int) -> Percent | None:
    return Percent(part / whole) if whole else None


def _median(values: Sequence[float]) -> int | None:
    return round(statistics.median(values)) if values else None


def _mean(values: Sequence[float], digits: int = 1) -> float | None:
    return round(statistics.fmean(values), digits) if values else None


def text_of(value: Any) -> str:
    """One cell as text (CSV, PDF, pages): the same words for the same value everywhere."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Percent):
        return f"{100 * value:.0f}%"
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M %Z").strip()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# The model's own words, so a report says what the pages say.
MODE_LABELS = dict(CommunicationMode.choices)
GOAL_LABELS = dict(GoalStatus.choices)
STAGE_LABELS = dict(RelationshipStage.choices)
CHOICE_LABELS = dict(ReviewChoice.choices)
KIND_LABELS = dict(RelationshipKind.choices)


class _Facts:
    """Derived facts shared by several sections, computed once."""

    def __init__(self, data: ReportData) -> None:
        self.data = data
        start, end = data.start, data.end
        self.mentees = [p for p in data.people if p.is_mentee and p.joined_on <= end]
        self.mentors = [p for p in data.people if p.is_mentor and p.joined_on <= end]
        self.started_by_end = [r for r in data.relationships if r.started_on <= end]
        self.active = [r for r in data.relationships if r.active_during(start, end)]
        first: dict[int, dt.date] = {}
        for r in self.started_by_end:
            for person_id in r.mentees:
                if person_id not in first or r.started_on < first[person_id]:
                    first[person_id] = r.started_on
        self.first_match = first
        # The match rate's definition (`domain.figures`): active mentees with a mentor now —
        # here, at the end of the period.
        self.active_at_end = [p for p in self.mentees if p.active]
        self.mentored_at_end = {
            pid for r in data.relationships if r.open_on(end) for pid in r.mentees
        }
        self.active_mentees = {pid for r in self.active for pid in r.mentees}
        self.meetings_of = {
            r.id: sum(data.meetings.get(r.id, Counter()).values()) for r in self.active
        }
        per_mentee: dict[int, int] = defaultdict(int)
        for r in self.active:
            for pid in r.mentees:
                per_mentee[pid] += self.meetings_of[r.id]
        self.meetings_per_mentee = per_mentee
        scores: dict[int, list[float]] = defaultdict(list)
        for review in data.reviews:
            if review.side == "mentee" and review.score is not None:
                scores[review.respondent_id].append(review.score)
        self.mentee_scores = scores

    def days_to_match(self, person: Person) -> int | None:
        first = self.first_match.get(person.id)
        if first is None:
            return None
        return days_waited(person.waiting_from, first)


def build_report(data: ReportData) -> Report:
    facts = _Facts(data)
    sections = [
        _participation(facts),
        _matching(facts),
        _meetings(facts),
        _goals(facts),
        _reviews(facts),
        _endings(facts),
        _mentor_load(facts),
        _health(facts),
        _equity(facts),
        _training_section(data),
        _outcomes_section(data),
        _appendices(facts),
    ]
    return Report(
        title=f"Program report: {data.program}",
        program=data.program,
        start=data.start,
        end=data.end,
        sections=sections,
        institution=data.institution,
        generated_at=data.generated_at,
        summary=summary_section(data.figures, data) if data.figures else None,
    )


OUTCOME_LABELS = dict(RelationshipOutcome.choices)
SIDE_LABELS = {"mentee": "Mentees", "mentor": "Mentors"}


def summary_section(figures: ReportFigures, data: ReportData) -> Section:
    """The one-page summary a dean reads first: every figure from its selector."""
    members = figures.members
    match = figures.match
    ttm = figures.time_to_match
    cadence = figures.cadence
    mentors, trained = figures.mentors_trained
    endings = figures.endings
    headline = [
        Figure(
            "Members",
            members["mentee"] + members["mentor"] + members["both"],
            f"{text_of(members['mentee'])} mentees, {text_of(members['mentor'])} mentors, "
            f"{text_of(members['both'])} both, on {data.end.isoformat()}",
        ),
        Figure(
            "Match rate",
            _pct(match.matched, match.mentees),
            f"{text_of(match.matched)} of {text_of(match.mentees)} active mentees had a mentor on "
            f"{data.end.isoformat()}",
        ),
        Figure(
            "Time to match (median days)",
            ttm.median_days,
            f"{text_of(ttm.matched)} mentees first matched in the period; longest "
            f"{text_of(ttm.longest_days)} days",
        ),
        Figure(
            "Meetings held against agreed cadence",
            _pct(cadence.held, cadence.expected),
            f"{text_of(cadence.held)} held of {text_of(cadence.expected)} agreed; {text_of(cadence.on_cadence)} of "
            f"{text_of(cadence.relationships)} relationships met as often as agreed",
        ),
        Figure(
            "At risk now",
            figures.at_risk,
            f"current relationships with an uncleared review flag on {text_of(data.as_of)}",
        ),
        Figure(
            "Mentors trained",
            _pct(trained, mentors),
            f"{text_of(trained)} of {text_of(mentors)} mentors have recorded mentor training",
        ),
        Figure(
            "Relationships closed in the period",
            sum(endings.values()),
            "; ".join(f"{OUTCOME_LABELS[k]}: {n}" for k, n in endings.items()),
        ),
    ]
    subscales = subscale_table(
        "Review scores by subscale (1 = poor, 5 = healthy)", figures.subscales
    )
    fairness = Table(
        "Match rate by rank, stream and gender",
        ["Dimension", "Group", "Active mentees", "Match rate"],
        [
            [g.dimension, g.group, SUPPRESSED, SUPPRESSED]
            if g.hidden
            else [g.dimension, g.group, g.people, _pct(g.matched, g.people)]
            for g in match.groups
        ]
        or [["No active mentees", "", None, None]],
        note=f"Groups of fewer than {SMALL_CELL} people are not shown, nor enough others that "
        "a hidden one could be worked out.",
    )
    return Section(
        "Summary",
        tables=[subscales, fairness],
        figures=headline,
        intro=f"{data.program}, {data.start.isoformat()} to {data.end.isoformat()}.",
    )


def subscale_table(title: str, subscales: list[SubscaleScore]) -> Table:
    """Mean review score per subscale and side, a subscale of too few people hidden."""
    return Table(
        title,
        ["Subscale", "Answered by", "People", "Mean score"],
        [
            [
                s.label,
                SIDE_LABELS[s.side],
                s.respondents if not s.hidden else SUPPRESSED,
                Score(s.mean) if s.mean is not None else SUPPRESSED,
            ]
            for s in subscales
        ]
        or [["No reviews answered in the period", "", None, None]],
        note=f"A subscale answered by fewer than {SMALL_CELL} people is not shown.",
    )


def _participation(f: _Facts) -> Section:
    d = f.data
    roles = Counter(p.role for p in d.people if p.joined_on <= d.end)
    joined = Counter(p.role for p in d.people if d.start <= p.joined_on <= d.end)
    rows = [
        [label, roles.get(role, 0), joined.get(role, 0)]
        for role, label in (("mentee", "Mentees"), ("mentor", "Mentors"), ("both", "Both"))
    ]
    with_mentor = sum(1 for p in f.mentees if p.id in f.active_mentees)
    return Section(
        "Participation",
        [
            Table(
                "People in the program at the end of the period",
                ["Role", "People", "Joined during the period"],
                rows,
            ),
            Table(
                "Mentees with a mentor during the period",
                ["Mentees", "With at least one relationship", "Share"],
                [[len(f.mentees), with_mentor, _pct(with_mentor, len(f.mentees))]],
            ),
        ],
    )


def _matching(f: _Facts) -> Section:
    d = f.data
    # The selector's figure when the report has it (`selectors.figures.match_rates`); the
    # rows' count (the same rule, `domain.figures`) for reports built from rows alone.
    if d.figures:
        mentees, matched = d.figures.match.mentees, d.figures.match.matched
    else:
        mentees = len(f.active_at_end)
        matched = sum(1 for p in f.active_at_end if p.id in f.mentored_at_end)
    in_period = [
        days
        for p in f.mentees
        if (first := f.first_match.get(p.id))
        and d.start <= first <= d.end
        and (days := f.days_to_match(p)) is not None
    ]
    started = Counter(r.kind for r in d.relationships if d.start <= r.started_on <= d.end)
    waiting = [
        days_waited(p.waiting_from, d.end) for p in f.active_at_end if p.id not in f.mentored_at_end
    ]
    return Section(
        "Matching",
        charts=match_rate_charts(d.figures.match.groups, when=f"on {d.end.isoformat()}")
        if d.figures
        else [],
        tables=[
            Table(
                "Match rate",
                ["Active mentees", "With a mentor at the end of the period", "Match rate"],
                [[mentees, matched, _pct(matched, mentees)]],
                note="The share of the program's active mentees who have a current relationship "
                "in which they are mentored — as on the dashboard and the fairness view.",
            ),
            Table(
                "Time to match (first relationship started during the period)",
                ["Mentees matched", "Median days", "Mean days", "Longest (days)"],
                [
                    [
                        len(in_period),
                        _median(in_period),
                        _mean(in_period, 0),
                        max(in_period) if in_period else None,
                    ]
                ],
                note="Counted from joining the program, or from the cohort's start if later, "
                "to the start of the first relationship.",
            ),
            Table(
                "Mentees waiting for a mentor at the end of the period",
                ["Active mentees without a mentor", "Median days waiting", "Longest (days)"],
                [[len(waiting), _median(waiting), max(waiting) if waiting else None]],
                note="Waiting counts from joining the program, or from the cohort's start if "
                "later — as on the dashboard.",
            ),
            Table(
                "Relationships started during the period",
                ["Kind", "Relationships"],
                [[KIND_LABELS.get(k, k), n] for k, n in sorted(started.items())] or [["—", 0]],
            ),
        ],
    )


def _meetings(f: _Facts) -> Section:
    d = f.data
    modes: Counter[str] = Counter()
    for r in f.active:
        modes.update(d.meetings.get(r.id, Counter()))
    total = sum(modes.values())
    counts = list(f.meetings_of.values())
    never = sum(1 for n in counts if n == 0)
    return Section(
        "Meetings",
        charts=[meetings_chart(d.meetings_by_month, title="Meetings and check-ins held per month")]
        if d.meetings_by_month
        else [],
        tables=[
            Table(
                "Meetings and check-ins held during the period",
                [
                    "Meetings",
                    "Relationships active",
                    "Mean per relationship",
                    "Median per relationship",
                    "Relationships with none",
                ],
                [[total, len(f.active), _mean(counts), _median(counts), never]],
            ),
            Table(
                "How they met",
                ["Mode", "Meetings", "Share"],
                [[MODE_LABELS.get(m, m), n, _pct(n, total)] for m, n in modes.most_common()]
                or [["—", 0, None]],
            ),
        ],
    )


def _goals(f: _Facts) -> Section:
    statuses: Counter[str] = Counter()
    people = 0
    for p in f.mentees:
        counts = f.data.goal_statuses.get(p.id)
        if counts:
            people += 1
            statuses.update(counts)
    total = sum(statuses.values())
    return Section(
        "Goals progress",
        [
            Table(
                "Goals in mentees' latest self-evaluations",
                ["Status", "Goals", "Share"],
                [
                    [label, statuses.get(k, 0), _pct(statuses.get(k, 0), total)]
                    for k, label in GOAL_LABELS.items()
                ],
                note=f"{people} mentees have a submitted self-evaluation with goals. Counts only: "
                "the goals' wording stays private.",
            )
        ],
    )


def _reviews(f: _Facts) -> Section:
    d = f.data
    sent = sum(n for n, _ in d.review_requests.values())
    done = sum(k for _, k in d.review_requests.values())
    rows: list[list[object]] = []
    for side, label in (("mentee", "Mentees"), ("mentor", "Mentors")):
        reviews = [r for r in d.reviews if r.side == side]
        people = {r.respondent_id for r in reviews}
        scores = [r.score for r in reviews if r.score is not None]
        if 0 < len(people) < SMALL_CELL:
            rows.append([label, SUPPRESSED, SUPPRESSED])
        else:
            rows.append([label, len(reviews), _mean(scores)])
    choices = Counter(r.choice for r in d.reviews)
    return Section(
        "Relationship reviews",
        charts=_subscale_charts(d.figures.subscales) if d.figures else [],
        tables=[
            Table(
                "Reviews requested and answered",
                ["Requested", "Answered", "Response rate"],
                [[sent, done, _pct(done, sent)]],
            ),
            Table("Scores (1 = poor, 5 = healthy)", ["Answered by", "Reviews", "Mean score"], rows),
            Table(
                "What the parties chose",
                ["Choice", "Reviews"],
                [[label, choices.get(k, 0)] for k, label in CHOICE_LABELS.items()],
            ),
        ],
    )


def _subscale_charts(subscales: list[SubscaleScore]) -> list[Chart]:
    """One chart per side (mentees' answers, mentors' answers): one dimension per chart."""
    result = []
    for side, label in SIDE_LABELS.items():
        rows = [s for s in subscales if s.side == side]
        result.append(
            charts.bars(
                title=f"Mean review score by subscale, answered by {label.lower()} (1–5)",
                labels=[s.label for s in rows],
                values=[s.mean for s in rows],
                name="Mean score",
                unit="score",
                category="Subscale",
                hidden_text=SUPPRESSED,
            )
        )
    return result


def _endings(f: _Facts) -> Section:
    d = f.data
    closed = [
        r
        for r in d.relationships
        if r.ended_on and d.start <= r.ended_on <= d.end and r.stage in ("concluded", "ended")
    ]
    rows = []
    for stage, label in (
        ("concluded", "Concluded, goals met"),
        ("ended", "Ended early (no fault)"),
    ):
        group = [r for r in closed if r.stage == stage]
        months = [((r.ended_on or r.started_on) - r.started_on).days / 30.4 for r in group]
        rows.append([label, len(group), _median(months)])
    endings = d.figures.endings if d.figures else {}
    return Section(
        "Endings",
        charts=[_endings_chart(endings, "Relationships closed during the period, by outcome")]
        if endings
        else [],
        tables=[
            Table(
                "Relationships that closed during the period",
                ["Outcome", "Relationships", "Median length (months)"],
                rows,
                note="Why a relationship ended is confidential and never part of a report.",
            )
        ],
    )


def _endings_chart(endings: dict[str, int], title: str) -> Chart:
    return charts.bars(
        title=title,
        labels=[OUTCOME_LABELS[k] for k in endings],
        values=list(endings.values()),
        name="Relationships",
        category="Outcome",
    )


def _mentor_load(f: _Facts) -> Section:
    end = f.data.end
    load: Counter[int] = Counter()
    for r in f.data.relationships:
        if r.open_on(end):
            for pid in r.guides:
                load[pid] += 1
    buckets: Counter[str] = Counter()
    full = over = 0
    for p in f.mentors:
        n = load.get(p.id, 0)
        buckets["4 or more" if n >= 4 else str(n)] += 1
        # As on the dashboard: the true load against capacity, never capped.
        if n >= p.capacity:
            full += 1
        if n > p.capacity:
            over += 1
    return Section(
        "Mentor load",
        [
            Table(
                "Mentors by number of current mentees at the end of the period",
                ["Current mentees", "Mentors"],
                [[k, buckets.get(k, 0)] for k in ("0", "1", "2", "3", "4 or more")],
            ),
            Table(
                "Capacity",
                ["Mentors", "At or over capacity", "Over capacity"],
                [[len(f.mentors), full, over]],
            ),
        ],
    )


def _mentee(f: _Facts, p: Person) -> Mentee:
    return Mentee(p.rank, p.stream, p.gender, p.id in f.mentored_at_end)


def equity_rows(f: _Facts, dimension: str) -> list[list[Any]]:
    """One row per group of the dimension: the match rate's groups and their hidden cells come
    from `domain.figures.match_rates_by_group`, as on the fairness view and the dashboard."""
    mentees = {p.id: _mentee(f, p) for p in f.active_at_end}
    people = {p.id: p for p in f.active_at_end}
    rows: list[list[Any]] = []
    for g in match_rates_by_group(mentees.values(), [dimension]):
        if g.hidden:
            rows.append([g.group, SUPPRESSED, None, None, None, None])
            continue
        group = [people[pid] for pid, m in mentees.items() if m.group(dimension) == g.group]
        days = [d for p in group if (d := f.days_to_match(p)) is not None]
        meetings = [f.meetings_per_mentee.get(p.id, 0) for p in group if p.id in f.active_mentees]
        respondents = [p for p in group if f.mentee_scores.get(p.id)]
        score: Any = None
        if len(respondents) >= SMALL_CELL:
            score = _mean([s for p in respondents for s in f.mentee_scores[p.id]])
        elif respondents:
            score = SUPPRESSED
        rows.append(
            [
                g.group,
                g.people,
                _pct(g.matched, g.people),
                _median(days) if len(days) >= SMALL_CELL else (SUPPRESSED if days else None),
                _mean(meetings)
                if len(meetings) >= SMALL_CELL
                else (SUPPRESSED if meetings else None),
                score,
            ]
        )
    return rows


def _equity(f: _Facts) -> Section:
    columns = [
        "Group",
        "Active mentees",
        "Match rate (a mentor at the end of the period)",
        "Median days to match",
        "Meetings per matched mentee",
        "Mean review score from mentees",
    ]
    return Section(
        "Equity of access to mentoring",
        [
            Table(
                f"By {dimension.lower()}",
                columns,
                equity_rows(f, dimension),
                note=f"Groups of fewer than {SMALL_CELL} people are not shown, nor enough other "
                "groups that a hidden one could be worked out from the totals, so that no one "
                "can be identified.",
            )
            for dimension in DIMENSIONS
        ],
    )


def _health(f: _Facts) -> Section:
    d = f.data
    current = [r for r in d.relationships if r.stage in ("pilot", "active", "concluding")]
    return Section(
        "Relationship health",
        [
            Table(
                f"On {(d.as_of or d.end).isoformat()}, when the report was made",
                ["Current relationships", "Quiet", "At risk"],
                [
                    [
                        len(current),
                        sum(1 for r in current if r.quiet),
                        sum(1 for r in current if r.at_risk),
                    ]
                ],
                note="Quiet: no meeting or check-in for two meeting cycles plus the program's "
                "grace period. At risk: a review flag no director has cleared. The same "
                "figures as the dashboard.",
            )
        ],
    )


def _appendices(f: _Facts) -> Section:
    d = f.data

    def participants() -> Iterator[list[Any]]:
        for p in sorted(d.people, key=lambda p: p.name.casefold()):
            if p.joined_on > d.end:
                continue
            first = f.first_match.get(p.id)
            sent, done = d.review_requests.get(p.id, (0, 0))
            yield [
                p.name,
                {"mentee": "Mentee", "mentor": "Mentor", "both": "Both"}.get(p.role, p.role),
                p.department,
                p.rank,
                p.stream,
                p.cohort,
                p.joined_on,
                ("yes" if first else "no") if p.is_mentee else "",
                first or "",
                f.meetings_per_mentee.get(p.id, 0) if p.is_mentee else "",
                sent,
                done,
                d.trainings.get(p.id, 0) if p.is_mentor else "",
            ]

    def relationships() -> Iterator[list[Any]]:
        for r in sorted(f.active, key=lambda r: (r.started_on, r.id)):
            yield [
                r.id,
                KIND_LABELS.get(r.kind, r.kind),
                STAGE_LABELS.get(r.stage, r.stage),
                r.started_on,
                r.ended_on or "",
                "; ".join(d.names.get(pid, "") for pid in r.mentees),
                "; ".join(d.names.get(pid, "") for pid in r.guides),
                f.meetings_of.get(r.id, 0),
                d.last_met.get(r.id, ""),
                "yes" if r.at_risk else "",
            ]

    return Section(
        "Lists",
        [
            Table(
                "Participants",
                [
                    "Name",
                    "Role",
                    "Department",
                    "Rank",
                    "Stream",
                    "Cohort",
                    "Joined",
                    "Matched",
                    "First matched on",
                    "Meetings in the period",
                    "Reviews requested",
                    "Reviews answered",
                    "Mentor trainings",
                ],
                participants(),
                appendix=True,
            ),
            Table(
                "Relationships active during the period",
                [
                    "Id",
                    "Kind",
                    "Stage",
                    "Started",
                    "Closed",
                    "Mentees or peers",
                    "Mentors or facilitator",
                    "Meetings in the period",
                    "Last met",
                    "At risk",
                ],
                relationships(),
                appendix=True,
            ),
        ],
    )


def _training_section(data: ReportData) -> Section:
    """Mentors trained and training hours (`selectors.figures.mentor_training_figures`)."""
    t = data.training
    if t is None:
        return Section("Mentor training", intro="No training figures were read.")
    return Section(
        "Mentor training",
        intro="Training sessions the program recorded (workshops of its curriculum) and who "
        "attended; mentors also count as trained with training they reported themselves.",
        figures=[
            Figure(
                "Mentors trained",
                _pct(t.trained, t.mentors),
                f"{t.trained} of {t.mentors} mentors on {data.end.isoformat()}",
            ),
            Figure(
                "Training hours",
                float(t.hours),
                "hours of the program's sessions attended by its mentors",
            ),
            Figure(
                "Meet the training-before-matching rule",
                _pct(t.meeting_rule, t.mentors) if t.required else None,
                f"{t.required} hours required" if t.required else "no rule set",
            ),
        ],
        tables=[
            Table(
                "Training sessions in the period",
                ["Date", "Session", "Curriculum", "Hours", "Attended"],
                [list(row) for row in data.training_sessions]
                or [[None, "No sessions recorded in the period", "", None, None]],
            )
        ],
    )


def _outcome_table(data: ReportData, measure: str) -> Table:
    """One measure (promotion or retention) per cohort and group, with counts and intervals."""
    years = data.outcome_years
    count, ci = (
        ("promoted", "promotion_ci") if measure == "Promoted" else ("retained", "retention_ci")
    )
    rows: list[list[Any]] = []
    for row in data.outcomes:
        for g in row.groups:
            group = "Mentored" if g.group == MENTORED else "Not mentored"
            if g.hidden:
                rows.append([row.label, group, SUPPRESSED, SUPPRESSED, SUPPRESSED, SUPPRESSED])
                continue
            interval = getattr(g, ci)
            rows.append(
                [
                    row.label,
                    group,
                    g.followed,
                    getattr(g, count) if g.followed else None,
                    _pct(getattr(g, count), g.followed),
                    f"{interval[0]}–{interval[1]}%" if interval else None,
                ]
            )
    title = (
        f"Promoted within {years} years, by cohort"
        if measure == "Promoted"
        else f"Retained {years} years, by cohort"
    )
    return Table(
        title,
        ["Cohort", "Group", "Followed", measure, "Share", "95% interval"],
        rows or [["No mentored cohort yet", "", None, None, None, None]],
        note=f"“Not mentored”: faculty of the same rank and stream never mentored. Only people "
        f"whose {years}-year window has ended are counted. Groups of fewer than {SMALL_CELL} "
        "people are not shown, with the other group of the same cohort. Wilson intervals.",
    )


def _outcomes_section(data: ReportData) -> Section:
    """Promotion within N years and retention (`selectors.figures.program_outcomes`)."""
    years = data.outcome_years
    return Section(
        "Outcomes: promotion and retention",
        intro=f"Descriptive, not causal: what happened to mentored faculty within {years} years "
        "of their cohort's start, beside faculty of the same rank and stream never mentored. "
        "The groups differ in ways these figures cannot account for.",
        charts=outcome_charts(data.outcomes, years=years) if data.outcomes else [],
        tables=[_outcome_table(data, "Promoted"), _outcome_table(data, "Retained")],
    )


# --- Every program of an institution (the admin's report) -----------------------------------------

ALL_PROGRAMS = "All programs"


@dataclass(frozen=True)
class ProgramFigures:
    """One program's figures for the all-programs report, from the same selectors as its own
    report's summary (`selectors.reports.report_figures`)."""

    name: str
    active: bool
    figures: ReportFigures
    mentees: list[Mentee]  # `selectors.figures.mentee_facts`: for the fairness across programs
    meetings_by_month: list[tuple[str, int]]


@dataclass
class InstitutionReportData:
    institution: str
    start: dt.date
    end: dt.date
    programs: list[ProgramFigures]
    subscales: list[SubscaleScore] = field(default_factory=list)  # across every program
    generated_at: dt.datetime | None = None
    as_of: dt.date | None = None


class _Totals:
    """The institution's figures: each program's counts added up (a person in two programs
    counts in each, as each program's own report counts them)."""

    def __init__(self, data: InstitutionReportData) -> None:
        rows = [p.figures for p in data.programs]
        self.members = Counter[str]()
        self.endings = Counter[str]()
        for f in rows:
            self.members.update(f.members)
            self.endings.update(f.endings)
        self.mentees = sum(f.match.mentees for f in rows)
        self.matched = sum(f.match.matched for f in rows)
        self.days = sorted(d for f in rows for d in f.time_to_match.days)
        self.held = sum(f.cadence.held for f in rows)
        self.expected = sum(f.cadence.expected for f in rows)
        self.on_cadence = sum(f.cadence.on_cadence for f in rows)
        self.relationships = sum(f.cadence.relationships for f in rows)
        self.at_risk = sum(f.at_risk for f in rows)
        self.mentors = sum(f.mentors_trained[0] for f in rows)
        self.trained = sum(f.mentors_trained[1] for f in rows)
        self.groups = match_rates_by_group(m for p in data.programs for m in p.mentees)


def _members_of(figures: ReportFigures) -> int:
    return sum(figures.members.values())


def _institution_summary(data: InstitutionReportData, t: _Totals) -> Section:
    end = data.end.isoformat()
    active = sum(1 for p in data.programs if p.active)
    headline = [
        Figure("Programs", len(data.programs), f"{text_of(active)} active"),
        Figure(
            "Program members",
            sum(t.members.values()),
            f"{text_of(t.members['mentee'])} mentees, {text_of(t.members['mentor'])} mentors, "
            f"{text_of(t.members['both'])} both, on {end}; a person in two programs counts twice",
        ),
        Figure(
            "Match rate",
            _pct(t.matched, t.mentees),
            f"{text_of(t.matched)} of {text_of(t.mentees)} active mentees had a mentor on {end}",
        ),
        Figure(
            "Time to match (median days)",
            _median(t.days),
            f"{text_of(len(t.days))} mentees first matched in the period; longest "
            f"{text_of(t.days[-1] if t.days else None)} days",
        ),
        Figure(
            "Meetings held against agreed cadence",
            _pct(t.held, t.expected),
            f"{text_of(t.held)} held of {text_of(t.expected)} agreed; {text_of(t.on_cadence)} of "
            f"{text_of(t.relationships)} relationships met as often as agreed",
        ),
        Figure(
            "At risk now",
            t.at_risk,
            f"current relationships with an uncleared review flag on {text_of(data.as_of)}",
        ),
        Figure(
            "Mentors trained",
            _pct(t.trained, t.mentors),
            f"{text_of(t.trained)} of {text_of(t.mentors)} mentors have recorded mentor training",
        ),
        Figure(
            "Relationships closed in the period",
            sum(t.endings.values()),
            "; ".join(f"{OUTCOME_LABELS[k]}: {n}" for k, n in t.endings.items()),
        ),
    ]
    breakdown = Table(
        "By program",
        [
            "Program",
            "Members",
            "Match rate",
            "Median days to match",
            "Meetings held of agreed",
            "At risk now",
            "Mentors trained",
            "Closed in the period",
        ],
        [
            [
                p.name,
                _members_of(f),
                _pct(f.match.matched, f.match.mentees),
                f.time_to_match.median_days,
                _pct(f.cadence.held, f.cadence.expected),
                f.at_risk,
                _pct(f.mentors_trained[1], f.mentors_trained[0]),
                sum(f.endings.values()),
            ]
            for p in data.programs
            for f in (p.figures,)
        ]
        or [["No programs yet", None, None, None, None, None, None, None]],
        note="Each program's figures are those of its own report for the same period.",
    )
    return Section(
        "Summary",
        tables=[breakdown],
        figures=headline,
        intro=f"{ALL_PROGRAMS} of {data.institution}, {data.start.isoformat()} to {end}.",
    )


def _by_program_chart(
    data: InstitutionReportData, title: str, values: list[Any], *, unit: Any, name: str
) -> Chart:
    # None only in a rate: the program has nobody to count (no mentees, no mentors) yet.
    return charts.bars(
        title=title,
        labels=[p.name for p in data.programs],
        values=values,
        name=name,
        unit=unit,
        category="Program",
        hidden_text="nobody yet",
    )


def _programs_compared(data: InstitutionReportData) -> Section:
    end = data.end.isoformat()
    rows = [p.figures for p in data.programs]
    return Section(
        "Programs compared",
        charts=[
            _by_program_chart(
                data,
                f"Members on {end}, by program",
                [_members_of(f) for f in rows],
                unit="count",
                name="Members",
            ),
            _by_program_chart(
                data,
                f"Active mentees with a mentor on {end}, by program (%)",
                [f.match.rate for f in rows],
                unit="percent",
                name="Match rate",
            ),
            _by_program_chart(
                data,
                "Relationships at risk now, by program",
                [f.at_risk for f in rows],
                unit="count",
                name="At risk",
            ),
        ]
        if rows
        else [],
        tables=[
            Table(
                f"Members on {end}",
                ["Program", "Mentees", "Mentors", "Both", "All"],
                [
                    [
                        p.name,
                        f.members["mentee"],
                        f.members["mentor"],
                        f.members["both"],
                        _members_of(f),
                    ]
                    for p in data.programs
                    for f in (p.figures,)
                ],
            ),
            Table(
                "Matching",
                [
                    "Program",
                    "Active mentees",
                    "With a mentor",
                    "Match rate",
                    "First matched in the period",
                    "Median days to match",
                    "Longest (days)",
                ],
                [
                    [
                        p.name,
                        f.match.mentees,
                        f.match.matched,
                        _pct(f.match.matched, f.match.mentees),
                        f.time_to_match.matched,
                        f.time_to_match.median_days,
                        f.time_to_match.longest_days,
                    ]
                    for p in data.programs
                    for f in (p.figures,)
                ],
                note="Time to match counts from joining the program, or from the cohort's start "
                "if later, to the start of the first relationship.",
            ),
        ],
    )


def _meetings_across(data: InstitutionReportData) -> Section:
    months: dict[str, int] = {}
    for p in data.programs:
        for label, n in p.meetings_by_month:
            months[label] = months.get(label, 0) + n
    return Section(
        "Meetings",
        charts=[
            meetings_chart(
                list(months.items()), title="Meetings and check-ins held per month, all programs"
            )
        ]
        if months
        else [],
        tables=[
            Table(
                "Meetings held against the agreed cadence",
                [
                    "Program",
                    "Relationships open",
                    "Meetings held",
                    "Meetings agreed",
                    "Held of agreed",
                    "Met as often as agreed",
                ],
                [
                    [
                        p.name,
                        c.relationships,
                        c.held,
                        c.expected,
                        _pct(c.held, c.expected),
                        _pct(c.on_cadence, c.relationships),
                    ]
                    for p in data.programs
                    for c in (p.figures.cadence,)
                ],
                note="Each relationship open during the period is expected to meet once per its "
                "agreed cadence over the days it was open.",
            )
        ],
    )


def _reviews_across(data: InstitutionReportData) -> Section:
    return Section(
        "Relationship reviews",
        charts=_subscale_charts(data.subscales),
        tables=[
            subscale_table(
                "Review scores by subscale, all programs (1 = poor, 5 = healthy)", data.subscales
            )
        ],
    )


def _endings_across(data: InstitutionReportData, t: _Totals) -> Section:
    outcomes = list(OUTCOME_LABELS)
    return Section(
        "Endings",
        charts=[
            _endings_chart(
                {k: t.endings.get(k, 0) for k in outcomes},
                "Relationships closed during the period, by outcome, all programs",
            )
        ],
        tables=[
            Table(
                "Relationships closed during the period, by outcome",
                ["Program", *(OUTCOME_LABELS[k] for k in outcomes)],
                [[p.name, *(p.figures.endings.get(k, 0) for k in outcomes)] for p in data.programs],
                note="Why a relationship ended is confidential and never part of a report.",
            )
        ],
    )


def _training_across(data: InstitutionReportData) -> Section:
    return Section(
        "Mentor training",
        charts=[
            _by_program_chart(
                data,
                "Mentors with recorded mentor training, by program (%)",
                [
                    rate(f.mentors_trained[1], f.mentors_trained[0])
                    for f in (p.figures for p in data.programs)
                ],
                unit="percent",
                name="Mentors trained",
            )
        ]
        if data.programs
        else [],
        tables=[
            Table(
                f"Mentors trained on {data.end.isoformat()}",
                ["Program", "Mentors", "Trained", "Share"],
                [
                    [p.name, mentors, trained, _pct(trained, mentors)]
                    for p in data.programs
                    for mentors, trained in (p.figures.mentors_trained,)
                ],
                note="Trained: a session of the program attended, or training the mentor reported.",
            )
        ],
    )


def _equity_across(data: InstitutionReportData, t: _Totals) -> Section:
    return Section(
        "Equity of access to mentoring",
        intro="Active mentees of every program together; a mentee in two programs counts in each.",
        charts=match_rate_charts(t.groups, when=f"on {data.end.isoformat()}"),
        tables=[
            Table(
                f"Match rate by {dimension.lower()}, all programs",
                ["Group", "Active mentees", "With a mentor", "Match rate"],
                [
                    [g.group, SUPPRESSED, SUPPRESSED, SUPPRESSED]
                    if g.hidden
                    else [g.group, g.people, g.matched, _pct(g.matched, g.people)]
                    for g in t.groups
                    if g.dimension == dimension
                ]
                or [["No active mentees", None, None, None]],
                note=f"Groups of fewer than {SMALL_CELL} people are not shown, nor enough other "
                "groups that a hidden one could be worked out from the totals.",
            )
            for dimension in DIMENSIONS
        ],
    )


def build_institution_report(data: InstitutionReportData) -> Report:
    """The admin's report of every program: the institution's figures and one row per program
    first, then charts and tables across programs — every figure as in the programs' reports."""
    totals = _Totals(data)
    return Report(
        title=f"All-programs report: {data.institution}",
        program=ALL_PROGRAMS,
        start=data.start,
        end=data.end,
        sections=[
            _programs_compared(data),
            _meetings_across(data),
            _reviews_across(data),
            _endings_across(data, totals),
            _training_across(data),
            _equity_across(data, totals),
        ],
        institution=data.institution,
        generated_at=data.generated_at,
        summary=_institution_summary(data, totals),
    )
