"""How much input KAM takes: the length of every text, the size of every list. One home for the
bounds: models, forms and serializers take them from here, so a limit changes in one place and the
three layers never disagree.

A model text field is made with ``bounded_text``: its ``max_length`` reaches the form field (with a
``maxlength`` on the textarea) and the serializer field, and its validator refuses longer text in
``full_clean`` (which every service runs), with Django's message naming the limit and the length.
"""

from __future__ import annotations

from django.core.validators import MaxLengthValidator
from django.db import models

# Characters.
SHORT_TEXT = 300  # one line: a next step, a note on a rating
LONG_TEXT = 4000  # what a person writes: a visit's summary, a complaint, a resolution (a page)
SYSTEM_TEXT = 2000  # what KAM writes about itself: an error, a snapshot (cut to this length)

# Items in one list input (the contacts of an interaction, ids posted at once).
MAX_LIST_ITEMS = 50


def bounded_text(verbose_name, *, max_length: int = LONG_TEXT, **kwargs) -> models.TextField:
    """A ``TextField`` with a length limit that forms, serializers and ``full_clean`` all enforce."""
    return models.TextField(
        verbose_name, max_length=max_length, validators=[MaxLengthValidator(max_length)], **kwargs
    )
