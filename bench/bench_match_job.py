"""The whole "propose matches" job through the database, and a small run through the director UI.

    python bench/bench_match_job.py [--mentees 10000 --mentors 2000 --seed 7]

Needs PostgreSQL: it creates (and drops afterwards, unless --keep) a database of its own,
`mentorship_bench_match` on the server of DATABASE_URL (default postgres://postgres@127.0.0.1:5432).
Prints each phase and PASS/FAIL against the target: the job, including reading the cohort from the
database and writing every suggestion with its explanation, in at most 15 s.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TARGET_SECONDS = 15.0


def configure(db_name: str) -> None:
    server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    base = server.rsplit("/", 1)[0]
    os.environ["DATABASE_URL"] = f"{base}/{db_name}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "mentorship.settings.test"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"


def create_database(db_name: str) -> None:
    import psycopg2

    server = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    connection = psycopg2.connect(server)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{db_name}"')
        cursor.execute(f'CREATE DATABASE "{db_name}"')
    connection.close()


def drop_database(db_name: str) -> None:
    import psycopg2
    from django.db import connections

    connections.close_all()
    server = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    connection = psycopg2.connect(server)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{db_name}"')
    connection.close()


def seed(n_mentees: int, n_mentors: int, seed_value: int) -> tuple[object, object]:
    """A program with `n_mentees` mentees (each with a submitted self-evaluation) and
    `n_mentors` mentors (each with an offer and capacity 1–8), reproducibly."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from programs.models import (
        AcademicRank,
        AssessmentStatus,
        FacultyProfile,
        Institution,
        Membership,
        MentoringNeed,
        MentorOffer,
        MentorRole,
        NeedArea,
        Program,
        Role,
        SelfAssessment,
        Topic,
    )

    rng = random.Random(seed_value)
    user_model = get_user_model()
    password = make_password("bench-password-0")
    home = Institution.objects.create(name="Bench University", is_home=True)
    partner = Institution.objects.create(name="Partner Health")
    program = Program.objects.create(
        institution=home, name="Bench program", allowed_models=["one_to_one"]
    )
    ranks = list(AcademicRank.objects.order_by("order"))
    areas = list(NeedArea.objects.order_by("order"))
    topics = Topic.objects.bulk_create(
        [Topic(name=f"topic {k}", normalized=f"topic {k}") for k in range(300)]
    )
    total = n_mentees + n_mentors
    users = user_model.objects.bulk_create(
        [user_model(email=f"bench{k}@bench.test", password=password) for k in range(total)],
        batch_size=5000,
    )
    zones = ["America/Toronto", "America/Vancouver", "Europe/London", "America/Chicago"]
    modes = ["in_person", "video", "phone", "email", "messaging"]
    year = timezone.now().year
    profiles = FacultyProfile.objects.bulk_create(
        [
            FacultyProfile(
                user=u,
                given_name=f"Given{k}",
                family_name=f"Family{k}",
                institution=home if k < n_mentees or rng.random() < 0.8 else partner,
                rank=ranks[min(len(ranks) - 1, 1 if k < n_mentees else rng.choice([2, 3]))],
                year_joined_faculty=year
                - (rng.randint(0, 8) if k < n_mentees else rng.randint(5, 35)),
                time_zone=rng.choice(zones),
                communication_modes=rng.sample(modes, rng.randint(1, 3)),
            )
            for k, u in enumerate(users)
        ],
        batch_size=5000,
    )
    mentees, mentors = profiles[:n_mentees], profiles[n_mentees:]
    Membership.objects.bulk_create(
        [Membership(program=program, person=p, role=Role.MENTEE) for p in mentees]
        + [
            Membership(
                program=program, person=p, role=Role.MENTOR, mentor_capacity=rng.randint(1, 8)
            )
            for p in mentors
        ],
        batch_size=5000,
    )
    through = FacultyProfile.interests.through
    through.objects.bulk_create(
        [
            through(facultyprofile_id=p.pk, topic_id=t.pk)
            for p in profiles
            for t in rng.sample(topics, rng.randint(1, 5))
        ],
        batch_size=10000,
    )
    roles = [r.value for r in MentorRole]
    assessments = SelfAssessment.objects.bulk_create(
        [
            SelfAssessment(
                person=p,
                version=1,
                status=AssessmentStatus.SUBMITTED,
                submitted_at=timezone.now(),
                roles_wanted=rng.sample(roles, rng.randint(1, 4)),
                communication_modes=rng.sample(modes, rng.randint(1, 3)),
            )
            for p in mentees
        ],
        batch_size=5000,
    )
    MentoringNeed.objects.bulk_create(
        [
            MentoringNeed(assessment=a, area=area, priority=rng.randint(1, 3))
            for a in assessments
            for area in rng.sample(areas, rng.randint(1, 4))
        ],
        batch_size=10000,
    )
    offers = MentorOffer.objects.bulk_create(
        [
            MentorOffer(
                person=p,
                roles_offered=rng.sample(roles, rng.randint(2, 6)),
                mentors_remotely=rng.random() > 0.05,
                years_mentoring=rng.randint(0, 25),
                prior_mentees=rng.randint(0, 30),
            )
            for p in mentors
        ],
        batch_size=5000,
    )
    offer_areas = MentorOffer.need_areas.through
    offer_areas.objects.bulk_create(
        [
            offer_areas(mentoroffer_id=o.pk, needarea_id=area.pk)
            for o in offers
            for area in rng.sample(areas, rng.randint(2, 6))
        ],
        batch_size=10000,
    )
    director_user = user_model.objects.create_user(email="director@bench.test", password=None)
    director = FacultyProfile.objects.create(
        user=director_user, given_name="Dee", family_name="Rector"
    )
    Membership.objects.create(program=program, person=director, role=Role.DIRECTOR)
    return program, director_user


