"""factory_boy factories for accounts data."""

import itertools
from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts import roles
from accounts.models import Account, Complaint, Contact, Interaction, Order, Region, SatisfactionSurvey, Team
from accounts.validators import CREDIT_CODE_ALPHABET, credit_code_check_character

_credit_codes = itertools.count(1)


def make_credit_code(number: int | None = None) -> str:
    """A valid, unique unified social credit code (GB 32100-2015)."""
    number = next(_credit_codes) if number is None else number
    body = f"91310000{number:09d}"
    body = "".join(char if char in CREDIT_CODE_ALPHABET else "0" for char in body)
    return body + credit_code_check_character(body)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get_or_create(name=extracted)[0])
            if extracted == roles.ADMINISTRATOR:
                self.is_staff = True
                self.save(update_fields=["is_staff"])


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ["code"]

    name = factory.Sequence(lambda n: f"区域{n}")
    code = factory.Sequence(lambda n: f"region-{n}")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"团队{n}")
    region = factory.SubFactory(RegionFactory)


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"上海测试{n}号科技有限公司")
    short_name = factory.Sequence(lambda n: f"测试{n}")
    credit_code = factory.LazyFunction(make_credit_code)
    owner = factory.SubFactory(UserFactory, role=roles.ACCOUNT_MANAGER)
    region = factory.SubFactory(RegionFactory)
    industry = Account.Industry.MANUFACTURING
    ownership_type = Account.OwnershipType.PRIVATE
    status = Account.Status.ACTIVE


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"张{n}")
    title = "采购总监"
    decision_role = Contact.DecisionRole.DECISION_MAKER


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    account = factory.SubFactory(AccountFactory)
    kind = Interaction.Kind.VISIT
    occurred_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    author = factory.LazyAttribute(lambda interaction: interaction.account.owner)
    summary = "拜访采购总监，讨论年度框架协议"


class ComplaintFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Complaint

    account = factory.SubFactory(AccountFactory)
    received_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=2))
    channel = Complaint.Channel.PHONE
    category = Complaint.Category.DELIVERY
    severity = Complaint.Severity.HIGH
    description = "交货延迟三天"
    created_by = factory.LazyAttribute(lambda complaint: complaint.account.owner)


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    account = factory.SubFactory(AccountFactory)
    number = factory.Sequence(lambda n: f"SO-{n:08d}")
    order_date = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))
    product_line = "工业设备"
    amount = Decimal("100000.00")
    gross_profit = Decimal("20000.00")
    invoice_date = factory.LazyAttribute(lambda order: order.order_date)
    due_date = factory.LazyAttribute(lambda order: order.order_date + timedelta(days=30))


class SatisfactionSurveyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SatisfactionSurvey

    account = factory.SubFactory(AccountFactory)
    sent_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=10))
