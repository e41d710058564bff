"""Double submit: every create form carries a one-time token, so the same POST twice (a double tap, a
retry after a timeout, the browser's "resend") saves once, and the second answer shows the record the
first one saved.

In the template, inside the form::

    {% load create_token %}{% create_token %}

In the view, around the service call (see ``accounts.views._inline_create``)::

    claim = idempotency.claim(request)
    if claim.replayed:
        return redirect(claim.result_url)      # already saved: show it
    ... save ...
    claim.complete(url_of_the_saved_record)    # or claim.release() when nothing was saved

The claim is a row inserted in the request's transaction (ATOMIC_REQUESTS): a concurrent second
request blocks on the token's primary key until the first commits, then sees it used; if the first
rolls back, the second saves. No cache is involved, so it holds when Redis is down.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import CreateToken

FIELD_NAME = "create_token"
HEADER = "HTTP_IDEMPOTENCY_KEY"
# Used tokens are kept this long: far longer than any retry, short enough that the table stays small.
KEEP_FOR = timedelta(days=2)


def new_token() -> str:
    return str(uuid.uuid4())


def _token_from(request) -> uuid.UUID | None:
    value = request.POST.get(FIELD_NAME) or request.META.get(HEADER)
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


@dataclass
class Claim:
    row: CreateToken | None
    replayed: bool = False

    @property
    def result_url(self) -> str:
        return self.row.result_url if self.row else ""

    def complete(self, result_url: str) -> None:
        if self.row is not None and not self.replayed:
            self.row.result_url = result_url
            self.row.save(update_fields=["result_url"])

    def release(self) -> None:
        """Nothing was saved (invalid input): the same token may be sent again with corrections."""
        if self.row is not None and not self.replayed:
            self.row.delete()
            self.row = None


def claim(request) -> Claim:
    """Claim the request's token. ``replayed`` is true when a request with this token already saved
    its record (it then names where that record is shown). A request without a token (an old page,
    an API client without ``Idempotency-Key``) is not protected but works."""
    token = _token_from(request)
    if token is None:
        return Claim(row=None)
    try:
        with transaction.atomic():
            row = CreateToken.objects.create(token=token, user=request.user)
    except IntegrityError:
        row = CreateToken.objects.filter(token=token, user=request.user).first()
        if row is None:  # someone else's token: never replay their answer; treat as no token
            return Claim(row=None)
        return Claim(row=row, replayed=True)
    CreateToken.objects.filter(created_at__lt=timezone.now() - KEEP_FOR).delete()
    return Claim(row=row)
