from rest_framework import mixins, viewsets

from accounts.filters import AccountFilter
from accounts.models import Account, Complaint, Contact, Interaction
from kam.api_conflicts import VersionedUpdateMixin

from .serializers import (
    AccountSerializer,
    AccountUpdateSerializer,
    ComplaintSerializer,
    ContactSerializer,
    ContactUpdateSerializer,
    InteractionSerializer,
)


class AccountViewSet(VersionedUpdateMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Read, and change (PATCH/PUT with If-Match, through ``services.account_update``)."""

    serializer_class = AccountSerializer
    filterset_class = AccountFilter

    def get_serializer_class(self):
        return AccountUpdateSerializer if self.request.method in ("PUT", "PATCH") else AccountSerializer

    def get_queryset(self):
        return (
            Account.objects.visible_to(self.request.user)
            .select_related("owner", "region")
            .order_by("name", "pk")
        )


class ContactViewSet(VersionedUpdateMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Read, and change (PATCH/PUT with If-Match, through ``services.contact_update``)."""

    serializer_class = ContactSerializer

    def get_serializer_class(self):
        return ContactUpdateSerializer if self.request.method in ("PUT", "PATCH") else ContactSerializer

    filterset_fields = ["account"]

    def get_queryset(self):
        return Contact.objects.visible_to(self.request.user).order_by("pk")


class ComplaintViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ComplaintSerializer
    filterset_fields = ["account", "status"]

    def get_queryset(self):
        return Complaint.objects.visible_to(self.request.user).order_by("-received_at", "-pk")


class InteractionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = InteractionSerializer
    filterset_fields = ["account", "kind"]

    def get_queryset(self):
        return (
            Interaction.objects.visible_to(self.request.user)
            .select_related("author")
            .prefetch_related("contacts")
            .order_by("-occurred_at", "-pk")
        )
