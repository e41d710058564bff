"""Writes of the service-tiers app: tiers, complaint deadlines, alert runs, read flags, digests."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Q
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Complaint
from accounts.roles import ACCOUNT_MANAGER, ADMINISTRATOR, SALES_DIRECTOR, is_administrator

from .alerts import alerts_changed, alerts_sync, complaint_deadlines_fix_sql
from .models import Alert, AlertDigest, AlertRead, AlertRun, ComplaintDeadline, ServiceTier

logger = logging.getLogger(__name__)

DIGEST_MAX_ITEMS = 50


# --- Tiers ------------------------------------------------------------------------------------------


def service_tier_update(*, actor, tier: ServiceTier, **fields) -> ServiceTier:
    """Change a tier (administrators only). Validation errors say what is wrong and save nothing.

    Plans follow at once (they are derived from the tier when read); deadlines of complaints already
    opened stay as they were fixed.
    """
    if not is_administrator(actor):
        raise PermissionDenied(_("Only an administrator can change service tiers."))
    for name, value in fields.items():
        setattr(tier, name, value)
    tier.updated_by = actor
    tier.full_clean()
    tier.save()
    return tier


# --- Complaint deadlines ----------------------------------------------------------------------------


def complaint_deadline_fix(*, complaint: Complaint, now: datetime | None = None) -> ComplaintDeadline | None:
    """Fix a new complaint's response and resolution deadlines from its account's tier, once.

    Called when the complaint is opened; a complaint that already has deadlines keeps them.
    """
    sql, params = complaint_deadlines_fix_sql(
        [complaint.account_id], now=now or timezone.now(), complaint_ids=[complaint.pk]
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    return ComplaintDeadline.objects.filter(complaint_id=complaint.pk).first()


# --- Alerts -----------------------------------------------------------------------------------------


def alert_runs_abandoned_fail(*, now: datetime | None = None) -> int:
    """Mark failed the alert runs that never finished and never will: started longer ago than the hard
    task time limit, which ends any run still going (the next run and the watchdog call this)."""
    now = now or timezone.now()
    failed = AlertRun.objects.filter(
        finished_at__isnull=True,
        error="",
        started_at__lt=now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT),
    ).update(finished_at=now, error="abandoned: the run stopped before it finished (worker lost)")
    if failed:
        logger.warning("Marked %s abandoned alert run(s) failed", failed)
    return failed


def alerts_run(*, trigger: str, now: datetime | None = None, send_digests: bool = True) -> AlertRun:
    """The daily run: every rule over every account, then one e-mail digest per user. Idempotent."""
    now = now or timezone.now()
    alert_runs_abandoned_fail()
    run = AlertRun.objects.create(trigger=trigger, started_at=timezone.now())
    try:
        counts = alerts_sync(now=now)
        digests = alert_digests_send(now=now) if send_digests else 0
    except Exception as error:
        logger.exception("Alert run %s failed", run.pk)
        AlertRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), error=repr(error)[:2000])
        raise
    run.opened, run.closed, run.still_open = counts["opened"], counts["closed"], counts["open"]
    run.digests_sent, run.finished_at = digests, timezone.now()
    run.save(update_fields=["opened", "closed", "still_open", "digests_sent", "finished_at"])
    return run


def alerts_follow(*, account_ids, now: datetime | None = None) -> dict:
    """A write touched these accounts (a visit logged, a complaint moved, an invoice paid, a survey
    answered, a grade overridden): re-evaluate exactly their alerts now, in the writer's transaction,
    so the page it returns to already shows the cause gone. The daily run covers the passing of time.

    Every service that writes what a rule reads calls this; admin saves call it too
    (``accounts.admin.VisibleToUserAdmin``)."""
    ids = sorted({int(pk) for pk in account_ids if pk is not None})
    if not ids:
        return {"opened": 0, "updated": 0, "closed": 0, "open": 0, "deadlines_fixed": 0}
    return alerts_sync(scope=ids, now=now)


def _visible_alert(*, actor, alert_id) -> Alert:
    alert = Alert.objects.visible_to(actor).filter(pk=alert_id).first()
    if alert is None:
        raise Http404
    return alert


def alert_mark_read(*, actor, alert_id: int) -> Alert:
    """Mark one alert read for this user (others keep their own flag)."""
    alert = _visible_alert(actor=actor, alert_id=alert_id)
    _read, created = AlertRead.objects.get_or_create(
        alert=alert, user=actor, defaults={"read_at": timezone.now()}
    )
    if created:
        alerts_changed()
    return alert


def alert_mark_all_read(*, actor) -> int:
    """Mark every open alert this user may see as read."""
    unread = Alert.objects.visible_to(actor).open().unread_by(actor).values_list("pk", flat=True)
    now = timezone.now()
    reads = [AlertRead(alert_id=pk, user=actor, read_at=now) for pk in unread]
    AlertRead.objects.bulk_create(reads, ignore_conflicts=True)
    if reads:
        alerts_changed()
    return len(reads)


# --- E-mail digest ----------------------------------------------------------------------------------


def _digest_recipients():
    User = get_user_model()
    return (
        User.objects.filter(is_active=True)
        .exclude(email="")
        .filter(Q(is_superuser=True) | Q(groups__name__in=[ACCOUNT_MANAGER, SALES_DIRECTOR, ADMINISTRATOR]))
        .distinct()
        .order_by("pk")
    )


def alert_digests_send(*, now: datetime | None = None) -> int:
    """One e-mail per user per day listing the open alerts they may see and have not read.

    The (user, day) row is written in the same transaction as the e-mail is sent: a rerun the same day
    sends nothing twice, and a failed send is retried by the next run.
    """
    now = now or timezone.now()
    day = timezone.localdate(now)
    sent = 0
    site = getattr(settings, "KAM_SITE_URL", "").rstrip("/")
    for user in _digest_recipients():
        if AlertDigest.objects.filter(user=user, day=day).exists():
            continue
        alerts = Alert.objects.visible_to(user).open().unread_by(user)
        count = alerts.count()
        if not count:
            continue
        items = list(
            alerts.select_related("account", "responsible").order_by("due_on", "pk")[:DIGEST_MAX_ITEMS]
        )
        body = render_to_string(
            "service_tiers/email/digest.txt",
            {
                "user": user,
                "day": day,
                "alerts": items,
                "count": count,
                "more": count - len(items),
                "my_day_url": site + reverse("service_tiers:my_day"),
            },
        )
        subject = ngettext(
            "KAM: %(count)d alert needs your attention",
            "KAM: %(count)d alerts need your attention",
            count,
        ) % {"count": count}
        with transaction.atomic():
            _digest, created = AlertDigest.objects.get_or_create(
                user=user, day=day, defaults={"alert_count": count, "sent_at": now}
            )
            if created:
                send_mail(subject, body, None, [user.email])
                sent += 1
    return sent
