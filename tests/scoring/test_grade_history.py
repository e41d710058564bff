from io import StringIO

from django.core.management import call_command

from scoring.models import GradeSnapshot, RegradeRun
from tests.factories import OrderFactory


def test_grade_history_grades_missing_months_once(world):
    OrderFactory(account=world.own_account)
    out = StringIO()
    call_command("grade_history", "--months", "3", stdout=out)
    assert "3 month(s) graded" in out.getvalue()
    periods = set(GradeSnapshot.objects.values_list("period", flat=True))
    runs = RegradeRun.objects.filter(status=RegradeRun.Status.SUCCEEDED)
    assert len(periods) <= 3 and runs.count() == 3

    again = StringIO()
    call_command("grade_history", "--months", "3", stdout=again)
    assert "nothing to do" in again.getvalue()
    assert RegradeRun.objects.count() == 3
