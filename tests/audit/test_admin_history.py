"""History in admin: an account's change page links to its audit events, which list its changes."""

from django.urls import reverse

from audit.context import audit_context


def test_the_admin_change_page_links_to_the_accounts_events(client, world):
    with audit_context(actor=world.manager, path="web"):
        world.own_account.short_name = "宏远（改）"
        world.own_account.save()
    client.force_login(world.admin)
    page = client.get(reverse("admin:accounts_account_change", args=[world.own_account.pk]))
    assert 'class="events-admin"' in page.text
    events = client.get(
        reverse("admin:pghistory_events_changelist")
        + f"?method=tracks&obj=accounts.Account:{world.own_account.pk}"
    )
    assert events.status_code == 200 and "宏远（改）" in events.text
