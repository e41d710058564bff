"""Edit conflicts: saving a record that someone else changed since you opened it overwrites nothing.

The version of a row is PostgreSQL's ``xmin``: the id of the transaction that last wrote it. Every
write changes it, whichever path made it (a form, the API, the admin, an import's set-based upsert, a
raw UPDATE), so no write can forget to bump a counter, and no column is added. An edit form carries the
version it was opened at (a hidden field); the API sends it as the ETag and expects it back in
If-Match. The service locks the row, compares, and raises ``EditConflict`` (with the current row, to
show both versions) when they differ.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils.translation import gettext_lazy as _

VERSION_FIELD = "version"


class EditConflict(ValidationError):
    """Someone saved the record after you opened it. ``current`` is the record as it is now."""

    def __init__(self, current):
        super().__init__(
            _(
                "Someone else saved this record after you opened it. Nothing was overwritten: "
                "compare the two versions and save again."
            ),
            code="edit_conflict",
        )
        self.current = current


def with_version(queryset: QuerySet) -> QuerySet:
    """Annotate each row with its version (``row_version``, a string)."""
    table = queryset.model._meta.db_table
    return queryset.annotate(row_version=RawSQL(f'"{table}".xmin::text', ()))  # noqa: S611 (no user input)


def version_of(instance) -> str:
    if getattr(instance, "row_version", None):
        return instance.row_version
    return (
        with_version(type(instance)._base_manager.filter(pk=instance.pk))
        .values_list("row_version", flat=True)
        .get()
    )


def lock_for_edit(queryset: QuerySet, *, pk, expected_version: str | None):
    """Lock the row for this transaction and check it is still the version the editor opened.
    ``expected_version=None`` means the caller did not say (an older client): no check."""
    instance = with_version(queryset.select_for_update(of=("self",))).filter(pk=pk).first()
    if instance is None:
        raise Http404
    if expected_version is not None and str(expected_version) != instance.row_version:
        raise EditConflict(current=instance)
    return instance
