"""Simplified Chinese number formats: Django's own leave out the thousands separator (¥6570000);
money in Chinese business software is written ¥6,570,000, grouped by three like the English pages."""

from django.conf.locale.zh_Hans.formats import *  # noqa: F403

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
