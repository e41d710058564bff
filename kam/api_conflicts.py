"""Edit conflicts in the API: ETag and If-Match (RFC 9110), on top of kam/conflicts.py.

Reading one record answers with ``ETag: "<version>"``. Changing it (PUT, PATCH) requires
``If-Match`` with that tag: a different one means someone saved since the client read it — 412
Precondition Failed, nothing written, the current record in the body; none at all is 428
Precondition Required (a client that does not say what it read could overwrite anything).
"""

from __future__ import annotations

from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from kam.conflicts import EditConflict, version_of


class PreconditionRequired(APIException):
    status_code = 428
    default_detail = "Send If-Match with the ETag of the record you read."
    default_code = "precondition_required"


def etag_for(instance) -> str:
    return f'"{version_of(instance)}"'


def if_match_version(request) -> str:
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise PreconditionRequired
    return header.removeprefix("W/").strip('"')


class VersionedUpdateMixin:
    """For a DRF viewset whose serializer's ``update`` calls a service with ``expected_version``
    (given in the serializer context as ``expected_version``)."""

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        response["ETag"] = etag_for(self.get_object())
        return response

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.request.method in ("PUT", "PATCH"):
            context["expected_version"] = if_match_version(self.request)
        return context

    def update(self, request, *args, **kwargs):
        try:
            response = super().update(request, *args, **kwargs)
        except EditConflict as conflict:
            current = self.get_serializer(conflict.current).data
            answer = Response(
                {"detail": conflict.messages[0], "current": current},
                status=status.HTTP_412_PRECONDITION_FAILED,
            )
            answer["ETag"] = f'"{conflict.current.row_version}"'
            return answer
        response["ETag"] = etag_for(self.get_object())
        return response
