"""Test settings: the real PostgreSQL and Redis from the environment, or the embedded ones."""

from .base import *  # noqa: F403
from .base import data_store_settings, env

globals().update(data_store_settings(embedded_allowed=True))

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
CACHES["default"]["KEY_PREFIX"] = "kam-test"  # noqa: F405
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# Parallel test runs on one server (several checkouts, or CI beside a developer) need their own database.
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", default="test_kam")}  # noqa: F405
# Serve static files from the finders, as in development; no collectstatic before tests.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
