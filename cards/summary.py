"""Cards with a period's key figures for QA managers (``services.summaries``); the words in one
place."""

from __future__ import annotations

from collections.abc import Mapping

from cards.elements import Card, card, facts, heading, text
from domain.formatting import short_date, uk_date
from domain.reporting import NOT_RECORDED, Compared, IrFigures, Period, ReviewFigures, percent
from domain.rules import RuleSet

NOT_FOR_YOU = (
    "The service's figures (IR and review summaries) are for QA managers. Ask your QA manager, "
    'or ask me about your own reviews and IRs: try "what\'s due this week" or "my IRs".'
)

TOP_REASONS = 3


def _covers(period: Period, previous: Period) -> Card:
    return text(
        f"{short_date(period.start)} to {short_date(period.end)}. In brackets: "
        f"{short_date(previous.start)} to {short_date(previous.end)}.",
        subtle=True,
        spacing="None",
    )


def _more(period: Period) -> Card:
    return text(
        "Every table, with charts: iro-bot report --from "
        f"{uk_date(period.start)} --to {uk_date(period.end)}",
        subtle=True,
    )


def _top(this: Mapping[str | None, int], last: Mapping[str | None, int]) -> list[tuple[str, str]]:
    ranked = sorted((r for r in this if this[r]), key=lambda r: (-this[r], r is None, r or ""))[
        :TOP_REASONS
    ]
    return [(r or NOT_RECORDED, Compared(this[r], last.get(r, 0)).text()) for r in ranked]


def ir_summary_card(
    wording: str,
    period: Period,
    previous: Period,
    this: IrFigures,
    last: IrFigures,
    rules: RuleSet,
) -> Card:
    def raised_at(figures: IrFigures, stage: str) -> int:
        return sum(figures.matrix.get(stage, {}).values())

    still_open = sum(row.get(None, 0) for row in this.matrix.values())
    body = [
        heading(f"IR summary: {wording}"),
        _covers(period, previous),
        facts(
            [
                ("IRs raised", Compared(this.raised, last.raised).text()),
                *(
                    (
                        f"Raised at {stage.name}",
                        Compared(raised_at(this, stage.key), raised_at(last, stage.key)).text(),
                    )
                    for stage in rules.stages
                ),
                (
                    "Escalated",
                    Compared(sum(this.escalations.values()), sum(last.escalations.values())).text(),
                ),
                ("Still open", str(still_open)),
            ]
        ),
    ]
    top = _top(dict(this.reasons), dict(last.reasons))
    if top:
        body += [text("Raised most often for", weight="Bolder"), facts(top)]
    body.append(_more(period))
    return card(body)


def reviews_summary_card(
    wording: str, period: Period, previous: Period, this: ReviewFigures, last: ReviewFigures
) -> Card:
    def within(sent: tuple[int, int, int]) -> float | None:
        return percent(sent[0], sum(sent))

    body = [
        heading(f"Reviews: {wording}"),
        _covers(period, previous),
        facts(
            [
                ("Reviews held", Compared(this.held, last.held).text()),
                (
                    "Within timescale",
                    Compared(
                        percent(this.on_time, this.held), percent(last.on_time, last.held), True
                    ).text(),
                ),
                ("Held late", Compared(this.late, last.late).text()),
                (
                    "Initial, second, subsequent",
                    f"{this.initial}, {this.second}, {this.subsequent} "
                    f"({last.initial}, {last.second}, {last.subsequent})",
                ),
                (
                    "Decisions sent in time",
                    Compared(within(this.decisions), within(last.decisions), True).text(),
                ),
                (
                    "Minutes sent in time",
                    Compared(within(this.minutes), within(last.minutes), True).text(),
                ),
            ]
        ),
    ]
    top = _top(dict(this.late_by_reason), dict(last.late_by_reason))
    if top:
        body += [text("Held late because", weight="Bolder"), facts(top)]
    body.append(_more(period))
    return card(body)
