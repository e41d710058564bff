"""make backup / make restore: a backup restored into a fresh database holds the data."""

import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command

from kam.backups import Target, tool
from tests.factories import AccountFactory

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_a_fresh_database_with_the_data_and_its_history(tmp_path):
    account = AccountFactory(name="备份测试有限公司")
    backup_file = tmp_path / "kam.dump"
    call_command("backup", output=backup_file)
    assert backup_file.stat().st_size > 0
    fresh = f"{settings.DATABASES['default']['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    target = Target.from_settings(fresh)
    try:
        call_command("restore", backup_file, new_database=fresh)
        kwargs = {
            "dbname": fresh,
            "user": target.user,
            "host": target.host or None,
            "port": target.port or None,
        }
        with psycopg.connect(**kwargs) as connection:
            names = [
                row[0]
                for row in connection.execute("SELECT name FROM accounts_account WHERE id = %s", [account.pk])
            ]
            events = connection.execute(
                "SELECT count(*) FROM audit_accountevent WHERE pgh_obj_id = %s", [account.pk]
            ).fetchone()[0]
            triggers = connection.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgtrigger_%%'"
            ).fetchone()[0]
        assert names == ["备份测试有限公司"]
        assert events == 1  # the audit trail travels with the data
        assert triggers > 0  # and keeps recording after a restore
    finally:
        with psycopg.connect(
            dbname="postgres",
            user=target.user,
            host=target.host or None,
            port=target.port or None,
            autocommit=True,
        ) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{fresh}"')


@pytest.mark.filterwarnings("ignore:XDG_RUNTIME_DIR")
def test_the_embedded_servers_own_tools_are_there_and_run():
    import pgserver

    bundled = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pg_dump"
    output = subprocess.run([str(bundled), "--version"], check=True, capture_output=True, text=True).stdout
    assert "pg_dump (PostgreSQL)" in output
    assert Path(tool("pg_dump")).name == "pg_dump"


def test_make_restore_without_a_file_says_how_to_call_it():
    result = subprocess.run(["make", "-s", "restore"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode != 0 and "usage: make restore FILE=" in result.stdout
