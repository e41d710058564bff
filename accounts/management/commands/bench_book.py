"""Benchmark the book (issue 12 targets): the account page and its History tab with a history, the
audit trail's cost on logging a visit, and saving an account and a contact.

Run on a throw-away clone of the benchmark database (it writes: a history for the timed accounts, the
visits it logs). Prints p50/p95 and the load average next to every figure.
"""

import os
import statistics
import time
from datetime import timedelta

import pgtrigger
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Account, Contact
from audit.context import audit_context


def _percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _ms(values):
    return f"p50 {statistics.median(values) * 1000:.1f} ms, p95 {_percentile(values, 0.95) * 1000:.1f} ms"


def _load():
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


class Command(BaseCommand):
    help = "Time the account page with history, the audit's cost on logging a visit, and saves."

    def add_arguments(self, parser):
        parser.add_argument("--accounts", type=int, default=20, help="accounts to time the page on")
        parser.add_argument("--history", type=int, default=50, help="changes recorded per account first")
        parser.add_argument("--runs", type=int, default=60)

    def handle(self, *args, accounts: int, history: int, runs: int, **options):
        sample = list(
            Account.objects.annotate(n=Count("contacts"))
            .filter(n__gt=0)
            .order_by("pk")[:accounts]
            .select_related("owner")
        )
        self.stdout.write(f"{Account.objects.count()} accounts; timing {len(sample)} of them; {_load()}")
        self._record_history(sample, history)
        self._time_pages(sample, runs)
        self._time_visit_audit(sample, runs)
        self._time_saves(sample, runs)

    def _record_history(self, sample, history):
        with transaction.atomic(), audit_context(actor=None, path="command"):
            for account in sample:
                contact = account.contacts.first()
                for number in range(history // 2):
                    Account.objects.filter(pk=account.pk).update(
                        short_name=f"{account.short_name[:80]}·{number}"
                    )
                    Contact.objects.filter(pk=contact.pk).update(title=f"职位{number}")
        self.stdout.write(f"recorded {history} changes on each timed account")

    def _time_pages(self, sample, runs):
        for name in ("accounts:detail", "accounts:history"):
            times = []
            client = Client(HTTP_HOST="127.0.0.1")
            for index in range(runs):
                account = sample[index % len(sample)]
                client.force_login(account.owner)
                url = reverse(name, args=[account.pk])
                if index < len(sample):
                    client.get(url)  # warm this account's first visit
                started = time.perf_counter()
                response = client.get(url)
                times.append(time.perf_counter() - started)
                assert response.status_code == 200, response.status_code
            self.stdout.write(f"{name}: {_ms(times)} over {runs} GETs ({_load()})")

    def _log_visit(self, account):
        services.interaction_log(
            actor=account.owner,
            account=account,
            kind="visit",
            occurred_at=timezone.now() - timedelta(hours=1),
            summary="基准测试拜访",
        )

    def _time_visit_audit(self, sample, runs):
        with_audit, without_audit = [], []
        for index in range(runs * 2):
            account = sample[index % len(sample)]
            audited = index % 2 == 0  # alternate, so load changes hit both alike
            started = time.perf_counter()
            with transaction.atomic():
                if audited:
                    with audit_context(actor=account.owner, path="web"):
                        self._log_visit(account)
                else:
                    with pgtrigger.ignore("accounts.Interaction:insert_insert"):
                        self._log_visit(account)
            (with_audit if audited else without_audit).append(time.perf_counter() - started)
        extra = statistics.median(with_audit) / statistics.median(without_audit) - 1
        self.stdout.write(
            f"log a visit with audit: {_ms(with_audit)}; without: {_ms(without_audit)}; "
            f"audit adds {extra * 100:.1f} % at the median ({_load()})"
        )

    def _time_saves(self, sample, runs):
        account_times, contact_times = [], []
        for index in range(runs):
            account = sample[index % len(sample)]
            contact = account.contacts.first()
            with audit_context(actor=account.owner, path="command"):
                started = time.perf_counter()
                with transaction.atomic():
                    services.account_update(actor=account.owner, account=account, address=f"上海市{index}号")
                account_times.append(time.perf_counter() - started)
                started = time.perf_counter()
                with transaction.atomic():
                    services.contact_update(actor=account.owner, contact=contact, department=f"部门{index}")
                contact_times.append(time.perf_counter() - started)
        self.stdout.write(
            f"account save: {_ms(account_times)}; contact save: {_ms(contact_times)} ({_load()})"
        )
