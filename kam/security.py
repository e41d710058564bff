"""Request-level protections shared by every page, API answer and export.

- :func:`client_ip`: the address a request came from, trusting ``X-Forwarded-For`` only when it was
  added by a proxy listed in ``KAM_TRUSTED_PROXIES`` (login lockout and logs use it).
- :func:`lockout_response`: what a locked-out log-in gets (django-axes).
- :class:`NoStoreMiddleware`: dynamic answers carry ``Cache-Control: private, no-store``, so neither a
  shared proxy nor the browser's history keeps a copy of account data.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext

NO_STORE = "private, no-store"


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _is_trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.KAM_TRUSTED_PROXIES)))


def client_ip(request) -> str:
    """The peer's address; when the peer is a trusted proxy, the right-most address in
    ``X-Forwarded-For`` that is not itself a trusted proxy (what the first proxy saw). A client can
    put anything in that header: entries left of the proxies' own are never believed."""
    address = request.META.get("REMOTE_ADDR", "")
    if not _is_trusted(address):
        return address
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed([part for part in forwarded if part]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return address  # a malformed chain: fall back to the proxy itself
        if not _is_trusted(hop):
            return hop
        address = hop
    return address


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out log-in: 429, in the user's language (JSON for the API)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    if request.path.startswith("/api/"):
        message = gettext("Too many failed log-ins: try again in %(minutes)s minutes.") % {"minutes": minutes}
        return JsonResponse({"detail": message}, status=429)
    return TemplateResponse(
        request, settings.AXES_LOCKOUT_TEMPLATE, {"cooloff_minutes": minutes}, status=429
    ).render()


class NoStoreMiddleware:
    """``Cache-Control: private, no-store`` on every answer Django makes (pages, fragments, API,
    exports, redirects) unless the view chose its own; static files are served by WhiteNoise before
    this middleware and keep their long cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = NO_STORE
        return response
