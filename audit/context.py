"""Who made a change and through which path, attached to every audit event written meanwhile.

Requests get it from ``AuditContextMiddleware`` (user, URL and the path: web, api or admin). Anything
that writes outside a request wraps its work::

    from audit.context import audit_context

    with audit_context(actor=user, path="import", source="customers.xlsx"):
        import_rows(...)

``actor`` may be None (a scheduled task acting for nobody); ``path`` names the entry point
("import", "task", "command", ...); any further keyword is stored with the events as well.
Contexts nest: an inner one adds to the outer one.
"""

from __future__ import annotations

import pghistory
from pghistory.middleware import HistoryMiddleware

PATH_WEB = "web"
PATH_API = "api"
PATH_ADMIN = "admin"


def audit_context(*, actor=None, path: str, **extra):
    """A context manager (and decorator) that records ``actor`` and ``path`` with every event."""
    values = {"path": path, **extra}
    if actor is not None:
        values["user"] = actor.pk
    return pghistory.context(**values)


def request_path_kind(url_path: str) -> str:
    if url_path.startswith("/api/"):
        return PATH_API
    if url_path.startswith("/admin/"):
        return PATH_ADMIN
    return PATH_WEB


class AuditContextMiddleware(HistoryMiddleware):
    """pghistory's middleware (user and URL, the user updated when DRF authenticates later in the
    view) plus the path the change came through."""

    def get_context(self, request):
        return {**super().get_context(request), "path": request_path_kind(request.path)}
