from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts import services
from accounts.models import Account, Complaint, Contact, Interaction
from kam.visibility import VisibleModelSerializer


class AccountSerializer(VisibleModelSerializer):
    owner = serializers.StringRelatedField()
    region = serializers.StringRelatedField()

    class Meta:
        model = Account
        fields = [
            "id", "name", "short_name", "credit_code", "status", "region", "industry", "ownership_type",
            "channel", "owner", "parent", "updated_at",
        ]  # fmt: skip


class ServiceUpdateMixin:
    """``update`` goes through the service, with the version the client read (If-Match)."""

    update_service = None

    def update(self, instance, validated_data):
        from kam.conflicts import EditConflict

        service = type(self).update_service
        try:
            return service(
                actor=self.context["request"].user,
                expected_version=self.context.get("expected_version"),
                **{self.service_object: instance},
                **validated_data,
            )
        except EditConflict:
            raise
        except DjangoValidationError as error:
            raise serializers.ValidationError(serializers.as_serializer_error(error)) from error


class AccountUpdateSerializer(ServiceUpdateMixin, AccountSerializer):
    update_service = staticmethod(services.account_update)
    service_object = "account"

    class Meta(AccountSerializer.Meta):
        read_only_fields = ["id", "owner", "region", "updated_at"]


class ContactSerializer(VisibleModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "account", "name", "title", "decision_role", "phone", "email", "birthday"]


class ContactUpdateSerializer(ServiceUpdateMixin, ContactSerializer):
    update_service = staticmethod(services.contact_update)
    service_object = "contact"

    class Meta(ContactSerializer.Meta):
        read_only_fields = ["id", "account"]


class ComplaintSerializer(VisibleModelSerializer):
    class Meta:
        model = Complaint
        fields = [
            "id", "account", "contact", "received_at", "channel", "category", "severity", "description",
            "status", "resolution", "resolved_at", "handler",
        ]  # fmt: skip


class InteractionSerializer(VisibleModelSerializer):
    """Create goes through ``services.interaction_log``; account and contact ids are accepted only when
    the requesting user may see them (``VisibleRelatedField``), so a foreign id is refused as "does not
    exist", like a missing one."""

    author = serializers.StringRelatedField(read_only=True)

    class Meta:
        model = Interaction
        fields = [
            "id", "account", "contacts", "kind", "occurred_at", "author", "summary", "outcome", "next_step",
            "next_step_due",
        ]  # fmt: skip

    def validate_summary(self, value):
        if not value.strip():
            raise serializers.ValidationError(_("Write what happened, in a sentence or two."))
        return value

    def create(self, validated_data):
        try:
            return services.interaction_log(actor=self.context["request"].user, **validated_data)
        except DjangoValidationError as error:
            raise serializers.ValidationError(serializers.as_serializer_error(error)) from error

    def update(self, instance, validated_data):
        raise serializers.ValidationError(_("Interactions cannot be edited through the API."))
