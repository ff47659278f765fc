"""The sections of the mentoring self-evaluation tool (seed 000, Fig. 1), with the tool's own
questions, guidance and examples. Forms, pages, the PDF and version comparison all read this, so a
question is worded the same way everywhere."""

from __future__ import annotations

from dataclasses import dataclass

PRIVATE = "private"
DIRECTORS = "directors"

VISIBILITY_TEXT = {
    PRIVATE: "Private: only you, and mentors you share a version with, can read this.",
    DIRECTORS: "Seen by the directors of your programs, who use it to find you mentors.",
}


@dataclass(frozen=True)
class Question:
    field: str
    label: str
    help: str
    visibility: str = PRIVATE


@dataclass(frozen=True)
class Section:
    slug: str
    title: str
    intro: str
    questions: tuple[Question, ...]
    optional: bool = False

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(q.field for q in self.questions)


SECTIONS: tuple[Section, ...] = (
    Section(
        slug="mission",
        title="Mission and success",
        intro="Establish a framework for decision-making: what you are working towards, and what "
        "success means to you — not to anyone else.",
        questions=(
            Question(
                "mission",
                "What is your mission? What do you hope to achieve?",
                "For example: a researcher with an independent program, a hospice medical "
                "director, a clinician leader.",
            ),
            Question(
                "success_definition",
                "How do you personally define success?",
                "For example: a national reputation, independent funding, becoming a director — "
                "or being home for dinner every night.",
            ),
        ),
    ),
    Section(
        slug="goals",
        title="Professional goals",
        intro="Up to three short-term goals (the next 1–5 years) and up to three long-term goals "
        "(5–10 years). Each goal is kept as its own item with a status, so you and your mentors "
        "can follow it from meeting to meeting and from one version to the next.",
        questions=(
            Question(
                "goals_short",
                "Short-term goals (1–5 years)",
                "For example: build leadership skills; submit a research award application.",
            ),
            Question(
                "goals_long",
                "Long-term goals (5–10 years)",
                "For example: build a national reputation in education; get involved in "
                "committees; establish a teaching rotation.",
            ),
        ),
    ),
    Section(
        slug="personal",
        title="Personal goals",
        intro="A career sits inside a life. Naming your personal goals helps you and a mentor see "
        "where work and life support each other and where they compete. Being honest with "
        "yourself about them is what makes the rest of this tool useful.",
        questions=(
            Question(
                "personal_goals",
                "What are your personal goals?",
                "For example: time with family, health, a role in your community, an interest "
                "outside medicine.",
            ),
            Question(
                "goals_interface",
                "How do your personal goals interface with your professional goals?",
                "Where do they support each other, and where do they pull against each other?",
            ),
        ),
    ),
    Section(
        slug="strengths",
        title="Strengths and challenges",
        intro="Strengths are both what you do well and what you find “engaging and energizing”. "
        "Challenges are the activities that sap your energy, or that you find deflating, dull or "
        "hard.",
        questions=(
            Question(
                "strengths",
                "What are your strengths?",
                "Things you do well or that energise you — for example: writing, program "
                "development, teaching, collaborative work.",
            ),
            Question(
                "challenges",
                "What are your challenges?",
                "Things that bore or drain you, or tasks you find difficult — for example: "
                "resolving administrative or team conflict, knowing which roles and tasks to take "
                "on, research.",
            ),
        ),
    ),
    Section(
        slug="needs",
        title="Mentoring needs",
        intro="Reflect on your goals, strengths and challenges: where would a mentor help most? "
        "For example: leadership skills, teaching skills, an institutional sponsor, a mentor for "
        "one project. One mentor rarely covers everything, so you can ask for several roles and "
        "build a board of mentors.",
        questions=(
            Question(
                "needs",
                "Areas where you want mentoring",
                "Give each area that matters to you now a priority; leave the others as “Not now”.",
                DIRECTORS,
            ),
            Question(
                "roles_wanted",
                "Mentor roles you want covered",
                "Tobin’s seven roles of a mentor. Choose the ones you would like at least one of "
                "your mentors to play.",
                DIRECTORS,
            ),
            Question(
                "location_preference",
                "Where may your mentors be?",
                "Promotion and sponsorship usually need someone who knows this institution; other "
                "needs can be met well by a mentor elsewhere, by video.",
                DIRECTORS,
            ),
            Question(
                "needs_notes",
                "Anything else about what you need",
                "For example: the project you want help with, or a kind of mentor you have "
                "found helpful before.",
            ),
        ),
    ),
    Section(
        slug="working",
        title="What helps you work effectively",
        intro="What makes you do your best work? Knowing it helps a mentor work with you rather "
        "than against your grain.",
        questions=(
            Question(
                "motivators",
                "What motivates you and helps you work more effectively?",
                "For example: clear goals, recognition, protected time, working alongside others.",
            ),
            Question(
                "communication_modes",
                "How do you prefer to communicate with a mentor?",
                "Choose all that work for you.",
                DIRECTORS,
            ),
            Question(
                "deadlines",
                "How do you work with deadlines?",
                "For example: “I do best with a firm date agreed at the end of each meeting.”",
            ),
        ),
    ),
    Section(
        slug="hindrances",
        title="What makes work harder",
        intro="Naming what gets in your way lets a mentor help you protect your time and energy.",
        questions=(
            Question(
                "hindrances",
                "What makes work more challenging for you?",
                "For example: interruptions, unclear expectations, an unpredictable schedule.",
            ),
        ),
    ),
    Section(
        slug="qualities",
        title="Qualities you value in colleagues",
        intro="Think about the work habits and relational qualities that best match your own "
        "needs and habits: they are what to look for in a mentor.",
        questions=(
            Question(
                "valued_qualities",
                "What qualities do you value in colleagues?",
                "For example: timeliness, being discreet, candour, a sense of humour.",
            ),
        ),
    ),
    Section(
        slug="pitch",
        title="Elevator pitch",
        intro="Optional. A short introduction to send to a potential mentor you have not met — at "
        "another institution, for example: who you are, a brief and compelling background story, "
        "and a directed request. In writing, keep it to one or two short paragraphs. Writing it "
        "is also a good way to sharpen your goals.",
        questions=(
            Question(
                "elevator_pitch",
                "Your elevator pitch",
                "For example: “I am an assistant professor of medicine at Northbridge, building a "
                "program in hospital medicine education. I admire your work on … and would value "
                "your advice on … Would you have 30 minutes for a video call next month?”",
            ),
        ),
        optional=True,
    ),
)

SECTION_BY_SLUG = {s.slug: s for s in SECTIONS}
QUESTION_BY_FIELD = {q.field: q for s in SECTIONS for q in s.questions}
# The free-text reflections, in the order the tool asks them.
TEXT_FIELDS = (
    "mission",
    "success_definition",
    "personal_goals",
    "goals_interface",
    "strengths",
    "challenges",
    "needs_notes",
    "motivators",
    "deadlines",
    "hindrances",
    "valued_qualities",
    "elevator_pitch",
)


def label_for(field: str) -> str:
    return QUESTION_BY_FIELD[field].label


def help_for(field: str) -> str:
    question = QUESTION_BY_FIELD[field]
    return f"{question.help} {VISIBILITY_TEXT[question.visibility]}"


def section_of(field: str) -> Section:
    return next(s for s in SECTIONS if field in s.fields)
