"""What a user may see of any model, and the API, form and admin pieces built on it.

Everything starts from the one rule, ``Account.objects.visible_to(user)``:

- account data (accounts, and every model whose queryset has ``visible_to`` or that belongs to an
  account) is what the rule lets the user see;
- people are the user and the managers of the accounts the user sees (administrators: everybody);
- reference data (``REFERENCE_MODELS``: regions, teams, tiers…) is open to every signed-in user.

A model that is none of these is refused (``ImproperlyConfigured``), so a new relation has to be
declared here before an endpoint, a filter or an admin widget can offer it.

On top of ``visible_queryset`` sit the pieces every API endpoint uses (see ``kam/api.py``):

- ``VisibleFilterSet`` and ``VisibleFilterBackend``: every related filter (``filterset_fields`` and
  declared ones) offers and accepts only visible records, so an invisible id and a missing id get the
  same 400; a filter that is not visibility-aware is refused when the filter set is built.
- ``VisibleModelSerializer`` and ``VisibleRelatedField``: related ids are accepted only when visible
  (one query for a whole list, at most ``MAX_LIST_ITEMS`` of them) and shown only when visible (one
  query per field and page); any other related field on account data is refused.
- ``VisibleAdminMixin``: every foreign-key, many-to-many, raw-id and autocomplete widget of the admin
  offers, accepts and names only visible accounts, account data and people.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import django_filters
from django.contrib.admin import widgets as admin_widgets
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.rest_framework.filterset import FILTER_FOR_DBFIELD_DEFAULTS
from django_filters.rest_framework.filterset import FilterSet as RestFilterSet
from rest_framework import serializers
from rest_framework.relations import MANY_RELATION_KWARGS, ManyRelatedField

from kam.limits import MAX_LIST_ITEMS, BoundedModelMultipleChoiceField

# Open to every signed-in user: names and settings, no customer data.
REFERENCE_MODELS = {
    "accounts.region",
    "accounts.team",
    "auth.group",
    "auth.permission",
    "scoring.scoringmodel",
    "segmentation.needtag",
    "segmentation.rfmsegment",
    "service_tiers.servicetier",
}


def _visible_users(user) -> QuerySet:
    """The people a user deals with: themselves, the managers and account-team members of the accounts
    they see, and the members and directors of their own teams (administrators: everybody)."""
    from accounts.models import Account, Team
    from accounts.roles import is_administrator

    User = get_user_model()
    if user is None or not user.is_authenticated or not user.is_active:
        return User.objects.none()
    if is_administrator(user):
        return User.objects.all()
    visible_accounts = Account.objects.visible_to(user).values("pk")
    teams = Team.objects.filter(Q(members=user.pk) | Q(directors=user.pk)).values("pk")
    return User.objects.filter(
        Q(pk=user.pk)
        | Q(pk__in=Account.objects.filter(pk__in=visible_accounts).values("owner_id"))
        | Q(
            pk__in=Account.account_team.through.objects.filter(account_id__in=visible_accounts).values(
                "user_id"
            )
        )
        | Q(pk__in=Team.members.through.objects.filter(team_id__in=teams).values("user_id"))
        | Q(pk__in=Team.directors.through.objects.filter(team_id__in=teams).values("user_id"))
    )


def is_account_data(model) -> bool:
    """Whether the model's records are visible through the visibility rule (and so must be hidden)."""
    return hasattr(model._default_manager, "visible_to") or _account_field(model) is not None


def _account_field(model):
    from accounts.models import Account

    for field in model._meta.get_fields():
        if field.name == "account" and field.many_to_one and field.related_model is Account:
            return field
    return None


