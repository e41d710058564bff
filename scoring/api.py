"""The grade outlook in the API: what it would take for one visible account (404 otherwise)."""

from django.shortcuts import get_object_or_404
from rest_framework.decorators import api_view
from rest_framework.response import Response

from accounts.models import Account

from .outlook import grade_outlook
from .selectors import latest_snapshot
from .services import active_scoring_model


def _move(move) -> dict:
    kind, value = move.change if move.change else ("", None)
    return {
        "criterion": move.key,
        "label": move.label,
        "sub_score_from": move.sub_score_from,
        "sub_score_to": move.sub_score_to,
        "description": move.text,
        "estimate": move.estimate,
        "change": {"kind": kind, "value": value},
    }


@api_view(["GET"])
def account_grade_outlook(request, pk):
    """For the active model: the smallest change per criterion that lifts the account's latest grade to
    the next one, the cheapest pair, and the margin before it falls (figures on percentile ranks are
    estimates)."""
    account = get_object_or_404(Account.objects.visible_to(request.user), pk=pk)
    outlook = grade_outlook(snapshot=latest_snapshot(account=account), scoring_model=active_scoring_model())
    snapshot = outlook.snapshot
    return Response(
        {
            "account": account.pk,
            "period": snapshot.period if snapshot else None,
            "total": snapshot.total if snapshot else None,
            "grade": outlook.grade or None,
            "next_grade": outlook.next_grade or None,
            "points_needed": outlook.points_needed,
            "up": [_move(move) for move in outlook.up],
            "pair": [_move(move) for move in outlook.pair] if outlook.pair else None,
            "grade_below": outlook.grade_below or None,
            "margin": outlook.margin,
            "down": [_move(move) for move in outlook.down],
            "computed_with_another_model": outlook.other_model,
        }
    )
