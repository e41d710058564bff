"""The REST API. Every endpoint starts from the visibility rule."""

from rest_framework.routers import DefaultRouter

from accounts.api.views import AccountViewSet, ComplaintViewSet, ContactViewSet, InteractionViewSet

app_name = "api"

router = DefaultRouter()
router.register("accounts", AccountViewSet, basename="account")
router.register("contacts", ContactViewSet, basename="contact")
router.register("interactions", InteractionViewSet, basename="interaction")
router.register("complaints", ComplaintViewSet, basename="complaint")

urlpatterns = router.urls
