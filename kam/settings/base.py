"""Settings shared by every environment. Every value comes from the environment (see .env.example)."""

from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import environ
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from kam import embedded

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="insecure-local-development-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Before the admin: its change-page tools template adds the audit trail's "Events" link.
    "pghistory.admin",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "django_htmx",
    "django_celery_beat",
    "template_partials",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "kam",
    "pgtrigger",
    "pghistory",
    "accounts",
    "segmentation",
    "scoring",
    "service_tiers",
    "audit",
    "account_plans",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files answer here, with their long cache
    "kam.security.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "kam.errors.DiskFullMiddleware",  # a full disk: a plain page in the user's language, not a 500
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "kam.auth.StaffTwoFactorMiddleware",
    "audit.context.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kam.urls"
WSGI_APPLICATION = "kam.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "service_tiers.context_processors.alert_bell",
            ],
        },
    },
]

# --- Data stores -----------------------------------------------------------------------------------
# PostgreSQL only. DATABASES, CACHES and the Celery URLs are set by each settings module through
# data_store_settings(): development and tests may start embedded servers (kam/embedded.py) when
# DATABASE_URL / REDIS_URL are unset; production never does.
# A read replica (streaming replication), optional: the dashboards, exports, drill-downs and the risk
# list read from it (kam/replica.py); writes, and reads after a write in the same request, stay here.
DATABASE_ROUTERS = ["kam.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Redis calls give up quickly: a stopped or frozen Redis must not hold a page (see kam/cache.py).
REDIS_SOCKET_TIMEOUT_SECONDS = 0.5


def data_store_settings(*, embedded_allowed: bool) -> dict:
    """DATABASE_URL, DATABASES, REDIS_URL, CACHES and the Celery broker from the environment.

    Without a URL, an embedded server is started only when ``embedded_allowed``; otherwise the process
    stops with a message that names the missing variable.
    """
    database_url = env("DATABASE_URL", default="")
    redis_url = env("REDIS_URL", default="")
    if not embedded_allowed:
        missing = [
            name for name, url in (("DATABASE_URL", database_url), ("REDIS_URL", redis_url)) if not url
        ]
        if missing:
            raise environ.ImproperlyConfigured(
                f"{' and '.join(missing)} must be set: production settings never start the embedded "
                "development servers (e.g. DATABASE_URL=postgres://user:pass@host:5432/kam, "
                "REDIS_URL=redis://host:6379/0)"
            )
    database_url = database_url or embedded.embedded_database_url()
    redis_url = redis_url or embedded.embedded_redis_url()
    database = env.db_url_config(database_url)
    if database["ENGINE"] != "django.db.backends.postgresql":
        raise environ.ImproperlyConfigured("KAM runs on PostgreSQL only: DATABASE_URL must be postgres://")
    database.update(
        HOST=unquote(database["HOST"]),
        ATOMIC_REQUESTS=True,
        CONN_MAX_AGE=env.int("CONN_MAX_AGE", default=60),
        CONN_HEALTH_CHECKS=True,
    )
    options = database.setdefault("OPTIONS", {})
    # A server that does not answer fails a connection in seconds (health checks, pages) instead of hanging.
    options.setdefault("connect_timeout", 5)
    # PostgreSQL's JIT compiles a statement whose estimated cost passes jit_above_cost for ~250 ms, longer
    # than the dashboard, compliance and alert statements then take (measured with bench_dashboard at 100k
    # accounts). Set once for every connection; the few statements it pays off for turn it on (SET LOCAL).
    options["options"] = " ".join(filter(None, [options.get("options", ""), "-c jit=off"]))
    databases = {"default": database}
    replica_url = env("DATABASE_REPLICA_URL", default="")
    if replica_url:
        databases["replica"] = {
            **env.db_url_config(replica_url),
            "OPTIONS": database["OPTIONS"],
            "CONN_MAX_AGE": database["CONN_MAX_AGE"],
            "CONN_HEALTH_CHECKS": True,
            "TEST": {"MIRROR": "default"},
        }
    broker_url = embedded.celery_broker_url(redis_url)
    return {
        "DATABASE_URL": database_url,
        "DATABASE_REPLICA_URL": replica_url,
        "DATABASES": databases,
        "REDIS_URL": redis_url,
        "CACHES": {
            "default": {
                "BACKEND": "kam.cache.DegradingRedisCache",
                "LOCATION": redis_url,
                "KEY_PREFIX": "kam",
                "OPTIONS": {
                    "socket_connect_timeout": REDIS_SOCKET_TIMEOUT_SECONDS,
                    "socket_timeout": REDIS_SOCKET_TIMEOUT_SECONDS,
                },
            }
        },
        "CELERY_BROKER_URL": broker_url,
        "CELERY_RESULT_BACKEND": broker_url,
    }


# --- Auth ------------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: a locked-out user or address is refused before any password is checked, on every
# path that calls authenticate() with the request (login page, admin login, the API token endpoint).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie

# --- Login lockout (django-axes) -------------------------------------------------------------------
# After KAM_LOGIN_FAILURE_LIMIT wrong passwords for one user name, or from one client address, further
# attempts are refused for KAM_LOGIN_LOCKOUT_MINUTES (even with the right password).
AXES_FAILURE_LIMIT = env.int("KAM_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("KAM_LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "kam.security.client_ip"
AXES_LOCKOUT_CALLABLE = "kam.security.lockout_response"
AXES_VERBOSE = False
# Addresses or networks of the reverse proxies in front of KAM: only their X-Forwarded-For is believed.
KAM_TRUSTED_PROXIES = env.list("KAM_TRUSTED_PROXIES", default=[])

# --- Two-factor sign-in (django-otp, TOTP) ----------------------------------------------------------
# Staff who set up an authenticator app enter its code after their password; when this is True, staff
# without one must set it up before they reach any page.
KAM_STAFF_2FA_REQUIRED = env.bool("KAM_STAFF_2FA_REQUIRED", default=False)
OTP_TOTP_ISSUER = "KAM"

# --- Content-Security-Policy (django-csp) -----------------------------------------------------------
# The pages load only their own scripts and styles (vendored, no CDN) and have no inline script or
# style attribute; data: images are Pico's form icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

# --- Internationalisation --------------------------------------------------------------------------
LANGUAGE_CODE = env("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
# Our own zh_Hans number formats (kam/formats/zh_Hans/formats.py): thousands separators in Chinese too.
FORMAT_MODULE_PATH = ["kam.formats"]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files ----------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- E-mail ----------------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="KAM <kam@localhost>")

# --- Celery ----------------------------------------------------------------------------------------
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=60 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=55 * 60)
# A task is acknowledged when it ends, not when it starts, and goes back to the queue when its worker
# process dies (kill -9, out of memory): the run it was doing is redone (every task is idempotent).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Redis hands an unacknowledged task to another worker after this long: longer than the longest
    # task may run (its hard time limit), or a slow re-grade would run twice at once.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 10 * 60),
    # A stopped or frozen Redis fails a publish within seconds instead of holding a request for ever.
    "socket_connect_timeout": 2,
    "socket_timeout": 10,
}
if CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] <= CELERY_TASK_TIME_LIMIT:
    raise environ.ImproperlyConfigured(
        "CELERY_VISIBILITY_TIMEOUT must be longer than CELERY_TASK_TIME_LIMIT, or Redis hands a running "
        "task to a second worker"
    )
