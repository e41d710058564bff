"""Bounded input (kam/limits.py): every text has a length limit in the model, the form and the
serializer, every list input a size limit; too long is a message next to the field (or a 400), and
nothing is saved.

The structural tests walk every model, every form class and every API serializer of the project, so a
field added later without a limit fails here."""

import importlib
from datetime import timedelta

import pytest
from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers
from rest_framework.relations import ManyRelatedField
from rest_framework.test import APIRequestFactory, force_authenticate

from accounts import services
from accounts.models import Complaint, Interaction
from kam.api import router
from kam.limits import LONG_TEXT, MAX_LIST_ITEMS, BoundedModelMultipleChoiceField
from kam.visibility import VisibleManyRelatedField

PROJECT_APPS = {
    "accounts",
    "account_plans",
    "audit",
    "kam",
    "scoring",
    "service_tiers",
    "segmentation",
    "imports",
}
# Written by KAM itself from PostgreSQL's own output, never by a person.
SYSTEM_FIELDS: set[str] = set()
TOO_LONG = "长" * (LONG_TEXT + 1)


def _project_models():
    return [model for model in apps.get_models() if model._meta.app_label in PROJECT_APPS]


def _project_form_classes():
    for app in PROJECT_APPS:
        try:
            importlib.import_module(f"{app}.forms")
        except ModuleNotFoundError:
            continue
    seen, stack = [], [forms.BaseForm]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in PROJECT_APPS:
            seen.append(cls)
    return seen


def test_every_text_field_of_every_model_has_a_limit():
    unbounded = [
        f"{model._meta.label}.{field.name}"
        for model in _project_models()
        for field in model._meta.concrete_fields
        if isinstance(field, models.TextField)
        and f"{model._meta.label}.{field.name}" not in SYSTEM_FIELDS
        and not field.name.startswith("pgh_")  # django-pghistory's own bookkeeping of an audit event
        and not (
            field.max_length
            and any(
                isinstance(v, MaxLengthValidator) and v.limit_value == field.max_length
                for v in field.validators
            )
        )
    ]
    assert not unbounded, f"Make these with kam.limits.bounded_text: {unbounded}"


def test_every_text_field_of_every_form_has_a_limit():
    form_classes = _project_form_classes()
    assert form_classes
    unbounded = [
        f"{cls.__module__}.{cls.__name__}.{name}"
        for cls in form_classes
        for name, field in cls.base_fields.items()
        if type(field) is forms.CharField and not field.max_length
    ]
    assert not unbounded, f"Give these a max_length from kam.limits or the model: {unbounded}"


def test_every_text_field_of_every_api_serializer_has_a_limit(world):
    request = APIRequestFactory().get("/api/")
    force_authenticate(request, user=world.manager)
    unbounded = []
    for prefix, viewset, _basename in router.registry:
        for name, field in viewset.serializer_class(context={"request": request}).fields.items():
            if isinstance(field, serializers.CharField) and not field.read_only and field.max_length is None:
                unbounded.append(f"{prefix}.{name}")
    assert not unbounded


def test_a_megabyte_summary_through_the_api_is_refused_and_nothing_saved(client, world):
    client.force_login(world.manager)
    payload = {
        "account": world.own_account.pk,
        "kind": "call",
        "occurred_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "summary": "x" * 1_000_000,  # 1 MB: under Django's request size limit
        "outcome": "好",
    }
    response = client.post(reverse("api:interaction-list"), payload, content_type="application/json")
    assert response.status_code == 400
    assert str(LONG_TEXT) in response.json()["summary"][0]
    assert not Interaction.objects.exists()


def test_a_too_long_visit_from_the_page_is_a_message_next_to_the_field(client, world):
    client.force_login(world.manager)
    response = client.post(
        reverse("accounts:interaction_create", args=[world.own_account.pk]),
        {
            "kind": "visit",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "summary": "拜访",
            "outcome": TOO_LONG,
        },
    )
    assert response.status_code == 200
    assert "outcome" in response.context["interaction_form"].errors
    assert f'maxlength="{LONG_TEXT}"' in response.text
    assert not Interaction.objects.exists()


def test_a_too_long_complaint_from_the_page_is_refused(client, world):
    client.force_login(world.manager)
    response = client.post(
        reverse("accounts:complaint_create", args=[world.own_account.pk]),
        {
            "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "channel": "phone",
            "category": "quality",
            "severity": "low",
            "description": TOO_LONG,
        },
    )
    assert response.status_code == 200
    assert "description" in response.context["complaint_form"].errors
    assert not Complaint.objects.exists()


def test_the_services_refuse_too_long_text_whatever_the_entry_point(world):
    with pytest.raises(ValidationError) as error:
        services.interaction_log(
            actor=world.manager,
            account=world.own_account,
            kind="call",
            occurred_at=timezone.now(),
            summary=TOO_LONG,
        )
    assert "summary" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.complaint_open(
            actor=world.manager,
            account=world.own_account,
            received_at=timezone.now(),
            channel="phone",
            category="quality",
            severity="low",
            description=TOO_LONG,
        )
    assert "description" in error.value.message_dict
    assert not Interaction.objects.exists() and not Complaint.objects.exists()


def test_every_list_input_of_every_form_is_bounded():
    unbounded = [
        f"{cls.__module__}.{cls.__name__}.{name}"
        for cls in _project_form_classes()
        for name, field in cls.base_fields.items()
        if isinstance(field, forms.ModelMultipleChoiceField)
        and not isinstance(field, BoundedModelMultipleChoiceField)
    ]
    assert not unbounded


def test_every_list_input_of_the_api_is_bounded(world):
    request = APIRequestFactory().get("/api/")
    force_authenticate(request, user=world.manager)
    unbounded = [
        f"{prefix}.{name}"
        for prefix, viewset, _basename in router.registry
        for name, field in viewset.serializer_class(context={"request": request}).fields.items()
        if isinstance(field, ManyRelatedField) and not isinstance(field, VisibleManyRelatedField)
    ]
    assert not unbounded


def test_nine_hundred_contacts_from_the_page_are_refused_before_any_lookup(
    client, world, django_assert_max_num_queries
):
    client.force_login(world.manager)
    data = {
        "kind": "visit",
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "summary": "拜访",
        # Django refuses more than 1,000 fields itself (DATA_UPLOAD_MAX_NUMBER_FIELDS).
        "contacts": [str(world.own_contact.pk)] * 900,
    }
    with django_assert_max_num_queries(40):
        response = client.post(reverse("accounts:interaction_create", args=[world.own_account.pk]), data)
    assert "contacts" in response.context["interaction_form"].errors
    assert str(MAX_LIST_ITEMS) in str(response.context["interaction_form"].errors["contacts"])
    assert not Interaction.objects.exists()


def test_the_service_refuses_too_many_contacts_whatever_the_entry_point(world):
    contacts = [world.own_contact] * (MAX_LIST_ITEMS + 1)
    with pytest.raises(ValidationError) as error:
        services.interaction_log(
            actor=world.manager,
            account=world.own_account,
            kind="call",
            occurred_at=timezone.now(),
            summary="电话",
            contacts=contacts,
        )
    assert "contacts" in error.value.message_dict
    assert not Interaction.objects.exists()
