"""Backups: ``make backup`` and ``make restore FILE=…`` (README, "Backups").

A backup is ``pg_dump --format=custom`` of the KAM database: one file with the schema, the data, the
audit trail and its triggers, restorable table by table with ``pg_restore``. The tools are the
machine's own (``pg_dump`` on PATH, or ``$KAM_PG_BIN``) when KAM uses an external PostgreSQL, and the
embedded server's (the ``pgserver`` wheel ships them) when the machine has none.
"""

from __future__ import annotations

import os
import shutil
import subprocess  # noqa: S404 (fixed argument lists, no shell)
import warnings
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from kam import embedded


@dataclass(frozen=True)
class Target:
    name: str
    user: str
    host: str
    port: str
    password: str

    @classmethod
    def from_settings(cls, name: str | None = None) -> Target:
        database = settings.DATABASES["default"]
        return cls(
            name=name or database["NAME"],
            user=database.get("USER") or "postgres",
            host=database.get("HOST") or "",
            port=str(database.get("PORT") or ""),
            password=database.get("PASSWORD") or "",
        )

    def arguments(self) -> list[str]:
        arguments = ["--username", self.user]
        if self.host:
            arguments += ["--host", self.host]
        if self.port:
            arguments += ["--port", self.port]
        return arguments

    def environment(self) -> dict[str, str]:
        environment = dict(os.environ)
        if self.password:
            environment["PGPASSWORD"] = self.password
        return environment


def tool(name: str) -> str:
    """``pg_dump`` or ``pg_restore``: from ``$KAM_PG_BIN``, else PATH, else the embedded server's."""
    configured = os.environ.get("KAM_PG_BIN")
    if configured:
        return str(Path(configured) / name)
    on_path = shutil.which(name)
    if on_path and not _uses_embedded_server():
        return on_path
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")  # platformdirs, containers and CI
        import pgserver

    return str(Path(pgserver.__file__).parent / "pginstall" / "bin" / name)


def _uses_embedded_server() -> bool:
    host = settings.DATABASES["default"].get("HOST") or ""
    return host.startswith(str(embedded.var_dir())) or "pgserver" in host


def default_backup_path() -> Path:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    return Path(settings.BASE_DIR) / "var" / "backups" / f"kam-{stamp}.dump"


def backup(*, output: Path | None = None) -> Path:
    output = Path(output or default_backup_path())
    output.parent.mkdir(parents=True, exist_ok=True)
    target = Target.from_settings()
    subprocess.run(  # noqa: S603
        [
            tool("pg_dump"),
            "--format=custom",
            "--no-owner",
            "--file",
            str(output),
            *target.arguments(),
            target.name,
        ],
        check=True,
        env=target.environment(),
        capture_output=True,
    )
    return output


def restore(*, backup_file: Path, database: str | None = None, create: bool = False) -> str:
    """Restore a backup into the configured database (replacing what it holds), or into ``database``
    (created first when ``create``). Returns the database restored into."""
    target = Target.from_settings(database)
    if create:
        import psycopg
        from psycopg import sql

        connection_kwargs = {"dbname": "postgres", "user": target.user, "autocommit": True}
        if target.host:
            connection_kwargs["host"] = target.host
        if target.port:
            connection_kwargs["port"] = target.port
        if target.password:
            connection_kwargs["password"] = target.password
        with psycopg.connect(**connection_kwargs) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target.name)))
    subprocess.run(  # noqa: S603
        [
            tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--exit-on-error",
            *target.arguments(),
            "--dbname",
            target.name,
            str(backup_file),
        ],  # fmt: skip
        check=True,
        env=target.environment(),
        capture_output=True,
    )
    return target.name
