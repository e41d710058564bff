"""``manage.py seed_demo``: load the demo data once (see accounts/demo_data.py)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts import demo_data


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

    def handle(self, *args, accounts, seed, **options):
        if accounts < 1:
            raise CommandError("--accounts must be at least 1")
        result = demo_data.demo_data_seed(accounts=accounts, seed=seed, on_phase=self._report_phase)
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
        self.stdout.write(
            f"Demo logins: {', '.join(result.usernames)} — password: {settings.KAM_DEMO_PASSWORD}"
        )
        if result.created and len(result.new_usernames) < len(result.usernames):
            kept = sorted(set(result.usernames) - set(result.new_usernames))
            self.stdout.write(f"(these users already existed and kept their password: {', '.join(kept)})")

    def _report_phase(self, phase):
        self.stdout.write(
            f"  {phase.name:<24} {phase.rows:>10,} rows {phase.seconds:>8.2f} s"
            f"  (Python CPU {phase.cpu_seconds:.2f} s)"
        )
