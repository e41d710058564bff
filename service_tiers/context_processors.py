"""The alert bell in the navigation: one COUNT query per page for a signed-in user."""

from django.utils.functional import SimpleLazyObject


def alert_bell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def count():
        from .selectors import unread_alert_count

        return unread_alert_count(user=user)

    # Lazy: pages that do not render the navigation (htmx partials) pay nothing.
    return {"unread_alert_count": SimpleLazyObject(count)}
