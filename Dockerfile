# One image for web (gunicorn), worker and beat; see docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=kam.settings.production

WORKDIR /app

# Dependencies first, at the versions of requirements.lock (make lock), so a code change does not
# reinstall them and every build installs the same versions.
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY . .
RUN pip install --no-deps -e . \
    # Static files are part of the image. Settings need values to import; nothing is connected to.
    && SECRET_KEY=collectstatic-only-not-a-secret-0123456789-abcdefghijklmnopqrstuvwxyz \
       ALLOWED_HOSTS=localhost \
       DATABASE_URL=postgres://kam@localhost:5432/kam \
       REDIS_URL=redis://localhost:6379/0 \
       python manage.py collectstatic --noinput \
    && useradd --create-home --uid 10001 kam

USER kam
EXPOSE 8000
CMD ["gunicorn", "kam.wsgi:application", "--config", "gunicorn.conf.py"]
