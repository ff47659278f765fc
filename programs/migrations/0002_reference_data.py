"""Seed the reference data every installation starts with: the ranks and streams seen in the
study (seed 001, Table 1) and the need areas of the self-evaluation tool (seed 000). Institutions
rename, reorder, deactivate or add to these afterwards."""

from django.db import migrations

RANKS = ["Lecturer / instructor", "Assistant professor", "Associate professor", "Professor"]
STREAMS = [
    "Clinician-teacher",
    "Clinician-educator",
    "Clinician-investigator",
    "Scientist",
    "Administrator",
]
NEED_AREAS = [
    ("career-guidance", "Career guidance", "Choosing directions, weighing opportunities.", False),
    ("research", "Research", "Questions, methods, grants, papers and building a program.", False),
    ("leadership", "Leadership", "Leading teams, committees and change.", False),
    (
        "education",
        "Education / teaching",
        "Teaching, curriculum and educational scholarship.",
        False,
    ),
    (
        "clinical",
        "Clinical practice",
        "Clinical skills, practice building, difficult cases.",
        False,
    ),
    (
        "promotion",
        "Promotion",
        "Preparing a dossier and meeting this institution's criteria.",
        True,
    ),
    ("work-life", "Work–life balance", "Time, energy, family and sustaining a career.", False),
    ("personal-growth", "Personal growth", "Confidence, resilience and self-knowledge.", False),
    (
        "sponsorship",
        "Institutional sponsorship",
        "Nominations, introductions and visibility here.",
        True,
    ),
    ("project", "A specific project", "Help with one defined piece of work.", False),
]


def seed(apps, schema_editor):
    AcademicRank = apps.get_model("programs", "AcademicRank")
    AcademicStream = apps.get_model("programs", "AcademicStream")
    NeedArea = apps.get_model("programs", "NeedArea")
    for order, name in enumerate(RANKS, start=1):
        AcademicRank.objects.get_or_create(name=name, defaults={"order": order})
    for order, name in enumerate(STREAMS, start=1):
        AcademicStream.objects.get_or_create(name=name, defaults={"order": order})
    for order, (slug, name, description, specific) in enumerate(NEED_AREAS, start=1):
        NeedArea.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "description": description,
                "institution_specific": specific,
                "order": order,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("programs", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
