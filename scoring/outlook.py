"""What it would take: from an account's latest grade, the smallest change in each criterion that lifts
it to the next grade on its own, the cheapest combination of two, and the margin it has before it falls
to the grade below. A read, computed for one account from its snapshot and the active model.

How (the total is Σ weight × sub-score / Σ weight over the criteria with data, rounded to two places):

* The points needed: (threshold − 0.005) × Σ weight − Σ weight × sub-score, so that the rounded total
  reaches the threshold exactly as the re-grade compares it.
* A criterion alone needs its sub-score to rise by points ÷ its weight. The sub-score becomes a raw
  value through the criterion's bands (the lowest band above the current basis that earns enough) or its
  percentile rank, and the basis becomes what a manager can act on: a rating (basis = (rating − 1) × 25),
  the on-time share at the same average days late, the 12-month orders for growth, or the 12-month
  orders or gross profit that rank high enough among this month's other graded accounts.
* Percentile ranks move with other accounts: those figures are marked as estimates. Ownership type and
  registered capital are not in a manager's hands and are left out.
* The cheapest combination of two: the pair of criteria whose steps (a band, a rating point, ten
  percentile points) add up to the fewest while covering the points needed together, neither alone.
* The margin: how many points the total may lose before it falls below the current grade's threshold,
  and for each criterion the drop that would do it alone.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from itertools import combinations

from django.db import connection
from django.utils.translation import gettext as _

from .computation import ModelSpec
from .models import HUNDRED, Criterion, CriterionKey, Grade, GradeSnapshot

HALF_CENT = Decimal("0.005")
CENT = Decimal("0.01")
TENTH = Decimal("0.1")
PERCENTILE_STEP = 10
NOT_ACTIONABLE = {CriterionKey.OWNERSHIP_TYPE, CriterionKey.CLIENT_STRENGTH}
RATING_KEYS = {CriterionKey.RELATIONSHIP, CriterionKey.STRATEGIC_FIT}
# The raw column each ranked criterion is ranked by, and what a manager changes to move it.
RANKED_COLUMN = {
    CriterionKey.ORDER_VOLUME: "order_volume",
    CriterionKey.PROFIT_CONTRIBUTION: "gross_profit",
}
NEXT_GRADE = {Grade.C: Grade.B, Grade.B: Grade.A}
GRADE_BELOW = {Grade.A: Grade.B, Grade.B: Grade.C}


@dataclass
class Move:
    """One criterion's change: from its current sub-score to a new one, and what that means in raw terms."""

    key: str
    label: str
    weight: Decimal
    sub_score_from: Decimal | None
    sub_score_to: Decimal
    text: str
    estimate: bool = False
    steps: int = 1
    # What to change, for applying it: ("rating", value) or ("amount", CNY to add or remove) or ("share", %)
    change: tuple = ()

    def gain(self) -> Decimal:
        return self.weight * (self.sub_score_to - (self.sub_score_from or Decimal(0)))


@dataclass
class Outlook:
    snapshot: GradeSnapshot | None
    grade: str = ""
    next_grade: str = ""
    grade_below: str = ""
    points_needed: Decimal | None = None  # weighted points, in total-score points
    total_needed: Decimal | None = None
    up: list[Move] = field(default_factory=list)
    pair: tuple[Move, Move] | None = None
    margin: Decimal | None = None  # total-score points the account may lose and keep its grade
    down: list[Move] = field(default_factory=list)
    other_model: bool = False


def _money(value: Decimal) -> str:
    return f"¥{value.quantize(Decimal(1), rounding=ROUND_CEILING):,}"


