"""The three roles. Groups are created by a migration; an administrator is staff in the Administrator
group or a superuser."""

from django.utils.translation import gettext_lazy as _

ACCOUNT_MANAGER = "Account manager"
SALES_DIRECTOR = "Sales director"
ADMINISTRATOR = "Administrator"
ROLE_GROUPS = (ACCOUNT_MANAGER, SALES_DIRECTOR, ADMINISTRATOR)
ROLE_LABELS = {
    ACCOUNT_MANAGER: _("Account manager"),
    SALES_DIRECTOR: _("Sales director"),
    ADMINISTRATOR: _("Administrator"),
}


def _group_names(user) -> set[str]:
    # Cached on the user object: the role is asked several times per request.
    if not hasattr(user, "_kam_group_names"):
        user._kam_group_names = set(user.groups.values_list("name", flat=True))
    return user._kam_group_names


def is_administrator(user) -> bool:
    return bool(user.is_superuser or (user.is_staff and ADMINISTRATOR in _group_names(user)))


def is_sales_director(user) -> bool:
    return SALES_DIRECTOR in _group_names(user)


def is_account_manager(user) -> bool:
    return ACCOUNT_MANAGER in _group_names(user)


def role_label(user) -> str:
    if is_administrator(user):
        return ROLE_LABELS[ADMINISTRATOR]
    if is_sales_director(user):
        return ROLE_LABELS[SALES_DIRECTOR]
    return ROLE_LABELS[ACCOUNT_MANAGER]
