from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language

from accounts import views as account_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/", include("accounts.urls")),
    path("dashboard/", include("segmentation.urls")),
    path("scoring/", include("scoring.urls")),
    path("plans/", include("account_plans.urls")),
    path("", include("service_tiers.urls")),
    path("api/", include("kam.api", namespace="api")),
    path("admin/", admin.site.urls),
]
