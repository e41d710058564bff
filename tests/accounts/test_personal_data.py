"""PIPL: export a contact's personal data, and erase it everywhere (the audit history included)."""

import json

from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import Contact
from audit.models import ContactEvent
from tests.factories import ComplaintFactory, InteractionFactory

PERSON = {
    "name": "欧阳娜娜",
    "mobile": "13912345678",
    "email": "ouyang.nana@example.com",
    "wechat_id": "nana_ouyang",
}


def _person(world):
    contact = Contact.objects.create(
        account=world.own_account, notes="喜欢喝普洱茶", birthday="1990-03-08", **PERSON
    )
    contact.title = "采购经理"
    contact.save()
    interaction = InteractionFactory(account=world.own_account)
    interaction.contacts.add(contact)
    ComplaintFactory(account=world.own_account, contact=contact)
    return contact, interaction


def _tables_containing(text: str) -> list[str]:
    """Every table with a text or JSON column that contains ``text``."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT table_name, column_name FROM information_schema.columns
               WHERE table_schema = current_schema()
                 AND data_type IN ('character varying', 'text', 'jsonb', 'json')"""
        )
        columns = cursor.fetchall()
        found = []
        for table, column in columns:
            cursor.execute(f'SELECT 1 FROM "{table}" WHERE "{column}"::text LIKE %s LIMIT 1', [f"%{text}%"])  # noqa: S608
            if cursor.fetchone():
                found.append(f"{table}.{column}")
    return found


def test_the_owner_exports_everything_kam_holds_about_a_person_and_the_export_is_recorded(client, world):
    contact, _interaction = _person(world)
    client.force_login(world.manager)
    response = client.post(
        reverse("accounts:contact_personal_data", args=[contact.pk]), {"action": "export_json"}
    )
    data = json.loads(response.content)
    assert data["contact"]["mobile"] == PERSON["mobile"]
    assert [event["action"] for event in data["history"]] == ["insert", "update"]
    assert len(data["interactions"]) == 1 and len(data["complaints"]) == 1
    export = ContactEvent.objects.get(pgh_obj_id=contact.pk, pgh_label="personal_data.export")
    assert export.pgh_context.metadata["user"] == world.manager.pk
    xlsx = client.post(
        reverse("accounts:contact_personal_data", args=[contact.pk]), {"action": "export_xlsx"}
    )
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_a_director_and_a_teammate_may_not_export_or_erase(client, world):
    contact, _interaction = _person(world)
    for user in (world.director, world.teammate):
        client.force_login(user)
        url = reverse("accounts:contact_personal_data", args=[contact.pk])
        assert client.post(url, {"action": "erase", "confirm": "erase"}).status_code == 404
    contact.refresh_from_db()
    assert contact.name == PERSON["name"]


def test_erasure_needs_confirming(client, world):
    contact, _interaction = _person(world)
    client.force_login(world.admin)
    client.post(reverse("accounts:contact_personal_data", args=[contact.pk]), {"action": "erase"})
    contact.refresh_from_db()
    assert contact.erased_at is None


def test_erasure_leaves_the_persons_data_in_no_table_and_keeps_the_interactions(client, world):
    contact, interaction = _person(world)
    client.force_login(world.admin)
    client.post(reverse("accounts:contact_personal_data", args=[contact.pk]), {"action": "export_json"})
    for value in [*PERSON.values(), "喜欢喝普洱茶"]:
        assert _tables_containing(value), value  # there before
    response = client.post(
        reverse("accounts:contact_personal_data", args=[contact.pk]), {"action": "erase", "confirm": "erase"}
    )
    assert response.status_code == 302
    for value in [*PERSON.values(), "喜欢喝普洱茶"]:
        assert _tables_containing(value) == [], value
    contact.refresh_from_db()
    assert contact.erased_at is not None and contact.birthday is None and str(contact) == "erased contact"
    assert list(interaction.contacts.all()) == [contact]
    page = client.get(reverse("accounts:detail", args=[world.own_account.pk]))
    assert "erased contact" in page.text
    erase = ContactEvent.objects.filter(pgh_obj_id=contact.pk, pgh_label="update").latest("pgh_id")
    assert erase.pgh_context.metadata["action"] == "personal_data.erase"
    assert erase.pgh_created_at <= timezone.now()
