"""Signing in: password reset by e-mail and TOTP two-factor sign-in for staff.

- Password reset uses Django's views with :data:`reset_token_generator`, whose tokens die when the
  password changes, at the next log-in, and when the user is deactivated.
- Two-factor (django-otp, TOTP): a staff user with a confirmed device must enter a code after the
  password before any page answers; with ``KAM_STAFF_2FA_REQUIRED`` a staff user without one is sent
  to set one up first. :class:`StaffTwoFactorMiddleware` enforces it for every URL (pages, admin, API).
"""

from __future__ import annotations

from urllib.parse import urlencode

import segno
from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import resolve_url
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice


class ResetTokenGenerator(PasswordResetTokenGenerator):
    """Django's token (password hash, last log-in, e-mail) plus the active flag: deactivating a user
    voids every reset link already sent to them."""

    def _make_hash_value(self, user, timestamp):
        return f"{super()._make_hash_value(user, timestamp)}{int(user.is_active)}"


reset_token_generator = ResetTokenGenerator()

DEVICE_NAME = "KAM"


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Six-digit code"),
        min_length=6,
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    """The second step of signing in, for a staff user with a confirmed device."""
    device = _confirmed_device(request.user)
    if device is None:
        return HttpResponseRedirect(reverse("two_factor_setup"))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"].strip()):
            otp_login(request, device)
            return HttpResponseRedirect(_next_url(request))
        form.add_error("token", gettext("That code is not valid. Enter the code your app shows now."))
    return TemplateResponse(
        request, "registration/two_factor_verify.html", {"form": form, "next": _next_url(request)}
    )


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    """Set up TOTP for a staff user: start (creates an unconfirmed device), scan, confirm with a code."""
    user = request.user
    if not user.is_staff:
        raise PermissionDenied
    confirmed = _confirmed_device(user)
    if confirmed is not None:
        return TemplateResponse(request, "registration/two_factor_setup.html", {"confirmed": True})
    pending = TOTPDevice.objects.devices_for_user(user, confirmed=False).first()
    form = TokenForm(request.POST if request.POST.get("action") == "confirm" else None)
    if request.method == "POST":
        if request.POST.get("action") == "start":
            with transaction.atomic():
                TOTPDevice.objects.filter(user=user, confirmed=False).delete()
                TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
            return HttpResponseRedirect(
                f"{reverse('two_factor_setup')}?{urlencode({'next': _next_url(request)})}"
            )
        if pending is not None and form.is_valid():
            if pending.verify_token(form.cleaned_data["token"].strip()):
                pending.confirmed = True
                pending.save(update_fields=["confirmed"])
                otp_login(request, pending)
                return HttpResponseRedirect(_next_url(request))
            form.add_error("token", gettext("That code is not valid. Enter the code your app shows now."))
    context = {"confirmed": False, "pending": pending, "form": form, "next": _next_url(request)}
    if pending is not None:
        context["qr_svg"] = segno.make(pending.config_url, error="m").svg_inline(scale=4, dark="#1b1b1b")
        context["secret"] = pending.config_url.split("secret=")[1].split("&")[0]
    return TemplateResponse(request, "registration/two_factor_setup.html", context)


class StaffTwoFactorMiddleware:
    """Staff who have set up two-factor sign-in (or must, by ``KAM_STAFF_2FA_REQUIRED``) reach nothing
    but the second step, the set-up page, log-out and the language switch until they enter a code."""

    EXEMPT_URL_NAMES = ("two_factor_verify", "two_factor_setup", "logout", "set_language", "health")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and user.is_staff and not user.is_verified() and not self._exempt(request):
            if user_has_device(user, confirmed=True):
                return self._refuse(request, "two_factor_verify")
            if settings.KAM_STAFF_2FA_REQUIRED:
                return self._refuse(request, "two_factor_setup")
        return self.get_response(request)

    def _exempt(self, request) -> bool:
        match = request.resolver_match or _resolve(request.path_info)
        return match is not None and match.url_name in self.EXEMPT_URL_NAMES and not match.namespace

    @staticmethod
    def _refuse(request, url_name: str):
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": gettext("Two-factor sign-in is required: sign in on the website first.")},
                status=403,
            )
        query = urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(f"{reverse(url_name)}?{query}")


def _resolve(path: str):
    from django.urls import Resolver404, resolve

    try:
        return resolve(path)
    except Resolver404:
        return None