class _Distribution:
    """The other graded accounts' values of one ranked column this month, sorted, read in one query.

    Every position and rank the outlook needs is then looked up in memory (a few hundred thousand numbers
    at most per column for a large book; one indexed pass, no query per step).
    """

    def __init__(self, snapshot: GradeSnapshot, column: str):
        self.snapshot, self.column = snapshot, column
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT {column} FROM scoring_gradesnapshot
                    WHERE period = %s AND account_id <> %s AND {column} IS NOT NULL
                    ORDER BY {column}""",  # noqa: S608 -- the column comes from RANKED_COLUMN
                [snapshot.period, snapshot.account_id],
            )
            self.values = [row[0] for row in cursor.fetchall()]
        self.others = len(self.values)

    @property
    def n(self) -> int:
        return self.others + 1  # the account itself is ranked among them

    def below(self, value: Decimal) -> int:
        return bisect_left(self.values, value)

    def position(self, percentile: Decimal) -> int:
        """How many others must rank below to reach ``percentile``: ⌈p × (n − 1) / 100⌉."""
        return int((percentile * (self.n - 1) / HUNDRED).to_integral_value(rounding=ROUND_CEILING))

    def value_at_or_below(self, percentile: Decimal) -> Decimal | None:
        """The largest value that ranks at ``percentile`` or below: no more than ⌊p × (n − 1) / 100⌋ others
        below it, i.e. the value of the next one up."""
        position = int((percentile * (self.n - 1) / HUNDRED).to_integral_value(rounding=ROUND_FLOOR)) + 1
        return self.values[position - 1] if 1 <= position <= self.others else None

    def value_for(self, percentile: Decimal) -> Decimal | None:
        """The smallest value (to the cent) that ranks at ``percentile`` or above: one cent more than the
        other account it has to pass."""
        position = self.position(percentile)
        if not 1 <= position <= self.others:
            return None
        return self.values[position - 1] + CENT


def _band_points(spec: ModelSpec, key: str, basis: Decimal) -> Decimal | None:
    bands = spec.bands_for(key)
    for band in bands[:-1]:
        if basis < band.upper:
            return band.points
    return bands[-1].points if bands else None


def _ranked_percentile_text(key, label, add: Decimal, p_from, p_to) -> str:
    if key == CriterionKey.ORDER_VOLUME:
        return _("12-month orders +%(amount)s, about percentile %(from)s → %(to)s") % {
            "amount": _money(add),
            "from": p_from,
            "to": p_to,
        }
    return _("12-month gross profit +%(amount)s, about percentile %(from)s → %(to)s") % {
        "amount": _money(add),
        "from": p_from,
        "to": p_to,
    }


class _Criterion:
    """One criterion of the model with the account's current standing, and the moves it can offer."""

    def __init__(self, spec: ModelSpec, criterion, snapshot: GradeSnapshot, distributions: dict):
        self.spec, self.criterion, self.snapshot = spec, criterion, snapshot
        self.key, self.weight = criterion.key, criterion.weight
        self.label = (
            criterion.label_zh_hans
            if _is_chinese() and criterion.label_zh_hans
            else (criterion.label_en or CriterionKey(criterion.key).label)
        )
        self.sub_score = snapshot.score_for(criterion.key)
        self.distribution = None
        if self.key in RANKED_COLUMN and getattr(snapshot, RANKED_COLUMN[self.key]) is not None:
            column = RANKED_COLUMN[self.key]
            self.distribution = distributions.setdefault(column, _Distribution(snapshot, column))

    @property
    def actionable(self) -> bool:
        if self.key in NOT_ACTIONABLE:
            return False
        if self.key in RANKED_COLUMN:
            return self.distribution is not None
        if self.key == CriterionKey.CREDIT:
            return self.snapshot.invoices_due is not None and self.snapshot.invoices_due > 0
        if self.key == CriterionKey.GROWTH:
            return bool(self.snapshot.prior_year_volume)
        return True

    # -- the basis and its raw meaning ------------------------------------------------------------------

    def basis(self) -> Decimal | None:
        s = self.snapshot
        if self.key in RATING_KEYS:
            rating = getattr(s, f"{self.key}_rating")
            return None if rating is None else Decimal((rating - 1) * 25)
        if self.key == CriterionKey.CREDIT:
            return _credit_basis(s.on_time_share, s.avg_days_late)
        if self.key == CriterionKey.GROWTH:
            return None if s.growth_pct is None else max(Decimal(0), min(HUNDRED, 50 + s.growth_pct / 2))
        if self.key in RANKED_COLUMN:
            return self.current_percentile()
        return None

    def current_percentile(self) -> Decimal:
        below = self.distribution.below(getattr(self.snapshot, RANKED_COLUMN[self.key]))
        n = self.distribution.n
        return (Decimal(below) * HUNDRED / (n - 1)).quantize(Decimal("0.0001")) if n > 1 else Decimal(0)

    def sub_score_at(self, basis: Decimal) -> Decimal | None:
        if self.criterion.method == Criterion.Method.PERCENTILE:
            return basis
        return _band_points(self.spec, self.key, basis)

    def candidate_bases(self, upwards: bool) -> list[Decimal]:
        """The basis values worth moving to, nearest first: each rating point, each band boundary, or
        ten percentile points at a time (percentile criteria)."""
        current = self.basis()
        if current is None:
            return []
        if self.key in RATING_KEYS:
            values = [Decimal(v) for v in range(0, 101, 25)]
        elif self.criterion.method == Criterion.Method.PERCENTILE:
            values = [Decimal(v) for v in range(0, 101, PERCENTILE_STEP)]
        else:
            bands = self.spec.bands_for(self.key)
            values = [band.lower for band in bands]
            if not upwards:  # the highest value of each band below: just under its upper bound
                values = [band.upper - Decimal("0.0001") for band in bands]
        if upwards:
            return sorted(v for v in values if v > current)
        return sorted((v for v in values if v < current), reverse=True)

    def move_to(self, basis: Decimal, steps: int = 1) -> Move | None:
        sub_score = self.sub_score_at(basis)
        if sub_score is None:
            return None
        text, change, estimate = self.describe(basis)
        if text is None:
            return None
        return Move(
            self.key, self.label, self.weight, self.sub_score, sub_score, text, estimate, steps, change
        )

    def describe(self, basis: Decimal):
        s = self.snapshot
        if self.key in RATING_KEYS:
            rating = int(basis / 25) + 1
            current = getattr(s, f"{self.key}_rating")
            return (
                _("%(criterion)s %(from)s → %(to)s")
                % {"criterion": self.label, "from": current, "to": rating},
                ("rating", rating),
                False,
            )
        if self.key == CriterionKey.CREDIT:
            share = _on_time_share_for(basis, s.avg_days_late)
            if share is None:
                return None, (), False
            return (
                _("on-time share %(from)s %% → %(to)s %% (at the same average days late)")
                % {"from": s.on_time_share.normalize(), "to": share.normalize()},
                ("share", share),
                False,
            )
        if self.key == CriterionKey.GROWTH:
            growth = (basis - 50) * 2
            needed = (s.prior_year_volume * (1 + growth / HUNDRED)).quantize(CENT, rounding=ROUND_CEILING)
            delta = needed - s.order_volume
            return (
                _("12-month orders %(sign)s%(amount)s (growth %(from)s %% → %(to)s %%)")
                % {
                    "sign": "+" if delta >= 0 else "−",
                    "amount": _money(abs(delta)),
                    "from": s.growth_pct.quantize(TENTH),
                    "to": growth.quantize(TENTH),
                },
                ("amount", delta),
                False,
            )
        if self.key in RANKED_COLUMN:
            current = getattr(s, RANKED_COLUMN[self.key])
            current_pct = self.basis()
            if basis > current_pct:
                target = self.distribution.value_for(basis)
                if target is None:
                    return None, (), True
                delta = (target - current).quantize(CENT, rounding=ROUND_CEILING)
                return (
                    _ranked_percentile_text(self.key, self.label, delta, _whole(current_pct), _whole(basis)),
                    ("amount", delta),
                    True,
                )
            target = self.distribution.value_at_or_below(basis)
            if target is None:
                return None, (), True
            delta = (current - target).quantize(CENT, rounding=ROUND_CEILING)
            text = (
                _("12-month orders −%(amount)s, about percentile %(from)s → %(to)s")
                if self.key == CriterionKey.ORDER_VOLUME
                else _("12-month gross profit −%(amount)s, about percentile %(from)s → %(to)s")
            ) % {"amount": _money(max(delta, CENT)), "from": _whole(current_pct), "to": _whole(basis)}
            return text, ("amount", -delta), True
        return None, (), False


