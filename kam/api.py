"""The REST API. Every endpoint starts from the visibility rule.

A viewset's queryset is ``visible_to(request.user)``; its serializer derives from
``kam.visibility.VisibleModelSerializer`` and its filters from ``VisibleFilterSet`` (the default filter
backend builds ``filterset_fields`` on it), so related ids and filter choices never reach beyond what the
user may see. ``tests/test_api_visibility.py`` walks every registered endpoint to hold that.
"""

from django.urls import path
from rest_framework.routers import DefaultRouter

from accounts.api.views import AccountViewSet, ComplaintViewSet, ContactViewSet, InteractionViewSet
from scoring.api import account_grade_outlook

app_name = "api"

router = DefaultRouter()
router.register("accounts", AccountViewSet, basename="account")
router.register("contacts", ContactViewSet, basename="contact")
router.register("interactions", InteractionViewSet, basename="interaction")
router.register("complaints", ComplaintViewSet, basename="complaint")

urlpatterns = [
    *router.urls,
    path("accounts/<int:pk>/grade-outlook/", account_grade_outlook, name="account-grade-outlook"),
]
