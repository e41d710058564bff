"""KAM's load test: demo users on a running KAM at 127.0.0.1, ramped 1 → 10 → 25 → 50, bounded.

    .venv/bin/python loadtest/run.py --base-url http://127.0.0.1:8000 [--stages 1,10,25,50] [--seconds 60]

Why threads and the standard library, not locust or an asyncio client: nothing to install (the project's
venv runs it), the virtual users are a fixed, small number (≤ 100) that block on I/O, so threads cost
next to no CPU beside the server on the same 2 cores, and ``http.client`` speaks HTTP/1.1 keep-alive and
chunked (streamed) answers as gunicorn sends them. Each virtual user logs in as a demo user and loops
through its role's pages with a think time; the mix is 60 % account managers, 30 % sales directors,
10 % administrators:

- managers: account list, a 2-character Chinese search, an account page, a visit POSTed with its CSRF
  token and its one-time create token (kam/idempotency.py), My day;
- directors and administrators: the dashboard, its lazy sections (as htmx loads them), an htmx filter,
  a drill-down, the risk list (administrators: the full risk.csv).

It prints, per stage and per endpoint, p50/p95/p99, requests per second and errors, then checks in the
database that every visit the server acknowledged is saved exactly once (a POST that timed out is sent
again with the same token, as a browser's retry would be: it must not save twice). Exit status 1 when a
check fails. It refuses any host other than 127.0.0.1/localhost and more than --max-users users.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import statistics
import sys
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
ROLES = ["manager"] * 6 + ["director"] * 3 + ["admin"]  # 60 / 30 / 10 %
USERS = {
    "manager": ["manager", *(f"manager{n}" for n in range(2, 10))],
    "director": ["director", "director2"],
    "admin": ["admin"],
}
SEARCHES = ["机械", "科技", "建设", "物流", "电子", "华东", "医药", "能源"]
MARKER = "loadtest"


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    times: dict = field(default_factory=lambda: defaultdict(list))
    errors: dict = field(default_factory=lambda: defaultdict(int))
    acknowledged: list = field(default_factory=list)

    def record(self, name: str, seconds: float, ok: bool) -> None:
        with self.lock:
            self.times[name].append(seconds)
            if not ok:
                self.errors[name] += 1

    def take(self) -> Stats:
        """The figures recorded so far (one stage), leaving this empty for the next stage."""
        with self.lock:
            taken = Stats(times=self.times, errors=self.errors)
            self.times, self.errors = defaultdict(list), defaultdict(int)
            return taken


class Timeout(Exception):
    pass


class Browser:
    """One user's connection: cookies, CSRF token, keep-alive."""

    def __init__(self, base_url: str, timeout: float, stats: Stats):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.timeout, self.stats = timeout, stats
        self.cookies: dict[str, str] = {}
        self.connection = None

    def _connect(self):
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def request(self, name, method, path, *, body=None, headers=None, expect=(200,)):
        headers = dict(headers or {})
        headers["Host"] = f"{self.host}:{self.port}"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{key}={value}" for key, value in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://{self.host}:{self.port}{path}"
            headers["Origin"] = f"http://{self.host}:{self.port}"
            if "csrftoken" in self.cookies:
                headers["X-CSRFToken"] = self.cookies["csrftoken"]
        started = time.perf_counter()
        for attempt in (1, 2):  # a keep-alive connection the server closed meanwhile: reconnect once
            if self.connection is None:
                self._connect()
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except TimeoutError as error:
                self.connection.close()
                self.connection = None
                self.stats.record(name, time.perf_counter() - started, ok=False)
                raise Timeout(path) from error
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    self.stats.record(name, time.perf_counter() - started, ok=False)
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            for key, morsel in SimpleCookie(header).items():
                self.cookies[key] = morsel.value
        ok = response.status in expect
        self.stats.record(name, time.perf_counter() - started, ok=ok)
        return response.status, text, response.headers

    def login(self, username: str, password: str) -> None:
        _status, page, _headers = self.request("login page", "GET", "/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urlencode({"csrfmiddlewaretoken": token, "username": username, "password": password})
        status, _text, _headers = self.request("login", "POST", "/login/", body=body, expect=(302,))
        if status != 302:
            raise RuntimeError(f"cannot log in as {username}")


def manager_round(browser: Browser, rng: random.Random, stats: Stats, run_id: str, user_number: int):
    _s, listing, _h = browser.request("account list", "GET", "/accounts/")
    browser.request(
        "search (2 Chinese characters)", "GET", "/accounts/?" + urlencode({"q": rng.choice(SEARCHES)})
    )
    ids = re.findall(r'href="/accounts/(\d+)/"', listing)
    if not ids:
        return
    account = rng.choice(ids)
    _s, page, _h = browser.request("account page", "GET", f"/accounts/{account}/")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    form = page[page.find(f"/accounts/{account}/interactions/new/") :]
    create_token = re.search(r'name="create_token" value="([^"]+)"', form)
    marker = f"{MARKER}-{run_id}-{user_number}-{uuid.uuid4().hex[:12]}"
    fields = {
        "csrfmiddlewaretoken": csrf.group(1) if csrf else "",
        "kind": "visit",
        "occurred_at": time.strftime("%Y-%m-%dT%H:%M"),
        "summary": f"拜访客户 {marker}",
    }
    if create_token:
        fields["create_token"] = create_token.group(1)
    body = urlencode(fields)
    path = f"/accounts/{account}/interactions/new/"
    for attempt in (1, 2):  # a timed-out POST is sent again with the same token, as a browser retries
        try:
            status, _t, _h = browser.request("POST visit", "POST", path, body=body, expect=(200, 302))
        except Timeout:
            if attempt == 2:
                return
            continue
        if status in (200, 302):
            with stats.lock:
                stats.acknowledged.append(marker)
        return


def manager_my_day(browser: Browser, *_args):
    browser.request("My day", "GET", "/my-day/")


def dashboard_round(browser: Browser, rng: random.Random, admin: bool):
    _s, page, _h = browser.request("dashboard", "GET", "/dashboard/")
    htmx = {"HX-Request": "true"}
    for section in sorted(set(re.findall(r'hx-get="(/dashboard/\?[^"]*section=[^"]+)"', page)))[:6]:
        browser.request("dashboard section (htmx)", "GET", section.replace("&amp;", "&"), headers=htmx)
    regions = re.findall(r'<option value="(\d+)"[^>]*>[^<]*</option>', page)
    if regions:
        browser.request(
            "dashboard filter (htmx)",
            "GET",
            "/dashboard/?" + urlencode({"region": rng.choice(regions)}),
            headers=htmx,
        )
    drilldowns = re.findall(r'href="(/dashboard/accounts/\?[^"]+)"', page)
    if drilldowns:
        browser.request("drill-down", "GET", rng.choice(drilldowns).replace("&amp;", "&"))
    if admin:
        browser.request("risk.csv (administrator)", "GET", "/dashboard/export/risk.csv")


def virtual_user(number, role, args, stats, stop: threading.Event, started: threading.Event):
    rng = random.Random(args.seed * 1000 + number)  # noqa: S311 -- a load pattern, not a secret
    browser = Browser(args.base_url, args.timeout, stats)
    username = USERS[role][number % len(USERS[role])]
    try:
        browser.login(username, args.password)
    except Exception as error:  # noqa: BLE001 -- reported, the user stops
        print(f"user {number} ({username}): {error}", file=sys.stderr)
        return
    finally:
        started.set()
    while not stop.is_set():
        try:
            if role == "manager":
                manager_round(browser, rng, stats, args.run_id, number)
                manager_my_day(browser)
            else:
                dashboard_round(browser, rng, admin=role == "admin")
        except Timeout:
            pass
        except Exception as error:  # noqa: BLE001 -- counted; the user goes on
            stats.record(f"error: {type(error).__name__}", 0.0, ok=False)
        stop.wait(rng.uniform(args.think / 2, args.think * 1.5))


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def report(stage_users: int, seconds: float, stats: Stats) -> dict:
    total = sum(len(times) for times in stats.times.values())
    errors = sum(stats.errors.values())
    every = [t for times in stats.times.values() for t in times]
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"\n== {stage_users} users, {seconds:.0f} s: {total / seconds:.1f} requests/s, "
        f"{errors} errors; load {load}"
    )
    print(f"{'endpoint':38} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name in sorted(stats.times):
        times = stats.times[name]
        print(
            f"{name[:38]:38} {len(times):6} {statistics.median(times) * 1000:8.0f} "
            f"{percentile(times, 0.95) * 1000:8.0f} {percentile(times, 0.99) * 1000:8.0f} "
            f"{stats.errors[name]:7}"
        )
    summary = {
        "users": stage_users,
        "rps": total / seconds,
        "errors": errors,
        "p95": percentile(every, 0.95) if every else 0.0,
        "p50": statistics.median(every) if every else 0.0,
    }
    print(f"{'all':38} {total:6} {summary['p50'] * 1000:8.0f} {summary['p95'] * 1000:8.0f}")
    return summary


def check_saved_once(run_id: str, acknowledged: list[str]) -> bool:
    """Every acknowledged visit is in the database once; no visit of this run is there twice."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings.local")
    import django

    django.setup()
    from django.db.models import Count

    from accounts.models import Interaction

    rows = (
        Interaction.objects.filter(summary__contains=f"{MARKER}-{run_id}-")
        .values("summary")
        .annotate(n=Count("pk"))
    )
    saved = {row["summary"].split(" ")[-1]: row["n"] for row in rows}
    missing = [marker for marker in acknowledged if marker not in saved]
    twice = {marker: n for marker, n in saved.items() if n > 1}
    print(
        f"\nVisits acknowledged: {len(acknowledged)}; saved: {sum(saved.values())} "
        f"({len(saved)} distinct); missing: {len(missing)}; saved more than once: {len(twice)}"
    )
    return not missing and not twice


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--stages", default="1,10,25,50", help="users per stage, comma-separated")
    parser.add_argument("--seconds", type=float, default=60, help="duration of each stage")
    parser.add_argument("--think", type=float, default=1.0, help="mean think time between rounds (s)")
    parser.add_argument("--timeout", type=float, default=10, help="client time-out per request (s)")
    parser.add_argument("--password", default=os.environ.get("KAM_DEMO_PASSWORD", "kam-demo-2026"))
    parser.add_argument("--max-users", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-db-check", action="store_true", help="skip the saved-once check")
    args = parser.parse_args(argv)
    if urlsplit(args.base_url).hostname not in LOCAL_HOSTS:
        parser.error("the load test runs against 127.0.0.1 only")
    stages = [int(users) for users in args.stages.split(",")]
    if max(stages) > args.max_users or args.seconds > 600:
        parser.error(f"at most {args.max_users} users and 600 s per stage")
    args.run_id = uuid.uuid4().hex[:8]
    stop, stats = threading.Event(), Stats()
    threads, summaries = [], []
    for users in stages:
        while len(threads) < users:  # the users of the stages before stay on
            number = len(threads)
            started = threading.Event()
            thread = threading.Thread(
                target=virtual_user,
                args=(number, ROLES[number % len(ROLES)], args, stats, stop, started),
                daemon=True,
            )
            thread.start()
            started.wait(args.timeout * 2)
            threads.append(thread)
        stats.take()  # logins and ramp-up are not part of the stage's figures
        began = time.perf_counter()
        time.sleep(args.seconds)
        summaries.append(report(users, time.perf_counter() - began, stats.take()))
    stop.set()
    for thread in threads:
        thread.join(args.timeout + 5)
    print("\nstage  users  requests/s  errors  p50 ms  p95 ms")
    for number, summary in enumerate(summaries, 1):
        print(
            f"{number:5}  {summary['users']:5}  {summary['rps']:10.1f}  {summary['errors']:6}  "
            f"{summary['p50'] * 1000:6.0f}  {summary['p95'] * 1000:6.0f}"
        )
    if args.no_db_check:
        return 0
    return 0 if check_saved_once(args.run_id, stats.acknowledged) else 1


if __name__ == "__main__":
    sys.exit(main())
