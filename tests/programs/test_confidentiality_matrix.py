"""The confidentiality matrix (issue 11): every kind of private material × every relation of the
viewer to it × every surface, with a unique marker planted in each piece of material.

Maya is "the person". Around her, in program A: Robert mentors her (the other party), Dora
directs program A *and* mentors Maya in a second relationship (a director who is also a
member), Gina is a peer in Maya's peer group, Olivia is Maya's outside mentor, Helen directs
program A from outside every relationship; Otto directs program B, Aisha is an institution
admin, Oskar is in no program.

Surfaces: every URL pattern of the URLconf (walked recursively; each needs a declared rule in
`URL_RULES` or, for third-party URLconfs, `PREFIX_RULES`, or the test fails), every email the
ledger would send for the planted material (re-addressed to every viewer), each viewer's
calendar feed, and the report export in CSV, XLSX and PDF plus the recognition CSV. Counts and
badges (which carry no text marker) are checked by value on the pages that show them.

Pages are requested with GET; the POST handlers that re-render a page on bad input render it
through the same functions (`render_meeting`, `_member_view`, `director_view`).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from matching.models import MentorRequest
from mentorship.notifications.kinds import BUILDERS, Kind
from mentorship.notifications.models import Notification
from programs.models import (
    AgendaItem,
    AssessmentShare,
    CareerSource,
    Cohort,
    Concern,
    Departure,
    DepartureReason,
    DirectorNote,
    ExportFormat,
    ExportKind,
    MemberSide,
    PrivateNote,
    Relationship,
    RelationshipKind,
    RelationshipMember,
    RelationshipRisk,
    RelationshipSource,
    RelationshipStage,
    ReportExport,
    ReviewInstrument,
    RiskReason,
    Role,
    SelfAssessment,
)
from programs.services.agreements import agreement_start
from programs.services.concerns import concern_raise
from programs.services.meetings import action_item_create, calendar_feed_create
from programs.services.reviews import review_token
from tests.factories import MembershipFactory, ProgramFactory, person
from tests.oversight_fixtures import answered_review
from tests.relationship_fixtures import past_meeting, submitted_assessment, upcoming_meeting

VIEWERS = (
    "maya",  # the person
    "robert",  # the other party
    "gina",  # a group peer
    "olivia",  # an outside mentor
    "dora",  # a director who is also a member
    "helen",  # a director of the program, in none of its relationships
    "otto",  # another program's director
    "aisha",  # the institution admin
    "oskar",  # an outsider
)
DIRECTORS_OF_A = {"helen", "dora", "aisha"}


# --- The planted world ---------------------------------------------------------------------------


@dataclass
class World:
    users: dict[str, Any]
    program: Any
    other_program: Any
    rel: dict[str, Relationship]
    meetings: dict[str, Any]
    ids: dict[str, int]
    feeds: dict[str, str] = field(default_factory=dict)
    review_tokens: list[str] = field(default_factory=list)
    # marker -> the viewers who may read it (somewhere)
    allowed: dict[str, set[str]] = field(default_factory=dict)


def _relationship(program, members, *, stage=RelationshipStage.ACTIVE, kind=None, **fields):
    """Written directly, so that the world does not depend on today's pairing rules."""
    relationship = Relationship.objects.create(
        program=program,
        kind=kind or RelationshipKind.ONE_TO_ONE,
        stage=stage,
        started_on=timezone.localdate() - timedelta(days=120),
        source=fields.pop("source", RelationshipSource.MANUAL),
        **fields,
    )
    for profile, side in members:
        RelationshipMember.objects.create(relationship=relationship, person=profile, side=side)
    agreement_start(relationship=relationship)
    return relationship


