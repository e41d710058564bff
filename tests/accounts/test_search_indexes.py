from django.db import connection

from accounts import search_indexes


def test_search_indexes_exist_where_the_server_has_pg_trgm(db):
    if not search_indexes.trigram_available(connection):
        # The embedded development server has no pg_trgm: nothing to check beyond the migration running.
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'accounts_account'")
        names = {row[0] for row in cursor.fetchall()}
    assert set(search_indexes.SEARCH_INDEXES) <= names


def test_without_pg_trgm_the_indexes_are_skipped_not_failed(db, monkeypatch):
    monkeypatch.setattr(search_indexes, "trigram_available", lambda connection: False)
    assert search_indexes.create_search_indexes(connection) is False
