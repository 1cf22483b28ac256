"""Due-date computations per second, against a bare bisect over a working-day array (the floor).

Run: `.venv/bin/python -m benchmarks.domain_bench [--n 20000] [--repeat 7]`

Every figure is the best of ``--repeat`` runs over the same random start dates (2010-2040), so
the numbers of one run can be compared with each other. The floor is what a due date cannot
cost less than in Python: one bisect into a precomputed array of working-day ordinals plus
turning the ordinal back into a date.
"""

from __future__ import annotations

import argparse
import platform
import random
import timeit
from bisect import bisect_right
from collections.abc import Callable
from datetime import date, timedelta

from domain.deadlines import apply_timescale
from domain.reviews import ReviewHeld, review_schedule
from domain.rules import load_rules


def measure(fn: Callable[[], object], n: int, repeat: int) -> float:
    """Operations per second: the best of ``repeat`` runs of ``n`` operations."""
    return n / min(timeit.repeat(fn, number=1, repeat=repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    rules = load_rules()
    calendar = rules.calendar
    rng = random.Random(20261126)
    days = [date(2010, 1, 1) + timedelta(days=rng.randrange(11000)) for _ in range(args.n)]
    ordinals = [d.toordinal() for d in days]
    # The floor's own copy of the working days, built independently of the calendar's.
    working = [
        o for o in range(date(2000, 1, 1).toordinal(), date(2070, 12, 31).toordinal())
        if calendar.is_working_day(date.fromordinal(o))
    ]  # fmt: skip
    cic1, cic3 = rules.timescale("CIC-1"), rules.timescale("CIC-3")
    histories = [
        [ReviewHeld(d + timedelta(days=15 + 90 * k)) for k in range(rng.randrange(0, 6))]
        for d in days[: args.n // 10]
    ]
    deadlines = [apply_timescale(cic1, d, calendar) for d in days[: args.n // 10]]
    today = date(2026, 11, 26)

    def floor() -> None:
        for o in ordinals:
            date.fromordinal(working[bisect_right(working, o) + 19])

    def add_working_days() -> None:
        for d in days:
            calendar.add_working_days(d, 20)

    def deadline_working_days() -> None:
        for d in days:
            apply_timescale(cic1, d, calendar)

    def deadline_months() -> None:
        for d in days:
            apply_timescale(cic3, d, calendar)

    def next_review() -> None:
        for start, held in zip(days, histories, strict=False):
            review_schedule(start, held, rules)

    def standing() -> None:
        for d in deadlines:
            d.standing(today)

    def explanation() -> None:
        for d in deadlines:
            d.explanation()

    n, r = args.n, args.repeat
    base = measure(floor, len(ordinals), r)
    rows: list[tuple[str, float]] = [
        ("floor: bare bisect over a working-day array", base),
        ("calendar.add_working_days(d, 20)", measure(add_working_days, n, r)),
        ("Deadline, CIC-1 (20 working days)", measure(deadline_working_days, n, r)),
        ("Deadline, CIC-3 (6 calendar months)", measure(deadline_months, n, r)),
        ("next review for a child (0-5 reviews held)", measure(next_review, len(histories), r)),
        ("where a deadline stands today", measure(standing, len(deadlines), r)),
        ("explanation text (rendered on demand)", measure(explanation, len(deadlines), r)),
    ]

    print(f"python {platform.python_version()} on {platform.machine()}, n={args.n}, "
          f"best of {args.repeat}")  # fmt: skip
    print(f"{'operation':48} {'ops/s':>12} {'us/op':>8} {'x floor':>8}")
    for name, rate in rows:
        print(f"{name:48} {rate:12,.0f} {1e6 / rate:8.2f} {base / rate:8.2f}")


if __name__ == "__main__":
    main()
