"""``make run``: the whole product on one machine, stopped cleanly with Ctrl-C.

1. Without ``DATABASE_URL`` / ``REDIS_URL``, start the embedded PostgreSQL and Redis (kam/embedded.py,
   data in ``var/`` or ``$KAM_VAR_DIR``) and hand their URLs to every child through the environment.
2. ``manage.py migrate``, then ``manage.py seed_demo`` (idempotent: a second run adds nothing), then
   ``grade_history`` (months not graded yet) and ``run_alerts`` (idempotent, de-duplicated).
3. Start the web server, a Celery worker and Celery beat, each in its own process group, with their
   output prefixed by their name; print the URL and the demo logins once the web server answers.
4. On Ctrl-C, SIGTERM or SIGHUP: SIGTERM every child's process group, SIGKILL what is left after
   a timeout, then stop the embedded servers. A worker or beat that dies on its own is started again
   (after 1, 2, 4 … up to 60 s); if the web server dies, everything stops and the exit code is 1.
5. Nothing outlives the launcher, even killed with SIGKILL: every child gets SIGTERM when the
   launcher dies (Linux's parent-death signal), and a guardian process in its own session, reading a
   pipe only the launcher writes to, stops every recorded process group and embedded server when the
   pipe closes. What the launcher started is recorded in ``var/launcher.json``; a ``make run`` that
   finds the record of a dead launcher stops its survivors first.

Django settings are never loaded here: without the URLs they would start embedded servers of their
own, tied to this process's lifetime rather than to the children that use them.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from kam import embedded

PROJECT_DIR = Path(__file__).resolve().parent.parent
SETTINGS_MODULE = "kam.settings.local"
DEMO_USERS = [
    ("admin", "Administrator: every account"),
    ("director", "Sales director: every account of the regions and teams they direct"),
    ("manager", "Account manager: accounts they own or whose team they are on"),
]
STOP_TIMEOUT_SECONDS = 20  # a Celery warm shutdown lets running tasks finish; beyond this, SIGKILL
RESTARTED = ("worker", "beat")  # started again when they die; the web server dying stops everything
RESTART_DELAYS = (1, 2, 4, 8, 15, 30, 60)  # seconds, one step further at each crash in a row
STABLE_SECONDS = 60  # a child that ran this long before dying starts again at the first delay
READY_TIMEOUT_SECONDS = 120
POLL_SECONDS = 0.5
HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

_output_lock = threading.Lock()


class StopRequested(Exception):
    """Ctrl-C, SIGTERM or SIGHUP arrived."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class LaunchError(Exception):
    """A step failed; the message says which and what to do."""


