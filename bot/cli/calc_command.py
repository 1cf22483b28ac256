"""`iro-bot calc`: statutory dates worked out and explained, for people who do them by hand today.

Every subcommand prints each date with its rule, basis and source, and where it stands today;
``--json`` prints one JSON object instead. Bad dates print one line and exit with status 2.
``--rules`` takes a rules file or a built-in nation by name (wales, scotland, northern-ireland;
west-berkshire is the England default): each date then cites that nation's regulation. A date
the chosen rules leave out (a nation whose law sets no such timescale) is said so in one line.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from bot.settings import Settings
from domain import child_protection, reviews
from domain.dates import parse_date
from domain.deadlines import Deadline
from domain.formatting import long_date
from domain.rules import BUILT_IN_RULES, MissingTimescale, RuleSet, load_rules
from services.clock import today_in

CalcHandler = Callable[[argparse.Namespace, RuleSet], dict[str, Any]]


def register(subparsers: Any) -> None:  # argparse's subparsers action has no public type
    calc = subparsers.add_parser(
        "calc",
        help="work out a statutory date and explain it",
        description="Work out a statutory date and explain it. Dates are DD/MM/YYYY or "
        "YYYY-MM-DD (never MM/DD).",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print one JSON object")
    common.add_argument("--today", metavar="D", help="judge against this date, not today")
    common.add_argument(
        "--rules", metavar="NAME|FILE",
        help=f"rules: {', '.join(BUILT_IN_RULES)} or a rules file (default: IRO_RULES)",
    )  # fmt: skip
    calc.set_defaults(handler=run_calc)
    kinds = calc.add_subparsers(dest="calc_kind", required=True, metavar="KIND")

    p = kinds.add_parser("first-review", parents=[common], help="CIC-1 and the care plan")
    p.add_argument("--looked-after", required=True, metavar="D")
    p.set_defaults(calc_handler=_first_review)

    p = kinds.add_parser("next-review", parents=[common], help="the next CIC review")
    p.add_argument("--looked-after", required=True, metavar="D")
    p.add_argument("--review", action="append", default=[], metavar="D",
                   help="a full review held (repeat; any order)")  # fmt: skip
    p.add_argument("--part1", action="append", default=[], metavar="D",
                   help="Part 1 of a split review held (repeat)")  # fmt: skip
    p.add_argument("--part2", action="append", default=[], metavar="D",
                   help="Part 2 of a split review held (repeat)")  # fmt: skip
    p.set_defaults(calc_handler=_next_review)

    p = kinds.add_parser("cp-initial", parents=[common], help="CP-1 initial conference")
    p.add_argument("--strategy", required=True, metavar="D")
    p.set_defaults(calc_handler=_cp_initial)

    p = kinds.add_parser("cp-review", parents=[common], help="CP-2/CP-3 review conference")
    p.add_argument("--initial-conference", required=True, metavar="D")
    p.add_argument("--review", action="append", default=[], metavar="D")
    p.set_defaults(calc_handler=_cp_review)

    p = kinds.add_parser("ir", parents=[common], help="IR-STAGE and IR-FORMAL deadlines")
    p.add_argument("--raised", required=True, metavar="D")
    p.add_argument("--stage", default="informal", help="stage raised at (default informal)")
    p.add_argument("--escalated", action="append", default=[], metavar="D:STAGE",
                   help="an escalation, e.g. 07/01/2025:3 (repeat)")  # fmt: skip
    p.set_defaults(calc_handler=_ir)


def run_calc(args: argparse.Namespace) -> int:
    rules = load_rules(args.rules or Settings().rules_path or None)
    result = args.calc_handler(args, rules)
    print(json.dumps(result, indent=2, ensure_ascii=False) if args.json else _as_text(result))
    return 0


# -- handlers --------------------------------------------------------------------------------


def _today(args: argparse.Namespace, rules: RuleSet) -> date:
    return parse_date(args.today) if args.today else today_in(rules.timezone)


def _dates(values: Sequence[str]) -> list[date]:
    return [parse_date(v) for v in values]


def _headline(deadline: Deadline, today: date, rules: RuleSet) -> dict[str, Any]:
    return deadline.to_dict(today)


def _first_review(args: argparse.Namespace, rules: RuleSet) -> dict[str, Any]:
    start = parse_date(args.looked_after)
    today = _today(args, rules)
    first = reviews.next_review_due(start, [], rules)
    out = _headline(first, today, rules)
    try:
        out["also"] = [reviews.care_plan_due(start, rules).to_dict(today)]
    except MissingTimescale as missing:
        # The nation's rules set no care plan period: the review date still stands.
        out["not_set"] = [{"rule": missing.rule_id, "message": str(missing)}]
    return out


def _next_review(args: argparse.Namespace, rules: RuleSet) -> dict[str, Any]:
    start = parse_date(args.looked_after)
    today = _today(args, rules)
    held = (
        [reviews.ReviewHeld(d) for d in _dates(args.review)]
        + [reviews.ReviewHeld(d, reviews.ReviewPart.PART1) for d in _dates(args.part1)]
        + [reviews.ReviewHeld(d, reviews.ReviewPart.PART2) for d in _dates(args.part2)]
    )
    schedule = reviews.review_schedule(start, held, rules)
    out = _headline(schedule.next_due, today, rules)
    out["review_number"] = schedule.next_number
    out["reviews_held"] = [
        {
            "held_on": o.review.held_on.isoformat(),
            "part": o.review.part.value,
            "number": o.number,
            "was_due": o.due.due.isoformat(),
            "rule": o.due.rule_id,
            "on_time": o.on_time,
        }
        for o in schedule.held
    ]
    out["not_counted"] = [
        {"held_on": r.held_on.isoformat(), "part": r.part.value, "reason": why}
        for r, why in schedule.not_counted
    ]
    if schedule.part2_outstanding_since:
        out["part2_outstanding_since"] = schedule.part2_outstanding_since.isoformat()
    return out


def _cp_initial(args: argparse.Namespace, rules: RuleSet) -> dict[str, Any]:
    deadline = child_protection.initial_conference_due(parse_date(args.strategy), rules)
    return _headline(deadline, _today(args, rules), rules)


def _cp_review(args: argparse.Namespace, rules: RuleSet) -> dict[str, Any]:
    deadline = child_protection.next_review_conference_due(
        parse_date(args.initial_conference), _dates(args.review), rules
    )
    return _headline(deadline, _today(args, rules), rules)


def _ir(args: argparse.Namespace, rules: RuleSet) -> dict[str, Any]:
    from bot.cli.calc_ir import ir_deadlines

    return ir_deadlines(args, rules, _today(args, rules))


# -- text output -----------------------------------------------------------------------------


def _as_text(result: dict[str, Any]) -> str:
    lines = [_deadline_text(result)]
    if "stage" in result:
        lines.append(f"  The IR is at {result['stage']}: the {result['owner']} must respond.")
        for entry in result["history"]:
            lines.append(
                f"  {entry['stage']} from {entry['entered_on']}, response due "
                f"{entry['response_due']}"
            )
    for held in result.get("reviews_held", []):
        verdict = "on time" if held["on_time"] else "LATE"
        lines.append(
            f"  review {held['number']} held {held['held_on']} ({held['part']}): "
            f"due {held['was_due']} ({held['rule']}), {verdict}"
        )
    for skipped in result.get("not_counted", []):
        held_on, part, why = skipped["held_on"], skipped["part"], skipped["reason"]
        lines.append(f"  not counted: {held_on} ({part}): {why}")
    if "part2_outstanding_since" in result:
        lines.append(f"  Part 2 still to be held (Part 1 on {result['part2_outstanding_since']})")
    for extra in result.get("also", []):
        lines.append("")
        lines.append(_deadline_text(extra))
    for missing in result.get("not_set", []):
        lines.append("")
        lines.append(f"[{missing['rule']}] {missing['message']}")
    return "\n".join(lines)


def _deadline_text(d: dict[str, Any]) -> str:
    due = date.fromisoformat(d["due"])
    text = [f"{d['title']}: {long_date(due)}  [{d['rule']}]", f"  {d['basis']}."]
    if d["practical_due"] != d["due"]:
        practical = long_date(date.fromisoformat(d["practical_due"]))
        text.append(f"  Not a working day: the last working day on or before it is {practical}.")
    if "status" in d:
        text.append(f"  As of {long_date(date.fromisoformat(d['today']))}: {d['status']}.")
    text.append(f"  Source: {d['citation']}.")
    return "\n".join(text)
