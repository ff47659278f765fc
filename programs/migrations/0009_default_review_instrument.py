"""Ship the default relationship review (see programs/domain/review_instrument.py)."""

from django.db import migrations


def seed(apps, schema_editor):
    from programs.domain.review_instrument import ensure_default_instrument

    ensure_default_instrument(
        apps.get_model("programs", "ReviewInstrument"), apps.get_model("programs", "ReviewItem")
    )


def unseed(apps, schema_editor):
    from programs.domain.review_instrument import DEFAULT_INSTRUMENT_NAME

    apps.get_model("programs", "ReviewInstrument").objects.filter(
        program__isnull=True, name=DEFAULT_INSTRUMENT_NAME
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("programs", "0008_reminders_reviews_and_ledger_notices")]

    operations = [migrations.RunPython(seed, unseed)]
