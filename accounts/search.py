"""Account search: any part of the name or short name (Chinese included), its pinyin or initials
(“huajin”, “hj” for 华锦, from the keys of accounts/pinyin.py), or a credit-code prefix.

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
from django.db.models.functions import Concat, Upper

from .pinyin import is_pinyin_query, pinyin_query
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
    pinyin = pinyin_query(value) if is_pinyin_query(value) else ""
    if pinyin:
        matches |= Q(name_key__pinyin_search__contains=pinyin)
    if len(value) < 2:
        return queryset.filter(matches)
    needle = Bigrams(Upper(Value(value)))
    candidates = Q(name_bigrams__contains=needle) | Q(short_name_bigrams__contains=needle)
    aliases = {"name_bigrams": Bigrams(Upper("name")), "short_name_bigrams": Bigrams(Upper("short_name"))}
    if len(pinyin) >= 2:
        aliases["pinyin_bigrams"] = Bigrams("name_key__pinyin_search")
        candidates |= Q(pinyin_bigrams__contains=Bigrams(Value(pinyin)))
    return queryset.alias(**aliases).filter((candidates | Q(credit_code__startswith=code)) & matches)


def contact_search_text():
    """What a contact is found by: name, mobile and e-mail (one expression, indexed by migration 0011)."""
    return Upper(Concat("name", Value(" "), "phone", Value(" "), "email", output_field=models.TextField()))


def contact_search(queryset: QuerySet, value: str) -> QuerySet:
    """Contacts whose name, mobile or e-mail contains the text (a mobile may be typed with spaces)."""
    value = value.strip()
    if not value:
        return queryset.none()
    digits = value.replace(" ", "").replace("-", "")
    needle_text = digits if digits.lstrip("+").isdigit() else value
    queryset = queryset.alias(search_text=contact_search_text())
    matches = Q(search_text__contains=needle_text.upper())
    if len(needle_text) < 2:  # no bigram: a surname alone (王) is looked for without the index
        return queryset.filter(matches)
    return queryset.alias(search_bigrams=Bigrams(contact_search_text())).filter(
        Q(search_bigrams__contains=Bigrams(Upper(Value(needle_text)))) & matches
    )
