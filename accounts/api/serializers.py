from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts import services
from accounts.models import Account, Complaint, Contact, Interaction


class AccountSerializer(serializers.ModelSerializer):
    owner = serializers.StringRelatedField()
    region = serializers.StringRelatedField()

    class Meta:
        model = Account
        fields = [
            "id", "name", "short_name", "credit_code", "status", "region", "industry", "ownership_type",
            "channel", "owner", "parent", "updated_at",
        ]  # fmt: skip


class ContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "account", "name", "title", "decision_role", "phone", "email", "birthday"]


class ComplaintSerializer(serializers.ModelSerializer):
    class Meta:
        model = Complaint
        fields = [
            "id", "account", "contact", "received_at", "channel", "category", "severity", "description",
            "status", "resolution", "resolved_at", "handler",
        ]  # fmt: skip


class InteractionSerializer(serializers.ModelSerializer):
    """Create goes through ``services.interaction_log``; account and contact choices are limited to what
    the requesting user may see, so a foreign id is refused as "does not exist"."""

    author = serializers.StringRelatedField(read_only=True)

    class Meta:
        model = Interaction
        fields = [
            "id", "account", "contacts", "kind", "occurred_at", "author", "summary", "outcome", "next_step",
            "next_step_due",
        ]  # fmt: skip

    def get_fields(self):
        fields = super().get_fields()
        user = self.context["request"].user
        fields["account"].queryset = Account.objects.visible_to(user)
        fields["contacts"].child_relation.queryset = Contact.objects.visible_to(user)
        return fields

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