def _write(text: str) -> None:
    """Print, but never let a closed terminal or pipe (``make run | tee``, killed by the same
    Ctrl-C) abort the shutdown: output is dropped from then on."""
    with _output_lock:
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except (OSError, ValueError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process


def say(message: str) -> None:
    _write(f"kam    | {message}\n")


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    args: list[str] | None = None
    env: dict[str, str] | None = None
    started: float = 0.0

    @property
    def pid(self) -> int:
        return self.process.pid


def _relay_output(name: str, stream) -> None:
    """Copy a child's output to ours, line by line, prefixed with its name."""
    for raw_line in iter(stream.readline, b""):
        line = raw_line.decode("utf-8", errors="replace").rstrip("\n")
        _write(f"{name:<6} | {line}\n")
    stream.close()


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the launcher dies, however it dies (Linux only)."""
    if sys.platform == "linux":
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)


def spawn(name: str, args: list[str], env: dict[str, str]) -> Child:
    """Start a child in its own process group, so Ctrl-C reaches only the launcher, which then
    stops the child and everything it forked (Celery's pool processes) as a group."""
    process = subprocess.Popen(  # noqa: S603 - fixed argument lists, no shell
        args,
        cwd=PROJECT_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        process_group=0,
        preexec_fn=_die_with_parent,  # noqa: PLW1509 - only prctl, before exec
    )
    threading.Thread(target=_relay_output, args=(name, process.stdout), daemon=True).start()
    child = Child(name=name, process=process, args=args, env=env, started=time.monotonic())
    _record.add(child)
    return child


# --- What the launcher started, for the guardian and for the next make run ----------------------------


class _Record:
    """``var/launcher.json``: this launcher's pid and the process groups of its children."""

    def __init__(self):
        self.path: Path | None = None
        self.groups: set[int] = set()

    def open(self, path: Path) -> None:
        self.path = path
        self._write()

    def add(self, child: Child) -> None:
        self.groups.add(child.pid)
        self._write()

    def _write(self) -> None:
        if self.path is None:
            return
        import psutil

        me = psutil.Process()
        state = {"launcher": me.pid, "started": me.create_time(), "groups": sorted(self.groups)}
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(state))
        temporary.replace(self.path)

    def close(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self.path = None


_record = _Record()


def state_path() -> Path:
    return embedded.var_dir() / "launcher.json"


def _launcher_alive(state: dict) -> bool:
    import psutil

    try:
        process = psutil.Process(state["launcher"])
        return abs(process.create_time() - state["started"]) < 1 and "kam.launcher" in " ".join(
            process.cmdline()
        )
    except (psutil.Error, KeyError):
        return False


def stop_recorded(path: Path, timeout: float = STOP_TIMEOUT_SECONDS) -> int:
    """Stop every process group and embedded server a launcher recorded in ``path``; return how many
    processes were stopped. Used by the guardian when its launcher is gone, and by the next launcher."""
    import psutil

    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return 0
    groups = set(state.get("groups", []))
    members = []
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error, OSError):
            if os.getpgid(process.pid) in groups and process.pid != os.getpid():
                members.append(process)
    for process in members:
        with contextlib.suppress(psutil.Error):
            process.terminate()
    _gone, alive = psutil.wait_procs(members, timeout=timeout)
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.kill()
    stopped = len(members) + len(embedded.sweep_servers())
    path.unlink(missing_ok=True)
    return stopped


def stop_survivors() -> None:
    """A launcher that was killed (SIGKILL, with its guardian) may have left its children and servers
    running: stop them. A launcher still running is another make run: refuse."""
    path = state_path()
    if not path.exists():
        return
    try:
        state = json.loads(path.read_text())
    except ValueError:
        state = {}
    if _launcher_alive(state):
        raise LaunchError(
            f"KAM is already running from this folder (launcher pid {state['launcher']}); stop it first"
        )
    stopped = stop_recorded(path)
    if stopped:
        say(f"stopped {stopped} process(es) left running by an earlier make run that was killed")


def start_guardian() -> subprocess.Popen:
    """A process in its own session that outlives a SIGKILL of the launcher: it reads a pipe that only
    the launcher holds open, and when the pipe closes with the launcher's record still there, it stops
    everything recorded."""
    return subprocess.Popen(  # noqa: S603 - our own module
        [sys.executable, "-m", "kam.launcher", "--guard", str(state_path())],
        cwd=PROJECT_DIR,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def guard(path: Path) -> int:
    for signum in HANDLED_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    sys.stdin.buffer.read()  # returns when the launcher closes the pipe, or dies
    stop_recorded(path)
    return 0


def _signal_group(child: Child, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the whole group has already gone
        os.killpg(child.pid, signum)


def stop_children(children: list[Child], timeout: float = STOP_TIMEOUT_SECONDS) -> None:
    """SIGTERM every group, wait up to ``timeout``, SIGKILL whatever is left, and reap."""
    running = [child for child in children if child.process.poll() is None]
    if running:
        say("stopping " + ", ".join(child.name for child in running) + " ...")
    for child in running:
        _signal_group(child, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for child in running:
        try:
            child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"{child.name} did not stop within {timeout:.0f} s; killing it")
    for child in children:
        # Also sweeps grandchildren that outlived their leader (a pool process, say).
        _signal_group(child, signal.SIGKILL)
        child.process.wait()


def run_step(name: str, args: list[str], env: dict[str, str]) -> None:
    """Run a one-off command to completion; a failure stops the launch."""
    child = spawn(name, args, env)
    try:
        returncode = child.process.wait()
    except BaseException:
        stop_children([child])
        raise
    if returncode != 0:
        raise LaunchError(f"'{' '.join(args[1:])}' failed with exit code {returncode} (see its output above)")


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def web_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own http://127.0.0.1 URL
            return True
    except urllib.error.HTTPError as error:
        return error.code < 500
    except (urllib.error.URLError, OSError):
        return False


def become_subreaper() -> None:
    """Adopt the processes our children orphan (pg_ctl's postgres, redis-server's daemon), so we
    can reap them: where PID 1 does not reap (some containers), they would linger as zombies."""
    if sys.platform == "linux":
        import ctypes

        pr_set_child_subreaper = 36
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_child_subreaper, 1, 0, 0, 0)


def reap_when_done(pid: int) -> None:
    """Collect an adopted server's exit status the moment it stops (in the background)."""

    def wait() -> None:
        with contextlib.suppress(ChildProcessError):  # not ours: a server someone else started
            os.waitpid(pid, 0)

    threading.Thread(target=wait, daemon=True).start()


def reap_adopted(children: list[Child]) -> None:
    """Collect adopted processes that have exited (the pool processes of a crashed worker), leaving our
    own children to Popen, which needs their exit codes."""
    import psutil

    own = {child.pid for child in children}
    with contextlib.suppress(psutil.Error):
        for process in psutil.Process().children():
            with contextlib.suppress(psutil.Error, ChildProcessError):
                if process.pid not in own and process.status() == psutil.STATUS_ZOMBIE:
                    os.waitpid(process.pid, os.WNOHANG)


def reap_orphans() -> None:
    """Collect anything else adopted that has exited (a Celery pool process that outlived its worker)."""
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def start_data_stores(env: dict[str, str]) -> None:
    """Fill in DATABASE_URL / REDIS_URL with embedded servers where the environment has none."""
    if not env.get("DATABASE_URL"):
        say(f"starting embedded PostgreSQL (data in {embedded.var_dir() / 'pgdata'}) ...")
        env["DATABASE_URL"] = embedded.embedded_database_url()
    else:
        say("using PostgreSQL from DATABASE_URL")
    if not env.get("REDIS_URL"):
        say(f"starting embedded Redis (data in {embedded.var_dir() / 'redis'}) ...")
        env["REDIS_URL"] = embedded.embedded_redis_url()
    else:
        say("using Redis from REDIS_URL")


def print_banner(url: str, password: str) -> None:
    width = max(len(username) for username, _ in DEMO_USERS)
    lines = ["", f"KAM is running at {url}", "Demo logins (password for all three: " + password + "):"]
    lines += [f"  {username:<{width}}  {role}" for username, role in DEMO_USERS]
    lines += ["Press Ctrl-C to stop the web server, worker, beat and the embedded servers.", ""]
    _write("\n".join(lines) + "\n")


def load_dotenv() -> None:
    """Read .env the way settings do (values already in the environment win)."""
    dotenv = PROJECT_DIR / ".env"
    if dotenv.exists():
        import environ  # django-environ: parses only; settings are not touched

        environ.Env.read_env(dotenv, overwrite=False)


def launch(children: list[Child]) -> None:
    """Start everything and supervise it; returns only by raising (a signal or a failure)."""
    load_dotenv()
    port = int(os.environ.get("PORT") or 8000)
    url = f"http://127.0.0.1:{port}/"
    if not port_is_free(port):
        raise LaunchError(
            f"port {port} is already in use; stop what uses it or run: PORT={port + 1} make run"
        )

    env = dict(os.environ, DJANGO_SETTINGS_MODULE=SETTINGS_MODULE, PYTHONUNBUFFERED="1")
    # The digest's links lead where this KAM answers (PORT=8001 make run), unless set on purpose.
    env.setdefault("KAM_SITE_URL", url.rstrip("/"))
    python = sys.executable
    with signals_deferred():  # a server half-started by an interrupted call could not be stopped
        stop_survivors()
        state_path().parent.mkdir(parents=True, exist_ok=True)
        _record.open(state_path())
        start_data_stores(env)
        for pid in embedded.embedded_server_pids():
            reap_when_done(pid)
    run_step("migrate", [python, "manage.py", "migrate", "--noinput"], env)
    run_step("seed", [python, "manage.py", "seed_demo"], env)
    # Months not graded yet get their grades (a first run: a year of history for the dashboards), and
    # the alert rules are checked once so My day is filled before the first 08:00 run.
    run_step("grades", [python, "manage.py", "grade_history", "--months", "12"], env)
    run_step("alerts", [python, "manage.py", "run_alerts", "--no-digests"], env)

    beat_pidfile = embedded.var_dir() / "celerybeat.pid"
    beat_pidfile.parent.mkdir(parents=True, exist_ok=True)
    commands = {
        "web": [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        "worker": [python, "-m", "celery", "-A", "kam", "worker", "-l", "info", "--concurrency", "2"],
        "beat": [python, "-m", "celery", "-A", "kam", "beat", "-l", "info", "--pidfile", str(beat_pidfile)],
    }
    for name, args in commands.items():
        children.append(spawn(name, args, env))
    supervise(children, url + "login/", url, env.get("KAM_DEMO_PASSWORD") or "kam-demo-2026")


def shut_down(children: list[Child]) -> None:
    """Stop the children, then the embedded servers. Signals arriving now are only acknowledged."""
    for signum in HANDLED_SIGNALS:
        signal.signal(signum, lambda *_: say("still stopping, please wait ..."))
    stop_children(children)
    if embedded.embedded_server_pids():
        say("stopping embedded Redis and PostgreSQL ...")
    embedded.stop_embedded_servers()
    if _record.path is not None:
        # A server restarted under us (a new postmaster pid) is not the one pgserver knows: stop it too.
        embedded.sweep_servers()
    _record.close()
    reap_orphans()
    say("stopped.")


def supervise(children: list[Child], ready_url: str, url: str, password: str) -> None:
    """Watch the children until a signal arrives or the web server exits; start a dead worker or beat
    again after a delay that grows with each crash in a row."""
    started = time.monotonic()
    announced = False
    crashes: dict[str, int] = {}
    restart_at: dict[str, float] = {}
    while True:
        for index, child in enumerate(children):
            returncode = child.process.poll()
            if returncode is None:
                continue
            if child.name not in RESTARTED:
                raise LaunchError(
                    f"{child.name} exited unexpectedly with code {returncode}; stopping everything"
                )
            if child.name not in restart_at:
                _signal_group(child, signal.SIGKILL)  # its pool processes go with it
                if time.monotonic() - child.started > STABLE_SECONDS:
                    crashes[child.name] = 0
                delay = RESTART_DELAYS[min(crashes.get(child.name, 0), len(RESTART_DELAYS) - 1)]
                crashes[child.name] = crashes.get(child.name, 0) + 1
                restart_at[child.name] = time.monotonic() + delay
                say(f"{child.name} exited unexpectedly with code {returncode}; restarting it in {delay} s")
            elif time.monotonic() >= restart_at[child.name]:
                del restart_at[child.name]
                children[index] = spawn(child.name, child.args, child.env)
                say(f"{child.name} restarted")
        reap_adopted(children)
        if not announced:
            if web_answers(ready_url):
                print_banner(url, password)
                announced = True
            elif time.monotonic() - started > READY_TIMEOUT_SECONDS:
                raise LaunchError(
                    f"the web server did not answer {ready_url} within {READY_TIMEOUT_SECONDS} s"
                )
        time.sleep(POLL_SECONDS)


_deferred_signal: list[int] = []
_deferring = False


def _on_signal(signum, frame):
    if _deferring:
        _deferred_signal.append(signum)
        return
    raise StopRequested(signum)


@contextlib.contextmanager
def signals_deferred():
    """Hold Ctrl-C / SIGTERM until the block ends, then act on it."""
    global _deferring
    _deferring = True
    try:
        yield
    finally:
        _deferring = False
    if _deferred_signal:
        raise StopRequested(_deferred_signal[0])


def main() -> int:
    if sys.argv[1:2] == ["--guard"]:
        return guard(Path(sys.argv[2]))
    become_subreaper()
    guardian = start_guardian()
    for signum in HANDLED_SIGNALS:
        signal.signal(signum, _on_signal)
    children: list[Child] = []
    exit_code = 1
    try:
        launch(children)
    except StopRequested as stop:
        say(f"{stop} received")
        exit_code = 0
    except LaunchError as error:
        say(f"error: {error}")
    except Exception:
        say("unexpected error; stopping everything")
        _write(traceback.format_exc())
    finally:
        shut_down(children)
        guardian.stdin.close()  # the record is gone: the guardian finds nothing to stop and exits
        with contextlib.suppress(subprocess.TimeoutExpired):
            guardian.wait(timeout=10)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
