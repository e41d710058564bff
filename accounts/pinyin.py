"""Pinyin keys of account names: the list sorts Chinese names as a Chinese reader expects (by pinyin,
上海 before 南京 before 厦门) and the search finds 华锦 by "huajin" or by its initials "hj".

The keys are computed in Python with pypinyin (its phrase dictionary reads 厦门 as xiamen and 重庆 as
chongqing) and stored beside the account (``AccountNameKey``: derived data, so not in the account's
audit trail), because PostgreSQL cannot compute them: ``name_pinyin`` is the sort key,
``pinyin_search`` the searchable text (full pinyin and initials of the name and the short name).
``Account.save()`` keeps them current; code that writes accounts in bulk (COPY, bulk_create, raw SQL)
calls ``pinyin_keys_fill()`` afterwards. An account without keys sorts last until then.
"""

from __future__ import annotations

import re

from pypinyin import Style, lazy_pinyin

NOT_KEY = re.compile(r"[^a-z0-9]+")
SEARCH_QUERY = re.compile(r"^[A-Za-z0-9 ]+$")
FILL_BATCH = 2000


def _key(syllables: list[str]) -> str:
    return NOT_KEY.sub("", "".join(syllables).lower())


def name_pinyin(name: str) -> str:
    """华锦智能 → huajinzhineng; Latin letters and digits are kept, lowercased; punctuation dropped."""
    return _key(lazy_pinyin(name))[:400]


def pinyin_search_text(name: str, short_name: str = "") -> str:
    parts = []
    for text in (name, short_name):
        if text:
            parts += [_key(lazy_pinyin(text)), _key(lazy_pinyin(text, style=Style.FIRST_LETTER))]
    return " ".join(part for part in parts if part)[:1000]


def is_pinyin_query(value: str) -> bool:
    return bool(SEARCH_QUERY.match(value))


def pinyin_query(value: str) -> str:
    return NOT_KEY.sub("", value.lower())


def pinyin_keys_upsert(accounts) -> int:
    """Store the keys of these accounts (objects or (pk, name, short_name) tuples), one statement."""
    from .models import AccountNameKey

    rows = [
        AccountNameKey(
            account_id=pk, name_pinyin=name_pinyin(name) or "-", pinyin_search=pinyin_search_text(name, short)
        )
        for pk, name, short in ((a.pk, a.name, a.short_name) if hasattr(a, "pk") else a for a in accounts)
    ]
    AccountNameKey.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["account"], update_fields=["name_pinyin", "pinyin_search"]
    )
    return len(rows)


def pinyin_keys_fill(*, batch: int = FILL_BATCH) -> int:
    """Compute the keys of accounts that have none (written in bulk), in batches. Returns the count."""
    from .models import Account

    missing = Account.objects.filter(name_key__isnull=True).order_by("pk")
    done = 0
    while rows := list(missing.values_list("pk", "name", "short_name")[:batch]):
        done += pinyin_keys_upsert(rows)
    return done