def _whole(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def _credit_basis(on_time_share, avg_days_late) -> Decimal | None:
    """The credit basis the re-grade computes, from the snapshot's share and average days late."""
    if on_time_share is None:
        return None
    late_days_per_invoice = (avg_days_late or Decimal(0)) * (HUNDRED - on_time_share) / HUNDRED
    return max(Decimal(0), min(HUNDRED, on_time_share - late_days_per_invoice))


def _on_time_share_for(basis: Decimal, avg_days_late) -> Decimal | None:
    """The on-time share that gives ``basis`` with the same average days late per late invoice:
    basis = x − a × (100 − x) / 100 ⇒ x = (basis + a) / (1 + a / 100); to a tenth, rounded up."""
    a = avg_days_late or Decimal(0)
    share = ((basis + a) / (1 + a / HUNDRED)).quantize(TENTH, rounding=ROUND_CEILING)
    return share if share <= HUNDRED else None


def _is_chinese() -> bool:
    from django.utils.translation import get_language

    return (get_language() or "en").lower().startswith("zh")


def _threshold(spec: ModelSpec, grade: str) -> Decimal:
    return spec.threshold_a if grade == Grade.A else spec.threshold_b


def grade_outlook(*, snapshot: GradeSnapshot | None, scoring_model) -> Outlook:
    """The outlook of one account's latest snapshot under the active model (see the module docstring).

    The caller got the snapshot through the visibility rule. A few queries per ranked criterion.
    """
    if snapshot is None or scoring_model is None:
        return Outlook(snapshot=snapshot)
    if snapshot.scoring_model_id != scoring_model.pk:
        return Outlook(snapshot=snapshot, other_model=True)
    spec = ModelSpec.from_model(scoring_model)
    distributions: dict = {}
    criteria = [_Criterion(spec, c, snapshot, distributions) for c in spec.criteria]
    with_data = [c for c in criteria if c.sub_score is not None]
    weight = sum((c.weight for c in with_data), Decimal(0))
    points = sum((c.weight * c.sub_score for c in with_data), Decimal(0))
    grade = _grade(spec, snapshot.total)
    outlook = Outlook(snapshot=snapshot, grade=grade)
    if weight == 0:
        return outlook
    actionable = [c for c in with_data if c.actionable]

    next_grade = NEXT_GRADE.get(grade)
    if next_grade:
        target = _threshold(spec, next_grade) - HALF_CENT
        needed = target * weight - points
        outlook.next_grade, outlook.total_needed = next_grade, _threshold(spec, next_grade)
        outlook.points_needed = (needed / weight).quantize(CENT, rounding=ROUND_CEILING)
        options = {c.key: _options(c, upwards=True) for c in actionable}
        for c in actionable:
            single = next((m for m in options[c.key] if m.gain() >= needed), None)
            if single is not None and c.criterion.method == Criterion.Method.PERCENTILE:
                exact = c.sub_score + needed / c.weight
                single = (
                    c.move_to(exact.quantize(Decimal("0.0001"), rounding=ROUND_CEILING), single.steps)
                    or single
                )
            if single is not None:
                outlook.up.append(single)
        outlook.pair = _cheapest_pair(options, needed)

    grade_below = GRADE_BELOW.get(grade)
    if grade_below:
        floor = _threshold(spec, grade) - HALF_CENT
        spare = points - floor * weight  # weighted points it may lose and keep its grade (losing more falls)
        outlook.grade_below = grade_below
        outlook.margin = (spare / weight).quantize(CENT, rounding=ROUND_FLOOR)
        for c in actionable:
            fall = next((m for m in _options(c, upwards=False) if -m.gain() > spare), None)
            if fall is not None and c.criterion.method == Criterion.Method.PERCENTILE:
                exact = c.sub_score - spare / c.weight - Decimal("0.0001")
                fall = (
                    c.move_to(max(Decimal(0), exact.quantize(Decimal("0.0001"), rounding=ROUND_FLOOR)))
                    or fall
                )
            if fall is not None:
                outlook.down.append(fall)
    return outlook


def _grade(spec: ModelSpec, total: Decimal) -> str:
    if total >= spec.threshold_a:
        return Grade.A
    if total >= spec.threshold_b:
        return Grade.B
    return Grade.C


def _options(c: _Criterion, *, upwards: bool) -> list[Move]:
    bases = c.candidate_bases(upwards)
    moves = []
    for steps, basis in enumerate(bases, start=1):
        move = c.move_to(basis, steps)
        if move is not None and (
            move.sub_score_to > c.sub_score if upwards else move.sub_score_to < c.sub_score
        ):
            moves.append(move)
    return moves


def _cheapest_pair(options: dict, needed: Decimal):
    best = None
    for first, second in combinations(options, 2):
        for a in options[first]:
            for b in options[second]:
                if a.gain() + b.gain() < needed:
                    continue
                if a.gain() >= needed or b.gain() >= needed:
                    continue  # one of them alone already does it: not a combination
                key = (a.steps + b.steps, -(a.gain() + b.gain()))
                if best is None or key < best[0]:
                    best = (key, (a, b))
    return best[1] if best else None


# --- The accounts closest to moving: the directors' lists ------------------------------------------------

MOVERS_LIMIT = 25


def grade_movers(*, accounts, period, scoring_model, grade: str = "", limit: int = MOVERS_LIMIT) -> dict:
    """Of the given (visible, filtered) accounts graded in ``period`` by ``scoring_model``: those closest
    to the next grade (fewest points short of its threshold) and those closest to falling (smallest
    margin above their own grade's threshold), ``limit`` each, by the computed grade.

    ``grade`` narrows both lists to accounts of that grade (e.g. "A accounts at risk of falling").
    """
    from django.db.models import Case, DecimalField, F, Value, When

    if scoring_model is None:
        return {"up": [], "down": []}
    a, b = scoring_model.threshold_a, scoring_model.threshold_b
    snapshots = GradeSnapshot.objects.filter(
        period=period, scoring_model=scoring_model, account__in=accounts.order_by().values("pk")
    ).select_related("account", "account__owner")
    if grade:
        snapshots = snapshots.filter(computed_grade=grade)
    money = DecimalField(max_digits=6, decimal_places=2)
    up = (
        snapshots.filter(computed_grade__in=[Grade.B, Grade.C])
        .annotate(
            gap=Case(
                When(computed_grade=Grade.B, then=Value(a) - F("total")),
                default=Value(b) - F("total"),
                output_field=money,
            )
        )
        .order_by("gap", "account_id")[:limit]
    )
    down = (
        snapshots.filter(computed_grade__in=[Grade.A, Grade.B])
        .annotate(
            gap=Case(
                When(computed_grade=Grade.A, then=F("total") - Value(a)),
                default=F("total") - Value(b),
                output_field=money,
            )
        )
        .order_by("gap", "account_id")[:limit]
    )
    return {"up": list(up), "down": list(down)}
