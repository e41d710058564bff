"""Account search: any part of the name or short name (Chinese included), or a credit-code prefix.

Chinese names are searched with two or three characters (“宏远”), which a trigram index cannot serve.
So the names are indexed by their *bigrams* — every pair of adjacent characters — in GIN indexes on
``kam_bigrams(UPPER(name))`` (a plain SQL function created by migration 0005; no extension needed, so
the embedded development server has it too). A search first narrows the candidates with those
indexes (``bigrams(name) @> bigrams(query)``), then keeps the rows that really contain the query.
One-character queries have no bigram and fall back to a scan.
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Func, Q, QuerySet, Value
from django.db.models.functions import Upper

from .validators import normalise_credit_code


class Bigrams(Func):
    """``kam_bigrams(text)``: the distinct pairs of adjacent characters of a text."""

    function = "kam_bigrams"
    output_field = ArrayField(models.TextField())


def account_search(queryset: QuerySet, value: str) -> QuerySet:
    value = value.strip()
    if not value:
        return queryset
    code = normalise_credit_code(value)
    matches = Q(name__icontains=value) | Q(short_name__icontains=value) | Q(credit_code__startswith=code)
    if len(value) < 2:
        return queryset.filter(matches)
    needle = Bigrams(Upper(Value(value)))
    candidates = Q(name_bigrams__contains=needle) | Q(short_name_bigrams__contains=needle)
    return queryset.alias(
        name_bigrams=Bigrams(Upper("name")), short_name_bigrams=Bigrams(Upper("short_name"))
    ).filter((candidates | Q(credit_code__startswith=code)) & matches)