def visible_queryset(model, user) -> QuerySet:
    """The records of ``model`` that ``user`` may see."""
    manager = model._default_manager
    if hasattr(manager, "visible_to"):
        return manager.visible_to(user)
    if _account_field(model) is not None:
        from accounts.models import Account

        return manager.filter(account__in=Account.objects.visible_to(user).values("pk"))
    if model is get_user_model():
        return _visible_users(user)
    if model._meta.label_lower in REFERENCE_MODELS:
        if user is None or not user.is_authenticated or not user.is_active:
            return manager.none()
        return manager.all()
    raise ImproperlyConfigured(
        f"{model._meta.label} has no visibility rule: give its queryset visible_to(user), an account "
        "foreign key, or list it in kam.visibility.REFERENCE_MODELS if it holds no customer data."
    )


def is_unrestricted(queryset: QuerySet) -> bool:
    """An administrator's queryset: nothing filtered out, so nothing needs checking."""
    return not queryset.query.where and not queryset.query.is_empty()


# --- Filters (API and HTML lists) -----------------------------------------------------------------


class VisibleChoicesMixin:
    """A related filter whose choices are the records its filter set's user may see.

    ``queryset`` names the model (any queryset of it); ``visible`` optionally narrows further, as a
    function of the user (e.g. the managers of the visible accounts, from a cached count)."""

    def __init__(self, *args, visible: Callable | None = None, **kwargs):
        self.visible = visible
        super().__init__(*args, **kwargs)

    def get_queryset(self, request):
        user = getattr(self.parent, "user", None)
        if self.visible is not None:
            return self.visible(user)
        queryset = super().get_queryset(request)
        return visible_queryset(queryset.model, user)


class VisibleModelChoiceFilter(VisibleChoicesMixin, django_filters.ModelChoiceFilter):
    pass


class VisibleModelMultipleChoiceFilter(VisibleChoicesMixin, django_filters.ModelMultipleChoiceFilter):
    field_class = BoundedModelMultipleChoiceField


_RELATED_DEFAULTS = {
    models.OneToOneField: VisibleModelChoiceFilter,
    models.ForeignKey: VisibleModelChoiceFilter,
    models.ManyToManyField: VisibleModelMultipleChoiceFilter,
    models.OneToOneRel: VisibleModelChoiceFilter,
    models.ManyToOneRel: VisibleModelMultipleChoiceFilter,
    models.ManyToManyRel: VisibleModelMultipleChoiceFilter,
}


