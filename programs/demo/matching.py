"""Demo data for matching: a few waiting mentor requests and a proposal ready for review.
Idempotent: nothing is added if the demo already has requests or proposals."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from matching.models import MatchRun, MentorRequest, RunMode
from matching.services import MatchingError, match_run_execute, match_run_start, request_send
from mentorship.notifications.kinds import Kind
from mentorship.notifications.models import Notification
from mentorship.notifications.services import notifications_record_as_sent
from programs.models import MENTEE_ROLES, FacultyProfile, Membership, Program


def seed_matching(*, admin: Any, mentor_email: str) -> None:
    junior = Program.objects.filter(name="Junior Faculty Mentoring Program").first()
    if junior is None:
        return
    mentor = FacultyProfile.objects.filter(user__email=mentor_email).first()
    if mentor is not None and not MentorRequest.objects.filter(mentor=mentor).exists():
        mentees = (
            Membership.objects.filter(program=junior, role__in=MENTEE_ROLES)
            .exclude(person=mentor)
            .select_related("person__user")
            .order_by("person__family_name")[5:8]
        )
        for membership in mentees:
            try:
                request_send(
                    program=junior,
                    mentee=membership.person,
                    mentor=mentor,
                    message=(
                        f"Dear Dr {mentor.family_name}, I am {membership.person.given_name}, in my "
                        "second year on faculty. I am building a research program on heart failure "
                        "readmissions and would value your guidance on my first grant."
                    ),
                    by=membership.person.user,
                )
            except MatchingError:
                continue  # excluded pair (e.g. reporting line) or request limit: skip it
        # Seeding emails nobody: the demo's requests count as already announced.
        notifications_record_as_sent(
            Notification.objects.filter(kind=Kind.MENTOR_REQUEST, recipient=mentor.user)
        )
    if not MatchRun.objects.filter(program=junior).exists():
        with transaction.atomic():
            run = match_run_start(program=junior, mode=RunMode.ONE_TO_ONE, by=admin)
        match_run_execute(run_id=run.pk)