def build_world() -> World:
    a = ProgramFactory(name="Program A")
    b = ProgramFactory(name="Program B")
    names = {
        "maya": ("Maya", "Person"),
        "robert": ("Robert", "Otherparty"),
        "gina": ("Gina", "Peer"),
        "olivia": ("Olivia", "Outside"),
        "dora": ("Dora", "Directormember"),
        "helen": ("Helen", "Director"),
        "otto": ("Otto", "Elsewhere"),
        "aisha": ("Aisha", "Admin"),
        "oskar": ("Oskar", "Outsider"),
    }
    profiles = {
        key: person(f"{key}@matrix.test", given_name=given, family_name=family)
        for key, (given, family) in names.items()
    }
    users = {key: p.user for key, p in profiles.items()}
    users["aisha"].is_institution_admin = True
    users["aisha"].save(update_fields=["is_institution_admin"])
    cohort = Cohort.objects.create(
        program=a,
        name="2026",
        starts_on=timezone.localdate() - timedelta(days=200),
        ends_on=timezone.localdate() + timedelta(days=200),
    )
    m_maya = MembershipFactory(program=a, person=profiles["maya"], role=Role.MENTEE, cohort=cohort)
    MembershipFactory(program=a, person=profiles["robert"], role=Role.MENTOR, mentor_capacity=3)
    MembershipFactory(program=a, person=profiles["gina"], role=Role.MENTEE)
    MembershipFactory(program=a, person=profiles["dora"], role=Role.DIRECTOR)
    MembershipFactory(program=a, person=profiles["helen"], role=Role.DIRECTOR)
    MembershipFactory(program=b, person=profiles["otto"], role=Role.DIRECTOR)

    p = profiles
    rel = {
        "R1": _relationship(a, [(p["maya"], MemberSide.MENTEE), (p["robert"], MemberSide.MENTOR)]),
        "R2": _relationship(a, [(p["maya"], MemberSide.MENTEE), (p["dora"], MemberSide.MENTOR)]),
        "G": _relationship(
            a,
            [(p["maya"], MemberSide.PEER), (p["gina"], MemberSide.PEER)],
            kind=RelationshipKind.PEER_GROUP,
        ),
        "R3": _relationship(
            a,
            [(p["maya"], MemberSide.MENTEE), (p["olivia"], MemberSide.MENTOR)],
            source=RelationshipSource.OUTSIDE,
        ),
        "E1": _relationship(
            a,
            [(p["maya"], MemberSide.MENTEE), (p["robert"], MemberSide.MENTOR)],
            stage=RelationshipStage.ENDED,
            ended_at=timezone.now() - timedelta(days=5),
            ended_by=users["maya"],
            ended_reason="MK-ENDED-E1",
        ),
        "E2": _relationship(
            a,
            [(p["maya"], MemberSide.MENTEE), (p["dora"], MemberSide.MENTOR)],
            stage=RelationshipStage.ENDED,
            ended_at=timezone.now() - timedelta(days=5),
            ended_by=users["maya"],
            ended_reason="MK-ENDED-E2",
        ),
    }
    allowed: dict[str, set[str]] = {}

    # Self-evaluation: version 1 shared with Robert, version 2 (the newest) shared with nobody.
    v1 = submitted_assessment(users["maya"], goals=("MK-GOAL-V1",), version=1)
    v2 = submitted_assessment(users["maya"], goals=("MK-GOAL-V2",), version=2)
    SelfAssessment.objects.filter(pk=v1.pk).update(mission="MK-REFLECTION-V1")
    SelfAssessment.objects.filter(pk=v2.pk).update(mission="MK-REFLECTION-V2")
    share = AssessmentShare.objects.create(assessment=v1, shared_with=p["robert"])
    allowed["MK-REFLECTION-V1"] = allowed["MK-GOAL-V1"] = {"maya", "robert"}
    allowed["MK-REFLECTION-V2"] = allowed["MK-GOAL-V2"] = {"maya"}

    # Meetings: one held (with Maya's private note) and one coming, in every open relationship.
    meetings = {}
    for key in ("R1", "R2", "G", "R3"):
        meetings[f"{key}-past"] = past_meeting(rel[key], days_ago=20)
        meetings[f"{key}-next"] = upcoming_meeting(rel[key], days_ahead=3)
        PrivateNote.objects.create(
            meeting=meetings[f"{key}-past"], author=p["maya"], text=f"MK-PRIVATE-{key}"
        )
        allowed[f"MK-PRIVATE-{key}"] = {"maya"}
    agenda = AgendaItem.objects.create(
        meeting=meetings["R1-next"], topic="Grant plan", added_by=p["maya"], order=1
    )
    item = action_item_create(
        relationship=rel["R1"], owner=p["maya"], title="Send the draft", by=users["maya"]
    )

    # Maya's review answers, a risk flag on R1 and on R2, her concerns, directors' notes.
    # Each is for the program's directors who are not in that relationship, and admins.
    risk_labels = {"R1": RiskReason.WANTS_TO_END, "R2": RiskReason.SHARP_DROP}
    for key in ("R1", "R2", "G", "R3"):
        outside = DIRECTORS_OF_A - ({"dora"} if key == "R2" else set())
        response = answered_review(rel[key], users["maya"], score="1.3", choice="end")
        response.comment_for_directors = f"MK-REVIEW-{key}"
        response.save(update_fields=["comment_for_directors"])
        allowed[f"MK-REVIEW-{key}"] = outside
        if key in risk_labels:
            RelationshipRisk.objects.create(
                relationship=rel[key], reason=risk_labels[key], review=response
            )
            allowed[risk_labels[key].label] = outside
        concern_raise(
            relationship=rel[key], category="other", text=f"MK-CONCERN-{key}", by=users["maya"]
        )
        allowed[f"MK-CONCERN-{key}"] = outside | {"maya"}
        DirectorNote.objects.create(
            relationship=rel[key],
            author=users["helen"],
            held_on=timezone.localdate() - timedelta(days=1),
            text=f"MK-DNOTE-{key}",
        )
        allowed[f"MK-DNOTE-{key}"] = outside
    allowed["MK-ENDED-E1"] = DIRECTORS_OF_A
    allowed["MK-ENDED-E2"] = DIRECTORS_OF_A - {"dora"}

    request = MentorRequest.objects.create(
        program=a,
        mentee=p["gina"],
        mentor=p["robert"],
        message="Would you mentor me?",
        expires_at=timezone.now() + timedelta(days=10),
    )
    instrument = ReviewInstrument.objects.create(name="Program A's own", program=a)
    export = ReportExport.objects.create(
        program=a,
        requested_by=users["helen"],
        format=ExportFormat.CSV,
        period_start=timezone.localdate() - timedelta(days=365),
        period_end=timezone.localdate(),
    )
    all_programs = ReportExport.objects.create(
        institution=a.institution,
        kind=ExportKind.INSTITUTION_REPORT,
        requested_by=users["aisha"],
        format=ExportFormat.PDF,
        period_start=timezone.localdate() - timedelta(days=365),
        period_end=timezone.localdate(),
    )
    # A departure recorded on Maya's career record, with a note for the institution's record.
    departure = Departure.objects.create(
        person=p["maya"],
        left_on=timezone.localdate() - timedelta(days=10),
        reason=DepartureReason.MOVED,
        note="MK-DEPARTURE-NOTE",
        source=CareerSource.RECORDED,
        recorded_by=users["helen"],
    )
    allowed["MK-DEPARTURE-NOTE"] = set(DIRECTORS_OF_A)
    review = rel["R1"].review_requests.get(respondent=p["maya"])
    world = World(
        users=users,
        program=a,
        other_program=b,
        rel=rel,
        meetings=meetings,
        ids={
            "share": share.pk,
            "departure": departure.pk,
            "v1": v1.pk,
            "v2": v2.pk,
            "membership": m_maya.pk,
            "cohort": cohort.pk,
            "request": request.pk,
            "instrument": instrument.pk,
            "export": export.pk,
            "all_programs_export": all_programs.pk,
            "agenda": agenda.pk,
            "item": item.pk,
            "review": review.pk,
            "concern": Concern.objects.get(text="MK-CONCERN-R1").pk,
            "concern_r2": Concern.objects.get(text="MK-CONCERN-R2").pk,
            "robert": p["robert"].pk,
            "maya": p["maya"].pk,
        },
        allowed=allowed,
    )
    world.review_tokens = [review_token(review)]
    for key, user in users.items():
        world.feeds[key] = calendar_feed_create(person=user.profile, by=user).token
    return world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """Planted once for the module, inside a transaction rolled back at the end; each test
    runs in a savepoint of its own."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            from tests.assessment_factories import ensure_reference_data

            ensure_reference_data()
            yield build_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def clients(world, db) -> dict[str, Client]:
    made = {}
    for key, user in world.users.items():
        made[key] = Client()
        made[key].force_login(user)
    return made


def leaks(world: World, viewer: str, text: str) -> list[str]:
    return [m for m, who in world.allowed.items() if viewer not in who and m in text]


# --- Every URL pattern has a declared rule -------------------------------------------------------

Kwargs = Callable[[World, str], list[dict[str, Any]]]


def one(**fixed: Any) -> Kwargs:
    return lambda w, v: [fixed]


def program_pks(**more: Callable[[World], Any]) -> Kwargs:
    return lambda w, v: [
        {"pk": pk, **{k: f(w) for k, f in more.items()}}
        for pk in (w.program.pk, w.other_program.pk)
    ]


def relationship_pks(**more: Callable[[World], Any]) -> Kwargs:
    return lambda w, v: [{"pk": r.pk, **{k: f(w) for k, f in more.items()}} for r in w.rel.values()]


def meeting_pks(**more: Callable[[World], Any]) -> Kwargs:
    """Every relationship's held meeting (private notes, goal menus) and R1's next one
    ("start from last time")."""
    keys = ("R1-past", "R2-past", "G-past", "R3-past", "R1-next")
    return lambda w, v: [
        {"pk": w.meetings[key].pk, **{k: f(w) for k, f in more.items()}} for key in keys
    ]


def concern_pks() -> Kwargs:
    return lambda w, v: [{"pk": pk} for pk in Concern.objects.values_list("pk", flat=True)]


def version_pks(**more: Callable[[World], Any]) -> Kwargs:
    return lambda w, v: [
        {"pk": w.ids[k], **{n: f(w) for n, f in more.items()}} for k in ("v1", "v2")
    ]


NONE: Kwargs = one()


@dataclass(frozen=True)
class Rule:
    """Who may use a URL, in words, and the planted objects to request it with. `only`: the
    viewers who may get a 200 (checked when given)."""

    who: str
    kwargs: Kwargs = NONE
    only: frozenset[str] | None = None


DIRECTORS = frozenset(DIRECTORS_OF_A | {"otto"})  # directors of *a* program (A or B) and admins
ADMIN = frozenset({"aisha"})
MEMBER = "the people in the relationship; its program's directors see the director view"
MEMBER_ONLY = "the people in the relationship only (directors: 403)"
DIRECTOR = "the program's directors and admins (members of the program: 403; others: 404)"
OWN = "the signed-in person's own page"

URL_RULES: dict[str, Rule] = {
    "healthz": Rule("anyone (liveness)"),
    "readyz": Rule("anyone (readiness: database and broker reachable)"),
    "home": Rule(OWN),
    "invitation_accept": Rule("anyone holding the invitation token", one(token="not-a-token")),
    "profile_edit": Rule(OWN),
    "profile_detail": Rule(
        "the person; people sharing a relationship; directors of their programs; admins",
        lambda w, v: [{"pk": w.ids["maya"]}, {"pk": w.ids["robert"]}],
    ),
    "profile_photo": Rule(OWN + " (POST: one's own photo only)"),
    "profile_photo_remove": Rule(OWN + " (POST: one's own photo only)"),
    "person_photo": Rule(
        "whoever may open the person's profile (profiles_visible_to); 404 otherwise",
        lambda w, v: [{"pk": w.ids["maya"]}, {"pk": w.ids["robert"]}],
    ),
    "person_career": Rule(
        "admins and the directors of a program the person is in (everyone else, the person "
        "included: 404)",
        lambda w, v: [{"pk": w.ids["maya"]}, {"pk": w.ids["robert"]}],
        frozenset(DIRECTORS_OF_A),
    ),
    "departure_new": Rule(
        "admins and the directors of a program the person is in (POST)",
        lambda w, v: [{"pk": w.ids["maya"]}],
        frozenset(),
    ),
    "departure_edit": Rule(
        "admins and the directors of a program the person is in; a departure of that person",
        lambda w, v: [{"pk": w.ids["maya"], "departure_pk": w.ids["departure"]}],
        frozenset(DIRECTORS_OF_A),
    ),
    "departure_withdraw": Rule(
        "admins and the directors of a program the person is in (POST)",
        lambda w, v: [{"pk": w.ids["maya"], "departure_pk": w.ids["departure"]}],
        frozenset(),
    ),
    "notifications:preferences": Rule(OWN),
    "notifications:centre": Rule(OWN),
    "notifications:mark_all_read": Rule(OWN),
    # Someone else's notification is a 404 (the planted ids are other people's or none).
    "notifications:open": Rule("the notification's recipient only", one(pk=999_999)),
    "notifications:mark_read": Rule("the notification's recipient only", one(pk=999_999)),
    "notifications:unsubscribe": Rule("anyone holding the signed token", one(token="x")),
    # Self-evaluation
    "assessments:hub": Rule(OWN),
    "assessments:start": Rule(OWN),
    "assessments:compare": Rule(OWN),
    "assessments:review": Rule("the owner (drafts)", version_pks()),
    "assessments:discard": Rule("the owner (drafts)", version_pks()),
    "assessments:sharing": Rule("the owner", version_pks()),
    "assessments:unshare": Rule("the owner", version_pks(share_pk=lambda w: w.ids["share"])),
    "assessments:step": Rule("the owner (drafts)", version_pks(slug=lambda w: "mission")),
    "assessments:autosave": Rule("the owner (drafts)", version_pks(slug=lambda w: "mission")),
    "assessments:version": Rule(
        "the owner; mentors it is shared with (whole); directors and admins (structured parts)",
        version_pks(),
    ),
    "assessments:print": Rule("the owner; mentors it is shared with", version_pks()),
    "assessments:pdf": Rule("the owner; mentors it is shared with", version_pks()),
    "assessments:mentor_offer": Rule(OWN),
    "assessments:training_add": Rule(OWN),
    "assessments:training_remove": Rule("the trainee", one(pk=999999)),
    # Programs
    "programs:list": Rule("programs the viewer belongs to; admins: all"),
    "programs:detail": Rule("members of the program, its directors, admins", program_pks()),
    "programs:settings": Rule(DIRECTOR, program_pks(), DIRECTORS),
    "programs:members": Rule(DIRECTOR, program_pks(), DIRECTORS),
    "programs:member_add": Rule(DIRECTOR, program_pks(), DIRECTORS),
    "programs:member_edit": Rule(
        DIRECTOR, program_pks(member_pk=lambda w: w.ids["membership"]), DIRECTORS
    ),
    "programs:member_remove": Rule(
        DIRECTOR, program_pks(member_pk=lambda w: w.ids["membership"]), DIRECTORS
    ),
    "programs:directors": Rule(DIRECTOR, program_pks(), DIRECTORS),
    "programs:join": Rule(
        "faculty of the program's institution who are not in it (everyone else: 404)",
        program_pks(),
    ),
    "programs:join_answer": Rule(
        DIRECTOR + " (POST)", program_pks(request_pk=lambda w: 999999), DIRECTORS
    ),
    "programs:bounces": Rule(DIRECTOR, program_pks(), DIRECTORS),
    "programs:bounce_clear": Rule(DIRECTOR, program_pks(bounce_pk=lambda w: 999999), DIRECTORS),
    "programs:needs": Rule(DIRECTOR, program_pks(), DIRECTORS),
    "programs:cohort_new": Rule(DIRECTOR, program_pks(), DIRECTORS),
    "programs:cohort_edit": Rule(
        DIRECTOR, program_pks(cohort_pk=lambda w: w.ids["cohort"]), DIRECTORS
    ),
    # Institution
    "institution:home": Rule("admins", only=ADMIN),
    "institution:program_new": Rule("admins", only=ADMIN),
    "institution:invite": Rule("admins", only=ADMIN),
    "institution:invitation_action": Rule("admins", one(pk=999999, action="resend"), ADMIN),
    "institution:people": Rule("admins", only=ADMIN),
    "institution:roster": Rule("admins", only=ADMIN),
    "institution:roster_preview": Rule("the admin who uploaded it", one(pk=999999), ADMIN),
    "institution:roster_confirm": Rule("the admin who uploaded it", one(pk=999999), ADMIN),
    "institution:reference_home": Rule("admins", only=ADMIN),
    # Single sign-on settings (issue 14): admins only; the IdP's client secret is never shown.
    "institution:sign_in": Rule("admins", only=ADMIN),
    "institution:sign_in_edit": Rule(
        "admins", lambda w, v: [{"pk": w.program.institution_id}], ADMIN
    ),
    "institution:sp_metadata": Rule(
        "admins (public SAML service-provider metadata, as a file)",
        lambda w, v: [{"pk": w.program.institution_id}],
        ADMIN,
    ),
    # The sign-in pages single sign-on adds ahead of allauth's: no program data.
    "account_login": Rule("anyone: allauth's sign-in form, sending SSO domains to their IdP"),
    "sso_link": Rule("the person an IdP just vouched for, with a pending link in the session"),
    "sso_signed_out": Rule("anyone: the offer to sign out at the IdP after signing out here"),
    "sso_idp_logout": Rule("anyone (POST only): sends the browser to the IdP's sign-out"),
    "sso_start": Rule("anyone (POST only): the Sign in with <Institution> button", one(slug="nb")),
    "institution:reference": Rule("admins", one(kind="ranks"), ADMIN),
    "institution:reports": Rule("admins (directors: 403)", only=ADMIN),
    "institution:report_export": Rule("admins, after re-authenticating (POST; directors: 403)"),
    "institution:report_export_status": Rule(
        "the admin who asked for it (directors and everyone else: 403; other admins: 404)",
        lambda w, v: [{"export_pk": w.ids["all_programs_export"]}],
        ADMIN,
    ),
    "institution:report_export_download": Rule(
        "the admin who asked for it (directors and everyone else: 403; other admins: 404)",
        lambda w, v: [{"export_pk": w.ids["all_programs_export"]}],
        ADMIN,
    ),
    "institution:report_export_action": Rule(
        "the admin who asked for it (POST: stop or try again)",
        lambda w, v: [{"export_pk": w.ids["all_programs_export"], "action": "x"}],
        frozenset(),
    ),
    "institution:people_search": Rule("admins", only=ADMIN),
    "institution:supervisor_edit": Rule("admins", lambda w, v: [{"pk": w.ids["maya"]}], ADMIN),
    "institution:directory": Rule("admins", only=ADMIN),
    "institution:department_edit": Rule("admins", one(pk=999999), frozenset()),
    "institution:division_edit": Rule("admins", one(pk=999999), frozenset()),
    # Relationships, dashboards, calendars
    "mentee_board": Rule(OWN),
    "outside_mentor_new": Rule("mentees of a program"),
    "circle_join": Rule(
        "participants of the circle's program, while it is open (others: 404)", relationship_pks()
    ),
    "circle_join_requests": Rule(
        "the circle's facilitator and the program's directors (its members: 403; others: 404)",
        relationship_pks(),
    ),
    "circle_request_answer": Rule(
        "the circle's facilitator and the program's directors (POST)",
        relationship_pks(request_pk=lambda w: 999999),
    ),
    "mentor_dashboard": Rule(OWN),
    "calendar_settings": Rule(OWN),
    "calendar_feed": Rule(
        "anyone holding the feed token (their own meetings only)",
        lambda w, v: [{"token": w.feeds[v]}],
    ),
    "program_relationships": Rule(DIRECTOR, program_pks(), DIRECTORS),
    "program_dashboard": Rule(DIRECTOR, program_pks(), DIRECTORS),
    "mentor_recognition": Rule(DIRECTOR, program_pks(), DIRECTORS),
    "review_instrument_import": Rule(DIRECTOR + " (POST)", program_pks()),
    "review_instrument_export": Rule(
        DIRECTOR + " (shipped instruments and the program's own)",
        program_pks(instrument_pk=lambda w: 999999),
        frozenset(),
    ),
    "review_instrument_format": Rule("anyone signed in: the documented file format, no data"),
    "program_training": Rule(
        "the program's directors and admins (everyone else, members included: 404)",
        program_pks(),
        DIRECTORS,
    ),
    "training_remind": Rule(
        "the program's directors and admins (POST; everyone else: 404)", program_pks()
    ),
    "recognition_new": Rule(
        "the program's directors and admins (POST; everyone else: 404)", program_pks()
    ),
    "training_session": Rule(
        "the program's directors and admins, for a session of that program",
        program_pks(session_pk=lambda w: 999999),
        frozenset(),
    ),
    "training_attendance_import": Rule(
        "the program's directors and admins (POST), for a session of that program",
        program_pks(session_pk=lambda w: 999999),
        frozenset(),
    ),
    "my_training": Rule(OWN),
    "my_training_certificate": Rule(OWN + " (PDF of one's own recorded training)"),
    "program_outcomes": Rule(
        "the program's directors and admins (everyone else, members included: 404)",
        program_pks(),
        DIRECTORS,
    ),
    "mentor_recognition_csv": Rule(DIRECTOR + ", after re-authenticating", program_pks()),
    "relationship_new": Rule(DIRECTOR, program_pks(), DIRECTORS),
    "program_roster": Rule(DIRECTOR, program_pks(), DIRECTORS),
    "program_roster_preview": Rule(
        "the director who uploaded it", program_pks(roster_pk=lambda w: 999999), frozenset()
    ),
    "program_roster_confirm": Rule(
        "the director who uploaded it", program_pks(roster_pk=lambda w: 999999), frozenset()
    ),
    "program_reports": Rule(DIRECTOR, program_pks(), DIRECTORS),
    "report_export": Rule(DIRECTOR + ", after re-authenticating (POST)", program_pks()),
    "table_export": Rule(
        DIRECTOR + ", after re-authenticating (POST)", program_pks(kind=lambda w: "relationships")
    ),
    "report_export_status": Rule(
        "the director who asked for it", program_pks(export_pk=lambda w: w.ids["export"])
    ),
    "report_export_download": Rule(
        "the director who asked for it", program_pks(export_pk=lambda w: w.ids["export"])
    ),
    "program_concerns": Rule(DIRECTOR, program_pks(), DIRECTORS),
    "relationship_detail": Rule(MEMBER, relationship_pks()),
    "relationship_agreement": Rule(MEMBER_ONLY, relationship_pks()),
    "agreement_confirm": Rule(MEMBER_ONLY + " (POST)", relationship_pks()),
    "pilot_confirm": Rule(MEMBER_ONLY + " (POST)", relationship_pks()),
    "relationship_reassign": Rule(DIRECTOR + " (POST)", relationship_pks()),
    "relationship_extend_pilot": Rule(DIRECTOR + " (POST)", relationship_pks()),
    "director_note_add": Rule(DIRECTOR + " (POST)", relationship_pks()),
    "relationship_end": Rule(MEMBER, relationship_pks()),
    "relationship_conclude": Rule(MEMBER + " (POST)", relationship_pks()),
    "relationship_keep_going": Rule(MEMBER_ONLY + " (POST)", relationship_pks()),
    "relationship_alumni": Rule(MEMBER_ONLY + " (POST)", relationship_pks()),
    "action_item_add": Rule(MEMBER_ONLY + " (POST)", relationship_pks()),
    "action_item_status": Rule(
        MEMBER_ONLY + " (POST)", relationship_pks(item_pk=lambda w: w.ids["item"])
    ),
    "checkin_new": Rule(MEMBER_ONLY, relationship_pks()),
    "meeting_new": Rule(MEMBER_ONLY, relationship_pks()),
    "concern_new": Rule(MEMBER_ONLY, relationship_pks()),
    "meeting_detail": Rule(MEMBER_ONLY, meeting_pks()),
    "meeting_edit": Rule(MEMBER_ONLY, meeting_pks()),
    "meeting_cancel": Rule(MEMBER_ONLY + " (POST)", meeting_pks()),
    "agenda_add": Rule(MEMBER_ONLY + " (POST)", meeting_pks()),
    "agenda_remove": Rule(MEMBER_ONLY + " (POST)", meeting_pks(item_pk=lambda w: w.ids["agenda"])),
    "meeting_notes": Rule(MEMBER_ONLY + " (POST)", meeting_pks()),
    "private_note": Rule("the note's author (POST)", meeting_pks()),
    "meeting_notes_autosave": Rule(MEMBER_ONLY + " (POST)", meeting_pks()),
    "private_note_autosave": Rule("the note's author (POST)", meeting_pks()),
    "meeting_log": Rule(MEMBER_ONLY + " (POST)", meeting_pks()),
    "recap_write": Rule(MEMBER_ONLY + " (POST)", meeting_pks()),
    "recap_confirm": Rule(MEMBER_ONLY + " (POST)", meeting_pks()),
    "meeting_ics": Rule(MEMBER_ONLY, meeting_pks()),
    "concern_detail": Rule(
        "the person who raised it; the program's directors outside the relationship",
        concern_pks(),
    ),
    "concern_acknowledge": Rule("directors outside the relationship (POST)", concern_pks()),
    "concern_resolve": Rule("directors outside the relationship (POST)", concern_pks()),
    "concern_reopen": Rule("directors outside the relationship (POST)", concern_pks()),
    "concern_note": Rule("directors outside the relationship (POST)", concern_pks()),
    # Reviews
    "review_answer": Rule(
        "the respondent, through the emailed link",
        lambda w, v: [{"token": t} for t in w.review_tokens],
    ),
    "my_reviews": Rule(OWN),
    "review_done": Rule("the respondent", lambda w, v: [{"pk": w.ids["review"]}]),
    "program_reviews": Rule(DIRECTOR, program_pks(), DIRECTORS),
    "review_instruments": Rule(DIRECTOR, program_pks(), DIRECTORS),
    "review_instrument_new": Rule(DIRECTOR, program_pks(), DIRECTORS),
    "review_instrument_edit": Rule(
        DIRECTOR, program_pks(instrument_pk=lambda w: w.ids["instrument"])
    ),
    "review_instrument_copy": Rule(
        DIRECTOR + " (POST)", program_pks(instrument_pk=lambda w: w.ids["instrument"])
    ),
    "review_results": Rule(
        "the program's directors and admins outside the relationship", relationship_pks()
    ),
    "risk_clear": Rule(
        "the program's directors and admins outside the relationship (POST)", relationship_pks()
    ),
    # Matching
    "matching:shortlist": Rule("mentees of the program", program_pks()),
    "matching:request_new": Rule(
        "mentees of the program", program_pks(mentor_pk=lambda w: w.ids["robert"])
    ),
    "matching:mark": Rule(
        "mentees of the program (POST)", program_pks(mentor_pk=lambda w: w.ids["robert"])
    ),
    "matching:declare_conflict": Rule(
        "mentees of the program", program_pks(mentor_pk=lambda w: w.ids["robert"])
    ),
    "matching:my_requests": Rule(OWN),
    "matching:request_detail": Rule(
        "the two people in the request; the program's directors",
        lambda w, v: [{"request_pk": w.ids["request"]}],
    ),
    "matching:request_withdraw": Rule(
        "the mentee who asked; the program's directors for an outside mentor's invitation (POST)",
        lambda w, v: [{"request_pk": w.ids["request"]}],
    ),
    "matching:peers": Rule(
        "participants of the program when it offers peer mentoring or circles", program_pks()
    ),
    "matching:peer_propose": Rule(
        "participants of a peer program, about another participant",
        program_pks(peer_pk=lambda w: w.ids["maya"]),
    ),
    "matching:hub": Rule(DIRECTOR, program_pks(), DIRECTORS),
    "matching:weights": Rule(DIRECTOR, program_pks(), DIRECTORS),
    "matching:rules": Rule(DIRECTOR, program_pks(), DIRECTORS),
    "matching:rule_remove": Rule(DIRECTOR + " (POST)", program_pks(rule_pk=lambda w: 999999)),
    "matching:assign": Rule(DIRECTOR, program_pks(), DIRECTORS),
    "matching:fairness": Rule(DIRECTOR, program_pks(), DIRECTORS),
    "matching:run_new": Rule(DIRECTOR + " (POST)", program_pks()),
    "matching:run": Rule(DIRECTOR, program_pks(run_pk=lambda w: 999999), frozenset()),
    "matching:run_progress": Rule(DIRECTOR, program_pks(run_pk=lambda w: 999999), frozenset()),
    "matching:run_publish": Rule(DIRECTOR + " (POST)", program_pks(run_pk=lambda w: 999999)),
    "matching:run_discard": Rule(DIRECTOR + " (POST)", program_pks(run_pk=lambda w: 999999)),
    "matching:run_control": Rule(
        DIRECTOR + " (POST: stop or try again)",
        program_pks(run_pk=lambda w: 999999, action=lambda w: "x"),
    ),
    "report_export_action": Rule(
        "the director who asked for it (POST: stop or try again)",
        program_pks(export_pk=lambda w: w.ids["export"], action=lambda w: "x"),
    ),
    "notifications:delivery_notice": Rule(
        "admins: institution-wide email delivery health; directors: the figures of the "
        "programs they direct (names and counts only); everyone else an empty answer"
    ),
    "notifications:delivery": Rule("institution admins only (others: 403)", NONE, ADMIN),
    "matching:run_rerun": Rule(DIRECTOR + " (POST)", program_pks(run_pk=lambda w: 999999)),
    "matching:group_facilitator": Rule(
        DIRECTOR + " (POST)", program_pks(run_pk=lambda w: 999999, group=lambda w: 1)
    ),
    "matching:suggestion_action": Rule(
        DIRECTOR + " (POST)",
        program_pks(run_pk=lambda w: 999999, suggestion_pk=lambda w: 1, action=lambda w: "keep"),
    ),
}

URL_RULES["admin:login"] = Rule("the technical admin's sign-in form: anyone")

# Third-party URLconfs: their own rule for every pattern they include.
PREFIX_RULES: dict[str, Rule] = {
    "accounts/": Rule("allauth's sign-in, password and two-factor pages: no program data"),
    "django-admin/": Rule(
        "Django's technical admin: staff only (nobody in the cast is staff)", only=frozenset()
    ),
}


def walk(
    patterns: list[Any], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, list[str]]]:
    """(route, name, keyword names) of every URL pattern, recursively."""
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = (
                f"{namespace}:{p.namespace}"
                if namespace and p.namespace
                else (p.namespace or namespace)
            )
            yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else (p.name or "")
            keys = list(p.pattern.regex.groupindex)
            yield prefix + str(p.pattern), name, keys


def rule_for(route: str, name: str) -> Rule | None:
    if name in URL_RULES:
        return URL_RULES[name]
    for prefix, rule in PREFIX_RULES.items():
        if route.startswith(prefix):
            return rule
    return None


def test_every_url_pattern_has_a_declared_access_rule():
    undeclared = [
        (route, name)
        for route, name, _ in walk(get_resolver().url_patterns)
        if rule_for(route, name) is None
    ]
    assert not undeclared, f"URL patterns without a declared access rule: {undeclared}"
    stale = set(URL_RULES) - {name for _, name, _ in walk(get_resolver().url_patterns)}
    assert not stale, f"Rules for URL patterns that no longer exist: {stale}"


def _path(route: str, kwargs: dict[str, Any]) -> str:
    """Fill a route's converters (or a third-party regex's groups) with planted values."""
    import re

    path = route
    for key, value in kwargs.items():
        path = re.sub(rf"<(?:\w+:)?{key}>", str(value), path)
    # Third-party regexes: any group gets a harmless value.
    path = re.sub(r"\(\?P<\w+>[^)]*\)", "x", path).lstrip("^").replace("$", "")
    path = re.sub(r"<(?:\w+:)?\w+>", "1", path)
    return "/" + path


# --- Surface 1: every URL pattern, for every viewer ------------------------------------------------


def test_no_page_shows_private_material_to_anyone_it_is_not_for(world, clients):
    problems: list[str] = []
    seen: dict[str, set[str]] = {m: set() for m in world.allowed}
    for route, name, keys in walk(get_resolver().url_patterns):
        rule = rule_for(route, name)
        assert rule is not None
        # Third-party pages know nothing of programs: two viewers are enough there.
        third_party = name not in URL_RULES and route.startswith(tuple(PREFIX_RULES))
        post_only = False
        for viewer in ("maya", "aisha") if third_party else VIEWERS:
            variants = rule.kwargs(world, viewer) if keys else [{}]
            for kwargs in variants:
                if post_only:
                    break
                url = _path(route, kwargs)
                responses = [clients[viewer].get(url)]
                # A POST-only view answers 405 before it reads anything, whoever asks: one
                # request says so for all (its error re-renders use the pages checked here).
                post_only = responses[0].status_code == 405
                if name in HTMX_FRAGMENTS:  # the fragment htmx swaps in is a surface too
                    responses.append(clients[viewer].get(url, headers={"HX-Request": "true"}))
                for response in responses:
                    problems += _check(world, viewer, url, name, rule, response, seen)
    assert not problems, "\n".join(problems)
    # Every piece of material does appear for someone it is for (the plant works).
    missing = {m for m, who in seen.items() if not who}
    assert not missing, f"Planted material nobody saw anywhere: {missing}"


HTMX_FRAGMENTS = {
    "report_export_status",
    "institution:report_export_status",
    "matching:run_progress",
    "assessments:autosave",
}


def _check(
    world: World, viewer: str, url: str, name: str, rule: Rule, response: Any, seen: dict
) -> list[str]:
    """What is wrong with one response: a 200 for someone the rule leaves out, or a marker
    the viewer may not read. Records who saw which marker."""
    problems: list[str] = []
    if rule.only is not None and response.status_code == 200 and viewer not in rule.only:
        problems.append(f"{viewer} got 200 on {url} ({name}: {rule.who})")
    body = _text(response)
    problems += [f"{m} shown to {viewer} on {url} ({name})" for m in leaks(world, viewer, body)]
    for marker in world.allowed:
        if marker in body:
            seen[marker].add(viewer)
    return problems


def _text(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


EXPECTED_SIGHTINGS = [
    # (viewer, url name, kwargs, marker): where each kind of material is meant to be read.
    ("maya", "assessments:version", ("v2",), "MK-REFLECTION-V2"),
    ("robert", "assessments:version", ("v1",), "MK-REFLECTION-V1"),
    ("robert", "relationship_detail", ("R1",), "MK-GOAL-V1"),
    ("maya", "relationship_detail", ("R1",), "MK-GOAL-V2"),
    ("maya", "meeting_detail", ("R1-past",), "MK-PRIVATE-R1"),
    ("helen", "review_results", ("R2",), "MK-REVIEW-R2"),
    ("dora", "review_results", ("R1",), "MK-REVIEW-R1"),
    ("helen", "program_relationships", ("A",), RiskReason.SHARP_DROP.label),
    ("dora", "program_relationships", ("A",), RiskReason.WANTS_TO_END.label),
    ("helen", "relationship_detail", ("E2",), "MK-ENDED-E2"),
    ("dora", "relationship_detail", ("E1",), "MK-ENDED-E1"),
    ("aisha", "relationship_detail", ("R2",), "MK-DNOTE-R2"),
    ("dora", "relationship_detail", ("G",), "MK-DNOTE-G"),
]


def test_each_kind_of_material_is_shown_to_those_it_is_for(world, clients):
    from django.urls import reverse

    def arg(key: str) -> int:
        if key == "A":
            return world.program.pk
        if key in world.rel:
            return world.rel[key].pk
        if key in world.meetings:
            return world.meetings[key].pk
        return world.ids[key]

    for viewer, name, keys, marker in EXPECTED_SIGHTINGS:
        body = _text(clients[viewer].get(reverse(name, args=[arg(k) for k in keys])))
        assert marker in body, (viewer, name, marker)
    concern = reverse("concern_detail", args=[world.ids["concern_r2"]])
    assert "MK-CONCERN-R2" in _text(clients["helen"].get(concern))
    assert "MK-CONCERN-R2" in _text(clients["maya"].get(concern))
    assert clients["dora"].get(concern).status_code == 404


# --- Counts and badges: no text to mark, so compare the numbers ------------------------------------


def test_counts_and_badges_leave_out_what_the_viewer_may_not_know(world, clients):
    from django.urls import reverse

    a = world.program.pk
    # Helen oversees all four concerns and both risk flags; Dora (in R2) three and one.
    for viewer, concerns, at_risk in (("helen", 4, 2), ("dora", 3, 1)):
        client = clients[viewer]
        home = client.get(reverse("home"))
        attention = {p.pk: p for p in home.context["directed_programs"]}[a]
        assert (attention.open_concerns, attention.at_risk) == (concerns, at_risk), viewer
        dashboard = client.get(reverse("program_dashboard", args=[a]) + "?refresh=1")
        assert dashboard.context["d"].open_concerns == concerns, viewer
        assert dashboard.context["d"].at_risk_total == at_risk, viewer
        table = client.get(reverse("program_relationships", args=[a]))
        rows = {r.pk: r for r in table.context["page"]}
        r2 = rows[world.rel["R2"].pk]
        mine = viewer == "dora"
        assert (r2.concern_count, r2.at_risk, r2.lowest_score is None) == (
            (0, False, True) if mine else (1, True, False)
        ), viewer
        reviews = client.get(reverse("program_reviews", args=[a]))
        assert len(reviews.context["at_risk"]) == at_risk, viewer
        detail = client.get(reverse("programs:detail", args=[a]))
        assert detail.context["at_risk_count"] == at_risk, viewer
        inbox = client.get(reverse("program_concerns", args=[a]))
        assert len(list(inbox.context["page"])) == concerns, viewer
    # The per-relationship answer and the per-query gate agree, for everyone.
    from programs.access import relationship_access, relationships_overseen_by

    for viewer, user in world.users.items():
        overseen = set(relationships_overseen_by(user).values_list("pk", flat=True))
        for r in world.rel.values():
            assert relationship_access(user, r).oversees == (r.pk in overseen), (viewer, r)
    # Maya's own view counts only her own concerns, on her own relationship pages.
    page = clients["robert"].get(reverse("relationship_detail", args=[world.rel["R1"].pk]))
    assert list(page.context["my_concerns"]) == []


# --- Surface 2: every email the ledger would send -------------------------------------------------

# Kinds this world does not plant, with the reason; any other kind must be planted below.
EMAILS_NOT_PLANTED = {
    Kind.MATCH_PUBLISHED: "names the new mentor only (matching's own tests)",
    Kind.BOUNCE_ALERT: "names an undeliverable address only",
    Kind.DIGEST: "re-renders the kinds above, each through its own builder",
    Kind.INVITATION: "goes to the invited person: names the program and the inviter; for an "
    "outside mentor, the mentee who asks, the need and their note (test_services_relationships)",
    Kind.RELAY_ALERT: "goes to admins: names the mail relay's error and counts only",
    Kind.PROGRAM_ADDED: "names the program and its directors only, to the person added",
    Kind.DIRECTOR_APPOINTED: "names the program and its directors only, to the new director",
    Kind.PILOT_EXTENDED: "names the members and the new date, to members only (test_notices_people)",
    Kind.INVITATION_EXPIRING: "names the inviter only, to the invited person",
    Kind.JOIN_REQUEST: "names the requester and their note, to the program's directors (and, "
    "for a circle, its facilitator: test_services_joining)",
    Kind.JOIN_ANSWER: "names the program (or the circle) only, to the requester",
    Kind.REPORTING_CONFLICT: "names a relationship's mentor and mentee and the directory role "
    "between them, to the program's directors, who see the same on the members page",
    Kind.TRAINING_REMINDER: "names the program, the mentor's own hours and coming sessions, "
    "to the mentor only (test_training)",
    Kind.SSO_CERTIFICATE: "goes to admins: names the identity provider and its certificate's "
    "date only (test_sso_settings)",
}


def _planted_notifications(world: World) -> list[Notification]:
    """What the ledger holds for the planted world (concern alerts from `concern_raise`, the
    reminder sweep's meeting, review and pilot emails), plus the relationship and at-risk
    notices, planted as their services would."""
    from programs.models import ActionItem, ReviewRequest
    from programs.selectors.relationships import last_met_on

    def anchor(r: Relationship) -> str:
        return (last_met_on(r) or r.started_on).isoformat()

    rows = list(Notification.objects.all())  # the concern alerts
    now = timezone.now()
    maya = world.users["maya"]
    for meeting in world.meetings.values():
        subject = f"meeting:{meeting.pk}"
        for kind, cycle in (
            (Kind.MEETING_UPCOMING, f"upcoming:s{meeting.sequence}"),
            (Kind.AGENDA_PREPARE, f"agenda:s{meeting.sequence}"),
            (Kind.MEETING_LOG, "log"),
            (Kind.MEETING_LOG, "confirm"),
            (Kind.MEETING_INVITATION, f"s{meeting.sequence}"),
        ):
            rows.append(
                Notification(recipient=maya, kind=kind, subject=subject, cycle=cycle, due_at=now)
            )
    for item in ActionItem.objects.filter(relationship__in=world.rel.values()):
        rows.append(
            Notification(
                recipient=maya,
                kind=Kind.ACTION_ITEM_OVERDUE,
                subject=f"action:{item.pk}",
                cycle="due:2020-01-01",
                due_at=now,
            )
        )
    for key in ("R1", "R2"):
        request = answered_review(world.rel[key], world.users["maya"], cycle=1).request
        ReviewRequest.objects.filter(pk=request.pk).update(completed_at=None)
        request.response.delete()
        for kind, cycle in ((Kind.REVIEW_REQUEST, "request"), (Kind.REVIEW_CHASE, "chase-1")):
            rows.append(
                Notification(
                    recipient=maya,
                    kind=kind,
                    subject=f"review:{request.pk}",
                    cycle=cycle,
                    due_at=now,
                )
            )
    for r in world.rel.values():
        risk = RelationshipRisk.objects.filter(relationship=r).first()
        planted = [
            (Kind.RELATIONSHIP_STARTED, f"relationship:{r.pk}", "started"),
            (Kind.RELATIONSHIP_ENDED, f"relationship:{r.pk}", "ended"),
            (Kind.MENTOR_REASSIGNED, f"relationship:{r.pk}", "reassigned"),
            (Kind.PILOT_ENDING, f"relationship:{r.pk}", f"pilot:{timezone.localdate()}"),
            (Kind.CHECKIN_OVERDUE, f"relationship:{r.pk}", f"overdue:{anchor(r)}:1"),
        ]
        if risk:
            planted.append((Kind.AT_RISK, f"relationship:{r.pk}", f"risk:{risk.review_id}"))
        member = r.members.filter(person__user=maya).first()
        planted.append((Kind.GROUP_DEPARTURE, f"relationship:{r.pk}", f"left:{member.pk}"))
        rows += [
            Notification(recipient=maya, kind=k, subject=s, cycle=c, due_at=now, program=r.program)
            for k, s, c in planted
        ]
    for event in ("received", "accepted", "declined", "filled"):
        rows.append(
            Notification(
                recipient=maya,
                kind=Kind.MENTOR_REQUEST,
                subject=f"request:{world.ids['request']}",
                cycle=event,
                due_at=now,
            )
        )
    day = timezone.localdate().isoformat()
    Relationship.objects.filter(pk__in=[r.pk for r in world.rel.values()]).update(
        quiet_since=timezone.localdate()
    )
    rows.append(
        Notification(
            recipient=maya,
            kind=Kind.QUIET_RELATIONSHIP,
            subject=f"program:{world.program.pk}",
            cycle=f"quiet:{day}",
            due_at=now,
            program=world.program,
        )
    )
    return rows


def test_no_email_carries_private_material_to_anyone_it_is_not_for(world, db):
    from mentorship.notifications.services import _context, _message

    rows = _planted_notifications(world)
    kinds = {n.kind for n in rows}
    unplanted = set(BUILDERS) - kinds - set(EMAILS_NOT_PLANTED)
    assert not unplanted, f"Email kinds the matrix does not plant: {unplanted}"
    problems: list[str] = []
    rendered: dict[str, set[str]] = {}
    for n in rows:
        for viewer in VIEWERS:
            readdressed = Notification(
                recipient=world.users[viewer],
                kind=n.kind,
                subject=n.subject,
                cycle=n.cycle,
                program=n.program,
                data=n.data,
                due_at=n.due_at,
            )
            context = _context(readdressed)
            if context is None:
                continue
            message = _message(readdressed, context)
            text = message.subject + message.body + "".join(a[0] for a in message.alternatives)
            rendered.setdefault(n.kind, set()).add(viewer)
            problems += [f"{m} in a {n.kind} email to {viewer}" for m in leaks(world, viewer, text)]
    # The emails that could carry confidential material were really built, for the right people.
    assert rendered[Kind.CONCERN_ALERT] == {"helen", "dora"}
    assert rendered[Kind.AT_RISK] == {"helen", "dora", "aisha"}
    assert rendered[Kind.RELATIONSHIP_ENDED] == {"robert", "dora"}
    assert {"maya", "robert"} <= rendered[Kind.MEETING_UPCOMING]
    assert rendered[Kind.REVIEW_REQUEST] == {"maya"}
    assert rendered[Kind.MENTOR_REQUEST] == {"gina", "robert"}
    assert not problems, "\n".join(problems)


# --- Surfaces 3 and 4: calendar feeds and exports -------------------------------------------------


def test_calendar_feeds_carry_no_private_material(world, clients):
    from django.urls import reverse

    anonymous = Client()
    for viewer in VIEWERS:
        body = _text(anonymous.get(reverse("calendar_feed", args=[world.feeds[viewer]])))
        assert "BEGIN:VCALENDAR" in body
        for marker in world.allowed:
            assert marker not in body, (viewer, marker)


@pytest.mark.parametrize("fmt", [ExportFormat.CSV, ExportFormat.XLSX, ExportFormat.PDF])
def test_report_exports_carry_no_private_material(world, db, fmt):
    from programs.services.reports import report_export_run

    for viewer in ("helen", "dora", "aisha"):
        export = ReportExport.objects.create(
            program=world.program,
            requested_by=world.users[viewer],
            format=fmt,
            period_start=timezone.localdate() - timedelta(days=365),
            period_end=timezone.localdate(),
        )
        assert report_export_run(export_id=export.pk)
        export.refresh_from_db()
        data = export.file.read()
        text = _export_text(data, fmt)
        assert "Participants" in text or fmt == ExportFormat.PDF
        for marker in world.allowed:
            assert marker not in text, (viewer, fmt, marker)


@pytest.mark.parametrize("fmt", [ExportFormat.XLSX, ExportFormat.PDF])
def test_the_all_programs_report_carries_no_private_material(world, db, fmt):
    from programs.services.reports import report_export_run

    export = ReportExport.objects.create(
        institution=world.program.institution,
        kind=ExportKind.INSTITUTION_REPORT,
        requested_by=world.users["aisha"],
        format=fmt,
        period_start=timezone.localdate() - timedelta(days=365),
        period_end=timezone.localdate(),
    )
    assert report_export_run(export_id=export.pk)
    export.refresh_from_db()
    text = _export_text(export.file.read(), fmt)
    for marker in world.allowed:
        assert marker not in text, (fmt, marker)


def _export_text(data: bytes, fmt: str) -> str:
    if fmt == ExportFormat.XLSX:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return " ".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    if fmt == ExportFormat.PDF:
        import zlib

        # Page streams are compressed; inflate each one to read the drawn text.
        chunks, rest = [], data
        while b"stream" in rest:
            start = rest.index(b"stream") + len(b"stream")
            start += 2 if rest[start : start + 2] == b"\r\n" else 1
            end = rest.index(b"endstream", start)
            try:
                chunks.append(zlib.decompress(rest[start:end]).decode("latin-1"))
            except zlib.error:
                chunks.append(rest[start:end].decode("latin-1"))
            rest = rest[end + len(b"endstream") :]
        return " ".join(chunks)
    return data.decode("utf-8-sig", "replace")


def test_the_recognition_export_carries_no_private_material(world, clients, settings):
    from django.urls import reverse

    settings.ACCOUNT_REAUTHENTICATION_REQUIRED = False
    for viewer in ("helen", "dora", "aisha"):
        response = clients[viewer].get(reverse("mentor_recognition_csv", args=[world.program.pk]))
        body = _text(response)
        for marker in world.allowed:
            assert marker not in body, (viewer, marker)
