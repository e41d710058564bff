"""``manage.py seed_demo``: load the demo data once (see accounts/demo_data.py)."""

import secrets

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts import demo_data

DEFAULT_DEMO_PASSWORD = "kam-demo-2026"  # noqa: S105 - published in the README; refused in production


class Command(BaseCommand):
    help = (
        "Load demo users, regions, teams and realistic Chinese accounts with two years of orders, "
        "interactions, complaints and surveys. Does nothing when demo data is already loaded."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--accounts",
            type=int,
            default=demo_data.DEFAULT_ACCOUNTS,
            help=f"number of accounts (default {demo_data.DEFAULT_ACCOUNTS}; ~24 orders each)",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=demo_data.DEFAULT_SEED,
            help="random seed: the same seed gives the same data",
        )

        parser.add_argument(
            "--force",
            action="store_true",
            help="load demo data under production settings (with a random password unless "
            "KAM_DEMO_PASSWORD is set)",
        )

    def handle(self, *args, accounts, seed, force, **options):
        if accounts < 1:
            raise CommandError("--accounts must be at least 1")
        password = self._password(force=force)
        result = demo_data.demo_data_seed(
            accounts=accounts, seed=seed, on_phase=self._report_phase, password=password
        )
        if not result.created:
            self.stdout.write(
                "Demo data is already loaded (accounts owned by the demo managers exist); nothing changed."
            )
        else:
            self.stdout.write(self.style.SUCCESS(f"Demo data loaded in {result.seconds:.1f} s."))
            if not result.integrity_checks_skipped:
                self.stdout.write(
                    "(not a database superuser: foreign keys were checked row by row, which is slower)"
                )
        self.stdout.write(f"Demo logins: {', '.join(result.usernames)} — password: {password}")
        if result.created and len(result.new_usernames) < len(result.usernames):
            kept = sorted(set(result.usernames) - set(result.new_usernames))
            self.stdout.write(f"(these users already existed and kept their password: {', '.join(kept)})")

    @staticmethod
    def _password(*, force: bool) -> str:
        """The published demo password in development; in production, a deliberate choice: the demo
        superuser must never be reachable with the password printed in the README."""
        if not settings.KAM_PRODUCTION:
            return settings.KAM_DEMO_PASSWORD
        if not force:
            raise CommandError(
                "seed_demo refuses to run under production settings: it creates a superuser and "
                "fictitious accounts. Use --force to load them anyway."
            )
        if settings.KAM_DEMO_PASSWORD and settings.KAM_DEMO_PASSWORD != DEFAULT_DEMO_PASSWORD:
            return settings.KAM_DEMO_PASSWORD
        return secrets.token_urlsafe(12)

    def _report_phase(self, phase):
        self.stdout.write(
            f"  {phase.name:<24} {phase.rows:>10,} rows {phase.seconds:>8.2f} s"
            f"  (Python CPU {phase.cpu_seconds:.2f} s)"
        )
