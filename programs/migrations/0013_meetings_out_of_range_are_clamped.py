"""Meetings saved before dates were bounded may sit in year 9999 (or year 1), where showing them
in a far-east (or far-west) time zone, or adding their duration, overflows: every page holding
one failed, even after it was cancelled. Such a meeting is moved to a date that converts safely
in every zone; nothing else about it changes. New meetings are kept within a few years of today
by the form and the service."""

from datetime import UTC, datetime

from django.db import migrations

LATEST_SAFE = datetime(9998, 12, 31, 12, 0, tzinfo=UTC)
EARLIEST_SAFE = datetime(2, 1, 2, 12, 0, tzinfo=UTC)


def clamp(apps, schema_editor):
    Meeting = apps.get_model("programs", "Meeting")
    Meeting.objects.filter(starts_at__gt=LATEST_SAFE).update(starts_at=LATEST_SAFE)
    Meeting.objects.filter(starts_at__lt=EARLIEST_SAFE).update(starts_at=EARLIEST_SAFE)


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0012_names_and_reference_data_refuse_markup_formulas_and_bidi"),
    ]

    operations = [migrations.RunPython(clamp, migrations.RunPython.noop)]
