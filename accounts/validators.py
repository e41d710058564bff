"""Unified social credit code (统一社会信用代码), GB 32100-2015."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# 31 characters: digits and capital letters without I, O, Z, S, V.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CREDIT_CODE_REGEX = r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"


def credit_code_check_character(first_17: str) -> str:
    """The 18th character computed from the first 17 (weights 3^i mod 31, modulus 31)."""
    pairs = zip(first_17, CREDIT_CODE_WEIGHTS, strict=True)
    total = sum(CREDIT_CODE_ALPHABET.index(char) * weight for char, weight in pairs)
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def normalise_credit_code(value: str) -> str:
    return (value or "").strip().upper()


def validate_credit_code(value: str) -> None:
    code = normalise_credit_code(value)
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(count)d."),
            code="credit_code_length",
            params={"count": len(code)},
        )
    bad = [char for char in code if char not in CREDIT_CODE_ALPHABET]
    if bad:
        raise ValidationError(
            _("“%(char)s” cannot appear in a unified social credit code (I, O, Z, S and V are never used)."),
            code="credit_code_character",
            params={"char": bad[0]},
        )
    if not code[2:8].isdigit():
        raise ValidationError(
            _("Characters 3 to 8 of a unified social credit code are the region code and must be digits."),
            code="credit_code_region",
        )
    expected = credit_code_check_character(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _("The check character of this unified social credit code is wrong: is there a typo?"),
            code="credit_code_check",
        )


# Mainland China mobile numbers: 11 digits starting with 1 and a network digit 3–9.
MOBILE_REGEX = r"^1[3-9][0-9]{9}$"
# WeChat IDs: 6–20 characters, a letter first, then letters, digits, "_" or "-".
WECHAT_ID_REGEX = r"^[A-Za-z][A-Za-z0-9_-]{5,19}$"


def validate_mobile(value: str) -> None:
    if value and not re.fullmatch(MOBILE_REGEX, value):
        raise ValidationError(
            _("A mobile number has 11 digits and starts with 13 to 19, for example 13812345678."),
            code="mobile_format",
        )


def validate_wechat_id(value: str) -> None:
    if value and not re.fullmatch(WECHAT_ID_REGEX, value):
        raise ValidationError(
            _("A WeChat ID has 6 to 20 letters, digits, “_” or “-”, and starts with a letter."),
            code="wechat_id_format",
        )
