"""Production: refuses to start without its secrets; passes ``manage.py check --deploy``."""

import environ

from .base import *  # noqa: F403
from .base import data_store_settings, env

# Never an embedded server here: without DATABASE_URL / REDIS_URL the process stops with a message.
globals().update(data_store_settings(embedded_allowed=False))

DEBUG = False
KAM_PRODUCTION = True
# No published password in production: seed_demo --force uses this when set, a random one otherwise.
KAM_DEMO_PASSWORD = env("KAM_DEMO_PASSWORD", default="")
SECRET_KEY = env("SECRET_KEY")  # no default: a missing key stops the process
if len(SECRET_KEY) < 50:  # also rejects an empty value and the development key from base.py
    raise environ.ImproperlyConfigured(
        "SECRET_KEY must be at least 50 random characters: "
        'python -c "import secrets; print(secrets.token_urlsafe(50))"'
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")  # no default either
if not ALLOWED_HOSTS:
    raise environ.ImproperlyConfigured("ALLOWED_HOSTS must list the host names KAM is served on")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