# A run record still pending or unfinished this long after it was queued has no worker left: the broker
# would have redelivered it, and the hard time limit would have ended any delivery (kam/tasks.py).
KAM_RUN_ABANDONED_SECONDS = CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] + CELERY_TASK_TIME_LIMIT
CELERY_BROKER_CONNECTION_TIMEOUT = 2  # how long a publish keeps trying to reach a stopped broker
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- REST framework --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # Every related filter offers and accepts only what the user may see (kam/visibility.py).
    "DEFAULT_FILTER_BACKENDS": ["kam.visibility.VisibleFilterBackend"],
    # JSON only: the browsable API (forms listing related records) is for development (local.py).
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}

# --- Audit trail (audit/models.py) -------------------------------------------------------------------
# The audit triggers are installed by ``migrate`` (after the migrations), not written into each tracked
# app's migrations: the trail has one home, and the tracked apps' migration histories stay their own.
PGTRIGGER_MIGRATIONS = False
PGTRIGGER_INSTALL_ON_MIGRATE = False  # audit/apps.py installs only what is missing
# Reads (GET, HEAD) write nothing, so they need no context.
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# The moment of each change, not the start of its transaction: a request that changes an account and
# then a contact lists them in that order.
PGHISTORY_CREATED_AT_FUNCTION = "clock_timestamp()"

# --- Logging ---------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # django-axes narrates every attempt at INFO; lockouts and failures still show as warnings.
    "loggers": {"axes": {"level": "WARNING"}},
}

# --- KAM -------------------------------------------------------------------------------------------
# How far in the future an interaction may be dated (a visit logged tonight for tomorrow morning).
KAM_INTERACTION_MAX_FUTURE_DAYS = env.int("KAM_INTERACTION_MAX_FUTURE_DAYS", default=1)
# The published demo password; production has none (seed_demo there needs --force and picks a random one).
KAM_DEMO_PASSWORD = env("KAM_DEMO_PASSWORD", default="kam-demo-2026")
KAM_PRODUCTION = False
# Redis sorted set where Celery workers record their heartbeat for /health/ (kam/health.py).
KAM_WORKER_HEARTBEAT_KEY = "kam:worker-heartbeats"
# Where users reach KAM: absolute links in e-mails (the daily alert digest).
KAM_SITE_URL = env("KAM_SITE_URL", default="http://127.0.0.1:8000")
