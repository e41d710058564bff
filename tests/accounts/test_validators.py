import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from accounts.models import Account
from accounts.validators import credit_code_check_character, validate_credit_code
from tests.factories import AccountFactory, make_credit_code


@pytest.mark.parametrize(
    "code", ["91350100M000100Y43", "91310000000000001" + credit_code_check_character("91310000000000001")]
)
def test_valid_credit_codes_pass(code):
    validate_credit_code(code)


def test_lowercase_input_is_normalised_before_checking():
    validate_credit_code("91350100m000100y43")


@pytest.mark.parametrize(
    ("code", "error_code"),
    [
        ("91350100M000100Y4", "credit_code_length"),
        ("91350100M000100Y433", "credit_code_length"),
        ("91350100M000100Y4I", "credit_code_character"),  # I is never used
        ("913501O0M000100Y43", "credit_code_character"),  # O is never used
        ("9135A100M000100Y43", "credit_code_region"),
        ("91350100M000100Y44", "credit_code_check"),  # one typo in the check character
        ("91350100M000100Y34", "credit_code_check"),  # two characters swapped
    ],
)
def test_invalid_credit_codes_are_rejected_with_a_reason(code, error_code):
    with pytest.raises(ValidationError) as error:
        validate_credit_code(code)
    assert error.value.error_list[0].code == error_code


def test_credit_code_is_unique_when_present(db):
    code = make_credit_code()
    AccountFactory(credit_code=code)
    with pytest.raises(IntegrityError):
        AccountFactory(credit_code=code)


def test_many_accounts_may_have_no_credit_code(db):
    AccountFactory(credit_code="")
    AccountFactory(credit_code="")
    assert Account.objects.filter(credit_code="").count() == 2


def test_database_refuses_a_malformed_credit_code(db):
    with pytest.raises(IntegrityError):
        AccountFactory(credit_code="not-a-code")


def test_group_structure_cannot_form_a_cycle(db):
    parent = AccountFactory()
    child = AccountFactory(parent=parent)
    parent.parent = child
    with pytest.raises(ValidationError) as error:
        parent.full_clean()
    assert "parent" in error.value.message_dict
