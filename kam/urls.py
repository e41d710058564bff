from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language

from accounts import views as account_views
from kam import auth, health

urlpatterns = [
    path("", account_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("login/verify/", auth.two_factor_verify, name="two_factor_verify"),
    path("account/two-factor/", auth.two_factor_setup, name="two_factor_setup"),
    # Password reset by e-mail: the same answer whether or not the address belongs to a user.
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            token_generator=auth.reset_token_generator,
            email_template_name="registration/password_reset_email.txt",
            subject_template_name="registration/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(token_generator=auth.reset_token_generator),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/", include("accounts.urls")),
    path("dashboard/", include("segmentation.urls")),
    path("scoring/", include("scoring.urls")),
    path("plans/", include("account_plans.urls")),
    path("", include("service_tiers.urls")),
    path("api/", include("kam.api", namespace="api")),
    path("admin/", admin.site.urls),
    path("health/", health.health, name="health"),
]
