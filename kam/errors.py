"""Answers for failures a person can do nothing about but wait: the disk is full.

A full disk (the server's: ENOSPC, a quota, a file size limit; or PostgreSQL's, SQLSTATE 53100) fails
whatever was being written; the request's transaction rolls back, so nothing is half-saved. The user
gets a plain page in their language saying so, with status 503, never Django's debug page, and the
failure is logged with its context.
"""

from __future__ import annotations

import errno
import logging

from django.template.response import TemplateResponse

logger = logging.getLogger(__name__)

DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def is_disk_full(exception: BaseException) -> bool:
    import psycopg

    for cause in (exception, exception.__cause__):
        if isinstance(cause, OSError) and cause.errno in DISK_FULL_ERRNOS:
            return True
        if isinstance(cause, psycopg.errors.DiskFull):
            return True
    return False


class DiskFullMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_disk_full(exception):
            return None
        logger.error("Disk full while answering %s %s", request.method, request.path, exc_info=exception)
        return TemplateResponse(request, "errors/disk_full.html", status=503).render()