def small_program(seed_value: int) -> object:
    """A 40 × 12 program for the director-UI path."""
    from programs.models import Institution, Membership, MentorOffer, NeedArea, Program, Role
    from programs.services.people import faculty_create

    rng = random.Random(seed_value)
    home = Institution.objects.get(name="Bench University")
    program = Program.objects.create(
        institution=home, name="Small bench program", allowed_models=["one_to_one"]
    )
    areas = list(NeedArea.objects.all())
    for k in range(12):
        person = faculty_create(
            email=f"small.mentor{k}@bench.test",
            given_name="M",
            family_name=f"{k}",
            institution=home,
        )
        Membership.objects.create(
            program=program, person=person, role=Role.MENTOR, mentor_capacity=rng.randint(1, 4)
        )
        offer = MentorOffer.objects.create(person=person, roles_offered=["coach"])
        offer.need_areas.set(rng.sample(areas, 3))
    for k in range(40):
        person = faculty_create(
            email=f"small.mentee{k}@bench.test",
            given_name="E",
            family_name=f"{k}",
            institution=home,
        )
        Membership.objects.create(program=program, person=person, role=Role.MENTEE)
    return program


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mentees", type=int, default=10_000)
    parser.add_argument("--mentors", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args()
    db_name = "mentorship_bench_match"
    configure(db_name)
    create_database(db_name)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from matching.models import MatchRun, RunStatus
    from matching.services import match_run_execute, match_run_start

    ok = True
    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"migrate: {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        with transaction.atomic():
            program, director = seed(args.mentees, args.mentors, args.seed)
        print(
            f"seed {args.mentees} mentees × {args.mentors} mentors: {time.perf_counter() - started:.1f} s"
        )

        # Warm the numba kernels once (compilation is cached per machine, not per run).
        from matching.engine.features import synthetic_problem
        from matching.engine.scoring import score_pairs
        from matching.engine.solvers import assign_with_capacities

        warm = synthetic_problem(50, 20, seed=1)
        warm_scores = score_pairs(warm)
        assign_with_capacities(warm_scores.scores, warm_scores.eligible, warm.mentor_capacity)

        # Time the job itself: queue nothing (the test settings would run it eagerly on commit).
        import matching.services

        eager_enqueue = matching.services.enqueue_on_commit
        matching.services.enqueue_on_commit = lambda *a, **k: None
        with transaction.atomic():
            run = match_run_start(program=program, mode="one_to_one", by=director)
        matching.services.enqueue_on_commit = eager_enqueue
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            run = match_run_execute(run_id=run.pk)
        elapsed = time.perf_counter() - started
        summary = run.summary
        print(
            f"propose-matches job: {elapsed:.2f} s wall ({len(queries)} queries), "
            f"status {run.status}, {summary.get('matched')} matched of {summary.get('mentees')}, "
            f"{len(summary.get('unmatched', []))} unmatched, proven optimal: {summary.get('proven_optimal')}, "
            f"suggestions stored: {run.suggestions.count()}"
        )
        for message, seconds in summary.get("phases", []):
            print(f"    {seconds:7.3f} s  {message}")
        print(
            f"    {elapsed - summary.get('seconds', 0):7.3f} s  storing {run.suggestions.count()} suggestions"
        )
        passed = run.status == RunStatus.READY and elapsed <= TARGET_SECONDS
        ok &= passed
        print(f"  target ≤ {TARGET_SECONDS:.0f} s: {'PASS' if passed else 'FAIL'}")

        small = small_program(args.seed)
        from django.conf import settings

        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        client = Client()
        client.force_login(director)
        from programs.models import Membership, Role

        Membership.objects.create(program=small, person=director.profile, role=Role.DIRECTOR)
        started = time.perf_counter()
        response = client.post(reverse("matching:run_new", args=[small.pk]), {"mode": "one_to_one"})
        small_run = MatchRun.objects.filter(program=small).latest("created_at")
        page = client.get(reverse("matching:run", args=[small.pk, small_run.pk]))
        client.post(reverse("matching:run_publish", args=[small.pk, small_run.pk]))
        small_run.refresh_from_db()
        ui_seconds = time.perf_counter() - started
        ui_ok = (
            response.status_code == 302
            and page.status_code == 200
            and small_run.status == RunStatus.PUBLISHED
        )
        ok &= ui_ok
        print(
            f"director UI path (40 × 12: propose, review page, publish): {ui_seconds:.2f} s, "
            f"{small_run.summary.get('matched')} published — {'PASS' if ui_ok else 'FAIL'}"
        )
    finally:
        if not args.keep:
            drop_database(db_name)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
