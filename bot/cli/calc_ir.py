"""`iro-bot calc ir`: the IR-STAGE and IR-FORMAL deadlines of an IR's history, worked out by the
domain's own Issues Resolution model (so an escalation downwards is refused exactly as in chat)."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from domain import issues_resolution as ir_model
from domain.dates import parse_date
from domain.errors import DomainError
from domain.rules import RuleSet


def _escalation(text: str) -> tuple[date, str]:
    when, sep, stage = text.rpartition(":")
    if not sep or not when or not stage:
        raise DomainError(f"{text!r} is not an escalation: write DATE:STAGE, e.g. 07/01/2025:3")
    return parse_date(when), stage


def ir_deadlines(args: argparse.Namespace, rules: RuleSet, today: date) -> dict[str, Any]:
    # The calculation needs no real child, IRO or reason: placeholders satisfy the model.
    ir, _ = ir_model.raise_ir(
        rules,
        child_id="calculation",
        raised_by="calculation",
        reasons=[rules.reasons[0]],
        description="calculation",
        on=parse_date(args.raised),
        stage=args.stage,
    )
    for when, stage in sorted(_escalation(e) for e in args.escalated):
        ir, _ = ir_model.escalate(ir, rules, to_stage=stage, on=when, reason="calculation")

    stage_due = ir_model.stage_deadline(ir, rules)
    formal_due = ir_model.formal_deadline(ir, rules)
    out = stage_due.to_dict(today)
    out["stage"] = ir_model.current_stage(ir, rules).name
    out["owner"] = ir_model.current_stage(ir, rules).owner_title
    out["stage_due"] = stage_due.due.isoformat()
    out["stage_warning"] = ir_model.warning_date(stage_due, rules).isoformat()
    out["formal_due"] = formal_due.due.isoformat() if formal_due else None
    if formal_due:
        out["formal_warning"] = ir_model.warning_date(formal_due, rules).isoformat()
        out["also"] = [formal_due.to_dict(today)]
    out["history"] = [
        {
            "stage": rules.stage(entry.stage).name,
            "entered_on": entry.entered_on.isoformat(),
            "response_due": ir_model.stage_deadline(ir, rules, entry).due.isoformat(),
        }
        for entry in ir.history
    ]
    return out
