"""``manage.py warm_matching``: compile the matching solvers now (fills numba's cache), so that
neither a worker start nor a director's first proposal pays for it."""

from django.core.management.base import BaseCommand

from matching.engine.warmup import warm_up


class Command(BaseCommand):
    help = "Compile the matching solvers ahead of time (fills numba's on-disk cache)."

    def handle(self, *args, **options):
        self.stdout.write(f"Matching solvers ready in {warm_up():.1f} s")
