# The production image: one image for web (gunicorn), worker and beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=mentorship.settings.production \
    NUMBA_CACHE_DIR=/home/mentorship/.cache/numba

WORKDIR /app
# Fonts the PDFs embed so names print in any script (programs/exports/fonts.py): DejaVu for
# accented Latin, Greek, Cyrillic, Hebrew and Arabic; Droid Sans Fallback for Chinese and Japanese;
# Nanum Gothic for Korean.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core fonts-droid-fallback fonts-nanum \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 mentorship
# The runtime lock pins every package with its hashes (`./dev lock` regenerates it).
COPY constraints-runtime.txt ./
RUN pip install --no-cache-dir --require-hashes -r constraints-runtime.txt
COPY pyproject.toml README.md ./
COPY mentorship ./mentorship
COPY programs ./programs
COPY matching ./matching
RUN pip install --no-cache-dir --no-deps .
COPY manage.py ./
COPY templates ./templates
COPY static ./static
# collectstatic needs settings to import; these build-time values are never used at run time.
RUN DJANGO_SECRET_KEY=build-only-$(python -c "import secrets;print(secrets.token_hex(40))") \
    DJANGO_ALLOWED_HOSTS=build EMAIL_URL=dummymail:// \
    python manage.py collectstatic --noinput --verbosity 0
USER mentorship
# Compile the matching solvers now, into numba's cache, so no worker compiles at run time.
RUN python -m matching.engine.warmup
EXPOSE 8000
# Requests are logged by the app itself, in its one format with the request id (mentorship/log.py).
CMD ["gunicorn", "mentorship.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
