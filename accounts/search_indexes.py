"""The trigram indexes behind account search (name and short name, any substring, Chinese included).

pg_trgm is a contrib extension: present wherever PostgreSQL is packaged for production, absent from the
embedded development server. Creating the indexes is therefore conditional, in one place, used by the
migration and by ``manage.py create_search_indexes``.
"""

import logging

logger = logging.getLogger(__name__)

SEARCH_INDEXES = {
    "account_name_trgm": "CREATE INDEX IF NOT EXISTS account_name_trgm ON accounts_account "
    'USING gin (UPPER("name") gin_trgm_ops)',
    "account_short_name_trgm": "CREATE INDEX IF NOT EXISTS account_short_name_trgm ON accounts_account "
    'USING gin (UPPER("short_name") gin_trgm_ops)',
}


def trigram_available(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        return cursor.fetchone() is not None


def create_search_indexes(connection) -> bool:
    """Create pg_trgm and the indexes if the server has the extension; return whether it did."""
    if not trigram_available(connection):
        logger.warning(
            "pg_trgm is not available on this PostgreSQL server: account search works without its "
            "indexes (sequential scan). Install the postgresql-contrib package for fast search at scale."
        )
        return False
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for statement in SEARCH_INDEXES.values():
            cursor.execute(statement)
    return True


def drop_search_indexes(connection) -> None:
    with connection.cursor() as cursor:
        for name in SEARCH_INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")