class VisibleFilterSet(RestFilterSet):
    """The base of every filter set: generated related filters are visibility-aware, and a declared
    related filter that is not is refused. Built with ``request=`` (the API) or ``user=`` (a page)."""

    FILTER_DEFAULTS = {
        **FILTER_FOR_DBFIELD_DEFAULTS,
        **{
            field: {**FILTER_FOR_DBFIELD_DEFAULTS[field], "filter_class": filter_class}
            for field, filter_class in _RELATED_DEFAULTS.items()
        },
    }

    def __init__(self, data=None, queryset=None, *, request=None, user=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        self.user = user if user is not None else getattr(request, "user", None)
        for name, filter_ in self.filters.items():
            related = isinstance(
                filter_, django_filters.ModelChoiceFilter | django_filters.ModelMultipleChoiceFilter
            )
            if related and not isinstance(filter_, VisibleChoicesMixin):
                raise ImproperlyConfigured(
                    f"{type(self).__name__}.{name} offers records without the visibility rule: use "
                    "kam.visibility.VisibleModelChoiceFilter or VisibleModelMultipleChoiceFilter."
                )


class VisibleFilterBackend(DjangoFilterBackend):
    """The API's filter backend: ``filterset_fields`` build a ``VisibleFilterSet``; a ``filterset_class``
    must be one."""

    filterset_base = VisibleFilterSet

    def get_filterset_class(self, view, queryset=None):
        filterset_class = super().get_filterset_class(view, queryset)
        if filterset_class is not None and not issubclass(filterset_class, VisibleFilterSet):
            raise ImproperlyConfigured(
                f"{type(view).__name__}.filterset_class must derive from kam.visibility.VisibleFilterSet."
            )
        return filterset_class


# --- Serializers ----------------------------------------------------------------------------------


def _request_user(field):
    request = field.context.get("request")
    return getattr(request, "user", None)


def _model_field(serializer, source: str):
    model = getattr(getattr(serializer, "Meta", None), "model", None)
    if model is None or "." in source:
        return None
    try:
        return model._meta.get_field(source)
    except Exception:  # noqa: BLE001 - not a model field (a property, a method): no relation to check
        return None


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """A related id that is accepted only when the user may see the record, and shown only then (an
    invisible parent or contact reads as ``null`` / is left out of a list)."""

    def get_queryset(self):
        return visible_queryset(self._related_model(), _request_user(self))

    @classmethod
    def many_init(cls, *args, **kwargs):
        list_kwargs = {"child_relation": cls(*args, **kwargs)}
        list_kwargs.update({key: value for key, value in kwargs.items() if key in MANY_RELATION_KWARGS})
        return VisibleManyRelatedField(**list_kwargs)

    def _holder(self):
        """The field that sits on the serializer (the list field for a many relation)."""
        return self.parent if isinstance(self.parent, ManyRelatedField) else self

    def _related_model(self):
        if self.queryset is not None:
            return self.queryset.model
        holder = self._holder()
        model_field = _model_field(holder.parent, holder.source)
        if model_field is None or model_field.related_model is None:
            raise ImproperlyConfigured(f"Cannot tell which model {holder.field_name} relates to.")
        return model_field.related_model

    def to_representation(self, value):
        if not self.is_visible(value.pk):
            return None
        return super().to_representation(value)

    def is_visible(self, pk) -> bool:
        model = self._related_model()
        if not is_account_data(model):
            return True
        cache = self.root.__dict__.setdefault("_kam_visible_ids", {})
        key = (id(self._holder()), model)
        if key not in cache or pk not in cache[key][0]:
            cache[key] = self._visible_ids(model, pk)
        seen, visible = cache[key]
        return pk in visible

    def _visible_ids(self, model, pk) -> tuple[set, set]:
        """One query for every id of this field on the page being rendered."""
        ids = set(self._ids_on_page()) | {pk}
        queryset = visible_queryset(model, _request_user(self))
        if is_unrestricted(queryset):
            return ids, ids
        return ids, set(queryset.filter(pk__in=ids).values_list("pk", flat=True))

    def _ids_on_page(self) -> Iterable:
        holder = self._holder()
        serializer = holder.parent
        instance = self.root.instance
        objects = instance if isinstance(instance, list | tuple | QuerySet) else [instance]
        model_field = _model_field(serializer, holder.source)
        if model_field is None:
            return ()
        ids = []
        for obj in objects:
            if not isinstance(obj, models.Model):
                continue
            if model_field.many_to_many:
                ids.extend(related.pk for related in getattr(obj, model_field.name).all())
            elif model_field.many_to_one or model_field.one_to_one:
                ids.append(getattr(obj, model_field.attname))
        return [pk for pk in ids if pk is not None]


class VisibleManyRelatedField(ManyRelatedField):
    """A list of related ids: at most ``MAX_LIST_ITEMS``, checked in one query; an invisible id and a
    missing one are refused alike."""

    default_error_messages = {
        "too_many": _("Give at most {limit} items."),
    }

    def __init__(self, *args, max_items: int = MAX_LIST_ITEMS, **kwargs):
        self.max_items = max_items
        super().__init__(*args, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str) or not hasattr(data, "__iter__"):
            self.fail("not_a_list", input_type=type(data).__name__)
        data = list(data)
        if not self.allow_empty and not data:
            self.fail("empty")
        if len(data) > self.max_items:
            self.fail("too_many", limit=self.max_items)
        child = self.child_relation
        ids = []
        for item in data:
            if isinstance(item, bool) or not isinstance(item, int | str):
                child.fail("incorrect_type", data_type=type(item).__name__)
            try:
                ids.append(int(item))
            except ValueError:
                child.fail("incorrect_type", data_type=type(item).__name__)
        found = child.get_queryset().in_bulk(set(ids))
        missing = next((pk for pk in ids if pk not in found), None)
        if missing is not None:
            child.fail("does_not_exist", pk_value=missing)
        return list({pk: found[pk] for pk in ids}.values())

    def to_representation(self, iterable):
        return [
            self.child_relation.to_representation(value)
            for value in iterable
            if self.child_relation.is_visible(value.pk)
        ]


class VisibleModelSerializer(serializers.ModelSerializer):
    """The base of every API serializer: generated relations are ``VisibleRelatedField``s, and any
    other related field pointing at account data is refused."""

    serializer_related_field = VisibleRelatedField

    def get_fields(self):
        fields = super().get_fields()
        for name, field in fields.items():
            relation = field.child_relation if isinstance(field, ManyRelatedField) else field
            if not isinstance(relation, serializers.RelatedField) or isinstance(
                relation, VisibleRelatedField
            ):
                continue
            model_field = _model_field(self, field.source or name)
            related_model = getattr(model_field, "related_model", None)
            if related_model is None or is_account_data(related_model):
                raise ImproperlyConfigured(
                    f"{type(self).__name__}.{name} may show account data without the visibility rule: "
                    "use kam.visibility.VisibleRelatedField."
                )
        return fields


# --- Admin ----------------------------------------------------------------------------------------


def _admin_related_queryset(db_field, request):
    """What an admin widget for this relation may offer: limited for account data and people; other
    relations (regions, tiers, scoring models, runs, schedules) are the admin's own business."""
    model = db_field.related_model
    if is_account_data(model) or model is get_user_model():
        return visible_queryset(model, request.user)
    return None


class VisibleForeignKeyRawIdWidget(admin_widgets.ForeignKeyRawIdWidget):
    """A raw-id box that names the chosen record only when the user may see it."""

    def __init__(self, rel, admin_site, *, queryset, **kwargs):
        self.visible = queryset
        super().__init__(rel, admin_site, **kwargs)

    def label_and_url_for_value(self, value):
        key = self.rel.get_related_field().name
        try:
            visible = self.visible.filter(**{key: value}).exists()
        except (ValueError, TypeError, DjangoValidationError):
            return "", ""
        return super().label_and_url_for_value(value) if visible else ("", "")


class VisibleAdminMixin:
    """For every ``ModelAdmin`` of the project: every foreign-key and many-to-many widget (select,
    raw id, autocomplete, filter_horizontal) offers only what ``visible_queryset`` allows, so a posted
    foreign id is refused as an invalid choice and an invisible record is never named."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        queryset = _admin_related_queryset(db_field, request)
        if queryset is not None:
            kwargs.setdefault("queryset", queryset)
            if "widget" not in kwargs and db_field.name in self.raw_id_fields:
                kwargs["widget"] = VisibleForeignKeyRawIdWidget(
                    db_field.remote_field,
                    self.admin_site,
                    queryset=kwargs["queryset"],
                    using=kwargs.get("using"),
                )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        queryset = _admin_related_queryset(db_field, request)
        if queryset is not None:
            kwargs.setdefault("queryset", queryset)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(self, request, form, formsets, change):
        # Records the user may not see are not offered, so they are not posted either: keep the ones
        # already related instead of dropping them unseen.
        if change:
            for name, value in list(form.cleaned_data.items()):
                db_field = _concrete_field(form.instance, name)
                if db_field is None or not db_field.many_to_many:
                    continue
                queryset = _admin_related_queryset(db_field, request)
                if queryset is None or is_unrestricted(queryset):
                    continue
                hidden = getattr(form.instance, name).exclude(pk__in=queryset.values("pk"))
                form.cleaned_data[name] = [*value, *hidden]
        super().save_related(request, form, formsets, change)


def _concrete_field(instance, name):
    try:
        return instance._meta.get_field(name)
    except FieldDoesNotExist:
        return None
