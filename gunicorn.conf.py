"""gunicorn settings for KAM, read by docker compose's ``web`` (and the image's CMD) and by the load test
(loadtest/README section in README.md), so what is measured is what is deployed.

Every value can be changed from the environment (GUNICORN_*). The figures in README.md were measured
with these defaults on one 2-core machine running PostgreSQL, Redis, gunicorn and the load generator.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Threads: a request mostly waits for PostgreSQL, so 3 processes x 4 threads serve 12 requests at once
# in the memory of 3 (sync workers queued everything behind a slow dashboard section).
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# A request still running after this is killed and logged; the slowest page (an administrator's full
# risk.csv at 100k accounts) streams well within it.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# Browsers and the proxy in front reuse connections; the load test does too.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then (a slow leak in any library stays bounded); jitter avoids all at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None  # empty: no access log
