"""The admin as a staff user who is not an administrator (kam/visibility.py ``VisibleAdminMixin``).

Generated from the admin registry: every form (and inline) of every registered model is walked, so a
model registered later is covered without a new test. The staff user is the East director with every
model permission but not in the Administrator group, so the visibility rule is all that stands between
them and North's accounts.
"""

import pytest
from django import forms
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import resolve, reverse

from accounts.models import Interaction
from kam.visibility import VisibleAdminMixin, is_account_data, visible_queryset
from tests.factories import ComplaintFactory, InteractionFactory
from tests.test_limits import PROJECT_APPS

REGISTRY = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
IDS = [model._meta.label for model, _model_admin in REGISTRY]


@pytest.fixture
def staff(world):
    director = world.director
    director.is_staff = True
    director.save(update_fields=["is_staff"])
    director.user_permissions.set(Permission.objects.all())
    return type(director).objects.get(pk=director.pk)  # fresh: no cached permissions or roles


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user, request.resolver_match = user, resolve("/admin/")
    return request


def _forms(model_admin, request, obj):
    yield model_admin.get_form(request, obj)
    for formset, _inline in model_admin.get_formsets_with_inlines(request, obj):
        yield formset.form


def _related_fields(form_class):
    for name, field in form_class.base_fields.items():
        if isinstance(field, forms.ModelChoiceField):
            yield name, field


@pytest.mark.parametrize(("model", "model_admin"), REGISTRY, ids=IDS)
def test_every_project_admin_uses_the_visibility_mixin(model, model_admin):
    if model._meta.app_label in PROJECT_APPS:
        assert isinstance(model_admin, VisibleAdminMixin)


@pytest.mark.parametrize(("model", "model_admin"), REGISTRY, ids=IDS)
def test_every_admin_widget_offers_only_what_the_staff_user_may_see(world, staff, model, model_admin):
    request = _request(staff)
    objects = [None, *model_admin.get_queryset(request)[:1]]
    for obj in objects:
        for form_class in _forms(model_admin, request, obj):
            for name, field in _related_fields(form_class):
                related = field.queryset.model
                if not is_account_data(related) and related is not type(staff):
                    continue
                offered = set(field.queryset.values_list("pk", flat=True))
                allowed = set(visible_queryset(related, staff).values_list("pk", flat=True))
                assert offered <= allowed, f"{model._meta.label}.{name}"
                for foreign in (world.foreign_account, world.foreign_contact, world.other_manager):
                    if isinstance(foreign, related):
                        with pytest.raises(forms.ValidationError):
                            field.clean(
                                [foreign.pk]
                                if isinstance(field, forms.ModelMultipleChoiceField)
                                else foreign.pk
                            )


@pytest.mark.parametrize(("model", "model_admin"), REGISTRY, ids=IDS)
def test_no_admin_page_names_an_invisible_account_or_contact(client, world, staff, model, model_admin):
    # Visible records that point at invisible ones (data from before the rule held).
    ComplaintFactory(account=world.own_account, contact=world.foreign_contact)
    InteractionFactory(account=world.own_account).contacts.set([world.foreign_contact])
    client.force_login(staff)
    info = model._meta.app_label, model._meta.model_name
    urls = []
    if model_admin.has_add_permission(_request(staff)):
        urls.append(reverse(f"admin:{info[0]}_{info[1]}_add"))
    for obj in model_admin.get_queryset(_request(staff))[:3]:
        urls.append(reverse(f"admin:{info[0]}_{info[1]}_change", args=[obj.pk]))
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        for name in (
            world.foreign_account.name,
            world.foreign_account.short_name,
            world.foreign_contact.name,
        ):
            assert name not in response.text, url


def test_a_posted_contact_of_an_invisible_account_is_refused(client, world, staff):
    interaction = InteractionFactory(account=world.own_account)
    client.force_login(staff)
    url = reverse("admin:accounts_interaction_change", args=[interaction.pk])
    response = client.post(
        url,
        {
            "account": world.own_account.pk,
            "contacts": str(world.foreign_contact.pk),
            "kind": interaction.kind,
            "occurred_at_0": interaction.occurred_at.strftime("%Y-%m-%d"),
            "occurred_at_1": interaction.occurred_at.strftime("%H:%M:%S"),
            "author": interaction.author_id,
            "summary": interaction.summary,
        },
    )
    assert response.status_code == 200
    assert "contacts" in response.context["adminform"].form.errors
    assert not Interaction.objects.get(pk=interaction.pk).contacts.exists()


def test_a_complaint_cannot_be_given_a_contact_of_an_invisible_account(client, world, staff):
    complaint = ComplaintFactory(account=world.own_account)
    client.force_login(staff)
    response = client.get(reverse("admin:accounts_complaint_change", args=[complaint.pk]))
    form = response.context["adminform"].form
    assert world.foreign_contact not in form.fields["contact"].queryset
    assert world.own_contact in form.fields["contact"].queryset


def test_saving_a_team_keeps_the_members_the_staff_user_cannot_see(client, world, staff):
    from accounts.models import Team

    north_team = Team.objects.get(name="华北一组")
    hidden = north_team.members.get()
    client.force_login(staff)
    url = reverse("admin:accounts_team_change", args=[north_team.pk])
    response = client.post(
        url, {"name": north_team.name, "region": north_team.region_id, "members": [staff.pk], "directors": []}
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert set(north_team.members.all()) == {hidden, staff}
    assert set(north_team.directors.all()) == {world.other_director}
